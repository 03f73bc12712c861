//! Reminders: materialising each treatment's plan into occurrences ahead of
//! time (safe in any number of processes: occurrence identities are
//! unique), clinicians replacing a plan, patients' preferences and
//! check-offs.

use std::collections::hash_map::{Entry, HashMap};
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::actor::{Caller, ClinicStaff, PatientCaller};
use super::error::{deserialize_value, AppError, AppResult};
use super::treatments::{self as ctx_of, TreatmentCtx};
use crate::db::{Db, DbConn, PatientWrite, Tx};
use crate::domain::account::TimeZone;
use crate::domain::ids::PatientId;
use crate::domain::reminder::{format_hhmm, Preferences, ReminderPlan};
use crate::domain::schedule::{self, Occurrence};
use crate::i18n::Locale;
use crate::store::push::PushJob;
use crate::store::reminders::{self, OccurrenceRow};
use crate::store::{audit, patients, treatments, Scope};

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
    w: &mut PatientWrite<'_, '_>,
    ctx: &TreatmentCtx,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> AppResult<usize> {
    let t = &ctx.treatment;
    if !ctx.in_care() {
        // Cancelled or discharged: nothing is planned, now or later. The
        // one place occurrences are made (with `refill_batch`), so the
        // one place this is checked.
        reminders::set_planned_until(w, &t.id, DONE)?;
        return Ok(0);
    }
    let (plan, _) = reminders::plan(w.conn(), &t.id)?;
    let prefs = reminders::preferences(w.conn(), &t.patient_id)?;
    let mut occurrences = Vec::new();
    let planned_until = expand(&plan, &prefs, ctx.tz, t.day0, from, until, &mut occurrences);
    let texts: Vec<_> = occurrences.iter().map(|o| Texts::of(o, &t.id)).collect();
    let new: Vec<_> = occurrences
        .iter()
        .zip(&texts)
        .map(|(o, texts)| texts.row(o, &t.id, &t.clinic_id))
        .collect();
    let created = reminders::insert_occurrences(w, &new)?;
    reminders::set_planned_until(w, &t.id, planned_until)?;
    Ok(created)
}

/// Appends the plan's occurrences due in [from, until) to `out`; returns
/// the `planned_until` to store: `until`, or [`DONE`] once past the plan's
/// last day (plus a day for any zone), when there is nothing more to plan.
fn expand(
    plan: &ReminderPlan,
    prefs: &Preferences,
    tz: Tz,
    day0: NaiveDate,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    out: &mut Vec<Occurrence>,
) -> i64 {
    schedule::occurrences_into(plan, prefs, tz, day0, from, until, out);
    let last_day = plan
        .day_span()
        .map(|(_, last)| i64::from(last))
        .unwrap_or(-1);
    let plan_end = day0 + chrono::Days::new((last_day + 2).max(0) as u64);
    if until.date_naive() > plan_end {
        DONE
    } else {
        until.timestamp_millis()
    }
}

/// The stored texts of an occurrence, owned while its row borrows them.
struct Texts {
    identity: String,
    local_time: String,
}

impl Texts {
    fn of(o: &Occurrence, treatment_id: &str) -> Self {
        Self {
            identity: o.identity(treatment_id),
            local_time: format_hhmm(o.local_time),
        }
    }

    fn row<'a>(
        &'a self,
        o: &Occurrence,
        treatment_id: &'a str,
        clinic_id: &'a str,
    ) -> reminders::NewOccurrence<'a> {
        reminders::NewOccurrence {
            identity: &self.identity,
            treatment_id,
            clinic_id,
            kind: o.kind.as_str(),
            day: i32::from(o.day),
            local_date: o.local_date,
            local_time: &self.local_time,
            due_at: o.due_at.timestamp_millis(),
            stale_at: o.stale_at.timestamp_millis(),
        }
    }
}

/// Applies a changed plan or preference to what is not sent yet.
pub fn replan(
    w: &mut PatientWrite<'_, '_>,
    ctx: &TreatmentCtx,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let from = now - GRACE;
    reminders::drop_pending(w, &ctx.treatment.id, from.timestamp_millis())?;
    materialise(w, ctx, from, now + LOOKAHEAD)
}

/// Stops a treatment's reminders (cancelled, or its patient discharged):
/// every unsent occurrence is removed (devices get tombstones), reminder
/// pushes not sent yet are cancelled, and nothing more is planned.
pub fn stop(w: &mut PatientWrite<'_, '_>, treatment_id: &str) -> AppResult<usize> {
    let dropped = reminders::drop_pending(w, treatment_id, i64::MIN)?;
    // Those the patient checked off ahead are kept (their check-off is
    // theirs) but are never sent.
    let pending = reminders::pending_ids(w.conn(), treatment_id)?;
    let pending: Vec<&str> = pending.iter().map(String::as_str).collect();
    reminders::set_status_many(w, &pending, "cancelled")?;
    crate::store::push::cancel_reminder_jobs(w.conn(), treatment_id)?;
    reminders::set_planned_until(w, treatment_id, DONE)?;
    Ok(dropped)
}

/// Refuses a change to reminders that are stopped.
pub fn refuse_if_stopped(ctx: &TreatmentCtx) -> AppResult<()> {
    if ctx.cancellation.is_some() {
        return Err(AppError::conflict(
            "the treatment was cancelled; it has no reminders",
        ));
    }
    if ctx.discharged_at.is_some() {
        return Err(AppError::conflict(
            "the patient was discharged; reminders are not planned (readmit the patient first)",
        ));
    }
    Ok(())
}

/// Replans every treatment of the patient (after a preference or zone change).
pub fn replan_patient(
    w: &mut PatientWrite<'_, '_>,
    clinic_id: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let patient_id = w.patient_id().to_string();
    let scope = Scope::Patient {
        patient_id: patient_id.clone(),
        clinic_id: clinic_id.into(),
    };
    for t in crate::store::treatments::for_patient(w.conn(), &patient_id)? {
        let ctx = ctx_of::load(w.conn(), &scope, &t.id)?;
        replan(w, &ctx, now)?;
    }
    Ok(())
}

/// What a [`refill`] did.
#[derive(Debug, Default)]
pub struct Refilled {
    /// Occurrences created.
    pub created: usize,
    /// Plans taken as due (on PostgreSQL, some may have been topped up by
    /// another process meanwhile, and are then left as they are).
    pub plans: usize,
    /// How long each of its write transactions took, from its first
    /// statement to its commit (ms): how long it held the SQLite writer.
    pub holds_ms: Vec<f64>,
}

/// How long one refill transaction may hold the writer: a request queued
/// behind it waits this long at most (SQLite has one writer; on
/// PostgreSQL a request writing one of the batch's patients waits as long).
/// Batches are sized from the last one's time per plan to about half of it.
pub const REFILL_HOLD: std::time::Duration = std::time::Duration::from_millis(20);
/// Plans in the first transaction of a refill, before any is measured.
const FIRST_BATCH: i64 = 32;

/// Tops up plans that are materialised less than [`REFILL`] ahead, many
/// plans per write transaction (at most `batch`, and about as many as fit
/// in half of [`REFILL_HOLD`]).
pub async fn refill(db: &Db, now: DateTime<Utc>, batch: i64) -> AppResult<Refilled> {
    refill_within(db, now, batch, Some(REFILL_HOLD)).await
}

/// [`refill`] with another bound on a transaction's hold (`None`: always
/// `batch` plans per transaction), for benchmarks and profiles.
pub async fn refill_within(
    db: &Db,
    now: DateTime<Utc>,
    batch: i64,
    hold: Option<std::time::Duration>,
) -> AppResult<Refilled> {
    let before = (now + REFILL).timestamp_millis();
    let batch = batch.max(1);
    let mut size = if hold.is_some() {
        FIRST_BATCH.min(batch)
    } else {
        batch
    };
    let mut done = Refilled::default();
    loop {
        let (taken, created, started) = db
            .write(move |tx| {
                let started = Instant::now();
                let (taken, created) = refill_batch(tx, now, before, size)?;
                Ok::<_, AppError>((taken, created, started))
            })
            .await?;
        let held = started.elapsed();
        done.created += created;
        done.plans += taken;
        done.holds_ms.push(held.as_secs_f64() * 1000.0);
        if (taken as i64) < size {
            if done.plans > 0 {
                let longest_hold_ms = done.holds_ms.iter().copied().fold(0.0, f64::max);
                tracing::debug!(
                    plans = done.plans,
                    created = done.created,
                    transactions = done.holds_ms.len(),
                    longest_hold_ms,
                    "reminder plans topped up"
                );
            }
            return Ok(done);
        }
        if let Some(hold) = hold {
            // Scale to the time one plan took, at most doubling or halving.
            let per_plan = held.as_secs_f64() / size as f64;
            let fits = (hold.as_secs_f64() / 2.0 / per_plan.max(1e-9)) as i64;
            size = fits.clamp((size / 2).max(1), size * 2).min(batch);
        }
    }
}

/// One refill transaction: up to `limit` plans due for their refill, read
/// together, expanded in memory, and their occurrences inserted in a few
/// multi-row statements. Returns (plans taken, occurrences created).
fn refill_batch(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    before: i64,
    limit: i64,
) -> AppResult<(usize, usize)> {
    let due = reminders::needing_plan(tx.conn(), before, limit)?;
    if due.is_empty() {
        return Ok((0, 0));
    }
    let ids: Vec<&str> = due.iter().map(|(t, _)| t.as_str()).collect();
    let patients: Vec<&str> = due.iter().map(|(_, p)| p.as_str()).collect();
    // Locks the patients (PostgreSQL) before their plans are read, so a
    // plan or preference changed meanwhile is read as changed.
    let mut w = tx.patients(&patients)?;
    let rows = reminders::plans_to_fill(w.conn(), &ids)?;
    if rows.len() != ids.len() {
        // A plan without its treatment or patient would be taken again and
        // again; say so rather than loop.
        return Err(AppError::corrupt(
            "reminder plans",
            format!(
                "{} of {} have no treatment or patient",
                ids.len() - rows.len(),
                ids.len()
            ),
        ));
    }
    let until = now + LOOKAHEAD;
    // Most plans are their depth's default: each distinct text is parsed once.
    let mut plans: HashMap<&str, ReminderPlan> = HashMap::new();
    let mut prefs: HashMap<Option<&str>, Preferences> = HashMap::new();
    let mut expanded = Vec::new();
    let mut planned: Vec<(usize, Occurrence)> = Vec::new();
    let (mut finished, mut topped_up) = (Vec::new(), Vec::new());
    for (i, r) in rows.iter().enumerate() {
        if r.planned_until >= before {
            // Another process topped it up while this one waited for the locks.
            continue;
        }
        if r.cancelled.is_some() || r.discharged_at.is_some() {
            // As in `materialise`: nothing is planned, now or later.
            finished.push(r.treatment_id.as_str());
            continue;
        }
        let plan = match plans.entry(r.plan.as_str()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(reminders::parse_plan(&r.plan)?),
        };
        let pref = match prefs.entry(r.preferences.as_deref()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(reminders::parse_preferences(r.preferences.as_deref())?),
        };
        let tz: Tz = r
            .timezone
            .parse()
            .map_err(|_| AppError::corrupt("time zone", &r.timezone))?;
        let from = DateTime::from_timestamp_millis(r.planned_until)
            .unwrap_or(now)
            .max(now - GRACE);
        expanded.clear();
        let planned_until = expand(plan, pref, tz, r.day0, from, until, &mut expanded);
        planned.extend(expanded.drain(..).map(|o| (i, o)));
        if planned_until == DONE {
            finished.push(r.treatment_id.as_str());
        } else {
            topped_up.push(r.treatment_id.as_str());
        }
    }
    let texts: Vec<_> = planned
        .iter()
        .map(|(i, o)| Texts::of(o, &rows[*i].treatment_id))
        .collect();
    let new: Vec<_> = planned
        .iter()
        .zip(&texts)
        .map(|((i, o), texts)| {
            let r = &rows[*i];
            (
                r.patient_id.as_str(),
                texts.row(o, &r.treatment_id, &r.clinic_id),
            )
        })
        .collect();
    let created = reminders::insert_occurrences_of_many(&mut w, &new)?;
    reminders::set_planned_until_many(&mut w, &finished, DONE)?;
    reminders::set_planned_until_many(&mut w, &topped_up, until.timestamp_millis())?;
    Ok((due.len(), created))
}

/// A treatment's plan as staff and the patient see it.
pub struct PlanView {
    pub treatment_id: String,
    pub timezone: String,
    pub plan: ReminderPlan,
    pub preferences: Preferences,
    pub upcoming: Vec<OccurrenceRow>,
}

fn plan_view(c: &mut DbConn, ctx: &TreatmentCtx) -> AppResult<PlanView> {
    let (plan, _) = reminders::plan(c, &ctx.treatment.id)?;
    let preferences = reminders::preferences(c, &ctx.treatment.patient_id)?;
    let upcoming = reminders::upcoming(c, &ctx.treatment.id, Utc::now().timestamp_millis(), 50)?;
    Ok(PlanView {
        treatment_id: ctx.treatment.id.clone(),
        timezone: ctx.tz.name().to_string(),
        plan,
        preferences,
        upcoming,
    })
}

/// A treatment's reminder plan, preferences and next reminders.
pub async fn plan(db: &Db, caller: &Caller, treatment_id: String) -> AppResult<PlanView> {
    ctx_of::read(db, caller, treatment_id, "reminders.read", |c, ctx| {
        plan_view(c, &ctx)
    })
    .await
}

/// A clinician replaces the treatment's plan; unsent occurrences follow it.
pub async fn replace_plan(
    db: &Db,
    staff: ClinicStaff,
    treatment_id: String,
    plan: ReminderPlan,
) -> AppResult<PlanView> {
    plan.validate().map_err(|m| AppError::field("rules", m))?;
    db.write(move |tx| {
        let ctx = ctx_of::load(tx.conn(), &staff.scope(), &treatment_id)?;
        refuse_if_stopped(&ctx)?;
        let mut w = tx.patient(&PatientId::new(ctx.treatment.patient_id.clone()));
        reminders::set_plan(&mut w, &treatment_id, &plan, &staff.account_id)?;
        replan(&mut w, &ctx, Utc::now())?;
        audit::record(
            tx.conn(),
            &staff.clinic_id,
            &staff.account_id,
            "reminders.update",
            "treatment",
            &treatment_id,
        )?;
        plan_view(tx.conn(), &ctx)
    })
    .await
}

/// The patient's zone, locale and reminder preferences.
pub async fn preferences(
    db: &Db,
    patient: &PatientCaller,
) -> AppResult<(String, Locale, Preferences)> {
    let me = patient.account_id.clone();
    db.read(move |c| {
        let (tz, _) = patients::profile(c, &me)?;
        let locale = crate::store::accounts::locale(c, &me)?;
        Ok((tz, locale, reminders::preferences(c, &me)?))
    })
    .await
}

/// JSON Merge Patch (RFC 7396): members replace, `null` removes, objects merge.
fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// Sets the patient's preferences (and zone and locale, when given) and
/// applies them at once to every reminder not sent yet. A new locale also
/// re-sends the treatments' synced care rows, which carry its words.
pub fn set_preferences(
    w: &mut PatientWrite<'_, '_>,
    clinic_id: &str,
    timezone: Option<TimeZone>,
    locale: Option<Locale>,
    prefs: &Preferences,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if let Some(tz) = timezone {
        patients::set_timezone(w, tz.name())?;
    }
    if let Some(locale) = locale {
        let (c, me) = w.split();
        let me = me.to_owned();
        if crate::store::accounts::locale(c, &me)? != locale {
            patients::set_locale(w, locale)?;
            for t in treatments::for_patient(w.conn(), &me)? {
                treatments::touch(w, &t.id)?;
            }
        }
    }
    reminders::set_preferences(w, prefs)?;
    replan_patient(w, clinic_id, now)
}

/// The patient changes their zone, quiet hours, times per kind or opt-outs
/// (merge-patch semantics over the stored preferences).
pub async fn patch_preferences(
    db: &Db,
    patient: PatientCaller,
    timezone: Option<TimeZone>,
    locale: Option<Locale>,
    patch: Value,
) -> AppResult<(String, Locale, Preferences)> {
    db.write(move |tx| {
        let current = reminders::preferences(tx.conn(), &patient.account_id)?;
        let mut merged = serde_json::to_value(&current).map_err(AppError::internal)?;
        merge_patch(&mut merged, &patch);
        let prefs: Preferences = deserialize_value(merged)?;
        prefs
            .validate()
            .map_err(|m| AppError::field("preferences", m))?;
        let mut w = tx.patient(&patient.patient());
        set_preferences(
            &mut w,
            &patient.clinic_id,
            timezone,
            locale,
            &prefs,
            Utc::now(),
        )?;
        let (tz, _) = patients::profile(tx.conn(), &patient.account_id)?;
        let locale = crate::store::accounts::locale(tx.conn(), &patient.account_id)?;
        Ok((tz, locale, prefs))
    })
    .await
}

/// The patient checks a reminder off (idempotent: the first time is kept).
pub async fn check_off(db: &Db, patient: PatientCaller, id: String) -> AppResult<OccurrenceRow> {
    db.write(move |tx| {
        let occ = reminders::get(tx.conn(), &id)?
            .filter(|o| patient.scope().allows(&o.patient_id, &o.clinic_id))
            .ok_or(AppError::NotFound)?;
        if occ.done_at.is_none() {
            let mut w = tx.patient(&patient.patient());
            reminders::mark_done(&mut w, &id, Utc::now().timestamp_millis())?;
        }
        reminders::get(tx.conn(), &id)?.ok_or(AppError::NotFound)
    })
    .await
}

/// What was pushed for a treatment and how it went (staff, audited).
pub async fn deliveries(
    db: &Db,
    staff: &ClinicStaff,
    treatment_id: String,
) -> AppResult<Vec<PushJob>> {
    ctx_of::read(db, staff, treatment_id, "deliveries.read", |c, ctx| {
        Ok(crate::store::push::for_treatment(
            c,
            &ctx.treatment.id,
            200,
        )?)
    })
    .await
}
