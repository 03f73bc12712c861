//! What goes into the push outbox: reminder messages fanned out per
//! subscription, and urgent-flag alerts for clinicians.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::{AppError, AppResult};
use crate::db::{DbConn, Tx};
use crate::domain::ids::PatientId;
use crate::domain::reminder::{message, topic, ReminderKind};
use crate::store::flags::Flag;
use crate::store::push::{self as push_store, NewJob};
use crate::store::reminders::{self, OccurrenceRow};

/// A push message as stored in the outbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub payload: serde_json::Value,
    pub topic: Option<String>,
    pub urgency: String,
}

/// What one [`fan_out`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanOut {
    /// Occurrences taken.
    pub taken: usize,
    /// Of those, how many were already stale and were marked so, not sent.
    pub stale: usize,
}

/// Fans out due occurrences into one push job per subscription of their
/// patient. Call in a write transaction; returns how many occurrences it took
/// and how many of them were stale.
pub fn fan_out(tx: &mut Tx<'_>, now: i64, limit: i64) -> AppResult<FanOut> {
    let due = reminders::claim_due(tx.conn(), now, limit)?;
    let mut stale = 0;
    for occ in &due {
        let mut w = tx.patient(&PatientId::new(occ.patient_id.clone()));
        if occ.stale_at <= now {
            reminders::set_status(&mut w, &occ.id, "stale")?;
            stale += 1;
            continue;
        }
        let msg = reminder_message(occ)?;
        for sub in push_store::subscriptions_of(w.conn(), &occ.patient_id)? {
            push_store::enqueue(
                w.conn(),
                &NewJob {
                    dedupe_key: &format!("{}:{}", occ.id, sub.id),
                    subscription_id: &sub.id,
                    occurrence_id: Some(&occ.id),
                    treatment_id: Some(&occ.treatment_id),
                    message: &msg,
                    stale_at: occ.stale_at,
                    not_before: now,
                },
            )?;
        }
        reminders::set_status(&mut w, &occ.id, "dispatched")?;
    }
    Ok(FanOut {
        taken: due.len(),
        stale,
    })
}

fn reminder_message(occ: &OccurrenceRow) -> AppResult<String> {
    let kind = ReminderKind::parse(&occ.kind).map_err(AppError::internal)?;
    let day = u16::try_from(occ.day).unwrap_or(0);
    let text = message(kind, day);
    let m = Message {
        payload: json!({
            "type": "reminder",
            "kind": kind,
            "title": text.title,
            "body": text.body,
            "treatment_id": occ.treatment_id,
            "occurrence_id": occ.id,
            "day": occ.day,
            "url": format!("/treatments/{}/reminders/{}", occ.treatment_id, occ.id),
        }),
        topic: Some(topic(kind)),
        urgency: "normal".into(),
    };
    serde_json::to_string(&m).map_err(AppError::internal)
}

/// Pushes a newly urgent flag to the clinic's clinicians' subscriptions. The
/// payload names the reason and day, not the patient: a lock screen is public.
pub fn alert_staff(conn: &mut DbConn, flag: &Flag, now: i64) -> AppResult<()> {
    let m = Message {
        payload: json!({
            "type": "flag",
            "title": "Urgent flag to review",
            "body": format!("A recovery needs review: {}", flag.reason.replace('_', " ")),
            "flag_id": flag.id,
            "url": format!("/console/flags/{}", flag.id),
        }),
        topic: Some("urgent-flag".into()),
        urgency: "high".into(),
    };
    let msg = serde_json::to_string(&m).map_err(AppError::internal)?;
    for sub in push_store::staff_subscriptions(conn, &flag.clinic_id)? {
        push_store::enqueue(
            conn,
            &NewJob {
                dedupe_key: &format!("flag:{}:{}", flag.id, sub.id),
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

/// Push jobs waiting to be sent (for metrics).
pub async fn pending(db: &crate::db::Db) -> AppResult<i64> {
    db.read(|c| Ok(push_store::pending_count(c)?)).await
}
