//! Abuse limits: attempt budgets for sign-in and enrolment, and a capped
//! array type for request bodies.
//!
//! Budgets live in this process's memory (GCRA through `governor`): with N
//! processes behind a load balancer an account gets up to N times the budget,
//! and an address too unless the balancer pins addresses to processes.

use std::marker::PhantomData;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use serde::de::{Deserialize, Deserializer, Error as _, SeqAccess, Visitor};

use super::error::ApiError;

/// The period over which the configured number of attempts may be spent.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Attempt budgets for one kind of credential check (sign-in or enrolment):
/// one per client address and one per account (email or enrolment code).
/// A budget is spent by every attempt, right or wrong, before any password
/// work, so a flood costs the server no hashing either.
pub struct AttemptLimiter {
    accounts: DefaultKeyedRateLimiter<String>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

fn quota(attempts: u32) -> Quota {
    let burst = NonZeroU32::new(attempts.max(1)).expect("at least one");
    // A full budget of `attempts`, regained one at a time over the window.
    Quota::with_period(WINDOW / burst.get())
        .expect("non-zero period")
        .allow_burst(burst)
}

impl AttemptLimiter {
    pub fn new(per_account: u32, per_address: u32) -> Self {
        Self {
            accounts: DefaultKeyedRateLimiter::keyed(quota(per_account)),
            addresses: DefaultKeyedRateLimiter::keyed(quota(per_address)),
            clock: DefaultClock::default(),
        }
    }

    /// Spends one attempt of `address` and, if that is allowed, one of `account`.
    pub fn check(&self, address: IpAddr, account: &str) -> Result<(), Limited> {
        let wait = |n: governor::NotUntil<_>| n.wait_time_from(self.clock.now());
        if let Err(n) = self.addresses.check_key(&address) {
            return Err(Limited::Address(wait(n)));
        }
        if let Err(n) = self.accounts.check_key(&account.to_string()) {
            return Err(Limited::Account(wait(n)));
        }
        Ok(())
    }

    /// Forgets keys whose budget is full again, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.accounts.retain_recent();
        self.accounts.shrink_to_fit();
        self.addresses.retain_recent();
        self.addresses.shrink_to_fit();
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
        // Round up: a client that waits exactly Retry-After must get through.
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        ApiError::TooManyRequests {
            retry_after: secs.max(1),
        }
    }
}

/// The budgets of sign-in and enrolment, kept apart so that a patient's app
/// enrolling is not blocked by staff signing in from the same address.
pub struct AuthLimits {
    pub login: AttemptLimiter,
    pub enrol: AttemptLimiter,
}

impl AuthLimits {
    pub fn new(per_account: u32, per_address: u32) -> Self {
        Self {
            login: AttemptLimiter::new(per_account, per_address),
            enrol: AttemptLimiter::new(per_account, per_address),
        }
    }

    pub fn forget_idle(&self) {
        self.login.forget_idle();
        self.enrol.forget_idle();
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
    use super::*;

    #[test]
    fn budgets_run_out_per_address_and_per_account() {
        let l = AttemptLimiter::new(2, 3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(l.check(a, "x@example.com").is_ok());
        assert!(l.check(a, "x@example.com").is_ok());
        let Err(Limited::Account(wait)) = l.check(a, "x@example.com") else {
            panic!("account budget spent")
        };
        assert!(wait > Duration::ZERO && wait <= WINDOW);
        // Another address is refused too: the budget is the account's.
        assert!(matches!(
            l.check(b, "x@example.com"),
            Err(Limited::Account(_))
        ));
        // The first address has now spent three attempts.
        assert!(matches!(
            l.check(a, "y@example.com"),
            Err(Limited::Address(_))
        ));
        assert!(l.check(b, "y@example.com").is_ok());
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
