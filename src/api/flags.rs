//! The clinic's review queue and flag acknowledgement / resolution.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::extract::{Json, OptionalJson};
use super::{views, Page};
use crate::app::clinic::{self, Review};
use crate::app::ClinicStaff;
use crate::http::{ApiResult, AppState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    status: Option<String>,
    severity: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

pub async fn queue(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    q: web::Query<QueueQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let (limit, offset) = Page {
        limit: q.limit,
        offset: q.offset,
    }
    .bounds()?;
    let status = q.status.as_deref().unwrap_or("open");
    let filter = clinic::queue_filter(&[status], q.severity.as_deref(), limit, offset)?;
    let items = clinic::read_queue(&state.db, staff, filter).await?;
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|(f, name)| {
            let mut v = views::flag(f, None);
            v["patient_name"] = json!(name);
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items, "limit": limit, "offset": offset })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReviewNote {
    note: Option<String>,
}

async fn review(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: String,
    note: Option<String>,
    review: Review,
) -> ApiResult<HttpResponse> {
    let note = clinic::review_note(review, note.as_deref())?;
    let (flag, events) = clinic::review_flag(&state.db, staff, id, review, note).await?;
    Ok(HttpResponse::Ok().json(views::flag(&flag, Some(&events))))
}

pub async fn acknowledge(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
    body: OptionalJson<ReviewNote>,
) -> ApiResult<HttpResponse> {
    review(
        state,
        staff,
        id.into_inner(),
        body.0.note,
        Review::Acknowledge,
    )
    .await
}

pub async fn resolve(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
    body: Json<ReviewNote>,
) -> ApiResult<HttpResponse> {
    review(state, staff, id.into_inner(), body.0.note, Review::Resolve).await
}
