//! Flags raised by the assessment rules, and their review by clinicians.

use diesel::prelude::*;

use super::Scope;
use crate::db::schema::{accounts as a, flag_events as fe, flags as f};
use crate::db::{now_ms, DbConn, PatientWrite};
use crate::domain::assessment::{Finding, Severity};
use crate::per_backend;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = f)]
pub struct Flag {
    pub id: String,
    pub treatment_id: String,
    pub patient_id: String,
    pub clinic_id: String,
    pub reason: String,
    pub severity: String,
    pub severity_rank: i32,
    pub status: String,
    pub evidence: String,
    pub opened_at: i64,
    pub updated_at: i64,
    pub seq: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = fe)]
pub struct FlagEvent {
    pub id: String,
    pub flag_id: String,
    pub actor_id: String,
    pub action: String,
    pub note: Option<String>,
    pub at: i64,
}

pub struct Raise<'a> {
    pub treatment_id: &'a str,
    pub clinic_id: &'a str,
    pub finding: &'a Finding,
}

/// A flag after [`raise`], and whether it is new or its severity just rose,
/// which is when clinicians may be alerted (the clinic's settings decide).
pub struct Raised {
    pub flag: Flag,
    pub rose: bool,
}

/// Raises a flag for a finding, or updates the treatment's active flag for
/// the same reason with the new evidence (keeping the higher severity).
pub fn raise(w: &mut PatientWrite<'_, '_>, r: Raise<'_>) -> QueryResult<Raised> {
    let reason = r.finding.reason.as_str();
    let now = now_ms();
    let evidence = r.finding.evidence.to_string();
    // A concurrent writer may insert the same active flag first; the partial
    // unique index turns our insert into a no-op and we update theirs.
    for _ in 0..2 {
        if let Some(existing) = active(w.conn(), r.treatment_id, reason)? {
            let severity = if existing.severity_rank <= r.finding.severity.rank() as i32 {
                Severity::from_rank(existing.severity_rank as i64).unwrap_or(r.finding.severity)
            } else {
                r.finding.severity
            };
            let rose = (severity.rank() as i32) < existing.severity_rank;
            if existing.evidence == evidence && existing.severity == severity.as_str() {
                return Ok(Raised {
                    flag: existing,
                    rose,
                });
            }
            let seq = w.stamp()?;
            let conn = w.conn();
            diesel::update(f::table.find(&existing.id))
                .set((
                    f::evidence.eq(&evidence),
                    f::severity.eq(severity.as_str()),
                    f::severity_rank.eq(severity.rank() as i32),
                    f::updated_at.eq(now),
                    f::seq.eq(seq),
                ))
                .execute(conn)?;
            let flag = f::table
                .find(&existing.id)
                .select(Flag::as_select())
                .first(conn)?;
            return Ok(Raised { flag, rose });
        }
        let id = super::new_id();
        let seq = w.stamp()?;
        let (conn, patient_id) = w.split();
        let inserted = per_backend!(conn, |c| diesel::insert_into(f::table)
            .values((
                f::id.eq(&id),
                f::treatment_id.eq(r.treatment_id),
                f::patient_id.eq(patient_id),
                f::clinic_id.eq(r.clinic_id),
                f::reason.eq(reason),
                f::severity.eq(r.finding.severity.as_str()),
                f::severity_rank.eq(r.finding.severity.rank() as i32),
                f::status.eq("open"),
                f::evidence.eq(&evidence),
                f::opened_at.eq(now),
                f::updated_at.eq(now),
                f::seq.eq(seq),
            ))
            .on_conflict_do_nothing()
            .execute(c))?;
        if inserted == 1 {
            let flag: Flag = f::table.find(&id).select(Flag::as_select()).first(conn)?;
            return Ok(Raised { flag, rose: true });
        }
    }
    Err(super::impossible("flag upsert did not converge"))
}

fn active(conn: &mut DbConn, treatment_id: &str, reason: &str) -> QueryResult<Option<Flag>> {
    f::table
        .filter(f::treatment_id.eq(treatment_id))
        .filter(f::reason.eq(reason))
        .filter(f::status.ne("resolved"))
        .select(Flag::as_select())
        .first(conn)
        .optional()
}

pub fn for_treatment(conn: &mut DbConn, treatment_id: &str) -> QueryResult<Vec<Flag>> {
    f::table
        .filter(f::treatment_id.eq(treatment_id))
        .order((f::severity_rank, f::opened_at))
        .select(Flag::as_select())
        .load(conn)
}

pub fn events(conn: &mut DbConn, flag_ids: &[String]) -> QueryResult<Vec<FlagEvent>> {
    fe::table
        .filter(fe::flag_id.eq_any(flag_ids))
        .order((fe::at, fe::id))
        .select(FlagEvent::as_select())
        .load(conn)
}

pub struct QueueFilter {
    /// Flags in any of these statuses.
    pub statuses: Vec<String>,
    pub severity: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// The clinic's review queue: most severe first, then oldest.
pub fn queue(
    conn: &mut DbConn,
    clinic_id: &str,
    filter: &QueueFilter,
) -> QueryResult<Vec<(Flag, String)>> {
    let mut q = f::table
        .inner_join(a::table.on(a::id.eq(f::patient_id)))
        .filter(f::clinic_id.eq(clinic_id))
        .filter(f::status.eq_any(filter.statuses.clone()))
        .select((Flag::as_select(), a::name))
        .order((f::severity_rank, f::opened_at, f::id))
        .limit(filter.limit)
        .offset(filter.offset)
        .into_boxed();
    if let Some(s) = &filter.severity {
        q = q.filter(f::severity.eq(s.clone()));
    }
    q.load(conn)
}

/// The flag if it belongs to the scope's clinic (staff only reach flags).
pub fn get(conn: &mut DbConn, scope: &Scope, id: &str) -> QueryResult<Flag> {
    let found: Option<Flag> = f::table
        .find(id)
        .select(Flag::as_select())
        .first(conn)
        .optional()?;
    match found {
        Some(flag) if scope.allows(&flag.patient_id, &flag.clinic_id) => Ok(flag),
        _ => Err(diesel::result::Error::NotFound),
    }
}

/// Moves the patient's flag from one of `from` to `to`, recording who and
/// why. `Ok(Err(status))` when the flag is in another state.
pub fn transition(
    w: &mut PatientWrite<'_, '_>,
    flag: &Flag,
    from: &[&str],
    to: &str,
    actor_id: &str,
    note: Option<&str>,
) -> QueryResult<Result<Flag, String>> {
    let now = now_ms();
    let seq = w.stamp()?;
    let (conn, owner) = w.split();
    let changed = diesel::update(
        f::table
            .find(&flag.id)
            .filter(f::patient_id.eq(owner))
            .filter(f::status.eq_any(from)),
    )
    .set((f::status.eq(to), f::updated_at.eq(now), f::seq.eq(seq)))
    .execute(conn)?;
    if changed == 0 {
        let current: String = f::table.find(&flag.id).select(f::status).first(conn)?;
        return Ok(Err(current));
    }
    diesel::insert_into(fe::table)
        .values((
            fe::id.eq(super::new_id()),
            fe::flag_id.eq(&flag.id),
            fe::actor_id.eq(actor_id),
            fe::action.eq(to),
            fe::note.eq(note),
            fe::at.eq(now),
        ))
        .execute(conn)?;
    Ok(Ok(f::table
        .find(&flag.id)
        .select(Flag::as_select())
        .first(conn)?))
}

/// Adds an entry to a flag's history that no clinician made (an escalation).
pub fn record_event(
    conn: &mut DbConn,
    flag_id: &str,
    actor_id: &str,
    action: &str,
    at: i64,
) -> QueryResult<()> {
    diesel::insert_into(fe::table)
        .values((
            fe::id.eq(super::new_id()),
            fe::flag_id.eq(flag_id),
            fe::actor_id.eq(actor_id),
            fe::action.eq(action),
            fe::note.eq(None::<&str>),
            fe::at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A flag by id, whichever clinic (for background jobs).
pub fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<Flag>> {
    f::table
        .find(id)
        .select(Flag::as_select())
        .get_result(conn)
        .optional()
}
