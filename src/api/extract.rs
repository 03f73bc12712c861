//! Request extractors: who is calling (from the bearer token, as the plain
//! `app` caller types) and JSON bodies with precise, field-named errors.
//! Authorization is decided here and in the scoped store queries, never by
//! hand in handlers.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::app::AppError;
use crate::app::{Caller, ClinicAdmin, ClinicStaff, PatientCaller};
use crate::http::{ApiError, AppState};
use crate::i18n::Locale;

/// The caller verified from `Authorization: Bearer <access token>`, whose
/// account still exists, is active and has not ended the token (generation).
async fn caller_of(req: HttpRequest) -> Result<Caller, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(AppError::Unauthorized(
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
        .ok_or(AppError::Unauthorized(
            "the Authorization header must be `Bearer <token>`",
        ))?;
    let claims = state.keys.verify(token).ok_or(AppError::Unauthorized(
        "the access token is invalid or expired",
    ))?;
    state
        .generations
        .check(&state.db, &claims.sub, claims.generation)
        .await?;
    Ok(Caller {
        account_id: claims.sub,
        clinic_id: claims.clinic,
        role: claims.role,
    })
}

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(caller_of(req.clone()))
    }
}

/// Callers of one role: the role check is the app type's own.
macro_rules! role_extractor {
    ($($name:ident),*) => {$(
        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Extracted<Self>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move { Ok($name::try_from(caller_of(req).await?)?) })
            }
        }
    )*};
}

role_extractor!(ClinicStaff, ClinicAdmin, PatientCaller);

/// The locale a request asks for with `Accept-Language`, overriding the
/// caller's own for this one answer; `None` when the header is absent or
/// names no supported language (a preference, never an error).
pub struct AcceptLanguage(pub Option<Locale>);

impl FromRequest for AcceptLanguage {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let locale = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Locale::negotiate);
        std::future::ready(Ok(AcceptLanguage(locale)))
    }
}

pub use crate::http::BODY_LIMIT;

/// A JSON body. Unlike actix's own, errors name the offending field and are
/// problem+json: malformed JSON is 400, wrong shapes are 422.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json(req, payload, false);
        Box::pin(async move {
            body.await?
                .map(Json)
                .ok_or_else(|| ApiError::BadRequest("a JSON body is required".into()))
        })
    }
}

/// A JSON body whose fields are all optional: no body at all (no
/// `Content-Type`, zero bytes) reads as `T::default()`, as the contract
/// marks such bodies `required: false`. A body that is sent is read as
/// [`Json`] reads it.
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json(req, payload, true);
        Box::pin(async move { body.await.map(|v| OptionalJson(v.unwrap_or_default())) })
    }
}

/// Reads and parses a JSON body; `None` only when `may_be_absent` and the
/// request carries neither a body nor a `Content-Type`.
fn read_json<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    may_be_absent: bool,
) -> impl Future<Output = Result<Option<T>, ApiError>> {
    let json = is_json(req);
    let typed = req.headers().contains_key(header::CONTENT_TYPE);
    let bytes = web::Bytes::from_request(req, payload);
    async move {
        let bytes = bytes
            .await
            .map_err(|e| match e.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => ApiError::PayloadTooLarge { limit: BODY_LIMIT },
                Some(p) if crate::http::deadline::is_timeout(p) => ApiError::RequestTimeout,
                _ => ApiError::BadRequest(format!("could not read the body: {e}")),
            })?;
        if may_be_absent && !typed && bytes.is_empty() {
            return Ok(None);
        }
        if !json {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as Content-Type: application/json".into(),
            ));
        }
        parse_json(&bytes).map(Some)
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

/// Deepest nesting of arrays and objects accepted in a body.
pub const MAX_DEPTH: usize = 32;
/// Longest string (or object key) accepted anywhere in a body, in characters;
/// fields have tighter limits of their own.
pub const MAX_STRING_CHARS: usize = 4096;

/// Deserializes JSON, naming the path of the first offending field. The body
/// is first checked against the nesting and string limits, so no handler ever
/// sees a pathological document.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        let message = strip_position(&e.to_string());
        if message.contains("recursion limit") {
            too_deep()
        } else {
            ApiError::BadRequest(format!("the body is not valid JSON: {message}"))
        }
    })?;
    check_shape(&value, &mut Vec::new())?;
    // Parsed again from the bytes (not from `value`) so that duplicate keys
    // and other strictness of the typed parse still apply.
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = strip_position(&inner.to_string());
        match inner.classify() {
            serde_json::error::Category::Data => {
                ApiError::field(field_named(&path, &message), message)
            }
            _ => ApiError::BadRequest(format!("the body is not valid JSON: {message}")),
        }
    })
}

/// The field an error is about: serde reports a missing field at the path of
/// the object that lacks it, so the field's own name is taken from the message.
fn field_named(path: &str, message: &str) -> String {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (path, missing) {
        (".", Some(name)) => name.to_owned(),
        (".", None) => "body".into(),
        (_, Some(name)) => format!("{path}.{name}"),
        (_, None) => path.to_owned(),
    }
}

fn too_deep() -> ApiError {
    ApiError::field(
        "body",
        format!("must not nest arrays and objects more than {MAX_DEPTH} levels deep"),
    )
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn path_of(path: &[Segment]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Segment::Key(k) if out.is_empty() => out.push_str(k),
            Segment::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        "body".into()
    } else {
        out
    }
}

/// Refuses documents nested deeper than [`MAX_DEPTH`] or carrying a string
/// longer than [`MAX_STRING_CHARS`].
fn check_shape<'a>(v: &'a serde_json::Value, path: &mut Vec<Segment<'a>>) -> Result<(), ApiError> {
    use serde_json::Value;
    let long = |s: &str| s.len() > MAX_STRING_CHARS && s.chars().count() > MAX_STRING_CHARS;
    match v {
        Value::String(s) if long(s) => Err(ApiError::field(
            path_of(path),
            format!("must be at most {MAX_STRING_CHARS} characters"),
        )),
        Value::Array(_) | Value::Object(_) if path.len() >= MAX_DEPTH => Err(too_deep()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Segment::Index(i));
                check_shape(item, path)?;
                path.pop();
            }
            Ok(())
        }
        Value::Object(map) => {
            for (k, item) in map {
                path.push(Segment::Key(k));
                if long(k) {
                    return Err(ApiError::field(
                        path_of(&path[..path.len() - 1]),
                        format!("has a member name longer than {MAX_STRING_CHARS} characters"),
                    ));
                }
                check_shape(item, path)?;
                path.pop();
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: ApiError) -> String {
        match e {
            ApiError::App(AppError::Validation(errs)) => errs[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn deep_nesting_is_refused_at_the_limit() {
        let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse_json::<serde_json::Value>(nest(MAX_DEPTH).as_bytes()).is_ok());
        let e = parse_json::<serde_json::Value>(nest(MAX_DEPTH + 1).as_bytes()).unwrap_err();
        assert_eq!(field_of(e), "body");
        // Far past serde_json's own recursion limit: still a clear 422.
        let e = parse_json::<serde_json::Value>(nest(100_000).as_bytes()).unwrap_err();
        assert_eq!(field_of(e), "body");
    }

    #[test]
    fn long_strings_are_refused_with_their_path() {
        let ok = format!(r#"{{"a":[{{"b":"{}"}}]}}"#, "é".repeat(MAX_STRING_CHARS));
        assert!(parse_json::<serde_json::Value>(ok.as_bytes()).is_ok());
        let long = format!(
            r#"{{"a":[{{"b":"{}"}}]}}"#,
            "x".repeat(MAX_STRING_CHARS + 1)
        );
        let e = parse_json::<serde_json::Value>(long.as_bytes()).unwrap_err();
        assert_eq!(field_of(e), "a[0].b");
        let key = format!(r#"{{"{}":1}}"#, "k".repeat(MAX_STRING_CHARS + 1));
        let e = parse_json::<serde_json::Value>(key.as_bytes()).unwrap_err();
        assert_eq!(field_of(e), "body");
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Patient {
        name: String,
        fitzpatrick: u8,
        address: Option<Address>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Address {
        city: String,
    }

    #[test]
    fn a_missing_field_is_named() {
        let e = parse_json::<Patient>(br#"{"name":"Ana"}"#).unwrap_err();
        assert_eq!(field_of(e), "fitzpatrick");
        let e =
            parse_json::<Patient>(br#"{"name":"Ana","fitzpatrick":2,"address":{}}"#).unwrap_err();
        assert_eq!(field_of(e), "address.city");
        let e = parse_json::<Patient>(br#"{"name":"Ana","fitzpatrick":"x"}"#).unwrap_err();
        assert_eq!(field_of(e), "fitzpatrick");
    }

    #[test]
    fn malformed_json_stays_a_bad_request() {
        assert!(matches!(
            parse_json::<serde_json::Value>(b"{nope"),
            Err(ApiError::BadRequest(_))
        ));
    }
}
