//! What clinic staff do, shared by the JSON API and the clinician console so
//! both apply the same validation, scoping and audit. Each function takes the
//! authorising extractor's value, and the caller runs it inside a transaction.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::api::extract::{ClinicAdmin, ClinicStaff};
use crate::db::DbConn;
use crate::domain::account::{Email, Password, PersonName, Role, TimeZone};
use crate::domain::reminder::ReminderPlan;
use crate::domain::treatment::{Addon, Area, DepthMm};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::recovery::{self, NewTreatment, TreatmentCtx};
use crate::store::accounts::{self, Account};
use crate::store::daily_logs::{self, DailyLog};
use crate::store::flags::{self, Flag, FlagEvent, QueueFilter};
use crate::store::patients::{self, Patient};
use crate::store::{audit, enrolment_codes, reminders, treatments};

fn collect_errors(checks: &[(&str, Option<&String>)]) -> Vec<FieldError> {
    checks
        .iter()
        .filter_map(|(field, e)| {
            e.map(|message| FieldError {
                field: (*field).into(),
                message: message.clone(),
            })
        })
        .collect()
}

// --- Patients -------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPatient {
    pub name: String,
    pub email: String,
    pub timezone: String,
    pub fitzpatrick: i64,
}

pub struct ValidPatient {
    name: PersonName,
    email: Email,
    timezone: TimeZone,
    fitzpatrick: i32,
}

impl NewPatient {
    pub fn validate(&self) -> ApiResult<ValidPatient> {
        let name = PersonName::parse(&self.name);
        let email = Email::parse(&self.email);
        let timezone = TimeZone::parse(&self.timezone);
        let fitzpatrick = if (1..=6).contains(&self.fitzpatrick) {
            Ok(self.fitzpatrick as i32)
        } else {
            Err("must be a Fitzpatrick skin type from 1 (I) to 6 (VI)".to_string())
        };
        match (name, email, timezone, fitzpatrick) {
            (Ok(name), Ok(email), Ok(timezone), Ok(fitzpatrick)) => Ok(ValidPatient {
                name,
                email,
                timezone,
                fitzpatrick,
            }),
            (name, email, timezone, fitzpatrick) => Err(ApiError::Validation(collect_errors(&[
                ("name", name.as_ref().err()),
                ("email", email.as_ref().err()),
                ("timezone", timezone.as_ref().err()),
                ("fitzpatrick", fitzpatrick.as_ref().err()),
            ]))),
        }
    }
}

pub fn add_patient(c: &mut DbConn, staff: &ClinicStaff, p: &ValidPatient) -> ApiResult<Patient> {
    let id = patients::create(
        c,
        patients::NewPatient {
            clinic_id: &staff.clinic_id,
            created_by: &staff.account_id,
            name: &p.name,
            email: &p.email,
            timezone: p.timezone,
            fitzpatrick: p.fitzpatrick,
        },
    )?;
    audit::record(
        c,
        &staff.clinic_id,
        &staff.account_id,
        "patient.create",
        "patient",
        &id,
    )?;
    patients::get(c, &staff.scope(), &id)
}

/// The clinic's patients, newest first (audited).
pub fn list_patients(
    c: &mut DbConn,
    staff: &ClinicStaff,
    limit: i64,
    offset: i64,
) -> ApiResult<Vec<Patient>> {
    let items = patients::list(c, &staff.clinic_id, limit, offset)?;
    audit::record(
        c,
        &staff.clinic_id,
        &staff.account_id,
        "patient.list",
        "clinic",
        &staff.clinic_id,
    )?;
    Ok(items)
}

/// A single-use enrolment code for a patient of the clinic: (code, expiry ms).
pub fn issue_enrolment_code(
    c: &mut DbConn,
    staff: &ClinicStaff,
    patient_id: &str,
    ttl_ms: i64,
) -> ApiResult<(String, i64)> {
    let p = patients::get(c, &staff.scope(), patient_id)?;
    let issued = enrolment_codes::create(c, &p.id, &staff.clinic_id, &staff.account_id, ttl_ms)?;
    audit::record(
        c,
        &staff.clinic_id,
        &staff.account_id,
        "enrolment_code.create",
        "patient",
        &p.id,
    )?;
    Ok(issued)
}

// --- Treatments -----------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreatmentRequest {
    pub performed_at: String,
    pub area: String,
    pub depth_mm: f64,
    #[serde(default)]
    pub addons: Vec<String>,
    pub session_number: i64,
}

impl TreatmentRequest {
    pub fn validate(&self, now: DateTime<Utc>) -> ApiResult<NewTreatment> {
        let mut errors = Vec::new();
        let mut err = |field: &str, message: String| {
            errors.push(FieldError {
                field: field.into(),
                message,
            })
        };
        let performed_at = match DateTime::parse_from_rfc3339(&self.performed_at) {
            Ok(t) => {
                let t = t.with_timezone(&Utc);
                if t > now + chrono::Duration::days(30) {
                    err("performed_at", "must not be more than 30 days ahead".into());
                } else if t < now - chrono::Duration::days(366) {
                    err("performed_at", "must be within the last year".into());
                }
                Some(t)
            }
            Err(_) => {
                err(
                    "performed_at",
                    "must be an RFC 3339 date-time such as 2026-03-01T10:30:00+01:00".into(),
                );
                None
            }
        };
        let area = Area::parse(&self.area).map_err(|e| err("area", e)).ok();
        let depth = DepthMm::parse(self.depth_mm)
            .map_err(|e| err("depth_mm", e))
            .ok();
        if self.addons.len() > Addon::ALL.len() {
            err("addons", format!("at most {} add-ons", Addon::ALL.len()));
        }
        let addons: Vec<Addon> = self
            .addons
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                Addon::parse(a)
                    .map_err(|e| err(&format!("addons[{i}]"), e))
                    .ok()
            })
            .collect();
        if !(1..=50).contains(&self.session_number) {
            err("session_number", "must be between 1 and 50".into());
        }
        match (performed_at, area, depth) {
            (Some(performed_at), Some(area), Some(depth)) if errors.is_empty() => {
                Ok(NewTreatment {
                    performed_at,
                    area,
                    depth,
                    addons,
                    session_number: self.session_number as i32,
                })
            }
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// Registers a treatment (with its reminder plan) for a patient of the clinic.
pub fn register_treatment(
    c: &mut DbConn,
    staff: &ClinicStaff,
    patient_id: &str,
    new: &NewTreatment,
) -> ApiResult<TreatmentCtx> {
    let ctx = recovery::register_treatment(c, &staff.scope(), &staff.account_id, patient_id, new)?;
    audit::record(
        c,
        &staff.clinic_id,
        &staff.account_id,
        "treatment.create",
        "treatment",
        &ctx.treatment.id,
    )?;
    Ok(ctx)
}

// --- Staff ----------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    pub email: String,
    pub name: String,
    pub role: String,
    pub password: Option<String>,
}

pub struct ValidStaff {
    pub email: Email,
    pub name: PersonName,
    pub role: Role,
    pub password: Password,
    /// The server chose the password; show it once.
    pub generated: bool,
}

impl NewStaff {
    pub fn validate(self) -> ApiResult<ValidStaff> {
        let email = Email::parse(&self.email);
        let name = PersonName::parse(&self.name);
        let role = match Role::parse(&self.role) {
            Ok(r) if r.is_staff() => Ok(r),
            _ => Err("must be `clinician` or `admin`".to_string()),
        };
        let generated = self.password.is_none();
        let password =
            Password::parse(&self.password.unwrap_or_else(crate::auth::generate_password));
        match (email, name, role, password) {
            (Ok(email), Ok(name), Ok(role), Ok(password)) => Ok(ValidStaff {
                email,
                name,
                role,
                password,
                generated,
            }),
            (email, name, role, password) => Err(ApiError::Validation(collect_errors(&[
                ("email", email.as_ref().err()),
                ("name", name.as_ref().err()),
                ("role", role.as_ref().err()),
                ("password", password.as_ref().err()),
            ]))),
        }
    }
}

/// Adds a clinician or admin to the admin's clinic; `hash` is the password's
/// argon2 hash, computed off the async runtime by the caller.
pub fn add_staff(
    c: &mut DbConn,
    admin: &ClinicAdmin,
    s: &ValidStaff,
    hash: &str,
) -> ApiResult<Account> {
    let id = accounts::create(
        c,
        accounts::NewAccount {
            clinic_id: &admin.clinic_id,
            role: s.role,
            email: &s.email,
            name: &s.name,
            password_hash: Some(hash),
        },
    )?;
    audit::record(
        c,
        &admin.clinic_id,
        &admin.account_id,
        "staff.create",
        "account",
        &id,
    )?;
    accounts::get(c, &id)?.ok_or(ApiError::NotFound)
}

// --- Flag review ------------------------------------------------------------

pub const FLAG_STATUSES: [&str; 3] = ["open", "acknowledged", "resolved"];
pub const SEVERITIES: [&str; 3] = ["urgent", "review", "routine"];

/// The queue's filter, validated: any of `statuses`, optionally one severity.
pub fn queue_filter(
    statuses: &[&str],
    severity: Option<&str>,
    limit: i64,
    offset: i64,
) -> ApiResult<QueueFilter> {
    if statuses.is_empty() || statuses.iter().any(|s| !FLAG_STATUSES.contains(s)) {
        return Err(ApiError::field(
            "status",
            "must be open, acknowledged or resolved",
        ));
    }
    if let Some(s) = severity {
        if !SEVERITIES.contains(&s) {
            return Err(ApiError::field(
                "severity",
                "must be urgent, review or routine",
            ));
        }
    }
    Ok(QueueFilter {
        statuses: statuses.iter().map(|s| s.to_string()).collect(),
        severity: severity.map(String::from),
        limit,
        offset,
    })
}

/// The clinic's review queue, most severe then oldest first (audited).
pub fn read_queue(
    c: &mut DbConn,
    staff: &ClinicStaff,
    filter: &QueueFilter,
) -> ApiResult<Vec<(Flag, String)>> {
    let rows = flags::queue(c, &staff.clinic_id, filter)?;
    audit::record(
        c,
        &staff.clinic_id,
        &staff.account_id,
        "flags.queue.read",
        "clinic",
        &staff.clinic_id,
    )?;
    Ok(rows)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    Acknowledge,
    Resolve,
}

impl Review {
    fn from(self) -> &'static [&'static str] {
        match self {
            Self::Acknowledge => &["open"],
            Self::Resolve => &["open", "acknowledged"],
        }
    }

    fn to(self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledged",
            Self::Resolve => "resolved",
        }
    }
}

const NOTE_MAX: usize = 2000;

fn clean_note(note: Option<&str>, required: bool) -> ApiResult<Option<String>> {
    let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    match &note {
        None if required => Err(ApiError::field(
            "note",
            "a note is required to resolve a flag",
        )),
        Some(n) if n.chars().count() > NOTE_MAX => Err(ApiError::field(
            "note",
            format!("must be at most {NOTE_MAX} characters"),
        )),
        _ => Ok(note),
    }
}

/// Checks a review note before any database work (a resolution needs one).
pub fn review_note(review: Review, note: Option<&str>) -> ApiResult<Option<String>> {
    clean_note(note, review == Review::Resolve)
}

/// Acknowledges or resolves a flag of the clinic; returns it with its history.
pub fn review_flag(
    c: &mut DbConn,
    staff: &ClinicStaff,
    flag_id: &str,
    review: Review,
    note: Option<&str>,
) -> ApiResult<(Flag, Vec<FlagEvent>)> {
    let flag = flags::get(c, &staff.scope(), flag_id)?;
    let seq = patients::bump_change_seq(c, &flag.patient_id)?;
    let to = review.to();
    let flag = flags::transition(c, &flag, review.from(), to, &staff.account_id, note, seq)?;
    audit::record(
        c,
        &staff.clinic_id,
        &staff.account_id,
        &format!("flag.{to}"),
        "flag",
        &flag.id,
    )?;
    let events = flags::events(c, std::slice::from_ref(&flag.id))?;
    Ok((flag, events))
}

// --- A patient's recovery -----------------------------------------------------

pub struct TreatmentRecovery {
    pub ctx: TreatmentCtx,
    pub logs: Vec<DailyLog>,
    pub flags: Vec<Flag>,
    /// Review history of `flags`, oldest first.
    pub events: Vec<FlagEvent>,
    /// Due reminders per kind: (kind, due, done).
    pub adherence: Vec<(String, i64, i64)>,
    pub plan: ReminderPlan,
}

pub struct PatientRecovery {
    pub patient: Patient,
    /// Newest treatment first.
    pub treatments: Vec<TreatmentRecovery>,
}

/// Everything about one patient's recovery, for a clinician (audited).
pub fn read_recovery(
    c: &mut DbConn,
    staff: &ClinicStaff,
    patient_id: &str,
    now: DateTime<Utc>,
) -> ApiResult<PatientRecovery> {
    let patient = patients::get(c, &staff.scope(), patient_id)?;
    let mut items = Vec::new();
    for t in treatments::for_patient(c, &patient.id)? {
        let ctx = recovery::context(c, t)?;
        let id = ctx.treatment.id.clone();
        let flags = flags::for_treatment(c, &id)?;
        let flag_ids: Vec<String> = flags.iter().map(|f| f.id.clone()).collect();
        items.push(TreatmentRecovery {
            logs: daily_logs::for_treatment(c, &id)?,
            events: flags::events(c, &flag_ids)?,
            flags,
            adherence: reminders::adherence(c, &id, now.timestamp_millis())?,
            plan: reminders::plan(c, &id)?.0,
            ctx,
        });
    }
    audit::record(
        c,
        &staff.clinic_id,
        &staff.account_id,
        "recovery.read",
        "patient",
        &patient.id,
    )?;
    Ok(PatientRecovery {
        patient,
        treatments: items,
    })
}
