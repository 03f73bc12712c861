//! Clinician console sign-ins, kept server-side so sign-out really ends them.
//! Rows are keyed by the SHA-256 of the cookie's token, never the token.

use diesel::prelude::*;

use crate::db::schema::{accounts as a, clinics as c, console_sessions as s};
use crate::db::DbConn;

/// The account behind a live session, read fresh on every request so a
/// changed role or a deleted account takes effect at once.
#[derive(Debug, Clone, Queryable)]
pub struct SessionAccount {
    pub account_id: String,
    pub clinic_id: String,
    pub role: String,
    pub name: String,
    /// The clinic's time zone (IANA name), in which the console shows times.
    pub clinic_timezone: String,
    /// The staff member's language (BCP 47 tag as stored).
    pub locale: String,
}

pub fn create(
    conn: &mut DbConn,
    token_hash: &str,
    account_id: &str,
    now: i64,
    ttl_ms: i64,
) -> QueryResult<()> {
    diesel::insert_into(s::table)
        .values((
            s::token_hash.eq(token_hash),
            s::account_id.eq(account_id),
            s::created_at.eq(now),
            s::expires_at.eq(now + ttl_ms),
        ))
        .execute(conn)?;
    Ok(())
}

/// The session's account, if the session exists and has not expired.
pub fn find(conn: &mut DbConn, token_hash: &str, now: i64) -> QueryResult<Option<SessionAccount>> {
    s::table
        .inner_join(a::table)
        .inner_join(c::table.on(c::id.eq(a::clinic_id)))
        .filter(s::token_hash.eq(token_hash))
        .filter(s::expires_at.gt(now))
        .select((
            a::id,
            a::clinic_id,
            a::role,
            a::name,
            c::timezone,
            a::locale,
        ))
        .first(conn)
        .optional()
}

pub fn delete(conn: &mut DbConn, token_hash: &str) -> QueryResult<()> {
    diesel::delete(s::table.find(token_hash)).execute(conn)?;
    Ok(())
}

/// Drops expired sessions; run at sign-in so the table stays small.
pub fn purge_expired(conn: &mut DbConn, now: i64) -> QueryResult<usize> {
    diesel::delete(s::table.filter(s::expires_at.le(now))).execute(conn)
}

/// Ends every console sign-in of an account.
pub fn delete_for_account(conn: &mut DbConn, account_id: &str) -> QueryResult<Vec<String>> {
    let hashes: Vec<String> = s::table
        .filter(s::account_id.eq(account_id))
        .select(s::token_hash)
        .load(conn)?;
    diesel::delete(s::table.filter(s::account_id.eq(account_id))).execute(conn)?;
    Ok(hashes)
}

/// Ends every console session (key rotation). Returns how many there were.
pub fn delete_all(conn: &mut DbConn) -> QueryResult<usize> {
    diesel::delete(s::table).execute(conn)
}
