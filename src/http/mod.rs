//! What the JSON API and the clinician console share on the HTTP side: the
//! application state, the problem+json error, the client's address and the
//! attempt budgets of sign-in. Both sit on top of this; nothing below it
//! knows actix.

pub mod client;
pub mod connections;
pub mod deadline;
pub mod error;
pub mod limits;
pub mod request_log;
pub mod sign_in;
pub mod state;

pub use client::{is_https, ClientAddr};
pub use error::{ApiError, ApiResult, AppError, FieldError, ProblemType};
pub use state::AppState;

/// Largest JSON or form body accepted anywhere (sync pushes have their own cap).
pub const BODY_LIMIT: usize = 64 * 1024;
