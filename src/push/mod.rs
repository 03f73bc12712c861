//! Web Push delivery: VAPID keys and signatures, message encryption,
//! endpoint checks against SSRF, the HTTP transport, and the dispatcher
//! that sends what the outbox holds.

pub mod dispatcher;
pub(crate) mod endpoint;
pub mod message;
pub mod transport;
pub mod vapid;
