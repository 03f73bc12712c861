//! Materialises reminder occurrences into the database ahead of time. Safe in
//! any number of processes: occurrence identities are unique.

use chrono::{DateTime, Duration, Utc};

use crate::db::{write_tx, DbConn};
use crate::domain::schedule;
use crate::error::ApiResult;
use crate::recovery::{self, TreatmentCtx};
use crate::store::{patients, reminders, Scope};

/// How far ahead occurrences are materialised.
pub const LOOKAHEAD: Duration = Duration::hours(48);
/// Plans are refilled when less than this is materialised.
pub const REFILL: Duration = Duration::hours(24);
/// A reminder whose time passed at most this long ago when its plan was
/// (re)made is still sent: setting a reminder for "now" works.
pub const GRACE: Duration = Duration::minutes(5);
/// `planned_until` for plans that have nothing left to send.
const DONE: i64 = i64::MAX / 4;

/// Materialises the treatment's occurrences due in [from, until).
pub fn materialise(
    conn: &mut DbConn,
    ctx: &TreatmentCtx,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> ApiResult<usize> {
    let t = &ctx.treatment;
    let (plan, _) = reminders::plan(conn, &t.id)?;
    let prefs = reminders::preferences(conn, &t.patient_id)?;
    let occurrences = schedule::occurrences(&plan, &prefs, ctx.tz, t.day0, from, until);
    let mut created = 0;
    if !occurrences.is_empty() {
        let seq = patients::bump_change_seq(conn, &t.patient_id)?;
        for o in &occurrences {
            let new = reminders::NewOccurrence {
                identity: &o.identity(&t.id),
                treatment_id: &t.id,
                patient_id: &t.patient_id,
                clinic_id: &t.clinic_id,
                kind: o.kind.as_str(),
                day: i32::from(o.day),
                local_date: o.local_date,
                local_time: &crate::domain::reminder::format_hhmm(o.local_time),
                due_at: o.due_at.timestamp_millis(),
                stale_at: o.stale_at.timestamp_millis(),
                seq,
            };
            created += usize::from(reminders::insert_occurrence(conn, &new)?);
        }
    }
    // Past the plan's last day (plus a day for any zone) there is nothing more to plan.
    let last_day = plan
        .day_span()
        .map(|(_, last)| i64::from(last))
        .unwrap_or(-1);
    let plan_end = t.day0 + chrono::Days::new((last_day + 2).max(0) as u64);
    let done = until.date_naive() > plan_end;
    reminders::set_planned_until(
        conn,
        &t.id,
        if done { DONE } else { until.timestamp_millis() },
    )?;
    Ok(created)
}

/// Applies a changed plan or preference to what is not sent yet.
pub fn replan(conn: &mut DbConn, ctx: &TreatmentCtx, now: DateTime<Utc>) -> ApiResult<usize> {
    let from = now - GRACE;
    let seq = patients::bump_change_seq(conn, &ctx.treatment.patient_id)?;
    reminders::drop_pending(conn, &ctx.treatment.id, from.timestamp_millis(), seq)?;
    materialise(conn, ctx, from, now + LOOKAHEAD)
}

/// Replans every treatment of a patient (after a preference or zone change).
pub fn replan_patient(
    conn: &mut DbConn,
    patient_id: &str,
    clinic_id: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let scope = Scope::Patient {
        patient_id: patient_id.into(),
        clinic_id: clinic_id.into(),
    };
    for t in crate::store::treatments::for_patient(conn, patient_id)? {
        let ctx = recovery::load(conn, &scope, &t.id)?;
        replan(conn, &ctx, now)?;
    }
    Ok(())
}

/// Tops up plans that are materialised less than [`REFILL`] ahead. Each
/// treatment is its own short transaction. Returns occurrences created.
pub fn refill(conn: &mut DbConn, now: DateTime<Utc>, batch: i64) -> ApiResult<usize> {
    let mut created = 0;
    loop {
        let ids = reminders::needing_plan(conn, (now + REFILL).timestamp_millis(), batch)?;
        if ids.is_empty() {
            return Ok(created);
        }
        for id in &ids {
            created += write_tx(conn, |c| {
                let t = crate::store::treatments::by_id(c, id)?;
                let ctx = recovery::context(c, t)?;
                let (_, planned_until) = reminders::plan(c, id)?;
                let from = DateTime::from_timestamp_millis(planned_until)
                    .unwrap_or(now)
                    .max(now - GRACE);
                materialise(c, &ctx, from, now + LOOKAHEAD)
            })?;
        }
        if (ids.len() as i64) < batch {
            return Ok(created);
        }
    }
}
