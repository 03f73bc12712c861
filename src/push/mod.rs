//! Push delivery: Web Push (VAPID keys and signatures, message encryption,
//! endpoint checks against SSRF, the HTTP transport with its outcome
//! mapping), FCM and APNs for native apps, and [`provider::Providers`], the
//! one interface the dispatcher sends through. No database: the outbox
//! (`app::outbox`) says what to send and records what happened; the
//! dispatcher job (`jobs::dispatcher`) drives it.

pub mod apns;
pub(crate) mod endpoint;
pub mod fcm;
pub mod message;
pub mod native;
pub mod provider;
pub mod transport;
pub mod vapid;
