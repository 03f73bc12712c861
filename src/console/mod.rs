//! The clinician console: server-rendered HTML pages under `/console/` for
//! clinic staff (sign-in, flag queue, patients, recovery pages, admin). It is
//! not part of the JSON contract in `openapi.yaml`. Handlers use the same
//! extractors' scope and the same `clinic` use cases as the API.

mod admin;
mod alerts;
mod auth;
mod chart;
mod clinic;
mod corrections;
mod flags;
mod forms;
pub mod i18n;
mod patients;
pub mod session;
mod views;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{from_fn, DefaultHeaders, Next};
use actix_web::{web, HttpResponse, ResponseError};
use maud::html;

use self::i18n::Tr;
use crate::app::AppError;
use crate::http::ApiError;
use crate::i18n::Locale;

/// Pages load only our own stylesheet, script and service worker, and talk
/// only to our own origin: nothing inline, no other hosts, no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; worker-src 'self'; \
                       connect-src 'self'; style-src 'self'; img-src 'self' data:; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLESHEET: &str = include_str!("console.css");
const SCRIPT: &str = include_str!("static/console.js");
const SERVICE_WORKER: &str = include_str!("static/sw.js");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .wrap(DefaultHeaders::new().add((header::CONTENT_SECURITY_POLICY, CSP)))
            .wrap(from_fn(reader_language))
            .service(resource("", "GET").get(home))
            .service(resource("/", "GET").get(home))
            .service(resource("/static/console.css", "GET").get(stylesheet))
            .service(resource("/static/console.js", "GET").get(script))
            .service(resource("/sw.js", "GET").get(service_worker))
            .service(resource("/push-subscription", "POST").post(flags::subscribe_push))
            .service(
                resource("/sign-in", "GET, POST")
                    .get(auth::sign_in_page)
                    .post(auth::sign_in),
            )
            .service(resource("/sign-out", "POST").post(auth::sign_out))
            .service(resource("/language", "POST").post(auth::set_language))
            .service(resource("/flags", "GET").get(flags::queue))
            .service(resource("/flags/{id}", "GET").get(flags::page))
            .service(resource("/flags/{id}/acknowledge", "POST").post(flags::acknowledge))
            .service(resource("/flags/{id}/resolve", "POST").post(flags::resolve))
            .service(
                resource("/patients", "GET, POST")
                    .get(patients::list)
                    .post(patients::create),
            )
            .service(resource("/patients/{id}", "GET").get(patients::page))
            .service(
                resource("/photos/{treatment_id}/{date}/{photo_id}", "GET").get(patients::photo),
            )
            .service(resource("/patients/{id}/treatments", "POST").post(patients::add_treatment))
            .service(
                resource("/patients/{id}/enrolment-codes", "POST").post(patients::enrolment_code),
            )
            .service(resource("/patients/{id}/correct", "POST").post(corrections::correct_patient))
            .service(resource("/patients/{id}/discharge", "POST").post(corrections::discharge))
            .service(resource("/patients/{id}/readmit", "POST").post(corrections::readmit))
            .service(
                resource("/treatments/{id}/correct", "POST").post(corrections::correct_treatment),
            )
            .service(
                resource("/treatments/{id}/cancel", "POST").post(corrections::cancel_treatment),
            )
            .service(
                resource("/staff", "GET, POST")
                    .get(admin::staff)
                    .post(admin::add_staff),
            )
            .service(resource("/staff/{id}", "POST").post(admin::change_staff))
            .service(resource("/audit", "GET").get(admin::audit))
            .service(
                resource("/clinic", "GET, POST")
                    .get(clinic::page)
                    .post(clinic::save),
            )
            .service(
                resource("/alerts", "GET, POST")
                    .get(alerts::page)
                    .post(alerts::save),
            )
            .service(resource("/webhooks", "POST").post(alerts::add_webhook))
            .service(resource("/webhooks/{id}/delete", "POST").post(alerts::delete_webhook))
            .default_service(web::to(not_found)),
    );
}

tokio::task_local! {
    /// The language of the request being answered: the browser's
    /// (`Accept-Language`) until a session names the account's.
    static READER: std::cell::Cell<Tr>;
}

/// The language pages and error pages of this request are written in.
pub fn reader() -> Tr {
    READER
        .try_with(std::cell::Cell::get)
        .unwrap_or(Tr(Locale::FALLBACK))
}

/// Called once the signed-in account's language is known.
pub(crate) fn set_reader(tr: Tr) {
    let _ = READER.try_with(|r| r.set(tr));
}

/// Every console request answers in one language, error pages included
/// (they are rendered without the request at hand, hence the task-local).
async fn reader_language(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let locale = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::negotiate)
        .unwrap_or(Locale::FALLBACK);
    READER
        .scope(std::cell::Cell::new(Tr(locale)), next.call(req))
        .await
}

/// A console page answering 405 (with `Allow`) to other methods; without
/// this, resources fall back to the scope's 404 page.
fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move || async move {
        let mut res = ConsoleError::Api(ApiError::MethodNotAllowed(
            reader().f("console-error-method", &[("allow", allow.into())]),
        ))
        .error_response();
        res.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static(allow));
        res
    }))
}

async fn home() -> HttpResponse {
    views::see_other("/console/flags")
}

async fn not_found() -> HttpResponse {
    ConsoleError::from(AppError::NotFound).error_response()
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(STYLESHEET)
}

async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(SCRIPT)
}

/// The service worker is checked for updates on every visit; its scope is
/// the console only.
async fn service_worker() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("service-worker-allowed", "/console/"))
        .body(SERVICE_WORKER)
}

/// Why a console request did not get its page. Rendered as HTML, never as a
/// 500 unless something really broke.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No live session: go to the sign-in page.
    #[error("sign in first")]
    SignIn,
    /// A form without this session's CSRF token.
    #[error("the form's security token is missing or stale")]
    Csrf,
    #[error("only clinic admins may open this page")]
    AdminOnly,
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<crate::app::AppError> for ConsoleError {
    fn from(e: crate::app::AppError) -> Self {
        Self::Api(e.into())
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn => StatusCode::SEE_OTHER,
            Self::Csrf | Self::AdminOnly => StatusCode::FORBIDDEN,
            Self::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let tr = reader();
        let (title, detail, fields) = match self {
            Self::SignIn => return views::see_other("/console/sign-in"),
            Self::Csrf => (
                tr.t("console-error-csrf-title"),
                tr.t("console-error-csrf"),
                Vec::new(),
            ),
            Self::AdminOnly => (
                tr.t("console-error-forbidden-title"),
                tr.t("console-error-admin-only"),
                Vec::new(),
            ),
            // Field messages come from validation, in English for now.
            Self::Api(ApiError::App(AppError::Validation(errors))) => (
                tr.t("console-error-validation-title"),
                tr.t("console-error-validation"),
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect(),
            ),
            Self::Api(ApiError::App(AppError::Contraindicated(codes))) => (
                tr.t("console-error-contraindicated-title"),
                tr.t("console-error-contraindicated"),
                codes.iter().map(|c| tr.risk(c)).collect(),
            ),
            Self::Api(ApiError::App(AppError::NotFound)) => (
                tr.t("console-error-not-found-title"),
                tr.t("console-error-not-found"),
                Vec::new(),
            ),
            Self::Api(ApiError::App(AppError::Internal(msg))) => {
                tracing::error!(error = %msg, "internal error in the console");
                (
                    tr.t("console-error-internal-title"),
                    tr.t("console-error-internal"),
                    Vec::new(),
                )
            }
            Self::Api(e) => (tr.t("console-error-other-title"), e.to_string(), Vec::new()),
        };
        let body = html! {
            h1 { (title) }
            p { (detail) }
            @if !fields.is_empty() {
                ul { @for f in &fields { li { (f) } } }
            }
            p { a href="/console/flags" { (tr.t("console-back-to-queue")) } }
        };
        views::page(self.status_code(), tr, &title, None, body)
    }
}

pub type ConsoleResult<T> = Result<T, ConsoleError>;
