//! Reminders over Web Push: the sender (VAPID + aes128gcm), the scheduler that
//! materialises occurrences ahead of time, the outbox and the dispatcher.

pub mod dispatcher;
pub mod outbox;
pub mod scheduler;
pub mod sender;
