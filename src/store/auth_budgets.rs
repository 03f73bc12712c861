//! Attempt budgets shared by every process of a PostgreSQL deployment:
//! GCRA state per budget key, updated in one atomic statement, and the
//! (account, address) pairs that signed in. Keys are hashes made by the
//! caller. PostgreSQL only (SQLite keeps them in process memory).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::DbConn;

#[derive(QueryableByName)]
struct Tat {
    #[diesel(sql_type = BigInt)]
    tat: i64,
}

fn pg(conn: &mut DbConn) -> QueryResult<&mut PgConnection> {
    match conn {
        DbConn::Postgres(c) => Ok(c),
        DbConn::Sqlite(_) => Err(diesel::result::Error::QueryBuilderError(
            "shared attempt budgets live in PostgreSQL".into(),
        )),
    }
}

/// Spends one attempt of `key`'s budget (GCRA: one attempt per `interval_ms`,
/// `tolerance_ms` of them at once). `Ok(None)` when spent, `Ok(Some(wait_ms))`
/// when the budget is empty: the next attempt is allowed in `wait_ms`.
pub fn spend(
    conn: &mut DbConn,
    key: &str,
    now_ms: i64,
    interval_ms: i64,
    tolerance_ms: i64,
) -> QueryResult<Option<i64>> {
    let c = pg(conn)?;
    // The row lock taken by ON CONFLICT makes the read-compare-write atomic
    // across processes; a refused attempt leaves the state as it was.
    let spent = diesel::sql_query(
        "INSERT INTO auth_budgets AS b (key, tat) VALUES ($1, $2 + $3) \
         ON CONFLICT (key) DO UPDATE SET tat = GREATEST(b.tat, $2) + $3 \
         WHERE GREATEST(b.tat, $2) + $3 - $4 <= $2 \
         RETURNING tat",
    )
    .bind::<Text, _>(key)
    .bind::<BigInt, _>(now_ms)
    .bind::<BigInt, _>(interval_ms)
    .bind::<BigInt, _>(tolerance_ms)
    .get_result::<Tat>(c)
    .optional()?;
    if spent.is_some() {
        return Ok(None);
    }
    let tat = diesel::sql_query("SELECT tat FROM auth_budgets WHERE key = $1")
        .bind::<Text, _>(key)
        .get_result::<Tat>(c)?
        .tat;
    Ok(Some(
        (tat.max(now_ms) + interval_ms - tolerance_ms - now_ms).max(1),
    ))
}

/// Whether `key` signed in since `since_ms`.
pub fn known(conn: &mut DbConn, key: &str, since_ms: i64) -> QueryResult<bool> {
    use crate::db::schema::auth_known as k;
    let n: i64 = k::table
        .filter(k::key.eq(key))
        .filter(k::at.gt(since_ms))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Remembers that `key` signed in at `now_ms`.
pub fn remember(conn: &mut DbConn, key: &str, now_ms: i64) -> QueryResult<()> {
    let c = pg(conn)?;
    diesel::sql_query(
        "INSERT INTO auth_known (key, at) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET at = GREATEST(auth_known.at, EXCLUDED.at)",
    )
    .bind::<Text, _>(key)
    .bind::<BigInt, _>(now_ms)
    .execute(c)?;
    Ok(())
}

/// Forgets budgets that are full again and sign-ins older than `known_since_ms`.
pub fn forget_idle(conn: &mut DbConn, now_ms: i64, known_since_ms: i64) -> QueryResult<()> {
    use crate::db::schema::{auth_budgets as b, auth_known as k};
    diesel::delete(b::table.filter(b::tat.le(now_ms))).execute(conn)?;
    diesel::delete(k::table.filter(k::at.le(known_since_ms))).execute(conn)?;
    Ok(())
}
