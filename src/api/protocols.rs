//! Healing-course protocols: clinics see the one new treatments start with,
//! and admins can tune their own as a new version.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::extract::Json;
use crate::app::{protocols, ClinicAdmin, ClinicStaff};
use crate::domain::protocol::Protocol;
use crate::http::{ApiError, ApiResult, AppState};

pub async fn current(state: web::Data<AppState>, staff: ClinicStaff) -> ApiResult<HttpResponse> {
    let current = protocols::current_protocol(&state.db, &staff).await?;
    Ok(HttpResponse::Ok().json(json!({
        "id": current.id,
        "name": current.protocol.name,
        "version": current.protocol.version,
        "clinic_specific": current.clinic_specific,
        "definition": serde_json::to_value(&*current.protocol).map_err(ApiError::internal)?,
    })))
}

pub async fn create(
    state: web::Data<AppState>,
    admin: ClinicAdmin,
    body: Json<Value>,
) -> ApiResult<HttpResponse> {
    let protocol =
        Protocol::from_json(&body.0.to_string()).map_err(|m| ApiError::field("definition", m))?;
    let (id, version) = protocols::create_protocol(&state.db, admin, protocol).await?;
    Ok(HttpResponse::Created().json(json!({ "id": id, "version": version })))
}
