//! Patients of a clinic, for its clinicians and admins.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::extract::{AcceptLanguage, Json};
use super::{views, Page};
use crate::app::clinic::{self, NewPatient};
use crate::app::corrections::{self, PatientPatch};
use crate::app::{words, ClinicStaff};
use crate::http::{ApiError, ApiResult, AppState};
use crate::i18n::Locale;
use crate::store::patients::{self, Standing};

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
    discharged_at: Option<String>,
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
            discharged_at: p.discharged_at.map(super::rfc3339),
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

pub async fn list(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, offset) = Page {
        limit: q.limit,
        offset: q.offset,
    }
    .bounds()?;
    // Discharged patients are listed apart from those in care.
    let standing = match q.status.as_deref() {
        None | Some("active") => Standing::Active,
        Some("discharged") => Standing::Discharged,
        Some("all") => Standing::All,
        Some(_) => {
            return Err(ApiError::field(
                "status",
                "must be active, discharged or all",
            ))
        }
    };
    let items = clinic::list_patients(&state.db, staff, standing, limit, offset).await?;
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
                "treatment": views::staff_treatment(&t.ctx, now),
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

/// Corrects the patient's name, e-mail, time zone or skin type (audited
/// with old and new values).
pub async fn patch(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
    body: Json<PatientPatch>,
) -> ApiResult<HttpResponse> {
    let valid = body.0.validate()?;
    let patient = corrections::correct_patient(&state.db, staff, id.into_inner(), valid).await?;
    Ok(HttpResponse::Ok().json(PatientView::from(patient)))
}

/// Discharges the patient: reminders stop; flags and logs stay readable.
pub async fn discharge(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let patient = corrections::discharge(&state.db, staff, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(PatientView::from(patient)))
}

/// Takes a discharged patient back into care.
pub async fn readmit(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let patient = corrections::readmit(&state.db, staff, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(PatientView::from(patient)))
}
