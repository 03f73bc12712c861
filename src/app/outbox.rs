//! What goes into the push outbox: reminder messages fanned out per
//! subscription (staff flag alerts are enqueued by `alerts`), and how
//! leased jobs and their outcomes are recorded.

use serde::{Deserialize, Serialize};
use serde_json::json;

use std::time::Duration;

use diesel::QueryResult;
use rand::Rng;

use super::error::{AppError, AppResult};
use crate::db::{Db, Tx};
use crate::domain::device::{reminder_alert, NativeAlert, Platform, PushPrivacy};
use crate::domain::ids::PatientId;
use crate::domain::reminder::{message, topic, ReminderKind};
use crate::i18n::Locale;
use crate::metrics::Outcome;
use crate::push::transport::PushOutcome;
use crate::store::push::{self as push_store, NewJob, PushJob, StoredSubscription};
use crate::store::reminders::{self, OccurrenceRow};

/// A push message as stored in the outbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub payload: serde_json::Value,
    pub topic: Option<String>,
    pub urgency: String,
    /// Where the job goes: `webpush` (also when absent, in jobs queued
    /// before native devices), `fcm` or `apns`. Shown in deliveries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// For FCM and APNs: the visible alert, chosen under the clinic's
    /// `push_privacy` when the job was queued. Absent: title and body of
    /// the payload (staff alerts, which carry no patient data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native: Option<NativeAlert>,
}

impl Message {
    /// A copy of this message for one subscription or device, as stored in
    /// its job.
    pub fn for_target(
        &self,
        sub: &StoredSubscription,
        privacy: PushPrivacy,
    ) -> serde_json::Result<String> {
        let platform = Platform::from_stored(&sub.platform);
        let mut m = self.clone();
        m.channel = Some(platform.as_str().to_string());
        if platform != Platform::WebPush && self.payload["type"] == "reminder" {
            let p = &self.payload;
            let text = |k: &str| p[k].as_str().unwrap_or_default().to_string();
            let kind = p["kind"].as_str().unwrap_or_default();
            let title_key = p["title_code"]
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| format!("reminder-{kind}-title"));
            let body_key = p["code"]
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| format!("reminder-{kind}-body"));
            let locale = sub.locale.as_deref().or(p["locale"].as_str());
            m.native = Some(reminder_alert(
                privacy,
                (&title_key, &body_key),
                p["day"].as_i64().unwrap_or_default(),
                &text("title"),
                &text("body"),
                locale,
            ));
        }
        serde_json::to_string(&m)
    }
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
/// and how many of them were stale. A batch costs a fixed number of
/// statements plus two per patient (the change stamp and the status update),
/// not a handful per occurrence: locales and subscriptions are read with one
/// query each and the jobs inserted in multi-row statements.
pub fn fan_out(tx: &mut Tx<'_>, now: i64, limit: i64) -> AppResult<FanOut> {
    use std::collections::HashMap;
    let mut due = reminders::claim_due(tx.conn(), now, limit)?;
    // Take the patients' change counters before stamping, skipping those
    // another transaction holds: a request that stamped a patient and then
    // waits for these occurrence rows (a replan deleting them) would
    // otherwise deadlock with us. Skipped occurrences stay due for the next
    // tick.
    let mut patients: Vec<String> = due.iter().map(|o| o.patient_id.clone()).collect();
    patients.sort_unstable();
    patients.dedup();
    let free: std::collections::HashSet<String> =
        crate::store::patients::lock_free_counters(tx.conn(), &patients)?
            .into_iter()
            .collect();
    due.retain(|o| free.contains(&o.patient_id));
    let taken = due.len();
    let (stale, fresh): (Vec<&OccurrenceRow>, Vec<&OccurrenceRow>) =
        due.iter().partition(|o| o.stale_at <= now);

    let mut wanted: Vec<&str> = fresh.iter().map(|o| o.patient_id.as_str()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let locales: HashMap<String, Locale> = crate::store::accounts::locales(tx.conn(), &wanted)?
        .into_iter()
        .collect();
    let mut subs: HashMap<String, Vec<StoredSubscription>> = HashMap::new();
    for sub in push_store::subscriptions_of_accounts(tx.conn(), &wanted)? {
        subs.entry(sub.account_id.clone()).or_default().push(sub);
    }
    let mut privacy: HashMap<String, PushPrivacy> = Default::default();
    // (dedupe key, message) per job, borrowed by the rows inserted below.
    let mut built: Vec<(String, String, &StoredSubscription, &OccurrenceRow)> = Vec::new();
    for occ in &fresh {
        let Some(targets) = subs.get(&occ.patient_id) else {
            continue;
        };
        let locale = locales.get(&occ.patient_id).copied().unwrap_or_default();
        let msg = reminder_message(occ, locale)?;
        let privacy = match privacy.get(&occ.clinic_id) {
            Some(p) => *p,
            None => {
                let stored = crate::store::clinics::push_privacy(tx.conn(), &occ.clinic_id)?;
                let p = PushPrivacy::from_stored(&stored);
                privacy.insert(occ.clinic_id.clone(), p);
                p
            }
        };
        for sub in targets {
            let message = msg.for_target(sub, privacy).map_err(AppError::internal)?;
            built.push((format!("{}:{}", occ.id, sub.id), message, sub, occ));
        }
    }
    let jobs: Vec<NewJob<'_>> = built
        .iter()
        .map(|(key, message, sub, occ)| NewJob {
            dedupe_key: key,
            subscription_id: &sub.id,
            occurrence_id: Some(&occ.id),
            treatment_id: Some(&occ.treatment_id),
            message,
            stale_at: occ.stale_at,
            not_before: now,
        })
        .collect();
    push_store::enqueue_many(tx.conn(), &jobs)?;

    // One status update per patient and status, each under the patient's stamp.
    let mut by_patient: HashMap<&str, (Vec<&str>, Vec<&str>)> = HashMap::new();
    for occ in &stale {
        by_patient
            .entry(&occ.patient_id)
            .or_default()
            .0
            .push(&occ.id);
    }
    for occ in &fresh {
        by_patient
            .entry(&occ.patient_id)
            .or_default()
            .1
            .push(&occ.id);
    }
    let mut order: Vec<&str> = by_patient.keys().copied().collect();
    order.sort_unstable();
    for patient in order {
        let (stale_ids, sent_ids) = &by_patient[patient];
        let mut w = tx.patient(&PatientId::new(patient.to_string()));
        reminders::set_status_many(&mut w, stale_ids, "stale")?;
        reminders::set_status_many(&mut w, sent_ids, "dispatched")?;
    }
    Ok(FanOut {
        taken,
        stale: stale.len(),
    })
}

/// The message of one reminder for a patient reading `locale`: the title and
/// body in that locale, and beside them the catalogue codes, their arguments
/// and the locale, so that a native app (or a provider building localization
/// keys) can render its own.
fn reminder_message(occ: &OccurrenceRow, locale: Locale) -> AppResult<Message> {
    let kind = ReminderKind::parse(&occ.kind).map_err(AppError::internal)?;
    Ok(reminder_payload(
        kind,
        occ.day,
        &occ.treatment_id,
        &occ.id,
        locale,
    ))
}

/// What [`fan_out`] stores for one reminder (its payload is what the
/// patient's device receives).
pub(crate) fn reminder_payload(
    kind: ReminderKind,
    day: i32,
    treatment_id: &str,
    occurrence_id: &str,
    locale: Locale,
) -> Message {
    let text = message(kind, u16::try_from(day).unwrap_or(0));
    Message {
        payload: json!({
            "type": "reminder",
            "kind": kind,
            "title": text.title.render(locale),
            "body": text.body.render(locale),
            "locale": locale,
            "title_code": text.title.code,
            "code": text.body.code,
            "args": text.body.args_json(),
            "treatment_id": treatment_id,
            "occurrence_id": occurrence_id,
            "day": day,
            "url": format!("/treatments/{treatment_id}/reminders/{occurrence_id}"),
        }),
        topic: Some(topic(kind)),
        urgency: "normal".into(),
        channel: None,
        native: None,
    }
}

/// Push jobs waiting to be sent (for metrics).
pub async fn pending(db: &crate::db::Db) -> AppResult<i64> {
    db.read(|c| Ok(push_store::pending_count(c)?)).await
}

/// Fans out what is due now (see [`fan_out`]), in its own write transaction.
pub async fn fan_out_due(db: &Db, now: i64, limit: i64) -> AppResult<FanOut> {
    db.write(move |tx| fan_out(tx, now, limit)).await
}

/// Leases up to `limit` ready jobs to `worker` until `lease_until`, each
/// with its subscription (`None` when it was removed meanwhile).
pub async fn lease(
    db: &Db,
    worker: String,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> AppResult<Vec<(PushJob, Option<StoredSubscription>)>> {
    db.write(move |tx| {
        let c = tx.conn();
        let jobs = push_store::claim(c, &worker, now, lease_until, limit)?;
        let mut ids: Vec<&str> = jobs.iter().map(|j| j.subscription_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let subs: std::collections::HashMap<String, StoredSubscription> =
            push_store::subscriptions_by_ids(c, &ids)?
                .into_iter()
                .map(|s| (s.id.clone(), s))
                .collect();
        Ok::<_, AppError>(
            jobs.into_iter()
                .map(|job| {
                    let sub = subs.get(&job.subscription_id).cloned();
                    (job, sub)
                })
                .collect(),
        )
    })
    .await
}

/// What became of one leased job.
pub enum Attempt {
    /// The subscription was removed after the job was queued.
    NoSubscription,
    /// Too late to be useful: never sent.
    Stale,
    Sent(PushOutcome),
}

/// How sends that the push service asked to retry are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// First retry delay; doubles per attempt.
    pub base: Duration,
    /// Attempts before a push is given up.
    pub max_attempts: i32,
}

/// Exponential backoff with ±20 % jitter, at least what the push service asked.
pub(crate) fn backoff(base: Duration, attempt: i32, retry_after: Option<Duration>) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.clamp(1, 16).saturating_sub(1) as u32);
    let capped = exp.min(Duration::from_secs(3600));
    let jittered = capped.mul_f64(rand::rng().random_range(0.8..1.2));
    jittered.max(retry_after.unwrap_or_default())
}

/// Records the outcomes of one batch of sends in one write transaction;
/// returns what to count once it is committed.
pub async fn record(
    db: &Db,
    worker: String,
    policy: RetryPolicy,
    outcomes: Vec<(PushJob, Attempt)>,
) -> AppResult<Vec<(Platform, Outcome)>> {
    let now = chrono::Utc::now().timestamp_millis();
    db.write(move |tx| {
        let mut counted = Vec::with_capacity(outcomes.len());
        // Deliveries, the common case, are recorded first (before a 404/410
        // drops the subscription's other pending jobs) with one statement
        // per (status, attempts); every other outcome row by row.
        let mut delivered: std::collections::BTreeMap<(u16, i32), Vec<(String, Platform)>> =
            Default::default();
        let mut others = Vec::new();
        for (job, attempt) in outcomes {
            let platform = channel_of(&job);
            match attempt {
                Attempt::Sent(PushOutcome::Delivered { status }) => delivered
                    .entry((status, job.attempts + 1))
                    .or_default()
                    .push((job.id, platform)),
                attempt => others.push((job, attempt, platform)),
            }
        }
        for ((status, attempts), jobs) in delivered {
            let ids: Vec<&str> = jobs.iter().map(|(id, _)| id.as_str()).collect();
            push_store::finish_many(
                tx.conn(),
                &ids,
                &worker,
                "sent",
                Some(i32::from(status)),
                attempts,
            )?;
            counted.extend(jobs.iter().map(|(_, p)| (*p, Outcome::Sent)));
        }
        for (job, attempt, platform) in others {
            let outcome = record_one(tx.conn(), &worker, now, policy, job, attempt)?;
            counted.extend(outcome.map(|o| (platform, o)));
        }
        Ok::<_, AppError>(counted)
    })
    .await
}

/// The provider a job was queued for (Web Push for jobs from before native devices).
pub fn channel_of(job: &PushJob) -> Platform {
    serde_json::from_str::<Message>(&job.message)
        .ok()
        .and_then(|m| m.channel)
        .map(|c| Platform::from_stored(&c))
        .unwrap_or(Platform::WebPush)
}

/// Records one push's outcome: sent, gone, stale, failed or retried later.
/// Returns what to count.
fn record_one(
    c: &mut crate::db::DbConn,
    worker: &str,
    now: i64,
    policy: RetryPolicy,
    job: PushJob,
    attempt: Attempt,
) -> QueryResult<Option<Outcome>> {
    let attempts = job.attempts + 1;
    let id = &job.id;
    let counted = match attempt {
        Attempt::NoSubscription => {
            push_store::finish(
                c,
                id,
                worker,
                "gone",
                None,
                Some("subscription removed"),
                job.attempts,
            )?;
            None
        }
        Attempt::Sent(PushOutcome::Delivered { status }) => {
            let status = Some(i32::from(status));
            push_store::finish(c, id, worker, "sent", status, None, attempts)?;
            Some(Outcome::Sent)
        }
        Attempt::Sent(PushOutcome::Gone) => {
            push_store::finish(
                c,
                id,
                worker,
                "gone",
                Some(410),
                Some("push service says the subscription or device token is gone"),
                attempts,
            )?;
            push_store::delete_subscription_by_id(c, &job.subscription_id)?;
            push_store::drop_jobs_for_subscription(c, &job.subscription_id)?;
            Some(Outcome::SubscriptionRemoved)
        }
        Attempt::Stale => {
            push_store::finish(
                c,
                id,
                worker,
                "stale",
                None,
                Some("stale before it could be sent"),
                job.attempts,
            )?;
            Some(Outcome::Stale)
        }
        Attempt::Sent(PushOutcome::Rejected { status, reason }) => {
            push_store::finish(
                c,
                id,
                worker,
                "failed",
                Some(i32::from(status)),
                Some(&reason),
                attempts,
            )?;
            Some(Outcome::Failed)
        }
        Attempt::Sent(PushOutcome::Retry { after }) => {
            let next = now + backoff(policy.base, attempts, after).as_millis() as i64;
            if attempts >= policy.max_attempts {
                push_store::finish(
                    c,
                    id,
                    worker,
                    "failed",
                    None,
                    Some("gave up after the last attempt"),
                    attempts,
                )?;
                Some(Outcome::Failed)
            } else if next >= job.stale_at {
                push_store::finish(
                    c,
                    id,
                    worker,
                    "stale",
                    None,
                    Some("next attempt would be too late"),
                    attempts,
                )?;
                Some(Outcome::Stale)
            } else {
                push_store::retry_later(
                    c,
                    id,
                    worker,
                    next,
                    None,
                    "push service asked to retry",
                    attempts,
                )?;
                Some(Outcome::Retried)
            }
        }
    };
    Ok(counted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reminder::MAX_DAY;
    use crate::push::message::MAX_PAYLOAD_LEN;

    /// Every reminder in every locale, on every day a plan can reach, with
    /// ids as long as the store makes them, fits one Web Push record; the
    /// payload is built exactly as `fan_out` builds it and sent as the
    /// dispatcher sends it (`payload.to_string()`).
    #[test]
    fn every_reminder_in_every_locale_fits_a_push_payload() {
        let id = crate::store::new_id();
        let mut longest = (0, String::new());
        for locale in Locale::ALL {
            for kind in ReminderKind::ALL {
                for day in 0..=i32::from(MAX_DAY) {
                    let m = reminder_payload(kind, day, &id, &id, locale);
                    let bytes = m.payload.to_string().len();
                    assert!(
                        bytes <= MAX_PAYLOAD_LEN,
                        "{locale} {kind} day {day}: {bytes} bytes"
                    );
                    if bytes > longest.0 {
                        longest = (bytes, format!("{locale} {kind} day {day}"));
                    }
                    let p = &m.payload;
                    assert_eq!(p["locale"], locale.as_str());
                    assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()));
                    assert!(!p["body"].as_str().unwrap().contains('{'), "{p}");
                }
            }
        }
        // Room is left for what native providers wrap around it.
        assert!(longest.0 < MAX_PAYLOAD_LEN / 2, "{longest:?}");
    }

    #[test]
    fn a_turkish_reminder_carries_its_codes_and_args() {
        let m = reminder_payload(ReminderKind::LogSymptoms, 3, "t", "o", Locale::Tr);
        let p = &m.payload;
        assert_eq!(p["title"], "Cildiniz bugün nasıl?");
        assert!(p["body"]
            .as_str()
            .unwrap()
            .starts_with("İyileşmenizin 3. günü."));
        assert_eq!(p["code"], "reminder-log_symptoms-body");
        assert_eq!(p["title_code"], "reminder-log_symptoms-title");
        assert_eq!(p["args"], json!({"day": 3}));
        assert_eq!(p["kind"], "log_symptoms");
        assert_eq!(p["day"], 3);
        let en = reminder_payload(ReminderKind::CheckIn, 42, "t", "o", Locale::En);
        assert!(en.payload["body"].as_str().unwrap().contains("6 weeks"));
        assert_eq!(en.payload["args"], json!({"weeks": 6}));
    }
}
