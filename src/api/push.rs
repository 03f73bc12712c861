//! Push subscriptions: patients' devices for reminders, clinicians' for
//! urgent-flag alerts.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::extract::Json;
use crate::app::devices::{self, NativeRegistration, NewDevice};
use crate::app::AppError;
use crate::app::Caller;
use crate::http::{ApiError, ApiResult, AppState, FieldError};
use crate::push::endpoint::{validate_endpoint, MAX_ENDPOINT_LEN};
use crate::push::message::validate_subscription_keys;

pub async fn vapid_public_key(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "public_key": state.vapid_public_key }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionKeys {
    p256dh: String,
    auth: String,
}

/// The browser's `PushSubscription.toJSON()`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SubscriptionRequest {
    endpoint: String,
    #[allow(dead_code)]
    expiration_time: Option<f64>,
    keys: SubscriptionKeys,
}

pub async fn subscribe(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<SubscriptionRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    if body.endpoint.len() > MAX_ENDPOINT_LEN {
        return Err(ApiError::field(
            "endpoint",
            format!("must be at most {MAX_ENDPOINT_LEN} characters"),
        ));
    }
    let mut errors = Vec::new();
    if let Err(m) = validate_endpoint(&body.endpoint, state.config.push_allow_insecure).await {
        errors.push(FieldError {
            field: "endpoint".into(),
            message: m,
        });
    }
    if let Err(m) = validate_subscription_keys(&body.keys.p256dh, &body.keys.auth) {
        let field = if m.contains("auth") {
            "keys.auth"
        } else {
            "keys.p256dh"
        };
        errors.push(FieldError {
            field: field.into(),
            message: m,
        });
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors).into());
    }
    let device = NewDevice {
        endpoint: body.endpoint,
        p256dh: body.keys.p256dh,
        auth: body.keys.auth,
    };
    // One status whether the endpoint was new, refreshed or someone else's.
    let id = devices::register_device(&state.db, caller, device).await?;
    Ok(HttpResponse::Created().json(json!({ "id": id })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unsubscribe {
    endpoint: String,
}

pub async fn unsubscribe(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<Unsubscribe>,
) -> ApiResult<HttpResponse> {
    devices::remove_device(&state.db, caller, body.0.endpoint).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A native app's FCM or APNs registration.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    platform: String,
    token: String,
    app_id: String,
    environment: Option<String>,
    locale: Option<String>,
}

pub async fn register_device(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<DeviceRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let registration = NativeRegistration {
        platform: b.platform,
        token: b.token,
        app_id: b.app_id,
        environment: b.environment,
        locale: b.locale,
    };
    let id = devices::register_native_device(&state.db, caller, registration).await?;
    Ok(HttpResponse::Created().json(json!({ "id": id })))
}

pub async fn remove_device(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    devices::remove_device_by_id(&state.db, caller, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
