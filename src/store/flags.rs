//! Flags raised by the assessment rules, and their review by clinicians.

use diesel::prelude::*;

use super::Scope;
use crate::db::schema::{accounts as a, flag_events as fe, flags as f};
use crate::db::{now_ms, DbConn, PatientWrite};
use serde_json::{json, Value};

use crate::domain::assessment::{weight, Finding, Severity};
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
    /// Evidence of the day the flag opened, with that day's `severity`.
    pub opened_evidence: String,
    /// Evidence of its worst day so far, with that day's `severity`.
    pub worst_evidence: String,
    /// JSON array of the days that added to it: `{day, date, severity, weight}`.
    pub evidence_days: String,
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
    /// The treatment's active flag for the finding's reason as read earlier
    /// in this transaction ([`active_for_treatment`]), so a log with several
    /// findings reads the flags once.
    pub active: Option<Flag>,
}

/// What [`raise`] did to the treatment's flag for the finding's reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A new flag (there was no active one for the reason).
    Opened,
    /// An open flag got evidence of a higher severity.
    Raised { from: Severity },
    /// An acknowledged flag got evidence of a higher severity, or a new
    /// urgent finding: it is open again.
    Reopened { from: Severity },
    /// New evidence of the same or a lower severity.
    Added,
    /// The same evidence again (a log saved twice).
    Unchanged,
}

/// The actor of flag events written by the rules rather than a person.
pub const SYSTEM_ACTOR: &str = "system";

/// A flag after [`raise`], and what happened to it.
pub struct Raised {
    pub flag: Flag,
    pub change: Change,
}

fn severity_of(flag: &Flag) -> Severity {
    Severity::from_rank(i64::from(flag.severity_rank)).unwrap_or(Severity::Review)
}

/// Evidence with its severity beside it, as kept for the opening and worst days.
fn keyed(finding: &Finding) -> String {
    let mut v = finding.evidence.clone();
    if let Some(m) = v.as_object_mut() {
        m.insert("severity".into(), json!(finding.severity));
    }
    v.to_string()
}

fn day_entry(finding: &Finding) -> Value {
    json!({
        "day": finding.evidence.get("day").cloned().unwrap_or(Value::Null),
        "date": finding.evidence.get("date").or(finding.evidence.get("today")).cloned().unwrap_or(Value::Null),
        "severity": finding.severity,
        "weight": finding.weight(),
    })
}

/// The days that added to a flag, with this finding's day added or replaced.
fn days_with(existing: &Flag, finding: &Finding) -> String {
    let mut days: Vec<Value> = serde_json::from_str(&existing.evidence_days).unwrap_or_default();
    if days.is_empty() {
        // A flag from before the list was kept: its latest day stands for it.
        let ev: Value = serde_json::from_str(&existing.evidence).unwrap_or(Value::Null);
        days.push(json!({
            "day": ev.get("day").cloned().unwrap_or(Value::Null),
            "date": ev.get("date").or(ev.get("today")).cloned().unwrap_or(Value::Null),
            "severity": existing.severity,
            "weight": weight(&ev),
        }));
    }
    let entry = day_entry(finding);
    match days.iter_mut().find(|d| d["day"] == entry["day"]) {
        Some(slot) => *slot = entry,
        None => days.push(entry),
    }
    days.sort_by_key(|d| d["day"].as_i64().unwrap_or(i64::MIN));
    Value::Array(days).to_string()
}

/// Whether `finding` is worse than the stored worst day: more severe, or as
/// severe with heavier evidence.
fn worse_than_worst(existing: &Flag, finding: &Finding) -> bool {
    let worst: Value = serde_json::from_str(&existing.worst_evidence).unwrap_or(Value::Null);
    let worst_severity = worst["severity"]
        .as_str()
        .and_then(|s| Severity::parse(s).ok())
        .unwrap_or_else(|| severity_of(existing));
    (finding.severity, std::cmp::Reverse(finding.weight()))
        < (worst_severity, std::cmp::Reverse(weight(&worst)))
}

/// Raises a flag for a finding, or adds the evidence to the treatment's
/// active flag for the same reason: the latest evidence replaces
/// `evidence`, the opening day's stays, the worst day's is replaced only by
/// a worse one, and the day joins `evidence_days`. Evidence of a higher
/// severity raises the flag; that, or any new urgent finding, reopens an
/// acknowledged flag. Raises and reopens are written to the flag's history.
pub fn raise(w: &mut PatientWrite<'_, '_>, r: Raise<'_>) -> QueryResult<Raised> {
    let reason = r.finding.reason.as_str();
    let now = now_ms();
    let evidence = r.finding.evidence.to_string();
    // A concurrent writer may insert the same active flag first; the partial
    // unique index turns our insert into a no-op and we update theirs.
    let mut known = Some(r.active);
    for _ in 0..2 {
        let existing = match known.take() {
            Some(read) => read,
            None => active(w.conn(), r.treatment_id, reason)?,
        };
        if let Some(existing) = existing {
            let from = severity_of(&existing);
            let new = r.finding.severity;
            let higher = new < from;
            let severity = new.min(from);
            let fresh = existing.evidence != evidence;
            let reopen =
                existing.status == "acknowledged" && fresh && (higher || new == Severity::Urgent);
            let change = if !fresh && !higher {
                Change::Unchanged
            } else if reopen {
                Change::Reopened { from }
            } else if higher {
                Change::Raised { from }
            } else {
                Change::Added
            };
            if change == Change::Unchanged {
                return Ok(Raised {
                    flag: existing,
                    change,
                });
            }
            let worst = if worse_than_worst(&existing, r.finding) {
                keyed(r.finding)
            } else {
                existing.worst_evidence.clone()
            };
            let days = days_with(&existing, r.finding);
            let status = if reopen {
                "open"
            } else {
                existing.status.as_str()
            };
            let seq = w.stamp()?;
            let conn = w.conn();
            let flag = per_backend!(&mut *conn, |c| crate::cached!(diesel::update(
                f::table.find(&existing.id)
            )
            .set((
                f::evidence.eq(&evidence),
                f::worst_evidence.eq(&worst),
                f::evidence_days.eq(&days),
                f::severity.eq(severity.as_str()),
                f::severity_rank.eq(severity.rank() as i32),
                f::status.eq(status),
                f::updated_at.eq(now),
                f::seq.eq(seq),
            ))
            .returning(Flag::as_returning()))
            .get_result(c))?;
            if let Change::Raised { .. } | Change::Reopened { .. } = change {
                let action = if reopen { "reopened" } else { "raised" };
                let day = r
                    .finding
                    .evidence
                    .get("day")
                    .cloned()
                    .unwrap_or(Value::Null);
                diesel::insert_into(fe::table)
                    .values((
                        fe::id.eq(super::new_id()),
                        fe::flag_id.eq(&existing.id),
                        fe::actor_id.eq(SYSTEM_ACTOR),
                        fe::action.eq(action),
                        fe::note.eq(if from == severity {
                            format!("new {} evidence on day {day}", severity.as_str())
                        } else {
                            format!("{} to {} on day {day}", from.as_str(), severity.as_str())
                        }),
                        fe::at.eq(now),
                    ))
                    .execute(conn)?;
            }
            return Ok(Raised { flag, change });
        }
        let id = super::new_id();
        let seq = w.stamp()?;
        let (conn, patient_id) = w.split();
        let kept = keyed(r.finding);
        let days = Value::Array(vec![day_entry(r.finding)]).to_string();
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
                f::opened_evidence.eq(&kept),
                f::worst_evidence.eq(&kept),
                f::evidence_days.eq(&days),
                f::opened_at.eq(now),
                f::updated_at.eq(now),
                f::seq.eq(seq),
            ))
            .on_conflict_do_nothing()
            .returning(Flag::as_returning())
            .get_result(c)
            .optional())?;
        if let Some(flag) = inserted {
            return Ok(Raised {
                flag,
                change: Change::Opened,
            });
        }
    }
    Err(super::impossible("flag upsert did not converge"))
}

/// The treatment's active (not resolved) flag for a reason; a partial unique
/// index keeps it to one.
fn active(conn: &mut DbConn, treatment_id: &str, reason: &str) -> QueryResult<Option<Flag>> {
    per_backend!(conn, |c| f::table
        .filter(f::treatment_id.eq(treatment_id))
        .filter(f::reason.eq(reason))
        .filter(f::status.ne("resolved"))
        .select(Flag::as_select())
        .get_result(c)
        .optional())
}

/// The treatment's active flags, one per reason.
pub fn active_for_treatment(conn: &mut DbConn, treatment_id: &str) -> QueryResult<Vec<Flag>> {
    per_backend!(conn, |c| f::table
        .filter(f::treatment_id.eq(treatment_id))
        .filter(f::status.ne("resolved"))
        .select(Flag::as_select())
        .load(c))
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

/// (patient id, severity rank) of the clinic's open and acknowledged flags.
pub fn active_for_clinic(conn: &mut DbConn, clinic_id: &str) -> QueryResult<Vec<(String, i32)>> {
    f::table
        .filter(f::clinic_id.eq(clinic_id))
        .filter(f::status.ne("resolved"))
        .select((f::patient_id, f::severity_rank))
        .load(conn)
}
