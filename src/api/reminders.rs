//! Reminder plans (clinicians edit), preferences (patients set), check-offs
//! and what was delivered.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde_json::{json, Value};

use super::extract::{Caller, ClinicStaff, Json, PatientCaller};
use super::treatments::read_treatment;
use super::{parse_json_value, rfc3339};
use crate::db::DbConn;
use crate::domain::account::TimeZone;
use crate::domain::reminder::{Preferences, ReminderPlan};
use crate::error::{ApiError, ApiResult};
use crate::push::scheduler;
use crate::recovery::{self, TreatmentCtx};
use crate::startup::AppState;
use crate::store::reminders::OccurrenceRow;
use crate::store::{audit, patients, push as push_store, reminders};

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

fn plan_view(c: &mut DbConn, ctx: &TreatmentCtx) -> ApiResult<Value> {
    let (plan, _) = reminders::plan(c, &ctx.treatment.id)?;
    let prefs = reminders::preferences(c, &ctx.treatment.patient_id)?;
    let upcoming = reminders::upcoming(c, &ctx.treatment.id, Utc::now().timestamp_millis(), 50)?;
    Ok(json!({
        "treatment_id": ctx.treatment.id,
        "timezone": ctx.tz.name(),
        "plan": plan,
        "preferences": prefs,
        "upcoming": upcoming.iter().map(occurrence).collect::<Vec<_>>(),
    }))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_treatment(
        &state,
        &caller,
        id.into_inner(),
        "reminders.read",
        plan_view,
    )
    .await
}

/// A clinician replaces the treatment's plan; unsent occurrences follow it.
pub async fn put(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
    body: Json<Value>,
) -> ApiResult<HttpResponse> {
    let plan: ReminderPlan = parse_json_value(body.0)?;
    plan.validate().map_err(|m| ApiError::field("rules", m))?;
    let id = id.into_inner();
    let view = state
        .db
        .write(move |c| {
            let ctx = recovery::load(c, &staff.scope(), &id)?;
            let seq = patients::bump_change_seq(c, &ctx.treatment.patient_id)?;
            reminders::set_plan(c, &id, &plan, &staff.account_id, seq)?;
            scheduler::replan(c, &ctx, Utc::now())?;
            audit::record(
                c,
                &staff.clinic_id,
                &staff.account_id,
                "reminders.update",
                "treatment",
                &id,
            )?;
            plan_view(c, &ctx)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

fn preferences_view(timezone: &str, prefs: &Preferences) -> Value {
    let mut v = serde_json::to_value(prefs).unwrap_or(Value::Null);
    v["timezone"] = json!(timezone);
    v
}

pub async fn get_preferences(
    state: web::Data<AppState>,
    patient: PatientCaller,
) -> ApiResult<HttpResponse> {
    let view = state
        .db
        .run(move |c| {
            let (tz, _) = patients::profile(c, &patient.account_id)?;
            Ok(preferences_view(
                &tz,
                &reminders::preferences(c, &patient.account_id)?,
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// JSON Merge Patch (RFC 7396): members replace, `null` removes, objects merge.
fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// The patient changes their zone, quiet hours, times per kind or opt-outs
/// (merge-patch semantics); unsent reminders follow at once.
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
    let view = state
        .db
        .write(move |c| {
            let current = reminders::preferences(c, &patient.account_id)?;
            let mut merged = serde_json::to_value(&current).map_err(ApiError::internal)?;
            merge_patch(&mut merged, &patch);
            let prefs: Preferences = parse_json_value(merged)?;
            prefs
                .validate()
                .map_err(|m| ApiError::field("preferences", m))?;
            let seq = patients::bump_change_seq(c, &patient.account_id)?;
            if let Some(tz) = timezone {
                patients::set_timezone(c, &patient.account_id, tz.name())?;
            }
            reminders::set_preferences(c, &patient.account_id, &prefs, seq)?;
            scheduler::replan_patient(c, &patient.account_id, &patient.clinic_id, Utc::now())?;
            let (tz, _) = patients::profile(c, &patient.account_id)?;
            Ok(preferences_view(&tz, &prefs))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The patient checks a reminder off (idempotent).
pub async fn done(
    state: web::Data<AppState>,
    patient: PatientCaller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let view = state
        .db
        .write(move |c| {
            let occ = reminders::get(c, &id)?
                .filter(|o| patient.scope().allows(&o.patient_id, &o.clinic_id))
                .ok_or(ApiError::NotFound)?;
            if occ.done_at.is_none() {
                let seq = patients::bump_change_seq(c, &occ.patient_id)?;
                reminders::mark_done(c, &id, Utc::now().timestamp_millis(), seq)?;
            }
            let occ = reminders::get(c, &id)?.ok_or(ApiError::NotFound)?;
            Ok(occurrence(&occ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// What was pushed for a treatment and how it went (staff).
pub async fn deliveries(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_treatment(
        &state,
        &staff,
        id.into_inner(),
        "deliveries.read",
        |c, ctx| {
            let items: Vec<Value> = push_store::for_treatment(c, &ctx.treatment.id, 200)?
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
                        "status": j.status,
                        "attempts": j.attempts,
                        "last_status": j.last_status,
                        "last_error": j.last_error,
                        "created_at": rfc3339(j.created_at),
                        "finished_at": j.finished_at.map(rfc3339),
                    })
                })
                .collect();
            Ok(json!({ "items": items }))
        },
    )
    .await
}
