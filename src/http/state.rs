//! What every request handler and console page can reach.

use crate::app::sessions::TokenGenerations;
use crate::auth::TokenKeys;
use crate::config::Config;
use crate::db::Db;
use crate::media::MediaStore;
use crate::metrics::SharedMetrics;

use super::limits::{AuthLimits, SyncPushLimits};

pub struct AppState {
    pub db: Db,
    pub keys: TokenKeys,
    pub config: Config,
    /// The VAPID public key browsers subscribe with.
    pub vapid_public_key: String,
    /// Attempt budgets of sign-in and enrolment (per process).
    pub limits: AuthLimits,
    /// One sync push per account at a time, and a rate (per process).
    pub sync_pushes: SyncPushLimits,
    pub metrics: SharedMetrics,
    /// Cached account token generations, checked on every bearer request.
    pub generations: TokenGenerations,
    /// Where photos are stored.
    pub media: MediaStore,
}

impl AppState {
    /// The photo limits of the configuration.
    pub fn photo_limits(&self) -> crate::app::photos::PhotoLimits {
        crate::app::photos::PhotoLimits {
            per_log: self.config.media.per_log,
            per_patient: self.config.media.per_patient,
        }
    }
}
