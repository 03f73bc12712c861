//! Treatments, their expected timeline, daily logs and care instructions.

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;

use super::extract::{Caller, ClinicStaff, Json, PatientCaller};
use super::views;
use crate::clinic::{self, TreatmentRequest};
use crate::domain::care::care_for_day;
use crate::domain::log::{LogEntry, RawLog};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::recovery;
use crate::startup::AppState;
use crate::store::{audit, daily_logs, flags, treatments};

pub async fn create(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    patient_id: web::Path<String>,
    body: Json<TreatmentRequest>,
) -> ApiResult<HttpResponse> {
    let now = Utc::now();
    let new = body.0.validate(now)?;
    let patient_id = patient_id.into_inner();
    let view = state
        .db
        .write(move |c| {
            let ctx = clinic::register_treatment(c, &staff, &patient_id, &new)?;
            Ok(views::treatment(&ctx, now))
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

pub async fn list_mine(
    state: web::Data<AppState>,
    patient: PatientCaller,
) -> ApiResult<HttpResponse> {
    let now = Utc::now();
    let items = state
        .db
        .run(move |c| {
            treatments::for_patient(c, &patient.account_id)?
                .into_iter()
                .map(|t| recovery::context(c, t).map(|ctx| views::treatment(&ctx, now)))
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// Answers a read of one treatment the caller may see: loads it through the
/// caller's scope, audits staff reads as `action`, and renders it with `view`.
pub async fn read_treatment<F>(
    state: &AppState,
    caller: &Caller,
    id: String,
    action: &'static str,
    view: F,
) -> ApiResult<HttpResponse>
where
    F: FnOnce(&mut crate::db::DbConn, &recovery::TreatmentCtx) -> ApiResult<serde_json::Value>
        + Send
        + 'static,
{
    let scope = caller.scope();
    let body = state
        .db
        .run(move |c| {
            let ctx = recovery::load(c, &scope, &id)?;
            audit::staff_read(c, &scope, action, "treatment", &id)?;
            view(c, &ctx)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
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
        "treatment.read",
        |_, ctx| Ok(views::treatment(ctx, Utc::now())),
    )
    .await
}

pub async fn timeline(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_treatment(
        &state,
        &caller,
        id.into_inner(),
        "timeline.read",
        |c, ctx| {
            let logs = daily_logs::for_treatment(c, &ctx.treatment.id)?;
            Ok(views::timeline(ctx, &logs))
        },
    )
    .await
}

pub async fn care(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_treatment(&state, &caller, id.into_inner(), "care.read", |_, ctx| {
        let today = ctx.today(Utc::now());
        let mut v = serde_json::to_value(care_for_day(ctx.day_of(today), ctx.depth, &ctx.addons))
            .map_err(ApiError::internal)?;
        v["date"] = json!(today);
        v["treatment_id"] = json!(ctx.treatment.id);
        Ok(v)
    })
    .await
}

pub async fn list_logs(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_treatment(&state, &caller, id.into_inner(), "logs.read", |c, ctx| {
        let items: Vec<_> = daily_logs::for_treatment(c, &ctx.treatment.id)?
            .iter()
            .map(views::log)
            .collect();
        Ok(json!({ "items": items }))
    })
    .await
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
        ApiError::Validation(
            errs.into_iter()
                .map(|(field, message)| FieldError { field, message })
                .collect(),
        )
    })?;
    let (created, view) = state
        .db
        .write(move |c| {
            let ctx = recovery::load(c, &patient.scope(), &id)?;
            let existed = daily_logs::dates_for_treatment(c, &id)?.contains(&date);
            let recorded = recovery::record_log(c, &ctx, None, date, &entry, Utc::now())?;
            let a = &recorded.assessment;
            Ok((
                !existed,
                json!({
                    "log": views::log(&recorded.log),
                    "assessment": {
                        "day": recorded.log.day,
                        "standings": a.standings,
                        "flags": recorded.flags.iter().map(|f| views::flag(f, None)).collect::<Vec<_>>(),
                    },
                }),
            ))
        })
        .await?;
    Ok(if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(view))
}

/// Flags of one treatment without clinician notes; patient or staff.
pub fn flags_of(
    c: &mut crate::db::DbConn,
    treatment_id: &str,
    with_events: bool,
) -> ApiResult<Vec<serde_json::Value>> {
    let list = flags::for_treatment(c, treatment_id)?;
    let events = if with_events {
        Some(flags::events(
            c,
            &list.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
        )?)
    } else {
        None
    };
    Ok(list
        .iter()
        .map(|f| views::flag(f, events.as_deref()))
        .collect())
}
