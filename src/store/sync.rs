//! Change tracking for the offline app: per-patient change numbers stamped on
//! rows (`seq`), tombstones for deletions, and the queries a pull runs.

use diesel::prelude::*;

use crate::db::schema::{
    daily_logs as l, flags as f, log_photos as ph, reminder_occurrences as o, reminder_plans as rp,
    reminder_preferences as pr, sync_tombstones as ts, treatments as t,
};
use crate::db::DbConn;

use super::daily_logs::DailyLog;
use super::flags::Flag;
use super::log_photos::{self, LogPhoto};
use super::reminders::OccurrenceRow;
use super::treatments::Treatment;

/// Tombstones are kept this long; a device that has not synced for longer
/// must resync from scratch.
pub const TOMBSTONE_RETENTION_MS: i64 = 180 * 24 * 3600 * 1000;

/// Deleted record ids per table with `after < seq <= upto`.
pub fn tombstones(
    conn: &mut DbConn,
    patient_id: &str,
    after: i64,
    upto: i64,
) -> QueryResult<Vec<(String, String)>> {
    ts::table
        .filter(ts::patient_id.eq(patient_id))
        .filter(ts::seq.gt(after))
        .filter(ts::seq.le(upto))
        .order(ts::seq)
        .select((ts::table_name, ts::record_id))
        .load(conn)
}

/// Every change number after `after`, one per changed row, ascending, at most
/// `limit` per table: enough to choose where a capped pull stops.
pub fn change_numbers(
    conn: &mut DbConn,
    patient_id: &str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    let mut seqs: Vec<i64> = Vec::new();
    macro_rules! seqs_of {
        ($table:ident, $patient:expr, $seq:expr) => {
            seqs.extend(
                $table::table
                    .filter($patient.eq(patient_id))
                    .filter($seq.gt(after))
                    .order($seq)
                    .limit(limit)
                    .select($seq)
                    .load::<i64>(conn)?,
            )
        };
    }
    seqs_of!(t, t::patient_id, t::seq);
    seqs_of!(l, l::patient_id, l::seq);
    seqs_of!(f, f::patient_id, f::seq);
    seqs_of!(o, o::patient_id, o::seq);
    seqs_of!(rp, rp::patient_id, rp::seq);
    seqs_of!(pr, pr::patient_id, pr::seq);
    seqs_of!(ph, ph::patient_id, ph::seq);
    seqs_of!(ts, ts::patient_id, ts::seq);
    seqs.sort_unstable();
    Ok(seqs)
}

pub struct Changed {
    pub treatments: Vec<Treatment>,
    pub logs: Vec<DailyLog>,
    pub flags: Vec<Flag>,
    pub occurrences: Vec<OccurrenceRow>,
    pub photos: Vec<LogPhoto>,
    /// Treatment ids whose reminder plan changed, with the plan JSON.
    pub plans: Vec<(String, String)>,
    /// The preferences JSON, when it changed.
    pub preferences: Option<String>,
}

/// Rows of the patient changed with `after < seq <= upto`.
pub fn changed(conn: &mut DbConn, patient_id: &str, after: i64, upto: i64) -> QueryResult<Changed> {
    Ok(Changed {
        treatments: t::table
            .filter(t::patient_id.eq(patient_id))
            .filter(t::seq.gt(after).and(t::seq.le(upto)))
            .select(Treatment::as_select())
            .load(conn)?,
        logs: l::table
            .filter(l::patient_id.eq(patient_id))
            .filter(l::seq.gt(after).and(l::seq.le(upto)))
            .select(DailyLog::as_select())
            .load(conn)?,
        flags: f::table
            .filter(f::patient_id.eq(patient_id))
            .filter(f::seq.gt(after).and(f::seq.le(upto)))
            .select(Flag::as_select())
            .load(conn)?,
        occurrences: o::table
            .filter(o::patient_id.eq(patient_id))
            .filter(o::seq.gt(after).and(o::seq.le(upto)))
            .select(OccurrenceRow::as_select())
            .load(conn)?,
        photos: log_photos::changed(conn, patient_id, after, upto)?,
        plans: rp::table
            .filter(rp::patient_id.eq(patient_id))
            .filter(rp::seq.gt(after).and(rp::seq.le(upto)))
            .select((rp::treatment_id, rp::plan))
            .load(conn)?,
        preferences: pr::table
            .filter(pr::patient_id.eq(patient_id))
            .filter(pr::seq.gt(after).and(pr::seq.le(upto)))
            .select(pr::prefs)
            .get_result(conn)
            .optional()?,
    })
}

/// Drops tombstones older than the retention, remembering per patient up to
/// which change number deletions are no longer known.
pub fn prune_tombstones(conn: &mut DbConn, now: i64) -> QueryResult<usize> {
    use crate::db::schema::patients as p;
    let cutoff = now - TOMBSTONE_RETENTION_MS;
    let old: Vec<(String, Option<i64>)> = ts::table
        .filter(ts::deleted_at.lt(cutoff))
        .group_by(ts::patient_id)
        .select((ts::patient_id, diesel::dsl::max(ts::seq)))
        .load(conn)?;
    for (patient_id, max_seq) in &old {
        if let Some(max_seq) = max_seq {
            diesel::update(
                p::table
                    .find(patient_id)
                    .filter(p::tombstones_pruned_seq.lt(*max_seq)),
            )
            .set(p::tombstones_pruned_seq.eq(*max_seq))
            .execute(conn)?;
            diesel::delete(
                ts::table
                    .filter(ts::patient_id.eq(patient_id))
                    .filter(ts::seq.le(*max_seq)),
            )
            .execute(conn)?;
        }
    }
    Ok(old.len())
}
