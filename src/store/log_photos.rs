//! Photos of a daily log: their metadata (the image is in the media store,
//! under `object_key`). Synced down to the patient's devices.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::log_photos as p;
use crate::db::{now_ms, DbConn, PatientWrite};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = p)]
pub struct LogPhoto {
    pub id: String,
    pub treatment_id: String,
    pub patient_id: String,
    pub log_date: NaiveDate,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub object_key: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub seq: i64,
}

pub struct NewPhoto<'a> {
    pub id: &'a str,
    pub treatment_id: &'a str,
    pub log_date: NaiveDate,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub object_key: &'a str,
}

/// Any photo with this id, whoever it belongs to (ids are the apps' own).
pub fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<LogPhoto>> {
    p::table
        .find(id)
        .select(LogPhoto::as_select())
        .get_result(conn)
        .optional()
}

/// The photo `id` of this treatment's log on `date`.
pub fn get(
    conn: &mut DbConn,
    treatment_id: &str,
    date: NaiveDate,
    id: &str,
) -> QueryResult<Option<LogPhoto>> {
    p::table
        .find(id)
        .filter(p::treatment_id.eq(treatment_id))
        .filter(p::log_date.eq(date))
        .select(LogPhoto::as_select())
        .get_result(conn)
        .optional()
}

/// A log's photos, oldest first.
pub fn for_log(
    conn: &mut DbConn,
    treatment_id: &str,
    date: NaiveDate,
) -> QueryResult<Vec<LogPhoto>> {
    p::table
        .filter(p::treatment_id.eq(treatment_id))
        .filter(p::log_date.eq(date))
        .order((p::created_at, p::id))
        .select(LogPhoto::as_select())
        .load(conn)
}

/// A treatment's photos, by date then age.
pub fn for_treatment(conn: &mut DbConn, treatment_id: &str) -> QueryResult<Vec<LogPhoto>> {
    p::table
        .filter(p::treatment_id.eq(treatment_id))
        .order((p::log_date, p::created_at, p::id))
        .select(LogPhoto::as_select())
        .load(conn)
}

/// Every photo of a patient (export, erasure).
pub fn for_patient(conn: &mut DbConn, patient_id: &str) -> QueryResult<Vec<LogPhoto>> {
    p::table
        .filter(p::patient_id.eq(patient_id))
        .order((p::log_date, p::created_at, p::id))
        .select(LogPhoto::as_select())
        .load(conn)
}

pub fn count_for_log(conn: &mut DbConn, treatment_id: &str, date: NaiveDate) -> QueryResult<i64> {
    p::table
        .filter(p::treatment_id.eq(treatment_id))
        .filter(p::log_date.eq(date))
        .count()
        .get_result(conn)
}

pub fn count_for_patient(conn: &mut DbConn, patient_id: &str) -> QueryResult<i64> {
    p::table
        .filter(p::patient_id.eq(patient_id))
        .count()
        .get_result(conn)
}

/// Whether a row names this object (the sweep keeps those).
pub fn object_known(conn: &mut DbConn, object_key: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        p::table.filter(p::object_key.eq(object_key)),
    ))
    .get_result(conn)
}

/// Stores a new photo row of the writing patient.
pub fn insert(w: &mut PatientWrite<'_, '_>, v: NewPhoto<'_>) -> QueryResult<LogPhoto> {
    let now = now_ms();
    let seq = w.stamp()?;
    let (conn, patient_id) = w.split();
    diesel::insert_into(p::table)
        .values((
            p::id.eq(v.id),
            p::treatment_id.eq(v.treatment_id),
            p::patient_id.eq(patient_id),
            p::log_date.eq(v.log_date),
            p::width.eq(v.width),
            p::height.eq(v.height),
            p::bytes.eq(v.bytes),
            p::object_key.eq(v.object_key),
            p::created_at.eq(now),
            p::updated_at.eq(now),
            p::seq.eq(seq),
        ))
        .execute(conn)?;
    p::table
        .find(v.id)
        .select(LogPhoto::as_select())
        .get_result(conn)
}

/// Deletes one of the writing patient's photos; whether it existed.
pub fn delete(w: &mut PatientWrite<'_, '_>, id: &str) -> QueryResult<bool> {
    let (conn, patient_id) = w.split();
    let n = diesel::delete(p::table.find(id).filter(p::patient_id.eq(patient_id))).execute(conn)?;
    Ok(n > 0)
}

/// Deletes the photos of the writing patient's log on `date`; their rows as
/// they were (for tombstones and object removal).
pub fn delete_for_log(
    w: &mut PatientWrite<'_, '_>,
    treatment_id: &str,
    date: NaiveDate,
) -> QueryResult<Vec<LogPhoto>> {
    let (conn, patient_id) = w.split();
    let rows = for_log(conn, treatment_id, date)?;
    diesel::delete(
        p::table
            .filter(p::treatment_id.eq(treatment_id))
            .filter(p::log_date.eq(date))
            .filter(p::patient_id.eq(patient_id)),
    )
    .execute(conn)?;
    Ok(rows)
}

/// Rows of the patient changed with `after < seq <= upto` (sync pulls).
pub fn changed(
    conn: &mut DbConn,
    patient_id: &str,
    after: i64,
    upto: i64,
) -> QueryResult<Vec<LogPhoto>> {
    p::table
        .filter(p::patient_id.eq(patient_id))
        .filter(p::seq.gt(after).and(p::seq.le(upto)))
        .select(LogPhoto::as_select())
        .load(conn)
}
