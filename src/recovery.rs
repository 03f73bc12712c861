//! Recovery use cases that combine the store and the pure rules: registering
//! a treatment, recording a daily log with its assessment, and the periodic
//! missed-log check. Shared by the REST handlers and sync.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::db::DbConn;
use crate::domain::assessment::{self, Assessment, DayLog, Finding};
use crate::domain::log::{check_log_date, signs_from_text, signs_to_text, LogEntry};
use crate::domain::protocol::Protocol;
use crate::domain::reminder::default_plan;
use crate::domain::timeline::{expected_timeline, Timeline};
use crate::domain::treatment::{self, Addon, Area, DepthMm, Fitzpatrick, Score, Scores};
use crate::error::{ApiError, ApiResult};
use crate::push::scheduler;
use crate::store::daily_logs::{self, DailyLog, LogValues};
use crate::store::flags::{self, Flag, Raise};
use crate::store::treatments::{self, Treatment};
use crate::store::{patients, protocols, reminders, Scope};

/// A treatment with everything the rules need about it.
pub struct TreatmentCtx {
    pub treatment: Treatment,
    pub tz: Tz,
    pub fitzpatrick: Fitzpatrick,
    pub depth: DepthMm,
    pub area: Area,
    pub addons: Vec<Addon>,
    pub protocol: Arc<Protocol>,
    pub timeline: Timeline,
}

impl TreatmentCtx {
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        treatment::local_date(now, self.tz)
    }

    /// Day number of a local date (0 = treatment day).
    pub fn day_of(&self, date: NaiveDate) -> i64 {
        (date - self.treatment.day0).num_days()
    }
}

fn corrupt(what: &str, e: String) -> ApiError {
    ApiError::internal(format!("stored {what} is invalid: {e}"))
}

pub fn addons_from_text(text: &str) -> Vec<Addon> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .filter_map(|s| Addon::parse(s).ok())
        .collect()
}

/// Loads a treatment the scope may see, with its patient's zone and skin type.
pub fn load(conn: &mut DbConn, scope: &Scope, id: &str) -> ApiResult<TreatmentCtx> {
    let treatment = treatments::get(conn, scope, id)?;
    context(conn, treatment)
}

pub fn context(conn: &mut DbConn, treatment: Treatment) -> ApiResult<TreatmentCtx> {
    let (tz_name, fitz) = patients::profile(conn, &treatment.patient_id)?;
    let tz: Tz = tz_name
        .parse()
        .map_err(|_| corrupt("time zone", tz_name.clone()))?;
    let fitzpatrick = Fitzpatrick::parse(fitz as i64).map_err(|e| corrupt("skin type", e))?;
    let depth = DepthMm::parse(treatment.depth_mm).map_err(|e| corrupt("depth", e))?;
    let area = Area::parse(&treatment.area).map_err(|e| corrupt("area", e))?;
    let addons = addons_from_text(&treatment.addons);
    let protocol = protocols::get(conn, &treatment.protocol_id)?;
    let timeline = expected_timeline(&protocol, depth, area, &addons);
    Ok(TreatmentCtx {
        treatment,
        tz,
        fitzpatrick,
        depth,
        area,
        addons,
        protocol,
        timeline,
    })
}

pub struct NewTreatment {
    pub performed_at: DateTime<Utc>,
    pub area: Area,
    pub depth: DepthMm,
    pub addons: Vec<Addon>,
    pub session_number: i32,
}

/// Registers a treatment for a patient the staff scope may see.
pub fn register_treatment(
    conn: &mut DbConn,
    scope: &Scope,
    actor_id: &str,
    patient_id: &str,
    new: &NewTreatment,
) -> ApiResult<TreatmentCtx> {
    let patient = patients::get(conn, scope, patient_id)?;
    let tz: Tz = patient
        .timezone
        .parse()
        .map_err(|_| corrupt("time zone", patient.timezone.clone()))?;
    let protocol_id = protocols::current_for_clinic(conn, &patient.clinic_id)?;
    let seq = patients::bump_change_seq(conn, &patient.id)?;
    let mut addons: Vec<&str> = new.addons.iter().map(|a| a.as_str()).collect();
    addons.sort_unstable();
    addons.dedup();
    let id = treatments::create(
        conn,
        treatments::NewTreatment {
            patient_id: &patient.id,
            clinic_id: &patient.clinic_id,
            protocol_id: &protocol_id,
            performed_at: new.performed_at.timestamp_millis(),
            day0: treatment::day0(new.performed_at, tz),
            area: new.area.as_str(),
            depth_mm: new.depth.get(),
            addons: &addons.join(","),
            session_number: new.session_number,
            created_by: actor_id,
            seq,
        },
    )?;
    let ctx = load(conn, scope, &id)?;
    reminders::create_plan(
        conn,
        &id,
        &patient.id,
        &default_plan(new.depth),
        actor_id,
        seq,
    )?;
    scheduler::replan(conn, &ctx, Utc::now())?;
    Ok(ctx)
}

pub fn day_log(log: &DailyLog) -> ApiResult<DayLog> {
    let score = |v: i32| Score::parse(v as i64).map_err(|e| corrupt("score", e));
    Ok(DayLog {
        date: log.log_date,
        day: log.day as i64,
        scores: Scores {
            redness: score(log.redness)?,
            swelling: score(log.swelling)?,
            flaking: score(log.flaking)?,
            sensitivity: score(log.sensitivity)?,
        },
        signs: signs_from_text(&log.signs),
    })
}

pub struct Recorded {
    pub log: DailyLog,
    pub assessment: Assessment,
    /// Flags raised or updated by this log.
    pub flags: Vec<Flag>,
}

/// Records (or replaces) the log for a date and assesses it, raising flags.
/// Call inside a write transaction. `id` is the client's record id, used
/// when the log is new.
pub fn record_log(
    conn: &mut DbConn,
    ctx: &TreatmentCtx,
    id: Option<&str>,
    date: NaiveDate,
    entry: &LogEntry,
    now: DateTime<Utc>,
) -> ApiResult<Recorded> {
    let day = check_log_date(date, ctx.treatment.day0, ctx.today(now))
        .map_err(|m| ApiError::field("date", m))?;
    let seq = patients::bump_change_seq(conn, &ctx.treatment.patient_id)?;
    let new_id = crate::store::new_id();
    let log = daily_logs::upsert(
        conn,
        id.unwrap_or(&new_id),
        LogValues {
            treatment_id: &ctx.treatment.id,
            patient_id: &ctx.treatment.patient_id,
            log_date: date,
            day: day as i32,
            scores: [
                entry.scores.redness.get() as i32,
                entry.scores.swelling.get() as i32,
                entry.scores.flaking.get() as i32,
                entry.scores.sensitivity.get() as i32,
            ],
            signs: &signs_to_text(&entry.signs),
            note: entry.note.as_deref(),
            seq,
        },
    )?;
    let history = daily_logs::for_treatment(conn, &ctx.treatment.id)?
        .iter()
        .map(day_log)
        .collect::<ApiResult<Vec<_>>>()?;
    let current = day_log(&log)?;
    let assessment = assessment::assess(&ctx.timeline, ctx.fitzpatrick, &history, &current);
    let flags = raise_all(conn, ctx, &assessment.findings, seq)?;
    Ok(Recorded {
        log,
        assessment,
        flags,
    })
}

/// Raises or updates a flag per finding; a flag that just became urgent is
/// pushed to the clinic's clinicians.
fn raise_all(
    conn: &mut DbConn,
    ctx: &TreatmentCtx,
    findings: &[Finding],
    seq: i64,
) -> ApiResult<Vec<Flag>> {
    let mut out = Vec::with_capacity(findings.len());
    for finding in findings {
        let raised = flags::raise(
            conn,
            Raise {
                treatment_id: &ctx.treatment.id,
                patient_id: &ctx.treatment.patient_id,
                clinic_id: &ctx.treatment.clinic_id,
                finding,
                seq,
            },
        )?;
        if raised.became_urgent {
            crate::push::outbox::alert_staff(conn, &raised.flag, crate::db::now_ms())?;
        }
        out.push(raised.flag);
    }
    Ok(out)
}

/// Raises missed-log flags for treatments in their first week: two whole
/// days in a row without a log. Returns how many flags were raised or updated.
pub fn check_missed_logs(conn: &mut DbConn, now: DateTime<Utc>) -> ApiResult<usize> {
    // Day 0 can be at most 8 local days back for the first week to be open;
    // one more day covers every zone's offset from UTC.
    let since = now.date_naive() - chrono::Days::new(assessment::FIRST_WEEK_LAST_DAY as u64 + 2);
    let mut raised = 0;
    for treatment in treatments::recent(conn, since)? {
        let ctx = context(conn, treatment)?;
        let logged = daily_logs::dates_for_treatment(conn, &ctx.treatment.id)?;
        if let Some(finding) = assessment::missed_logs(ctx.treatment.day0, ctx.today(now), &logged)
        {
            crate::db::write_tx(conn, |c| {
                let seq = patients::bump_change_seq(c, &ctx.treatment.patient_id)?;
                raise_all(c, &ctx, std::slice::from_ref(&finding), seq)
            })?;
            raised += 1;
        }
    }
    Ok(raised)
}
