use chrono::NaiveDate;
use diesel::prelude::*;

use super::Scope;
use crate::db::schema::treatments as t;
use crate::db::{now_ms, DbConn, PatientWrite};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = t)]
pub struct Treatment {
    pub id: String,
    pub patient_id: String,
    pub clinic_id: String,
    pub protocol_id: String,
    pub performed_at: i64,
    pub day0: NaiveDate,
    pub area: String,
    pub depth_mm: f64,
    pub addons: String,
    pub session_number: i32,
    pub created_by: String,
    pub created_at: i64,
    pub seq: i64,
}

pub struct NewTreatment<'a> {
    pub clinic_id: &'a str,
    pub protocol_id: &'a str,
    pub performed_at: i64,
    pub day0: NaiveDate,
    pub area: &'a str,
    pub depth_mm: f64,
    pub addons: &'a str,
    pub session_number: i32,
    pub created_by: &'a str,
}

pub fn create(w: &mut PatientWrite<'_, '_>, new: NewTreatment<'_>) -> QueryResult<String> {
    let id = super::new_id();
    let seq = w.stamp()?;
    let (conn, patient_id) = w.split();
    diesel::insert_into(t::table)
        .values((
            t::id.eq(&id),
            t::patient_id.eq(patient_id),
            t::clinic_id.eq(new.clinic_id),
            t::protocol_id.eq(new.protocol_id),
            t::performed_at.eq(new.performed_at),
            t::day0.eq(new.day0),
            t::area.eq(new.area),
            t::depth_mm.eq(new.depth_mm),
            t::addons.eq(new.addons),
            t::session_number.eq(new.session_number),
            t::created_by.eq(new.created_by),
            t::created_at.eq(now_ms()),
            t::seq.eq(seq),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The treatment if the scope may see it, else `NotFound`.
pub fn get(conn: &mut DbConn, scope: &Scope, id: &str) -> QueryResult<Treatment> {
    let found: Option<Treatment> = t::table
        .find(id)
        .select(Treatment::as_select())
        .get_result(conn)
        .optional()?;
    match found {
        Some(tr) if scope.allows(&tr.patient_id, &tr.clinic_id) => Ok(tr),
        _ => Err(diesel::result::Error::NotFound),
    }
}

/// A patient's treatments, newest first.
pub fn for_patient(conn: &mut DbConn, patient_id: &str) -> QueryResult<Vec<Treatment>> {
    t::table
        .filter(t::patient_id.eq(patient_id))
        .order((t::performed_at.desc(), t::id))
        .select(Treatment::as_select())
        .load(conn)
}

/// Treatments whose day 0 is on or after `since` (for the first-week jobs).
pub fn recent(conn: &mut DbConn, since: NaiveDate) -> QueryResult<Vec<Treatment>> {
    t::table
        .filter(t::day0.ge(since))
        .select(Treatment::as_select())
        .load(conn)
}

/// A treatment by id, unscoped: for background jobs only.
pub fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Treatment> {
    t::table
        .find(id)
        .select(Treatment::as_select())
        .get_result(conn)
}

/// Marks a treatment changed for sync, so its derived rows (timeline and
/// care data) go down again.
pub fn touch(w: &mut PatientWrite<'_, '_>, id: &str) -> QueryResult<()> {
    let seq = w.stamp()?;
    let (conn, owner) = w.split();
    diesel::update(t::table.find(id).filter(t::patient_id.eq(owner)))
        .set(t::seq.eq(seq))
        .execute(conn)?;
    Ok(())
}
