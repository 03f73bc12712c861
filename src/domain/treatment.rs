//! Validated treatment values. Each type checks its input once, on
//! construction, so the rest of the code never sees an impossible value.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

fn one_of(what: &str, names: &[&str], got: &str) -> String {
    format!("{what} must be one of {}, not \"{got}\"", names.join(", "))
}

/// Where the skin was treated. `Neck` covers neck and décolleté,
/// `Body` covers body work such as stretch marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Face,
    Neck,
    Scalp,
    Body,
}

impl Area {
    pub const ALL: [Area; 4] = [Area::Face, Area::Neck, Area::Scalp, Area::Body];

    pub fn as_str(&self) -> &'static str {
        match self {
            Area::Face => "face",
            Area::Neck => "neck",
            Area::Scalp => "scalp",
            Area::Body => "body",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == t)
            .ok_or_else(|| one_of("area", &Self::ALL.map(|a| a.as_str()), s))
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something done together with the needling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Addon {
    Serum,
    Prp,
    Peel,
    Rf,
}

impl Addon {
    pub const ALL: [Addon; 4] = [Addon::Serum, Addon::Prp, Addon::Peel, Addon::Rf];

    pub fn as_str(&self) -> &'static str {
        match self {
            Addon::Serum => "serum",
            Addon::Prp => "prp",
            Addon::Peel => "peel",
            Addon::Rf => "rf",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == t)
            .ok_or_else(|| one_of("add-on", &Self::ALL.map(|a| a.as_str()), s))
    }
}

impl fmt::Display for Addon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Needle depth in millimetres, 0.25 to 3.0 inclusive.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct DepthMm(f64);

impl DepthMm {
    pub const MIN: f64 = 0.25;
    pub const MAX: f64 = 3.0;

    pub fn parse(mm: f64) -> Result<Self, String> {
        if mm.is_finite() && (Self::MIN..=Self::MAX).contains(&mm) {
            Ok(DepthMm(mm))
        } else {
            Err(format!(
                "needle depth must be between {} and {} mm, not {mm}",
                Self::MIN,
                Self::MAX
            ))
        }
    }

    pub fn get(&self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for DepthMm {
    type Error = String;
    fn try_from(v: f64) -> Result<Self, String> {
        DepthMm::parse(v)
    }
}

impl From<DepthMm> for f64 {
    fn from(d: DepthMm) -> f64 {
        d.0
    }
}

impl fmt::Display for DepthMm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} mm", self.0)
    }
}

/// Fitzpatrick skin type, I (1) to VI (6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u8")]
pub struct Fitzpatrick(u8);

impl Fitzpatrick {
    pub fn parse(v: i64) -> Result<Self, String> {
        if (1..=6).contains(&v) {
            Ok(Fitzpatrick(v as u8))
        } else {
            Err(format!(
                "Fitzpatrick skin type must be a whole number from 1 (I) to 6 (VI), not {v}"
            ))
        }
    }

    pub fn get(&self) -> u8 {
        self.0
    }

    /// Types IV–VI, which are more prone to post-inflammatory hyperpigmentation.
    pub fn is_darker(&self) -> bool {
        self.0 >= 4
    }
}

impl TryFrom<i64> for Fitzpatrick {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        Fitzpatrick::parse(v)
    }
}

impl From<Fitzpatrick> for u8 {
    fn from(f: Fitzpatrick) -> u8 {
        f.0
    }
}

/// Position of this treatment in a series, 1 to 50.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u16")]
pub struct SessionNumber(u16);

impl SessionNumber {
    pub fn parse(v: i64) -> Result<Self, String> {
        if (1..=50).contains(&v) {
            Ok(SessionNumber(v as u16))
        } else {
            Err(format!(
                "session number must be a whole number from 1 to 50, not {v}"
            ))
        }
    }

    pub fn get(&self) -> u16 {
        self.0
    }
}

impl TryFrom<i64> for SessionNumber {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        SessionNumber::parse(v)
    }
}

impl From<SessionNumber> for u16 {
    fn from(s: SessionNumber) -> u16 {
        s.0
    }
}

/// The four symptoms a patient scores every day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Symptom {
    Redness,
    Swelling,
    Flaking,
    Sensitivity,
}

impl Symptom {
    pub const ALL: [Symptom; 4] = [
        Symptom::Redness,
        Symptom::Swelling,
        Symptom::Flaking,
        Symptom::Sensitivity,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Symptom::Redness => "redness",
            Symptom::Swelling => "swelling",
            Symptom::Flaking => "flaking",
            Symptom::Sensitivity => "sensitivity",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == t)
            .ok_or_else(|| one_of("symptom", &Self::ALL.map(|x| x.as_str()), s))
    }
}

impl fmt::Display for Symptom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A symptom score, 0 (none) to 10 (worst).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u8")]
pub struct Score(u8);

impl Score {
    pub fn parse(v: i64) -> Result<Self, String> {
        if (0..=10).contains(&v) {
            Ok(Score(v as u8))
        } else {
            Err(format!(
                "score must be a whole number from 0 to 10, not {v}"
            ))
        }
    }

    pub fn get(&self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Score {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        Score::parse(v)
    }
}

impl From<Score> for u8 {
    fn from(s: Score) -> u8 {
        s.0
    }
}

/// Warning signs live in their own table (`domain::signs`).
pub use crate::domain::signs::Sign;

/// One day's four scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scores {
    pub redness: Score,
    pub swelling: Score,
    pub flaking: Score,
    pub sensitivity: Score,
}

impl Scores {
    /// Builds scores from raw numbers; the error names the offending symptom.
    pub fn parse(
        redness: i64,
        swelling: i64,
        flaking: i64,
        sensitivity: i64,
    ) -> Result<Self, String> {
        let field = |s: Symptom, v: i64| Score::parse(v).map_err(|e| format!("{s}: {e}"));
        Ok(Scores {
            redness: field(Symptom::Redness, redness)?,
            swelling: field(Symptom::Swelling, swelling)?,
            flaking: field(Symptom::Flaking, flaking)?,
            sensitivity: field(Symptom::Sensitivity, sensitivity)?,
        })
    }

    pub fn get(&self, symptom: Symptom) -> u8 {
        match symptom {
            Symptom::Redness => self.redness.get(),
            Symptom::Swelling => self.swelling.get(),
            Symptom::Flaking => self.flaking.get(),
            Symptom::Sensitivity => self.sensitivity.get(),
        }
    }
}

/// The calendar date of `at` in the patient's zone.
pub fn local_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// Day 0: the local date of the treatment in the patient's zone.
pub fn day0(performed_at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    local_date(performed_at, tz)
}

/// Days since treatment for a local date (0 on the treatment day, negative before it).
pub fn day_number(performed_at: DateTime<Utc>, tz: Tz, local_date: NaiveDate) -> i64 {
    (local_date - day0(performed_at, tz)).num_days()
}

/// How long after its registration a treatment may be corrected: long
/// enough to catch a typo at the next visit or log review, short enough that
/// the course the patient was told about and the flags raised on it are not
/// rewritten weeks later.
pub const CORRECTION_WINDOW: chrono::Duration = chrono::Duration::days(7);

/// Whether a treatment registered at `registered_at` may still be corrected.
pub fn correctable(registered_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now <= registered_at + CORRECTION_WINDOW
}

/// Most characters of a cancellation reason.
pub const CANCEL_REASON_MAX_CHARS: usize = 1000;

/// Why a treatment is cancelled: trimmed, 1 to [`CANCEL_REASON_MAX_CHARS`]
/// characters, no control characters other than line breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelReason(String);

impl CancelReason {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("a reason is required to cancel a treatment".into());
        }
        if s.chars().count() > CANCEL_REASON_MAX_CHARS {
            return Err(format!(
                "must be at most {CANCEL_REASON_MAX_CHARS} characters"
            ));
        }
        if s.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err("must not contain control characters".into());
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn corrections_are_taken_for_seven_days_after_registration() {
        let registered = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        assert!(correctable(registered, registered));
        assert!(correctable(
            registered,
            registered + chrono::Duration::days(7)
        ));
        assert!(!correctable(
            registered,
            registered + chrono::Duration::days(7) + chrono::Duration::seconds(1)
        ));
    }

    #[test]
    fn a_cancel_reason_is_trimmed_and_bounded() {
        assert_eq!(
            CancelReason::parse("  wrong patient \n").unwrap().as_str(),
            "wrong patient"
        );
        assert!(CancelReason::parse("   ").is_err());
        assert!(CancelReason::parse(&"x".repeat(1001)).is_err());
        assert!(CancelReason::parse(&"é".repeat(1000)).is_ok());
        assert!(CancelReason::parse("bad\u{0}byte").is_err());
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn area_and_addon_round_trip() {
        for a in Area::ALL {
            assert_eq!(Area::parse(a.as_str()), Ok(a));
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{a}\""));
        }
        for a in Addon::ALL {
            assert_eq!(Addon::parse(a.as_str()), Ok(a));
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{a}\""));
        }
        assert_eq!(Area::parse(" Face "), Ok(Area::Face));
        let err = Area::parse("elbow").unwrap_err();
        assert!(err.contains("face, neck, scalp, body"), "{err}");
        assert!(Addon::parse("botox").is_err());
        assert!(serde_json::from_str::<Area>("\"elbow\"").is_err());
    }

    #[test]
    fn depth_bounds() {
        assert_eq!(DepthMm::parse(0.25).unwrap().get(), 0.25);
        assert_eq!(DepthMm::parse(3.0).unwrap().get(), 3.0);
        for bad in [0.24, 3.01, -1.0, f64::NAN, f64::INFINITY] {
            assert!(DepthMm::parse(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<DepthMm>("3.5").is_err());
        assert_eq!(serde_json::from_str::<DepthMm>("1.5").unwrap().get(), 1.5);
        assert_eq!(
            serde_json::to_string(&DepthMm::parse(1.5).unwrap()).unwrap(),
            "1.5"
        );
    }

    #[test]
    fn fitzpatrick_bounds() {
        assert!(Fitzpatrick::parse(0).is_err());
        assert!(Fitzpatrick::parse(7).is_err());
        assert!(!Fitzpatrick::parse(1).unwrap().is_darker());
        assert!(!Fitzpatrick::parse(3).unwrap().is_darker());
        assert!(Fitzpatrick::parse(4).unwrap().is_darker());
        assert!(Fitzpatrick::parse(6).unwrap().is_darker());
        assert_eq!(Fitzpatrick::parse(6).unwrap().get(), 6);
        assert!(serde_json::from_str::<Fitzpatrick>("9").is_err());
    }

    #[test]
    fn session_and_score_bounds() {
        assert!(SessionNumber::parse(0).is_err());
        assert_eq!(SessionNumber::parse(1).unwrap().get(), 1);
        assert_eq!(SessionNumber::parse(50).unwrap().get(), 50);
        assert!(SessionNumber::parse(51).is_err());
        assert!(Score::parse(-1).is_err());
        assert_eq!(Score::parse(0).unwrap().get(), 0);
        assert_eq!(Score::parse(10).unwrap().get(), 10);
        assert!(Score::parse(11).is_err());
        assert!(serde_json::from_str::<Score>("11").is_err());
        assert!(serde_json::from_str::<Score>("2.5").is_err());
    }

    #[test]
    fn scores_get_and_parse() {
        let s = Scores::parse(1, 2, 3, 4).unwrap();
        let got: Vec<u8> = Symptom::ALL.iter().map(|&x| s.get(x)).collect();
        assert_eq!(got, vec![1, 2, 3, 4]);
        let err = Scores::parse(1, 2, 11, 4).unwrap_err();
        assert!(err.starts_with("flaking"), "{err}");
        let json = r#"{"redness":1,"swelling":2,"flaking":3,"sensitivity":4}"#;
        assert_eq!(serde_json::from_str::<Scores>(json).unwrap(), s);
        assert_eq!(serde_json::to_string(&s).unwrap(), json);
        let bad = r#"{"redness":1,"swelling":2,"flaking":3,"sensitivity":12}"#;
        assert!(serde_json::from_str::<Scores>(bad).is_err());
    }

    #[test]
    fn symptoms_round_trip() {
        for s in Symptom::ALL {
            assert_eq!(Symptom::parse(s.as_str()), Ok(s));
        }
    }

    #[test]
    fn day_numbers_follow_the_patient_zone() {
        // 10:30 UTC on 10 March is already 11 March in Kiritimati (UTC+14)
        // and still 9 March in Pago Pago (UTC-11).
        let at = Utc.with_ymd_and_hms(2024, 3, 10, 10, 30, 0).unwrap();
        let east: Tz = "Pacific/Kiritimati".parse().unwrap();
        let west: Tz = "Pacific/Pago_Pago".parse().unwrap();
        assert_eq!(day0(at, east), date(2024, 3, 11));
        assert_eq!(day0(at, west), date(2024, 3, 9));
        assert_eq!(day0(at, chrono_tz::UTC), date(2024, 3, 10));
        assert_eq!(day_number(at, east, date(2024, 3, 11)), 0);
        assert_eq!(day_number(at, east, date(2024, 3, 10)), -1);
        assert_eq!(day_number(at, west, date(2024, 3, 10)), 1);
        assert_eq!(day_number(at, west, date(2024, 3, 16)), 7);
    }

    #[test]
    fn day_numbers_across_dst() {
        // Treatment the evening before the spring-forward night in Berlin.
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let at = Utc.with_ymd_and_hms(2024, 3, 30, 22, 30, 0).unwrap(); // 23:30 local
        assert_eq!(day0(at, tz), date(2024, 3, 30));
        assert_eq!(day_number(at, tz, date(2024, 3, 31)), 1);
        assert_eq!(day_number(at, tz, date(2024, 4, 6)), 7);
    }
}
