//! Treatments, their expected timeline, daily logs and care instructions.

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;

use super::extract::{AcceptLanguage, Json};
use super::{content_language, views};
use crate::app::clinic::{self, TreatmentRequest};
use crate::app::corrections::{self, TreatmentPatch};
use crate::app::AppError;
use crate::app::{recovery, words, Caller, ClinicStaff, PatientCaller};
use crate::domain::log::{LogEntry, RawLog};
use crate::domain::treatment::CancelReason;
use crate::http::{ApiError, ApiResult, AppState, FieldError};

pub async fn create(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    patient_id: web::Path<String>,
    body: Json<TreatmentRequest>,
) -> ApiResult<HttpResponse> {
    let now = Utc::now();
    let new = body.0.validate(now)?;
    let reg = clinic::register_treatment(&state.db, staff, patient_id.into_inner(), new).await?;
    let mut view = views::treatment(&reg.ctx, now);
    view["warnings"] = json!(reg.warnings);
    Ok(HttpResponse::Created().json(view))
}

pub async fn list_mine(
    state: web::Data<AppState>,
    patient: PatientCaller,
) -> ApiResult<HttpResponse> {
    let now = Utc::now();
    let items: Vec<_> = recovery::my_treatments(&state.db, &patient)
        .await?
        .iter()
        .map(|ctx| views::treatment(ctx, now))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let ctx = recovery::treatment(&state.db, &caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(views::treatment(&ctx, Utc::now())))
}

pub async fn timeline(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    lang: AcceptLanguage,
) -> ApiResult<HttpResponse> {
    let (ctx, logs, locale) =
        recovery::timeline(&state.db, &caller, id.into_inner(), lang.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(content_language(locale))
        .json(views::timeline(&ctx, &logs, locale)))
}

pub async fn care(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    lang: AcceptLanguage,
) -> ApiResult<HttpResponse> {
    let (ctx, locale) = recovery::care(&state.db, &caller, id.into_inner(), lang.0).await?;
    let today = ctx.today(Utc::now());
    let care = words::care(&ctx.care(ctx.day_of(today)), locale);
    let mut v = serde_json::to_value(care).map_err(ApiError::internal)?;
    v["date"] = json!(today);
    v["treatment_id"] = json!(ctx.treatment.id);
    v["locale"] = json!(locale);
    Ok(HttpResponse::Ok()
        .insert_header(content_language(locale))
        .json(v))
}

pub async fn list_logs(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let logs = recovery::logs(&state.db, &caller, id.into_inner()).await?;
    let items: Vec<_> = logs.iter().map(views::log).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogRequest {
    redness: i64,
    swelling: i64,
    flaking: i64,
    sensitivity: i64,
    #[serde(default)]
    signs: Vec<String>,
    note: Option<String>,
}

/// Records the day's log; the same date again replaces it. Answers with the
/// stored log and its assessment.
pub async fn put_log(
    state: web::Data<AppState>,
    patient: PatientCaller,
    path: web::Path<(String, String)>,
    lang: AcceptLanguage,
    body: Json<LogRequest>,
) -> ApiResult<HttpResponse> {
    let (id, date) = path.into_inner();
    let date = NaiveDate::parse_from_str(&date, "%Y-%m-%d")
        .ok()
        .filter(|_| date.len() == 10)
        .ok_or_else(|| ApiError::field("date", "must be a calendar date YYYY-MM-DD"))?;
    let b = body.0;
    let entry = LogEntry::parse(RawLog {
        redness: b.redness,
        swelling: b.swelling,
        flaking: b.flaking,
        sensitivity: b.sensitivity,
        signs: &b.signs,
        note: b.note.as_deref(),
    })
    .map_err(|errs| {
        AppError::Validation(
            errs.into_iter()
                .map(|(field, message)| FieldError { field, message })
                .collect(),
        )
    })?;
    let (created, recorded, locale) =
        recovery::put_log(&state.db, patient, id, date, entry, lang.0).await?;
    let flags: Vec<_> = recorded
        .flags
        .iter()
        .map(|f| views::patient_flag(f, locale))
        .collect();
    let view = json!({
        "log": views::log(&recorded.log),
        "assessment": {
            "day": recorded.log.day,
            "standings": recorded.assessment.standings,
            "flags": flags,
        },
        "emergency_advice": recorded.emergency_advice.map(|m| m.render(locale)),
        "locale": locale,
    });
    Ok(if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .insert_header(content_language(locale))
    .json(view))
}

/// Corrects a treatment within the correction window: reminders re-planned,
/// logs re-assessed, old and new values audited.
pub async fn patch(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
    body: Json<TreatmentPatch>,
) -> ApiResult<HttpResponse> {
    let done = corrections::correct_treatment(&state.db, staff, id.into_inner(), body.0).await?;
    let mut view = views::staff_treatment(&done.ctx, Utc::now());
    view["warnings"] = json!(done.warnings);
    view["correction"] = json!({
        "changes": done.changes,
        "plan_regenerated": done.plan_regenerated,
        "flags_resolved": done.resolved.iter().map(|f| views::flag(f, None)).collect::<Vec<_>>(),
        "flags_raised": done.raised.iter().map(|f| views::flag(f, None)).collect::<Vec<_>>(),
    });
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    reason: String,
}

/// Cancels a treatment registered by mistake (reason required).
pub async fn cancel(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
    body: Json<CancelRequest>,
) -> ApiResult<HttpResponse> {
    let reason = CancelReason::parse(&body.0.reason).map_err(|m| ApiError::field("reason", m))?;
    let ctx = corrections::cancel_treatment(&state.db, staff, id.into_inner(), reason).await?;
    Ok(HttpResponse::Ok().json(views::staff_treatment(&ctx, Utc::now())))
}
