//! Reminder plans (clinicians edit), preferences (patients set), check-offs
//! and what was delivered.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::extract::Json;
use super::rfc3339;
use crate::app::error::deserialize_value;
use crate::app::reminders::{self, PlanView};
use crate::app::{Caller, ClinicStaff, PatientCaller};
use crate::domain::account::TimeZone;
use crate::domain::reminder::{Preferences, ReminderPlan};
use crate::http::{ApiError, ApiResult, AppState};
use crate::i18n::Locale;
use crate::store::reminders::OccurrenceRow;

pub fn occurrence(o: &OccurrenceRow) -> Value {
    json!({
        "id": o.id,
        "treatment_id": o.treatment_id,
        "kind": o.kind,
        "day": o.day,
        "local_date": o.local_date,
        "local_time": o.local_time,
        "due_at": rfc3339(o.due_at),
        "status": o.status,
        "done_at": o.done_at.map(rfc3339),
    })
}

fn plan_view(v: &PlanView) -> Value {
    json!({
        "treatment_id": v.treatment_id,
        "timezone": v.timezone,
        "plan": v.plan,
        "preferences": v.preferences,
        "upcoming": v.upcoming.iter().map(occurrence).collect::<Vec<_>>(),
    })
}

pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let view = reminders::plan(&state.db, &caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(plan_view(&view)))
}

/// A clinician replaces the treatment's plan; unsent occurrences follow it.
pub async fn put(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
    body: Json<Value>,
) -> ApiResult<HttpResponse> {
    let plan: ReminderPlan = deserialize_value(body.0)?;
    let view = reminders::replace_plan(&state.db, staff, id.into_inner(), plan).await?;
    Ok(HttpResponse::Ok().json(plan_view(&view)))
}

fn preferences_view(timezone: &str, locale: Locale, prefs: &Preferences) -> Value {
    let mut v = serde_json::to_value(prefs).unwrap_or(Value::Null);
    v["timezone"] = json!(timezone);
    v["locale"] = json!(locale);
    v
}

pub async fn get_preferences(
    state: web::Data<AppState>,
    patient: PatientCaller,
) -> ApiResult<HttpResponse> {
    let (tz, locale, prefs) = reminders::preferences(&state.db, &patient).await?;
    Ok(HttpResponse::Ok().json(preferences_view(&tz, locale, &prefs)))
}

/// The patient changes their zone, locale, quiet hours, times per kind or
/// opt-outs (merge-patch semantics); unsent reminders follow at once.
pub async fn patch_preferences(
    state: web::Data<AppState>,
    patient: PatientCaller,
    body: Json<Value>,
) -> ApiResult<HttpResponse> {
    let mut patch = body.0;
    let Some(obj) = patch.as_object_mut() else {
        return Err(ApiError::field("body", "must be a JSON object"));
    };
    let timezone = match obj.remove("timezone") {
        None => None,
        Some(Value::String(s)) => {
            Some(TimeZone::parse(&s).map_err(|m| ApiError::field("timezone", m))?)
        }
        Some(_) => {
            return Err(ApiError::field(
                "timezone",
                "must be an IANA time zone name",
            ))
        }
    };
    let locale = match obj.remove("locale") {
        None => None,
        Some(Value::String(s)) => {
            Some(Locale::parse(&s).map_err(|m| ApiError::field("locale", m))?)
        }
        Some(_) => {
            return Err(ApiError::field(
                "locale",
                "must be a BCP 47 language tag (en or tr)",
            ))
        }
    };
    let (tz, locale, prefs) =
        reminders::patch_preferences(&state.db, patient, timezone, locale, patch).await?;
    Ok(HttpResponse::Ok().json(preferences_view(&tz, locale, &prefs)))
}

/// The patient checks a reminder off (idempotent).
pub async fn done(
    state: web::Data<AppState>,
    patient: PatientCaller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let occ = reminders::check_off(&state.db, patient, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(occurrence(&occ)))
}

/// What was pushed for a treatment and how it went (staff).
pub async fn deliveries(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let jobs = reminders::deliveries(&state.db, &staff, id.into_inner()).await?;
    let items: Vec<Value> = jobs
        .iter()
        .map(|j| {
            let kind = serde_json::from_str::<Value>(&j.message)
                .ok()
                .and_then(|m| m["payload"]["kind"].as_str().map(String::from))
                .unwrap_or_else(|| "alert".into());
            json!({
                "id": j.id,
                "occurrence_id": j.occurrence_id,
                "kind": kind,
                "channel": crate::app::outbox::channel_of(j).as_str(),
                "status": j.status,
                "attempts": j.attempts,
                "last_status": j.last_status,
                "last_error": j.last_error,
                "created_at": rfc3339(j.created_at),
                "finished_at": j.finished_at.map(rfc3339),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
