//! What a use case can fail with, independent of HTTP: `api/` and
//! `console/` turn it into problem+json or an HTML page.

use serde::Serialize;

use crate::db::{DbError, DbFault};

/// A field that failed validation, named as the client sent it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// `Display` and `Debug` never quote what the client sent (a mistyped field
/// may hold a password or a note): they are what the logs record.
#[derive(thiserror::Error)]
pub enum AppError {
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no such resource")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// A treatment the patient's risk factors contraindicate (the codes name
    /// them). Not quoted here: `Display` is what the logs record, and risk
    /// factors are health data.
    #[error("registration refused: a risk factor contraindicates this treatment; give an override_reason to register it anyway")]
    Contraindicated(Vec<String>),
    /// Sync: records changed on the server since the client's last pull.
    #[error("records changed on the server since your last pull; pull, merge and push again")]
    ConflictRecords(Vec<FieldError>),
    /// Sync: the client's cursor is older than what the server still knows.
    #[error("{0}")]
    ResyncRequired(String),
    /// Sign-in: the password opens accounts at more than one clinic, so the
    /// client must say which (the clinic's code).
    #[error("this email and password open accounts at more than one clinic; give the clinic's code as `clinic`")]
    ClinicRequired,
    #[error("the database is not reachable right now")]
    Unavailable,
    /// SQLite's single writer stayed taken past the timeout: the database
    /// is up, just busy with other writes.
    #[error("the service is busy with other writes; retry in a moment")]
    Busy,
    #[error("internal error")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl std::fmt::Debug for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Validation(errors) => f
                .debug_tuple("Validation")
                .field(&errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>())
                .finish(),
            Self::ConflictRecords(errors) => f
                .debug_tuple("ConflictRecords")
                .field(&errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>())
                .finish(),
            Self::Internal(detail) => f.debug_tuple("Internal").field(detail).finish(),
            other => write!(f, "{other}"),
        }
    }
}

impl AppError {
    /// A validation error on a single field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict(detail.into())
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }

    /// Stored data that no longer parses: a bug or a bad migration, not the caller's fault.
    pub fn corrupt(what: &str, detail: impl std::fmt::Display) -> Self {
        Self::Internal(format!("stored {what} is invalid: {detail}"))
    }
}

/// Deserializes an already-parsed JSON value; a validation error names the
/// offending field (`body` for the value as a whole).
pub fn deserialize_value<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> AppResult<T> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        AppError::field(
            if path == "." { "body".into() } else { path },
            err.into_inner().to_string(),
        )
    })
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match e {
            E::NotFound => Self::NotFound,
            E::DatabaseError(K::ClosedConnection, _) => Self::Unavailable,
            E::DatabaseError(K::UniqueViolation, info) => {
                // Callers turn expected duplicates into precise messages; this is the backstop.
                tracing::warn!(constraint = ?info.constraint_name(), "unique violation");
                Self::conflict("a record with the same identity already exists")
            }
            E::DatabaseError(K::Unknown, ref info)
                if info.message().contains("database is locked")
                    || info.message().contains("database is busy") =>
            {
                Self::Busy
            }
            E::DatabaseError(K::Unknown, ref info)
                if info.message().contains("terminating connection")
                    || info.message().contains("server closed the connection")
                    || info.message().contains("no connection to the server")
                    || info.message().contains("could not send data to server")
                    || info
                        .message()
                        .contains("could not receive data from server") =>
            {
                Self::Unavailable
            }
            other => Self::internal(format!("database: {other}")),
        }
    }
}

impl From<DbFault> for AppError {
    fn from(f: DbFault) -> Self {
        match f {
            DbFault::Unavailable => Self::Unavailable,
            DbFault::Busy => Self::Busy,
            DbFault::Panicked => Self::internal("database task panicked"),
        }
    }
}

impl DbError for AppError {
    fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable)
    }
}
