//! Reminders: materialising each treatment's plan into occurrences ahead of
//! time (safe in any number of processes: occurrence identities are
//! unique), clinicians replacing a plan, patients' preferences and
//! check-offs.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::actor::{Caller, ClinicStaff, PatientCaller};
use super::error::{deserialize_value, AppError, AppResult};
use super::treatments::{self as ctx_of, TreatmentCtx};
use crate::db::{Db, DbConn, PatientWrite};
use crate::domain::account::TimeZone;
use crate::domain::ids::PatientId;
use crate::domain::reminder::{Preferences, ReminderPlan};
use crate::domain::schedule;
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
        // one place occurrences are made, so the one place this is checked.
        reminders::set_planned_until(w, &t.id, DONE)?;
        return Ok(0);
    }
    let (plan, _) = reminders::plan(w.conn(), &t.id)?;
    let prefs = reminders::preferences(w.conn(), &t.patient_id)?;
    let occurrences = schedule::occurrences(&plan, &prefs, ctx.tz, t.day0, from, until);
    let mut created = 0;
    for o in &occurrences {
        let new = reminders::NewOccurrence {
            identity: &o.identity(&t.id),
            treatment_id: &t.id,
            clinic_id: &t.clinic_id,
            kind: o.kind.as_str(),
            day: i32::from(o.day),
            local_date: o.local_date,
            local_time: &crate::domain::reminder::format_hhmm(o.local_time),
            due_at: o.due_at.timestamp_millis(),
            stale_at: o.stale_at.timestamp_millis(),
        };
        created += usize::from(reminders::insert_occurrence(w, &new)?);
    }
    // Past the plan's last day (plus a day for any zone) there is nothing more to plan.
    let last_day = plan
        .day_span()
        .map(|(_, last)| i64::from(last))
        .unwrap_or(-1);
    let plan_end = t.day0 + chrono::Days::new((last_day + 2).max(0) as u64);
    let done = until.date_naive() > plan_end;
    reminders::set_planned_until(w, &t.id, if done { DONE } else { until.timestamp_millis() })?;
    Ok(created)
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
    for id in reminders::pending_ids(w.conn(), treatment_id)? {
        reminders::set_status(w, &id, "cancelled")?;
    }
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

/// Tops up plans that are materialised less than [`REFILL`] ahead. Each
/// treatment is its own short write transaction. Returns occurrences created.
pub async fn refill(db: &Db, now: DateTime<Utc>, batch: i64) -> AppResult<usize> {
    let mut created = 0;
    loop {
        let before = (now + REFILL).timestamp_millis();
        let ids = db
            .read(move |c| Ok::<_, AppError>(reminders::needing_plan(c, before, batch)?))
            .await?;
        for id in &ids {
            let id = id.clone();
            created += db
                .write(move |tx| {
                    let t = crate::store::treatments::by_id(tx.conn(), &id)?;
                    let ctx = ctx_of::context(tx.conn(), t)?;
                    let (_, planned_until) = reminders::plan(tx.conn(), &id)?;
                    let from = DateTime::from_timestamp_millis(planned_until)
                        .unwrap_or(now)
                        .max(now - GRACE);
                    let mut w = tx.patient(&PatientId::new(ctx.treatment.patient_id.clone()));
                    materialise(&mut w, &ctx, from, now + LOOKAHEAD)
                })
                .await?;
        }
        if (ids.len() as i64) < batch {
            return Ok(created);
        }
    }
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
