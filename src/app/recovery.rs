//! A patient's recovery: registering a treatment, recording a daily log with
//! its assessment and flags, the periodic missed-log check, and reading a
//! treatment's course. Shared by the REST API, sync and the console.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::actor::{Caller, PatientCaller};
use super::alerts::{self, FlagEvent};
use super::error::{AppError, AppResult};
use super::reminders;
use super::treatments::{self as ctx_of, TreatmentCtx};
use super::words::reader_locale;
use crate::db::{Db, PatientWrite, Tx};
use crate::domain::assessment::{self, Assessment, DayLog, Finding, RuleInputs};
use crate::domain::ids::PatientId;
use crate::domain::log::{check_log_date, signs_from_text, signs_to_text, LogEntry};
use crate::domain::reminder::{planned_check_in_days, treatment_plan, PlanFacts};
use crate::domain::risk::{self, RiskFactor, Warning};
use crate::domain::series::{self, PreviousSession};
use crate::domain::signs::{emergency_signs, DEFAULT_EMERGENCY_NUMBER, EMERGENCY_ADVICE};
use crate::domain::treatment::{
    self, Addon, Area, DepthMm, Fitzpatrick, Score, Scores, SessionNumber,
};
use crate::i18n::{Locale, Msg};
use crate::store::daily_logs::{self, DailyLog, LogValues};
use crate::store::flags::{self, Change, Flag, Raise};
use crate::store::{patients, protocols, Scope};

pub struct NewTreatment {
    pub performed_at: DateTime<Utc>,
    pub area: Area,
    pub depth: DepthMm,
    pub addons: Vec<Addon>,
    /// Derived from the series when not given.
    pub session_number: Option<SessionNumber>,
    /// Sorted, without duplicates.
    pub risk_factors: Vec<RiskFactor>,
    pub products: Option<String>,
    /// The session this one follows; by default the patient's latest
    /// treatment performed before it.
    pub previous_treatment_id: Option<String>,
    /// Registers it despite contraindications (trimmed, non-empty).
    pub override_reason: Option<String>,
}

/// A registered treatment with what the clinician should know about it.
pub struct Registered {
    pub ctx: TreatmentCtx,
    /// Cautions for the answer (keloid tendency, a session too soon, an
    /// overridden contraindication...); none refused the registration.
    pub warnings: Vec<Warning>,
    /// Contraindications registered anyway with an override reason.
    pub overridden: Vec<String>,
}

impl Registered {
    pub fn warned(&self, code: &str) -> bool {
        self.warnings.iter().any(|w| w.code == code)
    }
}

/// The session a new treatment follows: the one named (it must be an
/// earlier treatment of the same patient) or the patient's latest earlier one.
fn previous_session(
    tx: &mut Tx<'_>,
    scope: &Scope,
    patient_id: &str,
    performed_at: i64,
    named: Option<&str>,
) -> AppResult<Option<crate::store::treatments::Treatment>> {
    let Some(id) = named else {
        return Ok(crate::store::treatments::latest_before(
            tx.conn(),
            patient_id,
            performed_at,
        )?);
    };
    let refuse = |m: &str| AppError::field("previous_treatment_id", m);
    match crate::store::treatments::get(tx.conn(), scope, id) {
        Ok(t) if t.patient_id != patient_id => Err(refuse("is not a treatment of this patient")),
        Ok(t) if t.performed_at >= performed_at => {
            Err(refuse("must be performed before this treatment"))
        }
        Ok(t) => Ok(Some(t)),
        Err(diesel::result::Error::NotFound) => Err(refuse("no such treatment of this patient")),
        Err(e) => Err(e.into()),
    }
}

/// Registers a treatment for a patient the staff scope may see, with its
/// default reminder plan materialised. Refused when its risk factors
/// contraindicate it, unless an override reason is given.
pub fn register_treatment(
    tx: &mut Tx<'_>,
    scope: &Scope,
    actor_id: &str,
    patient_id: &str,
    new: &NewTreatment,
) -> AppResult<Registered> {
    let patient = patients::get(tx.conn(), scope, patient_id)?;
    let tz: Tz = patient
        .timezone
        .parse()
        .map_err(|_| AppError::corrupt("time zone", &patient.timezone))?;
    let fitzpatrick = Fitzpatrick::parse(i64::from(patient.fitzpatrick))
        .map_err(|e| AppError::corrupt("skin type", e))?;
    let screening = risk::screen(&new.risk_factors, new.depth, &new.addons);
    let mut warnings = screening.warnings;
    if !screening.contraindicated.is_empty() {
        if new.override_reason.is_none() {
            return Err(AppError::Contraindicated(screening.contraindicated));
        }
        warnings.push(Warning {
            code: "contraindication_overridden".into(),
            message: format!(
                "registered despite contraindications: {}",
                screening.contraindicated.join(", ")
            ),
            details: serde_json::json!({ "contraindications": screening.contraindicated }),
        });
    }
    let protocol_id = protocols::current_for_clinic(tx.conn(), &patient.clinic_id)?;
    let interval = protocols::get(tx.conn(), &protocol_id)?
        .session_intervals
        .for_area(new.area);
    let performed_at = new.performed_at.timestamp_millis();
    let day0 = treatment::day0(new.performed_at, tz);
    let previous = previous_session(
        tx,
        scope,
        &patient.id,
        performed_at,
        new.previous_treatment_id.as_deref(),
    )?;
    let previous = previous
        .map(|p| -> AppResult<PreviousSession> {
            Ok(PreviousSession {
                session_number: u16::try_from(p.session_number)
                    .map_err(|e| AppError::corrupt("session number", e))?,
                id: p.id,
                day0: p.day0,
            })
        })
        .transpose()?;
    let series = series::check(previous.as_ref(), day0, new.session_number, interval);
    warnings.extend(series.warnings);
    let mut addons: Vec<&str> = new.addons.iter().map(|a| a.as_str()).collect();
    addons.sort_unstable();
    addons.dedup();
    let risk_factors = risk::to_text(&new.risk_factors);
    let mut w = tx.patient(&PatientId::new(patient.id.clone()));
    let id = crate::store::treatments::create(
        &mut w,
        crate::store::treatments::NewTreatment {
            clinic_id: &patient.clinic_id,
            protocol_id: &protocol_id,
            performed_at,
            day0,
            area: new.area.as_str(),
            depth_mm: new.depth.get(),
            addons: &addons.join(","),
            session_number: i32::from(series.session_number.get()),
            created_by: actor_id,
            risk_factors: &risk_factors,
            products: new.products.as_deref(),
            previous_treatment_id: previous.as_ref().map(|p| p.id.as_str()),
        },
    )?;
    if let (false, Some(reason)) = (
        screening.contraindicated.is_empty(),
        new.override_reason.as_deref(),
    ) {
        crate::store::treatments::record_override(
            w.conn(),
            &id,
            &screening.contraindicated.join(","),
            reason,
            actor_id,
        )?;
    }
    let ctx = ctx_of::load(w.conn(), scope, &id)?;
    let plan = treatment_plan(&PlanFacts {
        depth: new.depth,
        fitzpatrick,
        next_session_day: interval,
    });
    crate::store::reminders::create_plan(&mut w, &id, &plan, actor_id)?;
    reminders::replan(&mut w, &ctx, Utc::now())?;
    Ok(Registered {
        ctx,
        warnings,
        overridden: screening.contraindicated,
    })
}

pub fn day_log(log: &DailyLog) -> AppResult<DayLog> {
    let scores = [log.redness, log.swelling, log.flaking, log.sensitivity];
    day_of(log.log_date, log.day, scores, &log.signs)
}

fn day_of(date: NaiveDate, day: i32, scores: [i32; 4], signs: &str) -> AppResult<DayLog> {
    let score = |v: i32| Score::parse(v as i64).map_err(|e| AppError::corrupt("score", e));
    let [redness, swelling, flaking, sensitivity] = scores;
    Ok(DayLog {
        date,
        day: day as i64,
        scores: Scores {
            redness: score(redness)?,
            swelling: score(swelling)?,
            flaking: score(flaking)?,
            sensitivity: score(sensitivity)?,
        },
        signs: signs_from_text(signs),
    })
}

pub struct Recorded {
    pub log: DailyLog,
    pub assessment: Assessment,
    /// Flags raised or updated by this log.
    pub flags: Vec<Flag>,
    /// Set when the log carries an emergency sign: what to tell the patient
    /// now, with the clinic's emergency number (rendered in the reader's
    /// locale).
    pub emergency_advice: Option<Msg>,
}

/// The facts about a treatment the rules take beyond its timeline: its
/// risk factors.
pub fn rule_inputs(ctx: &TreatmentCtx) -> RuleInputs {
    let has = |r: RiskFactor| ctx.risk_factors().contains(&r);
    RuleInputs {
        anticoagulants: has(RiskFactor::Anticoagulants),
        cold_sore_history: has(RiskFactor::ColdSoreHistory),
    }
}

/// The emergency number the clinic's patients are told to call: the
/// clinic's setting (`PATCH /v1/clinic`), or the default if it is blank.
pub fn emergency_number(conn: &mut crate::db::DbConn, clinic_id: &str) -> AppResult<String> {
    let number = crate::store::clinics::get(conn, clinic_id)?.emergency_number;
    Ok(if number.trim().is_empty() {
        DEFAULT_EMERGENCY_NUMBER.to_string()
    } else {
        number
    })
}

/// The emergency advice with the clinic's emergency number.
pub fn emergency_advice(conn: &mut crate::db::DbConn, clinic_id: &str) -> AppResult<Msg> {
    Ok(Msg::new(EMERGENCY_ADVICE).arg("number", emergency_number(conn, clinic_id)?))
}

/// The advice for a log's signs, if any of them is an emergency.
pub fn emergency_advice_for(
    conn: &mut crate::db::DbConn,
    clinic_id: &str,
    signs: &[crate::domain::signs::Sign],
) -> AppResult<Option<Msg>> {
    if emergency_signs(signs).is_empty() {
        return Ok(None);
    }
    Ok(Some(emergency_advice(conn, clinic_id)?))
}

/// A treatment's logs by date, kept current while several logs are recorded
/// in one transaction (a sync push), so that each assessment reads the
/// history from memory instead of the database.
pub struct LogBook(BTreeMap<NaiveDate, DayLog>);

impl LogBook {
    pub fn load(conn: &mut crate::db::DbConn, treatment_id: &str) -> AppResult<Self> {
        daily_logs::scores_for_treatment(conn, treatment_id)?
            .iter()
            .map(|r| {
                let scores = [r.redness, r.swelling, r.flaking, r.sensitivity];
                Ok((r.log_date, day_of(r.log_date, r.day, scores, &r.signs)?))
            })
            .collect::<AppResult<_>>()
            .map(Self)
    }

    /// From rows of one treatment.
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a DailyLog>) -> AppResult<Self> {
        rows.into_iter()
            .map(|r| Ok((r.log_date, day_log(r)?)))
            .collect::<AppResult<_>>()
            .map(Self)
    }

    /// The log of `date` was deleted or moved to another date.
    pub fn forget(&mut self, date: NaiveDate) {
        self.0.remove(&date);
    }
}

/// A log to record: the client's record id (used when the log is new), its
/// date and values, and how many days after the patient's today its date
/// may be.
pub struct LogInput<'a> {
    pub id: Option<&'a str>,
    pub date: NaiveDate,
    pub entry: &'a LogEntry,
    pub grace_days: u32,
}

/// Records (or replaces) the log for a date and assesses it, raising flags,
/// with the treatment's logs already in memory (`book`, updated here).
pub fn record_log_in(
    w: &mut PatientWrite<'_, '_>,
    ctx: &TreatmentCtx,
    book: &mut LogBook,
    log: LogInput<'_>,
    now: DateTime<Utc>,
) -> AppResult<Recorded> {
    let LogInput {
        id,
        date,
        entry,
        grace_days,
    } = log;
    if ctx.cancellation.is_some() {
        // 422 rather than 409: a device that pulls again gets the same
        // answer, so "pull and retry" would not help it.
        return Err(AppError::field(
            "treatment_id",
            "this treatment was cancelled; it takes no more logs",
        ));
    }
    let day = check_log_date(date, ctx.treatment.day0, ctx.today(now), grace_days)
        .map_err(|m| AppError::field("date", m))?;
    let had_emergency = book
        .0
        .get(&date)
        .is_some_and(|old| !emergency_signs(&old.signs).is_empty());
    let new_id = crate::store::new_id();
    let log = daily_logs::upsert(
        w,
        id.unwrap_or(&new_id),
        LogValues {
            treatment_id: &ctx.treatment.id,
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
        },
    )?;
    let current = day_log(&log)?;
    book.0.insert(date, current.clone());
    let history: Vec<DayLog> = book.0.values().cloned().collect();
    let assessment = assessment::assess(
        &ctx.timeline,
        ctx.fitzpatrick,
        &rule_inputs(ctx),
        &history,
        &current,
    );
    let flags = raise_all(w, ctx, &assessment.findings)?;
    let emergency_advice =
        emergency_advice_for(w.conn(), &ctx.treatment.clinic_id, &current.signs)?;
    if had_emergency || emergency_advice.is_some() {
        // The synced care data of the treatment carries the advice on that
        // day; re-send it whenever the day gains or loses it.
        crate::store::treatments::touch(w, &ctx.treatment.id)?;
    }
    Ok(Recorded {
        log,
        assessment,
        flags,
        emergency_advice,
    })
}

/// The patient's log for a date, recorded over REST: whether it is new,
/// what was stored and found, and the locale of the answer (`requested`,
/// else the patient's).
pub async fn put_log(
    db: &Db,
    patient: PatientCaller,
    treatment_id: String,
    date: NaiveDate,
    entry: LogEntry,
    requested: Option<Locale>,
) -> AppResult<(bool, Recorded, Locale)> {
    // A handful of statements: the treatment with its patient's profile,
    // the logs so far, the counter, the upsert, and flags only when the
    // assessment finds something.
    db.write(move |tx| {
        let ctx = ctx_of::load(tx.conn(), &patient.scope(), &treatment_id)?;
        let mut book = LogBook::load(tx.conn(), &treatment_id)?;
        let existed = book.0.contains_key(&date);
        let locale = requested.unwrap_or(ctx.patient_locale);
        let mut w = tx.patient(&patient.patient());
        let log = LogInput {
            id: None,
            date,
            entry: &entry,
            grace_days: 0,
        };
        let recorded = record_log_in(&mut w, &ctx, &mut book, log, Utc::now())?;
        Ok((!existed, recorded, locale))
    })
    .await
}

/// Raises or updates a flag per finding and tells `alerts` what happened:
/// a new flag or a raised severity is `Opened` (it alerts once per flag and
/// severity), an acknowledged flag reopened by new evidence of a higher
/// severity or a new urgent finding is `Reopened` (it alerts again); the
/// clinic's settings decide who hears of it.
pub(super) fn raise_all(
    w: &mut PatientWrite<'_, '_>,
    ctx: &TreatmentCtx,
    findings: &[Finding],
) -> AppResult<Vec<Flag>> {
    let mut out = Vec::with_capacity(findings.len());
    if findings.is_empty() {
        return Ok(out);
    }
    let mut active = flags::active_for_treatment(w.conn(), &ctx.treatment.id)?;
    for finding in findings {
        let known = active
            .iter()
            .position(|f| f.reason == finding.reason.as_str())
            .map(|i| active.swap_remove(i));
        let raised = flags::raise(
            w,
            Raise {
                treatment_id: &ctx.treatment.id,
                clinic_id: &ctx.treatment.clinic_id,
                finding,
                active: known,
            },
        )?;
        let event = match raised.change {
            Change::Opened | Change::Raised { .. } => Some(FlagEvent::Opened),
            Change::Reopened { .. } => Some(FlagEvent::Reopened),
            Change::Added | Change::Unchanged => None,
        };
        if let Some(event) = event {
            alerts::flag_event(w.conn(), &raised.flag, event, crate::db::now_ms())?;
        }
        out.push(raised.flag);
    }
    Ok(out)
}

/// Raises missed-log flags while logs are asked for: two whole days in a
/// row without a log through day 14, or a missed check-in after that. Each
/// flag is its own write transaction.
/// Returns how many flags were raised or updated.
pub async fn check_missed_logs(db: &Db, now: DateTime<Utc>) -> AppResult<usize> {
    // The last check-in's grace must still be open for a treatment to be
    // checked; one more day covers every zone's offset from UTC.
    let watch = crate::domain::reminder::LONG_WATCH_CHECK_IN_DAYS
        .iter()
        .chain(&crate::domain::reminder::CHECK_IN_DAYS)
        .copied()
        .max()
        .unwrap_or(0);
    let since = now.date_naive()
        - chrono::Days::new(u64::from(watch) + assessment::CHECK_IN_GRACE_DAYS as u64 + 2);
    let missed: Vec<(TreatmentCtx, Finding)> = db
        .read(move |c| {
            let mut missed = Vec::new();
            for treatment in crate::store::treatments::recent(c, since)? {
                let ctx = ctx_of::context(c, treatment)?;
                if !ctx.in_care() {
                    // Cancelled, or the recovery is over: no logs are asked for.
                    continue;
                }
                let logged = daily_logs::dates_for_treatment(c, &ctx.treatment.id)?;
                // The check-ins the patient is actually reminded of.
                let check_ins = match crate::store::reminders::plan(c, &ctx.treatment.id) {
                    Ok((plan, _)) => planned_check_in_days(&plan),
                    Err(diesel::result::Error::NotFound) => Vec::new(),
                    Err(e) => return Err(e.into()),
                };
                let Some(finding) = assessment::missed_logs(
                    ctx.treatment.day0,
                    ctx.today(now),
                    &logged,
                    &check_ins,
                ) else {
                    continue;
                };
                // A clinician who resolved a missed-logs flag is not paged
                // again for the same gaps, only for new ones.
                let resolved = flags::for_treatment(c, &ctx.treatment.id)?
                    .into_iter()
                    .filter(|f| f.reason == finding.reason.as_str() && f.status == "resolved")
                    .max_by_key(|f| f.updated_at);
                let news = resolved.is_none_or(|f| {
                    let seen: Value = serde_json::from_str(&f.evidence).unwrap_or(Value::Null);
                    !missed_days(&finding.evidence).is_subset(&missed_days(&seen))
                });
                if news {
                    missed.push((ctx, finding));
                }
            }
            Ok::<_, AppError>(missed)
        })
        .await?;
    let raised = missed.len();
    for (ctx, finding) in missed {
        db.write(move |tx| {
            let mut w = tx.patient(&PatientId::new(ctx.treatment.patient_id.clone()));
            raise_all(&mut w, &ctx, std::slice::from_ref(&finding))
        })
        .await?;
    }
    Ok(raised)
}

/// The days a missed-logs finding counts: those of its runs of missed days
/// and its missed check-ins.
fn missed_days(evidence: &Value) -> BTreeSet<i64> {
    let list = |key: &str| evidence[key].as_array().cloned().unwrap_or_default();
    let mut days = BTreeSet::new();
    for run in list("runs") {
        if let (Some(from), Some(to)) = (run["from_day"].as_i64(), run["to_day"].as_i64()) {
            days.extend(from..=to);
        }
    }
    days.extend(
        list("missed_check_ins")
            .iter()
            .filter_map(|c| c["day"].as_i64()),
    );
    days
}

/// One treatment.
pub async fn treatment(db: &Db, caller: &Caller, id: String) -> AppResult<TreatmentCtx> {
    ctx_of::read(db, caller, id, "treatment.read", |_, ctx| Ok(ctx)).await
}

/// A treatment with its logs, for the timeline beside the expected course,
/// and the locale of its labels (`requested`, else the caller's).
pub async fn timeline(
    db: &Db,
    caller: &Caller,
    id: String,
    requested: Option<Locale>,
) -> AppResult<(TreatmentCtx, Vec<DailyLog>, Locale)> {
    let me = caller.account_id.clone();
    ctx_of::read(db, caller, id, "timeline.read", move |c, ctx| {
        let logs = daily_logs::for_treatment(c, &ctx.treatment.id)?;
        Ok((ctx, logs, reader_locale(c, &me, requested)?))
    })
    .await
}

/// Today's care instructions of a treatment (read audited as `care.read`),
/// in the locale `requested`, else the caller's.
pub async fn care(
    db: &Db,
    caller: &Caller,
    id: String,
    requested: Option<Locale>,
) -> AppResult<(TreatmentCtx, Locale)> {
    let me = caller.account_id.clone();
    ctx_of::read(db, caller, id, "care.read", move |c, ctx| {
        Ok((ctx, reader_locale(c, &me, requested)?))
    })
    .await
}

/// A treatment's logs, in date order.
pub async fn logs(db: &Db, caller: &Caller, id: String) -> AppResult<Vec<DailyLog>> {
    ctx_of::read(db, caller, id, "logs.read", |c, ctx| {
        Ok(daily_logs::for_treatment(c, &ctx.treatment.id)?)
    })
    .await
}

/// The patient's own treatments, newest first.
pub async fn my_treatments(db: &Db, patient: &PatientCaller) -> AppResult<Vec<TreatmentCtx>> {
    let patient = patient.clone();
    db.read(move |c| {
        crate::store::treatments::for_patient(c, &patient.account_id)?
            .into_iter()
            .map(|t| ctx_of::context(c, t))
            .collect::<AppResult<Vec<_>>>()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missed_days_are_the_runs_and_check_ins() {
        let e = json!({
            "runs": [{"from_day": 3, "to_day": 5}, {"from_day": 9, "to_day": 10}],
            "missed_check_ins": [{"day": 21, "date": "2026-03-22"}],
        });
        assert_eq!(
            missed_days(&e).into_iter().collect::<Vec<_>>(),
            [3, 4, 5, 9, 10, 21]
        );
        // Evidence from before check-ins existed, or none at all.
        let old = json!({"runs": [{"from_day": 0, "to_day": 1}]});
        assert_eq!(missed_days(&old).into_iter().collect::<Vec<_>>(), [0, 1]);
        assert!(missed_days(&Value::Null).is_empty());
        // A later finding with the same gaps adds nothing; a new check-in does.
        let later =
            json!({"runs": [{"from_day": 3, "to_day": 5}], "missed_check_ins": [{"day": 21}]});
        assert!(missed_days(&later).is_subset(&missed_days(&e)));
        let newer = json!({"runs": [], "missed_check_ins": [{"day": 28}]});
        assert!(!missed_days(&newer).is_subset(&missed_days(&e)));
    }
}
