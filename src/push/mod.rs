//! Web Push delivery: VAPID keys and signatures, message encryption,
//! endpoint checks against SSRF, and the HTTP transport with its outcome
//! mapping. No database: the outbox (`app::outbox`) says what to send and
//! records what happened; the dispatcher job (`jobs::dispatcher`) drives it.

pub(crate) mod endpoint;
pub mod message;
pub mod transport;
pub mod vapid;
