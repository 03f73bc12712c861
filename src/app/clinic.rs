//! What clinic staff do, shared by the JSON API and the clinician console so
//! both apply the same validation, scoping and audit. Each function takes the
//! authorising extractor's value, and the caller runs it inside a transaction.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::actor::{ClinicAdmin, ClinicStaff};
use super::alerts;
use super::error::{AppError, AppResult, FieldError};
use super::recovery::{self, NewTreatment, Registered};
use super::treatments::{self as ctx_of, TreatmentCtx};
use crate::db::{Db, DbConn, Tx};
use crate::domain::account::{Email, Password, PersonName, Role, TimeZone};
use crate::domain::ids::PatientId;
use crate::domain::reminder::ReminderPlan;
use crate::domain::risk::{self, RiskFactor, OVERRIDE_REASON_MAX_CHARS, PRODUCTS_MAX_CHARS};
use crate::domain::text::Note;
use crate::domain::treatment::{Addon, Area, DepthMm, SessionNumber};
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

/// E-mail addresses are unique within a clinic. Another clinic's account
/// with the same address is not looked at: adding this one must not reveal
/// that the person is someone else's patient (health information).
pub(super) fn refuse_taken_email(c: &mut DbConn, clinic_id: &str, email: &Email) -> AppResult<()> {
    if accounts::email_taken(c, clinic_id, email)? {
        return Err(AppError::conflict(
            "an account with this email already exists",
        ));
    }
    Ok(())
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
    pub fn validate(&self) -> AppResult<ValidPatient> {
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
            (name, email, timezone, fitzpatrick) => Err(AppError::Validation(collect_errors(&[
                ("name", name.as_ref().err()),
                ("email", email.as_ref().err()),
                ("timezone", timezone.as_ref().err()),
                ("fitzpatrick", fitzpatrick.as_ref().err()),
            ]))),
        }
    }
}

fn add_patient_in(tx: &mut Tx<'_>, staff: &ClinicStaff, p: &ValidPatient) -> AppResult<Patient> {
    let c = tx.conn();
    refuse_taken_email(c, &staff.clinic_id, &p.email)?;
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
    Ok(patients::get(c, &staff.scope(), &id)?)
}

/// The clinic's patients, newest first (audited).
pub(super) fn list_patients_in(
    tx: &mut Tx<'_>,
    staff: &ClinicStaff,
    standing: patients::Standing,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<Patient>> {
    let c = tx.conn();
    let items = patients::list(c, &staff.clinic_id, standing, limit, offset)?;
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
fn issue_enrolment_code_in(
    tx: &mut Tx<'_>,
    staff: &ClinicStaff,
    patient_id: &str,
    ttl_ms: i64,
) -> AppResult<(String, i64)> {
    let c = tx.conn();
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
    /// Derived from the series when absent.
    #[serde(default)]
    pub session_number: Option<i64>,
    #[serde(default)]
    pub risk_factors: Vec<String>,
    #[serde(default)]
    pub products: Option<String>,
    #[serde(default)]
    pub previous_treatment_id: Option<String>,
    #[serde(default)]
    pub override_reason: Option<String>,
}

impl TreatmentRequest {
    pub fn validate(&self, now: DateTime<Utc>) -> AppResult<NewTreatment> {
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
        let session_number = match self.session_number {
            Some(n) => match SessionNumber::parse(n) {
                Ok(n) => Some(n),
                Err(_) => {
                    err("session_number", "must be between 1 and 50".into());
                    None
                }
            },
            None => None,
        };
        if self.risk_factors.len() > RiskFactor::ALL.len() {
            err(
                "risk_factors",
                format!("at most {} risk factors", RiskFactor::ALL.len()),
            );
        }
        let mut risk_factors: Vec<RiskFactor> = self
            .risk_factors
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                RiskFactor::parse(r)
                    .map_err(|e| err(&format!("risk_factors[{i}]"), e))
                    .ok()
            })
            .collect();
        risk_factors.sort_unstable();
        risk_factors.dedup();
        let products = risk::clean_text(self.products.as_deref(), PRODUCTS_MAX_CHARS)
            .map_err(|e| err("products", e))
            .unwrap_or(None);
        let override_reason =
            risk::clean_text(self.override_reason.as_deref(), OVERRIDE_REASON_MAX_CHARS)
                .map_err(|e| err("override_reason", e))
                .unwrap_or(None);
        let previous_treatment_id = match self.previous_treatment_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) if id.len() > 64 => {
                err("previous_treatment_id", "is not a treatment id".into());
                None
            }
            Some(id) => Some(id.to_string()),
        };
        match (performed_at, area, depth) {
            (Some(performed_at), Some(area), Some(depth)) if errors.is_empty() => {
                Ok(NewTreatment {
                    performed_at,
                    area,
                    depth,
                    addons,
                    session_number,
                    risk_factors,
                    products,
                    previous_treatment_id,
                    override_reason,
                })
            }
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// Registers a treatment (with its reminder plan) for a patient of the clinic.
fn register_treatment_in(
    tx: &mut Tx<'_>,
    staff: &ClinicStaff,
    patient_id: &str,
    new: &NewTreatment,
) -> AppResult<Registered> {
    let reg = recovery::register_treatment(tx, &staff.scope(), &staff.account_id, patient_id, new)?;
    // The audit log keeps ids and actions only: the override reason stays
    // on the treatment, the facts of a warning in the registration answer.
    let mut actions = vec!["treatment.create"];
    if !reg.overridden.is_empty() {
        actions.push("treatment.contraindication_override");
    }
    if reg.warned("session_too_soon") {
        actions.push("treatment.session_too_soon");
    }
    for action in actions {
        audit::record(
            tx.conn(),
            &staff.clinic_id,
            &staff.account_id,
            action,
            "treatment",
            &reg.ctx.treatment.id,
        )?;
    }
    Ok(reg)
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
    pub fn validate(self) -> AppResult<ValidStaff> {
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
            (email, name, role, password) => Err(AppError::Validation(collect_errors(&[
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
fn add_staff_in(
    tx: &mut Tx<'_>,
    admin: &ClinicAdmin,
    s: &ValidStaff,
    hash: &str,
) -> AppResult<Account> {
    let c = tx.conn();
    refuse_taken_email(c, &admin.clinic_id, &s.email)?;
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
    accounts::get(c, &id)?.ok_or(AppError::NotFound)
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
) -> AppResult<QueueFilter> {
    if statuses.is_empty() || statuses.iter().any(|s| !FLAG_STATUSES.contains(s)) {
        return Err(AppError::field(
            "status",
            "must be open, acknowledged or resolved",
        ));
    }
    if let Some(s) = severity {
        if !SEVERITIES.contains(&s) {
            return Err(AppError::field(
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
fn read_queue_in(
    tx: &mut Tx<'_>,
    staff: &ClinicStaff,
    filter: &QueueFilter,
) -> AppResult<Vec<(Flag, String)>> {
    let c = tx.conn();
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

fn clean_note(note: Option<&str>, required: bool) -> AppResult<Option<String>> {
    let note = match note.map(|n| Note::parse(n, NOTE_MAX)) {
        None | Some(Ok(None)) => None,
        Some(Ok(Some(n))) => Some(n.into_string()),
        Some(Err(e)) => return Err(AppError::field("note", e)),
    };
    match &note {
        None if required => Err(AppError::field(
            "note",
            "a note is required to resolve a flag",
        )),
        _ => Ok(note),
    }
}

/// Checks a review note before any database work (a resolution needs one).
pub fn review_note(review: Review, note: Option<&str>) -> AppResult<Option<String>> {
    clean_note(note, review == Review::Resolve)
}

/// The products applied in the treatments of those flags whose reason
/// makes them relevant (allergic, granuloma), by treatment id.
pub async fn flag_products(
    db: &Db,
    staff: ClinicStaff,
    flags: &[Flag],
) -> AppResult<std::collections::HashMap<String, String>> {
    let ids: Vec<String> = flags
        .iter()
        .filter(|f| risk::product_relevant(&f.reason))
        .map(|f| f.treatment_id.clone())
        .collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    db.read(move |c| {
        Ok(treatments::products_in_clinic(c, &staff.clinic_id, &ids)?
            .into_iter()
            .collect())
    })
    .await
}

/// Acknowledges or resolves a flag of the clinic; returns it with its history.
fn review_flag_in(
    tx: &mut Tx<'_>,
    staff: &ClinicStaff,
    flag_id: &str,
    review: Review,
    note: Option<&str>,
) -> AppResult<(Flag, Vec<FlagEvent>)> {
    let flag = flags::get(tx.conn(), &staff.scope(), flag_id)?;
    let to = review.to();
    let mut w = tx.patient(&PatientId::new(flag.patient_id.clone()));
    let flag = flags::transition(&mut w, &flag, review.from(), to, &staff.account_id, note)?
        .map_err(|current| {
            AppError::conflict(format!(
                "the flag is {current}; it can only become {to} from {}",
                review.from().join(" or ")
            ))
        })?;
    let c = tx.conn();
    let now = crate::db::now_ms();
    match review {
        // Acknowledged: someone is on it, so it does not escalate.
        Review::Acknowledge => crate::store::alerts::disarm_escalation(c, &flag.id)?,
        Review::Resolve => alerts::flag_event(c, &flag, alerts::FlagEvent::Resolved, now)?,
    }
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
    /// The logs' photos, by date.
    pub photos: Vec<crate::store::log_photos::LogPhoto>,
    pub flags: Vec<Flag>,
    /// Review history of `flags`, oldest first.
    pub events: Vec<FlagEvent>,
    /// Alert history per flag id, oldest first.
    pub alerts: std::collections::HashMap<String, Vec<alerts::AlertRecord>>,
    /// Due reminders per kind: (kind, due, done).
    pub adherence: Vec<(String, i64, i64)>,
    pub plan: ReminderPlan,
    /// Why it was registered despite contraindications, if it was.
    pub overridden: Option<treatments::Override>,
}

pub struct PatientRecovery {
    pub patient: Patient,
    /// Newest treatment first.
    pub treatments: Vec<TreatmentRecovery>,
}

/// Everything about one patient's recovery, for a clinician (audited).
fn read_recovery_in(
    tx: &mut Tx<'_>,
    staff: &ClinicStaff,
    patient_id: &str,
    now: DateTime<Utc>,
) -> AppResult<PatientRecovery> {
    let c = tx.conn();
    let patient = patients::get(c, &staff.scope(), patient_id)?;
    let mut items = Vec::new();
    for t in treatments::for_patient(c, &patient.id)? {
        let ctx = ctx_of::context(c, t)?;
        let id = ctx.treatment.id.clone();
        let flags = flags::for_treatment(c, &id)?;
        let flag_ids: Vec<String> = flags.iter().map(|f| f.id.clone()).collect();
        let mut alerts = std::collections::HashMap::new();
        for f in &flags {
            alerts.insert(f.id.clone(), alerts::history_in(c, f)?);
        }
        items.push(TreatmentRecovery {
            alerts,
            logs: daily_logs::for_treatment(c, &id)?,
            photos: crate::store::log_photos::for_treatment(c, &id)?,
            events: flags::events(c, &flag_ids)?,
            flags,
            adherence: reminders::adherence(c, &id, now.timestamp_millis())?,
            plan: reminders::plan(c, &id)?.0,
            overridden: treatments::overrides(c, std::slice::from_ref(&id))?.pop(),
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

// --- Entry points -------------------------------------------------------------

pub async fn add_patient(db: &Db, staff: ClinicStaff, p: ValidPatient) -> AppResult<Patient> {
    db.write(move |tx| add_patient_in(tx, &staff, &p)).await
}

/// The clinic's patients, newest first (audited).
pub async fn list_patients(
    db: &Db,
    staff: ClinicStaff,
    standing: patients::Standing,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<Patient>> {
    db.write(move |tx| list_patients_in(tx, &staff, standing, limit, offset))
        .await
}

/// One patient of the clinic, for the API (audited as `patient.read`).
pub async fn read_patient(db: &Db, staff: ClinicStaff, patient_id: String) -> AppResult<Patient> {
    db.write(move |tx| {
        let c = tx.conn();
        let p = patients::get(c, &staff.scope(), &patient_id)?;
        audit::record(
            c,
            &staff.clinic_id,
            &staff.account_id,
            "patient.read",
            "patient",
            &patient_id,
        )?;
        Ok(p)
    })
    .await
}

/// One patient of the clinic.
pub async fn patient(db: &Db, staff: &ClinicStaff, patient_id: String) -> AppResult<Patient> {
    let scope = staff.scope();
    db.read(move |c| Ok(patients::get(c, &scope, &patient_id)?))
        .await
}

/// A single-use enrolment code for a patient of the clinic: the patient,
/// the code and its expiry (ms).
pub async fn issue_enrolment_code(
    db: &Db,
    staff: ClinicStaff,
    patient_id: String,
    ttl_ms: i64,
) -> AppResult<(Patient, String, i64)> {
    db.write(move |tx| {
        let (code, expires_at) = issue_enrolment_code_in(tx, &staff, &patient_id, ttl_ms)?;
        let p = patients::get(tx.conn(), &staff.scope(), &patient_id)?;
        Ok((p, code, expires_at))
    })
    .await
}

/// Registers a treatment (with its reminder plan) for a patient of the clinic.
pub async fn register_treatment(
    db: &Db,
    staff: ClinicStaff,
    patient_id: String,
    new: NewTreatment,
) -> AppResult<Registered> {
    db.write(move |tx| register_treatment_in(tx, &staff, &patient_id, &new))
        .await
}

/// Adds a clinician or admin; hashes the password off the async runtime.
/// Returns the new account and the clinic's staff list.
pub async fn add_staff(
    db: &Db,
    admin: ClinicAdmin,
    s: ValidStaff,
) -> AppResult<(Account, Vec<Account>)> {
    let (s, hash) = tokio::task::spawn_blocking(move || {
        let hash = crate::auth::hash_password(&s.password);
        (s, hash)
    })
    .await
    .map_err(AppError::internal)?;
    db.write(move |tx| {
        let member = add_staff_in(tx, &admin, &s, &hash)?;
        Ok((member, accounts::list_staff(tx.conn(), &admin.clinic_id)?))
    })
    .await
}

/// The clinic's review queue, most severe then oldest first (audited).
pub async fn read_queue(
    db: &Db,
    staff: ClinicStaff,
    filter: QueueFilter,
) -> AppResult<Vec<(Flag, String)>> {
    db.write(move |tx| read_queue_in(tx, &staff, &filter)).await
}

/// Acknowledges or resolves a flag of the clinic; returns it with its history.
pub async fn review_flag(
    db: &Db,
    staff: ClinicStaff,
    flag_id: String,
    review: Review,
    note: Option<String>,
) -> AppResult<(Flag, Vec<FlagEvent>)> {
    db.write(move |tx| review_flag_in(tx, &staff, &flag_id, review, note.as_deref()))
        .await
}

/// Everything about one patient's recovery, for a clinician (audited), with
/// the names of the clinic's staff for the review history.
pub async fn read_recovery(
    db: &Db,
    staff: ClinicStaff,
    patient_id: String,
    now: DateTime<Utc>,
) -> AppResult<(PatientRecovery, Vec<Account>)> {
    db.write(move |tx| {
        let recovery = read_recovery_in(tx, &staff, &patient_id, now)?;
        Ok((recovery, accounts::list_staff(tx.conn(), &staff.clinic_id)?))
    })
    .await
}

/// Creates a clinic and its first admin in one transaction (the CLI):
/// (clinic id, admin id, clinic code).
pub fn create_clinic(
    db: &Db,
    name: &PersonName,
    admin_email: &Email,
    admin_name: &PersonName,
    password_hash: &str,
) -> AppResult<(String, String, String)> {
    db.write_blocking(|tx| {
        let c = tx.conn();
        let (clinic_id, code) = crate::store::clinics::create(c, name.as_str())?;
        let admin_id = accounts::create(
            c,
            accounts::NewAccount {
                clinic_id: &clinic_id,
                role: Role::Admin,
                email: admin_email,
                name: admin_name,
                password_hash: Some(password_hash),
            },
        )?;
        Ok((clinic_id, admin_id, code.as_str().to_string()))
    })
}
