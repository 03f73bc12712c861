//! Corrections of a clinic's records: a patient's details, discharge and
//! readmission, a treatment's facts within the correction window, and
//! cancelling a treatment registered by mistake. Each is one write
//! transaction, audited with what it changed (old and new values), and
//! shared by the JSON API and the console.

use std::collections::BTreeSet;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Map, Value};

use super::actor::ClinicStaff;
use super::alerts::{self, FlagEvent};
use super::clinic::TreatmentRequest;
use super::error::{AppError, AppResult, FieldError};
use super::recovery::{self, day_log, raise_all, rule_inputs};
use super::reminders as scheduler;
use super::treatments::{self as ctx_of, TreatmentCtx};
use crate::db::{Db, PatientWrite, Tx};
use crate::domain::account::{Email, PersonName, TimeZone};
use crate::domain::assessment::{self, Finding};
use crate::domain::ids::PatientId;
use crate::domain::reminder::{treatment_plan, PlanFacts};
use crate::domain::risk::{self, Warning};
use crate::domain::treatment::{self, CancelReason, Fitzpatrick, CORRECTION_WINDOW};
use crate::store::flags::{self, Flag, SYSTEM_ACTOR};
use crate::store::patients::{self, Patient};
use crate::store::{audit, daily_logs, reminders, treatments};

/// A member that may be absent but not `null` (the contract types it
/// without null): absent stays `None`, `null` is refused.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A member whose `null` means "clear it": absent is `None`, `null` is
/// `Some(None)`.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `{"field": {"old": …, "new": …}}` for the fields that differ.
#[derive(Default)]
struct Changes(Map<String, Value>);

impl Changes {
    fn compare(&mut self, field: &str, old: Value, new: Value) {
        if old != new {
            self.0
                .insert(field.into(), json!({ "old": old, "new": new }));
        }
    }

    fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

// --- Patients -------------------------------------------------------------

/// Staff's correction of a patient's details; absent members stay.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PatientPatch {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub timezone: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub fitzpatrick: Option<i64>,
}

pub struct ValidPatientPatch {
    name: Option<PersonName>,
    email: Option<Email>,
    timezone: Option<TimeZone>,
    fitzpatrick: Option<Fitzpatrick>,
}

impl PatientPatch {
    pub fn validate(&self) -> AppResult<ValidPatientPatch> {
        let mut errors = Vec::new();
        let mut check = |field: &str, r: Result<(), String>| {
            if let Err(message) = r {
                errors.push(FieldError {
                    field: field.into(),
                    message,
                });
            }
        };
        let name = self.name.as_deref().map(PersonName::parse).transpose();
        let email = self.email.as_deref().map(Email::parse).transpose();
        let timezone = self.timezone.as_deref().map(TimeZone::parse).transpose();
        let fitzpatrick = self
            .fitzpatrick
            .map(|n| {
                Fitzpatrick::parse(n)
                    .map_err(|_| "must be a Fitzpatrick skin type from 1 (I) to 6 (VI)".to_string())
            })
            .transpose();
        check("name", name.as_ref().map(|_| ()).map_err(Clone::clone));
        check("email", email.as_ref().map(|_| ()).map_err(Clone::clone));
        check(
            "timezone",
            timezone.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        check(
            "fitzpatrick",
            fitzpatrick.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        match (name, email, timezone, fitzpatrick) {
            (Ok(name), Ok(email), Ok(timezone), Ok(fitzpatrick)) if errors.is_empty() => {
                Ok(ValidPatientPatch {
                    name,
                    email,
                    timezone,
                    fitzpatrick,
                })
            }
            _ => Err(AppError::Validation(errors)),
        }
    }
}

fn correct_patient_in(
    tx: &mut Tx<'_>,
    staff: &ClinicStaff,
    patient_id: &str,
    patch: &ValidPatientPatch,
) -> AppResult<Patient> {
    let scope = staff.scope();
    let p = patients::get(tx.conn(), &scope, patient_id)?;
    let mut changes = Changes::default();
    if let Some(name) = &patch.name {
        changes.compare("name", json!(p.name), json!(name.as_str()));
    }
    if let Some(email) = &patch.email {
        changes.compare("email", json!(p.email), json!(email.as_str()));
    }
    if let Some(tz) = patch.timezone {
        changes.compare("timezone", json!(p.timezone), json!(tz.name()));
    }
    if let Some(f) = patch.fitzpatrick {
        changes.compare("fitzpatrick", json!(p.fitzpatrick), json!(f.get()));
    }
    if changes.is_empty() {
        return Ok(p);
    }
    let now = Utc::now();
    if changes.has("email") {
        let email = patch.email.as_ref().ok_or(AppError::NotFound)?;
        super::clinic::refuse_taken_email(tx.conn(), &p.clinic_id, email)?;
    }
    if changes.has("name") || changes.has("email") {
        let current_name = PersonName::parse(&p.name).map_err(|e| AppError::corrupt("name", e))?;
        let current_email = Email::parse(&p.email).map_err(|e| AppError::corrupt("email", e))?;
        patients::set_contact(
            tx.conn(),
            &p.id,
            patch.name.as_ref().unwrap_or(&current_name),
            patch.email.as_ref().unwrap_or(&current_email),
        )?;
    }
    let mut w = tx.patient(&PatientId::new(p.id.clone()));
    if let (Some(tz), true) = (patch.timezone, changes.has("timezone")) {
        // The zone is synced in the preferences record: it goes down with
        // them, and every unsent reminder moves to the new local times.
        let prefs = reminders::preferences(w.conn(), &p.id)?;
        scheduler::set_preferences(&mut w, &p.clinic_id, Some(tz), None, &prefs, now)?;
    }
    if let (Some(f), true) = (patch.fitzpatrick, changes.has("fitzpatrick")) {
        patients::set_fitzpatrick(&mut w, i32::from(f.get()))?;
        // The synced care instructions depend on the skin type.
        for t in treatments::for_patient(w.conn(), &p.id)? {
            treatments::touch(&mut w, &t.id)?;
        }
    }
    audit::record_change(
        tx.conn(),
        &staff.clinic_id,
        &staff.account_id,
        "patient.update",
        "patient",
        &p.id,
        &json!({ "changes": Value::Object(changes.0) }),
    )?;
    Ok(patients::get(tx.conn(), &scope, &p.id)?)
}

/// Corrects a patient's name, e-mail, time zone or skin type (audited with
/// old and new values); a new zone re-plans every unsent reminder.
pub async fn correct_patient(
    db: &Db,
    staff: ClinicStaff,
    patient_id: String,
    patch: ValidPatientPatch,
) -> AppResult<Patient> {
    db.write(move |tx| correct_patient_in(tx, &staff, &patient_id, &patch))
        .await
}

fn set_discharged_in(
    tx: &mut Tx<'_>,
    staff: &ClinicStaff,
    patient_id: &str,
    discharge: bool,
) -> AppResult<Patient> {
    let scope = staff.scope();
    let p = patients::get(tx.conn(), &scope, patient_id)?;
    if p.discharged_at.is_some() == discharge {
        // Already so: nothing to do, nothing to audit.
        return Ok(p);
    }
    let now = Utc::now();
    let mut w = tx.patient(&PatientId::new(p.id.clone()));
    patients::set_discharged(&mut w, discharge.then(|| now.timestamp_millis()))?;
    for t in treatments::for_patient(w.conn(), &p.id)? {
        if discharge {
            scheduler::stop(&mut w, &t.id)?;
        }
        // The synced treatment rows carry `discharged_at`.
        treatments::touch(&mut w, &t.id)?;
    }
    if !discharge {
        scheduler::replan_patient(&mut w, &p.clinic_id, now)?;
    }
    audit::record(
        tx.conn(),
        &staff.clinic_id,
        &staff.account_id,
        if discharge {
            "patient.discharge"
        } else {
            "patient.readmit"
        },
        "patient",
        &p.id,
    )?;
    Ok(patients::get(tx.conn(), &scope, &p.id)?)
}

/// Discharges a patient whose recovery is over: every unsent reminder is
/// removed and nothing more is planned; flags and logs stay readable, the
/// patient can still sign in. Discharging twice changes nothing.
pub async fn discharge(db: &Db, staff: ClinicStaff, patient_id: String) -> AppResult<Patient> {
    db.write(move |tx| set_discharged_in(tx, &staff, &patient_id, true))
        .await
}

/// Takes a discharged patient back into care: reminders of treatments
/// still in their plan are planned again from now.
pub async fn readmit(db: &Db, staff: ClinicStaff, patient_id: String) -> AppResult<Patient> {
    db.write(move |tx| set_discharged_in(tx, &staff, &patient_id, false))
        .await
}

// --- Treatments -----------------------------------------------------------

/// Staff's correction of a treatment's facts; absent members stay.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TreatmentPatch {
    #[serde(default, deserialize_with = "present")]
    pub performed_at: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub area: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub depth_mm: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    pub addons: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub risk_factors: Option<Vec<String>>,
    /// `null` or blank clears them.
    #[serde(default, deserialize_with = "nullable")]
    pub products: Option<Option<String>>,
    #[serde(default)]
    pub override_reason: Option<String>,
}

impl TreatmentPatch {
    /// The treatment as it would be, validated as a registration is (the
    /// same rules and messages), with the members not given as they are.
    fn merged(&self, ctx: &TreatmentCtx, now: DateTime<Utc>) -> AppResult<recovery::NewTreatment> {
        let t = &ctx.treatment;
        TreatmentRequest {
            performed_at: self
                .performed_at
                .clone()
                .unwrap_or_else(|| rfc3339(t.performed_at)),
            area: self
                .area
                .clone()
                .unwrap_or_else(|| ctx.area.as_str().into()),
            depth_mm: self.depth_mm.unwrap_or(ctx.depth.get()),
            addons: self
                .addons
                .clone()
                .unwrap_or_else(|| ctx.addons.iter().map(|a| a.as_str().into()).collect()),
            session_number: Some(i64::from(t.session_number)),
            risk_factors: self
                .risk_factors
                .clone()
                .unwrap_or_else(|| ctx.risk_factors.iter().map(|r| r.as_str().into()).collect()),
            products: match &self.products {
                Some(p) => p.clone(),
                None => t.products.clone(),
            },
            previous_treatment_id: None,
            override_reason: self.override_reason.clone(),
        }
        .validate(now)
    }
}

/// A corrected treatment and what the correction did.
pub struct Corrected {
    pub ctx: TreatmentCtx,
    /// Cautions, as at registration.
    pub warnings: Vec<Warning>,
    /// What changed: `{field: {old, new}}` (empty when nothing did).
    pub changes: Value,
    /// Flags the re-assessment resolved, and those it raised or added to.
    pub resolved: Vec<Flag>,
    pub raised: Vec<Flag>,
    /// Whether the reminder plan was regenerated for the new facts (false
    /// when staff had edited it: their plan stays).
    pub plan_regenerated: bool,
}

fn addon_list(ctx_addons: &[crate::domain::treatment::Addon]) -> Value {
    let mut v: Vec<&str> = ctx_addons.iter().map(|a| a.as_str()).collect();
    v.sort_unstable();
    v.dedup();
    json!(v)
}

fn correct_treatment_in(
    tx: &mut Tx<'_>,
    staff: &ClinicStaff,
    id: &str,
    patch: &TreatmentPatch,
    now: DateTime<Utc>,
) -> AppResult<Corrected> {
    let scope = staff.scope();
    lock_patient_of(tx, &scope, id)?;
    let old = ctx_of::load(tx.conn(), &scope, id)?;
    if old.cancellation.is_some() {
        return Err(AppError::conflict(
            "the treatment was cancelled; it cannot be corrected",
        ));
    }
    let registered = DateTime::from_timestamp_millis(old.treatment.created_at).unwrap_or_default();
    if !treatment::correctable(registered, now) {
        return Err(AppError::conflict(format!(
            "a treatment can be corrected within {} days of its registration; this one was registered at {}",
            CORRECTION_WINDOW.num_days(),
            rfc3339(old.treatment.created_at)
        )));
    }
    let new = patch.merged(&old, now)?;
    // Contraindications: the registration's rules; those already overridden
    // on this treatment stay overridden, new ones need a reason.
    let screening = risk::screen(&new.risk_factors, new.depth, &new.addons);
    let overridden: BTreeSet<String> = treatments::overrides(tx.conn(), &[id.to_string()])?
        .pop()
        .map(|o| {
            o.contraindications
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let unforgiven: Vec<String> = screening
        .contraindicated
        .iter()
        .filter(|c| !overridden.contains(*c))
        .cloned()
        .collect();
    if !unforgiven.is_empty() && new.override_reason.is_none() {
        return Err(AppError::Contraindicated(unforgiven));
    }
    let mut warnings = screening.warnings;
    let performed_at = new.performed_at.timestamp_millis();
    let day0 = treatment::day0(new.performed_at, old.tz);
    // The series keeps its order.
    let refuse = |m: String| AppError::field("performed_at", m);
    if let Some(prev) = &old.treatment.previous_treatment_id {
        let prev = treatments::by_id(tx.conn(), prev)?;
        if performed_at <= prev.performed_at {
            return Err(refuse(format!(
                "must be after the session this one follows ({})",
                rfc3339(prev.performed_at)
            )));
        }
    }
    for next in treatments::followers(tx.conn(), id)? {
        if next.performed_at <= performed_at {
            return Err(refuse(format!(
                "must be before the session that follows this one ({})",
                rfc3339(next.performed_at)
            )));
        }
    }
    let logs = daily_logs::for_treatment(tx.conn(), id)?;
    if let Some(early) = logs.iter().find(|l| l.log_date < day0) {
        return Err(refuse(format!(
            "the patient logged {} which would be before the treatment day {day0}",
            early.log_date
        )));
    }

    let mut addons: Vec<&str> = new.addons.iter().map(|a| a.as_str()).collect();
    addons.sort_unstable();
    addons.dedup();
    let risk_text = risk::to_text(&new.risk_factors);
    let t = &old.treatment;
    let mut changes = Changes::default();
    changes.compare(
        "performed_at",
        json!(rfc3339(t.performed_at)),
        json!(rfc3339(performed_at)),
    );
    changes.compare("day0", json!(t.day0), json!(day0));
    changes.compare("area", json!(old.area.as_str()), json!(new.area.as_str()));
    changes.compare("depth_mm", json!(old.depth.get()), json!(new.depth.get()));
    changes.compare("addons", addon_list(&old.addons), json!(addons));
    changes.compare(
        "risk_factors",
        json!(old.risk_factors),
        json!(new.risk_factors),
    );
    changes.compare("products", json!(t.products), json!(new.products));
    let new_override = !unforgiven.is_empty();
    if changes.is_empty() && !new_override {
        return Ok(Corrected {
            ctx: old,
            warnings,
            changes: json!({}),
            resolved: vec![],
            raised: vec![],
            plan_regenerated: false,
        });
    }
    if new_override {
        let reason = new.override_reason.as_deref().unwrap_or_default();
        treatments::replace_override(
            tx.conn(),
            id,
            &screening.contraindicated.join(","),
            reason,
            &staff.account_id,
        )?;
        warnings.push(Warning {
            code: "contraindication_overridden".into(),
            message: format!(
                "corrected despite contraindications: {}",
                screening.contraindicated.join(", ")
            ),
            details: json!({ "contraindications": screening.contraindicated }),
        });
    }

    let mut w = tx.patient(&PatientId::new(t.patient_id.clone()));
    treatments::correct(
        &mut w,
        id,
        &treatments::Correction {
            performed_at,
            day0,
            area: new.area.as_str(),
            depth_mm: new.depth.get(),
            addons: &addons.join(","),
            risk_factors: &risk_text,
            products: new.products.as_deref(),
        },
    )?;
    for l in &logs {
        let day = (l.log_date - day0).num_days() as i32;
        if day != l.day {
            daily_logs::set_day(&mut w, &l.id, day)?;
        }
    }
    // The default plan follows the new facts; a plan staff edited stays.
    let intervals = &old.protocol.session_intervals;
    let default_for = |depth, area| {
        treatment_plan(&PlanFacts {
            depth,
            fitzpatrick: old.fitzpatrick,
            next_session_day: intervals.for_area(area),
        })
    };
    let (plan, _) = reminders::plan(w.conn(), id)?;
    let was_default = plan == default_for(old.depth, old.area);
    let plan_regenerated = was_default && plan != default_for(new.depth, new.area);
    if plan_regenerated {
        reminders::set_plan(
            &mut w,
            id,
            &default_for(new.depth, new.area),
            &staff.account_id,
        )?;
    }
    let ctx = ctx_of::load(w.conn(), &scope, id)?;
    // Reminders move with day 0, the zone's local times and the plan.
    scheduler::replan(&mut w, &ctx, now)?;
    let (raised, resolved) = reassess(
        &mut w,
        &ctx,
        "no longer holds after the treatment was corrected",
    )?;
    let changes = Value::Object(changes.0);
    audit::record_change(
        tx.conn(),
        &staff.clinic_id,
        &staff.account_id,
        "treatment.update",
        "treatment",
        id,
        &json!({
            "changes": changes,
            "plan_regenerated": plan_regenerated,
            "flags_resolved": resolved.iter().map(|f| &f.id).collect::<Vec<_>>(),
            "flags_raised": raised.iter().map(|f| &f.id).collect::<Vec<_>>(),
        }),
    )?;
    if new_override {
        audit::record(
            tx.conn(),
            &staff.clinic_id,
            &staff.account_id,
            "treatment.contraindication_override",
            "treatment",
            id,
        )?;
    }
    Ok(Corrected {
        ctx,
        warnings,
        changes,
        resolved,
        raised,
        plan_regenerated,
    })
}

/// Takes the change counter of the treatment's patient before reading the
/// treatment: on PostgreSQL the row lock orders this correction or
/// cancellation after any other write of the patient in flight, so what is
/// read next (a cancellation, the facts) is what the write applies to. On
/// SQLite the immediate transaction already does.
fn lock_patient_of(tx: &mut Tx<'_>, scope: &crate::store::Scope, id: &str) -> AppResult<()> {
    let t = treatments::get(tx.conn(), scope, id)?;
    tx.patient(&PatientId::new(t.patient_id)).stamp()?;
    Ok(())
}

/// Whether a clinician already resolved this reason's flag with evidence of
/// the finding's day: re-assessing old logs must not page anyone again
/// about what was already reviewed.
fn reviewed(resolved: &[Flag], finding: &Finding) -> bool {
    let day = finding.evidence.get("day").and_then(Value::as_i64);
    resolved
        .iter()
        .filter(|f| f.reason == finding.reason.as_str())
        .any(|f| {
            serde_json::from_str::<Vec<Value>>(&f.evidence_days)
                .unwrap_or_default()
                .iter()
                .any(|d| d["day"].as_i64() == day)
        })
}

/// Assesses every log of the treatment again under its (corrected) facts,
/// in date order as if logged anew: findings go through the one seam for
/// flags ([`raise_all`], which alerts); active flags whose reason no
/// finding holds any more are resolved by the system with `note`. Missed-log
/// flags are the periodic job's and stay. Returns (raised or added to,
/// resolved).
fn reassess(
    w: &mut PatientWrite<'_, '_>,
    ctx: &TreatmentCtx,
    note: &str,
) -> AppResult<(Vec<Flag>, Vec<Flag>)> {
    let id = &ctx.treatment.id;
    let history = daily_logs::for_treatment(w.conn(), id)?
        .iter()
        .map(day_log)
        .collect::<AppResult<Vec<_>>>()?;
    let before = flags::for_treatment(w.conn(), id)?;
    let already: Vec<Flag> = before
        .iter()
        .filter(|f| f.status == "resolved")
        .cloned()
        .collect();
    let inputs = rule_inputs(ctx);
    let mut holding = BTreeSet::new();
    let mut raised: Vec<Flag> = Vec::new();
    for current in &history {
        let a = assessment::assess(&ctx.timeline, ctx.fitzpatrick, &inputs, &history, current);
        let findings: Vec<Finding> = a
            .findings
            .into_iter()
            .filter(|f| {
                holding.insert(f.reason.as_str());
                !reviewed(&already, f)
            })
            .collect();
        for flag in raise_all(w, ctx, &findings)? {
            raised.retain(|f| f.id != flag.id);
            raised.push(flag);
        }
    }
    // Flags the loop above only re-confirmed are not news.
    raised.retain(|f| {
        before
            .iter()
            .find(|b| b.id == f.id)
            .is_none_or(|b| b.evidence != f.evidence || b.severity != f.severity)
    });
    let mut resolved = Vec::new();
    for flag in flags::for_treatment(w.conn(), id)? {
        let stale = flag.status != "resolved"
            && flag.reason != assessment::Reason::MissedLogs.as_str()
            && !holding.contains(flag.reason.as_str());
        if stale {
            resolved.extend(resolve_by_system(w, &flag, note)?);
        }
    }
    Ok((raised, resolved))
}

/// Resolves an active flag as the system, with a note, and tells `alerts`
/// (webhooks hear of it, escalation stops).
fn resolve_by_system(
    w: &mut PatientWrite<'_, '_>,
    flag: &Flag,
    note: &str,
) -> AppResult<Option<Flag>> {
    match flags::transition(
        w,
        flag,
        &["open", "acknowledged"],
        "resolved",
        SYSTEM_ACTOR,
        Some(note),
    )? {
        Ok(flag) => {
            alerts::flag_event(w.conn(), &flag, FlagEvent::Resolved, crate::db::now_ms())?;
            Ok(Some(flag))
        }
        Err(_) => Ok(None),
    }
}

/// Corrects a treatment's facts within [`CORRECTION_WINDOW`] of its
/// registration: reminders are re-planned, its logs re-assessed, and the
/// audit log keeps old and new values.
pub async fn correct_treatment(
    db: &Db,
    staff: ClinicStaff,
    id: String,
    patch: TreatmentPatch,
) -> AppResult<Corrected> {
    db.write(move |tx| correct_treatment_in(tx, &staff, &id, &patch, Utc::now()))
        .await
}

fn cancel_treatment_in(
    tx: &mut Tx<'_>,
    staff: &ClinicStaff,
    id: &str,
    reason: &CancelReason,
) -> AppResult<TreatmentCtx> {
    let scope = staff.scope();
    lock_patient_of(tx, &scope, id)?;
    let ctx = ctx_of::load(tx.conn(), &scope, id)?;
    if ctx.cancellation.is_some() {
        // Cancelled already: the first reason stands.
        return Ok(ctx);
    }
    let now = crate::db::now_ms();
    treatments::cancel(tx.conn(), id, reason.as_str(), &staff.account_id, now)?;
    let mut w = tx.patient(&PatientId::new(ctx.treatment.patient_id.clone()));
    scheduler::stop(&mut w, id)?;
    let mut resolved = Vec::new();
    for flag in flags::for_treatment(w.conn(), id)? {
        if flag.status != "resolved" {
            resolved.extend(resolve_by_system(
                &mut w,
                &flag,
                "the treatment was cancelled (registered by mistake)",
            )?);
        }
    }
    // Its synced row says it is cancelled.
    treatments::touch(&mut w, id)?;
    audit::record_change(
        tx.conn(),
        &staff.clinic_id,
        &staff.account_id,
        "treatment.cancel",
        "treatment",
        id,
        &json!({
            "reason": reason.as_str(),
            "flags_resolved": resolved.iter().map(|f| &f.id).collect::<Vec<_>>(),
        }),
    )?;
    ctx_of::load(tx.conn(), &scope, id)
}

/// Cancels a treatment registered by mistake: kept for the audit trail, but
/// its reminders are removed, its flags resolved, and it takes no more logs.
/// Cancelling twice keeps the first reason.
pub async fn cancel_treatment(
    db: &Db,
    staff: ClinicStaff,
    id: String,
    reason: CancelReason,
) -> AppResult<TreatmentCtx> {
    db.write(move |tx| cancel_treatment_in(tx, &staff, &id, &reason))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_keep_only_what_differs() {
        let mut c = Changes::default();
        c.compare("a", json!(1), json!(1));
        c.compare("b", json!("x"), json!("y"));
        assert!(!c.has("a"));
        assert_eq!(c.0["b"], json!({"old": "x", "new": "y"}));
    }

    #[test]
    fn a_patch_refuses_null_where_the_contract_has_none() {
        assert!(serde_json::from_str::<PatientPatch>(r#"{"name": null}"#).is_err());
        assert!(serde_json::from_str::<PatientPatch>(r#"{"nick": "x"}"#).is_err());
        let p: TreatmentPatch = serde_json::from_str(r#"{"products": null}"#).unwrap();
        assert_eq!(p.products, Some(None));
        let p: TreatmentPatch = serde_json::from_str("{}").unwrap();
        assert_eq!(p.products, None);
    }

    #[test]
    fn patient_patch_names_every_bad_field() {
        let patch = PatientPatch {
            email: Some("nope".into()),
            fitzpatrick: Some(7),
            timezone: Some("Mars/Base".into()),
            ..Default::default()
        };
        match patch.validate() {
            Err(AppError::Validation(errs)) => {
                let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["email", "timezone", "fitzpatrick"]);
            }
            _ => panic!("expected a validation error"),
        }
    }
}
