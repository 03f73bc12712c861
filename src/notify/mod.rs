//! Alert transports besides Web Push: e-mail over SMTP and signed webhooks.
//! No database: the alert outbox (`app::alerts`) says what to send and
//! records what happened; the dispatcher job drives it.

pub mod email;
pub mod webhook;

use std::time::Duration;

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted; `status` is the receiver's (HTTP 2xx, SMTP 250).
    Delivered { status: u16 },
    /// Worth trying again later (429, 5xx, SMTP 4xx, timeouts, connection
    /// failures), not before `after` when the receiver said so.
    Retry {
        status: Option<u16>,
        after: Option<Duration>,
        reason: String,
    },
    /// Retrying cannot help (other 4xx, SMTP 5xx, refused here).
    Rejected { status: Option<u16>, reason: String },
}
