//! Treatments of one patient form a series of sessions: each points at the
//! one before it, its session number follows from that one, and sessions
//! closer together than the area's minimum interval are a warning (the skin
//! rebuilds collagen for about four weeks on the face, neck and body; the
//! scalp is commonly treated every two weeks).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::risk::Warning;
use crate::domain::treatment::{Area, SessionNumber};

/// Minimum days between two sessions, per area. Part of the protocol (as
/// data); a stored protocol without it gets these defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionIntervals {
    #[serde(default = "four_weeks")]
    pub face: u16,
    #[serde(default = "four_weeks")]
    pub neck: u16,
    #[serde(default = "two_weeks")]
    pub scalp: u16,
    #[serde(default = "four_weeks")]
    pub body: u16,
}

fn four_weeks() -> u16 {
    28
}

fn two_weeks() -> u16 {
    14
}

impl Default for SessionIntervals {
    fn default() -> Self {
        SessionIntervals {
            face: four_weeks(),
            neck: four_weeks(),
            scalp: two_weeks(),
            body: four_weeks(),
        }
    }
}

impl SessionIntervals {
    /// Shortest and longest interval a protocol may set.
    pub const MIN_DAYS: u16 = 7;
    pub const MAX_DAYS: u16 = 120;

    pub fn for_area(&self, area: Area) -> u16 {
        match area {
            Area::Face => self.face,
            Area::Neck => self.neck,
            Area::Scalp => self.scalp,
            Area::Body => self.body,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        for area in Area::ALL {
            let d = self.for_area(area);
            if !(Self::MIN_DAYS..=Self::MAX_DAYS).contains(&d) {
                return Err(format!(
                    "session_intervals.{area} must be {} to {} days, not {d}",
                    Self::MIN_DAYS,
                    Self::MAX_DAYS
                ));
            }
        }
        Ok(())
    }
}

/// The session a new treatment follows.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviousSession {
    pub id: String,
    pub day0: NaiveDate,
    pub session_number: u16,
}

/// What the series says about a new session.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesCheck {
    pub session_number: SessionNumber,
    pub warnings: Vec<Warning>,
}

/// Derives the session number when it is not given (the previous one's plus
/// one, or 1), and warns when a given number does not follow the series or
/// the session comes sooner than `min_interval_days` after the previous.
pub fn check(
    previous: Option<&PreviousSession>,
    day0: NaiveDate,
    requested: Option<SessionNumber>,
    min_interval_days: u16,
) -> SeriesCheck {
    let mut warnings = Vec::new();
    let next = previous.map_or(1, |p| (p.session_number + 1).min(50));
    let next = SessionNumber::parse(i64::from(next)).expect("1..=50");
    let session_number = match requested {
        Some(n) => {
            if previous.is_some() && n != next {
                warnings.push(Warning {
                    code: "session_number_out_of_series".into(),
                    message: format!(
                        "session number {} does not follow the previous session (expected {})",
                        n.get(),
                        next.get()
                    ),
                    details: serde_json::json!({"given": n.get(), "expected": next.get()}),
                });
            }
            n
        }
        None => next,
    };
    if let Some(p) = previous {
        let days = (day0 - p.day0).num_days();
        if days < i64::from(min_interval_days) {
            warnings.push(Warning {
                code: "session_too_soon".into(),
                message: format!(
                    "{days} days after the previous session; the minimum interval for this area is {min_interval_days} days"
                ),
                details: serde_json::json!({
                    "previous_treatment_id": p.id,
                    "days_since_previous": days,
                    "min_interval_days": min_interval_days,
                }),
            });
        }
    }
    SeriesCheck {
        session_number,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn prev(day0: &str, n: u16) -> PreviousSession {
        PreviousSession {
            id: "t1".into(),
            day0: d(day0),
            session_number: n,
        }
    }

    fn codes(c: &SeriesCheck) -> Vec<&str> {
        c.warnings.iter().map(|w| w.code.as_str()).collect()
    }

    #[test]
    fn intervals_default_by_area_and_parse_when_missing() {
        let i = SessionIntervals::default();
        assert_eq!(i.for_area(Area::Face), 28);
        assert_eq!(i.for_area(Area::Neck), 28);
        assert_eq!(i.for_area(Area::Scalp), 14);
        assert_eq!(i.for_area(Area::Body), 28);
        let partial: SessionIntervals = serde_json::from_str(r#"{"scalp": 21}"#).unwrap();
        assert_eq!(partial.scalp, 21);
        assert_eq!(partial.face, 28);
        assert!(serde_json::from_str::<SessionIntervals>(r#"{"elbow": 3}"#).is_err());
        i.validate().unwrap();
        assert!(SessionIntervals { face: 3, ..i }.validate().is_err());
        assert!(SessionIntervals { body: 121, ..i }.validate().is_err());
    }

    #[test]
    fn protocols_carry_intervals_as_data() {
        use crate::domain::protocol::Protocol;
        // The shipped protocol has none written out: the defaults apply.
        let p = Protocol::default_microneedling();
        assert_eq!(p.session_intervals, SessionIntervals::default());
        let mut v: serde_json::Value = serde_json::from_str(Protocol::default_json()).unwrap();
        v["session_intervals"] = serde_json::json!({"scalp": 21});
        let tuned = Protocol::from_json(&v.to_string()).unwrap();
        assert_eq!(tuned.session_intervals.for_area(Area::Scalp), 21);
        assert_eq!(tuned.session_intervals.for_area(Area::Face), 28);
        v["session_intervals"] = serde_json::json!({"face": 2});
        let err = Protocol::from_json(&v.to_string()).unwrap_err();
        assert!(err.contains("session_intervals.face"), "{err}");
    }

    #[test]
    fn the_first_session_is_number_one_without_warnings() {
        let c = check(None, d("2026-03-01"), None, 28);
        assert_eq!(c.session_number.get(), 1);
        assert!(c.warnings.is_empty());
        // A given number without a previous session is taken as is.
        let c = check(None, d("2026-03-01"), SessionNumber::parse(3).ok(), 28);
        assert_eq!(c.session_number.get(), 3);
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn the_number_follows_the_previous_session() {
        let p = prev("2026-03-01", 2);
        let c = check(Some(&p), d("2026-04-01"), None, 28);
        assert_eq!(c.session_number.get(), 3);
        assert!(c.warnings.is_empty());
        let c = check(Some(&p), d("2026-04-01"), SessionNumber::parse(3).ok(), 28);
        assert!(c.warnings.is_empty());
        let c = check(Some(&p), d("2026-04-01"), SessionNumber::parse(2).ok(), 28);
        assert_eq!(c.session_number.get(), 2);
        assert_eq!(codes(&c), ["session_number_out_of_series"]);
        // Capped at the highest number.
        let c = check(Some(&prev("2026-03-01", 50)), d("2026-04-01"), None, 28);
        assert_eq!(c.session_number.get(), 50);
    }

    #[test]
    fn sooner_than_the_interval_is_a_warning() {
        let p = prev("2026-03-01", 1);
        assert!(check(Some(&p), d("2026-03-29"), None, 28)
            .warnings
            .is_empty());
        let c = check(Some(&p), d("2026-03-28"), None, 28);
        assert_eq!(codes(&c), ["session_too_soon"]);
        assert_eq!(c.warnings[0].details["days_since_previous"], 27);
        assert_eq!(c.warnings[0].details["min_interval_days"], 28);
        assert_eq!(c.warnings[0].details["previous_treatment_id"], "t1");
        // The scalp's two weeks.
        assert!(check(Some(&p), d("2026-03-15"), None, 14)
            .warnings
            .is_empty());
        assert_eq!(
            codes(&check(Some(&p), d("2026-03-14"), None, 14)),
            ["session_too_soon"]
        );
    }
}
