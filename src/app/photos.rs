//! Photos of the skin on a daily log: upload (decoded, oriented and
//! re-encoded without metadata), reading by the patient and the clinic's
//! staff (audited), deletion, and the sweep of objects with no row.
//!
//! An object is written before its row, so a crash between the two leaves
//! only an object no row names, which the sweep removes after a grace
//! period; a row is deleted before its objects, for the same reason.

use chrono::{DateTime, NaiveDate, Utc};

use super::actor::{Caller, PatientCaller};
use super::error::{AppError, AppResult};
use super::treatments as ctx_of;
use crate::db::{Db, DbConn, PatientWrite};
use crate::media::image::{self as img, PhotoError};
use crate::media::{self, MediaStore};
use crate::store::log_photos::{self, LogPhoto, NewPhoto};
use crate::store::{daily_logs, tombstones};

/// The sync table (and tombstone name) of photos.
pub const TABLE: &str = "log_photos";

/// Decodes at a time in this process: a large photo needs a few hundred MB
/// while it is decoded, turned and re-encoded.
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// How many photos a log and a patient may hold.
#[derive(Debug, Clone, Copy)]
pub struct PhotoLimits {
    pub per_log: u32,
    pub per_patient: u32,
}

/// Which rendition of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Full,
    Thumb,
}

/// Photo ids are the app's own, like sync ids.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn storage(e: media::MediaError) -> AppError {
    AppError::internal(e)
}

/// Whether the upload may go ahead: `Some(photo)` when this id is already
/// this log's photo (a retried upload), `None` when it is new and within
/// the limits.
fn admit(
    c: &mut DbConn,
    me: &str,
    treatment_id: &str,
    date: NaiveDate,
    photo_id: &str,
    limits: PhotoLimits,
) -> AppResult<Option<LogPhoto>> {
    if let Some(p) = log_photos::by_id(c, photo_id)? {
        if p.patient_id == me && p.treatment_id == treatment_id && p.log_date == date {
            return Ok(Some(p));
        }
        return Err(AppError::conflict(
            "this photo id is already in use; generate a new id for a new photo",
        ));
    }
    if daily_logs::by_date(c, treatment_id, date)?.is_none() {
        return Err(AppError::conflict(
            "there is no log for this date yet: record the day's log before adding photos to it",
        ));
    }
    if log_photos::count_for_log(c, treatment_id, date)? >= i64::from(limits.per_log) {
        return Err(AppError::conflict(format!(
            "photos per log: this day's log already holds {}, the most a log may hold",
            limits.per_log
        )));
    }
    if log_photos::count_for_patient(c, me)? >= i64::from(limits.per_patient) {
        return Err(AppError::conflict(format!(
            "photo quota: you already keep {} photos, the most a patient may keep; delete some first",
            limits.per_patient
        )));
    }
    Ok(None)
}

/// Stores a photo on the patient's log of `date`: `(photo, created)`;
/// the same id again answers the photo already stored.
#[allow(clippy::too_many_arguments)]
pub async fn upload(
    db: &Db,
    media: &MediaStore,
    limits: PhotoLimits,
    patient: PatientCaller,
    treatment_id: String,
    date: NaiveDate,
    photo_id: String,
    content_type: String,
    body: Vec<u8>,
) -> AppResult<(LogPhoto, bool)> {
    if !valid_id(&photo_id) {
        return Err(AppError::field(
            "photo_id",
            "must be 1–64 letters, digits, '-' or '_'",
        ));
    }
    // Cheap refusals first, before any decoding (checked again when the
    // row is written).
    let pre = {
        let (patient, tid, pid) = (patient.clone(), treatment_id.clone(), photo_id.clone());
        db.read(move |c| {
            ctx_of::load(c, &patient.scope(), &tid)?;
            admit(c, &patient.account_id, &tid, date, &pid, limits)
        })
        .await?
    };
    if let Some(existing) = pre {
        return Ok((existing, false));
    }
    let permit = DECODES.acquire().await.map_err(AppError::internal)?;
    let processed = tokio::task::spawn_blocking(move || img::process(&body, &content_type)).await;
    drop(permit);
    let processed = processed
        .map_err(AppError::internal)?
        .map_err(|e| match e {
            PhotoError::Encode(m) => AppError::internal(m),
            other => AppError::field("body", other.to_string()),
        })?;
    let base = media::photo_key(&patient.account_id, &photo_id);
    media
        .put(&media::full_key(&base), processed.full.clone())
        .await
        .map_err(storage)?;
    media
        .put(&media::thumb_key(&base), processed.thumb)
        .await
        .map_err(storage)?;
    let key = base.clone();
    let stored = db
        .write(move |tx| {
            ctx_of::load(tx.conn(), &patient.scope(), &treatment_id)?;
            let mut w = tx.patient(&patient.patient());
            // The stamp takes the patient's row lock first (PostgreSQL), so
            // the counts are not raced by another upload of the same patient.
            w.stamp()?;
            let me = patient.account_id.as_str();
            if let Some(existing) = admit(w.conn(), me, &treatment_id, date, &photo_id, limits)? {
                // A concurrent retry stored it first: this upload's objects go.
                return Ok((existing, false));
            }
            let photo = log_photos::insert(
                &mut w,
                NewPhoto {
                    id: &photo_id,
                    treatment_id: &treatment_id,
                    log_date: date,
                    width: processed.width as i32,
                    height: processed.height as i32,
                    bytes: processed.full.len() as i64,
                    object_key: &key,
                },
            )?;
            Ok::<_, AppError>((photo, true))
        })
        .await;
    if let Err(e) = &stored {
        // Refused after the objects were written (a race on the limits or
        // the id): they are this upload's own, removed now or by the sweep.
        if !matches!(e, AppError::Internal(_) | AppError::Unavailable) {
            let _ = media.delete_photo(&base).await;
        }
    }
    if matches!(&stored, Ok((_, false))) {
        let _ = media.delete_photo(&base).await;
    }
    stored
}

/// One photo's metadata and image, for the patient or their clinic's staff
/// (audited as `photo.read`).
pub async fn read(
    db: &Db,
    media: &MediaStore,
    caller: &Caller,
    treatment_id: String,
    date: NaiveDate,
    photo_id: String,
    size: Size,
) -> AppResult<(LogPhoto, Vec<u8>)> {
    let photo = ctx_of::read(db, caller, treatment_id, "photo.read", move |c, ctx| {
        log_photos::get(c, &ctx.treatment.id, date, &photo_id)?.ok_or(AppError::NotFound)
    })
    .await?;
    let key = match size {
        Size::Full => media::full_key(&photo.object_key),
        Size::Thumb => media::thumb_key(&photo.object_key),
    };
    match media.get(&key).await.map_err(storage)? {
        Some(bytes) => Ok((photo, bytes)),
        None => {
            tracing::warn!(photo = %photo.id, "a photo's object is missing from the media store");
            Err(AppError::NotFound)
        }
    }
}

/// The photos of a log (audited as `photos.read` for staff).
pub async fn list(
    db: &Db,
    caller: &Caller,
    treatment_id: String,
    date: NaiveDate,
) -> AppResult<Vec<LogPhoto>> {
    ctx_of::read(db, caller, treatment_id, "photos.read", move |c, ctx| {
        Ok(log_photos::for_log(c, &ctx.treatment.id, date)?)
    })
    .await
}

/// Deletes one of the patient's photos: the row (with a tombstone for the
/// other devices), then its objects.
pub async fn delete(
    db: &Db,
    media: &MediaStore,
    patient: PatientCaller,
    treatment_id: String,
    date: NaiveDate,
    photo_id: String,
) -> AppResult<()> {
    let photo = db
        .write(move |tx| {
            ctx_of::load(tx.conn(), &patient.scope(), &treatment_id)?;
            let photo = log_photos::get(tx.conn(), &treatment_id, date, &photo_id)?
                .ok_or(AppError::NotFound)?;
            let mut w = tx.patient(&patient.patient());
            if !log_photos::delete(&mut w, &photo.id)? {
                return Err(AppError::NotFound);
            }
            tombstones::record(&mut w, TABLE, &photo.id)?;
            Ok::<_, AppError>(photo)
        })
        .await?;
    if let Err(e) = media.delete_photo(&photo.object_key).await {
        tracing::warn!(error = %e, "photo objects not removed; the sweep will");
    }
    Ok(())
}

/// Drops the photos of a log that is being deleted (sync), with tombstones;
/// their objects are left to the sweep.
pub fn drop_for_log(
    w: &mut PatientWrite<'_, '_>,
    treatment_id: &str,
    date: NaiveDate,
) -> AppResult<()> {
    for p in log_photos::delete_for_log(w, treatment_id, date)? {
        tombstones::record(w, TABLE, &p.id)?;
    }
    Ok(())
}

/// Removes every object of an erased patient.
pub async fn erase_objects(media: &MediaStore, patient_id: &str) {
    match media.delete_prefix(&format!("photos/{patient_id}/")).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(objects = n, "erased a patient's photos"),
        Err(e) => tracing::warn!(error = %e, "erased patient's photos not removed; the sweep will"),
    }
}

/// Removes objects that no row names and that are older than `grace` (an
/// upload writes its object before its row). Returns how many it removed.
pub async fn sweep(
    db: &Db,
    media: &MediaStore,
    now: DateTime<Utc>,
    grace: std::time::Duration,
) -> AppResult<usize> {
    let cutoff = now - chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::hours(1));
    let objects = media.list("photos").await.map_err(storage)?;
    let mut removed = 0;
    let mut known: std::collections::BTreeMap<String, bool> = Default::default();
    for (key, modified) in objects {
        if modified > cutoff {
            continue;
        }
        let base = media::base_of(&key).to_string();
        let keep = match known.get(&base) {
            Some(k) => *k,
            None => {
                let b = base.clone();
                let k = db
                    .read(move |c| Ok::<_, AppError>(log_photos::object_known(c, &b)?))
                    .await?;
                known.insert(base, k);
                k
            }
        };
        if !keep {
            media.delete(&key).await.map_err(storage)?;
            removed += 1;
        }
    }
    Ok(removed)
}
