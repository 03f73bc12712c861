//! Use cases: the only callers of `store` for writes. Each function takes
//! the acting caller as an [`actor`] type, validates, runs its queries in
//! one transaction through [`Db`](crate::db::Db), and returns data or an
//! [`AppError`]. `api/`, `console/` and `jobs/` call these; nothing here
//! knows HTTP.

pub mod accounts;
pub mod actor;
pub mod alert_settings;
pub mod alerts;
pub mod attempts;
pub mod clinic;
pub mod corrections;
pub mod devices;
pub mod error;
pub mod keys;
pub mod outbox;
pub mod photos;
pub mod privacy;
pub mod protocols;
pub mod recovery;
pub mod reminders;
pub mod sessions;
pub mod sync;
pub mod treatments;
pub mod words;
pub mod workday;

pub use actor::{Caller, ClinicAdmin, ClinicStaff, PatientCaller};
pub use error::{AppError, AppResult, FieldError};
