//! Sign-in and enrolment budgets shared by every process of a PostgreSQL
//! deployment (`http::limits` keeps them in memory on SQLite).

use super::error::AppResult;
use crate::db::{now_ms, Db};
use crate::store::auth_budgets;

/// A GCRA budget: one attempt regained per `interval_ms`, `tolerance_ms`
/// worth of attempts spendable at once.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub interval_ms: i64,
    pub tolerance_ms: i64,
}

/// A budget key (already hashed) and its budget.
pub struct Keyed {
    pub key: String,
    pub budget: Budget,
}

/// Which budget refused, and in how many ms the next attempt is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Address(i64),
    Account(i64),
}

/// Spends one attempt of the address's budget, then of the (account,
/// address) pair's, then, unless `known` signed in since `known_since_ms`,
/// of the account's ceiling; stops at the first that is empty.
pub async fn spend(
    db: &Db,
    address: Keyed,
    pair: Keyed,
    known: String,
    known_since_ms: i64,
    account: Keyed,
) -> AppResult<Result<(), Refused>> {
    db.write(move |tx| {
        let c = tx.conn();
        let now = now_ms();
        let step = |c: &mut _, k: &Keyed| {
            auth_budgets::spend(c, &k.key, now, k.budget.interval_ms, k.budget.tolerance_ms)
        };
        if let Some(wait) = step(c, &address)? {
            return Ok(Err(Refused::Address(wait)));
        }
        if let Some(wait) = step(c, &pair)? {
            return Ok(Err(Refused::Account(wait)));
        }
        if auth_budgets::known(c, &known, known_since_ms)? {
            return Ok(Ok(()));
        }
        if let Some(wait) = step(c, &account)? {
            return Ok(Err(Refused::Account(wait)));
        }
        Ok(Ok(()))
    })
    .await
}

/// Remembers that the (account, address) pair `known` signed in.
pub async fn remember(db: &Db, known: String) -> AppResult<()> {
    db.write(move |tx| Ok(auth_budgets::remember(tx.conn(), &known, now_ms())?))
        .await
}

/// Forgets budgets that are full again and sign-ins older than `known_since_ms`.
pub async fn forget_idle(db: &Db, known_since_ms: i64) -> AppResult<()> {
    db.write(move |tx| {
        Ok(auth_budgets::forget_idle(
            tx.conn(),
            now_ms(),
            known_since_ms,
        )?)
    })
    .await
}
