//! Clinic staff management and the audit trail, for clinic admins.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::extract::{ClinicAdmin, Json};
use crate::auth::{generate_password, hash_password};
use crate::domain::account::{Email, Password, PersonName, Role};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::startup::AppState;
use crate::store::{accounts, audit};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    email: String,
    name: String,
    role: String,
    password: Option<String>,
}

#[derive(Serialize)]
pub struct StaffMember {
    id: String,
    email: String,
    name: String,
    role: String,
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
    let body = body.0;
    let mut errors = Vec::new();
    let mut check = |field: &str, r: Result<(), String>| {
        if let Err(message) = r {
            errors.push(FieldError {
                field: field.into(),
                message,
            });
        }
    };
    let email = Email::parse(&body.email);
    let name = PersonName::parse(&body.name);
    let role = match Role::parse(&body.role) {
        Ok(r) if r.is_staff() => Ok(r),
        _ => Err("must be `clinician` or `admin`".to_string()),
    };
    let generated = body.password.is_none();
    let password = Password::parse(&body.password.unwrap_or_else(generate_password));
    check("email", email.as_ref().map(|_| ()).map_err(Clone::clone));
    check("name", name.as_ref().map(|_| ()).map_err(Clone::clone));
    check("role", role.as_ref().map(|_| ()).map_err(Clone::clone));
    check(
        "password",
        password.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let (Ok(email), Ok(name), Ok(role), Ok(password)) = (email, name, role, password) else {
        return Err(ApiError::Validation(errors));
    };
    let shown = generated.then(|| password.expose().to_string());
    let hash = web::block(move || hash_password(&password)).await?;
    let member = state
        .db
        .write(move |c| {
            let id = accounts::create(
                c,
                accounts::NewAccount {
                    clinic_id: &admin.clinic_id,
                    role,
                    email: &email,
                    name: &name,
                    password_hash: Some(&hash),
                },
            )?;
            audit::record(
                c,
                &admin.clinic_id,
                &admin.account_id,
                "staff.create",
                "account",
                &id,
            )?;
            accounts::get(c, &id)?.ok_or(ApiError::NotFound)
        })
        .await?;
    let mut member = StaffMember::from(member);
    member.password = shown;
    Ok(HttpResponse::Created().json(member))
}

pub async fn list(state: web::Data<AppState>, admin: ClinicAdmin) -> ApiResult<HttpResponse> {
    let staff = state
        .db
        .run(move |c| accounts::list_staff(c, &admin.clinic_id))
        .await?;
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
    let entries = state
        .db
        .run(move |c| audit::list(c, &admin.clinic_id, before, limit))
        .await?;
    let items: Vec<serde_json::Value> = entries
        .into_iter()
        .map(|e| {
            serde_json::json!({
                "id": e.id, "actor_id": e.actor_id, "action": e.action,
                "subject_type": e.subject_type, "subject_id": e.subject_id,
                "at": super::rfc3339(e.at),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}
