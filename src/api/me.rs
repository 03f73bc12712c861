//! The caller's own account: who they are, and for patients their data
//! export and erasure.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::extract::Json;
use super::{reminders, rfc3339, views};
use crate::app::{accounts, privacy, Caller, ClinicStaff, PatientCaller};
use crate::http::{ApiError, ApiResult, AppState};
use crate::i18n::Locale;

/// Who the caller is: account, role, clinic and, for patients, their profile.
pub async fn get(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let me = accounts::me(&state.db, caller).await?;
    Ok(HttpResponse::Ok().json(me_json(&me)))
}

/// A staff member's own settings: `locale` (a supported BCP 47 tag). Only
/// known fields are taken.
pub async fn patch(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    body: Json<serde_json::Map<String, Value>>,
) -> ApiResult<HttpResponse> {
    let mut body = body.0;
    let locale = body.remove("locale");
    if let Some(unknown) = body.keys().next() {
        return Err(ApiError::field(unknown.as_str(), "unknown field"));
    }
    match locale {
        None => {}
        Some(Value::String(tag)) => {
            let locale = Locale::parse(&tag).map_err(|m| ApiError::field("locale", m))?;
            accounts::set_staff_locale(&state.db, staff.clone(), locale).await?;
        }
        Some(_) => return Err(ApiError::field("locale", "must be a language tag")),
    }
    let me = accounts::me(&state.db, (*staff).clone()).await?;
    Ok(HttpResponse::Ok().json(me_json(&me)))
}

fn me_json(me: &accounts::Me) -> Value {
    let a = &me.account;
    let mut body = json!({
        "id": a.id,
        "role": a.role(),
        "name": a.name,
        "email": a.email,
        "clinic": {"id": a.clinic_id, "name": me.clinic_name},
        "locale": a.locale(),
    });
    if let Some((timezone, fitzpatrick)) = &me.profile {
        body["timezone"] = json!(timezone);
        body["fitzpatrick"] = json!(fitzpatrick);
    }
    body
}

/// Everything the service holds about the calling patient, as JSON.
pub async fn export(state: web::Data<AppState>, patient: PatientCaller) -> ApiResult<HttpResponse> {
    let now = chrono::Utc::now();
    let e = privacy::export(&state.db, patient).await?;
    let locale = Locale::from_stored(&e.patient.locale);
    let treatments: Vec<_> = e
        .treatments
        .iter()
        .map(|t| {
            json!({
                "treatment": views::treatment(&t.ctx, now),
                "timeline": views::timeline(&t.ctx, &t.logs, locale),
                "logs": t.logs.iter().map(views::log).collect::<Vec<_>>(),
                "flags": t.flags.iter().map(|f| views::flag(f, None)).collect::<Vec<_>>(),
                "reminders": t.reminders.iter().map(reminders::occurrence).collect::<Vec<_>>(),
            })
        })
        .collect();
    let devices: Vec<_> = e
        .devices
        .iter()
        .map(|s| {
            // A native device's token is a capability: named by platform only.
            let origin = match s.platform.as_str() {
                "webpush" => url::Url::parse(&s.endpoint)
                    .map(|u| u.origin().ascii_serialization())
                    .unwrap_or_default(),
                other => other.to_string(),
            };
            json!({
                "id": s.id, "platform": s.platform, "push_service": origin,
                "app_id": s.app_id, "environment": s.environment, "locale": s.locale,
                "registered_at": rfc3339(s.created_at),
            })
        })
        .collect();
    let me = &e.patient;
    let body = json!({
        "exported_at": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "patient": {
            "id": me.id, "name": me.name, "email": me.email, "timezone": me.timezone,
            "fitzpatrick": me.fitzpatrick, "created_at": rfc3339(me.created_at),
            "locale": locale,
        },
        "preferences": e.preferences,
        "push_devices": devices,
        "treatments": treatments,
    });
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"aftercare-export.json\"",
        ))
        .json(body))
}

/// Erases the calling patient (see `app::privacy::erase`).
pub async fn delete(state: web::Data<AppState>, patient: PatientCaller) -> ApiResult<HttpResponse> {
    privacy::erase(&state.db, &state.generations, patient).await?;
    Ok(HttpResponse::NoContent().finish())
}
