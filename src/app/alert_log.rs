//! Which alerts went out about a flag, to whom, and what became of them:
//! the flag page and the patient page show it.

use super::error::AppResult;
use crate::db::DbConn;
use crate::store::accounts;
use crate::store::flags::Flag;
use crate::store::push as push_store;

/// One attempt to reach a clinician about a flag.
#[derive(Debug, Clone)]
pub struct AlertAttempt {
    pub channel: &'static str,
    pub recipient: String,
    pub at: i64,
    pub outcome: String,
}

/// The alert history of a flag. Today only console/app Web Push exists, read
/// from the push outbox; this is the one place to swap for the alert
/// channels' own history.
pub fn history_in(c: &mut DbConn, flag: &Flag) -> AppResult<Vec<AlertAttempt>> {
    let mut out = Vec::new();
    for job in push_store::jobs_for_flag(c, &flag.id)? {
        let recipient = match push_store::subscription(c, &job.subscription_id)? {
            Some(sub) => accounts::get(c, &sub.account_id)?
                .map(|a| format!("{}'s browser", a.name))
                .unwrap_or_else(|| "a staff browser".into()),
            None => "a browser since unsubscribed".into(),
        };
        let outcome = match job.status.as_str() {
            "sent" => match job.last_status {
                Some(code) => format!("delivered to the push service (HTTP {code})"),
                None => "delivered to the push service".into(),
            },
            "pending" if job.attempts > 0 => {
                format!("retrying after {} attempt(s)", job.attempts)
            }
            "pending" => "queued".into(),
            "gone" => "not delivered: the browser unsubscribed".into(),
            "stale" => "not sent: too late to be useful".into(),
            other => format!(
                "{other}{}",
                job.last_error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
        };
        out.push(AlertAttempt {
            channel: "Web Push",
            recipient,
            at: job.finished_at.unwrap_or(job.created_at),
            outcome,
        });
    }
    Ok(out)
}
