//! Periodic background work in every server process (missed-log flags,
//! escalating unacknowledged urgent flags, pruning old sync tombstones). Each job is safe to run in several
//! processes at once (idempotent flag upserts under a unique index), and
//! writes only through the database's one write entry point.

pub mod dispatcher;

use std::time::Duration;

use crate::app::{alerts, photos, recovery, sync};
use crate::db::Db;
use crate::media::MediaStore;

/// The media store and how old an object with no row must be to go.
pub struct MediaSweep {
    pub media: MediaStore,
    pub grace: Duration,
}

/// Runs the periodic jobs every `every`; urgent flags open `escalate_after`
/// their alert are escalated (exactly once across processes); photo objects
/// with no row are removed after the sweep's grace period.
pub async fn run(db: Db, every: Duration, escalate_after: Duration, sweep: MediaSweep) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match recovery::check_missed_logs(&db, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(flags = n, "missed-log check raised or updated flags"),
            Err(e) => tracing::warn!(error = %e, "missed-log check failed; will retry"),
        }
        let now = chrono::Utc::now().timestamp_millis();
        match alerts::escalate_due(&db, now, escalate_after).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(flags = n, "escalated unacknowledged urgent flags"),
            Err(e) => tracing::warn!(error = %e, "escalation check failed; will retry"),
        }
        if let Err(e) = sync::prune_tombstones(&db, now).await {
            tracing::warn!(error = %e, "tombstone pruning failed; will retry");
        }
        match photos::sweep(&db, &sweep.media, chrono::Utc::now(), sweep.grace).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(objects = n, "removed photo objects that no row names"),
            Err(e) => tracing::warn!(error = %e, "media sweep failed; will retry"),
        }
    }
}
