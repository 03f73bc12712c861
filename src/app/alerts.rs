//! Alerts to clinicians. [`flag_event`] is the one seam: called inside the
//! transaction that changed a flag, it applies the clinic's lowest alerting
//! severity and each staff member's channels, and enqueues durable
//! deliveries (staff Web Push in the push outbox; e-mail and webhooks in the
//! alert outbox), each once per event and recipient (dedupe keys). The
//! dispatcher job sends them with retries; [`escalate_due`] escalates urgent
//! flags nobody acknowledged; [`history`] reads what was tried.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::actor::ClinicStaff;
use super::error::{AppError, AppResult};
use super::outbox::{backoff, Message, RetryPolicy};
use crate::db::{Db, DbConn};
use crate::domain::alert;
use crate::domain::assessment::Severity;
use crate::domain::device::PushPrivacy;
use crate::i18n::{self, Locale};
use crate::notify::Outcome;
use crate::store::alerts::{self as store, AttemptRow, Delivery, NewDelivery, Recorded};
use crate::store::flags::{self, Flag};
use crate::store::push::{self as push_store, NewJob};
use crate::store::{accounts, clinics, webhooks};

pub use crate::domain::alert::FlagEvent;

/// Who escalations and history name as the actor (the rules' raises and
/// reopenings use the same).
pub use crate::store::flags::SYSTEM_ACTOR;

/// What an alert e-mail's row keeps; the text is written at send time
/// ([`email_text`]), with the console's public URL, in `locale`: the staff
/// recipient's, the clinic's default for its alert addresses. Rows written
/// before locales existed read as English.
#[derive(Debug, Serialize, Deserialize)]
pub struct EmailPayload {
    pub clinic: String,
    pub severity: String,
    pub reason: String,
    #[serde(default)]
    pub locale: Locale,
    /// How many photos the patient added to the flagged day's log (never
    /// the images); rows written before photos existed read as none.
    #[serde(default)]
    pub photos: i64,
}

/// A code's label from the catalogue (`prefix` + code), or the code in
/// words when none has it.
fn label(locale: Locale, prefix: &str, code: &str) -> String {
    let key = format!("{prefix}{code}");
    if i18n::has(Locale::FALLBACK, &key) {
        i18n::t(locale, &key)
    } else {
        code.replace('_', " ")
    }
}

/// An alert e-mail: subject and plain-text body.
pub struct EmailText {
    pub subject: String,
    pub body: String,
}

/// The e-mail for a flag event (`email.ftl`), in `locale`. `link` is the
/// flag's console page; `photos` how many photos the flagged day's log has
/// (said, never attached).
pub fn email_text(
    locale: Locale,
    event: FlagEvent,
    clinic: &str,
    severity: &str,
    reason: &str,
    link: &str,
    photos: i64,
) -> EmailText {
    let args = [
        ("clinic", clinic.into()),
        (
            "severity",
            label(locale, "email-severity-", severity).into(),
        ),
        ("reason", label(locale, "flag-", reason).into()),
    ];
    let event = event.code();
    let subject = i18n::render(locale, &format!("email-{event}-subject"), &args);
    let mut lead = i18n::render(locale, &format!("email-{event}-lead"), &args);
    if photos > 0 {
        lead.push(' ');
        lead.push_str(&i18n::render(
            locale,
            "email-photos",
            &[("count", photos.into())],
        ));
    }
    let body = i18n::render(
        locale,
        "email-body",
        &[("lead", lead.into()), ("link", link.into())],
    );
    EmailText {
        subject,
        body: format!("{body}\n"),
    }
}

/// A staff push notification (`email.ftl` too): (title, body), in `locale`.
pub fn push_text(
    locale: Locale,
    event: FlagEvent,
    severity: &str,
    reason: &str,
) -> (String, String) {
    let args = [
        (
            "severity",
            label(locale, "email-severity-", severity).into(),
        ),
        ("reason", label(locale, "flag-", reason).into()),
    ];
    let kind = match event {
        FlagEvent::Escalated => "escalated",
        FlagEvent::Reopened => "reopened",
        _ if severity == Severity::Urgent.as_str() => "urgent",
        _ => "opened",
    };
    (
        i18n::render(locale, &format!("alert-push-{kind}-title"), &args),
        i18n::render(locale, &format!("alert-push-{kind}-body"), &args),
    )
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Alerts the clinic of a flag event: call inside the writing transaction.
///
/// - opened / reopened: if the flag's severity reaches the clinic's
///   `min_severity`: e-mail to the clinic's alert addresses and to staff who
///   chose e-mail, a push to subscriptions of staff who kept push on, and
///   every webhook; an urgent flag also starts its escalation timer;
/// - escalated: e-mail to every admin, a push to every staff subscription,
///   every webhook;
/// - resolved: webhooks (if the flag's severity alerts), and the timer stops.
pub fn flag_event(conn: &mut DbConn, flag: &Flag, event: FlagEvent, now: i64) -> AppResult<()> {
    let severity =
        Severity::parse(&flag.severity).map_err(|e| AppError::corrupt("flag severity", e))?;
    match event {
        FlagEvent::Resolved => store::disarm_escalation(conn, &flag.id)?,
        FlagEvent::Opened | FlagEvent::Reopened if severity == Severity::Urgent => {
            store::arm_escalation(conn, &flag.id, now)?
        }
        _ => {}
    }
    let clinic = clinics::get(conn, &flag.clinic_id)?;
    // Photos of the flagged day are counted, never sent.
    let evidence: serde_json::Value = serde_json::from_str(&flag.evidence).unwrap_or_default();
    let photos = match crate::domain::evidence::log_date(&evidence)
        .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
    {
        Some(date) => crate::store::log_photos::count_for_log(conn, &flag.treatment_id, date)?,
        None => 0,
    };
    let min = Severity::parse(&clinic.alert_min_severity)
        .map_err(|e| AppError::corrupt("alert min_severity", e))?;
    let escalation = event == FlagEvent::Escalated;
    if !escalation && !alert::alerts(severity, min) {
        return Ok(());
    }
    // Opened fires once per flag and severity; the others may recur.
    let tag = match event {
        FlagEvent::Opened => flag.severity.clone(),
        _ => now.to_string(),
    };
    let key = |channel: &str, recipient: &str| {
        format!(
            "{}{}:{tag}:{channel}:{recipient}",
            alert_key_prefix(&flag.id),
            event.as_str()
        )
    };
    let enqueue = |conn: &mut DbConn, channel, kind, recipient: &str, payload: &str| {
        store::enqueue(
            conn,
            &NewDelivery {
                dedupe_key: &key(channel, recipient),
                flag_id: &flag.id,
                event: event.as_str(),
                channel,
                recipient_kind: kind,
                recipient,
                payload,
                not_before: now,
            },
        )
    };

    // Webhooks: one event id for every receiver, kept across retries.
    let body = json!({
        "id": crate::store::new_id(),
        "type": event.as_str(),
        "created_at": rfc3339(now),
        "data": {
            "flag_id": flag.id,
            "treatment_id": flag.treatment_id,
            "patient_id": flag.patient_id,
            "severity": flag.severity,
            "reason": flag.reason,
            "photos": photos,
        },
    })
    .to_string();
    for hook in webhooks::list(conn, &flag.clinic_id)? {
        enqueue(conn, "webhook", "webhook", &hook.id, &body)?;
    }
    if event == FlagEvent::Resolved {
        return Ok(());
    }

    // E-mail, each address once (a clinic address may also be a staff one),
    // each in its reader's language.
    let clinic_locale = Locale::from_stored(&clinic.default_locale);
    let mut to: Vec<(&str, String, Locale)> = Vec::new();
    if escalation {
        for (e, own) in accounts::admin_emails(conn, &flag.clinic_id)? {
            to.push(("admin", e, Locale::from_stored(&own)));
        }
    } else {
        for e in clinic.alert_emails()? {
            to.push(("clinic_inbox", e, clinic_locale));
        }
        for (e, own) in accounts::alert_email_staff(conn, &flag.clinic_id)? {
            if !to
                .iter()
                .any(|(_, known, _)| known.eq_ignore_ascii_case(&e))
            {
                to.push(("staff", e, Locale::from_stored(&own)));
            }
        }
    }
    for (kind, address, locale) in &to {
        let payload = serde_json::to_string(&EmailPayload {
            clinic: clinic.name.clone(),
            severity: flag.severity.clone(),
            reason: flag.reason.clone(),
            locale: *locale,
            photos,
        })
        .map_err(AppError::internal)?;
        enqueue(conn, "email", kind, address, &payload)?;
    }

    // Staff Web Push: the reason, never the patient (a lock screen is
    // public), in the subscriber's language.
    let urgent = escalation || severity == Severity::Urgent;
    let message = |locale: Locale| Message {
        payload: json!({
            "type": "flag",
            "event": event.as_str(),
            "title": push_text(locale, event, &flag.severity, &flag.reason).0,
            "body": push_text(locale, event, &flag.severity, &flag.reason).1,
            "flag_id": flag.id,
            "severity": flag.severity,
            "reason": flag.reason,
            "locale": locale,
            "url": format!("/console/flags/{}", flag.id),
        }),
        topic: None,
        urgency: if urgent { "high" } else { "normal" }.into(),
        channel: None,
        native: None,
    };
    for (sub, own) in push_store::staff_subscriptions(conn, &flag.clinic_id, !escalation)? {
        // Staff alerts say nothing about the patient: the same text on
        // every channel, in the reader's language.
        let msg = message(Locale::from_stored(&own))
            .for_target(&sub, PushPrivacy::Detailed)
            .map_err(AppError::internal)?;
        push_store::enqueue(
            conn,
            &NewJob {
                dedupe_key: &key("push", &sub.id),
                subscription_id: &sub.id,
                occurrence_id: None,
                treatment_id: Some(&flag.treatment_id),
                message: &msg,
                stale_at: now + 24 * 3600 * 1000,
                not_before: now,
            },
        )?;
    }
    Ok(())
}

// --- Escalation ------------------------------------------------------------------

/// Escalates urgent flags still open `after` their alert: each exactly once,
/// however many processes run this at once (a conditional claim in the
/// same transaction as the deliveries). Returns how many it escalated.
pub async fn escalate_due(db: &Db, now: i64, after: Duration) -> AppResult<usize> {
    let armed_before = now - after.as_millis() as i64;
    db.write(move |tx| {
        let c = tx.conn();
        let mut escalated = 0;
        for flag_id in store::due_escalations(c, armed_before, 50)? {
            let Some(flag) = flags::by_id(c, &flag_id)? else {
                continue;
            };
            // Acknowledged, resolved or no longer urgent: nothing to escalate.
            if flag.status != "open" || flag.severity != Severity::Urgent.as_str() {
                store::disarm_escalation(c, &flag_id)?;
                continue;
            }
            if !store::claim_escalation(c, &flag_id, now)? {
                continue;
            }
            flags::record_event(c, &flag.id, SYSTEM_ACTOR, "escalated", now)?;
            flag_event(c, &flag, FlagEvent::Escalated, now)?;
            escalated += 1;
        }
        Ok(escalated)
    })
    .await
}

// --- History ---------------------------------------------------------------------

/// One alert to one recipient and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct AlertRecord {
    /// `flag.opened`, `flag.escalated`…
    pub event: String,
    /// `email`, `webhook` or `push`.
    pub channel: String,
    /// `clinic_inbox`, `staff`, `admin` (e-mail), `webhook`, `staff` (push).
    pub recipient_kind: String,
    /// The address or webhook id; none for push.
    pub recipient: Option<String>,
    /// `pending`, `sent`, `failed`, `cancelled`; push also `gone`, `stale`.
    pub status: String,
    pub attempts: i32,
    /// The receiver's last answer (HTTP or SMTP code).
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// Each attempt, oldest first (e-mail and webhooks; push keeps only the last).
    pub tries: Vec<Try>,
}

/// One attempt to deliver an alert.
#[derive(Debug, Clone, Serialize)]
pub struct Try {
    pub at: i64,
    /// `sent`, `retry`, `failed` or `cancelled`.
    pub outcome: String,
    pub status: Option<i32>,
    pub error: Option<String>,
}

impl From<AttemptRow> for Try {
    fn from(a: AttemptRow) -> Self {
        Self {
            at: a.at,
            outcome: a.outcome,
            status: a.status,
            error: a.error,
        }
    }
}

impl From<Delivery> for AlertRecord {
    fn from(d: Delivery) -> Self {
        Self {
            tries: Vec::new(),
            event: d.event,
            channel: d.channel,
            recipient_kind: d.recipient_kind,
            recipient: Some(d.recipient),
            status: d.status,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            created_at: d.created_at,
            finished_at: d.finished_at,
        }
    }
}

/// The start of every alert key of a flag (deliveries' ids, push jobs'
/// dedupe keys), followed by the event type.
fn alert_key_prefix(flag_id: &str) -> String {
    format!("flag:{flag_id}:")
}

/// A flag's alert history, oldest first, inside a caller's read (the flag
/// must already be known to be in the caller's scope).
pub fn history_in(conn: &mut DbConn, flag: &Flag) -> AppResult<Vec<AlertRecord>> {
    let deliveries = store::for_flag(conn, &flag.id)?;
    let ids: Vec<String> = deliveries.iter().map(|d| d.id.clone()).collect();
    let attempts = store::attempts_of(conn, &ids)?;
    let mut out: Vec<AlertRecord> = deliveries
        .into_iter()
        .map(|d| {
            let id = d.id.clone();
            let mut record = AlertRecord::from(d);
            record.tries = attempts
                .iter()
                .filter(|a| a.delivery_id == id)
                .cloned()
                .map(Try::from)
                .collect();
            record
        })
        .collect();
    let prefix = alert_key_prefix(&flag.id);
    for job in push_store::for_treatment_keyed(conn, &flag.treatment_id, &prefix)? {
        let event = job.dedupe_key[prefix.len()..]
            .split(':')
            .next()
            .unwrap_or_default()
            .to_string();
        out.push(AlertRecord {
            event,
            channel: "push".into(),
            recipient_kind: "staff".into(),
            recipient: None,
            status: job.status,
            attempts: job.attempts,
            last_status: job.last_status,
            last_error: job.last_error,
            created_at: job.created_at,
            finished_at: job.finished_at,
            tries: Vec::new(),
        });
    }
    out.sort_by_key(|r| r.created_at);
    Ok(out)
}

/// A flag's alert history for clinic staff; another clinic's flag is `NotFound`.
pub async fn history(db: &Db, staff: &ClinicStaff, flag_id: String) -> AppResult<Vec<AlertRecord>> {
    let scope = staff.scope();
    db.read(move |c| {
        let flag = flags::get(c, &scope, &flag_id)?;
        history_in(c, &flag)
    })
    .await
}

// --- The alert outbox ------------------------------------------------------------

/// A leased delivery with what it needs to be sent.
pub struct Leased {
    pub delivery: Delivery,
    /// For a webhook delivery: (url, secret), `None` once the webhook is deleted.
    pub webhook: Option<(String, String)>,
}

/// Leases up to `limit` ready deliveries to `worker` until `lease_until`.
pub async fn lease(
    db: &Db,
    worker: String,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> AppResult<Vec<Leased>> {
    db.write(move |tx| {
        let c = tx.conn();
        store::claim(c, &worker, now, lease_until, limit)?
            .into_iter()
            .map(|delivery| {
                let webhook = if delivery.channel == "webhook" {
                    webhooks::by_id(c, &delivery.recipient)?
                        .filter(|w| w.deleted_at.is_none())
                        .map(|w| (w.url, w.secret))
                } else {
                    None
                };
                Ok(Leased { delivery, webhook })
            })
            .collect()
    })
    .await
}

/// What one leased delivery came to.
pub enum Tried {
    /// Not sent and never will be (webhook deleted, e-mail not configured).
    Skipped {
        cancelled: bool,
        reason: &'static str,
    },
    Sent(Outcome),
}

/// Records the outcomes of one batch in one write transaction: sent,
/// failed, cancelled, or retried later with backoff.
pub async fn record(
    db: &Db,
    worker: String,
    policy: RetryPolicy,
    outcomes: Vec<(Delivery, Tried)>,
) -> AppResult<()> {
    let now = crate::db::now_ms();
    db.write(move |tx| {
        for (d, tried) in outcomes {
            let attempts = d.attempts + 1;
            let r = match &tried {
                Tried::Skipped { cancelled, reason } => Recorded {
                    status: if *cancelled { "cancelled" } else { "failed" },
                    last_status: None,
                    last_error: Some(reason),
                    attempts: d.attempts,
                    next_attempt_at: None,
                },
                Tried::Sent(Outcome::Delivered { status }) => Recorded {
                    status: "sent",
                    last_status: Some(i32::from(*status)),
                    last_error: None,
                    attempts,
                    next_attempt_at: None,
                },
                Tried::Sent(Outcome::Rejected { status, reason }) => Recorded {
                    status: "failed",
                    last_status: status.map(i32::from),
                    last_error: Some(reason),
                    attempts,
                    next_attempt_at: None,
                },
                Tried::Sent(Outcome::Retry {
                    status,
                    after,
                    reason,
                }) => {
                    let give_up = attempts >= policy.max_attempts;
                    Recorded {
                        status: if give_up { "failed" } else { "pending" },
                        last_status: status.map(i32::from),
                        last_error: Some(reason),
                        attempts,
                        next_attempt_at: (!give_up).then(|| {
                            now + backoff(policy.base, attempts, *after).as_millis() as i64
                        }),
                    }
                }
            };
            store::record(tx.conn(), &d.id, &worker, &r)?;
        }
        Ok::<_, AppError>(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_names_clinic_severity_reason_and_link_in_the_readers_language() {
        let link = "https://c.example/console/flags/f1";
        let en = email_text(
            Locale::En,
            FlagEvent::Opened,
            "Glow",
            "urgent",
            "infection_signs",
            link,
            0,
        );
        assert!(en.subject.contains("Glow") && en.subject.contains("urgent"));
        assert!(en
            .body
            .contains(&i18n::t(Locale::En, "flag-infection_signs")));
        assert!(en.body.contains(link) && en.body.ends_with('\n'));
        let tr = email_text(
            Locale::Tr,
            FlagEvent::Escalated,
            "Glow",
            "urgent",
            "infection_signs",
            link,
            0,
        );
        assert!(
            tr.subject.contains("ÜST KADEMEYE İLETİLDİ"),
            "{}",
            tr.subject
        );
        assert!(tr
            .body
            .contains(&i18n::t(Locale::Tr, "flag-infection_signs")));
        assert!(tr.body.contains(link) && tr.body.contains("Konsolda açın"));
        // A reason no catalogue knows still reads.
        let odd = email_text(
            Locale::Tr,
            FlagEvent::Opened,
            "Glow",
            "review",
            "new_rule",
            link,
            0,
        );
        assert!(odd.subject.contains("new rule"), "{}", odd.subject);
        // Photos of the day are mentioned, counted.
        let with = email_text(
            Locale::En,
            FlagEvent::Opened,
            "Glow",
            "urgent",
            "infection_signs",
            link,
            2,
        );
        assert!(with.body.contains("2 photos"), "{}", with.body);
        assert!(!en.body.contains("photo"), "{}", en.body);
        let one = email_text(
            Locale::Tr,
            FlagEvent::Opened,
            "Glow",
            "urgent",
            "pus",
            link,
            1,
        );
        assert!(one.body.contains("1 fotoğraf"), "{}", one.body);
    }

    #[test]
    fn staff_pushes_speak_the_subscribers_language() {
        let (title, body) = push_text(Locale::Tr, FlagEvent::Opened, "urgent", "infection_signs");
        assert_eq!(title, "İncelenecek acil uyarı");
        assert!(body.contains(&i18n::t(Locale::Tr, "flag-infection_signs")));
        let (title, _) = push_text(Locale::En, FlagEvent::Reopened, "review", "rebound");
        assert_eq!(title, "Flag reopened (review)");
    }
}
