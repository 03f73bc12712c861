//! The clinician console: server-rendered HTML pages under `/console/` for
//! clinic staff (sign-in, flag queue, patients, recovery pages, admin). It is
//! not part of the JSON contract in `openapi.yaml`. Handlers use the same
//! extractors' scope and the same `clinic` use cases as the API.

mod admin;
mod alerts;
mod auth;
mod chart;
mod corrections;
mod flags;
mod patients;
pub mod session;
mod views;

use actix_web::http::{header, StatusCode};
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, HttpResponse, ResponseError};
use maud::html;

use crate::app::AppError;
use crate::http::ApiError;

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
                resource("/alerts", "GET, POST")
                    .get(alerts::page)
                    .post(alerts::save),
            )
            .service(resource("/webhooks", "POST").post(alerts::add_webhook))
            .service(resource("/webhooks/{id}/delete", "POST").post(alerts::delete_webhook))
            .default_service(web::to(not_found)),
    );
}

/// A console page answering 405 (with `Allow`) to other methods; without
/// this, resources fall back to the scope's 404 page.
fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move || async move {
        let mut res = ConsoleError::Api(ApiError::MethodNotAllowed(format!(
            "this page accepts {allow} only"
        )))
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
        let (title, detail, fields) = match self {
            Self::SignIn => return views::see_other("/console/sign-in"),
            Self::Csrf => (
                "Form expired",
                "This form's security token is missing or stale. Go back, reload the page and try again."
                    .to_string(),
                Vec::new(),
            ),
            Self::AdminOnly => ("Not allowed", self.to_string(), Vec::new()),
            Self::Api(ApiError::App(AppError::Validation(errors))) => (
                "Please correct the form",
                "Some fields need another look:".to_string(),
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect(),
            ),
            Self::Api(ApiError::App(AppError::Contraindicated(codes))) => (
                "Contraindicated",
                "The treatment was not registered: these risk factors contraindicate it. \
                 To register it anyway, go back and give a reason for the override."
                    .to_string(),
                codes.iter().map(|c| crate::console::views::words(c)).collect(),
            ),
            Self::Api(ApiError::App(AppError::NotFound)) => (
                "Not found",
                "There is no such page, or it is not part of your clinic.".to_string(),
                Vec::new(),
            ),
            Self::Api(ApiError::App(AppError::Internal(msg))) => {
                tracing::error!(error = %msg, "internal error in the console");
                (
                    "Something went wrong",
                    "Something went wrong on our side; it has been logged.".to_string(),
                    Vec::new(),
                )
            }
            Self::Api(e) => ("Could not do that", e.to_string(), Vec::new()),
        };
        let body = html! {
            h1 { (title) }
            p { (detail) }
            @if !fields.is_empty() {
                ul { @for f in &fields { li { (f) } } }
            }
            p { a href="/console/flags" { "Back to the flag queue" } }
        };
        views::page(self.status_code(), title, None, body)
    }
}

pub type ConsoleResult<T> = Result<T, ConsoleError>;
