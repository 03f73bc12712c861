use actix_web::{web, HttpResponse};
use serde_json::json;

use super::extract::Caller;
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
