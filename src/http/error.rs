//! The HTTP error: every refusal the API answers, rendered as RFC 9457
//! problem details. Use cases fail with [`AppError`], carried here as it
//! is; the few refusals that only HTTP knows (malformed requests, wrong
//! method or media type, oversized bodies, spent attempt budgets) are
//! variants of their own. This is where either becomes a status code.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

pub use crate::app::{AppError, FieldError};

/// `Display` and `Debug` are what the request logger records, so neither
/// quotes what the client sent (a mistyped field may hold a password or a
/// note); the full `detail` goes only to the client, in the response.
#[derive(thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("the request is malformed")]
    BadRequest(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("too many attempts; try again in {retry_after} seconds")]
    TooManyRequests { retry_after: u64 },
    #[error("the request body was not received in time")]
    RequestTimeout,
    #[error("too many open connections from this address or overall; close some and retry")]
    TooManyConnections,
}

impl std::fmt::Debug for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::App(AppError::Validation(errors)) => f
                .debug_tuple("Validation")
                .field(&errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>())
                .finish(),
            Self::App(AppError::Internal(detail)) => {
                f.debug_tuple("Internal").field(detail).finish()
            }
            other => write!(f, "{}: {other}", other.kind().0),
        }
    }
}

impl ApiError {
    /// A validation error on a single field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::field(field, message).into()
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        AppError::internal(detail).into()
    }

    /// Stable problem type slug (clients may switch on it), title and status.
    fn kind(&self) -> (&'static str, &'static str, StatusCode) {
        use AppError as A;
        match self {
            Self::App(A::Validation(_)) => (
                "validation",
                "Invalid request",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Self::App(A::Unauthorized(_)) => (
                "unauthorized",
                "Authentication required",
                StatusCode::UNAUTHORIZED,
            ),
            Self::App(A::Forbidden(_)) => ("forbidden", "Not allowed", StatusCode::FORBIDDEN),
            Self::App(A::NotFound) => ("not-found", "Not found", StatusCode::NOT_FOUND),
            Self::App(A::Conflict(_)) => ("conflict", "Conflict", StatusCode::CONFLICT),
            Self::App(A::ClinicRequired) => (
                "clinic-required",
                "Clinic code required",
                StatusCode::CONFLICT,
            ),
            Self::App(A::Contraindicated(_)) => (
                "contraindicated",
                "Contraindicated",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Self::App(A::ConflictRecords(_)) => {
                ("sync-conflict", "Sync conflict", StatusCode::CONFLICT)
            }
            Self::App(A::ResyncRequired(_)) => {
                ("resync-required", "Full resync required", StatusCode::GONE)
            }
            Self::App(A::Unavailable) => (
                "unavailable",
                "Service unavailable",
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            Self::App(A::Busy) => ("busy", "Busy, retry", StatusCode::SERVICE_UNAVAILABLE),
            Self::App(A::Internal(_)) => (
                "internal",
                "Internal server error",
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            Self::BadRequest(_) => ("bad-request", "Bad request", StatusCode::BAD_REQUEST),
            Self::MethodNotAllowed(_) => (
                "method-not-allowed",
                "Method not allowed",
                StatusCode::METHOD_NOT_ALLOWED,
            ),
            Self::PayloadTooLarge { .. } => (
                "payload-too-large",
                "Payload too large",
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            Self::UnsupportedMediaType(_) => (
                "unsupported-media-type",
                "Unsupported media type",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            Self::TooManyRequests { .. } => (
                "too-many-requests",
                "Too many requests",
                StatusCode::TOO_MANY_REQUESTS,
            ),
            Self::RequestTimeout => (
                "request-timeout",
                "Request timeout",
                StatusCode::REQUEST_TIMEOUT,
            ),
            Self::TooManyConnections => (
                "too-many-connections",
                "Too many connections",
                StatusCode::SERVICE_UNAVAILABLE,
            ),
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
    /// The risk factors (codes) that refused a treatment.
    #[serde(skip_serializing_if = "Option::is_none")]
    contraindications: Option<&'a [String]>,
}

pub const PROBLEM_JSON: &str = "application/problem+json";

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind().2
    }

    fn error_response(&self) -> HttpResponse {
        let (slug, title, status) = self.kind();
        let detail = match self {
            // Internal details go to the log, never to the client.
            Self::App(AppError::Internal(msg)) => {
                tracing::error!(error = %msg, "internal error");
                "something went wrong on our side; it has been logged".to_string()
            }
            Self::App(AppError::Validation(errors)) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            Self::BadRequest(detail) => detail.clone(),
            Self::App(AppError::Contraindicated(codes)) => format!(
                "contraindicated: {}; give a non-empty override_reason to register it anyway",
                codes.join(", ")
            ),
            other => other.to_string(),
        };
        let contraindications = match self {
            Self::App(AppError::Contraindicated(codes)) => Some(codes.as_slice()),
            _ => None,
        };
        let errors = match self {
            Self::App(AppError::Validation(e) | AppError::ConflictRecords(e)) => Some(e.as_slice()),
            _ => None,
        };
        let body = Problem {
            kind: format!("urn:aftercare:problem:{slug}"),
            title,
            status: status.as_u16(),
            detail,
            errors,
            contraindications,
        };
        let mut res = HttpResponse::build(status);
        res.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            Self::App(AppError::Unauthorized(_)) => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::TooManyRequests { retry_after } => {
                res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            Self::App(AppError::Unavailable) => {
                res.insert_header((header::RETRY_AFTER, "5"));
            }
            // Queued writes finish in well under a second each.
            Self::App(AppError::Busy) => {
                tracing::warn!("busy: the SQLite writer stayed taken past the wait; answered 503");
                res.insert_header((header::RETRY_AFTER, "1"));
            }
            // The rest of a late body may still arrive: do not read it.
            Self::RequestTimeout => {
                res.force_close();
            }
            // The connection over the cap goes, with its slot.
            Self::TooManyConnections => {
                res.insert_header((header::RETRY_AFTER, "5"));
                res.force_close();
            }
            _ => {}
        }
        res.body(serde_json::to_string(&body).unwrap_or_default())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::internal(format!("blocking task: {e}"))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
