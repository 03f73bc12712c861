//! The WatermelonDB sync endpoints; the protocol itself is in `app::sync`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::extract::{is_json, parse_json};
use crate::app::sync::{self, PushBody, PUSH_MAX_RECORDS};
use crate::app::PatientCaller;
use crate::http::{ApiError, ApiResult, AppState};

/// Largest push body.
pub const PUSH_BODY_LIMIT: usize = 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullQuery {
    last_pulled_at: Option<String>,
    schema_version: Option<String>,
    migration: Option<String>,
}

/// `null` (the literal WatermelonDB sends on a first sync) or a cursor.
fn parse_cursor(raw: Option<&str>) -> ApiResult<Option<i64>> {
    match raw {
        None | Some("null") | Some("") => Ok(None),
        // Plain digits only, as the spec's pattern says: no sign, no spaces.
        Some(s) if (1..=18).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Some(s.parse().expect("18 digits fit in an i64")))
        }
        Some(_) => Err(ApiError::field(
            "last_pulled_at",
            "must be null or a timestamp from an earlier pull",
        )),
    }
}

pub async fn pull(
    state: web::Data<AppState>,
    patient: PatientCaller,
    q: web::Query<PullQuery>,
) -> ApiResult<HttpResponse> {
    // Not used, but bounded like any other input.
    if q.schema_version
        .as_ref()
        .is_some_and(|v| v.chars().count() > 32)
    {
        return Err(ApiError::field(
            "schema_version",
            "must be at most 32 characters",
        ));
    }
    if q.migration
        .as_ref()
        .is_some_and(|v| v.chars().count() > 4096)
    {
        return Err(ApiError::field(
            "migration",
            "must be at most 4096 characters",
        ));
    }
    let last = parse_cursor(q.last_pulled_at.as_deref())?;
    let body = sync::pull(&state.db, &patient, last).await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushQuery {
    last_pulled_at: Option<String>,
}

pub async fn push(
    state: web::Data<AppState>,
    patient: PatientCaller,
    q: web::Query<PushQuery>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let last = parse_cursor(q.last_pulled_at.as_deref())?.unwrap_or(0);
    if !is_json(&req) {
        return Err(ApiError::UnsupportedMediaType(
            "send the body as Content-Type: application/json".into(),
        ));
    }
    let bytes = payload
        .to_bytes_limited(PUSH_BODY_LIMIT)
        .await
        .map_err(|_| ApiError::PayloadTooLarge {
            limit: PUSH_BODY_LIMIT,
        })?
        .map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
    let body: PushBody = parse_json(&bytes)?;
    let count: usize = body
        .changes
        .values()
        .map(|t| t.created.len() + t.updated.len() + t.deleted.len())
        .sum();
    if count > PUSH_MAX_RECORDS {
        return Err(ApiError::field(
            "changes",
            format!("at most {PUSH_MAX_RECORDS} records per push; push in parts"),
        ));
    }
    sync::push(&state.db, patient, last, body).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
