//! Reminders over Web Push: sending (VAPID keys and signatures, message
//! encryption, endpoint checks against SSRF, the HTTP transport), the
//! scheduler that materialises occurrences ahead of time, the outbox and the
//! dispatcher.

pub mod dispatcher;
pub(crate) mod endpoint;
pub mod message;
pub mod outbox;
pub mod scheduler;
pub mod transport;
pub mod vapid;
