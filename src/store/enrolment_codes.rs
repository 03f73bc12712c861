//! Single-use, expiring codes a clinician hands a patient to enrol the app.

use diesel::prelude::*;

use crate::auth::{generate_enrolment_code, normalise_enrolment_code, sha256_hex};
use crate::db::schema::enrolment_codes as ec;
use crate::db::{now_ms, DbConn};

/// Creates a code for the patient; returns the code (shown once) and its expiry (ms).
pub fn create(
    conn: &mut DbConn,
    patient_id: &str,
    clinic_id: &str,
    created_by: &str,
    ttl_ms: i64,
) -> QueryResult<(String, i64)> {
    let code = generate_enrolment_code();
    let canonical = normalise_enrolment_code(&code).expect("generated codes are canonical");
    let now = now_ms();
    diesel::insert_into(ec::table)
        .values((
            ec::code_hash.eq(sha256_hex(&canonical)),
            ec::patient_id.eq(patient_id),
            ec::clinic_id.eq(clinic_id),
            ec::created_by.eq(created_by),
            ec::created_at.eq(now),
            ec::expires_at.eq(now + ttl_ms),
        ))
        .execute(conn)?;
    Ok((code, now + ttl_ms))
}

/// Uses up a code and returns its patient, or `None` when the code is
/// unknown, used or expired. Other open codes of that patient are voided too.
pub fn redeem(conn: &mut DbConn, raw: &str) -> QueryResult<Option<String>> {
    let Some(canonical) = normalise_enrolment_code(raw) else {
        return Ok(None);
    };
    let hash = sha256_hex(&canonical);
    let now = now_ms();
    let used = diesel::update(
        ec::table
            .find(&hash)
            .filter(ec::used_at.is_null())
            .filter(ec::expires_at.gt(now)),
    )
    .set(ec::used_at.eq(now))
    .execute(conn)?;
    if used == 0 {
        return Ok(None);
    }
    let patient_id: String = ec::table.find(&hash).select(ec::patient_id).first(conn)?;
    diesel::update(
        ec::table
            .filter(ec::patient_id.eq(&patient_id))
            .filter(ec::used_at.is_null()),
    )
    .set(ec::used_at.eq(now))
    .execute(conn)?;
    Ok(Some(patient_id))
}
