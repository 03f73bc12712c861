use diesel::prelude::*;

use super::accounts::{self, NewAccount};
use super::Scope;
use crate::db::schema::{accounts as a, patients as p};
use crate::db::{DbConn, PatientWrite};
use crate::domain::account::{Email, PersonName, Role, TimeZone};
use crate::i18n::Locale;

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct Patient {
    pub id: String,
    pub clinic_id: String,
    pub name: String,
    pub email: String,
    pub timezone: String,
    pub fitzpatrick: i32,
    pub enrolled: bool,
    pub created_at: i64,
    /// BCP 47 tag (see `Locale::from_stored`).
    pub locale: String,
    /// When staff discharged the patient (ms); `None` while in care.
    pub discharged_at: Option<i64>,
}

pub struct NewPatient<'a> {
    pub clinic_id: &'a str,
    pub created_by: &'a str,
    pub name: &'a PersonName,
    pub email: &'a Email,
    pub timezone: TimeZone,
    pub fitzpatrick: i32,
}

pub fn create(conn: &mut DbConn, new: NewPatient<'_>) -> QueryResult<String> {
    let id = accounts::create(
        conn,
        NewAccount {
            clinic_id: new.clinic_id,
            role: Role::Patient,
            email: new.email,
            name: new.name,
            password_hash: None,
        },
    )?;
    diesel::insert_into(p::table)
        .values((
            p::account_id.eq(&id),
            p::clinic_id.eq(new.clinic_id),
            p::timezone.eq(new.timezone.name()),
            p::fitzpatrick.eq(new.fitzpatrick),
            p::created_by.eq(new.created_by),
            // Sync cursors must be > 0 (WatermelonDB), so counting starts at 1.
            p::change_seq.eq(1i64),
        ))
        .execute(conn)?;
    Ok(id)
}

type Columns = (
    p::account_id,
    p::clinic_id,
    a::name,
    a::email,
    p::timezone,
    p::fitzpatrick,
    diesel::dsl::IsNotNull<a::password_hash>,
    a::created_at,
    a::locale,
    p::discharged_at,
);

fn columns() -> Columns {
    (
        p::account_id,
        p::clinic_id,
        a::name,
        a::email,
        p::timezone,
        p::fitzpatrick,
        a::password_hash.is_not_null(),
        a::created_at,
        a::locale,
        p::discharged_at,
    )
}

/// The patient, if the scope may see them; otherwise `NotFound`, so that
/// another clinic cannot even learn that the id exists.
pub fn get(conn: &mut DbConn, scope: &Scope, id: &str) -> QueryResult<Patient> {
    let found: Option<Patient> = p::table
        .inner_join(a::table)
        .filter(p::account_id.eq(id))
        .select(columns())
        .get_result(conn)
        .optional()?;
    match found {
        Some(patient) if scope.allows(&patient.id, &patient.clinic_id) => Ok(patient),
        _ => Err(diesel::result::Error::NotFound),
    }
}

/// Which of a clinic's patients a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// In care (not discharged).
    Active,
    Discharged,
    All,
}

/// Patients of one clinic, newest first, paged.
pub fn list(
    conn: &mut DbConn,
    clinic_id: &str,
    standing: Standing,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<Patient>> {
    let mut q = p::table
        .inner_join(a::table)
        .filter(p::clinic_id.eq(clinic_id))
        .order((a::created_at.desc(), p::account_id))
        .limit(limit)
        .offset(offset)
        .select(columns())
        .into_boxed();
    q = match standing {
        Standing::Active => q.filter(p::discharged_at.is_null()),
        Standing::Discharged => q.filter(p::discharged_at.is_not_null()),
        Standing::All => q,
    };
    q.load(conn)
}

/// Corrects the patient's name and e-mail (account fields; not synced).
pub fn set_contact(
    conn: &mut DbConn,
    id: &str,
    name: &PersonName,
    email: &Email,
) -> QueryResult<()> {
    diesel::update(a::table.find(id))
        .set((a::name.eq(name.as_str()), a::email.eq(email.as_str())))
        .execute(conn)?;
    Ok(())
}

/// Corrects the skin type. The caller re-sends the treatments whose care
/// data depends on it ([`super::treatments::touch`]).
pub fn set_fitzpatrick(w: &mut PatientWrite<'_, '_>, fitzpatrick: i32) -> QueryResult<()> {
    let (conn, id) = w.split();
    diesel::update(p::table.find(id))
        .set(p::fitzpatrick.eq(fitzpatrick))
        .execute(conn)?;
    Ok(())
}

/// Discharges (`Some(at)`) or readmits (`None`) the patient. The caller
/// re-sends their treatments, whose synced rows carry it.
pub fn set_discharged(w: &mut PatientWrite<'_, '_>, at: Option<i64>) -> QueryResult<()> {
    let (conn, id) = w.split();
    diesel::update(p::table.find(id))
        .set(p::discharged_at.eq(at))
        .execute(conn)?;
    Ok(())
}

/// What the recovery rules and the reminder planner need of a patient: time
/// zone, skin type, discharge time (ms) and the locale they read.
#[derive(Debug, Clone, Queryable)]
pub struct CareProfile {
    pub timezone: String,
    pub fitzpatrick: i32,
    pub discharged_at: Option<i64>,
    pub locale: String,
}

/// The columns of a [`CareProfile`], for queries that join `patients` and
/// `accounts`.
pub type CareColumns = (p::timezone, p::fitzpatrick, p::discharged_at, a::locale);
pub const CARE_COLUMNS: CareColumns = (p::timezone, p::fitzpatrick, p::discharged_at, a::locale);

pub fn care_profile(conn: &mut DbConn, patient_id: &str) -> QueryResult<CareProfile> {
    p::table
        .find(patient_id)
        .inner_join(a::table)
        .select(CARE_COLUMNS)
        .get_result(conn)
}

/// The patient's time zone and skin type, as the recovery rules need them.
pub fn profile(conn: &mut DbConn, patient_id: &str) -> QueryResult<(String, i32)> {
    p::table
        .find(patient_id)
        .select((p::timezone, p::fitzpatrick))
        .get_result(conn)
}

/// The zone is part of the synced preferences record: write it together
/// with the preferences ([`super::reminders::set_preferences`]).
pub fn set_timezone(w: &mut PatientWrite<'_, '_>, timezone: &str) -> QueryResult<()> {
    let (conn, id) = w.split();
    diesel::update(p::table.find(id))
        .set(p::timezone.eq(timezone))
        .execute(conn)?;
    Ok(())
}

/// The patient's locale is part of the synced preferences record, like the
/// zone: write it together with the preferences.
pub fn set_locale(w: &mut PatientWrite<'_, '_>, locale: Locale) -> QueryResult<()> {
    let (conn, id) = w.split();
    diesel::update(a::table.find(id))
        .set(a::locale.eq(locale.as_str()))
        .execute(conn)?;
    Ok(())
}

/// (current change counter, highest pruned tombstone seq) for sync pulls.
pub fn sync_cursor(conn: &mut DbConn, patient_id: &str) -> QueryResult<(i64, i64)> {
    p::table
        .find(patient_id)
        .select((p::change_seq, p::tombstones_pruned_seq))
        .get_result(conn)
}

/// Locks the change counters of those of `ids` that no other transaction
/// holds, and returns them; the rest are skipped, never waited for.
/// PostgreSQL only: on SQLite the immediate transaction already excludes
/// every other writer, so all of them are free.
pub fn lock_free_counters(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<String>> {
    match conn {
        DbConn::Postgres(c) => p::table
            .filter(p::account_id.eq_any(ids))
            .order(p::account_id)
            .select(p::account_id)
            .for_update()
            .skip_locked()
            .load(c),
        DbConn::Sqlite(_) => Ok(ids.to_vec()),
    }
}
