//! Clinic staff management and the audit trail, for clinic admins.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::extract::Json;
use crate::app::accounts::StaffChange;
use crate::app::clinic::{self, NewStaff};
use crate::app::{accounts as app_accounts, ClinicAdmin};
use crate::domain::account::Role;
use crate::http::{ApiError, ApiResult, AppState};
use crate::store::accounts;

#[derive(Serialize)]
pub struct StaffMember {
    id: String,
    email: String,
    name: String,
    role: String,
    active: bool,
    created_at: String,
    /// Only when the server generated it; shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

impl From<accounts::Account> for StaffMember {
    fn from(a: accounts::Account) -> Self {
        Self {
            id: a.id,
            email: a.email,
            name: a.name,
            role: a.role,
            active: a.active,
            created_at: super::rfc3339(a.created_at),
            password: None,
        }
    }
}

pub async fn create(
    state: web::Data<AppState>,
    admin: ClinicAdmin,
    body: Json<NewStaff>,
) -> ApiResult<HttpResponse> {
    let valid = body.0.validate()?;
    let shown = valid.generated.then(|| valid.password.expose().to_string());
    let (member, _) = clinic::add_staff(&state.db, admin, valid).await?;
    let mut member = StaffMember::from(member);
    member.password = shown;
    Ok(HttpResponse::Created().json(member))
}

pub async fn list(state: web::Data<AppState>, admin: ClinicAdmin) -> ApiResult<HttpResponse> {
    let staff = app_accounts::staff(&state.db, &admin).await?;
    let items: Vec<StaffMember> = staff.into_iter().map(StaffMember::from).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

/// The clinic's audit trail, newest first; page with `before=<id>`.
pub async fn audit(
    state: web::Data<AppState>,
    admin: ClinicAdmin,
    q: web::Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 500"));
    }
    let before = q.before;
    let entries = app_accounts::audit_log(&state.db, &admin, before, limit).await?;
    let items: Vec<serde_json::Value> = entries
        .into_iter()
        .map(|e| {
            serde_json::json!({
                "id": e.id, "actor_id": e.actor_id, "action": e.action,
                "subject_type": e.subject_type, "subject_id": e.subject_id,
                "at": super::rfc3339(e.at),
                "details": e.details.as_deref().and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok()),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffPatch {
    #[serde(default, deserialize_with = "not_null")]
    active: Option<bool>,
    #[serde(default, deserialize_with = "not_null")]
    role: Option<String>,
}

/// An optional member that, when present, must not be `null`: the contract
/// types `active` and `role` as a boolean and a string, so `null` is refused
/// rather than read as "leave it".
fn not_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// Deactivates, reactivates or changes the role of a staff member.
pub async fn patch(
    state: web::Data<AppState>,
    admin: ClinicAdmin,
    path: web::Path<String>,
    body: Json<StaffPatch>,
) -> ApiResult<HttpResponse> {
    let StaffPatch { active, role } = body.0;
    let role = match role.as_deref().map(Role::parse) {
        None => None,
        Some(Ok(r)) if r != Role::Patient => Some(r),
        Some(_) => return Err(ApiError::field("role", "must be admin or clinician")),
    };
    if active.is_none() && role.is_none() {
        return Err(ApiError::field("body", "give `active`, `role` or both"));
    }
    let change = StaffChange { active, role };
    let member = app_accounts::change_staff(
        &state.db,
        &state.generations,
        admin,
        path.into_inner(),
        change,
    )
    .await?;
    Ok(HttpResponse::Ok().json(StaffMember::from(member)))
}

/// Issues a one-time password reset code for a staff member, shown once.
pub async fn reset_code(
    state: web::Data<AppState>,
    admin: ClinicAdmin,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (code, expires_at) =
        app_accounts::issue_reset_code(&state.db, admin, path.into_inner()).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({
        "code": code,
        "expires_at": super::rfc3339(expires_at),
    })))
}
