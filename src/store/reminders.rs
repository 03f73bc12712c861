//! Reminder plans, patient preferences and materialised occurrences.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::{
    reminder_occurrences as o, reminder_plans as rp, reminder_preferences as pr,
};
use crate::db::{now_ms, DbConn, PatientWrite};
use crate::domain::reminder::{Preferences, ReminderPlan};
use crate::per_backend;

pub fn create_plan(
    w: &mut PatientWrite<'_, '_>,
    treatment_id: &str,
    plan: &ReminderPlan,
    actor: &str,
) -> QueryResult<()> {
    let seq = w.stamp()?;
    let (conn, patient_id) = w.split();
    let json = serde_json::to_string(plan).map_err(super::unserializable)?;
    diesel::insert_into(rp::table)
        .values((
            rp::treatment_id.eq(treatment_id),
            rp::patient_id.eq(patient_id),
            rp::plan.eq(json),
            rp::planned_until.eq(0i64),
            rp::updated_at.eq(now_ms()),
            rp::updated_by.eq(actor),
            rp::seq.eq(seq),
        ))
        .execute(conn)?;
    Ok(())
}

/// The plan and how far it has been materialised (ms).
pub fn plan(conn: &mut DbConn, treatment_id: &str) -> QueryResult<(ReminderPlan, i64)> {
    let (json, until): (String, i64) = rp::table
        .find(treatment_id)
        .select((rp::plan, rp::planned_until))
        .get_result(conn)?;
    Ok((
        serde_json::from_str(&json).map_err(|e| super::corrupt("plan", e))?,
        until,
    ))
}

pub fn set_plan(
    w: &mut PatientWrite<'_, '_>,
    treatment_id: &str,
    plan: &ReminderPlan,
    actor: &str,
) -> QueryResult<()> {
    let seq = w.stamp()?;
    let (conn, owner) = w.split();
    let json = serde_json::to_string(plan).map_err(super::unserializable)?;
    diesel::update(
        rp::table
            .find(treatment_id)
            .filter(rp::patient_id.eq(owner)),
    )
    .set((
        rp::plan.eq(json),
        rp::updated_at.eq(now_ms()),
        rp::updated_by.eq(actor),
        rp::seq.eq(seq),
    ))
    .execute(conn)?;
    Ok(())
}

/// How far the plan is materialised: bookkeeping devices never see, so no stamp.
pub fn set_planned_until(
    w: &mut PatientWrite<'_, '_>,
    treatment_id: &str,
    until: i64,
) -> QueryResult<()> {
    diesel::update(rp::table.find(treatment_id))
        .set(rp::planned_until.eq(until))
        .execute(w.conn())?;
    Ok(())
}

/// Treatments whose occurrences are planned less far ahead than `before`.
pub fn needing_plan(conn: &mut DbConn, before: i64, limit: i64) -> QueryResult<Vec<String>> {
    rp::table
        .filter(rp::planned_until.lt(before))
        .order(rp::planned_until)
        .select(rp::treatment_id)
        .limit(limit)
        .load(conn)
}

pub fn preferences(conn: &mut DbConn, patient_id: &str) -> QueryResult<Preferences> {
    let json: Option<String> = pr::table
        .find(patient_id)
        .select(pr::prefs)
        .get_result(conn)
        .optional()?;
    match json {
        None => Ok(Preferences::default()),
        Some(j) => serde_json::from_str(&j).map_err(|e| super::corrupt("preferences", e)),
    }
}

pub fn set_preferences(w: &mut PatientWrite<'_, '_>, prefs: &Preferences) -> QueryResult<()> {
    let seq = w.stamp()?;
    let (conn, patient_id) = w.split();
    let json = serde_json::to_string(prefs).map_err(super::unserializable)?;
    let now = now_ms();
    let inserted = per_backend!(conn, |c| diesel::insert_into(pr::table)
        .values((
            pr::patient_id.eq(patient_id),
            pr::prefs.eq(&json),
            pr::updated_at.eq(now),
            pr::seq.eq(seq)
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    if inserted == 0 {
        diesel::update(pr::table.find(patient_id))
            .set((pr::prefs.eq(&json), pr::updated_at.eq(now), pr::seq.eq(seq)))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = o)]
pub struct OccurrenceRow {
    pub id: String,
    pub identity: String,
    pub treatment_id: String,
    pub patient_id: String,
    pub clinic_id: String,
    pub kind: String,
    pub day: i32,
    pub local_date: NaiveDate,
    pub local_time: String,
    pub due_at: i64,
    pub stale_at: i64,
    pub status: String,
    pub done_at: Option<i64>,
    pub created_at: i64,
    pub seq: i64,
}

pub struct NewOccurrence<'a> {
    pub identity: &'a str,
    pub treatment_id: &'a str,
    pub clinic_id: &'a str,
    pub kind: &'a str,
    pub day: i32,
    pub local_date: NaiveDate,
    pub local_time: &'a str,
    pub due_at: i64,
    pub stale_at: i64,
}

/// Inserts an occurrence unless its identity exists; returns whether it was new.
pub fn insert_occurrence(w: &mut PatientWrite<'_, '_>, n: &NewOccurrence<'_>) -> QueryResult<bool> {
    let id = super::new_id();
    let seq = w.stamp()?;
    let (conn, patient_id) = w.split();
    let inserted = per_backend!(conn, |c| diesel::insert_into(o::table)
        .values((
            o::id.eq(&id),
            o::identity.eq(n.identity),
            o::treatment_id.eq(n.treatment_id),
            o::patient_id.eq(patient_id),
            o::clinic_id.eq(n.clinic_id),
            o::kind.eq(n.kind),
            o::day.eq(n.day),
            o::local_date.eq(n.local_date),
            o::local_time.eq(n.local_time),
            o::due_at.eq(n.due_at),
            o::stale_at.eq(n.stale_at),
            o::status.eq("pending"),
            o::created_at.eq(now_ms()),
            o::seq.eq(seq),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Removes a treatment's not-yet-sent occurrences due at or after `from`,
/// so a changed plan or preference applies to them; devices learn of it
/// through tombstones stamped `seq`.
pub fn drop_pending(
    w: &mut PatientWrite<'_, '_>,
    treatment_id: &str,
    from: i64,
) -> QueryResult<usize> {
    let (conn, owner) = w.split();
    let doomed: Vec<String> = o::table
        .filter(o::treatment_id.eq(treatment_id))
        .filter(o::patient_id.eq(owner))
        .filter(o::status.eq("pending"))
        .filter(o::done_at.is_null())
        .filter(o::due_at.ge(from))
        .select(o::id)
        .load(conn)?;
    for id in &doomed {
        diesel::delete(o::table.find(id).filter(o::status.eq("pending"))).execute(w.conn())?;
        super::tombstones::record(w, "reminders", id)?;
    }
    Ok(doomed.len())
}

/// Claims up to `limit` due occurrences for fan-out. Call in a write
/// transaction; on PostgreSQL rows locked by another process are skipped.
pub fn claim_due(conn: &mut DbConn, now: i64, limit: i64) -> QueryResult<Vec<OccurrenceRow>> {
    macro_rules! due {
        () => {
            o::table
                .filter(o::status.eq("pending"))
                .filter(o::due_at.le(now))
                .order(o::due_at)
                .limit(limit)
                .select(OccurrenceRow::as_select())
        };
    }
    Ok(match conn {
        DbConn::Postgres(c) => due!().for_update().skip_locked().load(c)?,
        // SQLite: the immediate transaction already excludes other writers.
        DbConn::Sqlite(c) => due!().load(c)?,
    })
}

pub fn set_status(w: &mut PatientWrite<'_, '_>, id: &str, status: &str) -> QueryResult<()> {
    let seq = w.stamp()?;
    diesel::update(o::table.find(id))
        .set((o::status.eq(status), o::seq.eq(seq)))
        .execute(w.conn())?;
    Ok(())
}

/// Sets the status of several of the patient's occurrences in one statement.
pub fn set_status_many(
    w: &mut PatientWrite<'_, '_>,
    ids: &[&str],
    status: &str,
) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let seq = w.stamp()?;
    diesel::update(o::table.filter(o::id.eq_any(ids)))
        .set((o::status.eq(status), o::seq.eq(seq)))
        .execute(w.conn())?;
    Ok(())
}

/// A treatment's occurrences from `from` on, soonest first.
pub fn upcoming(
    conn: &mut DbConn,
    treatment_id: &str,
    from: i64,
    limit: i64,
) -> QueryResult<Vec<OccurrenceRow>> {
    o::table
        .filter(o::treatment_id.eq(treatment_id))
        .filter(o::due_at.ge(from))
        .order((o::due_at, o::identity))
        .limit(limit)
        .select(OccurrenceRow::as_select())
        .load(conn)
}

/// Occurrences already due, for adherence: (kind, due, done).
pub fn adherence(
    conn: &mut DbConn,
    treatment_id: &str,
    now: i64,
) -> QueryResult<Vec<(String, i64, i64)>> {
    let rows: Vec<(String, Option<i64>)> = o::table
        .filter(o::treatment_id.eq(treatment_id))
        .filter(o::due_at.le(now))
        .select((o::kind, o::done_at))
        .load(conn)?;
    let mut out: Vec<(String, i64, i64)> = Vec::new();
    for (kind, done) in rows {
        match out.iter_mut().find(|(k, _, _)| *k == kind) {
            Some(entry) => {
                entry.1 += 1;
                entry.2 += i64::from(done.is_some());
            }
            None => out.push((kind, 1, i64::from(done.is_some()))),
        }
    }
    out.sort();
    Ok(out)
}

pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Option<OccurrenceRow>> {
    o::table
        .find(id)
        .select(OccurrenceRow::as_select())
        .get_result(conn)
        .optional()
}

/// Marks an occurrence done (idempotent: the first time is kept).
pub fn mark_done(w: &mut PatientWrite<'_, '_>, id: &str, at: i64) -> QueryResult<()> {
    let seq = w.stamp()?;
    diesel::update(o::table.find(id).filter(o::done_at.is_null()))
        .set((o::done_at.eq(at), o::seq.eq(seq)))
        .execute(w.conn())?;
    Ok(())
}

/// Change number of the patient's preferences (0 when never set).
pub fn preferences_seq(conn: &mut DbConn, patient_id: &str) -> QueryResult<i64> {
    Ok(pr::table
        .find(patient_id)
        .select(pr::seq)
        .get_result(conn)
        .optional()?
        .unwrap_or(0))
}

/// Sets or clears a check-off (sync: the device's value wins).
pub fn set_done(w: &mut PatientWrite<'_, '_>, id: &str, done_at: Option<i64>) -> QueryResult<()> {
    let seq = w.stamp()?;
    let (conn, owner) = w.split();
    diesel::update(o::table.find(id).filter(o::patient_id.eq(owner)))
        .set((o::done_at.eq(done_at), o::seq.eq(seq)))
        .execute(conn)?;
    Ok(())
}

/// Ids of the treatment's occurrences still waiting to be sent.
pub fn pending_ids(conn: &mut DbConn, treatment_id: &str) -> QueryResult<Vec<String>> {
    o::table
        .filter(o::treatment_id.eq(treatment_id))
        .filter(o::status.eq("pending"))
        .select(o::id)
        .load(conn)
}
