//! Reminders over Web Push: the sender (VAPID + aes128gcm) and the
//! dispatcher that sends what the outbox holds.

pub mod dispatcher;
pub mod sender;
