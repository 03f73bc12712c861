//! The dispatcher job: materialises plans, fans occurrences out into push
//! jobs, leases jobs, sends them and has the outbox record each outcome
//! (retries with backoff are decided there); then does the same for the
//! alert outbox (e-mail and webhooks). Any number of dispatchers may run
//! against one database.

use std::time::Duration;

use chrono::Utc;

use crate::app::alerts::{self, email_text, EmailPayload, FlagEvent, Leased, Tried};
use crate::app::outbox::{self, Attempt, Message, RetryPolicy};
use crate::app::reminders as scheduler;
use crate::app::AppResult;
use crate::db::Db;
use crate::domain::device::{token_of_stored_key, NativeAlert, Platform};
use crate::metrics::{Outcome, PushOutcomes};
use crate::notify::email::Mailer;
use crate::notify::webhook::WebhookSender;
use crate::push::message::{PushMessage, Subscription, Urgency};
use crate::push::native::NativeMessage;
use crate::push::provider::{Outgoing, Providers, Target};
use crate::push::transport::PushOutcome;
use crate::store::push::{PushJob, StoredSubscription};

/// Occurrences per fan-out transaction, in send batches.
const FAN_OUT_BATCHES: i64 = 4;

type Stop = tokio::sync::watch::Receiver<bool>;

/// A database call of the pipeline in progress.
type Pending<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = AppResult<T>> + Send + 'a>>;

/// A leased job with its subscription (`None` when it was removed).
type LeasedPush = (PushJob, Option<StoredSubscription>);

/// How far fan-out has come in this pass.
#[derive(Debug, Default, Clone, Copy)]
struct FanState {
    /// Fan-out transactions committed.
    batches: u64,
    /// No more this pass.
    done: bool,
}

/// Whether the process is stopping: the pass in progress then claims and
/// fans out nothing more, and finishes what it holds.
fn stopping(stop: Option<&Stop>) -> bool {
    stop.is_some_and(|s| *s.borrow())
}

#[derive(Clone)]
pub struct DispatcherConfig {
    pub tick: Duration,
    pub retry_base: Duration,
    pub max_attempts: i32,
    /// How long a leased job stays with this worker before another may take it.
    pub lease: Duration,
    pub batch: i64,
}

/// How alerts other than Web Push go out.
#[derive(Clone)]
pub struct AlertTransports {
    /// `None` when no SMTP server is configured: e-mail deliveries fail.
    pub mailer: Option<Mailer>,
    pub webhooks: WebhookSender,
    /// The console's external base URL, for the link in e-mail.
    pub public_url: String,
}

pub struct Dispatcher {
    db: Db,
    providers: Providers,
    config: DispatcherConfig,
    worker: String,
    outcomes: PushOutcomes,
    alerts: AlertTransports,
}

impl Dispatcher {
    pub fn new(
        db: Db,
        providers: Providers,
        config: DispatcherConfig,
        outcomes: PushOutcomes,
        alerts: AlertTransports,
    ) -> Self {
        let worker = format!("{}-{}", std::process::id(), crate::store::new_id());
        Self {
            db,
            providers,
            config,
            worker,
            outcomes,
            alerts,
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
            if let Err(e) = self.pass(Some(&stop)).await {
                tracing::warn!(error = %e, "dispatcher tick failed; will retry");
            }
        }
        tracing::info!("dispatcher stopped");
    }

    /// One pass: plan, fan out, send every ready push and alert.
    pub async fn tick(&self) -> AppResult<usize> {
        self.pass(None).await
    }

    async fn pass(&self, stop: Option<&Stop>) -> AppResult<usize> {
        // Each outbox is worked even when the other fails this time.
        let pushed = self.push_tick(stop).await;
        let alerted = self.alert_tick().await;
        let pushed = pushed?;
        alerted?;
        Ok(pushed)
    }

    /// Sends every ready e-mail and webhook delivery.
    async fn alert_tick(&self) -> AppResult<()> {
        let batch = self.config.batch;
        loop {
            let now_ms = Utc::now().timestamp_millis();
            let lease_until = now_ms + self.config.lease.as_millis() as i64;
            let leased =
                alerts::lease(&self.db, self.worker.clone(), now_ms, lease_until, batch).await?;
            let full = leased.len() as i64 == batch;
            if leased.is_empty() {
                return Ok(());
            }
            let mut tasks = tokio::task::JoinSet::new();
            for item in leased {
                let transports = self.alerts.clone();
                tasks.spawn(async move {
                    let tried = send_alert(&transports, &item).await;
                    (item.delivery, tried)
                });
            }
            let mut outcomes = Vec::with_capacity(tasks.len());
            while let Some(joined) = tasks.join_next().await {
                if let Ok(done) = joined {
                    outcomes.push(done);
                }
            }
            let policy = RetryPolicy {
                base: self.config.retry_base,
                max_attempts: self.config.max_attempts,
            };
            alerts::record(&self.db, self.worker.clone(), policy, outcomes).await?;
            if !full {
                return Ok(());
            }
        }
    }

    /// Plans, fans out and sends every ready push. Fan-out runs beside
    /// sending, so the first jobs go out while later occurrences are still
    /// being fanned out.
    async fn push_tick(&self, stop: Option<&Stop>) -> AppResult<usize> {
        let now = Utc::now();
        scheduler::refill(&self.db, now, 500).await?;
        let (progress, fanning) = tokio::sync::watch::channel(FanState::default());
        let (fanned, sent) = tokio::join!(
            self.fan_out_all(progress, stop),
            self.send_ready(fanning, stop)
        );
        fanned?;
        sent
    }

    /// Fans out every due occurrence, telling the sender after each batch.
    async fn fan_out_all(
        &self,
        progress: tokio::sync::watch::Sender<FanState>,
        stop: Option<&Stop>,
    ) -> AppResult<()> {
        // Fan-out batches are larger than send batches: their statements
        // are per batch and per patient, and the jobs of one fill several sends.
        let limit = self.config.batch * FAN_OUT_BATCHES;
        let result = loop {
            if stopping(stop) {
                break Ok(());
            }
            let now_ms = Utc::now().timestamp_millis();
            match outbox::fan_out_due(&self.db, now_ms, limit).await {
                Err(e) => break Err(e),
                Ok(fanned) => {
                    self.outcomes
                        .add("none", Outcome::Stale, fanned.stale as u64);
                    progress.send_modify(|p| p.batches += 1);
                    if (fanned.taken as i64) < limit {
                        break Ok(());
                    }
                }
            }
        };
        progress.send_modify(|p| p.done = true);
        result
    }

    /// Sends every ready push as a pipeline: the next batch is claimed while
    /// the current one is encrypted and sent, and outcomes are recorded a
    /// batch at a time while later sends are in flight. At most about three
    /// batches are leased and not yet recorded at once (in flight, waiting
    /// to be recorded, being recorded).
    async fn send_ready(
        &self,
        mut fanning: tokio::sync::watch::Receiver<FanState>,
        stop: Option<&Stop>,
    ) -> AppResult<usize> {
        let batch = self.config.batch.max(1) as usize;
        let mut claiming: Option<Pending<'_, Vec<LeasedPush>>> = None;
        let mut recording: Option<Pending<'_, ()>> = None;
        let mut sending = tokio::task::JoinSet::new();
        let mut finished: Vec<(PushJob, Attempt)> = Vec::new();
        let mut delivered = 0;
        let mut error = None;
        // Whether a claim may find more: the last one came back full, or
        // fan-out committed a batch since it started.
        let mut last_full = true;
        let mut seen = 0;
        let mut fan_done = false;
        loop {
            let can_claim = claiming.is_none()
                && error.is_none()
                && !stopping(stop)
                && sending.len() + finished.len() <= batch;
            if can_claim {
                let state = *fanning.borrow_and_update();
                fan_done = state.done;
                if last_full || state.batches != seen {
                    seen = state.batches;
                    let now_ms = Utc::now().timestamp_millis();
                    let lease_until = now_ms + self.config.lease.as_millis() as i64;
                    claiming = Some(Box::pin(outbox::lease(
                        &self.db,
                        self.worker.clone(),
                        now_ms,
                        lease_until,
                        batch as i64,
                    )));
                }
            }
            let idle = claiming.is_none() && sending.is_empty();
            if recording.is_none() && !finished.is_empty() && (finished.len() >= batch || idle) {
                recording = Some(Box::pin(self.record(std::mem::take(&mut finished))));
            }
            if idle && recording.is_none() && finished.is_empty() {
                let more_coming = !fan_done && error.is_none() && !stopping(stop);
                if !more_coming {
                    break;
                }
            }
            // Fan-out progress matters only when a claim could start on it.
            let wait_for_fan_out = can_claim && claiming.is_none() && !fan_done;
            tokio::select! {
                claimed = async { claiming.as_mut().expect("guarded").await }, if claiming.is_some() => {
                    claiming = None;
                    match claimed {
                        Ok(jobs) => {
                            last_full = jobs.len() >= batch;
                            for (job, sub) in jobs {
                                let providers = self.providers.clone();
                                sending.spawn(send_one(providers, job, sub));
                            }
                        }
                        Err(e) => error = Some(e),
                    }
                }
                recorded = async { recording.as_mut().expect("guarded").await }, if recording.is_some() => {
                    recording = None;
                    if let Err(e) = recorded {
                        error.get_or_insert(e);
                    }
                }
                Some(joined) = sending.join_next(), if !sending.is_empty() => {
                    if let Ok((job, attempt)) = joined {
                        delivered += usize::from(matches!(
                            attempt,
                            Attempt::Sent(PushOutcome::Delivered { .. })
                        ));
                        finished.push((job, attempt));
                    }
                }
                changed = fanning.changed(), if wait_for_fan_out => {
                    if changed.is_err() {
                        fan_done = true;
                    }
                }
                // Unreachable (some branch is always armed before idling),
                // but never spin.
                else => break,
            }
        }
        match error {
            Some(e) => Err(e),
            None => Ok(delivered),
        }
    }

    /// Records the outcomes of one batch, and counts them once they are committed.
    async fn record(&self, outcomes: Vec<(PushJob, Attempt)>) -> AppResult<()> {
        let policy = RetryPolicy {
            base: self.config.retry_base,
            max_attempts: self.config.max_attempts,
        };
        let counted = outbox::record(&self.db, self.worker.clone(), policy, outcomes).await?;
        for (platform, outcome) in counted {
            self.outcomes.count(platform.as_str(), outcome);
        }
        Ok(())
    }
}

/// Sends one leased push (or finds it has no subscription left, or is stale).
async fn send_one(
    providers: Providers,
    job: PushJob,
    sub: Option<StoredSubscription>,
) -> (PushJob, Attempt) {
    let attempt = match (&sub, prepare(&job)) {
        (None, _) => Attempt::NoSubscription,
        (Some(_), None) => Attempt::Stale,
        (Some(s), Some(msg)) => Attempt::Sent(providers.send(&target_of(s), &msg).await),
    };
    (job, attempt)
}

/// Sends one e-mail or webhook delivery.
async fn send_alert(t: &AlertTransports, item: &Leased) -> Tried {
    let d = &item.delivery;
    match d.channel.as_str() {
        "webhook" => match &item.webhook {
            Some((url, secret)) => Tried::Sent(t.webhooks.send(url, secret, &d.payload).await),
            None => Tried::Skipped {
                cancelled: true,
                reason: "the webhook was deleted",
            },
        },
        "email" => {
            let Some(mailer) = &t.mailer else {
                return Tried::Skipped {
                    cancelled: false,
                    reason: "e-mail is not configured (AFTERCARE_SMTP_URL)",
                };
            };
            let (Ok(p), Some(event)) = (
                serde_json::from_str::<EmailPayload>(&d.payload),
                FlagEvent::parse(&d.event),
            ) else {
                return Tried::Skipped {
                    cancelled: false,
                    reason: "unreadable stored e-mail",
                };
            };
            let link = format!("{}/console/flags/{}", t.public_url, d.flag_id);
            let text = email_text(
                p.locale,
                event,
                &p.clinic,
                &p.severity,
                &p.reason,
                &link,
                p.photos,
            );
            Tried::Sent(mailer.send(&d.recipient, &text.subject, &text.body).await)
        }
        _ => Tried::Skipped {
            cancelled: false,
            reason: "unknown channel",
        },
    }
}

/// Where a subscription or device is reached.
fn target_of(s: &StoredSubscription) -> Target {
    match Platform::from_stored(&s.platform) {
        Platform::WebPush => Target::WebPush(Subscription {
            endpoint: s.endpoint.clone(),
            p256dh: s.p256dh.clone(),
            auth: s.auth.clone(),
        }),
        Platform::Fcm => Target::Fcm {
            token: token_of_stored_key(&s.endpoint).to_string(),
        },
        Platform::Apns => Target::Apns {
            token: token_of_stored_key(&s.endpoint).to_string(),
            sandbox: s.environment.as_deref() == Some("sandbox"),
        },
    }
}

/// The message to send now, or `None` when it is stale (or unreadable).
fn prepare(job: &PushJob) -> Option<Outgoing> {
    let now = Utc::now().timestamp_millis();
    let left_ms = job.stale_at - now;
    if left_ms <= 1000 {
        return None;
    }
    let m = serde_json::from_str::<Message>(&job.message).ok()?;
    // The TTL ends when the reminder stops being useful.
    let ttl = Duration::from_millis(left_ms as u64);
    let mut web = PushMessage::new(m.payload.to_string().into_bytes(), ttl);
    if let Some(t) = m.topic.clone() {
        web = web.clone().with_topic(t).unwrap_or(web);
    }
    let urgency = m.urgency.parse::<Urgency>().ok();
    if let Some(u) = urgency {
        web = web.with_urgency(u);
    }
    Some(Outgoing {
        web,
        native: native_message(&m, ttl, job.stale_at / 1000, urgency == Some(Urgency::High)),
    })
}

/// The FCM/APNs view of a stored message: its alert (or the payload's title
/// and body, for staff alerts) and every other scalar payload field as data.
fn native_message(m: &Message, ttl: Duration, expires_at: i64, high: bool) -> NativeMessage {
    let p = &m.payload;
    let alert = m.native.clone().unwrap_or_else(|| NativeAlert {
        title: p["title"].as_str().unwrap_or_default().to_string(),
        body: p["body"].as_str().unwrap_or_default().to_string(),
        title_loc_key: None,
        loc_key: None,
        loc_args: Vec::new(),
    });
    let data = p
        .as_object()
        .into_iter()
        .flatten()
        // The text travels only as the alert (generic under `generic`).
        .filter(|(k, _)| !matches!(k.as_str(), "title" | "body"))
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k.clone(), s.clone())),
            serde_json::Value::Number(n) => Some((k.clone(), n.to_string())),
            serde_json::Value::Bool(b) => Some((k.clone(), b.to_string())),
            _ => None,
        })
        .collect();
    NativeMessage {
        alert,
        data,
        ttl,
        expires_at,
        collapse_key: m.topic.clone(),
        high_priority: high,
    }
}
