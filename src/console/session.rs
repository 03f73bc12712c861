//! Console sessions and CSRF. A sign-in gets a random token in an HttpOnly,
//! SameSite=Strict cookie, stored server-side only as its SHA-256. Every
//! form carries a CSRF token derived from the session token, so it needs no
//! storage and dies with the session; the sign-in form, which has no session
//! yet, uses a double-submit cookie instead.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use subtle::ConstantTimeEq;

use super::i18n::Tr;
use super::ConsoleError;
use crate::app::{accounts, Caller, ClinicAdmin, ClinicStaff};
use crate::auth::{random_token, sha256_hex};
use crate::db::now_ms;
use crate::domain::account::Role;
use crate::http::{ApiError, AppState};
use crate::i18n::Locale;

pub const SESSION_COOKIE: &str = "aftercare_console";
pub const SIGNIN_COOKIE: &str = "aftercare_console_signin";
const COOKIE_PATH: &str = "/console";
/// Longest cookie value we bother to look up (ours are 43 characters).
const TOKEN_MAX: usize = 128;
/// How long a sign-in form stays usable.
const SIGNIN_TTL_SECS: i64 = 3600;

pub fn new_token() -> String {
    random_token(32)
}

/// The CSRF token of a session. Domain-separated from the stored hash, so
/// neither can be computed from the other or from the database.
fn csrf_for(token: &str) -> String {
    sha256_hex(&format!("aftercare console csrf\n{token}"))
}

fn tokens_match(sent: &str, expected: &str) -> bool {
    sent.as_bytes().ct_eq(expected.as_bytes()).into()
}

/// Whether the browser reached us over https. The server itself speaks plain
/// HTTP, so only a trusted TLS-terminating proxy can tell (see the README).
pub fn over_https(req: &HttpRequest, state: &AppState) -> bool {
    state.config.trust_proxy
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

fn cookie(name: &'static str, value: String, max_age_secs: i64, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(time::Duration::seconds(max_age_secs))
        .finish()
}

pub fn session_cookie(token: String, ttl_secs: i64, secure: bool) -> Cookie<'static> {
    cookie(SESSION_COOKIE, token, ttl_secs, secure)
}

pub fn signin_cookie(token: String, secure: bool) -> Cookie<'static> {
    cookie(SIGNIN_COOKIE, token, SIGNIN_TTL_SECS, secure)
}

/// A cookie that makes the browser forget `name`.
pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    cookie(name, String::new(), 0, secure)
}

/// The sign-in form's CSRF token: the value already in the browser's cookie
/// when it is one of ours, else a new one.
pub fn signin_token(req: &HttpRequest) -> (String, bool) {
    match req.cookie(SIGNIN_COOKIE) {
        Some(c) if (20..=TOKEN_MAX).contains(&c.value().len()) => (c.value().to_string(), false),
        _ => (new_token(), true),
    }
}

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, ConsoleError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing").into())
}

/// A signed-in clinician or admin. Yields the same [`ClinicStaff`] the JSON
/// API's extractor does, so the same scoped queries and audit apply.
pub struct ConsoleSession {
    pub staff: ClinicStaff,
    pub name: String,
    /// The clinic's time zone, in which pages show times.
    pub tz: chrono_tz::Tz,
    /// The staff member's language (new staff start with the clinic's).
    pub tr: Tr,
    /// The page being shown, when it can be loaded again (a GET): where
    /// the language switch comes back to.
    pub here: Option<String>,
    pub csrf: String,
    token_hash: String,
}

impl ConsoleSession {
    pub fn is_admin(&self) -> bool {
        self.staff.role == Role::Admin
    }

    /// The admin behind this session, or 403.
    pub fn admin(&self) -> Result<ClinicAdmin, ConsoleError> {
        self.staff.admin().ok_or(ConsoleError::AdminOnly)
    }

    pub fn token_hash(&self) -> &str {
        &self.token_hash
    }
}

impl FromRequest for ConsoleSession {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .cookie(SESSION_COOKIE)
            .map(|c| c.value().to_string())
            .filter(|t| !t.is_empty() && t.len() <= TOKEN_MAX);
        let state = state_of(req);
        let here = (req.method() == actix_web::http::Method::GET)
            .then(|| req.uri().path_and_query().map(|p| p.as_str().to_string()))
            .flatten();
        Box::pin(async move {
            let token = token.ok_or(ConsoleError::SignIn)?;
            let hash = sha256_hex(&token);
            let h = hash.clone();
            let account = accounts::console_session(&state?.db, h, now_ms())
                .await
                .map_err(ApiError::from)?
                .ok_or(ConsoleError::SignIn)?;
            // Sign-in admits only staff; checked again in case a role changed.
            let role = Role::parse(&account.role)
                .ok()
                .filter(|r| r.is_staff())
                .ok_or(ConsoleError::SignIn)?;
            let staff = ClinicStaff::try_from(Caller {
                account_id: account.account_id,
                clinic_id: account.clinic_id,
                role,
            })
            .map_err(ApiError::from)?;
            let tr = Tr(Locale::from_stored(&account.locale));
            // Error pages of this request speak it too.
            super::set_reader(tr);
            Ok(Self {
                staff,
                tr,
                here,
                name: account.name,
                // Validated when set; UTC if a stored name ever stops parsing.
                tz: account.clinic_timezone.parse().unwrap_or(chrono_tz::UTC),
                csrf: csrf_for(&token),
                token_hash: hash,
            })
        })
    }
}

/// Fields of a urlencoded form body, in order; repeated names are kept.
pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    /// The first value of `name`, trimmed; empty when absent.
    pub fn text(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    /// The value of `name` exactly as sent (passwords are never trimmed).
    pub fn raw(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The value of `name`, or `None` when absent or blank.
    pub fn opt(&self, name: &str) -> Option<&str> {
        Some(self.text(name)).filter(|v| !v.is_empty())
    }

    /// Every value of a repeated field (checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
}

fn read_form(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<FormFields, ConsoleError>> {
    let urlencoded = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let body = web::Bytes::from_request(req, payload);
    async move {
        let body = body.await.map_err(|e| match e.as_error::<PayloadError>() {
            Some(PayloadError::Overflow) => ConsoleError::from(ApiError::PayloadTooLarge {
                limit: crate::http::BODY_LIMIT,
            }),
            _ => ApiError::BadRequest(format!("could not read the form: {e}")).into(),
        })?;
        // Anything else cannot carry our CSRF field, so it is refused as such.
        if !urlencoded {
            return Err(ConsoleError::Csrf);
        }
        Ok(FormFields(
            url::form_urlencoded::parse(&body).into_owned().collect(),
        ))
    }
}

/// A form posted by a signed-in user with the session's CSRF token; anything
/// else is refused (403) before the handler runs, so nothing changes.
pub struct ConsoleForm {
    pub session: ConsoleSession,
    pub fields: FormFields,
}

impl FromRequest for ConsoleForm {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = ConsoleSession::from_request(req, payload);
        let fields = read_form(req, payload);
        Box::pin(async move {
            let session = session.await?;
            let fields = fields.await?;
            if !tokens_match(fields.text("csrf"), &session.csrf) {
                return Err(ConsoleError::Csrf);
            }
            Ok(Self { session, fields })
        })
    }
}

/// The sign-in form, checked against the double-submit cookie set when the
/// form was served (no session exists yet to derive a token from).
pub struct SignInForm {
    pub fields: FormFields,
}

impl FromRequest for SignInForm {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let cookie = req.cookie(SIGNIN_COOKIE).map(|c| c.value().to_string());
        let fields = read_form(req, payload);
        Box::pin(async move {
            let fields = fields.await?;
            match cookie {
                Some(c) if c.len() >= 20 && tokens_match(fields.text("csrf"), &c) => {
                    Ok(Self { fields })
                }
                _ => Err(ConsoleError::Csrf),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_are_per_session_and_not_the_stored_hash() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(csrf_for(&a), csrf_for(&b));
        assert_ne!(csrf_for(&a), sha256_hex(&a));
        assert!(tokens_match(&csrf_for(&a), &csrf_for(&a)));
        assert!(!tokens_match("", &csrf_for(&a)));
        assert!(!tokens_match(&csrf_for(&a)[..10], &csrf_for(&a)));
    }

    #[test]
    fn cookies_are_http_only_strict_and_scoped_to_the_console() {
        let c = session_cookie("t".into(), 60, false).to_string();
        assert!(c.contains("HttpOnly"), "{c}");
        assert!(c.contains("SameSite=Strict"), "{c}");
        assert!(c.contains("Path=/console"), "{c}");
        assert!(!c.contains("Secure"), "{c}");
        assert!(session_cookie("t".into(), 60, true)
            .to_string()
            .contains("Secure"));
    }
}
