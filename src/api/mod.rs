//! HTTP handlers, one module per resource. Handlers parse, authorise (through
//! extractors), call the store and domain, and shape the response.

pub mod auth;
pub mod clinic;
pub mod extract;
pub mod flags;
pub mod health;
pub mod me;
pub mod patients;
pub mod photos;
pub mod protocols;
pub mod push;
pub mod reminders;
pub mod signs;
pub mod staff;
pub mod sync;
pub mod treatments;
pub mod views;

use actix_web::dev::ResourceDef;
use actix_web::http::{header, Method};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::AppError;
use crate::http::ApiError;

/// Registers every route and records it in `ROUTES`, so the route list that a
/// test compares with `openapi.yaml` is exactly what the server serves.
macro_rules! routes {
    ($( $method:ident $path:literal => $handler:path ),* $(,)?) => {
        /// Every (method, path) the server registers, in OpenAPI path syntax.
        pub const ROUTES: &[(&str, &str)] = &[ $( (stringify!($method), $path) ),* ];

        pub fn configure(cfg: &mut web::ServiceConfig) {
            $( cfg.route($path, web::method(Method::$method).to($handler)); )*
        }
    };
}

routes! {
    GET "/healthz" => health::healthz,
    GET "/readyz" => health::readyz,
    GET "/openapi.yaml" => health::openapi,
    GET "/metrics" => health::metrics,
    POST "/v1/auth/login" => auth::login,
    POST "/v1/auth/refresh" => auth::refresh,
    POST "/v1/auth/logout" => auth::logout,
    POST "/v1/auth/enrol" => auth::enrol,
    POST "/v1/auth/reset" => auth::reset,
    GET "/v1/me" => me::get,
    PATCH "/v1/me" => me::patch,
    DELETE "/v1/me" => me::delete,
    GET "/v1/me/export" => me::export,
    POST "/v1/me/password" => auth::change_password,
    GET "/v1/me/alerts" => clinic::my_alerts,
    PATCH "/v1/me/alerts" => clinic::patch_my_alerts,
    GET "/v1/clinic" => clinic::get,
    PATCH "/v1/clinic" => clinic::patch,
    GET "/v1/clinic/webhooks" => clinic::list_webhooks,
    POST "/v1/clinic/webhooks" => clinic::create_webhook,
    DELETE "/v1/clinic/webhooks/{id}" => clinic::delete_webhook,
    GET "/v1/clinic/webhooks/{id}/deliveries" => clinic::webhook_deliveries,
    GET "/v1/staff" => staff::list,
    POST "/v1/staff" => staff::create,
    PATCH "/v1/staff/{id}" => staff::patch,
    POST "/v1/staff/{id}/reset-code" => staff::reset_code,
    GET "/v1/audit" => staff::audit,
    GET "/v1/patients" => patients::list,
    POST "/v1/patients" => patients::create,
    GET "/v1/patients/{id}" => patients::get,
    PATCH "/v1/patients/{id}" => patients::patch,
    POST "/v1/patients/{id}/discharge" => patients::discharge,
    POST "/v1/patients/{id}/readmit" => patients::readmit,
    POST "/v1/patients/{id}/enrolment-codes" => patients::enrolment_code,
    GET "/v1/patients/{id}/recovery" => patients::recovery,
    POST "/v1/patients/{id}/treatments" => treatments::create,
    GET "/v1/me/treatments" => treatments::list_mine,
    GET "/v1/treatments/{id}" => treatments::get,
    PATCH "/v1/treatments/{id}" => treatments::patch,
    POST "/v1/treatments/{id}/cancel" => treatments::cancel,
    GET "/v1/treatments/{id}/timeline" => treatments::timeline,
    GET "/v1/treatments/{id}/care" => treatments::care,
    GET "/v1/treatments/{id}/logs" => treatments::list_logs,
    PUT "/v1/treatments/{id}/logs/{date}" => treatments::put_log,
    GET "/v1/treatments/{id}/logs/{date}/photos" => photos::list,
    PUT "/v1/treatments/{id}/logs/{date}/photos/{photo_id}" => photos::put,
    GET "/v1/treatments/{id}/logs/{date}/photos/{photo_id}" => photos::get,
    DELETE "/v1/treatments/{id}/logs/{date}/photos/{photo_id}" => photos::delete,
    GET "/v1/flags" => flags::queue,
    POST "/v1/flags/{id}/acknowledge" => flags::acknowledge,
    POST "/v1/flags/{id}/resolve" => flags::resolve,
    GET "/v1/flags/{id}/alerts" => clinic::flag_alerts,
    GET "/v1/push/vapid-public-key" => push::vapid_public_key,
    POST "/v1/push/subscriptions" => push::subscribe,
    DELETE "/v1/push/subscriptions" => push::unsubscribe,
    POST "/v1/push/devices" => push::register_device,
    DELETE "/v1/push/devices/{id}" => push::remove_device,
    GET "/v1/treatments/{id}/reminders" => reminders::get,
    PUT "/v1/treatments/{id}/reminders" => reminders::put,
    GET "/v1/treatments/{id}/deliveries" => reminders::deliveries,
    GET "/v1/me/preferences" => reminders::get_preferences,
    PATCH "/v1/me/preferences" => reminders::patch_preferences,
    POST "/v1/reminders/{id}/done" => reminders::done,
    GET "/v1/signs" => signs::list,
    GET "/v1/protocols/current" => protocols::current,
    POST "/v1/protocols" => protocols::create,
    GET "/v1/sync" => sync::pull,
    POST "/v1/sync" => sync::push,
}

/// Unknown paths are 404; known paths with another method are 405 with `Allow`.
pub async fn fallback(req: HttpRequest) -> HttpResponse {
    let allowed: Vec<&str> = ROUTES
        .iter()
        .filter(|(_, path)| ResourceDef::new(*path).is_match(req.path()))
        .map(|(method, _)| *method)
        .collect();
    if allowed.is_empty() {
        return actix_web::ResponseError::error_response(&ApiError::from(AppError::NotFound));
    }
    let mut res = actix_web::ResponseError::error_response(&ApiError::MethodNotAllowed(format!(
        "{} is not supported here; use {}",
        req.method(),
        allowed.join(", ")
    )));
    if let Ok(v) = header::HeaderValue::from_str(&allowed.join(", ")) {
        res.headers_mut().insert(header::ALLOW, v);
    }
    res
}

/// Paging parameters shared by list endpoints.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl Page {
    pub const MAX: i64 = 200;

    /// (limit, offset), validated.
    pub fn bounds(&self) -> Result<(i64, i64), ApiError> {
        let limit = self.limit.unwrap_or(50);
        let offset = self.offset.unwrap_or(0);
        if !(1..=Self::MAX).contains(&limit) {
            return Err(ApiError::field(
                "limit",
                format!("must be between 1 and {}", Self::MAX),
            ));
        }
        if !(0..=1_000_000).contains(&offset) {
            return Err(ApiError::field("offset", "must be between 0 and 1000000"));
        }
        Ok((limit, offset))
    }
}

/// Formats stored milliseconds as RFC 3339 UTC.
/// `Content-Language` of an answer written in `locale`.
pub fn content_language(locale: crate::i18n::Locale) -> (header::HeaderName, &'static str) {
    (header::CONTENT_LANGUAGE, locale.as_str())
}

pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
