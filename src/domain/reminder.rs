//! Reminder plan, patient preferences and push message content.
//!
//! Pure data and rules; turning a plan into dated instants lives in
//! `crate::domain::schedule`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use chrono::{Duration, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

use crate::domain::treatment::{DepthMm, Fitzpatrick};
use crate::i18n::Msg;

/// Last day after treatment a rule may reach (about four months).
pub const MAX_DAY: u16 = 120;
/// Most times a single rule (or a preference override) may fire per day.
pub const MAX_TIMES_PER_DAY: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    LogSymptoms,
    Sunscreen,
    Moisturize,
    AvoidActives,
    NoPicking,
    NextSession,
    CheckIn,
}

impl ReminderKind {
    pub const ALL: [ReminderKind; 7] = [
        ReminderKind::LogSymptoms,
        ReminderKind::Sunscreen,
        ReminderKind::Moisturize,
        ReminderKind::AvoidActives,
        ReminderKind::NoPicking,
        ReminderKind::NextSession,
        ReminderKind::CheckIn,
    ];

    /// Same spelling as the serde form.
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::LogSymptoms => "log_symptoms",
            ReminderKind::Sunscreen => "sunscreen",
            ReminderKind::Moisturize => "moisturize",
            ReminderKind::AvoidActives => "avoid_actives",
            ReminderKind::NoPicking => "no_picking",
            ReminderKind::NextSession => "next_session",
            ReminderKind::CheckIn => "check_in",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown reminder kind {s:?} (expected one of {})",
                    known.join(", ")
                )
            })
    }
}

impl fmt::Display for ReminderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReminderKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
}

/// Parses a zero-padded 24-hour "HH:MM" (e.g. "08:00", "21:30").
///
/// Strict on purpose: "8:00", "24:00" and "08:00:00" are refused so every
/// stored time has exactly one spelling (it is part of occurrence identity).
pub fn parse_hhmm(s: &str) -> Result<NaiveTime, String> {
    let b = s.as_bytes();
    let digit = |i: usize| b[i].is_ascii_digit();
    if b.len() != 5 || b[2] != b':' || !(digit(0) && digit(1) && digit(3) && digit(4)) {
        return Err(format!("time {s:?} is not zero-padded 24-hour HH:MM"));
    }
    let h = u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0');
    let m = u32::from(b[3] - b'0') * 10 + u32::from(b[4] - b'0');
    NaiveTime::from_hms_opt(h, m, 0).ok_or_else(|| format!("time {s:?} is out of range"))
}

/// Formats as "HH:MM" (seconds are never used by reminders).
pub fn format_hhmm(t: NaiveTime) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

fn check_whole_minute(t: NaiveTime) -> Result<(), String> {
    if t.second() != 0 || t.nanosecond() != 0 {
        return Err(format!("time {t} must be a whole minute"));
    }
    Ok(())
}

/// Checks a list of daily times: 1..=6 entries, whole minutes, no repeats.
fn check_times(what: &str, times: &[NaiveTime]) -> Result<(), String> {
    if times.is_empty() || times.len() > MAX_TIMES_PER_DAY {
        return Err(format!(
            "{what}: needs 1 to {MAX_TIMES_PER_DAY} times, got {}",
            times.len()
        ));
    }
    for (i, t) in times.iter().enumerate() {
        check_whole_minute(*t).map_err(|e| format!("{what}: {e}"))?;
        if times[..i].contains(t) {
            return Err(format!("{what}: time {} listed twice", format_hhmm(*t)));
        }
    }
    Ok(())
}

/// serde helpers for `NaiveTime` as "HH:MM".
pub mod hhmm {
    use super::{format_hhmm, parse_hhmm};
    use chrono::NaiveTime;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_hhmm(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse_hhmm(&s).map_err(D::Error::custom)
    }

    /// `Vec<NaiveTime>` as `["HH:MM", ...]`.
    pub mod vec {
        use chrono::NaiveTime;
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        #[derive(Serialize, Deserialize)]
        #[serde(transparent)]
        struct T(#[serde(with = "super")] NaiveTime);

        pub fn serialize<S: Serializer>(v: &[NaiveTime], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(v.iter().map(|t| T(*t)))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NaiveTime>, D::Error> {
            Ok(Vec::<T>::deserialize(d)?.into_iter().map(|t| t.0).collect())
        }
    }

    /// `BTreeMap<K, Vec<NaiveTime>>` as `{"k": ["HH:MM", ...]}`.
    pub mod map_vec {
        use std::collections::BTreeMap;

        use chrono::NaiveTime;
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        #[derive(Deserialize)]
        #[serde(transparent)]
        struct Times(#[serde(with = "super::vec")] Vec<NaiveTime>);

        struct TimesRef<'a>(&'a [NaiveTime]);

        impl Serialize for TimesRef<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                super::vec::serialize(self.0, s)
            }
        }

        pub fn serialize<K, S>(m: &BTreeMap<K, Vec<NaiveTime>>, s: S) -> Result<S::Ok, S::Error>
        where
            K: Serialize,
            S: Serializer,
        {
            s.collect_map(m.iter().map(|(k, v)| (k, TimesRef(v))))
        }

        pub fn deserialize<'de, K, D>(d: D) -> Result<BTreeMap<K, Vec<NaiveTime>>, D::Error>
        where
            K: Deserialize<'de> + Ord,
            D: Deserializer<'de>,
        {
            let m = BTreeMap::<K, Times>::deserialize(d)?;
            Ok(m.into_iter().map(|(k, v)| (k, v.0)).collect())
        }
    }
}

/// One kind of reminder at fixed local times on days `first_day..=last_day`
/// (day 0 = treatment day in the patient's zone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderRule {
    pub kind: ReminderKind,
    pub first_day: u16,
    pub last_day: u16,
    #[serde(with = "hhmm::vec")]
    pub times: Vec<NaiveTime>,
}

impl ReminderRule {
    pub fn covers(&self, day: u16) -> bool {
        self.first_day <= day && day <= self.last_day
    }
}

/// A treatment's reminder plan; several rules may share a kind (sunscreen
/// has a midday rule for the first week only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderPlan {
    pub rules: Vec<ReminderRule>,
}

impl ReminderPlan {
    /// Six kinds with a few day ranges each leave plenty of room.
    pub const MAX_RULES: usize = 50;

    /// Checks what a clinician's edit must respect: days within 0..=120,
    /// `first_day <= last_day`, 1..=6 whole-minute times per rule and no
    /// time repeated for the same kind on the same day (occurrence identity
    /// is (treatment, kind, date, time), so a repeat could never be sent).
    pub fn validate(&self) -> Result<(), String> {
        if self.rules.len() > Self::MAX_RULES {
            return Err(format!("at most {} rules", Self::MAX_RULES));
        }
        for (i, r) in self.rules.iter().enumerate() {
            let what = format!("rule {i} ({})", r.kind);
            if r.last_day > MAX_DAY {
                return Err(format!(
                    "{what}: last_day {} is after day {MAX_DAY}",
                    r.last_day
                ));
            }
            if r.first_day > r.last_day {
                return Err(format!(
                    "{what}: first_day {} is after last_day {}",
                    r.first_day, r.last_day
                ));
            }
            check_times(&what, &r.times)?;
            for (j, o) in self.rules[..i].iter().enumerate() {
                let overlap =
                    o.kind == r.kind && o.first_day <= r.last_day && r.first_day <= o.last_day;
                if let Some(t) = r.times.iter().find(|t| overlap && o.times.contains(t)) {
                    return Err(format!(
                        "{what}: time {} already set by rule {j} on overlapping days",
                        format_hhmm(*t)
                    ));
                }
            }
        }
        Ok(())
    }

    /// Smallest and largest day any rule covers, `None` for an empty plan.
    pub fn day_span(&self) -> Option<(u16, u16)> {
        let first = self.rules.iter().map(|r| r.first_day).min()?;
        let last = self.rules.iter().map(|r| r.last_day).max()?;
        Some((first, last))
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid constant time")
}

/// Check-ins after the daily logs end: post-inflammatory hyperpigmentation
/// and granulomas show weeks after treatment, not in the first days.
pub const CHECK_IN_DAYS: [u16; 2] = [21, 28];
/// Further check-ins for skin that needs a longer watch: Fitzpatrick IV–VI
/// (PIH risk) or needling at least `LONG_WATCH_FROM_MM` deep.
pub const LONG_WATCH_CHECK_IN_DAYS: [u16; 2] = [42, 56];
pub const LONG_WATCH_FROM_MM: f64 = 1.5;
/// Daily logs are asked for through this day; check-ins after it.
pub const DAILY_LOGS_LAST_DAY: u16 = 14;

/// The check-in days of a treatment, ascending.
pub fn check_in_days(depth: DepthMm, fitzpatrick: Fitzpatrick) -> Vec<u16> {
    let mut days = CHECK_IN_DAYS.to_vec();
    if fitzpatrick.is_darker() || depth.get() >= LONG_WATCH_FROM_MM {
        days.extend(LONG_WATCH_CHECK_IN_DAYS);
    }
    days
}

/// The days a plan asks for a check-in (its `check_in` rules), ascending:
/// a clinician may have edited them, and treatments planned before
/// check-ins existed have none.
pub fn planned_check_in_days(plan: &ReminderPlan) -> Vec<u16> {
    let days: BTreeSet<u16> = plan
        .rules
        .iter()
        .filter(|r| r.kind == ReminderKind::CheckIn)
        .flat_map(|r| r.first_day..=r.last_day)
        .collect();
    days.into_iter().collect()
}

/// What the default plan depends on.
#[derive(Debug, Clone, Copy)]
pub struct PlanFacts {
    pub depth: DepthMm,
    pub fitzpatrick: Fitzpatrick,
    /// The area's minimum interval between sessions (the protocol's).
    pub next_session_day: u16,
}

/// Default plan from DESIGN.md "Reminders"; actives are avoided for two
/// weeks instead of one from 1.5 mm deep, where healing takes longer. For
/// Fitzpatrick IV–VI (prone to hyperpigmentation) the midday sunscreen runs
/// to day 14 and the morning one to the next session (at least day 28).
pub fn treatment_plan(f: &PlanFacts) -> ReminderPlan {
    let rule = |kind, first_day, last_day, times: &[NaiveTime]| ReminderRule {
        kind,
        first_day,
        last_day,
        times: times.to_vec(),
    };
    let actives_until = if f.depth.get() >= 1.5 { 14 } else { 7 };
    let next_session = f.next_session_day.clamp(1, MAX_DAY);
    let (morning_until, midday_until) = if f.fitzpatrick.is_darker() {
        (next_session.max(28), 14)
    } else {
        (28, 7)
    };
    let mut rules = vec![
        rule(
            ReminderKind::LogSymptoms,
            0,
            DAILY_LOGS_LAST_DAY,
            &[hm(20, 0)],
        ),
        rule(ReminderKind::Sunscreen, 1, morning_until, &[hm(8, 0)]),
        rule(ReminderKind::Sunscreen, 1, midday_until, &[hm(12, 30)]),
        rule(ReminderKind::Moisturize, 0, 7, &[hm(8, 30), hm(21, 0)]),
        rule(ReminderKind::AvoidActives, 0, actives_until, &[hm(21, 30)]),
        rule(ReminderKind::NoPicking, 2, 7, &[hm(19, 0)]),
        rule(
            ReminderKind::NextSession,
            next_session,
            next_session,
            &[hm(10, 0)],
        ),
    ];
    for day in check_in_days(f.depth, f.fitzpatrick) {
        rules.push(rule(ReminderKind::CheckIn, day, day, &[hm(20, 0)]));
    }
    ReminderPlan { rules }
}

/// The default plan of a face treatment on Fitzpatrick I–III skin.
pub fn default_plan(depth: DepthMm) -> ReminderPlan {
    treatment_plan(&PlanFacts {
        depth,
        fitzpatrick: Fitzpatrick::parse(2).expect("valid constant"),
        next_session_day: 28,
    })
}

/// Patient quiet period `[start, end)` in local time; wraps midnight when
/// `end < start` (e.g. 22:00–07:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    #[serde(with = "hhmm")]
    pub start: NaiveTime,
    #[serde(with = "hhmm")]
    pub end: NaiveTime,
}

impl QuietHours {
    pub fn wraps_midnight(&self) -> bool {
        self.end < self.start
    }

    /// Whether local time `t` is inside `[start, end)`.
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.wraps_midnight() {
            t >= self.start || t < self.end
        } else {
            self.start <= t && t < self.end
        }
    }
}

/// What a patient may change: quiet hours, their own times per kind, and
/// opt-outs. Missing fields mean "no preference".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Preferences {
    pub quiet_hours: Option<QuietHours>,
    /// Replaces the plan's times for that kind on every day the plan has it.
    #[serde(with = "hhmm::map_vec")]
    pub times: BTreeMap<ReminderKind, Vec<NaiveTime>>,
    pub disabled: BTreeSet<ReminderKind>,
}

impl Preferences {
    /// Same limits as the plan: 1..=6 distinct whole-minute times per kind,
    /// and a quiet period that is not empty.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(q) = &self.quiet_hours {
            check_whole_minute(q.start).map_err(|e| format!("quiet_hours: {e}"))?;
            check_whole_minute(q.end).map_err(|e| format!("quiet_hours: {e}"))?;
            if q.start == q.end {
                return Err("quiet_hours: start and end must differ".to_string());
            }
        }
        for (kind, times) in &self.times {
            check_times(&format!("times.{kind}"), times)?;
        }
        Ok(())
    }
}

/// Notification text as catalogue codes with their arguments (rendered in
/// the patient's locale by whoever sends it; the codes also travel in the
/// payload so an app can render its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub title: Msg,
    pub body: Msg,
}

/// The codes and arguments of a reminder; `day` is days since treatment.
/// Keys: `reminder-<kind>-title` and `reminder-<kind>-body` (with `$day`
/// or `$weeks`); before three weeks a next-session reminder counts days.
pub fn message(kind: ReminderKind, day: u16) -> Message {
    let k = kind.as_str();
    let title = Msg::new(format!("reminder-{k}-title"));
    let body = Msg::new(format!("reminder-{k}-body"));
    let body = match kind {
        ReminderKind::LogSymptoms => body.arg("day", day),
        ReminderKind::NextSession if day < 21 => {
            Msg::new(format!("reminder-{k}-body-days")).arg("day", day)
        }
        ReminderKind::CheckIn => body.arg("weeks", day / 7),
        _ => body,
    };
    Message { title, body }
}

/// How long a push service may hold the message before dropping it.
///
/// Time-of-day advice goes stale within hours (a morning sunscreen note must
/// not arrive at night); booking the next session is fine a day late.
pub fn ttl(kind: ReminderKind) -> Duration {
    match kind {
        ReminderKind::Sunscreen => Duration::hours(3),
        ReminderKind::Moisturize | ReminderKind::AvoidActives => Duration::hours(2),
        // Evening reminders: still useful until around midnight.
        ReminderKind::LogSymptoms | ReminderKind::NoPicking | ReminderKind::CheckIn => {
            Duration::hours(4)
        }
        ReminderKind::NextSession => Duration::hours(24),
    }
}

/// Web Push `Topic` (at most 32 URL-safe base64 characters): a newer
/// reminder of the same kind replaces an older undelivered one.
pub fn topic(kind: ReminderKind) -> String {
    kind.as_str().replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveTime {
        parse_hhmm(s).unwrap()
    }

    fn depth(mm: f64) -> DepthMm {
        DepthMm::parse(mm).unwrap()
    }

    fn en(m: &Msg) -> String {
        m.render(crate::i18n::Locale::En)
    }

    #[test]
    fn kind_strings_round_trip() {
        for k in ReminderKind::ALL {
            assert_eq!(ReminderKind::parse(k.as_str()), Ok(k));
            assert_eq!(k.as_str().parse::<ReminderKind>(), Ok(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<ReminderKind>(&json).unwrap(), k);
        }
        assert!(ReminderKind::parse("LogSymptoms").is_err());
        assert!(ReminderKind::parse("").is_err());
        assert_eq!(
            ReminderKind::ALL.map(|k| k.as_str()),
            [
                "log_symptoms",
                "sunscreen",
                "moisturize",
                "avoid_actives",
                "no_picking",
                "next_session",
                "check_in"
            ]
        );
    }

    #[test]
    fn hhmm_is_strict() {
        assert_eq!(t("00:00"), hm(0, 0));
        assert_eq!(t("08:05"), hm(8, 5));
        assert_eq!(t("23:59"), hm(23, 59));
        for bad in [
            "8:00", "08:0", "24:00", "23:60", "08:00:00", " 08:00", "08:00 ", "08-00", "0a:00", "",
            "+8:00", "08:+0", "８:00",
        ] {
            assert!(parse_hhmm(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(format_hhmm(hm(7, 5)), "07:05");
    }

    #[test]
    fn default_plan_matches_design_table() {
        let p = default_plan(depth(1.0));
        p.validate().unwrap();
        let rules: Vec<(ReminderKind, u16, u16, Vec<String>)> = p
            .rules
            .iter()
            .map(|r| {
                let times = r.times.iter().map(|x| format_hhmm(*x)).collect();
                (r.kind, r.first_day, r.last_day, times)
            })
            .collect();
        use ReminderKind::*;
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            rules,
            vec![
                (LogSymptoms, 0, 14, s(&["20:00"])),
                (Sunscreen, 1, 28, s(&["08:00"])),
                (Sunscreen, 1, 7, s(&["12:30"])),
                (Moisturize, 0, 7, s(&["08:30", "21:00"])),
                (AvoidActives, 0, 7, s(&["21:30"])),
                (NoPicking, 2, 7, s(&["19:00"])),
                (NextSession, 28, 28, s(&["10:00"])),
                (CheckIn, 21, 21, s(&["20:00"])),
                (CheckIn, 28, 28, s(&["20:00"])),
            ]
        );
    }

    fn facts(mm: f64, fitz: i64, next: u16) -> PlanFacts {
        PlanFacts {
            depth: depth(mm),
            fitzpatrick: Fitzpatrick::parse(fitz).unwrap(),
            next_session_day: next,
        }
    }

    fn days_of(p: &ReminderPlan, kind: ReminderKind) -> Vec<(u16, u16)> {
        p.rules
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| (r.first_day, r.last_day))
            .collect()
    }

    #[test]
    fn check_ins_on_21_and_28_and_later_for_a_long_watch() {
        assert_eq!(
            check_in_days(depth(1.0), Fitzpatrick::parse(3).unwrap()),
            [21, 28]
        );
        assert_eq!(
            check_in_days(depth(1.0), Fitzpatrick::parse(4).unwrap()),
            [21, 28, 42, 56]
        );
        assert_eq!(
            check_in_days(depth(1.49), Fitzpatrick::parse(1).unwrap()),
            [21, 28]
        );
        assert_eq!(
            check_in_days(depth(1.5), Fitzpatrick::parse(1).unwrap()),
            [21, 28, 42, 56]
        );
        let p = treatment_plan(&facts(2.0, 1, 28));
        p.validate().unwrap();
        assert_eq!(
            days_of(&p, ReminderKind::CheckIn),
            [(21, 21), (28, 28), (42, 42), (56, 56)]
        );
    }

    #[test]
    fn planned_check_ins_come_from_the_plan() {
        assert_eq!(
            planned_check_in_days(&treatment_plan(&facts(2.0, 1, 28))),
            [21, 28, 42, 56]
        );
        assert_eq!(
            planned_check_in_days(&ReminderPlan { rules: vec![] }),
            Vec::<u16>::new()
        );
        let edited = ReminderPlan {
            rules: vec![
                ReminderRule {
                    kind: ReminderKind::CheckIn,
                    first_day: 30,
                    last_day: 32,
                    times: vec![hm(9, 0)],
                },
                ReminderRule {
                    kind: ReminderKind::CheckIn,
                    first_day: 21,
                    last_day: 21,
                    times: vec![hm(9, 0)],
                },
            ],
        };
        assert_eq!(planned_check_in_days(&edited), [21, 30, 31, 32]);
    }

    #[test]
    fn next_session_follows_the_area_interval() {
        let p = treatment_plan(&facts(0.5, 2, 14));
        p.validate().unwrap();
        assert_eq!(days_of(&p, ReminderKind::NextSession), [(14, 14)]);
        assert!(en(&message(ReminderKind::NextSession, 14).body).contains("14 days"));
        assert!(en(&message(ReminderKind::NextSession, 28).body).contains("four weeks"));
    }

    #[test]
    fn darker_skin_keeps_sunscreen_reminders_longer() {
        let light = treatment_plan(&facts(0.5, 3, 28));
        assert_eq!(days_of(&light, ReminderKind::Sunscreen), [(1, 28), (1, 7)]);
        let dark = treatment_plan(&facts(0.5, 5, 28));
        dark.validate().unwrap();
        assert_eq!(days_of(&dark, ReminderKind::Sunscreen), [(1, 28), (1, 14)]);
        // The morning reminder runs to the next session, never shorter than four weeks.
        let dark_long = treatment_plan(&facts(0.5, 6, 42));
        assert_eq!(
            days_of(&dark_long, ReminderKind::Sunscreen),
            [(1, 42), (1, 14)]
        );
        let dark_scalp = treatment_plan(&facts(0.5, 6, 14));
        assert_eq!(
            days_of(&dark_scalp, ReminderKind::Sunscreen),
            [(1, 28), (1, 14)]
        );
    }

    #[test]
    fn deep_treatment_avoids_actives_two_weeks() {
        let last = |mm| {
            default_plan(depth(mm))
                .rules
                .iter()
                .find(|r| r.kind == ReminderKind::AvoidActives)
                .unwrap()
                .last_day
        };
        assert_eq!(last(0.25), 7);
        assert_eq!(last(1.49), 7);
        assert_eq!(last(1.5), 14);
        assert_eq!(last(3.0), 14);
        default_plan(depth(3.0)).validate().unwrap();
    }

    #[test]
    fn plan_validation_refuses_bad_rules() {
        let rule = |first_day, last_day, times: &[&str]| ReminderRule {
            kind: ReminderKind::Sunscreen,
            first_day,
            last_day,
            times: times.iter().map(|x| t(x)).collect(),
        };
        let plan = |rules| ReminderPlan { rules };
        assert!(plan(vec![rule(0, 120, &["08:00"])]).validate().is_ok());
        assert!(plan(vec![]).validate().is_ok());
        let bad = [
            plan(vec![rule(0, 121, &["08:00"])]),
            plan(vec![rule(5, 4, &["08:00"])]),
            plan(vec![rule(0, 3, &[])]),
            plan(vec![rule(
                0,
                3,
                &[
                    "01:00", "02:00", "03:00", "04:00", "05:00", "06:00", "07:00",
                ],
            )]),
            plan(vec![rule(0, 3, &["08:00", "08:00"])]),
            // Same kind, overlapping days, same time.
            plan(vec![
                rule(0, 3, &["08:00"]),
                rule(3, 9, &["12:00", "08:00"]),
            ]),
        ];
        for p in bad {
            assert!(p.validate().is_err(), "{p:?} should be refused");
        }
        // Same time on disjoint days, or for another kind, is fine.
        let mut other = rule(0, 3, &["08:00"]);
        other.kind = ReminderKind::Moisturize;
        assert!(
            plan(vec![rule(0, 3, &["08:00"]), rule(4, 9, &["08:00"]), other])
                .validate()
                .is_ok()
        );
        let mut seconds = rule(0, 3, &["08:00"]);
        seconds.times[0] = NaiveTime::from_hms_opt(8, 0, 1).unwrap();
        assert!(plan(vec![seconds]).validate().is_err());
    }

    #[test]
    fn plan_serde_uses_hhmm() {
        let p = default_plan(depth(0.5));
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(
            v["rules"][2],
            serde_json::json!({"kind": "sunscreen", "first_day": 1, "last_day": 7, "times": ["12:30"]})
        );
        let back: ReminderPlan = serde_json::from_value(v).unwrap();
        assert_eq!(back, p);
        let bad =
            r#"{"rules":[{"kind":"sunscreen","first_day":1,"last_day":7,"times":["12:30:00"]}]}"#;
        assert!(serde_json::from_str::<ReminderPlan>(bad).is_err());
        let unknown = r#"{"rules":[{"kind":"sunscreen","first_day":1,"last_day":7,"times":["12:30"],"x":1}]}"#;
        assert!(serde_json::from_str::<ReminderPlan>(unknown).is_err());
    }

    #[test]
    fn preferences_serde_and_validation() {
        let json = r#"{
            "quiet_hours": {"start": "22:00", "end": "07:00"},
            "times": {"sunscreen": ["09:15"], "log_symptoms": ["19:30", "21:00"]},
            "disabled": ["no_picking"]
        }"#;
        let p: Preferences = serde_json::from_str(json).unwrap();
        p.validate().unwrap();
        let q = p.quiet_hours.unwrap();
        assert!(q.wraps_midnight());
        assert!(q.contains(t("22:00")) && q.contains(t("23:59")) && q.contains(t("06:59")));
        assert!(!q.contains(t("07:00")) && !q.contains(t("21:59")));
        assert_eq!(p.times[&ReminderKind::Sunscreen], vec![t("09:15")]);
        assert!(p.disabled.contains(&ReminderKind::NoPicking));
        let back: Preferences = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(
            v["times"]["log_symptoms"],
            serde_json::json!(["19:30", "21:00"])
        );
        assert_eq!(v["quiet_hours"]["start"], "22:00");

        assert_eq!(
            serde_json::from_str::<Preferences>("{}").unwrap(),
            Preferences::default()
        );
        for bad in [
            r#"{"times": {"sunscreen": ["9:15"]}}"#,
            r#"{"times": {"sun": ["09:15"]}}"#,
            r#"{"disabled": ["nope"]}"#,
            r#"{"quiet": null}"#,
        ] {
            assert!(serde_json::from_str::<Preferences>(bad).is_err(), "{bad}");
        }
        let invalid = [
            r#"{"quiet_hours": {"start": "22:00", "end": "22:00"}}"#,
            r#"{"times": {"sunscreen": []}}"#,
            r#"{"times": {"sunscreen": ["09:00", "09:00"]}}"#,
        ];
        for bad in invalid {
            let p: Preferences = serde_json::from_str(bad).unwrap();
            assert!(p.validate().is_err(), "{bad}");
        }
        let day = QuietHours {
            start: t("12:00"),
            end: t("14:00"),
        };
        assert!(!day.wraps_midnight());
        assert!(day.contains(t("12:00")) && !day.contains(t("14:00")) && !day.contains(t("11:59")));
    }

    #[test]
    fn messages_topics_and_ttls() {
        for k in ReminderKind::ALL {
            for day in [0, 3, 28] {
                let m = message(k, day);
                assert!(!en(&m.title).is_empty() && !en(&m.body).is_empty());
            }
            let tp = topic(k);
            assert!(!tp.is_empty() && tp.len() <= 32);
            assert!(tp
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert!(ttl(k) > Duration::zero() && ttl(k) <= Duration::hours(24));
        }
        assert_eq!(topic(ReminderKind::LogSymptoms), "log-symptoms");
        assert_eq!(topic(ReminderKind::Sunscreen), "sunscreen");
        // A morning sunscreen reminder must be gone well before evening.
        assert!(ttl(ReminderKind::Sunscreen) <= Duration::hours(4));
        assert_eq!(ttl(ReminderKind::NextSession), Duration::hours(24));
        assert!(en(&message(ReminderKind::Sunscreen, 1).body).contains("SPF 30+"));
        assert!(en(&message(ReminderKind::AvoidActives, 1).body).contains("retinol"));
        assert!(en(&message(ReminderKind::LogSymptoms, 3).body).contains("Day 3"));
        assert!(en(&message(ReminderKind::CheckIn, 42).body).contains("6 weeks"));
        assert_eq!(topic(ReminderKind::CheckIn), "check-in");
    }
}
