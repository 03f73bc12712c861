//! Photos of a daily log: upload (the image is the body), list, fetch (full
//! or thumbnail) and delete. The use cases are in `app::photos`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};

use super::rfc3339;
use crate::app::photos::{self, Size};
use crate::app::{Caller, PatientCaller};
use crate::http::{ApiError, ApiResult, AppState};
use crate::media::image::ACCEPTED;
use crate::store::log_photos::LogPhoto;

/// Largest photo upload. The one body limit of the photo route, above the
/// API's 64 KiB for every other route.
pub const PHOTO_BODY_LIMIT: usize = 10 * 1024 * 1024;

pub fn parse_date(date: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .filter(|_| date.len() == 10)
        .ok_or_else(|| ApiError::field("date", "must be a calendar date YYYY-MM-DD"))
}

/// A photo's metadata as the API shows it.
pub fn photo_json(p: &LogPhoto) -> Value {
    json!({
        "id": p.id,
        "treatment_id": p.treatment_id,
        "log_date": p.log_date,
        "width": p.width,
        "height": p.height,
        "bytes": p.bytes,
        "content_type": "image/jpeg",
        "created_at": rfc3339(p.created_at),
        "updated_at": rfc3339(p.updated_at),
    })
}

fn unsupported() -> ApiError {
    ApiError::UnsupportedMediaType(format!(
        "send the photo as one of {} (HEIC photos are converted by the app first)",
        ACCEPTED.join(", ")
    ))
}

/// Stores the body as a photo of the day's log (201), or answers the photo
/// already stored under this id (200): an upload retried is idempotent.
pub async fn put(
    state: web::Data<AppState>,
    patient: PatientCaller,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let (id, date, photo_id) = path.into_inner();
    let date = parse_date(&date)?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    crate::media::image::format_of(&content_type).map_err(|_| unsupported())?;
    let too_large = || ApiError::PayloadTooLarge {
        limit: PHOTO_BODY_LIMIT,
    };
    // A declared length over the limit is refused before reading anything.
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > PHOTO_BODY_LIMIT as u64) {
        return Err(too_large());
    }
    let body = payload
        .to_bytes_limited(PHOTO_BODY_LIMIT)
        .await
        .map_err(|_| too_large())?
        .map_err(|e| {
            if e.as_error::<actix_web::error::PayloadError>()
                .is_some_and(crate::http::deadline::is_timeout)
            {
                ApiError::RequestTimeout
            } else {
                ApiError::BadRequest(format!("could not read the body: {e}"))
            }
        })?;
    if body.is_empty() {
        return Err(ApiError::field("body", "the photo is empty"));
    }
    let (photo, created) = photos::upload(
        &state.db,
        &state.media,
        state.photo_limits(),
        patient,
        id,
        date,
        photo_id,
        content_type,
        body.to_vec(),
    )
    .await?;
    Ok(if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(photo_json(&photo)))
}

/// The photos of a day's log (metadata only).
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, date) = path.into_inner();
    let date = parse_date(&date)?;
    let items: Vec<_> = photos::list(&state.db, &caller, id, date)
        .await?
        .iter()
        .map(photo_json)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeQuery {
    size: Option<String>,
}

impl SizeQuery {
    pub fn size(&self) -> ApiResult<Size> {
        match self.size.as_deref() {
            None | Some("full") => Ok(Size::Full),
            Some("thumb") => Ok(Size::Thumb),
            Some(_) => Err(ApiError::field("size", "must be full or thumb")),
        }
    }
}

/// The image as a response: private, never cached, shown inline under a
/// file name made only of the date and the (checked) id.
pub fn image_response(photo: &LogPhoto, size: Size, bytes: Vec<u8>) -> HttpResponse {
    let suffix = if size == Size::Thumb { "-thumb" } else { "" };
    HttpResponse::Ok()
        .content_type("image/jpeg")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "inline; filename=\"photo-{}-{}{suffix}.jpg\"",
                photo.log_date, photo.id
            ),
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes)
}

/// One photo, full size or `?size=thumb`; staff reads are audited.
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String, String)>,
    q: web::Query<SizeQuery>,
) -> ApiResult<HttpResponse> {
    let (id, date, photo_id) = path.into_inner();
    let date = parse_date(&date)?;
    let size = q.size()?;
    let (photo, bytes) =
        photos::read(&state.db, &state.media, &caller, id, date, photo_id, size).await?;
    Ok(image_response(&photo, size, bytes))
}

/// Deletes one of the patient's photos.
pub async fn delete(
    state: web::Data<AppState>,
    patient: PatientCaller,
    path: web::Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, date, photo_id) = path.into_inner();
    let date = parse_date(&date)?;
    photos::delete(&state.db, &state.media, patient, id, date, photo_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
