//! Process-wide secrets and settings kept in the database, so that every
//! process against the same database agrees on them.

use diesel::prelude::*;

use crate::db::schema::settings;
use crate::db::DbConn;
use crate::per_backend;

/// Returns the stored value, first storing `make()` if there is none. Two
/// processes racing here both end up with the value that was inserted first.
pub fn get_or_create(
    conn: &mut DbConn,
    key: &str,
    make: impl FnOnce() -> String,
) -> QueryResult<String> {
    if let Some(v) = get(conn, key)? {
        return Ok(v);
    }
    let value = make();
    per_backend!(conn, |c| diesel::insert_into(settings::table)
        .values((settings::key.eq(key), settings::value.eq(&value)))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(get(conn, key)?.unwrap_or(value))
}

pub fn get(conn: &mut DbConn, key: &str) -> QueryResult<Option<String>> {
    settings::table
        .find(key)
        .select(settings::value)
        .first(conn)
        .optional()
}

/// Stores `value` under `key`, replacing what was there (key rotation).
pub fn set(conn: &mut DbConn, key: &str, value: &str) -> QueryResult<()> {
    per_backend!(conn, |c| diesel::insert_into(settings::table)
        .values((settings::key.eq(key), settings::value.eq(value)))
        .on_conflict(settings::key)
        .do_update()
        .set(settings::value.eq(value))
        .execute(c))?;
    Ok(())
}

/// Replaces a value only if it is still `old` (another process may have
/// replaced it first). Returns whether it did.
pub fn replace(conn: &mut DbConn, key: &str, old: &str, new: &str) -> QueryResult<bool> {
    let n = diesel::update(
        settings::table
            .filter(settings::key.eq(key))
            .filter(settings::value.eq(old)),
    )
    .set(settings::value.eq(new))
    .execute(conn)?;
    Ok(n == 1)
}
