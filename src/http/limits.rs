//! Abuse limits: attempt budgets for sign-in and enrolment, and a capped
//! array type for request bodies.
//!
//! On PostgreSQL the budgets live in the database (GCRA state per hashed
//! key, `app::attempts`), so N processes behind a load balancer share one
//! budget. On SQLite (one process) they live in this process's memory (GCRA
//! through `governor`), the same rule.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use serde::de::{Deserialize, Deserializer, Error as _, SeqAccess, Visitor};

use super::error::ApiError;
use crate::app::attempts::{self, Budget, Keyed, Refused};
use crate::app::AppError;
use crate::auth::sha256_hex;
use crate::db::Db;

/// The period over which the configured number of attempts may be spent.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// The per-account ceiling is this many times the per-(account, address)
/// budget: it bounds a brute force spread over many addresses, while one
/// stranger's address can only spend its own pair's budget.
pub const ACCOUNT_CEILING_FACTOR: u32 = 10;
/// How long an address that signed in to an account stays known to it.
const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 3600);
/// Bound on remembered (account, address) sign-ins; past it no new ones are
/// remembered (they still have their pair budget).
const MAX_KNOWN: usize = 100_000;

type Pair = (String, IpAddr);

/// Attempt budgets for one kind of credential check (sign-in or enrolment):
/// one per client address, one per (account, address), and a higher ceiling
/// per account (email or enrolment code). A stranger who spends their own
/// (account, address) budget does not lock the owner out elsewhere, and an
/// address that signed in to the account before (OWASP's device-cookie idea,
/// keyed by address) is not held by the ceiling either. A budget is spent by
/// every attempt, right or wrong, before any password work, so a flood costs
/// the server no hashing either.
pub struct AttemptLimiter {
    inner: Inner,
}

enum Inner {
    Memory(Box<MemoryLimiter>),
    Shared(SharedLimiter),
}

struct MemoryLimiter {
    pairs: DefaultKeyedRateLimiter<Pair>,
    accounts: DefaultKeyedRateLimiter<String>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
    known: Mutex<HashMap<Pair, Instant>>,
    clock: DefaultClock,
}

/// The same budgets kept in PostgreSQL for every process; keys are hashed
/// with the limiter's kind, so no e-mail, code or address is stored.
struct SharedLimiter {
    db: Db,
    kind: &'static str,
    pair: Budget,
    account: Budget,
    address: Budget,
}

fn quota(attempts: u32) -> Quota {
    let burst = NonZeroU32::new(attempts.max(1)).expect("at least one");
    // A full budget of `attempts`, regained one at a time over the window.
    Quota::with_period(WINDOW / burst.get())
        .expect("non-zero period")
        .allow_burst(burst)
}

/// The GCRA parameters of `quota(attempts)`, in ms.
fn budget(attempts: u32) -> Budget {
    let burst = i64::from(attempts.max(1));
    let window = WINDOW.as_millis() as i64;
    // At least 1 ms: with more attempts than the window has milliseconds the
    // interval would round to 0, the tolerance with it, and two attempts a
    // millisecond apart in either order would refuse each other.
    let interval_ms = (window / burst).max(1);
    Budget {
        interval_ms,
        tolerance_ms: interval_ms * burst,
    }
}

impl AttemptLimiter {
    /// Budgets in this process's memory (SQLite: one process).
    pub fn new(per_account: u32, per_address: u32) -> Self {
        Self {
            inner: Inner::Memory(Box::new(MemoryLimiter::new(per_account, per_address))),
        }
    }

    /// Budgets in PostgreSQL, shared by every process on `db`. `kind`
    /// keeps sign-in and enrolment budgets apart.
    pub fn shared(db: Db, kind: &'static str, per_account: u32, per_address: u32) -> Self {
        Self {
            inner: Inner::Shared(SharedLimiter {
                db,
                kind,
                pair: budget(per_account),
                account: budget(per_account.saturating_mul(ACCOUNT_CEILING_FACTOR)),
                address: budget(per_address),
            }),
        }
    }

    /// Spends one attempt of `address`, then of (`account`, `address`), then
    /// (unless the address signed in to the account before) of `account`.
    /// The outer error is the database's (shared budgets only).
    pub async fn check(
        &self,
        address: IpAddr,
        account: &str,
    ) -> Result<Result<(), Limited>, AppError> {
        match &self.inner {
            Inner::Memory(m) => Ok(m.check(address, account)),
            Inner::Shared(s) => s.check(address, account).await,
        }
    }

    /// Remembers that `address` signed in to `account`.
    pub async fn succeeded(&self, address: IpAddr, account: &str) -> Result<(), AppError> {
        match &self.inner {
            Inner::Memory(m) => {
                m.succeeded(address, account);
                Ok(())
            }
            Inner::Shared(s) => {
                attempts::remember(&s.db, s.key("known", account, Some(address))).await
            }
        }
    }

    /// Forgets keys whose budget is full again, so memory (or the table) stays bounded.
    pub async fn forget_idle(&self) -> Result<(), AppError> {
        match &self.inner {
            Inner::Memory(m) => {
                m.forget_idle();
                Ok(())
            }
            Inner::Shared(s) => attempts::forget_idle(&s.db, known_since()).await,
        }
    }
}

/// Sign-ins since this instant (ms) still count as known.
fn known_since() -> i64 {
    crate::db::now_ms() - KNOWN_FOR.as_millis() as i64
}

impl SharedLimiter {
    fn key(&self, scope: &str, account: &str, address: Option<IpAddr>) -> String {
        let address = address.map(|a| a.to_string()).unwrap_or_default();
        sha256_hex(&format!("{}\n{scope}\n{account}\n{address}", self.kind))
    }

    async fn check(&self, address: IpAddr, account: &str) -> Result<Result<(), Limited>, AppError> {
        let keyed = |key, budget| Keyed { key, budget };
        let outcome = attempts::spend(
            &self.db,
            keyed(self.key("address", "", Some(address)), self.address),
            keyed(self.key("pair", account, Some(address)), self.pair),
            self.key("known", account, Some(address)),
            known_since(),
            keyed(self.key("account", account, None), self.account),
        )
        .await?;
        let wait = |ms: i64| Duration::from_millis(ms.max(0) as u64);
        Ok(outcome.map_err(|r| match r {
            Refused::Address(ms) => Limited::Address(wait(ms)),
            Refused::Account(ms) => Limited::Account(wait(ms)),
        }))
    }
}

impl MemoryLimiter {
    fn new(per_account: u32, per_address: u32) -> Self {
        Self {
            pairs: DefaultKeyedRateLimiter::keyed(quota(per_account)),
            accounts: DefaultKeyedRateLimiter::keyed(quota(
                per_account.saturating_mul(ACCOUNT_CEILING_FACTOR),
            )),
            addresses: DefaultKeyedRateLimiter::keyed(quota(per_address)),
            known: Mutex::new(HashMap::new()),
            clock: DefaultClock::default(),
        }
    }

    fn is_known(&self, pair: &Pair) -> bool {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        known.get(pair).is_some_and(|at| at.elapsed() < KNOWN_FOR)
    }

    fn check(&self, address: IpAddr, account: &str) -> Result<(), Limited> {
        let wait = |n: governor::NotUntil<_>| n.wait_time_from(self.clock.now());
        if let Err(n) = self.addresses.check_key(&address) {
            return Err(Limited::Address(wait(n)));
        }
        let pair = (account.to_string(), address);
        if let Err(n) = self.pairs.check_key(&pair) {
            return Err(Limited::Account(wait(n)));
        }
        if self.is_known(&pair) {
            return Ok(());
        }
        if let Err(n) = self.accounts.check_key(&pair.0) {
            return Err(Limited::Account(wait(n)));
        }
        Ok(())
    }

    fn succeeded(&self, address: IpAddr, account: &str) {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        let pair = (account.to_string(), address);
        if known.len() < MAX_KNOWN || known.contains_key(&pair) {
            known.insert(pair, Instant::now());
        }
    }

    fn forget_idle(&self) {
        self.pairs.retain_recent();
        self.pairs.shrink_to_fit();
        self.accounts.retain_recent();
        self.accounts.shrink_to_fit();
        self.addresses.retain_recent();
        self.addresses.shrink_to_fit();
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        known.retain(|_, at| at.elapsed() < KNOWN_FOR);
    }
}

/// Which budget ran out, and when the next attempt will be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Address(Duration),
    Account(Duration),
}

impl Limited {
    pub fn key(&self) -> &'static str {
        match self {
            Self::Address(_) => "address",
            Self::Account(_) => "account",
        }
    }
}

impl From<Limited> for ApiError {
    fn from(l: Limited) -> Self {
        let (Limited::Address(wait) | Limited::Account(wait)) = l;
        too_many(wait)
    }
}

/// The budgets of sign-in and enrolment, kept apart so that a patient's app
/// enrolling is not blocked by staff signing in from the same address.
pub struct AuthLimits {
    pub login: AttemptLimiter,
    pub enrol: AttemptLimiter,
}

impl AuthLimits {
    /// Shared through the database on PostgreSQL, in memory on SQLite.
    pub fn new(db: &Db, per_account: u32, per_address: u32) -> Self {
        if db.backend() == "postgres" {
            Self {
                login: AttemptLimiter::shared(db.clone(), "login", per_account, per_address),
                enrol: AttemptLimiter::shared(db.clone(), "enrol", per_account, per_address),
            }
        } else {
            Self::in_memory(per_account, per_address)
        }
    }

    pub fn in_memory(per_account: u32, per_address: u32) -> Self {
        Self {
            login: AttemptLimiter::new(per_account, per_address),
            enrol: AttemptLimiter::new(per_account, per_address),
        }
    }

    pub async fn forget_idle(&self) -> Result<(), AppError> {
        self.login.forget_idle().await?;
        self.enrol.forget_idle().await
    }
}

/// Sync pushes of one account: at most one at a time (a second one while
/// the first is read or applied is 429 at once, before its body is read),
/// and a budget of pushes per minute. Per process, like the other budgets.
pub struct SyncPushLimits {
    in_flight: Mutex<std::collections::HashSet<String>>,
    rate: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

/// How long a client turned away because its other push is still running
/// should wait: a push takes well under a second.
const IN_FLIGHT_RETRY: Duration = Duration::from_secs(1);

impl SyncPushLimits {
    pub fn new(per_minute: u32) -> Self {
        let burst = NonZeroU32::new(per_minute.max(1)).expect("at least one");
        Self {
            in_flight: Mutex::new(std::collections::HashSet::new()),
            rate: DefaultKeyedRateLimiter::keyed(
                Quota::with_period(Duration::from_secs(60) / burst.get())
                    .expect("non-zero period")
                    .allow_burst(burst),
            ),
            clock: DefaultClock::default(),
        }
    }

    /// Takes the account's push turn (released when the guard drops), or
    /// says how long to wait.
    pub fn begin(&self, account: &str) -> Result<SyncPushTurn<'_>, Duration> {
        {
            let mut busy = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            if !busy.insert(account.to_string()) {
                return Err(IN_FLIGHT_RETRY);
            }
        }
        let turn = SyncPushTurn {
            limits: self,
            account: account.to_string(),
        };
        match self.rate.check_key(&turn.account) {
            Ok(()) => Ok(turn),
            Err(n) => Err(n.wait_time_from(self.clock.now())),
        }
    }

    pub fn forget_idle(&self) {
        self.rate.retain_recent();
        self.rate.shrink_to_fit();
    }
}

/// One account's push in progress.
pub struct SyncPushTurn<'a> {
    limits: &'a SyncPushLimits,
    account: String,
}

impl Drop for SyncPushTurn<'_> {
    fn drop(&mut self) {
        let mut busy = self
            .limits
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        busy.remove(&self.account);
    }
}

/// The 429 for a wait.
pub fn too_many(wait: Duration) -> ApiError {
    // Round up: a client that waits exactly Retry-After must get through.
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::TooManyRequests {
        retry_after: secs.max(1),
    }
}

/// A JSON array of at most `N` items. Longer arrays are refused while the
/// body is parsed (a 422 naming the field) instead of being collected first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capped<T, const N: usize>(pub Vec<T>);

impl<T, const N: usize> Default for Capped<T, N> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T, const N: usize> std::ops::Deref for Capped<T, N> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T, const N: usize> Capped<T, N> {
    pub fn into_inner(self) -> Vec<T> {
        self.0
    }
}

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for Capped<T, N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Items<T, const N: usize>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for Items<T, N> {
            type Value = Capped<T, N>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "an array of at most {N} items")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(N));
                while let Some(item) = seq.next_element()? {
                    if items.len() == N {
                        return Err(A::Error::custom(format!("must have at most {N} items")));
                    }
                    items.push(item);
                }
                Ok(Capped(items))
            }
        }

        deserializer.deserialize_seq(Items(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_budget_above_one_attempt_per_ms_keeps_its_burst() {
        let b = super::budget(1_000_000);
        assert_eq!(b.interval_ms, 1);
        assert!(b.tolerance_ms >= super::WINDOW.as_millis() as i64);
        let b = super::budget(100);
        assert_eq!(b.tolerance_ms, super::WINDOW.as_millis() as i64);
    }

    use super::*;

    #[test]
    fn one_sync_push_per_account_at_a_time_within_a_rate() {
        let limits = SyncPushLimits::new(3);
        let first = limits.begin("a").unwrap();
        assert_eq!(limits.begin("a").err(), Some(IN_FLIGHT_RETRY));
        let other = limits.begin("b").unwrap();
        drop(first);
        drop(other);
        drop(limits.begin("a").unwrap());
        drop(limits.begin("a").unwrap());
        // The fourth within a minute waits about 20 s.
        let wait = limits.begin("a").err().unwrap();
        assert!(
            wait > Duration::from_secs(10) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        // The turn was given back even so.
        assert!(limits.in_flight.lock().unwrap().is_empty());
    }

    #[test]
    fn budgets_run_out_per_address_and_per_account() {
        let l = MemoryLimiter::new(2, 3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(l.check(a, "x@example.com").is_ok());
        assert!(l.check(a, "x@example.com").is_ok());
        let Err(Limited::Account(wait)) = l.check(a, "x@example.com") else {
            panic!("(account, address) budget spent")
        };
        assert!(wait > Duration::ZERO && wait <= WINDOW);
        // Another address keeps its own budget for the account.
        assert!(l.check(b, "x@example.com").is_ok());
        // The first address has now spent three attempts.
        assert!(matches!(
            l.check(a, "y@example.com"),
            Err(Limited::Address(_))
        ));
        assert!(l.check(b, "y@example.com").is_ok());
    }

    #[test]
    fn the_account_ceiling_bounds_many_addresses_but_not_a_known_one() {
        let l = MemoryLimiter::new(1, 100);
        let home: IpAddr = "198.51.100.1".parse().unwrap();
        l.succeeded(home, "x@example.com");
        let ceiling = ACCOUNT_CEILING_FACTOR as u8;
        for i in 0..ceiling {
            let ip = IpAddr::from([203, 0, 113, i]);
            assert!(l.check(ip, "x@example.com").is_ok(), "address {i}");
        }
        let ip = IpAddr::from([203, 0, 113, ceiling]);
        assert!(matches!(
            l.check(ip, "x@example.com"),
            Err(Limited::Account(_))
        ));
        assert!(l.check(home, "x@example.com").is_ok());
    }

    #[test]
    fn shared_budgets_have_the_memory_quota() {
        // 10 attempts over the window, one regained every window / 10.
        let b = budget(10);
        assert_eq!(b.interval_ms, WINDOW.as_millis() as i64 / 10);
        assert_eq!(b.tolerance_ms, b.interval_ms * 10);
        assert_eq!(budget(0).tolerance_ms, budget(1).tolerance_ms);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let e = ApiError::from(Limited::Address(Duration::from_millis(1500)));
        assert!(matches!(e, ApiError::TooManyRequests { retry_after: 2 }));
        let e = ApiError::from(Limited::Account(Duration::ZERO));
        assert!(matches!(e, ApiError::TooManyRequests { retry_after: 1 }));
    }

    #[test]
    fn capped_arrays_refuse_one_item_too_many() {
        let ok: Capped<u8, 3> = serde_json::from_str("[1,2,3]").unwrap();
        assert_eq!(ok.0, vec![1, 2, 3]);
        let err = serde_json::from_str::<Capped<u8, 3>>("[1,2,3,4]").unwrap_err();
        assert!(err.to_string().contains("at most 3 items"), "{err}");
        assert!(serde_json::from_str::<Capped<u8, 3>>("{}").is_err());
    }
}
