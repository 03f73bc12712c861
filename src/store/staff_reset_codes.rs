//! One-time password reset codes for staff, issued by an admin: the same
//! shape and code format as enrolment codes (single-use, expiring, hashed).

use diesel::prelude::*;

use crate::auth::{generate_enrolment_code, normalise_enrolment_code, sha256_hex};
use crate::db::schema::staff_reset_codes as rc;
use crate::db::{now_ms, DbConn};

/// Creates a code for the account, voiding its earlier open ones; returns
/// the code (shown once) and its expiry (ms).
pub fn create(
    conn: &mut DbConn,
    account_id: &str,
    clinic_id: &str,
    created_by: &str,
    ttl_ms: i64,
) -> QueryResult<(String, i64)> {
    let code = generate_enrolment_code();
    let canonical = normalise_enrolment_code(&code).expect("generated codes are canonical");
    let now = now_ms();
    void_open(conn, account_id, now)?;
    diesel::insert_into(rc::table)
        .values((
            rc::code_hash.eq(sha256_hex(&canonical)),
            rc::account_id.eq(account_id),
            rc::clinic_id.eq(clinic_id),
            rc::created_by.eq(created_by),
            rc::created_at.eq(now),
            rc::expires_at.eq(now + ttl_ms),
        ))
        .execute(conn)?;
    Ok((code, now + ttl_ms))
}

fn void_open(conn: &mut DbConn, account_id: &str, now: i64) -> QueryResult<()> {
    diesel::update(
        rc::table
            .filter(rc::account_id.eq(account_id))
            .filter(rc::used_at.is_null()),
    )
    .set(rc::used_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Uses up a code and returns its account, or `None` when the code is
/// unknown, used or expired.
pub fn redeem(conn: &mut DbConn, raw: &str) -> QueryResult<Option<String>> {
    let Some(canonical) = normalise_enrolment_code(raw) else {
        return Ok(None);
    };
    let hash = sha256_hex(&canonical);
    let now = now_ms();
    let used = diesel::update(
        rc::table
            .find(&hash)
            .filter(rc::used_at.is_null())
            .filter(rc::expires_at.gt(now)),
    )
    .set(rc::used_at.eq(now))
    .execute(conn)?;
    if used == 0 {
        return Ok(None);
    }
    let account_id: String = rc::table.find(&hash).select(rc::account_id).first(conn)?;
    void_open(conn, &account_id, now)?;
    Ok(Some(account_id))
}
