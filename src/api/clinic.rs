//! The clinic's settings, its webhooks, each staff member's own alert
//! channels, and a flag's alert history.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::extract::Json;
use super::rfc3339;
use crate::app::alert_settings::{self, ChannelsPatch, ClinicPatch, NewWebhook};
use crate::app::alerts::{self, AlertRecord};
use crate::app::error::deserialize_value;
use crate::app::{ClinicAdmin, ClinicStaff};
use crate::http::{ApiError, ApiResult, AppState};
use crate::store::alerts::Delivery;
use crate::store::webhooks::Webhook;

pub async fn get(state: web::Data<AppState>, staff: ClinicStaff) -> ApiResult<HttpResponse> {
    let settings = alert_settings::clinic_settings(&state.db, &staff).await?;
    Ok(HttpResponse::Ok().json(settings))
}

/// A merge-style body: a JSON object (serde would take a struct of optional
/// fields from an array too).
type Object = Json<serde_json::Map<String, serde_json::Value>>;

pub async fn patch(
    state: web::Data<AppState>,
    admin: ClinicAdmin,
    body: Object,
) -> ApiResult<HttpResponse> {
    let patch: ClinicPatch = deserialize_value(body.0.into())?;
    let settings = alert_settings::update_clinic(&state.db, admin, patch).await?;
    Ok(HttpResponse::Ok().json(settings))
}

fn webhook(w: &Webhook) -> serde_json::Value {
    json!({"id": w.id, "url": w.url, "created_at": rfc3339(w.created_at)})
}

pub async fn create_webhook(
    state: web::Data<AppState>,
    admin: ClinicAdmin,
    body: Json<NewWebhook>,
) -> ApiResult<HttpResponse> {
    let allow_insecure = state.config.push_allow_insecure;
    let hook = alert_settings::create_webhook(&state.db, admin, body.0, allow_insecure).await?;
    let mut v = webhook(&hook);
    // The only time the secret is shown.
    v["secret"] = json!(hook.secret);
    Ok(HttpResponse::Created().json(v))
}

pub async fn list_webhooks(
    state: web::Data<AppState>,
    admin: ClinicAdmin,
) -> ApiResult<HttpResponse> {
    let hooks = alert_settings::list_webhooks(&state.db, &admin).await?;
    let items: Vec<_> = hooks.iter().map(webhook).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

pub async fn delete_webhook(
    state: web::Data<AppState>,
    admin: ClinicAdmin,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    alert_settings::delete_webhook(&state.db, admin, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    limit: Option<i64>,
}

fn delivery(d: &Delivery) -> serde_json::Value {
    json!({
        "event": d.event,
        "flag_id": d.flag_id,
        "status": d.status,
        "attempts": d.attempts,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "created_at": rfc3339(d.created_at),
        "finished_at": d.finished_at.map(rfc3339),
    })
}

pub async fn webhook_deliveries(
    state: web::Data<AppState>,
    admin: ClinicAdmin,
    id: web::Path<String>,
    q: web::Query<Limit>,
) -> ApiResult<HttpResponse> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 200"));
    }
    let items =
        alert_settings::webhook_deliveries(&state.db, &admin, id.into_inner(), limit).await?;
    let items: Vec<_> = items.iter().map(delivery).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

pub async fn my_alerts(state: web::Data<AppState>, staff: ClinicStaff) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(alert_settings::my_channels(&state.db, &staff).await?))
}

pub async fn patch_my_alerts(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    body: Object,
) -> ApiResult<HttpResponse> {
    let patch: ChannelsPatch = deserialize_value(body.0.into())?;
    Ok(HttpResponse::Ok().json(alert_settings::set_my_channels(&state.db, staff, patch).await?))
}

fn record(r: &AlertRecord) -> serde_json::Value {
    json!({
        "event": r.event,
        "channel": r.channel,
        "recipient_kind": r.recipient_kind,
        "recipient": r.recipient,
        "status": r.status,
        "attempts": r.attempts,
        "last_status": r.last_status,
        "last_error": r.last_error,
        "created_at": rfc3339(r.created_at),
        "finished_at": r.finished_at.map(rfc3339),
        "tries": r.tries.iter().map(|t| json!({
            "at": rfc3339(t.at),
            "outcome": t.outcome,
            "status": t.status,
            "error": t.error,
        })).collect::<Vec<_>>(),
    })
}

/// Which alerts a flag sent, to whom (kind), when, and what came of them.
pub async fn flag_alerts(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let items = alerts::history(&state.db, &staff, id.into_inner()).await?;
    let items: Vec<_> = items.iter().map(record).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
