//! Diesel queries, one module per table or aggregate. Functions that read
//! patient data take a [`Scope`], so who-may-see-what is decided here once.

pub mod accounts;
pub mod audit;
pub mod clinics;
pub mod console_sessions;
pub mod daily_logs;
pub mod enrolment_codes;
pub mod flags;
pub mod patients;
pub mod protocols;
pub mod push;
pub mod refresh_tokens;
pub mod reminders;
pub mod settings;
pub mod sync;
pub mod treatments;

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
