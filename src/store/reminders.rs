//! Reminder plans, patient preferences and materialised occurrences.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::{
    patients as p, reminder_occurrences as o, reminder_plans as rp, reminder_preferences as pr,
    treatment_cancellations as tc, treatments as t,
};
use crate::db::{now_ms, DbConn, PatientWrite, PatientsWrite};
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
    Ok((parse_plan(&json)?, until))
}

/// A plan from its stored JSON.
pub fn parse_plan(json: &str) -> QueryResult<ReminderPlan> {
    serde_json::from_str(json).map_err(|e| super::corrupt("plan", e))
}

/// Preferences from their stored JSON (the defaults when none is stored).
pub fn parse_preferences(json: Option<&str>) -> QueryResult<Preferences> {
    match json {
        None => Ok(Preferences::default()),
        Some(j) => serde_json::from_str(j).map_err(|e| super::corrupt("preferences", e)),
    }
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

/// Sets how far many plans are materialised (a refill batch); no stamp,
/// as for [`set_planned_until`].
pub fn set_planned_until_many(
    w: &mut PatientsWrite<'_, '_>,
    treatment_ids: &[&str],
    until: i64,
) -> QueryResult<()> {
    for chunk in treatment_ids.chunks(500) {
        diesel::update(rp::table.filter(rp::treatment_id.eq_any(chunk)))
            .set(rp::planned_until.eq(until))
            .execute(w.conn())?;
    }
    Ok(())
}

/// Up to `limit` plans materialised less far ahead than `before`, soonest
/// first: (treatment, patient).
pub fn needing_plan(
    conn: &mut DbConn,
    before: i64,
    limit: i64,
) -> QueryResult<Vec<(String, String)>> {
    rp::table
        .filter(rp::planned_until.lt(before))
        .order(rp::planned_until)
        .select((rp::treatment_id, rp::patient_id))
        .limit(limit)
        .load(conn)
}

/// What refilling a plan needs, read for a whole batch in one query.
#[derive(Debug, Queryable)]
pub struct PlanToFill {
    pub treatment_id: String,
    pub patient_id: String,
    pub clinic_id: String,
    pub day0: NaiveDate,
    /// The plan's JSON.
    pub plan: String,
    pub planned_until: i64,
    pub timezone: String,
    pub discharged_at: Option<i64>,
    /// Set when the treatment was cancelled.
    pub cancelled: Option<String>,
    /// The patient's preferences' JSON, when set.
    pub preferences: Option<String>,
}

/// The plans of these treatments with their treatment's day 0, their
/// patient's zone, discharge and preferences, and whether the treatment
/// was cancelled.
pub fn plans_to_fill(conn: &mut DbConn, treatment_ids: &[&str]) -> QueryResult<Vec<PlanToFill>> {
    let mut out = Vec::with_capacity(treatment_ids.len());
    for chunk in treatment_ids.chunks(500) {
        out.extend(
            rp::table
                .inner_join(t::table.on(t::id.eq(rp::treatment_id)))
                .inner_join(p::table.on(p::account_id.eq(t::patient_id)))
                .left_join(tc::table.on(tc::treatment_id.eq(rp::treatment_id)))
                .left_join(pr::table.on(pr::patient_id.eq(t::patient_id)))
                .filter(rp::treatment_id.eq_any(chunk))
                .select((
                    rp::treatment_id,
                    t::patient_id,
                    t::clinic_id,
                    t::day0,
                    rp::plan,
                    rp::planned_until,
                    p::timezone,
                    p::discharged_at,
                    tc::treatment_id.nullable(),
                    pr::prefs.nullable(),
                ))
                .load::<PlanToFill>(conn)?,
        );
    }
    Ok(out)
}

pub fn preferences(conn: &mut DbConn, patient_id: &str) -> QueryResult<Preferences> {
    let json: Option<String> = pr::table
        .find(patient_id)
        .select(pr::prefs)
        .get_result(conn)
        .optional()?;
    parse_preferences(json.as_deref())
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
    Ok(insert_occurrences(w, std::slice::from_ref(n))? == 1)
}

/// Inserts a patient's occurrences whose identity does not exist yet, in
/// one statement; returns how many were new.
pub fn insert_occurrences(
    w: &mut PatientWrite<'_, '_>,
    new: &[NewOccurrence<'_>],
) -> QueryResult<usize> {
    if new.is_empty() {
        return Ok(0);
    }
    let seq = w.stamp()?;
    let (conn, patient_id) = w.split();
    let rows: Vec<_> = new.iter().map(|n| (patient_id, seq, n)).collect();
    insert_rows(conn, &rows)
}

/// [`insert_occurrences`] for many patients (a refill batch): each
/// occurrence with its patient.
pub fn insert_occurrences_of_many(
    w: &mut PatientsWrite<'_, '_>,
    new: &[(&str, NewOccurrence<'_>)],
) -> QueryResult<usize> {
    let patients: Vec<&str> = new.iter().map(|(p, _)| *p).collect();
    let seqs = w.stamp(&patients)?;
    let rows: Vec<_> = new
        .iter()
        .zip(seqs)
        .map(|((p, n), seq)| (*p, seq, n))
        .collect();
    insert_rows(w.conn(), &rows)
}

/// A UUID whose text sorts by creation time (version 7: the time in ms,
/// then random bits). A random (v4) id puts each new occurrence on a random
/// page of the primary-key index, so a refill of a million plans dirtied
/// (and wrote to the WAL) one page of it per occurrence; these append.
fn ordered_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Multi-row `INSERT … ON CONFLICT DO NOTHING` (the identity is unique, so
/// an occurrence is stored at most once however many processes plan it).
fn insert_rows(conn: &mut DbConn, rows: &[(&str, i64, &NewOccurrence<'_>)]) -> QueryResult<usize> {
    let created_at = now_ms();
    let mut values = rows.iter().map(|(patient_id, seq, n)| {
        (
            o::id.eq(ordered_id()),
            o::identity.eq(n.identity),
            o::treatment_id.eq(n.treatment_id),
            o::patient_id.eq(*patient_id),
            o::clinic_id.eq(n.clinic_id),
            o::kind.eq(n.kind),
            o::day.eq(n.day),
            o::local_date.eq(n.local_date),
            o::local_time.eq(n.local_time),
            o::due_at.eq(n.due_at),
            o::stale_at.eq(n.stale_at),
            o::status.eq("pending"),
            o::created_at.eq(created_at),
            o::seq.eq(*seq),
        )
    });
    // Rows go in fixed-size arrays (64, then 16, 4 and 1 for the rest):
    // a statement of a fixed shape is prepared once per connection and
    // found in diesel's cache by its type, where a `Vec` of rows would be
    // parsed anew each time (the SQL of 64 rows: 896 variables).
    macro_rules! insert_array {
        ($n:literal) => {{
            let chunk: [_; $n] = std::array::from_fn(|_| values.next().expect("counted rows"));
            per_backend!(&mut *conn, |c| diesel::insert_into(o::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .execute(c))?
        }};
    }
    let mut left = rows.len();
    let mut inserted = 0;
    while left > 0 {
        let (n, new) = match left {
            64.. => (64, insert_array!(64)),
            16.. => (16, insert_array!(16)),
            4.. => (4, insert_array!(4)),
            _ => (1, insert_array!(1)),
        };
        left -= n;
        inserted += new;
    }
    Ok(inserted)
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
