//! The caller's own account: who they are, and for patients their data
//! export and erasure.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::extract::Json;
use super::{reminders, rfc3339, views};
use crate::app::{accounts, privacy, Caller, ClinicStaff, PatientCaller};
use crate::http::{ApiError, ApiResult, AppState};
use crate::i18n::Locale;

/// Who the caller is: account, role, clinic and, for patients, their profile.
pub async fn get(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let me = accounts::me(&state.db, caller).await?;
    Ok(HttpResponse::Ok().json(me_json(&me)))
}

/// A staff member's own settings: `locale` (a supported BCP 47 tag). Only
/// known fields are taken.
pub async fn patch(
    state: web::Data<AppState>,
    staff: ClinicStaff,
    body: Json<serde_json::Map<String, Value>>,
) -> ApiResult<HttpResponse> {
    let mut body = body.0;
    let locale = body.remove("locale");
    if let Some(unknown) = body.keys().next() {
        return Err(ApiError::field(unknown.as_str(), "unknown field"));
    }
    match locale {
        None => {}
        Some(Value::String(tag)) => {
            let locale = Locale::parse(&tag).map_err(|m| ApiError::field("locale", m))?;
            accounts::set_staff_locale(&state.db, staff.clone(), locale).await?;
        }
        Some(_) => return Err(ApiError::field("locale", "must be a language tag")),
    }
    let me = accounts::me(&state.db, (*staff).clone()).await?;
    Ok(HttpResponse::Ok().json(me_json(&me)))
}

fn me_json(me: &accounts::Me) -> Value {
    let a = &me.account;
    let mut body = json!({
        "id": a.id,
        "role": a.role(),
        "name": a.name,
        "email": a.email,
        "clinic": {"id": a.clinic_id, "name": me.clinic_name},
        "locale": a.locale(),
    });
    if let Some((timezone, fitzpatrick)) = &me.profile {
        body["timezone"] = json!(timezone);
        body["fitzpatrick"] = json!(fitzpatrick);
    }
    body
}

/// Everything the service holds about the calling patient, as JSON.
pub async fn export(state: web::Data<AppState>, patient: PatientCaller) -> ApiResult<HttpResponse> {
    let now = chrono::Utc::now();
    let e = privacy::export(&state.db, patient).await?;
    let locale = Locale::from_stored(&e.patient.locale);
    let treatments: Vec<_> = e
        .treatments
        .iter()
        .map(|t| {
            json!({
                "treatment": views::treatment(&t.ctx, now),
                "timeline": views::timeline(&t.ctx, &t.logs, locale),
                "logs": t.logs.iter().map(views::log).collect::<Vec<_>>(),
                "flags": t.flags.iter().map(|f| views::flag(f, None)).collect::<Vec<_>>(),
                "reminders": t.reminders.iter().map(reminders::occurrence).collect::<Vec<_>>(),
                "photos": t.photos.iter().map(|p| {
                    let mut v = super::photos::photo_json(p);
                    v["file"] = json!(export_photo_name(p));
                    v
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    let devices: Vec<_> = e
        .devices
        .iter()
        .map(|s| {
            // A native device's token is a capability: named by platform only.
            let origin = match s.platform.as_str() {
                "webpush" => url::Url::parse(&s.endpoint)
                    .map(|u| u.origin().ascii_serialization())
                    .unwrap_or_default(),
                other => other.to_string(),
            };
            json!({
                "id": s.id, "platform": s.platform, "push_service": origin,
                "app_id": s.app_id, "environment": s.environment, "locale": s.locale,
                "registered_at": rfc3339(s.created_at),
            })
        })
        .collect();
    let me = &e.patient;
    let body = json!({
        "exported_at": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "patient": {
            "id": me.id, "name": me.name, "email": me.email, "timezone": me.timezone,
            "fitzpatrick": me.fitzpatrick, "created_at": rfc3339(me.created_at),
            "locale": locale,
        },
        "preferences": e.preferences,
        "push_devices": devices,
        "treatments": treatments,
    });
    // The photos' images, as stored (JPEG without metadata).
    let mut files = Vec::new();
    for p in e.treatments.iter().flat_map(|t| &t.photos) {
        let key = crate::media::full_key(&p.object_key);
        match state.media.get(&key).await {
            Ok(Some(bytes)) => files.push((export_photo_name(p), bytes)),
            Ok(None) => tracing::warn!(photo = %p.id, "an exported photo's object is missing"),
            Err(e) => return Err(ApiError::internal(e)),
        }
    }
    let json = serde_json::to_vec_pretty(&body).map_err(ApiError::internal)?;
    let zip = web::block(move || export_zip(&json, &files))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"aftercare-export.zip\"",
        ))
        .body(zip))
}

/// Where a photo is in the export's ZIP.
fn export_photo_name(p: &crate::store::log_photos::LogPhoto) -> String {
    format!("photos/{}/{}/{}.jpg", p.treatment_id, p.log_date, p.id)
}

/// `export.json` (deflated) and the photos (stored: JPEG is compressed
/// already) in one ZIP archive.
fn export_zip(json: &[u8], photos: &[(String, Vec<u8>)]) -> zip::result::ZipResult<Vec<u8>> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        "export.json",
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated),
    )?;
    zip.write_all(json)?;
    for (name, bytes) in photos {
        zip.start_file(
            name.as_str(),
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored),
        )?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// Erases the calling patient (see `app::privacy::erase`).
pub async fn delete(state: web::Data<AppState>, patient: PatientCaller) -> ApiResult<HttpResponse> {
    privacy::erase(&state.db, &state.media, &state.generations, patient).await?;
    Ok(HttpResponse::NoContent().finish())
}
