//! Refresh tokens: random, stored hashed, rotated on every use. Presenting a
//! token that was already rotated means it leaked; the whole family goes.

use diesel::prelude::*;

use crate::auth::{random_token, sha256_hex};
use crate::db::schema::refresh_tokens as rt;
use crate::db::{now_ms, DbConn};

/// Stores a new refresh token (in `family`, or a new family) and returns it.
pub fn issue(
    conn: &mut DbConn,
    account_id: &str,
    family: Option<&str>,
    ttl_ms: i64,
) -> QueryResult<String> {
    let token = random_token(32);
    let now = now_ms();
    let family = family.map(String::from).unwrap_or_else(super::new_id);
    diesel::insert_into(rt::table)
        .values((
            rt::id.eq(super::new_id()),
            rt::family_id.eq(&family),
            rt::account_id.eq(account_id),
            rt::token_hash.eq(sha256_hex(&token)),
            rt::issued_at.eq(now),
            rt::expires_at.eq(now + ttl_ms),
        ))
        .execute(conn)?;
    Ok(token)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = rt)]
struct Stored {
    id: String,
    family_id: String,
    account_id: String,
    expires_at: i64,
    rotated_at: Option<i64>,
    revoked_at: Option<i64>,
}

pub enum Rotation {
    /// The token was current: here is the account and a fresh token in the same family.
    Rotated { account_id: String, token: String },
    /// Unknown, expired or revoked.
    Invalid,
    /// Already rotated: the family has now been revoked.
    Reused,
}

/// Call inside a write transaction. The conditional update makes two
/// concurrent uses of one token resolve to one rotation and one reuse.
pub fn rotate(conn: &mut DbConn, presented: &str, ttl_ms: i64) -> QueryResult<Rotation> {
    let now = now_ms();
    let row: Option<Stored> = rt::table
        .filter(rt::token_hash.eq(sha256_hex(presented)))
        .select(Stored::as_select())
        .first(conn)
        .optional()?;
    let Some(Stored {
        id,
        family_id: family,
        account_id,
        expires_at,
        rotated_at,
        revoked_at,
    }) = row
    else {
        return Ok(Rotation::Invalid);
    };
    if revoked_at.is_some() || expires_at <= now {
        return Ok(Rotation::Invalid);
    }
    let claimed = if rotated_at.is_none() {
        diesel::update(rt::table.find(&id).filter(rt::rotated_at.is_null()))
            .set(rt::rotated_at.eq(now))
            .execute(conn)?
    } else {
        0
    };
    if claimed == 0 {
        revoke_family(conn, &family)?;
        return Ok(Rotation::Reused);
    }
    let token = issue(conn, &account_id, Some(&family), ttl_ms)?;
    Ok(Rotation::Rotated { account_id, token })
}

pub fn revoke_family(conn: &mut DbConn, family: &str) -> QueryResult<()> {
    diesel::update(
        rt::table
            .filter(rt::family_id.eq(family))
            .filter(rt::revoked_at.is_null()),
    )
    .set(rt::revoked_at.eq(now_ms()))
    .execute(conn)?;
    Ok(())
}

/// Revokes the family of the presented token (logout). Unknown tokens are ignored.
pub fn revoke_by_token(conn: &mut DbConn, presented: &str) -> QueryResult<()> {
    let family: Option<String> = rt::table
        .filter(rt::token_hash.eq(sha256_hex(presented)))
        .select(rt::family_id)
        .first(conn)
        .optional()?;
    if let Some(f) = family {
        revoke_family(conn, &f)?;
    }
    Ok(())
}

pub fn revoke_all_for(conn: &mut DbConn, account_id: &str) -> QueryResult<()> {
    diesel::update(
        rt::table
            .filter(rt::account_id.eq(account_id))
            .filter(rt::revoked_at.is_null()),
    )
    .set(rt::revoked_at.eq(now_ms()))
    .execute(conn)?;
    Ok(())
}

/// Revokes every live refresh token of every account (key rotation).
pub fn revoke_everyone(conn: &mut DbConn) -> QueryResult<usize> {
    diesel::update(rt::table.filter(rt::revoked_at.is_null()))
        .set(rt::revoked_at.eq(now_ms()))
        .execute(conn)
}
