//! Patients of a clinic, for its clinicians and admins.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::extract::{ClinicStaff, Json};
use super::Page;
use crate::domain::account::{Email, PersonName, TimeZone};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::startup::AppState;
use crate::store::{audit, enrolment_codes, patients};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPatient {
    name: String,
    email: String,
    timezone: String,
    fitzpatrick: i64,
}

#[derive(Serialize)]
pub struct PatientView {
    id: String,
    name: String,
    email: String,
    timezone: String,
    fitzpatrick: i32,
    enrolled: bool,
    created_at: String,
}

impl From<patients::Patient> for PatientView {
    fn from(p: patients::Patient) -> Self {
        Self {
            id: p.id,
            name: p.name,
            email: p.email,
            timezone: p.timezone,
            fitzpatrick: p.fitzpatrick,
            enrolled: p.enrolled,
            created_at: super::rfc3339(p.created_at),
        }
    }
}

pub async fn create(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    body: Json<NewPatient>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let name = PersonName::parse(&body.name);
    let email = Email::parse(&body.email);
    let timezone = TimeZone::parse(&body.timezone);
    let fitzpatrick = if (1..=6).contains(&body.fitzpatrick) {
        Ok(body.fitzpatrick as i32)
    } else {
        Err("must be a Fitzpatrick skin type from 1 (I) to 6 (VI)".to_string())
    };
    let (Ok(name), Ok(email), Ok(timezone), Ok(fitzpatrick)) =
        (&name, &email, &timezone, &fitzpatrick)
    else {
        let errors = [
            ("name", name.err()),
            ("email", email.err()),
            ("timezone", timezone.err()),
            ("fitzpatrick", fitzpatrick.err()),
        ]
        .into_iter()
        .filter_map(|(f, e)| {
            e.map(|message| FieldError {
                field: f.into(),
                message,
            })
        })
        .collect();
        return Err(ApiError::Validation(errors));
    };
    let (name, email, timezone, fitzpatrick) =
        (name.clone(), email.clone(), *timezone, *fitzpatrick);
    let patient = state
        .db
        .write(move |c| {
            let id = patients::create(
                c,
                patients::NewPatient {
                    clinic_id: &staff.clinic_id,
                    created_by: &staff.account_id,
                    name: &name,
                    email: &email,
                    timezone,
                    fitzpatrick,
                },
            )?;
            audit::record(
                c,
                &staff.clinic_id,
                &staff.account_id,
                "patient.create",
                "patient",
                &id,
            )?;
            patients::get(c, &staff.scope(), &id)
        })
        .await?;
    Ok(HttpResponse::Created().json(PatientView::from(patient)))
}

pub async fn list(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let (limit, offset) = page.bounds()?;
    let items = state
        .db
        .run(move |c| {
            let items = patients::list(c, &staff.clinic_id, limit, offset)?;
            audit::record(
                c,
                &staff.clinic_id,
                &staff.account_id,
                "patient.list",
                "clinic",
                &staff.clinic_id,
            )?;
            Ok(items)
        })
        .await?;
    let items: Vec<PatientView> = items.into_iter().map(PatientView::from).collect();
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "items": items, "limit": limit, "offset": offset })))
}

pub async fn get(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let patient = state
        .db
        .write(move |c| {
            let p = patients::get(c, &staff.scope(), &id)?;
            audit::record(
                c,
                &staff.clinic_id,
                &staff.account_id,
                "patient.read",
                "patient",
                &id,
            )?;
            Ok(p)
        })
        .await?;
    Ok(HttpResponse::Ok().json(PatientView::from(patient)))
}

pub async fn enrolment_code(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let ttl = state.config.enrolment_code_ttl.as_millis() as i64;
    let (code, expires_at) = state
        .db
        .write(move |c| {
            let p = patients::get(c, &staff.scope(), &id)?;
            let issued =
                enrolment_codes::create(c, &p.id, &staff.clinic_id, &staff.account_id, ttl)?;
            audit::record(
                c,
                &staff.clinic_id,
                &staff.account_id,
                "enrolment_code.create",
                "patient",
                &p.id,
            )?;
            Ok(issued)
        })
        .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({
        "code": code,
        "expires_at": super::rfc3339(expires_at),
    })))
}

/// Everything about one patient's recovery in one response (audited).
pub async fn recovery(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let now = chrono::Utc::now();
    let body = state
        .db
        .write(move |c| {
            let scope = staff.scope();
            let patient = patients::get(c, &scope, &id)?;
            let mut items = Vec::new();
            for t in crate::store::treatments::for_patient(c, &patient.id)? {
                let ctx = crate::recovery::context(c, t)?;
                let logs = crate::store::daily_logs::for_treatment(c, &ctx.treatment.id)?;
                items.push(serde_json::json!({
                    "treatment": super::views::treatment(&ctx, now),
                    "timeline": super::views::timeline(&ctx, &logs),
                    "logs": logs.iter().map(super::views::log).collect::<Vec<_>>(),
                    "flags": super::treatments::flags_of(c, &ctx.treatment.id, true)?,
                    "adherence": crate::store::reminders::adherence(c, &ctx.treatment.id, now.timestamp_millis())?
                        .into_iter()
                        .map(|(kind, due, done)| serde_json::json!({"kind": kind, "due": due, "done": done}))
                        .collect::<Vec<_>>(),
                }));
            }
            audit::record(
                c,
                &staff.clinic_id,
                &staff.account_id,
                "recovery.read",
                "patient",
                &patient.id,
            )?;
            Ok(serde_json::json!({ "patient": PatientView::from(patient), "treatments": items }))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}
