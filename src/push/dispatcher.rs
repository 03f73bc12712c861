//! Sends what is due: materialises plans, fans occurrences out into push
//! jobs, leases jobs, sends them and records the outcome, with retries and
//! backoff. Any number of dispatchers may run against one database.

use std::time::Duration;

use chrono::Utc;
use rand::Rng;

use super::message::{PushMessage, Subscription, Urgency};
use super::transport::{PushOutcome, PushSender};
use crate::app::outbox::{self, Message};
use crate::app::reminders as scheduler;
use crate::app::{AppError, AppResult};
use crate::db::Db;
use crate::metrics::{Outcome, PushOutcomes};
use crate::store::push::{self as push_store, PushJob};

#[derive(Clone)]
pub struct DispatcherConfig {
    pub tick: Duration,
    pub retry_base: Duration,
    pub max_attempts: i32,
    /// How long a leased job stays with this worker before another may take it.
    pub lease: Duration,
    pub batch: i64,
}

pub struct Dispatcher {
    db: Db,
    sender: PushSender,
    config: DispatcherConfig,
    worker: String,
    outcomes: PushOutcomes,
}

/// Exponential backoff with ±20 % jitter, at least what the push service asked.
pub fn backoff(base: Duration, attempt: i32, retry_after: Option<Duration>) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.clamp(1, 16).saturating_sub(1) as u32);
    let capped = exp.min(Duration::from_secs(3600));
    let jittered = capped.mul_f64(rand::rng().random_range(0.8..1.2));
    jittered.max(retry_after.unwrap_or_default())
}

impl Dispatcher {
    pub fn new(
        db: Db,
        sender: PushSender,
        config: DispatcherConfig,
        outcomes: PushOutcomes,
    ) -> Self {
        let worker = format!("{}-{}", std::process::id(), crate::store::new_id());
        Self {
            db,
            sender,
            config,
            worker,
            outcomes,
        }
    }

    /// Runs until `stop` turns true, finishing the pass in progress first so
    /// no send is cut off between the push service and the outbox record.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(self.config.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|s| *s) => break,
            }
            if let Err(e) = self.tick().await {
                tracing::warn!(error = %e, "dispatcher tick failed; will retry");
            }
        }
        tracing::info!("dispatcher stopped");
    }

    /// One pass: plan, fan out, send everything ready.
    pub async fn tick(&self) -> AppResult<usize> {
        let now = Utc::now();
        scheduler::refill(&self.db, now, 500).await?;
        let batch = self.config.batch;
        loop {
            let now_ms = Utc::now().timestamp_millis();
            let fanned = self
                .db
                .write(move |tx| outbox::fan_out(tx, now_ms, batch))
                .await?;
            self.outcomes.add(Outcome::Stale, fanned.stale as u64);
            if (fanned.taken as i64) < batch {
                break;
            }
        }
        let mut sent = 0;
        loop {
            let now_ms = Utc::now().timestamp_millis();
            let lease_until = now_ms + self.config.lease.as_millis() as i64;
            let worker = self.worker.clone();
            let jobs = self
                .db
                .write(move |tx| {
                    Ok::<_, crate::app::AppError>(push_store::claim(
                        tx.conn(),
                        &worker,
                        now_ms,
                        lease_until,
                        batch,
                    )?)
                })
                .await?;
            if jobs.is_empty() {
                return Ok(sent);
            }
            let full = jobs.len() as i64 == batch;
            sent += self.send_all(jobs).await?;
            if !full {
                return Ok(sent);
            }
        }
    }

    async fn send_all(&self, jobs: Vec<PushJob>) -> AppResult<usize> {
        let ids: Vec<String> = jobs.iter().map(|j| j.subscription_id.clone()).collect();
        let subs = self
            .db
            .read(move |c| {
                ids.iter()
                    .map(|id| Ok(push_store::subscription(c, id)?))
                    .collect::<AppResult<Vec<_>>>()
            })
            .await?;
        let mut tasks = tokio::task::JoinSet::new();
        for (job, sub) in jobs.into_iter().zip(subs) {
            let sender = self.sender.clone();
            tasks.spawn(async move {
                let attempt = match (&sub, prepare(&job)) {
                    (None, _) => Attempt::NoSubscription,
                    (Some(_), None) => Attempt::Stale,
                    (Some(s), Some(msg)) => {
                        let target = Subscription {
                            endpoint: s.endpoint.clone(),
                            p256dh: s.p256dh.clone(),
                            auth: s.auth.clone(),
                        };
                        Attempt::Sent(sender.send(&target, &msg).await)
                    }
                };
                (job, attempt)
            });
        }
        let mut delivered = 0;
        let mut outcomes = Vec::with_capacity(tasks.len());
        while let Some(joined) = tasks.join_next().await {
            let Ok((job, attempt)) = joined else { continue };
            delivered += usize::from(matches!(
                attempt,
                Attempt::Sent(PushOutcome::Delivered { .. })
            ));
            outcomes.push((job, attempt));
        }
        self.record(outcomes).await?;
        Ok(delivered)
    }

    /// Records the outcomes of one batch in one write transaction, and
    /// counts them once it is committed.
    async fn record(&self, outcomes: Vec<(PushJob, Attempt)>) -> AppResult<()> {
        let worker = self.worker.clone();
        let now = Utc::now().timestamp_millis();
        let (retry_base, max_attempts) = (self.config.retry_base, self.config.max_attempts);
        let counted = self
            .db
            .write(move |tx| {
                let mut counted = Vec::with_capacity(outcomes.len());
                for (job, attempt) in outcomes {
                    counted.extend(record_one(
                        tx.conn(),
                        &worker,
                        now,
                        retry_base,
                        max_attempts,
                        job,
                        attempt,
                    )?);
                }
                Ok::<_, AppError>(counted)
            })
            .await?;
        for outcome in counted {
            self.outcomes.count(outcome);
        }
        Ok(())
    }
}

/// Records one push's outcome: sent, gone, stale, failed or retried later.
/// Returns what to count.
fn record_one(
    c: &mut crate::db::DbConn,
    worker: &str,
    now: i64,
    retry_base: Duration,
    max_attempts: i32,
    job: PushJob,
    attempt: Attempt,
) -> AppResult<Option<Outcome>> {
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
                Some("push service says the subscription is gone"),
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
            let next = now + backoff(retry_base, attempts, after).as_millis() as i64;
            if attempts >= max_attempts {
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

enum Attempt {
    /// The subscription was removed after the job was queued.
    NoSubscription,
    /// Too late to be useful: never sent.
    Stale,
    Sent(PushOutcome),
}

/// The message to send now, or `None` when it is stale (or unreadable).
fn prepare(job: &PushJob) -> Option<PushMessage> {
    let now = Utc::now().timestamp_millis();
    let left_ms = job.stale_at - now;
    if left_ms <= 1000 {
        return None;
    }
    let m = serde_json::from_str::<Message>(&job.message).ok()?;
    // The TTL ends when the reminder stops being useful.
    let mut msg = PushMessage::new(
        m.payload.to_string().into_bytes(),
        Duration::from_millis(left_ms as u64),
    );
    if let Some(t) = m.topic {
        msg = msg.clone().with_topic(t).unwrap_or(msg);
    }
    if let Ok(u) = m.urgency.parse::<Urgency>() {
        msg = msg.with_urgency(u);
    }
    Some(msg)
}
