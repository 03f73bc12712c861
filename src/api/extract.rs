//! Request extractors: who is calling (from the bearer token) and JSON bodies
//! with precise, field-named errors. Authorization is decided here and in the
//! scoped store queries, never by hand in handlers.

use std::future::{ready, Future, Ready};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::domain::account::Role;
use crate::error::{ApiError, FieldError};
use crate::startup::AppState;
use crate::store::Scope;

/// Any signed-in caller, verified from `Authorization: Bearer <access token>`.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: String,
    pub clinic_id: String,
    pub role: Role,
}

impl Caller {
    pub fn scope(&self) -> Scope {
        match self.role {
            Role::Patient => Scope::Patient {
                patient_id: self.account_id.clone(),
                clinic_id: self.clinic_id.clone(),
            },
            Role::Admin | Role::Clinician => Scope::Clinic {
                clinic_id: self.clinic_id.clone(),
                actor_id: self.account_id.clone(),
            },
        }
    }

    fn from_req(req: &HttpRequest) -> Result<Self, ApiError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .ok_or_else(|| ApiError::internal("application state missing"))?;
        let value = req
            .headers()
            .get(header::AUTHORIZATION)
            .ok_or(ApiError::Unauthorized(
                "this operation needs a bearer access token",
            ))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(ApiError::Unauthorized(
                "the Authorization header must be `Bearer <token>`",
            ))?;
        let claims = state.keys.verify(token).ok_or(ApiError::Unauthorized(
            "the access token is invalid or expired",
        ))?;
        Ok(Self {
            account_id: claims.sub,
            clinic_id: claims.clinic,
            role: claims.role,
        })
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::from_req(req))
    }
}

/// Declares an extractor that admits only callers with the given roles.
macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $($role:pat_param)|+) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Caller);

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Ready<Result<Self, ApiError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                ready(Caller::from_req(req).and_then(|c| match c.role {
                    $($role)|+ => Ok(Self(c)),
                    _ => Err(ApiError::Forbidden("your role may not perform this operation")),
                }))
            }
        }

        impl std::ops::Deref for $name {
            type Target = Caller;
            fn deref(&self) -> &Caller {
                &self.0
            }
        }
    };
}

role_extractor!(
    /// A clinician or admin; their scope is their clinic.
    ClinicStaff,
    Role::Clinician | Role::Admin
);
role_extractor!(
    /// A clinic admin.
    ClinicAdmin,
    Role::Admin
);
role_extractor!(
    /// A patient; their scope is themselves.
    PatientCaller,
    Role::Patient
);

/// Largest JSON body accepted anywhere.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A JSON body. Unlike actix's own, errors name the offending field and are
/// problem+json: malformed JSON is 400, wrong shapes are 422.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as Content-Type: application/json".into(),
                ));
            }
            let bytes = bytes
                .await
                .map_err(|e| match e.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => ApiError::PayloadTooLarge { limit: BODY_LIMIT },
                    _ => ApiError::BadRequest(format!("could not read the body: {e}")),
                })?;
            parse_json(&bytes).map(Json)
        })
    }
}

/// Whether the request declares a JSON body (`application/json` or `+json`).
pub fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// Deserializes JSON, naming the path of the first offending field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = strip_position(&inner.to_string());
        match inner.classify() {
            serde_json::error::Category::Data => ApiError::Validation(vec![FieldError {
                field: if path == "." { "body".into() } else { path },
                message,
            }]),
            _ => ApiError::BadRequest(format!("the body is not valid JSON: {message}")),
        }
    })
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}
