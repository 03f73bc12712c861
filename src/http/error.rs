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
            other => write!(f, "{}: {other}", other.problem_type().uri()),
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

    /// The problem type of this error.
    pub fn problem_type(&self) -> ProblemType {
        use AppError as A;
        use ProblemType as P;
        match self {
            Self::App(A::Validation(_)) => P::Validation,
            Self::App(A::Unauthorized(_)) => P::Unauthorized,
            Self::App(A::Forbidden(_)) => P::Forbidden,
            Self::App(A::NotFound) => P::NotFound,
            Self::App(A::Conflict(_)) => P::Conflict,
            Self::App(A::ClinicRequired) => P::ClinicRequired,
            Self::App(A::Contraindicated(_)) => P::Contraindicated,
            Self::App(A::ConflictRecords(_)) => P::SyncConflict,
            Self::App(A::ResyncRequired(_)) => P::ResyncRequired,
            Self::App(A::Unavailable) => P::Unavailable,
            Self::App(A::Busy) => P::Busy,
            Self::App(A::Internal(_)) => P::Internal,
            Self::BadRequest(_) => P::BadRequest,
            Self::MethodNotAllowed(_) => P::MethodNotAllowed,
            Self::PayloadTooLarge { .. } => P::PayloadTooLarge,
            Self::UnsupportedMediaType(_) => P::UnsupportedMediaType,
            Self::TooManyRequests { .. } => P::TooManyRequests,
            Self::RequestTimeout => P::RequestTimeout,
            Self::TooManyConnections => P::TooManyConnections,
        }
    }
}

/// Every problem `type` the API answers with: the one list, kept equal to
/// `Problem.type` in openapi.yaml by a contract test. Clients may switch
/// on the type; the slugs never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemType {
    Validation,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    ClinicRequired,
    Contraindicated,
    SyncConflict,
    ResyncRequired,
    Unavailable,
    Busy,
    Internal,
    BadRequest,
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    RequestTimeout,
    TooManyConnections,
}

impl ProblemType {
    pub const ALL: [Self; 19] = [
        Self::Validation,
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::Conflict,
        Self::ClinicRequired,
        Self::Contraindicated,
        Self::SyncConflict,
        Self::ResyncRequired,
        Self::Unavailable,
        Self::Busy,
        Self::Internal,
        Self::BadRequest,
        Self::MethodNotAllowed,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::TooManyRequests,
        Self::RequestTimeout,
        Self::TooManyConnections,
    ];

    /// Slug, title, status and what it means to a client.
    fn parts(self) -> (&'static str, &'static str, StatusCode, &'static str) {
        match self {
            Self::Validation => (
                "validation",
                "Invalid request",
                StatusCode::UNPROCESSABLE_ENTITY,
                "A field is missing, of the wrong type or out of range; `errors` names each one. Nothing was changed.",
            ),
            Self::Unauthorized => (
                "unauthorized",
                "Authentication required",
                StatusCode::UNAUTHORIZED,
                "No credentials, or invalid, expired or revoked ones: sign in or refresh the access token.",
            ),
            Self::Forbidden => (
                "forbidden",
                "Not allowed",
                StatusCode::FORBIDDEN,
                "The caller's role may not do this (or a console form came without its CSRF token).",
            ),
            Self::NotFound => (
                "not-found",
                "Not found",
                StatusCode::NOT_FOUND,
                "No such resource in the caller's scope (another patient's or clinic's records answer this too).",
            ),
            Self::Conflict => (
                "conflict",
                "Conflict",
                StatusCode::CONFLICT,
                "The request conflicts with the current state (an address already in use, a flag already resolved).",
            ),
            Self::ClinicRequired => (
                "clinic-required",
                "Clinic code required",
                StatusCode::CONFLICT,
                "This e-mail and password open accounts at more than one clinic: sign in again with `clinic` (the clinic's code, shown to its admins).",
            ),
            Self::Contraindicated => (
                "contraindicated",
                "Contraindicated",
                StatusCode::UNPROCESSABLE_ENTITY,
                "A risk factor contraindicates the treatment; `contraindications` names them. Send a non-empty `override_reason` to register it anyway.",
            ),
            Self::SyncConflict => (
                "sync-conflict",
                "Sync conflict",
                StatusCode::CONFLICT,
                "A pushed record changed on the server after `last_pulled_at`; `errors` names them. Pull, merge and push again.",
            ),
            Self::ResyncRequired => (
                "resync-required",
                "Full resync required",
                StatusCode::GONE,
                "A push's `last_pulled_at` is after this server's latest change: pull first.",
            ),
            Self::Unavailable => (
                "unavailable",
                "Service unavailable",
                StatusCode::SERVICE_UNAVAILABLE,
                "The database is not reachable; retry after `Retry-After` seconds.",
            ),
            Self::Busy => (
                "busy",
                "Busy, retry",
                StatusCode::SERVICE_UNAVAILABLE,
                "The database's single writer stayed taken past the wait (SQLite); nothing was changed. Retry after `Retry-After` seconds.",
            ),
            Self::Internal => (
                "internal",
                "Internal server error",
                StatusCode::INTERNAL_SERVER_ERROR,
                "A fault on the server's side; it was logged. Nothing the client can fix.",
            ),
            Self::BadRequest => (
                "bad-request",
                "Bad request",
                StatusCode::BAD_REQUEST,
                "Malformed JSON, query string or request line.",
            ),
            Self::MethodNotAllowed => (
                "method-not-allowed",
                "Method not allowed",
                StatusCode::METHOD_NOT_ALLOWED,
                "The path exists but not with this method.",
            ),
            Self::PayloadTooLarge => (
                "payload-too-large",
                "Payload too large",
                StatusCode::PAYLOAD_TOO_LARGE,
                "The body is over the operation's limit.",
            ),
            Self::UnsupportedMediaType => (
                "unsupported-media-type",
                "Unsupported media type",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "The body is not of the media type the operation reads (mostly `application/json`).",
            ),
            Self::TooManyRequests => (
                "too-many-requests",
                "Too many requests",
                StatusCode::TOO_MANY_REQUESTS,
                "Too many sign-in or enrolment attempts, or sync pushes of one account; retry after `Retry-After` seconds.",
            ),
            Self::RequestTimeout => (
                "request-timeout",
                "Request timeout",
                StatusCode::REQUEST_TIMEOUT,
                "The body was not received in time; the connection is closed.",
            ),
            Self::TooManyConnections => (
                "too-many-connections",
                "Too many connections",
                StatusCode::SERVICE_UNAVAILABLE,
                "Too many open connections from this address or overall; the connection is closed. Retry after `Retry-After` seconds.",
            ),
        }
    }

    /// `urn:aftercare:problem:<slug>`.
    pub fn uri(self) -> String {
        format!("urn:aftercare:problem:{}", self.parts().0)
    }

    pub fn title(self) -> &'static str {
        self.parts().1
    }

    pub fn status(self) -> StatusCode {
        self.parts().2
    }

    /// What the type means to a client (the description in openapi.yaml).
    pub fn description(self) -> &'static str {
        self.parts().3
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
        self.problem_type().status()
    }

    fn error_response(&self) -> HttpResponse {
        let kind = self.problem_type();
        let status = kind.status();
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
            kind: kind.uri(),
            title: kind.title(),
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
