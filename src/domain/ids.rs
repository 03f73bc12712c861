//! Record ids as distinct types, so one kind of id cannot be passed where
//! another belongs. Only the patient id has its own type so far: it decides
//! whose synced rows a write stamps (see `db::PatientWrite`).

use std::fmt;

/// A patient (the patient's account id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PatientId(String);

impl PatientId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PatientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
