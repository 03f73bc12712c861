//! Rules that compare a daily log with the expected timeline and raise
//! findings. Pure functions; the store turns findings into flags (one open
//! flag per reason per treatment).
//!
//! Rules and severities:
//! - `above_upper_bound`: a score above its upper bound is **review**; at
//!   least `FAR_ABOVE_MARGIN` (3) above it is **urgent**.
//! - `persisting_beyond_window`: redness or swelling ≥ `PERSISTING_MIN` (2)
//!   on a day after `timeline.window_days` is **review** (slow healing, not
//!   an emergency on its own).
//! - `rebound` is **urgent** (possible infection or reaction): compared with
//!   the previous log, a rise of ≥ 3 on day 4 or later, or a rise on two
//!   consecutive logs where both rises happen on day 3 or later. Only
//!   redness, swelling and sensitivity count: flaking normally starts late
//!   and rises for a few days, and too much of it is caught by the bound.
//! - warning signs: infection signs, allergic signs and persistent bleeding
//!   are **urgent**; dark patches are **review**, **urgent** for
//!   Fitzpatrick IV–VI (higher risk of lasting pigmentation); white bumps
//!   (milia) are **routine**.
//! - `missed_logs`: two consecutive completed days without a log in days
//!   0–7 is **routine**, a nudge for the clinic (symptoms themselves are
//!   caught by the other rules).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::domain::timeline::Timeline;
use crate::domain::treatment::{Fitzpatrick, Scores, Sign, Symptom};

/// A score this far above its upper bound (or more) is `FarAbove`.
pub const FAR_ABOVE_MARGIN: u8 = 3;
/// Redness or swelling at or above this after the window is "persisting".
pub const PERSISTING_MIN: u8 = 2;
/// A single rise of at least this much counts as a rebound...
pub const REBOUND_JUMP: u8 = 3;
/// ...on a day after this one.
pub const REBOUND_JUMP_AFTER_DAY: i64 = 3;
/// Two rises in a row count when both happen on a day after this one.
pub const REBOUND_RISES_AFTER_DAY: i64 = 2;
/// Symptoms whose rise means a rebound.
pub const REBOUND_SYMPTOMS: [Symptom; 3] =
    [Symptom::Redness, Symptom::Swelling, Symptom::Sensitivity];
/// Last day of the first week, for missed logs.
pub const FIRST_WEEK_LAST_DAY: i64 = 7;
/// This many consecutive completed days without a log is "missed logs".
pub const MISSED_RUN: usize = 2;

/// Where a score stands against its upper bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// score ≤ upper
    Within,
    /// upper < score < upper + 3
    Above,
    /// score ≥ upper + 3
    FarAbove,
}

impl Standing {
    pub fn of(score: u8, upper: u8) -> Standing {
        if score <= upper {
            Standing::Within
        } else if u16::from(score) >= u16::from(upper) + u16::from(FAR_ABOVE_MARGIN) {
            Standing::FarAbove
        } else {
            Standing::Above
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Standing::Within => "within",
            Standing::Above => "above",
            Standing::FarAbove => "far_above",
        }
    }
}

/// Declared in the order findings are listed within one severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    InfectionSigns,
    AllergicReaction,
    PersistentBleeding,
    Rebound,
    AboveUpperBound,
    DarkPatches,
    PersistingBeyondWindow,
    WhiteBumps,
    MissedLogs,
}

impl Reason {
    pub const ALL: [Reason; 9] = [
        Reason::InfectionSigns,
        Reason::AllergicReaction,
        Reason::PersistentBleeding,
        Reason::Rebound,
        Reason::AboveUpperBound,
        Reason::DarkPatches,
        Reason::PersistingBeyondWindow,
        Reason::WhiteBumps,
        Reason::MissedLogs,
    ];

    /// Stable code, as stored and returned by the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::InfectionSigns => "infection_signs",
            Reason::AllergicReaction => "allergic_reaction",
            Reason::PersistentBleeding => "persistent_bleeding",
            Reason::Rebound => "rebound",
            Reason::AboveUpperBound => "above_upper_bound",
            Reason::DarkPatches => "dark_patches",
            Reason::PersistingBeyondWindow => "persisting_beyond_window",
            Reason::WhiteBumps => "white_bumps",
            Reason::MissedLogs => "missed_logs",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| format!("unknown flag reason \"{s}\""))
    }
}

/// Urgent sorts first (`Urgent < Review < Routine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Urgent,
    Review,
    Routine,
}

impl Severity {
    /// 0 urgent, 1 review, 2 routine: for `ORDER BY` in SQL.
    pub fn rank(&self) -> i16 {
        match self {
            Severity::Urgent => 0,
            Severity::Review => 1,
            Severity::Routine => 2,
        }
    }

    pub fn from_rank(rank: i64) -> Option<Severity> {
        match rank {
            0 => Some(Severity::Urgent),
            1 => Some(Severity::Review),
            2 => Some(Severity::Routine),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Urgent => "urgent",
            Severity::Review => "review",
            Severity::Routine => "routine",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        [Severity::Urgent, Severity::Review, Severity::Routine]
            .into_iter()
            .find(|x| x.as_str() == s.trim())
            .ok_or_else(|| format!("severity must be urgent, review or routine, not \"{s}\""))
    }
}

/// One patient log, as the rules need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayLog {
    pub date: NaiveDate,
    /// Day number since treatment (see `treatment::day_number`).
    pub day: i64,
    pub scores: Scores,
    #[serde(default)]
    pub signs: Vec<Sign>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SymptomStanding {
    pub symptom: Symptom,
    pub score: u8,
    pub expected: f32,
    pub upper: u8,
    pub standing: Standing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub reason: Reason,
    pub severity: Severity,
    /// What a clinician needs to judge it: day, date, scores, expected
    /// values, signs... Shape depends on the reason.
    pub evidence: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// One per symptom, in `Symptom::ALL` order.
    pub standings: Vec<SymptomStanding>,
    /// At most one per reason, most severe first.
    pub findings: Vec<Finding>,
}

impl Assessment {
    pub fn finding(&self, reason: Reason) -> Option<&Finding> {
        self.findings.iter().find(|f| f.reason == reason)
    }

    pub fn worst_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).min()
    }
}

fn base_evidence(log: &DayLog) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("day".into(), json!(log.day));
    m.insert("date".into(), json!(log.date));
    m.insert("scores".into(), json!(log.scores));
    m
}

fn with(mut m: serde_json::Map<String, Value>, extra: Value) -> Value {
    if let Value::Object(e) = extra {
        m.extend(e);
    }
    Value::Object(m)
}

fn standing_json(s: &SymptomStanding) -> Value {
    json!({
        "symptom": s.symptom,
        "score": s.score,
        "expected": s.expected,
        "upper": s.upper,
        "standing": s.standing,
    })
}

/// Standings of a log against the timeline. Days before treatment (which
/// the API refuses anyway) are compared with day 0.
pub fn standings(timeline: &Timeline, log: &DayLog) -> Vec<SymptomStanding> {
    let day = timeline.at(log.day.max(0));
    Symptom::ALL
        .iter()
        .map(|&s| {
            let (expected, upper) = day
                .map(|d| (d.get(s).expected, d.get(s).upper))
                .unwrap_or((0.0, 10));
            let score = log.scores.get(s);
            SymptomStanding {
                symptom: s,
                score,
                expected,
                upper,
                standing: Standing::of(score, upper),
            }
        })
        .collect()
}

/// Assesses `current` against the timeline and the earlier logs of the same
/// treatment. `history` may be in any order and may contain an older version
/// of `current`'s date (ignored) or logs after it (ignored: a back-filled log
/// is judged only against what came before it).
pub fn assess(
    timeline: &Timeline,
    fitzpatrick: Fitzpatrick,
    history: &[DayLog],
    current: &DayLog,
) -> Assessment {
    let standings = standings(timeline, current);
    let mut findings = Vec::new();

    let above: Vec<&SymptomStanding> = standings
        .iter()
        .filter(|s| s.standing != Standing::Within)
        .collect();
    if !above.is_empty() {
        let far = above.iter().any(|s| s.standing == Standing::FarAbove);
        findings.push(Finding {
            reason: Reason::AboveUpperBound,
            severity: if far {
                Severity::Urgent
            } else {
                Severity::Review
            },
            evidence: with(
                base_evidence(current),
                json!({ "symptoms": above.iter().map(|s| standing_json(s)).collect::<Vec<_>>() }),
            ),
        });
    }

    if let Some(f) = persisting(timeline, &standings, current) {
        findings.push(f);
    }
    if let Some(f) = rebound(history, current) {
        findings.push(f);
    }
    findings.extend(sign_findings(fitzpatrick, current));

    findings.sort_by_key(|f| (f.severity, f.reason));
    Assessment {
        standings,
        findings,
    }
}

fn persisting(timeline: &Timeline, standings: &[SymptomStanding], log: &DayLog) -> Option<Finding> {
    if log.day <= i64::from(timeline.window_days) {
        return None;
    }
    let lingering: Vec<Value> = standings
        .iter()
        .filter(|s| matches!(s.symptom, Symptom::Redness | Symptom::Swelling))
        .filter(|s| s.score >= PERSISTING_MIN)
        .map(standing_json)
        .collect();
    if lingering.is_empty() {
        return None;
    }
    Some(Finding {
        reason: Reason::PersistingBeyondWindow,
        severity: Severity::Review,
        evidence: with(
            base_evidence(log),
            json!({
                "window_days": timeline.window_days,
                "days_beyond_window": log.day - i64::from(timeline.window_days),
                "threshold": PERSISTING_MIN,
                "symptoms": lingering,
            }),
        ),
    })
}

/// Logs strictly before `current`, one per date (the last one given wins),
/// oldest first.
fn earlier_logs<'a>(history: &'a [DayLog], current: &DayLog) -> Vec<&'a DayLog> {
    let mut logs: Vec<&DayLog> = Vec::new();
    for log in history.iter().filter(|l| l.date < current.date) {
        match logs.iter_mut().find(|l| l.date == log.date) {
            Some(slot) => *slot = log,
            None => logs.push(log),
        }
    }
    logs.sort_by_key(|l| l.date);
    logs
}

fn point(log: &DayLog, s: Symptom) -> Value {
    json!({ "day": log.day, "date": log.date, "score": log.scores.get(s) })
}

fn rebound(history: &[DayLog], current: &DayLog) -> Option<Finding> {
    let earlier = earlier_logs(history, current);
    let prev = *earlier.last()?;
    let before = earlier.len().checked_sub(2).map(|i| earlier[i]);

    let mut hits = Vec::new();
    for s in REBOUND_SYMPTOMS {
        let (now, p) = (current.scores.get(s), prev.scores.get(s));
        let mut rules = Vec::new();
        if current.day > REBOUND_JUMP_AFTER_DAY && now >= p.saturating_add(REBOUND_JUMP) {
            rules.push("rise_of_3_after_day_3");
        }
        if let Some(b) = before {
            if prev.day > REBOUND_RISES_AFTER_DAY && b.scores.get(s) < p && p < now {
                rules.push("two_rises_after_day_2");
            }
        }
        if !rules.is_empty() {
            let mut logs = Vec::new();
            if let Some(b) = before {
                logs.push(point(b, s));
            }
            logs.push(point(prev, s));
            logs.push(point(current, s));
            hits.push(json!({ "symptom": s, "rules": rules, "logs": logs }));
        }
    }
    if hits.is_empty() {
        return None;
    }
    Some(Finding {
        reason: Reason::Rebound,
        severity: Severity::Urgent,
        evidence: with(base_evidence(current), json!({ "symptoms": hits })),
    })
}

const INFECTION_SIGNS: [Sign; 5] = [
    Sign::PusOrCrust,
    Sign::Fever,
    Sign::SpreadingRedness,
    Sign::IncreasingPainOrWarmth,
    Sign::BlistersOrColdSores,
];

fn sign_findings(fitzpatrick: Fitzpatrick, log: &DayLog) -> Vec<Finding> {
    let signs: BTreeSet<Sign> = log.signs.iter().copied().collect();
    let mut out = Vec::new();
    let mut add = |reason: Reason, severity: Severity, which: &[Sign], extra: Value| {
        let present: Vec<Sign> = which
            .iter()
            .copied()
            .filter(|s| signs.contains(s))
            .collect();
        if !present.is_empty() {
            let mut ev = base_evidence(log);
            ev.insert("signs".into(), json!(present));
            out.push(Finding {
                reason,
                severity,
                evidence: with(ev, extra),
            });
        }
    };
    add(
        Reason::InfectionSigns,
        Severity::Urgent,
        &INFECTION_SIGNS,
        json!({}),
    );
    add(
        Reason::AllergicReaction,
        Severity::Urgent,
        &[Sign::HivesOrItching],
        json!({}),
    );
    add(
        Reason::PersistentBleeding,
        Severity::Urgent,
        &[Sign::PersistentBleeding],
        json!({}),
    );
    let darker = fitzpatrick.is_darker();
    add(
        Reason::DarkPatches,
        if darker {
            Severity::Urgent
        } else {
            Severity::Review
        },
        &[Sign::DarkPatches],
        json!({ "fitzpatrick": fitzpatrick.get(), "darker_skin_type": darker }),
    );
    add(
        Reason::WhiteBumps,
        Severity::Routine,
        &[Sign::WhiteBumps],
        json!({}),
    );
    out
}

/// Two consecutive completed days without a log in days 0–7. `today` is the
/// patient's current local date and is not complete yet, so it never counts.
pub fn missed_logs(day0: NaiveDate, today: NaiveDate, logged: &[NaiveDate]) -> Option<Finding> {
    let week_end = day0 + chrono::Duration::days(FIRST_WEEK_LAST_DAY);
    let last_complete = (today - chrono::Duration::days(1)).min(week_end);
    if last_complete < day0 {
        return None;
    }
    let logged: BTreeSet<NaiveDate> = logged.iter().copied().collect();
    let missed: Vec<NaiveDate> = day0
        .iter_days()
        .take_while(|d| *d <= last_complete)
        .filter(|d| !logged.contains(d))
        .collect();

    // Group missed dates into runs of consecutive days.
    let mut runs: Vec<Vec<NaiveDate>> = Vec::new();
    for &d in &missed {
        match runs.last_mut() {
            Some(run) if run.last().and_then(|l| l.succ_opt()) == Some(d) => run.push(d),
            _ => runs.push(vec![d]),
        }
    }
    let long: Vec<Value> = runs
        .iter()
        .filter(|r| r.len() >= MISSED_RUN)
        .map(|r| {
            let (from, to) = (r[0], r[r.len() - 1]);
            json!({
                "from": from,
                "to": to,
                "from_day": (from - day0).num_days(),
                "to_day": (to - day0).num_days(),
                "days": r.len(),
            })
        })
        .collect();
    if long.is_empty() {
        return None;
    }
    Some(Finding {
        reason: Reason::MissedLogs,
        severity: Severity::Routine,
        evidence: json!({
            "today": today,
            "day0": day0,
            "checked_through": last_complete,
            "missed": missed
                .iter()
                .map(|d| json!({ "date": d, "day": (*d - day0).num_days() }))
                .collect::<Vec<_>>(),
            "runs": long,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::protocol::Protocol;
    use crate::domain::timeline::expected_timeline;
    use crate::domain::treatment::{day0, day_number, local_date, Addon, Area, DepthMm};
    use chrono::{DateTime, TimeZone, Utc};
    use chrono_tz::Tz;

    fn tl(mm: f64, area: Area, addons: &[Addon]) -> Timeline {
        expected_timeline(
            &Protocol::default_microneedling(),
            DepthMm::parse(mm).unwrap(),
            area,
            addons,
        )
    }

    fn fitz(v: i64) -> Fitzpatrick {
        Fitzpatrick::parse(v).unwrap()
    }

    fn start() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 5, 6).unwrap()
    }

    fn log(day: i64, r: i64, s: i64, f: i64, x: i64) -> DayLog {
        DayLog {
            date: start() + chrono::Duration::days(day),
            day,
            scores: Scores::parse(r, s, f, x).unwrap(),
            signs: vec![],
        }
    }

    /// A log of exactly the expected scores, rounded.
    fn on_course(t: &Timeline, day: i64) -> DayLog {
        let d = t.at(day).unwrap();
        let r = |s: Symptom| d.get(s).expected.round() as i64;
        log(
            day,
            r(Symptom::Redness),
            r(Symptom::Swelling),
            r(Symptom::Flaking),
            r(Symptom::Sensitivity),
        )
    }

    fn assess_series(t: &Timeline, logs: &[DayLog]) -> Vec<Assessment> {
        (0..logs.len())
            .map(|i| assess(t, fitz(2), &logs[..i], &logs[i]))
            .collect()
    }

    #[test]
    fn standing_edges() {
        assert_eq!(Standing::of(0, 0), Standing::Within);
        assert_eq!(Standing::of(4, 4), Standing::Within);
        assert_eq!(Standing::of(5, 4), Standing::Above);
        assert_eq!(Standing::of(6, 4), Standing::Above);
        assert_eq!(Standing::of(7, 4), Standing::FarAbove);
        assert_eq!(Standing::of(10, 8), Standing::Above);
        assert_eq!(Standing::of(10, 7), Standing::FarAbove);
        assert_eq!(Standing::of(10, 10), Standing::Within);
    }

    #[test]
    fn severity_orders_urgent_first() {
        let mut v = vec![Severity::Routine, Severity::Urgent, Severity::Review];
        v.sort();
        assert_eq!(
            v,
            vec![Severity::Urgent, Severity::Review, Severity::Routine]
        );
        assert_eq!(
            v.iter().map(|s| s.rank()).collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
        for s in v {
            assert_eq!(Severity::from_rank(s.rank().into()), Some(s));
            assert_eq!(Severity::parse(s.as_str()), Ok(s));
        }
        assert_eq!(Severity::from_rank(3), None);
        assert_eq!(
            serde_json::to_string(&Severity::Urgent).unwrap(),
            "\"urgent\""
        );
    }

    #[test]
    fn reason_codes_are_stable() {
        let codes: Vec<String> = Reason::ALL
            .iter()
            .map(|r| {
                serde_json::to_value(r)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            codes,
            [
                "infection_signs",
                "allergic_reaction",
                "persistent_bleeding",
                "rebound",
                "above_upper_bound",
                "dark_patches",
                "persisting_beyond_window",
                "white_bumps",
                "missed_logs"
            ]
        );
        for r in Reason::ALL {
            assert_eq!(r.as_str(), serde_json::to_value(r).unwrap());
            assert_eq!(Reason::parse(r.as_str()), Ok(r));
        }
        assert!(Reason::parse("bad_vibes").is_err());
    }

    #[test]
    fn following_the_course_raises_nothing() {
        for (mm, area, addons) in [
            (0.5, Area::Face, vec![]),
            (2.5, Area::Face, vec![]),
            (1.0, Area::Neck, vec![Addon::Peel, Addon::Rf]),
            (3.0, Area::Body, vec![Addon::Prp, Addon::Serum]),
            (0.25, Area::Scalp, vec![Addon::Peel]),
        ] {
            let t = tl(mm, area, &addons);
            let logs: Vec<DayLog> = (0..=14).map(|d| on_course(&t, d)).collect();
            for (i, a) in assess_series(&t, &logs).iter().enumerate() {
                assert!(
                    a.findings.is_empty(),
                    "{mm} {area} day {i}: {:?}",
                    a.findings
                );
                assert!(a.standings.iter().all(|s| s.standing == Standing::Within));
            }
            let dates: Vec<NaiveDate> = logs.iter().map(|l| l.date).collect();
            assert!(missed_logs(start(), start() + chrono::Duration::days(15), &dates).is_none());
        }
    }

    #[test]
    fn standings_report_expected_and_upper() {
        let t = tl(0.5, Area::Face, &[]);
        let a = assess(&t, fitz(2), &[], &log(0, 6, 4, 0, 5));
        assert_eq!(a.standings.len(), 4);
        assert_eq!(a.standings[0].symptom, Symptom::Redness);
        assert_eq!(a.standings[0].score, 6);
        assert_eq!(a.standings[0].expected, 6.5);
        assert_eq!(a.standings[0].upper, 9);
        assert!(a.findings.is_empty());
    }

    #[test]
    fn far_above_on_day_five_is_urgent() {
        let t = tl(0.5, Area::Face, &[]);
        let a = assess(&t, fitz(2), &[], &log(5, 8, 0, 1, 0));
        let f = a.finding(Reason::AboveUpperBound).unwrap();
        assert_eq!(f.severity, Severity::Urgent);
        assert_eq!(f.evidence["day"], 5);
        assert_eq!(f.evidence["symptoms"][0]["symptom"], "redness");
        assert_eq!(f.evidence["symptoms"][0]["standing"], "far_above");
        assert_eq!(f.evidence["symptoms"][0]["score"], 8);
        // Also past the 3-day window.
        assert_eq!(
            a.finding(Reason::PersistingBeyondWindow).unwrap().severity,
            Severity::Review
        );
        assert_eq!(a.findings[0].reason, Reason::AboveUpperBound);
        assert_eq!(a.worst_severity(), Some(Severity::Urgent));
    }

    #[test]
    fn just_above_is_review_and_lists_every_symptom() {
        let t = tl(0.5, Area::Face, &[]);
        let d3 = t.at(3).unwrap();
        let (ur, us) = (d3.redness.upper as i64, d3.swelling.upper as i64);
        let a = assess(&t, fitz(2), &[], &log(3, ur + 1, us + 2, 0, 0));
        let above: Vec<_> = a
            .findings
            .iter()
            .filter(|f| f.reason == Reason::AboveUpperBound)
            .collect();
        assert_eq!(above.len(), 1, "one finding per reason");
        assert_eq!(above[0].severity, Severity::Review);
        assert_eq!(above[0].evidence["symptoms"].as_array().unwrap().len(), 2);
        // At the bound exactly: nothing.
        let a = assess(&t, fitz(2), &[], &log(3, ur, us, 0, 0));
        assert!(a.finding(Reason::AboveUpperBound).is_none());
        // Any one symptom far above makes it urgent.
        let a = assess(&t, fitz(2), &[], &log(3, ur + 1, us + 3, 0, 0));
        assert_eq!(
            a.finding(Reason::AboveUpperBound).unwrap().severity,
            Severity::Urgent
        );
    }

    #[test]
    fn persisting_only_after_the_window() {
        let t = tl(0.5, Area::Face, &[]);
        assert_eq!(t.window_days, 3);
        // On the last window day, redness 2 is still expected-ish.
        assert!(assess(&t, fitz(2), &[], &log(3, 2, 2, 2, 0))
            .finding(Reason::PersistingBeyondWindow)
            .is_none());
        // Day after the window, 1 is fine, 2 is not.
        assert!(assess(&t, fitz(2), &[], &log(4, 1, 1, 2, 0))
            .finding(Reason::PersistingBeyondWindow)
            .is_none());
        let a = assess(&t, fitz(2), &[], &log(4, 0, 2, 2, 0));
        let f = a.finding(Reason::PersistingBeyondWindow).unwrap();
        assert_eq!(f.severity, Severity::Review);
        assert_eq!(f.evidence["window_days"], 3);
        assert_eq!(f.evidence["symptoms"][0]["symptom"], "swelling");
        // Flaking or sensitivity alone do not persist (they are bounded instead).
        assert!(assess(&t, fitz(2), &[], &log(9, 0, 0, 2, 2))
            .finding(Reason::PersistingBeyondWindow)
            .is_none());
        // Deep work has a longer window.
        let deep = tl(2.5, Area::Face, &[]);
        assert!(assess(&deep, fitz(2), &[], &log(5, 2, 0, 2, 0))
            .finding(Reason::PersistingBeyondWindow)
            .is_none());
    }

    #[test]
    fn rebound_by_a_jump_of_three_after_day_three() {
        let t = tl(2.5, Area::Face, &[]);
        let hist = [log(2, 6, 4, 2, 3), log(3, 3, 2, 3, 2)];
        // Day 4, redness 3 -> 6.
        let a = assess(&t, fitz(2), &hist, &log(4, 6, 2, 3, 2));
        let f = a.finding(Reason::Rebound).unwrap();
        assert_eq!(f.severity, Severity::Urgent);
        assert_eq!(f.evidence["symptoms"][0]["symptom"], "redness");
        assert_eq!(
            f.evidence["symptoms"][0]["rules"][0],
            "rise_of_3_after_day_3"
        );
        assert_eq!(
            f.evidence["symptoms"][0]["logs"].as_array().unwrap().len(),
            3
        );
        // A rise of 2 is not a jump (and only one rise).
        let a = assess(&t, fitz(2), &hist, &log(4, 5, 2, 3, 2));
        assert!(a.finding(Reason::Rebound).is_none());
        // On day 3 a jump alone does not count.
        let hist2 = [log(1, 5, 4, 0, 3), log(2, 2, 2, 2, 2)];
        let a = assess(&t, fitz(2), &hist2, &log(3, 5, 2, 3, 2));
        assert!(a.finding(Reason::Rebound).is_none());
        // Without history there is nothing to compare with.
        assert!(assess(&t, fitz(2), &[], &log(6, 6, 0, 0, 0))
            .finding(Reason::Rebound)
            .is_none());
    }

    #[test]
    fn rebound_by_two_rises_after_day_two() {
        let t = tl(2.5, Area::Face, &[]);
        // Swelling 1 -> 2 -> 3 on days 3 and 4.
        let hist = [log(2, 5, 1, 2, 3), log(3, 4, 2, 3, 2)];
        let a = assess(&t, fitz(2), &hist, &log(4, 3, 3, 3, 1));
        let f = a.finding(Reason::Rebound).unwrap();
        assert_eq!(f.evidence["symptoms"][0]["symptom"], "swelling");
        assert_eq!(
            f.evidence["symptoms"][0]["rules"][0],
            "two_rises_after_day_2"
        );
        // The first rise on day 2 is too early.
        let hist = [log(1, 5, 1, 1, 3), log(2, 4, 2, 2, 2)];
        assert!(assess(&t, fitz(2), &hist, &log(3, 3, 3, 3, 1))
            .finding(Reason::Rebound)
            .is_none());
        // Flat then rise is not two rises.
        let hist = [log(3, 4, 2, 3, 2), log(4, 4, 2, 3, 2)];
        assert!(assess(&t, fitz(2), &hist, &log(5, 5, 2, 3, 2))
            .finding(Reason::Rebound)
            .is_none());
        // Flaking rising for days is normal shedding, not a rebound.
        let hist = [log(2, 4, 2, 1, 2), log(3, 3, 1, 2, 1)];
        assert!(assess(&t, fitz(2), &hist, &log(4, 2, 1, 5, 1))
            .finding(Reason::Rebound)
            .is_none());
    }

    #[test]
    fn rebound_uses_the_replacement_not_the_old_version() {
        let t = tl(0.5, Area::Face, &[]);
        // An earlier version of day 4 said redness 0; the new one says 3.
        // Compared with day 3 (2) that is a rise of 1, not 3.
        let hist = [log(3, 2, 0, 3, 0), log(4, 0, 0, 2, 0)];
        let a = assess(&t, fitz(2), &hist, &log(4, 3, 0, 2, 0));
        assert!(a.finding(Reason::Rebound).is_none(), "{:?}", a.findings);
        // The old version must also not count as a "previous rise".
        let hist = [log(3, 1, 0, 3, 0), log(4, 2, 0, 2, 0), log(5, 0, 0, 1, 0)];
        let a = assess(&t, fitz(2), &hist, &log(5, 3, 0, 1, 0));
        assert!(a.finding(Reason::Rebound).is_some());
        let a = assess(&t, fitz(2), &hist, &log(5, 2, 0, 1, 0));
        assert!(a.finding(Reason::Rebound).is_none());
        // History out of order and logs after the current date are handled.
        let hist = [log(6, 9, 9, 9, 9), log(4, 1, 0, 2, 0), log(3, 2, 0, 3, 0)];
        let a = assess(&t, fitz(2), &hist, &log(5, 4, 0, 1, 0));
        assert_eq!(
            a.finding(Reason::Rebound).unwrap().evidence["symptoms"][0]["logs"][1]["day"],
            4
        );
    }

    #[test]
    fn infection_signs_are_urgent_any_day() {
        let t = tl(0.5, Area::Face, &[]);
        for day in [0, 1, 3, 7, 14, 30] {
            let mut l = on_course(&t, day);
            l.signs = vec![Sign::PusOrCrust];
            let a = assess(&t, fitz(2), &[], &l);
            let f = a.finding(Reason::InfectionSigns).unwrap();
            assert_eq!(f.severity, Severity::Urgent, "day {day}");
            assert_eq!(f.evidence["signs"], json!(["pus_or_crust"]));
            assert_eq!(a.findings.len(), 1);
        }
        let mut l = log(2, 2, 1, 2, 1);
        l.signs = vec![
            Sign::Fever,
            Sign::BlistersOrColdSores,
            Sign::Fever,
            Sign::WhiteBumps,
        ];
        let a = assess(&t, fitz(2), &[], &l);
        let f = a.finding(Reason::InfectionSigns).unwrap();
        assert_eq!(
            f.evidence["signs"],
            json!(["fever", "blisters_or_cold_sores"])
        );
        assert_eq!(
            a.finding(Reason::WhiteBumps).unwrap().severity,
            Severity::Routine
        );
        assert_eq!(a.findings[0].reason, Reason::InfectionSigns);
        assert_eq!(a.findings.last().unwrap().reason, Reason::WhiteBumps);
    }

    #[test]
    fn each_sign_maps_to_its_reason() {
        let t = tl(1.0, Area::Face, &[]);
        let expect = [
            (Sign::PusOrCrust, Reason::InfectionSigns, Severity::Urgent),
            (Sign::Fever, Reason::InfectionSigns, Severity::Urgent),
            (
                Sign::SpreadingRedness,
                Reason::InfectionSigns,
                Severity::Urgent,
            ),
            (
                Sign::IncreasingPainOrWarmth,
                Reason::InfectionSigns,
                Severity::Urgent,
            ),
            (
                Sign::BlistersOrColdSores,
                Reason::InfectionSigns,
                Severity::Urgent,
            ),
            (
                Sign::HivesOrItching,
                Reason::AllergicReaction,
                Severity::Urgent,
            ),
            (
                Sign::PersistentBleeding,
                Reason::PersistentBleeding,
                Severity::Urgent,
            ),
            (Sign::DarkPatches, Reason::DarkPatches, Severity::Review),
            (Sign::WhiteBumps, Reason::WhiteBumps, Severity::Routine),
        ];
        assert_eq!(expect.len(), Sign::ALL.len());
        for (sign, reason, severity) in expect {
            let mut l = on_course(&t, 2);
            l.signs = vec![sign];
            let a = assess(&t, fitz(2), &[], &l);
            assert_eq!(a.findings.len(), 1, "{sign}");
            assert_eq!(
                (a.findings[0].reason, a.findings[0].severity),
                (reason, severity)
            );
        }
    }

    #[test]
    fn dark_patches_are_urgent_for_darker_skin() {
        let t = tl(1.0, Area::Face, &[]);
        let mut l = on_course(&t, 10);
        l.signs = vec![Sign::DarkPatches];
        for (f, sev) in [
            (1, Severity::Review),
            (3, Severity::Review),
            (4, Severity::Urgent),
            (6, Severity::Urgent),
        ] {
            let a = assess(&t, fitz(f), &[], &l);
            let finding = a.finding(Reason::DarkPatches).unwrap();
            assert_eq!(finding.severity, sev, "type {f}");
            assert_eq!(finding.evidence["fitzpatrick"], f);
        }
    }

    #[test]
    fn findings_serialize_with_stable_codes() {
        let t = tl(0.5, Area::Face, &[]);
        let mut l = log(5, 8, 0, 1, 0);
        l.signs = vec![Sign::HivesOrItching];
        let v = serde_json::to_value(assess(&t, fitz(2), &[], &l)).unwrap();
        assert_eq!(v["findings"][0]["severity"], "urgent");
        assert_eq!(v["findings"][0]["reason"], "allergic_reaction");
        assert_eq!(v["findings"][0]["evidence"]["date"], "2024-05-11");
        assert_eq!(v["findings"][1]["reason"], "above_upper_bound");
        assert_eq!(v["standings"][0]["standing"], "far_above");
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn missed_logs_counts_completed_days_only() {
        let s = d(2024, 5, 6);
        let days = |v: &[i64]| -> Vec<NaiveDate> {
            v.iter().map(|&n| s + chrono::Duration::days(n)).collect()
        };
        // Day 1: only day 0 is complete.
        assert!(missed_logs(s, s + chrono::Duration::days(1), &[]).is_none());
        // Day 2: days 0 and 1 complete, both missing.
        let f = missed_logs(s, s + chrono::Duration::days(2), &[]).unwrap();
        assert_eq!(f.reason, Reason::MissedLogs);
        assert_eq!(f.severity, Severity::Routine);
        assert_eq!(f.evidence["runs"][0]["from_day"], 0);
        assert_eq!(f.evidence["runs"][0]["to_day"], 1);
        // Today (day 2) missing and yesterday missing: only one complete day.
        assert!(missed_logs(s, s + chrono::Duration::days(2), &days(&[0])).is_none());
        // Scattered single gaps are fine.
        assert!(missed_logs(s, s + chrono::Duration::days(9), &days(&[0, 2, 4, 6])).is_none());
        // Days 3 and 4 missing.
        let f = missed_logs(s, s + chrono::Duration::days(6), &days(&[0, 1, 2, 5])).unwrap();
        assert_eq!(f.evidence["runs"][0]["from"], "2024-05-09");
        assert_eq!(f.evidence["runs"][0]["days"], 2);
        // Days 6 and 7 missing counts; 7 and 8 does not (8 is past week one).
        assert!(missed_logs(
            s,
            s + chrono::Duration::days(30),
            &days(&[0, 1, 2, 3, 4, 5])
        )
        .is_some());
        assert!(missed_logs(
            s,
            s + chrono::Duration::days(30),
            &days(&[0, 1, 2, 3, 4, 5, 6])
        )
        .is_none());
        // Before treatment or on day 0: nothing complete.
        assert!(missed_logs(s, s, &[]).is_none());
        assert!(missed_logs(s, s - chrono::Duration::days(3), &[]).is_none());
        // Logs outside the week and duplicates are harmless.
        let mut v = days(&[0, 1, 2, 3, 4, 5, 6, 7, 20, -2]);
        v.extend(days(&[3, 3]));
        assert!(missed_logs(s, s + chrono::Duration::days(30), &v).is_none());
    }

    fn utc(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, day, h, min, 0).unwrap()
    }

    #[test]
    fn missed_logs_far_east_day_boundary() {
        let tz: Tz = "Pacific/Kiritimati".parse().unwrap(); // UTC+14
        let performed = utc(2024, 3, 10, 10, 30); // 11 March 00:30 local
        let start = day0(performed, tz);
        assert_eq!(start, d(2024, 3, 11));
        // 12 March 23:59 local: only 11 March is complete.
        let today = local_date(utc(2024, 3, 12, 9, 59), tz);
        assert_eq!(day_number(performed, tz, today), 1);
        assert!(missed_logs(start, today, &[]).is_none());
        // One minute later it is 13 March: 11 and 12 March are complete.
        let today = local_date(utc(2024, 3, 12, 10, 0), tz);
        assert_eq!(day_number(performed, tz, today), 2);
        let f = missed_logs(start, today, &[]).unwrap();
        assert_eq!(f.evidence["runs"][0]["from"], "2024-03-11");
        // A log on local 12 March (still 11 March in UTC) breaks the run.
        let logged = local_date(utc(2024, 3, 11, 20, 0), tz);
        assert_eq!(logged, d(2024, 3, 12));
        assert!(missed_logs(start, today, &[logged]).is_none());
    }

    #[test]
    fn missed_logs_far_west_day_boundary() {
        let tz: Tz = "Pacific/Pago_Pago".parse().unwrap(); // UTC-11
        let performed = utc(2024, 3, 10, 10, 30); // 9 March 23:30 local
        let start = day0(performed, tz);
        assert_eq!(start, d(2024, 3, 9));
        // 10 March 23:59 local: only day 0 (9 March) is complete.
        let today = local_date(utc(2024, 3, 11, 10, 59), tz);
        assert_eq!(today, d(2024, 3, 10));
        assert!(missed_logs(start, today, &[]).is_none());
        // 11 March 00:00 local: 9 and 10 March are complete and missing.
        let today = local_date(utc(2024, 3, 11, 11, 0), tz);
        assert_eq!(day_number(performed, tz, today), 2);
        assert!(missed_logs(start, today, &[]).is_some());
        // Logged in the evening of 10 March local (already 11 March in UTC).
        let logged = local_date(utc(2024, 3, 11, 7, 0), tz);
        assert_eq!(logged, d(2024, 3, 10));
        assert!(missed_logs(start, today, &[logged]).is_none());
    }
}
