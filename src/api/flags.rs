//! The clinic's review queue and flag acknowledgement / resolution.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::extract::{ClinicStaff, Json};
use super::{views, Page};
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;
use crate::store::flags::{self, QueueFilter};
use crate::store::{audit, patients};

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
    let status = q.status.unwrap_or_else(|| "open".into());
    if !["open", "acknowledged", "resolved"].contains(&status.as_str()) {
        return Err(ApiError::field(
            "status",
            "must be open, acknowledged or resolved",
        ));
    }
    if let Some(s) = &q.severity {
        if !["urgent", "review", "routine"].contains(&s.as_str()) {
            return Err(ApiError::field(
                "severity",
                "must be urgent, review or routine",
            ));
        }
    }
    let filter = QueueFilter {
        status,
        severity: q.severity,
        limit,
        offset,
    };
    let items = state
        .db
        .run(move |c| {
            let rows = flags::queue(c, &staff.clinic_id, &filter)?;
            audit::record(
                c,
                &staff.clinic_id,
                &staff.account_id,
                "flags.queue.read",
                "clinic",
                &staff.clinic_id,
            )?;
            Ok(rows)
        })
        .await?;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewNote {
    note: Option<String>,
}

const NOTE_MAX: usize = 2000;

fn clean_note(note: Option<String>, required: bool) -> ApiResult<Option<String>> {
    let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    match &note {
        None if required => Err(ApiError::field(
            "note",
            "a note is required to resolve a flag",
        )),
        Some(n) if n.chars().count() > NOTE_MAX => Err(ApiError::field(
            "note",
            format!("must be at most {NOTE_MAX} characters"),
        )),
        _ => Ok(note),
    }
}

async fn transition(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: String,
    note: Option<String>,
    from: &'static [&'static str],
    to: &'static str,
) -> ApiResult<HttpResponse> {
    let view = state
        .db
        .write(move |c| {
            let flag = flags::get(c, &staff.scope(), &id)?;
            let seq = patients::bump_change_seq(c, &flag.patient_id)?;
            let flag =
                flags::transition(c, &flag, from, to, &staff.account_id, note.as_deref(), seq)?;
            audit::record(
                c,
                &staff.clinic_id,
                &staff.account_id,
                &format!("flag.{to}"),
                "flag",
                &flag.id,
            )?;
            let events = flags::events(c, std::slice::from_ref(&flag.id))?;
            Ok(views::flag(&flag, Some(&events)))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn acknowledge(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
    body: Json<ReviewNote>,
) -> ApiResult<HttpResponse> {
    let note = clean_note(body.0.note, false)?;
    transition(
        state,
        staff,
        id.into_inner(),
        note,
        &["open"],
        "acknowledged",
    )
    .await
}

pub async fn resolve(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    id: web::Path<String>,
    body: Json<ReviewNote>,
) -> ApiResult<HttpResponse> {
    let note = clean_note(body.0.note, true)?;
    transition(
        state,
        staff,
        id.into_inner(),
        note,
        &["open", "acknowledged"],
        "resolved",
    )
    .await
}
