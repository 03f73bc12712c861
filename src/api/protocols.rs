//! Healing-course protocols: clinics see the one new treatments start with,
//! and admins can tune their own as a new version.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::extract::{ClinicAdmin, ClinicStaff, Json};
use crate::domain::protocol::Protocol;
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;
use crate::store::{audit, protocols};

pub async fn current(state: web::Data<AppState>, staff: ClinicStaff) -> ApiResult<HttpResponse> {
    let body = state
        .db
        .run(move |c| {
            let id = protocols::current_for_clinic(c, &staff.clinic_id)?;
            let protocol = protocols::get(c, &id)?;
            Ok(json!({
                "id": id,
                "name": protocol.name,
                "version": protocol.version,
                "clinic_specific": protocols::is_clinic_specific(c, &id)?,
                "definition": serde_json::to_value(&*protocol).map_err(ApiError::internal)?,
            }))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

pub async fn create(
    state: web::Data<AppState>,
    admin: ClinicAdmin,
    body: Json<Value>,
) -> ApiResult<HttpResponse> {
    let protocol =
        Protocol::from_json(&body.0.to_string()).map_err(|m| ApiError::field("definition", m))?;
    let (id, version) = state
        .db
        .write(move |c| {
            let created = protocols::create_for_clinic(c, &admin.clinic_id, protocol)?;
            audit::record(
                c,
                &admin.clinic_id,
                &admin.account_id,
                "protocol.create",
                "protocol",
                &created.0,
            )?;
            Ok(created)
        })
        .await?;
    Ok(HttpResponse::Created().json(json!({ "id": id, "version": version })))
}
