use chrono::NaiveDate;
use diesel::prelude::*;

use super::patients::{CareProfile, CARE_COLUMNS};
use super::Scope;
use crate::db::schema::treatment_cancellations as tc;
use crate::db::schema::treatment_overrides as o;
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
    pub risk_factors: String,
    pub products: Option<String>,
    pub previous_treatment_id: Option<String>,
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
    pub risk_factors: &'a str,
    pub products: Option<&'a str>,
    pub previous_treatment_id: Option<&'a str>,
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
            t::risk_factors.eq(new.risk_factors),
            t::products.eq(new.products),
            t::previous_treatment_id.eq(new.previous_treatment_id),
        ))
        .execute(conn)?;
    Ok(id)
}

/// A registration that overrode contraindications.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = o)]
pub struct Override {
    pub treatment_id: String,
    pub contraindications: String,
    pub reason: String,
    pub actor_id: String,
    pub at: i64,
}

/// Records why a treatment was registered despite contraindications (not a
/// synced table: the patient never sees it).
pub fn record_override(
    conn: &mut DbConn,
    treatment_id: &str,
    contraindications: &str,
    reason: &str,
    actor_id: &str,
) -> QueryResult<()> {
    diesel::insert_into(o::table)
        .values((
            o::treatment_id.eq(treatment_id),
            o::contraindications.eq(contraindications),
            o::reason.eq(reason),
            o::actor_id.eq(actor_id),
            o::at.eq(now_ms()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The overrides of some treatments (for staff pages).
pub fn overrides(conn: &mut DbConn, treatment_ids: &[String]) -> QueryResult<Vec<Override>> {
    o::table
        .filter(o::treatment_id.eq_any(treatment_ids))
        .select(Override::as_select())
        .load(conn)
}

/// The products applied in those of `ids` that belong to the clinic
/// (treatment id, products), for treatments that have any.
pub fn products_in_clinic(
    conn: &mut DbConn,
    clinic_id: &str,
    ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    let rows: Vec<(String, Option<String>)> = t::table
        .filter(t::clinic_id.eq(clinic_id))
        .filter(t::id.eq_any(ids))
        .select((t::id, t::products))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, p)| p.map(|p| (id, p)))
        .collect())
}

/// The treatment if the scope may see it, else `NotFound`.
/// A treatment the scope may see with its patient's care profile and its
/// cancellation, in one statement: every daily log starts with it.
pub fn get_with_care(
    conn: &mut DbConn,
    scope: &Scope,
    id: &str,
) -> QueryResult<(Treatment, CareProfile, Option<Cancellation>)> {
    use crate::db::schema::{accounts as a, patients as p};
    // Per backend: through the multi-connection diesel rebuilds the SQL text
    // of every statement to find it in its cache.
    let found: Option<(Treatment, CareProfile, Option<Cancellation>)> =
        crate::per_backend!(conn, |c| t::table
            .find(id)
            .inner_join(p::table.on(p::account_id.eq(t::patient_id)))
            .inner_join(a::table.on(a::id.eq(t::patient_id)))
            .left_join(tc::table)
            .select((
                Treatment::as_select(),
                CARE_COLUMNS,
                Option::<Cancellation>::as_select(),
            ))
            .get_result(c)
            .optional())?;
    match found {
        Some(row) if scope.allows(&row.0.patient_id, &row.0.clinic_id) => Ok(row),
        _ => Err(diesel::result::Error::NotFound),
    }
}

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

/// The patient's latest treatment performed before `before` (ms), if any:
/// the session a new one follows by default.
pub fn latest_before(
    conn: &mut DbConn,
    patient_id: &str,
    before: i64,
) -> QueryResult<Option<Treatment>> {
    t::table
        .filter(t::patient_id.eq(patient_id))
        .filter(t::performed_at.lt(before))
        .order((t::performed_at.desc(), t::id.desc()))
        .select(Treatment::as_select())
        .first(conn)
        .optional()
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

/// The clinic's treatments, newest first.
pub fn for_clinic(conn: &mut DbConn, clinic_id: &str) -> QueryResult<Vec<Treatment>> {
    t::table
        .filter(t::clinic_id.eq(clinic_id))
        .order((t::performed_at.desc(), t::id))
        .select(Treatment::as_select())
        .load(conn)
}

/// What a correction may change (the rest of a treatment is fixed).
pub struct Correction<'a> {
    pub performed_at: i64,
    pub day0: NaiveDate,
    pub area: &'a str,
    pub depth_mm: f64,
    pub addons: &'a str,
    pub risk_factors: &'a str,
    pub products: Option<&'a str>,
}

/// Writes a correction; the treatment goes down to devices again.
pub fn correct(w: &mut PatientWrite<'_, '_>, id: &str, c: &Correction<'_>) -> QueryResult<()> {
    let seq = w.stamp()?;
    let (conn, owner) = w.split();
    diesel::update(t::table.find(id).filter(t::patient_id.eq(owner)))
        .set((
            t::performed_at.eq(c.performed_at),
            t::day0.eq(c.day0),
            t::area.eq(c.area),
            t::depth_mm.eq(c.depth_mm),
            t::addons.eq(c.addons),
            t::risk_factors.eq(c.risk_factors),
            t::products.eq(c.products),
            t::seq.eq(seq),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records (or replaces, after a correction) why a treatment stands
/// despite contraindications.
pub fn replace_override(
    conn: &mut DbConn,
    treatment_id: &str,
    contraindications: &str,
    reason: &str,
    actor_id: &str,
) -> QueryResult<()> {
    diesel::delete(o::table.find(treatment_id)).execute(conn)?;
    record_override(conn, treatment_id, contraindications, reason, actor_id)
}

/// The treatments registered as following `id` in a series.
pub fn followers(conn: &mut DbConn, id: &str) -> QueryResult<Vec<Treatment>> {
    t::table
        .filter(t::previous_treatment_id.eq(id))
        .select(Treatment::as_select())
        .load(conn)
}

/// Why and when a treatment registered by mistake was cancelled.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tc)]
pub struct Cancellation {
    pub treatment_id: String,
    pub reason: String,
    pub actor_id: String,
    pub at: i64,
}

pub fn cancellation(conn: &mut DbConn, treatment_id: &str) -> QueryResult<Option<Cancellation>> {
    tc::table
        .find(treatment_id)
        .select(Cancellation::as_select())
        .get_result(conn)
        .optional()
}

/// Marks the treatment cancelled (not a synced table: the caller re-sends
/// the treatment, whose synced row carries it).
pub fn cancel(
    conn: &mut DbConn,
    treatment_id: &str,
    reason: &str,
    actor_id: &str,
    at: i64,
) -> QueryResult<()> {
    diesel::insert_into(tc::table)
        .values((
            tc::treatment_id.eq(treatment_id),
            tc::reason.eq(reason),
            tc::actor_id.eq(actor_id),
            tc::at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}
