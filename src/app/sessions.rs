//! Ending every sign-in of an account at once, and the per-request check
//! that makes it reach access tokens too.
//!
//! Each account has a token generation; access tokens carry the one they
//! were issued under. Bumping it (deactivation, role change, password change
//! or reset) refuses every earlier access token, and the same transaction
//! revokes refresh families, console sessions and push subscriptions.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::error::{AppError, AppResult};
use crate::db::{Db, DbConn};
use crate::store::{accounts, console_sessions, push, refresh_tokens};

/// How long another process's change may go unseen here. A change made by
/// this process is seen at once (the entry is dropped after the commit).
pub const GENERATION_CACHE_TTL: Duration = Duration::from_secs(5);
/// Entries kept at most; the cache is simply cleared when it is full.
const MAX_ENTRIES: usize = 100_000;

/// Per-process cache of account token generations.
pub struct TokenGenerations {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Option<i64>, Instant)>>,
}

impl Default for TokenGenerations {
    fn default() -> Self {
        Self::new(GENERATION_CACHE_TTL)
    }
}

impl TokenGenerations {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, account_id: &str) -> Option<Option<i64>> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.get(account_id)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(g, _)| *g)
    }

    /// Ok when `generation` is the account's current one and the account is
    /// active; 401 otherwise (gone, deactivated, or signed out everywhere).
    pub async fn check(&self, db: &Db, account_id: &str, generation: i64) -> AppResult<()> {
        let current = match self.cached(account_id) {
            Some(g) => g,
            None => {
                let id = account_id.to_string();
                let state = db
                    .read(move |c| Ok::<_, AppError>(accounts::token_state(c, &id)?))
                    .await?;
                // A deactivated account has no valid generation at all.
                let g = state.and_then(|(g, active)| active.then_some(g));
                let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
                if map.len() >= MAX_ENTRIES {
                    map.clear();
                }
                map.insert(account_id.to_string(), (g, Instant::now()));
                g
            }
        };
        match current {
            Some(g) if g == generation => Ok(()),
            Some(_) => Err(AppError::Unauthorized(
                "this access token was ended (password change or sign-out everywhere); sign in again",
            )),
            None => Err(AppError::Unauthorized(
                "the account behind this token no longer exists or is deactivated",
            )),
        }
    }

    /// Forgets what this process knows of an account (after a change commits).
    pub fn forget(&self, account_id: &str) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(account_id);
    }
}

/// Inside a write: ends every sign-in of the account (access tokens through
/// the generation, refresh families, console sessions and the push
/// subscriptions of its browsers and devices). Call
/// [`TokenGenerations::forget`] once the transaction has committed.
pub fn end_all(conn: &mut DbConn, account_id: &str) -> AppResult<()> {
    accounts::bump_generation(conn, account_id)?;
    refresh_tokens::revoke_all_for(conn, account_id)?;
    console_sessions::delete_for_account(conn, account_id)?;
    for sub in push::subscriptions_of(conn, account_id)? {
        push::drop_jobs_for_subscription(conn, &sub.id)?;
        push::delete_subscription_by_id(conn, &sub.id)?;
    }
    Ok(())
}
