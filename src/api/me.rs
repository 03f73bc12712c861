use actix_web::{web, HttpResponse};
use serde_json::json;

use super::extract::{Caller, PatientCaller};
use crate::domain::account::Role;
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;
use crate::store::{accounts, clinics, patients};

/// Who the caller is: account, role, clinic and, for patients, their profile.
pub async fn get(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let body = state
        .db
        .run(move |c| {
            let account = accounts::get(c, &caller.account_id)?.ok_or(ApiError::Unauthorized(
                "the account behind this token no longer exists",
            ))?;
            let clinic_name = clinics::name(c, &account.clinic_id)?;
            let mut body = json!({
                "id": account.id,
                "role": account.role(),
                "name": account.name,
                "email": account.email,
                "clinic": {"id": account.clinic_id, "name": clinic_name},
            });
            if caller.role == Role::Patient {
                let p = patients::get(c, &caller.scope(), &caller.account_id)?;
                body["timezone"] = json!(p.timezone);
                body["fitzpatrick"] = json!(p.fitzpatrick);
            }
            Ok(body)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Everything the service holds about the calling patient, as JSON.
pub async fn export(state: web::Data<AppState>, patient: PatientCaller) -> ApiResult<HttpResponse> {
    let now = chrono::Utc::now();
    let body = state
        .db
        .run(move |c| {
            let scope = patient.scope();
            let me = patients::get(c, &scope, &patient.account_id)?;
            let mut treatments = Vec::new();
            for t in crate::store::treatments::for_patient(c, &me.id)? {
                let ctx = crate::recovery::context(c, t)?;
                let logs = crate::store::daily_logs::for_treatment(c, &ctx.treatment.id)?;
                let reminders = crate::store::reminders::upcoming(c, &ctx.treatment.id, 0, 10_000)?;
                treatments.push(json!({
                    "treatment": super::views::treatment(&ctx, now),
                    "timeline": super::views::timeline(&ctx, &logs),
                    "logs": logs.iter().map(super::views::log).collect::<Vec<_>>(),
                    "flags": super::treatments::flags_of(c, &ctx.treatment.id, false)?,
                    "reminders": reminders.iter().map(super::reminders::occurrence).collect::<Vec<_>>(),
                }));
            }
            let prefs = crate::store::reminders::preferences(c, &me.id)?;
            let devices: Vec<_> = crate::store::push::subscriptions_of(c, &me.id)?
                .iter()
                .map(|s| {
                    let origin = url::Url::parse(&s.endpoint).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
                    json!({"push_service": origin, "registered_at": super::rfc3339(s.created_at)})
                })
                .collect();
            Ok(json!({
                "exported_at": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "patient": {
                    "id": me.id, "name": me.name, "email": me.email, "timezone": me.timezone,
                    "fitzpatrick": me.fitzpatrick, "created_at": super::rfc3339(me.created_at),
                },
                "preferences": prefs,
                "push_devices": devices,
                "treatments": treatments,
            }))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"aftercare-export.json\"",
        ))
        .json(body))
}

/// Erases the calling patient: account, profile, treatments, logs, flags,
/// reminders, devices and sessions. The clinic keeps its audit trail, which
/// holds ids and actions only.
pub async fn delete(state: web::Data<AppState>, patient: PatientCaller) -> ApiResult<HttpResponse> {
    state
        .db
        .write(move |c| {
            let me = patients::get(c, &patient.scope(), &patient.account_id)?;
            crate::store::push::drop_jobs_for_account(c, &me.id)?;
            accounts::delete(c, &me.id)?;
            crate::store::audit::record(
                c,
                &me.clinic_id,
                &me.id,
                "patient.erased",
                "patient",
                &me.id,
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
