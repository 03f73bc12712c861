//! Diesel queries, one module per table or aggregate. Functions that read
//! patient data take a [`Scope`], so who-may-see-what is decided here once;
//! a record outside the scope is `NotFound`, like a missing one. Functions
//! that write a patient's synced rows take a [`PatientWrite`](crate::db::PatientWrite).
//! Everything returns diesel's `QueryResult`; the use cases in `app` decide
//! what an error means to the caller.
//!
//! Lookups by primary or unique key use `get_result`, not `first`: `first`
//! adds `LIMIT ?`, and SQLite (the bundled 3.50) marks a bound LIMIT as plan-relevant,
//! so every execution re-prepares the cached statement (a third of the CPU
//! of a daily-log write on SQLite; see bench/RESULTS.md).

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod auth_budgets;
pub mod clinics;
pub mod console_sessions;
pub mod daily_logs;
pub mod enrolment_codes;
pub mod flags;
pub mod log_photos;
pub mod patients;
pub mod protocols;
pub mod push;
pub mod refresh_tokens;
pub mod reminders;
pub mod settings;
pub mod staff_reset_codes;
pub mod sync;
pub mod tombstones;
pub mod treatments;
pub mod webhooks;

/// The data a caller may reach, derived from their access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// A patient: only their own records.
    Patient {
        patient_id: String,
        clinic_id: String,
    },
    /// Clinic staff: every patient of their clinic.
    Clinic { clinic_id: String, actor_id: String },
}

impl Scope {
    pub fn clinic_id(&self) -> &str {
        match self {
            Self::Patient { clinic_id, .. } | Self::Clinic { clinic_id, .. } => clinic_id,
        }
    }

    /// Whether this scope may see the given patient of the given clinic.
    pub fn allows(&self, patient_id: &str, clinic_id: &str) -> bool {
        match self {
            Self::Patient {
                patient_id: own, ..
            } => own == patient_id,
            Self::Clinic { clinic_id: own, .. } => own == clinic_id,
        }
    }
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Stored JSON that no longer parses.
pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(format!("stored {what} is invalid: {e}").into())
}

/// A value that cannot be written as JSON.
pub(crate) fn unserializable(e: serde_json::Error) -> diesel::result::Error {
    diesel::result::Error::SerializationError(Box::new(e))
}

/// A query whose outcome should be impossible; reported as an internal error.
pub(crate) fn impossible(what: &str) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(what.to_string().into())
}
