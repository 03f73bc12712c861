//! The HTTP error: every refusal the API answers, rendered as RFC 9457
//! problem details. Use cases fail with [`AppError`]; this is where that
//! becomes a status code.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

pub use crate::app::{AppError, FieldError};

/// `Display` and `Debug` are what the request logger records, so neither
/// quotes what the client sent (a mistyped field may hold a password or a
/// note); the full `detail` goes only to the client, in the response.
#[derive(thiserror::Error)]
pub enum ApiError {
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("the request is malformed")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no such resource")]
    NotFound,
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    /// Sync: records changed on the server since the client's last pull.
    #[error("records changed on the server since your last pull; pull, merge and push again")]
    ConflictRecords(Vec<FieldError>),
    /// Sync: the client's cursor is older than what the server still knows.
    #[error("{0}")]
    ResyncRequired(String),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("too many attempts; try again in {retry_after} seconds")]
    TooManyRequests { retry_after: u64 },
    #[error("the database is not reachable right now")]
    Unavailable,
    #[error("internal error")]
    Internal(String),
}

impl std::fmt::Debug for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Validation(errors) => f
                .debug_tuple("Validation")
                .field(&errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>())
                .finish(),
            Self::Internal(detail) => f.debug_tuple("Internal").field(detail).finish(),
            other => write!(f, "{}: {other}", other.slug()),
        }
    }
}

impl ApiError {
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

    /// Stable problem type slug; clients may switch on it.
    pub fn slug(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation",
            Self::BadRequest(_) => "bad-request",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed(_) => "method-not-allowed",
            Self::Conflict(_) => "conflict",
            Self::ConflictRecords(_) => "sync-conflict",
            Self::ResyncRequired(_) => "resync-required",
            Self::PayloadTooLarge { .. } => "payload-too-large",
            Self::UnsupportedMediaType(_) => "unsupported-media-type",
            Self::TooManyRequests { .. } => "too-many-requests",
            Self::Unavailable => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::Validation(_) => "Invalid request",
            Self::BadRequest(_) => "Bad request",
            Self::Unauthorized(_) => "Authentication required",
            Self::Forbidden(_) => "Not allowed",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed(_) => "Method not allowed",
            Self::Conflict(_) => "Conflict",
            Self::ConflictRecords(_) => "Sync conflict",
            Self::ResyncRequired(_) => "Full resync required",
            Self::PayloadTooLarge { .. } => "Payload too large",
            Self::UnsupportedMediaType(_) => "Unsupported media type",
            Self::TooManyRequests { .. } => "Too many requests",
            Self::Unavailable => "Service unavailable",
            Self::Internal(_) => "Internal server error",
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
}

pub const PROBLEM_JSON: &str = "application/problem+json";

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) | Self::ConflictRecords(_) => StatusCode::CONFLICT,
            Self::ResyncRequired(_) => StatusCode::GONE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = match self {
            // Internal details go to the log, never to the client.
            Self::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                "something went wrong on our side; it has been logged".to_string()
            }
            Self::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            Self::BadRequest(detail) => detail.clone(),
            other => other.to_string(),
        };
        let errors = match self {
            Self::Validation(e) | Self::ConflictRecords(e) => Some(e.as_slice()),
            _ => None,
        };
        let body = Problem {
            kind: format!("urn:aftercare:problem:{}", self.slug()),
            title: self.title(),
            status: status.as_u16(),
            detail,
            errors,
        };
        let mut res = HttpResponse::build(status);
        res.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            Self::Unauthorized(_) => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::TooManyRequests { retry_after } => {
                res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            Self::Unavailable => {
                res.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        res.body(serde_json::to_string(&body).unwrap_or_default())
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Validation(errors) => Self::Validation(errors),
            AppError::Unauthorized(m) => Self::Unauthorized(m),
            AppError::Forbidden(m) => Self::Forbidden(m),
            AppError::NotFound => Self::NotFound,
            AppError::Conflict(m) => Self::Conflict(m),
            AppError::ConflictRecords(errors) => Self::ConflictRecords(errors),
            AppError::ResyncRequired(m) => Self::ResyncRequired(m),
            AppError::Unavailable => Self::Unavailable,
            AppError::Internal(m) => Self::Internal(m),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::internal(format!("blocking task: {e}"))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
