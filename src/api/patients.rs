//! Patients of a clinic, for its clinicians and admins.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::extract::{AcceptLanguage, Json};
use super::{views, Page};
use crate::app::clinic::{self, NewPatient};
use crate::app::{words, ClinicStaff};
use crate::http::{ApiResult, AppState};
use crate::i18n::Locale;
use crate::store::patients;

#[derive(Serialize)]
pub struct PatientView {
    id: String,
    name: String,
    email: String,
    timezone: String,
    fitzpatrick: i32,
    enrolled: bool,
    created_at: String,
    /// The language of the patient's app texts and reminders.
    locale: Locale,
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
            locale: Locale::from_stored(&p.locale),
        }
    }
}

pub async fn create(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    body: Json<NewPatient>,
) -> ApiResult<HttpResponse> {
    let valid = body.0.validate()?;
    let patient = clinic::add_patient(&state.db, staff, valid).await?;
    Ok(HttpResponse::Created().json(PatientView::from(patient)))
}

pub async fn list(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let (limit, offset) = page.bounds()?;
    let items = clinic::list_patients(&state.db, staff, limit, offset).await?;
    let items: Vec<PatientView> = items.into_iter().map(PatientView::from).collect();
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "items": items, "limit": limit, "offset": offset })))
}

pub async fn get(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let patient = clinic::read_patient(&state.db, staff, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(PatientView::from(patient)))
}

pub async fn enrolment_code(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let ttl = state.config.enrolment_code_ttl.as_millis() as i64;
    let (_, code, expires_at) = clinic::issue_enrolment_code(&state.db, staff, id, ttl).await?;
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
    lang: AcceptLanguage,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let now = chrono::Utc::now();
    let locale = words::locale_of(&state.db, &staff.account_id, lang.0).await?;
    let (recovery, _) = clinic::read_recovery(&state.db, staff, id, now).await?;
    let items: Vec<serde_json::Value> = recovery
        .treatments
        .iter()
        .map(|t| {
            serde_json::json!({
                "treatment": views::treatment(&t.ctx, now),
                "timeline": views::timeline(&t.ctx, &t.logs, locale),
                "logs": t.logs.iter().map(views::log).collect::<Vec<_>>(),
                "flags": t.flags.iter().map(|f| views::flag(f, Some(&t.events))).collect::<Vec<_>>(),
                "adherence": t.adherence
                    .iter()
                    .map(|(kind, due, done)| serde_json::json!({"kind": kind, "due": due, "done": done}))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(
        serde_json::json!({ "patient": PatientView::from(recovery.patient), "treatments": items }),
    ))
}
