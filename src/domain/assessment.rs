//! Rules that compare a daily log with the expected timeline and raise
//! findings. Pure functions and constants, readable by a clinician; the store
//! turns findings into flags (one active flag per reason per treatment). The
//! README's clinical section lists what each rule rests on.
//!
//! Scores (redness, swelling, sensitivity; flaking only where it says so):
//! - `above_upper_bound`: a score above that day's upper bound is **review**;
//!   `FAR_ABOVE_MARGIN` (3) or more above it is **urgent**. Upper bounds of
//!   redness and swelling never exceed `highest_bound` (8), so 9–10 is never
//!   on course; swelling of `SEVERE_SWELLING` (9) or more is **urgent** at
//!   any depth (possible angioedema). Flaking above its bound on its own is
//!   **routine** (cosmetic), never more.
//! - `early_worsening` (days 1–3): a score rising `EARLY_RISE_OVER_PREVIOUS`
//!   (2) or more over the previous day's, or `EARLY_RISE_OVER_DAY0` (3) or
//!   more over day 0's, to above that day's expected score, is **review**
//!   (early contact dermatitis, e.g. after a serum); **urgent** when swelling
//!   is `EARLY_URGENT_SWELLING` (8) or more.
//! - `rebound` (day 3 on): a score `REBOUND_RISE` (3) or more over its lowest
//!   earlier score is **urgent** (infection or reaction), but only when it is
//!   also above that day's upper bound: a rise within the bound never flags.
//! - `persisting_beyond_window`: redness or swelling of `PERSISTING_MIN` (2)
//!   or more after the expected window, and above that day's bound, is
//!   **review**.
//! - Flaking takes part in neither worsening nor rebound: it rises by nature
//!   from day 2 to 4.
//!
//! Signs (the table is `domain::signs`):
//! - emergency signs (lip, tongue or eye swelling; trouble breathing) are
//!   **urgent** (`emergency_signs`), and the answer tells the patient to call
//!   the emergency number;
//! - infection signs (pus, yellow crusts, fever, spreading redness, more pain
//!   or warmth, blisters) are **urgent**; with a history of cold sores,
//!   blisters are their own **urgent** `cold_sore_reactivation` (possible
//!   herpes simplex reactivation, which needs the antiviral);
//! - hives are an **urgent** `allergic_reaction`; bleeding that does not stop
//!   is **urgent**;
//! - expected signs raise nothing while expected: pinpoint crusts and itching
//!   through the window plus `EXPECTED_SIGN_EXTRA_DAYS` (3), bruising through
//!   day `BRUISING_UNTIL_DAY` (10; `BRUISING_UNTIL_DAY_ANTICOAGULANTS`, 14, on
//!   anticoagulants); later they are **routine** (`lingering_expected_signs`);
//! - dark patches are a PIH watch: **review** for Fitzpatrick IV–VI,
//!   **routine** for I–III; red bumps (granulomatous reaction) and track
//!   marks are **review**; white bumps (milia) and acne breakouts **routine**.
//!
//! `missed_logs`: two consecutive completed days without a log while daily
//! logs are asked for (days 0–14), or a check-in (day 21, 28, …) with no
//! log within `CHECK_IN_GRACE_DAYS` of it, is **routine**, a nudge for the
//! clinic.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::domain::reminder::DAILY_LOGS_LAST_DAY;
use crate::domain::signs::{Sign, SignCategory};
use crate::domain::timeline::Timeline;
pub use crate::domain::timeline::{highest_bound, HIGHEST_BOUND_REDNESS_SWELLING};
use crate::domain::treatment::{Fitzpatrick, Scores, Symptom};

/// A score this far above its upper bound (or more) is `FarAbove`.
pub const FAR_ABOVE_MARGIN: u8 = 3;
/// Swelling at or above this is urgent on any day at any depth (angioedema).
pub const SEVERE_SWELLING: u8 = 9;
/// Redness or swelling at or above this after the window is "persisting"
/// (when it is also above the day's bound).
pub const PERSISTING_MIN: u8 = 2;
/// Symptoms whose rise means worsening or a rebound (not flaking).
pub const RISING_SYMPTOMS: [Symptom; 3] =
    [Symptom::Redness, Symptom::Swelling, Symptom::Sensitivity];
/// Early worsening is judged on these days.
pub const EARLY_FIRST_DAY: i64 = 1;
pub const EARLY_LAST_DAY: i64 = 3;
/// Early worsening: a rise of this much over the previous day...
pub const EARLY_RISE_OVER_PREVIOUS: u8 = 2;
/// ...or of this much over day 0.
pub const EARLY_RISE_OVER_DAY0: u8 = 3;
/// Early worsening with swelling at or above this is urgent.
pub const EARLY_URGENT_SWELLING: u8 = 8;
/// A rebound is judged from this day on...
pub const REBOUND_FROM_DAY: i64 = 3;
/// ...as a rise of this much over the lowest earlier score.
pub const REBOUND_RISE: u8 = 3;
/// Pinpoint crusts and itching are expected through the window plus this.
pub const EXPECTED_SIGN_EXTRA_DAYS: i64 = 3;
/// Bruising is expected through this day...
pub const BRUISING_UNTIL_DAY: i64 = 10;
/// ...or this one for a patient on anticoagulants.
pub const BRUISING_UNTIL_DAY_ANTICOAGULANTS: i64 = 14;
/// A check-in counts as kept by a log up to this many days before or after it.
pub const CHECK_IN_GRACE_DAYS: i64 = 2;
/// This many consecutive completed days without a log is "missed logs".
pub const MISSED_RUN: usize = 2;

/// What the rules need to know about the treatment beyond its timeline and
/// the patient's skin type. Default: none of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInputs {
    /// Bruising is expected for longer.
    pub anticoagulants: bool,
    /// Blisters are a possible herpes reactivation, flagged on their own.
    pub cold_sore_history: bool,
}

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
    EmergencySigns,
    ColdSoreReactivation,
    InfectionSigns,
    AllergicReaction,
    PersistentBleeding,
    Rebound,
    EarlyWorsening,
    AboveUpperBound,
    RedBumps,
    TrackMarks,
    DarkPatches,
    PersistingBeyondWindow,
    LingeringExpectedSigns,
    WhiteBumps,
    AcneBreakout,
    MissedLogs,
}

impl Reason {
    pub const ALL: [Reason; 16] = [
        Reason::EmergencySigns,
        Reason::ColdSoreReactivation,
        Reason::InfectionSigns,
        Reason::AllergicReaction,
        Reason::PersistentBleeding,
        Reason::Rebound,
        Reason::EarlyWorsening,
        Reason::AboveUpperBound,
        Reason::RedBumps,
        Reason::TrackMarks,
        Reason::DarkPatches,
        Reason::PersistingBeyondWindow,
        Reason::LingeringExpectedSigns,
        Reason::WhiteBumps,
        Reason::AcneBreakout,
        Reason::MissedLogs,
    ];

    /// Stable code, as stored and returned by the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::EmergencySigns => "emergency_signs",
            Reason::ColdSoreReactivation => "cold_sore_reactivation",
            Reason::InfectionSigns => "infection_signs",
            Reason::AllergicReaction => "allergic_reaction",
            Reason::PersistentBleeding => "persistent_bleeding",
            Reason::Rebound => "rebound",
            Reason::EarlyWorsening => "early_worsening",
            Reason::AboveUpperBound => "above_upper_bound",
            Reason::RedBumps => "red_bumps",
            Reason::TrackMarks => "track_marks",
            Reason::DarkPatches => "dark_patches",
            Reason::PersistingBeyondWindow => "persisting_beyond_window",
            Reason::LingeringExpectedSigns => "lingering_expected_signs",
            Reason::WhiteBumps => "white_bumps",
            Reason::AcneBreakout => "acne_breakout",
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
    #[serde(serialize_with = "crate::domain::timeline::serialize_one_decimal")]
    pub expected: f32,
    pub upper: u8,
    pub standing: Standing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub reason: Reason,
    pub severity: Severity,
    /// What a clinician needs to judge it: day, date, scores, expected
    /// values, signs... Shape depends on the reason; `describe` reads it.
    pub evidence: Value,
}

impl Finding {
    /// How heavy this day's evidence is, to pick a flag's worst day among
    /// days of the same severity: the scores involved, ten per sign, one per
    /// missed day.
    pub fn weight(&self) -> u32 {
        weight(&self.evidence)
    }
}

/// See [`Finding::weight`]; works on stored evidence too.
pub fn weight(evidence: &Value) -> u32 {
    let count = |key: &str| evidence[key].as_array().map_or(0, |a| a.len() as u32);
    let scores: u32 = evidence["symptoms"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["score"].as_u64())
                .map(|v| v as u32)
                .sum()
        })
        .unwrap_or(0);
    scores + 10 * count("signs") + count("missed")
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
                .unwrap_or((0.0, highest_bound(s)));
            // Stored protocols of version 1 may reach 10; the rule holds for them too.
            let upper = upper.min(highest_bound(s));
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
    inputs: &RuleInputs,
    history: &[DayLog],
    current: &DayLog,
) -> Assessment {
    let standings = standings(timeline, current);
    let earlier = earlier_logs(history, current);
    let mut findings = Vec::new();
    findings.extend(above_upper_bound(&standings, current));
    findings.extend(persisting(timeline, &standings, current));
    findings.extend(early_worsening(&standings, &earlier, current));
    findings.extend(rebound(&standings, &earlier, current));
    findings.extend(sign_findings(timeline, fitzpatrick, inputs, current));
    findings.sort_by_key(|f| (f.severity, f.reason));
    Assessment {
        standings,
        findings,
    }
}

/// Scores above their bound. Severity: urgent for swelling 9–10 or any
/// score far above; review for other redness, swelling or sensitivity above;
/// routine when only flaking is above (however far).
pub fn above_upper_bound(standings: &[SymptomStanding], log: &DayLog) -> Option<Finding> {
    let above: Vec<&SymptomStanding> = standings
        .iter()
        .filter(|s| s.standing != Standing::Within)
        .collect();
    if above.is_empty() {
        return None;
    }
    let others: Vec<&&SymptomStanding> = above
        .iter()
        .filter(|s| s.symptom != Symptom::Flaking)
        .collect();
    let severe_swelling = log.scores.get(Symptom::Swelling) >= SEVERE_SWELLING;
    let severity = if severe_swelling || others.iter().any(|s| s.standing == Standing::FarAbove) {
        Severity::Urgent
    } else if !others.is_empty() {
        Severity::Review
    } else {
        Severity::Routine
    };
    Some(Finding {
        reason: Reason::AboveUpperBound,
        severity,
        evidence: with(
            base_evidence(log),
            json!({
                "symptoms": above.iter().map(|s| standing_json(s)).collect::<Vec<_>>(),
                "severe_swelling": severe_swelling,
            }),
        ),
    })
}

/// Redness or swelling still visible after the window, and above the bound.
pub fn persisting(
    timeline: &Timeline,
    standings: &[SymptomStanding],
    log: &DayLog,
) -> Option<Finding> {
    if log.day <= i64::from(timeline.window_days) {
        return None;
    }
    let lingering: Vec<Value> = standings
        .iter()
        .filter(|s| matches!(s.symptom, Symptom::Redness | Symptom::Swelling))
        .filter(|s| s.score >= PERSISTING_MIN && s.standing != Standing::Within)
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

fn standing_of(standings: &[SymptomStanding], s: Symptom) -> &SymptomStanding {
    standings
        .iter()
        .find(|x| x.symptom == s)
        .expect("one standing per symptom")
}

/// Days 1–3: a rise of 2 over the previous day or 3 over day 0, to above
/// the day's expected score.
pub fn early_worsening(
    standings: &[SymptomStanding],
    earlier: &[&DayLog],
    current: &DayLog,
) -> Option<Finding> {
    if !(EARLY_FIRST_DAY..=EARLY_LAST_DAY).contains(&current.day) {
        return None;
    }
    let previous = earlier.iter().find(|l| l.day == current.day - 1);
    let day0 = earlier.iter().find(|l| l.day == 0);
    let mut hits = Vec::new();
    for s in RISING_SYMPTOMS {
        let st = standing_of(standings, s);
        let now = current.scores.get(s);
        // Rising up to the expected course is the course itself.
        if f32::from(now) <= st.expected {
            continue;
        }
        let mut rules = Vec::new();
        if let Some(p) = previous {
            if now >= p.scores.get(s).saturating_add(EARLY_RISE_OVER_PREVIOUS) {
                rules.push("rise_over_previous_day");
            }
        }
        if let Some(z) = day0 {
            if now >= z.scores.get(s).saturating_add(EARLY_RISE_OVER_DAY0) {
                rules.push("rise_over_day_0");
            }
        }
        if !rules.is_empty() {
            hits.push(json!({
                "symptom": s,
                "score": now,
                "expected": st.expected,
                "upper": st.upper,
                "rules": rules,
                "previous": previous.map(|p| point(p, s)),
                "day0": day0.map(|z| point(z, s)),
            }));
        }
    }
    if hits.is_empty() {
        return None;
    }
    let urgent = current.scores.get(Symptom::Swelling) >= EARLY_URGENT_SWELLING;
    Some(Finding {
        reason: Reason::EarlyWorsening,
        severity: if urgent {
            Severity::Urgent
        } else {
            Severity::Review
        },
        evidence: with(base_evidence(current), json!({ "symptoms": hits })),
    })
}

/// Day 3 on: a rise of 3 over the lowest earlier score that also ends above
/// the day's bound.
pub fn rebound(
    standings: &[SymptomStanding],
    earlier: &[&DayLog],
    current: &DayLog,
) -> Option<Finding> {
    if current.day < REBOUND_FROM_DAY {
        return None;
    }
    let mut hits = Vec::new();
    for s in RISING_SYMPTOMS {
        let st = standing_of(standings, s);
        if st.standing == Standing::Within {
            continue;
        }
        // The earliest of the lowest, so the evidence shows where the fall ended.
        let Some(lowest) = earlier.iter().min_by_key(|l| (l.scores.get(s), l.date)) else {
            continue;
        };
        if st.score >= lowest.scores.get(s).saturating_add(REBOUND_RISE) {
            hits.push(json!({
                "symptom": s,
                "score": st.score,
                "upper": st.upper,
                "lowest": point(lowest, s),
            }));
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

/// The last day on which an expected sign raises nothing.
pub fn expected_until_day(sign: Sign, timeline: &Timeline, inputs: &RuleInputs) -> i64 {
    match sign {
        Sign::Bruising if inputs.anticoagulants => BRUISING_UNTIL_DAY_ANTICOAGULANTS,
        Sign::Bruising => BRUISING_UNTIL_DAY,
        _ => i64::from(timeline.window_days) + EXPECTED_SIGN_EXTRA_DAYS,
    }
}

/// The reason and severity of one sign on a day, or None while it is expected.
pub fn sign_rule(
    sign: Sign,
    day: i64,
    timeline: &Timeline,
    fitzpatrick: Fitzpatrick,
    inputs: &RuleInputs,
) -> Option<(Reason, Severity)> {
    use Severity::*;
    Some(match (sign.category(), sign) {
        (SignCategory::Emergency, _) => (Reason::EmergencySigns, Urgent),
        (_, Sign::BlistersOrColdSores) if inputs.cold_sore_history => {
            (Reason::ColdSoreReactivation, Urgent)
        }
        (_, Sign::Hives) => (Reason::AllergicReaction, Urgent),
        (_, Sign::PersistentBleeding) => (Reason::PersistentBleeding, Urgent),
        (SignCategory::Urgent, _) => (Reason::InfectionSigns, Urgent),
        (SignCategory::Expected, _) => {
            if day <= expected_until_day(sign, timeline, inputs) {
                return None;
            }
            (Reason::LingeringExpectedSigns, Routine)
        }
        (_, Sign::DarkPatches) if fitzpatrick.is_darker() => (Reason::DarkPatches, Review),
        (_, Sign::DarkPatches) => (Reason::DarkPatches, Routine),
        (_, Sign::RedBumps) => (Reason::RedBumps, Review),
        (_, Sign::TrackMarks) => (Reason::TrackMarks, Review),
        (_, Sign::AcneBreakout) => (Reason::AcneBreakout, Routine),
        _ => (Reason::WhiteBumps, Routine),
    })
}

fn sign_findings(
    timeline: &Timeline,
    fitzpatrick: Fitzpatrick,
    inputs: &RuleInputs,
    log: &DayLog,
) -> Vec<Finding> {
    let signs: BTreeSet<Sign> = log.signs.iter().copied().collect();
    // Grouped by reason, signs in table order.
    let mut groups: Vec<(Reason, Severity, Vec<Sign>)> = Vec::new();
    for sign in Sign::ALL.into_iter().filter(|s| signs.contains(s)) {
        let Some((reason, severity)) = sign_rule(sign, log.day, timeline, fitzpatrick, inputs)
        else {
            continue;
        };
        match groups.iter_mut().find(|g| g.0 == reason) {
            Some(g) => g.2.push(sign),
            None => groups.push((reason, severity, vec![sign])),
        }
    }
    groups
        .into_iter()
        .map(|(reason, severity, present)| {
            let mut ev = base_evidence(log);
            ev.insert("signs".into(), json!(present));
            let extra = match reason {
                Reason::DarkPatches => json!({
                    "fitzpatrick": fitzpatrick.get(),
                    "darker_skin_type": fitzpatrick.is_darker(),
                }),
                Reason::ColdSoreReactivation => json!({ "cold_sore_history": true }),
                Reason::EmergencySigns => json!({ "emergency": true }),
                Reason::LingeringExpectedSigns => json!({
                    "expected_until": present
                        .iter()
                        .map(|&s| json!({"sign": s, "day": expected_until_day(s, timeline, inputs)}))
                        .collect::<Vec<_>>(),
                    "anticoagulants": inputs.anticoagulants,
                }),
                _ => json!({}),
            };
            Finding {
                reason,
                severity,
                evidence: with(ev, extra),
            }
        })
        .collect()
}

/// A value in a sentence of evidence. Codes stay codes here: the reader's
/// catalogue turns them into words.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A score, a day or an expected value (may be fractional: 2.5).
    Number(f64),
    /// A symptom code (`redness`).
    Symptom(String),
    /// Warning sign codes as stored (older codes included), in order.
    Signs(Vec<String>),
    /// A Fitzpatrick skin type as a Roman numeral, `?` when unknown.
    SkinType(&'static str),
}

/// One clinical sentence about a flag's evidence: a catalogue key and its
/// arguments ("Redness 4 on day 6, expected at most 2" is
/// `evidence-above-upper-bound` with symptom, score, day and upper).
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    pub key: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

impl Sentence {
    fn new(key: &'static str, args: Vec<(&'static str, Arg)>) -> Self {
        Self { key, args }
    }
}

fn num(v: &Value) -> Arg {
    Arg::Number(v.as_f64().unwrap_or(0.0))
}

fn symptom(v: &Value) -> Arg {
    Arg::Symptom(v.as_str().unwrap_or("score").to_string())
}

fn signs(v: &Value) -> Arg {
    Arg::Signs(
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(|code| {
                        Sign::parse_stored(code)
                            .map(|s| s.as_str().to_string())
                            .unwrap_or_else(|| code.to_string())
                    })
                    .collect()
            })
            .unwrap_or_default(),
    )
}

const ROMAN: [&str; 7] = ["?", "I", "II", "III", "IV", "V", "VI"];

/// Clinical sentences for a flag's evidence (one day's), for the console:
/// "Redness 4 on day 6, expected at most 2"; "Pus reported on day 4".
/// Keys live in the console catalogue; an unknown evidence shape gives none.
pub fn describe(reason: Reason, evidence: &Value) -> Vec<Sentence> {
    let day = || ("day", num(&evidence["day"]));
    let symptoms = evidence["symptoms"].as_array().cloned().unwrap_or_default();
    match reason {
        Reason::AboveUpperBound => symptoms
            .iter()
            .map(|s| {
                let severe = s["symptom"] == "swelling"
                    && s["score"].as_u64().unwrap_or(0) >= u64::from(SEVERE_SWELLING);
                Sentence::new(
                    if severe {
                        "evidence-above-upper-bound-severe-swelling"
                    } else {
                        "evidence-above-upper-bound"
                    },
                    vec![
                        ("symptom", symptom(&s["symptom"])),
                        ("score", num(&s["score"])),
                        day(),
                        ("upper", num(&s["upper"])),
                    ],
                )
            })
            .collect(),
        Reason::PersistingBeyondWindow => symptoms
            .iter()
            .map(|s| {
                Sentence::new(
                    "evidence-persisting-beyond-window",
                    vec![
                        ("symptom", symptom(&s["symptom"])),
                        ("score", num(&s["score"])),
                        day(),
                        ("upper", num(&s["upper"])),
                        ("window_days", num(&evidence["window_days"])),
                    ],
                )
            })
            .collect(),
        Reason::EarlyWorsening => symptoms
            .iter()
            .map(|s| {
                let from = if s["previous"].is_object()
                    && s["rules"]
                        .as_array()
                        .is_some_and(|r| r.iter().any(|x| x == "rise_over_previous_day"))
                {
                    &s["previous"]
                } else {
                    &s["day0"]
                };
                Sentence::new(
                    "evidence-early-worsening",
                    vec![
                        ("symptom", symptom(&s["symptom"])),
                        ("score", num(&s["score"])),
                        day(),
                        ("from_score", num(&from["score"])),
                        ("from_day", num(&from["day"])),
                        ("expected", num(&s["expected"])),
                    ],
                )
            })
            .collect(),
        Reason::Rebound => symptoms
            .iter()
            .map(|s| {
                Sentence::new(
                    "evidence-rebound",
                    vec![
                        ("symptom", symptom(&s["symptom"])),
                        ("score", num(&s["score"])),
                        day(),
                        ("from_score", num(&s["lowest"]["score"])),
                        ("from_day", num(&s["lowest"]["day"])),
                        ("upper", num(&s["upper"])),
                    ],
                )
            })
            .collect(),
        Reason::MissedLogs => {
            let list = |key: &str| evidence[key].as_array().cloned().unwrap_or_default();
            list("runs")
                .iter()
                .map(|r| {
                    Sentence::new(
                        "evidence-missed-logs",
                        vec![
                            ("from_day", num(&r["from_day"])),
                            ("to_day", num(&r["to_day"])),
                        ],
                    )
                })
                .chain(list("missed_check_ins").iter().map(|c| {
                    Sentence::new("evidence-missed-check-in", vec![("day", num(&c["day"]))])
                }))
                .collect()
        }
        _ if evidence["signs"].is_array() => {
            let mut args = vec![("signs", signs(&evidence["signs"])), day()];
            let key = match reason {
                Reason::DarkPatches => {
                    let f = evidence["fitzpatrick"].as_u64().unwrap_or(0) as usize;
                    args.push(("skin_type", Arg::SkinType(ROMAN.get(f).unwrap_or(&"?"))));
                    "evidence-signs-dark-patches"
                }
                Reason::ColdSoreReactivation => "evidence-signs-cold-sore",
                Reason::EmergencySigns => "evidence-signs-emergency",
                Reason::RedBumps => "evidence-signs-red-bumps",
                Reason::LingeringExpectedSigns => {
                    let last = evidence["expected_until"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|u| u["day"].as_i64())
                        .max();
                    match last {
                        Some(last) => {
                            args.push(("until_day", Arg::Number(last as f64)));
                            "evidence-signs-lingering"
                        }
                        None => "evidence-signs",
                    }
                }
                _ => "evidence-signs",
            };
            vec![Sentence::new(key, args)]
        }
        _ => Vec::new(),
    }
}

/// Two consecutive completed days without a log while daily logs are asked
/// for (days 0–`DAILY_LOGS_LAST_DAY`), or a check-in day after that without
/// a log within `CHECK_IN_GRACE_DAYS` of it once that grace has passed.
/// `today` is the patient's current local date and is not complete yet, so
/// it never counts.
pub fn missed_logs(
    day0: NaiveDate,
    today: NaiveDate,
    logged: &[NaiveDate],
    check_in_days: &[u16],
) -> Option<Finding> {
    let daily_end = day0 + chrono::Duration::days(i64::from(DAILY_LOGS_LAST_DAY));
    let yesterday = today - chrono::Duration::days(1);
    let last_complete = yesterday.min(daily_end);
    if yesterday < day0 {
        return None;
    }
    let logged: BTreeSet<NaiveDate> = logged.iter().copied().collect();
    let missed_check_ins: Vec<Value> = check_in_days
        .iter()
        .map(|&d| i64::from(d))
        .filter(|&d| d > i64::from(DAILY_LOGS_LAST_DAY))
        .filter(|&d| day0 + chrono::Duration::days(d + CHECK_IN_GRACE_DAYS) <= yesterday)
        .filter(|&d| {
            let from = day0 + chrono::Duration::days(d - CHECK_IN_GRACE_DAYS);
            let to = day0 + chrono::Duration::days(d + CHECK_IN_GRACE_DAYS);
            logged.range(from..=to).next().is_none()
        })
        .map(|d| json!({ "day": d, "date": day0 + chrono::Duration::days(d) }))
        .collect();
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
    if long.is_empty() && missed_check_ins.is_empty() {
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
            "missed_check_ins": missed_check_ins,
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

    /// Sentences as "key name=value ...", to compare in tests.
    fn said(reason: Reason, evidence: &Value) -> Vec<String> {
        describe(reason, evidence)
            .iter()
            .map(|s| {
                let mut out = s.key.to_string();
                for (name, arg) in &s.args {
                    let v = match arg {
                        Arg::Number(n) => n.to_string(),
                        Arg::Symptom(c) => c.clone(),
                        Arg::Signs(codes) => codes.join(","),
                        Arg::SkinType(r) => r.to_string(),
                    };
                    out.push_str(&format!(" {name}={v}"));
                }
                out
            })
            .collect()
    }

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

    fn signed(mut l: DayLog, signs: &[Sign]) -> DayLog {
        l.signs = signs.to_vec();
        l
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

    fn no_inputs() -> RuleInputs {
        RuleInputs::default()
    }

    fn one(t: &Timeline, f: i64, history: &[DayLog], current: &DayLog) -> Assessment {
        assess(t, fitz(f), &no_inputs(), history, current)
    }

    /// Every log assessed against the ones before it.
    fn series(t: &Timeline, f: i64, inputs: &RuleInputs, logs: &[DayLog]) -> Vec<Assessment> {
        (0..logs.len())
            .map(|i| assess(t, fitz(f), inputs, &logs[..i], &logs[i]))
            .collect()
    }

    fn reasons(a: &Assessment) -> Vec<(Reason, Severity)> {
        a.findings.iter().map(|f| (f.reason, f.severity)).collect()
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
        for s in v {
            assert_eq!(Severity::from_rank(s.rank().into()), Some(s));
            assert_eq!(Severity::parse(s.as_str()), Ok(s));
        }
        assert_eq!(Severity::from_rank(3), None);
    }

    #[test]
    fn reason_codes_are_stable() {
        for r in Reason::ALL {
            assert_eq!(r.as_str(), serde_json::to_value(r).unwrap());
            assert_eq!(Reason::parse(r.as_str()), Ok(r));
        }
        // Codes stored by the first version keep their meaning.
        for old in [
            "infection_signs",
            "allergic_reaction",
            "persistent_bleeding",
            "rebound",
            "above_upper_bound",
            "dark_patches",
            "persisting_beyond_window",
            "white_bumps",
            "missed_logs",
        ] {
            assert!(Reason::parse(old).is_ok(), "{old}");
        }
        assert!(Reason::parse("bad_vibes").is_err());
    }

    // Rule: redness and swelling bounds stop at 8, so 9–10 is never within.
    #[test]
    fn rule_nine_or_ten_is_never_within_bounds() {
        for mm in [0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0] {
            for area in Area::ALL {
                let t = tl(mm, area, &[Addon::Prp, Addon::Rf, Addon::Peel]);
                for day in 0..=14 {
                    let a = one(&t, 2, &[], &log(day, 9, 0, 0, 0));
                    assert!(
                        a.finding(Reason::AboveUpperBound).is_some(),
                        "{mm} {area} day {day}"
                    );
                }
            }
        }
    }

    // Rule: swelling 9–10 is urgent at any depth (possible angioedema).
    #[test]
    fn rule_severe_swelling_is_urgent_at_any_depth() {
        for mm in [0.25, 1.0, 2.0, 3.0] {
            for day in [0, 1, 2, 5, 12] {
                let a = one(
                    &tl(mm, Area::Face, &[Addon::Prp]),
                    2,
                    &[],
                    &log(day, 0, 9, 0, 0),
                );
                let f = a.finding(Reason::AboveUpperBound).unwrap();
                assert_eq!(f.severity, Severity::Urgent, "{mm} day {day}");
                assert_eq!(f.evidence["severe_swelling"], true);
            }
        }
        // Swelling 8 on day 0 of deep work is within its bound.
        let a = one(&tl(2.0, Area::Face, &[]), 2, &[], &log(0, 7, 8, 0, 5));
        assert!(a.findings.is_empty(), "{:?}", a.findings);
    }

    // Rule: above the bound is review, 3 above is urgent.
    #[test]
    fn rule_above_and_far_above() {
        let t = tl(0.5, Area::Face, &[]);
        let d3 = t.at(3).unwrap();
        let (ur, us) = (d3.redness.upper as i64, d3.swelling.upper as i64);
        let a = one(&t, 2, &[], &log(3, ur + 1, us + 2, 0, 0));
        let f = a.finding(Reason::AboveUpperBound).unwrap();
        assert_eq!(f.severity, Severity::Review);
        assert_eq!(f.evidence["symptoms"].as_array().unwrap().len(), 2);
        assert!(one(&t, 2, &[], &log(3, ur, us, 0, 0)).findings.is_empty());
        let a = one(&t, 2, &[], &log(3, ur + 1, us + 3, 0, 0));
        assert_eq!(
            a.finding(Reason::AboveUpperBound).unwrap().severity,
            Severity::Urgent
        );
    }

    // Rule: flaking above its bound alone is routine, never urgent.
    #[test]
    fn rule_flaking_alone_is_routine() {
        let t = tl(0.5, Area::Face, &[]);
        // The example: dry flaking 6 on day 7 at 0.5 mm.
        let a = one(&t, 2, &[], &log(7, 0, 0, 6, 0));
        assert_eq!(reasons(&a), [(Reason::AboveUpperBound, Severity::Routine)]);
        let a = one(&t, 2, &[], &log(7, 0, 0, 10, 0));
        assert_eq!(reasons(&a), [(Reason::AboveUpperBound, Severity::Routine)]);
        // With redness above as well, redness decides.
        let a = one(&t, 2, &[], &log(7, 3, 0, 10, 0));
        assert_eq!(
            a.finding(Reason::AboveUpperBound).unwrap().severity,
            Severity::Review
        );
    }

    // Rule: persisting beyond the window only when also above the day's bound.
    #[test]
    fn rule_persisting_needs_the_bound() {
        let t = tl(0.5, Area::Face, &[]);
        assert_eq!(t.window_days, 3);
        // The example: redness 2 on day 4 at 0.5 mm (bound 3).
        assert!(one(&t, 2, &[], &log(4, 2, 0, 2, 0)).findings.is_empty());
        let a = one(&t, 2, &[], &log(8, 3, 0, 0, 0));
        let f = a.finding(Reason::PersistingBeyondWindow).unwrap();
        assert_eq!(f.severity, Severity::Review);
        assert_eq!(f.evidence["window_days"], 3);
        // Within the window, only the bound speaks.
        let a = one(&t, 2, &[], &log(3, 5, 0, 0, 0));
        assert!(a.finding(Reason::PersistingBeyondWindow).is_none());
        assert!(a.finding(Reason::AboveUpperBound).is_some());
    }

    // Rule: early worsening on days 1–3 (review; urgent with swelling ≥ 8).
    #[test]
    fn rule_early_worsening() {
        let t = tl(0.5, Area::Face, &[Addon::Serum]);
        // Contact dermatitis after a serum: day 0 calm, day 2 redness 5.
        let hist = [log(0, 2, 1, 0, 2), log(1, 3, 1, 0, 2)];
        let a = one(&t, 2, &hist, &log(2, 5, 1, 1, 2));
        let f = a.finding(Reason::EarlyWorsening).unwrap();
        assert_eq!(f.severity, Severity::Review);
        assert_eq!(f.evidence["symptoms"][0]["symptom"], "redness");
        assert_eq!(
            f.evidence["symptoms"][0]["rules"],
            json!(["rise_over_previous_day", "rise_over_day_0"])
        );
        // 3 over day 0 without 2 over the previous day.
        let hist = [log(0, 1, 1, 0, 1), log(1, 3, 2, 0, 1)];
        let a = one(&t, 2, &hist, &log(3, 4, 1, 2, 1));
        assert_eq!(
            a.finding(Reason::EarlyWorsening).unwrap().evidence["symptoms"][0]["rules"],
            json!(["rise_over_day_0"])
        );
        // With swelling 8, urgent.
        let hist = [log(0, 4, 3, 0, 3), log(1, 4, 5, 0, 3)];
        let a = one(&t, 2, &hist, &log(2, 4, 8, 1, 3));
        assert_eq!(
            a.finding(Reason::EarlyWorsening).unwrap().severity,
            Severity::Urgent
        );
        // Rising up to the expected course is the course: day 0 logged
        // right after treatment at 2, day 1 at the expected 4–5.
        let hist = [log(0, 2, 1, 0, 1)];
        assert!(one(&t, 2, &hist, &log(1, 4, 3, 1, 3))
            .finding(Reason::EarlyWorsening)
            .is_none());
        // Flaking rising is never worsening; day 4 is past the early days.
        let hist = [log(0, 3, 2, 0, 3), log(1, 2, 1, 0, 2)];
        assert!(one(&t, 2, &hist, &log(2, 2, 1, 4, 1)).findings.is_empty());
        let hist = [log(3, 0, 0, 2, 0)];
        assert!(one(&t, 2, &hist, &log(4, 2, 0, 2, 0))
            .finding(Reason::EarlyWorsening)
            .is_none());
    }

    // Rule: a rebound (day 3 on, 3 over the lowest earlier score) is urgent
    // only above the day's bound.
    #[test]
    fn rule_rebound_inside_and_outside_bounds() {
        let t = tl(0.5, Area::Face, &[]);
        // The example: sensitivity 0 → 1 → 2 on days 3–5.
        let logs = [
            log(0, 6, 4, 0, 5),
            log(1, 4, 3, 1, 3),
            log(2, 2, 1, 2, 1),
            log(3, 1, 0, 3, 0),
            log(4, 0, 0, 2, 1),
            log(5, 0, 0, 1, 2),
        ];
        for a in series(&t, 2, &no_inputs(), &logs) {
            assert!(a.findings.is_empty(), "{:?}", a.findings);
        }
        // A rise of 3 that stays within the bound: nothing.
        let t2 = tl(2.5, Area::Face, &[]);
        let hist = [log(3, 1, 1, 3, 1)];
        let d4 = t2.at(4).unwrap().redness.upper;
        assert!(d4 >= 4, "{d4}");
        assert!(one(&t2, 2, &hist, &log(4, 4, 1, 3, 1))
            .finding(Reason::Rebound)
            .is_none());
        // Over the bound: urgent, measured from the lowest earlier score.
        let hist = [log(3, 3, 0, 3, 0), log(4, 1, 0, 2, 0), log(5, 2, 0, 1, 0)];
        let a = one(&t, 2, &hist, &log(6, 4, 0, 0, 0));
        let f = a.finding(Reason::Rebound).unwrap();
        assert_eq!(f.severity, Severity::Urgent);
        assert_eq!(f.evidence["symptoms"][0]["lowest"]["day"], 4);
        assert_eq!(f.evidence["symptoms"][0]["lowest"]["score"], 1);
        // Without history there is nothing to compare with.
        assert!(one(&t, 2, &[], &log(6, 6, 0, 0, 0))
            .finding(Reason::Rebound)
            .is_none());
        // Flaking rebounding is normal shedding.
        let hist = [log(3, 0, 0, 0, 0)];
        assert!(one(&t, 2, &hist, &log(4, 0, 0, 6, 0))
            .finding(Reason::Rebound)
            .is_none());
    }

    #[test]
    fn rebound_uses_the_replacement_not_the_old_version() {
        let t = tl(0.5, Area::Face, &[]);
        // An earlier version of day 4 said 0; its replacement says 3, so the
        // lowest earlier score is 3, and day 5 at 5 is a rise of 2.
        let hist = [log(3, 3, 0, 3, 0), log(4, 0, 0, 2, 0), log(4, 3, 0, 2, 0)];
        assert!(one(&t, 2, &hist, &log(5, 5, 0, 1, 0))
            .finding(Reason::Rebound)
            .is_none());
        // Logs after the current date are ignored.
        let hist = [log(6, 0, 0, 0, 0), log(4, 3, 0, 2, 0)];
        assert!(one(&t, 2, &hist, &log(5, 5, 0, 1, 0))
            .finding(Reason::Rebound)
            .is_none());
    }

    // Rule: expected signs raise nothing while expected, routine after.
    #[test]
    fn rule_expected_signs() {
        let t = tl(0.5, Area::Face, &[]);
        let w = i64::from(t.window_days);
        for sign in [Sign::PinpointCrusts, Sign::Itching] {
            for day in 0..=w + EXPECTED_SIGN_EXTRA_DAYS {
                let a = one(&t, 2, &[], &signed(on_course(&t, day), &[sign]));
                assert!(a.findings.is_empty(), "{sign} day {day}");
            }
            let a = one(&t, 2, &[], &signed(log(w + 4, 0, 0, 0, 0), &[sign]));
            assert_eq!(
                reasons(&a),
                [(Reason::LingeringExpectedSigns, Severity::Routine)]
            );
        }
        // Deeper work: a longer window, so longer expected.
        let deep = tl(2.5, Area::Face, &[Addon::Rf]);
        let a = one(
            &deep,
            2,
            &[],
            &signed(on_course(&deep, 2), &[Sign::PinpointCrusts]),
        );
        assert!(a.findings.is_empty());
        for day in [1, 5, 10] {
            let a = one(&t, 2, &[], &signed(on_course(&t, day), &[Sign::Bruising]));
            assert!(a.findings.is_empty(), "bruising day {day}");
        }
        let bruise = signed(log(11, 0, 0, 0, 0), &[Sign::Bruising]);
        assert_eq!(
            reasons(&one(&t, 2, &[], &bruise)),
            [(Reason::LingeringExpectedSigns, Severity::Routine)]
        );
        // On anticoagulants, bruising is expected longer.
        let inputs = RuleInputs {
            anticoagulants: true,
            ..RuleInputs::default()
        };
        assert!(assess(&t, fitz(2), &inputs, &[], &bruise)
            .findings
            .is_empty());
        let late = signed(log(15, 0, 0, 0, 0), &[Sign::Bruising]);
        let a = assess(&t, fitz(2), &inputs, &[], &late);
        assert_eq!(a.findings[0].evidence["expected_until"][0]["day"], 14);
    }

    // Rule: each urgent sign is urgent on any day, grouped by reason.
    #[test]
    fn rule_urgent_signs() {
        let t = tl(1.0, Area::Face, &[]);
        let expect = [
            (Sign::Pus, Reason::InfectionSigns),
            (Sign::YellowCrusts, Reason::InfectionSigns),
            (Sign::Fever, Reason::InfectionSigns),
            (Sign::SpreadingRedness, Reason::InfectionSigns),
            (Sign::IncreasingPainOrWarmth, Reason::InfectionSigns),
            (Sign::BlistersOrColdSores, Reason::InfectionSigns),
            (Sign::Hives, Reason::AllergicReaction),
            (Sign::PersistentBleeding, Reason::PersistentBleeding),
            (Sign::LipTongueOrEyeSwelling, Reason::EmergencySigns),
            (Sign::TroubleBreathing, Reason::EmergencySigns),
        ];
        for (sign, reason) in expect {
            for day in [0, 2, 7, 30] {
                let a = one(&t, 2, &[], &signed(on_course(&t, day), &[sign]));
                assert_eq!(
                    reasons(&a),
                    [(reason, Severity::Urgent)],
                    "{sign} day {day}"
                );
                assert_eq!(a.findings[0].evidence["signs"], json!([sign]));
            }
        }
        // Several signs of one reason make one finding; the emergency first.
        let l = signed(
            on_course(&t, 4),
            &[Sign::Fever, Sign::TroubleBreathing, Sign::Pus, Sign::Fever],
        );
        let a = one(&t, 2, &[], &l);
        assert_eq!(
            reasons(&a),
            [
                (Reason::EmergencySigns, Severity::Urgent),
                (Reason::InfectionSigns, Severity::Urgent)
            ]
        );
        assert_eq!(a.findings[1].evidence["signs"], json!(["pus", "fever"]));
    }

    // Rule: with a history of cold sores, blisters are their own reason.
    #[test]
    fn rule_blisters_with_cold_sore_history() {
        let t = tl(1.0, Area::Face, &[]);
        let inputs = RuleInputs {
            cold_sore_history: true,
            ..RuleInputs::default()
        };
        let l = signed(on_course(&t, 2), &[Sign::BlistersOrColdSores, Sign::Fever]);
        let a = assess(&t, fitz(2), &inputs, &[], &l);
        assert_eq!(
            reasons(&a),
            [
                (Reason::ColdSoreReactivation, Severity::Urgent),
                (Reason::InfectionSigns, Severity::Urgent)
            ]
        );
        assert_eq!(a.findings[0].evidence["cold_sore_history"], true);
        assert!(said(a.findings[0].reason, &a.findings[0].evidence)[0]
            .starts_with("evidence-signs-cold-sore "));
    }

    // Rule: review and routine signs.
    #[test]
    fn rule_review_and_routine_signs() {
        let t = tl(1.0, Area::Face, &[]);
        for (sign, reason, severity) in [
            (Sign::RedBumps, Reason::RedBumps, Severity::Review),
            (Sign::TrackMarks, Reason::TrackMarks, Severity::Review),
            (Sign::WhiteBumps, Reason::WhiteBumps, Severity::Routine),
            (Sign::AcneBreakout, Reason::AcneBreakout, Severity::Routine),
        ] {
            let a = one(&t, 5, &[], &signed(on_course(&t, 12), &[sign]));
            assert_eq!(reasons(&a), [(reason, severity)], "{sign}");
        }
    }

    // Rule: dark patches are a PIH watch: review IV–VI, routine I–III.
    #[test]
    fn rule_dark_patches_by_skin_type() {
        let t = tl(1.0, Area::Face, &[]);
        let l = signed(on_course(&t, 10), &[Sign::DarkPatches]);
        for (f, sev) in [
            (1, Severity::Routine),
            (2, Severity::Routine),
            (3, Severity::Routine),
            (4, Severity::Review),
            (5, Severity::Review),
            (6, Severity::Review),
        ] {
            let a = one(&t, f, &[], &l);
            assert_eq!(reasons(&a), [(Reason::DarkPatches, sev)], "type {f}");
            assert_eq!(a.findings[0].evidence["fitzpatrick"], f);
        }
    }

    #[test]
    fn every_sign_has_a_rule() {
        let t = tl(1.0, Area::Face, &[]);
        for sign in Sign::ALL {
            // Late enough that expected signs are no longer expected.
            let r = sign_rule(sign, 40, &t, fitz(5), &no_inputs());
            assert!(r.is_some(), "{sign}");
            let sev = r.unwrap().1;
            let want = match sign.category() {
                SignCategory::Emergency | SignCategory::Urgent => Severity::Urgent,
                SignCategory::Review => Severity::Review,
                SignCategory::Expected | SignCategory::Routine => Severity::Routine,
            };
            assert_eq!(sev, want, "{sign}");
        }
    }

    /// One scenario day: (day, [redness, swelling, flaking, sensitivity],
    /// signs, the flags it must raise).
    type ScenarioDay = (i64, [i64; 4], Vec<Sign>, Vec<(Reason, Severity)>);

    /// One scenario: a treatment, a skin type, inputs, and day-by-day logs
    /// with the flags each day must raise (reason, severity), in order.
    struct Scenario {
        name: &'static str,
        mm: f64,
        area: Area,
        addons: Vec<Addon>,
        fitzpatrick: i64,
        inputs: RuleInputs,
        days: Vec<ScenarioDay>,
    }

    fn normal(name: &'static str, mm: f64, area: Area) -> Scenario {
        let t = tl(mm, area, &[]);
        Scenario {
            name,
            mm,
            area,
            addons: vec![],
            fitzpatrick: 3,
            inputs: RuleInputs::default(),
            days: (0..=14)
                .map(|d| {
                    let l = on_course(&t, d);
                    let s = |x: Symptom| i64::from(l.scores.get(x));
                    (
                        d,
                        [
                            s(Symptom::Redness),
                            s(Symptom::Swelling),
                            s(Symptom::Flaking),
                            s(Symptom::Sensitivity),
                        ],
                        vec![],
                        vec![],
                    )
                })
                .collect(),
        }
    }

    fn scenarios() -> Vec<Scenario> {
        use Reason as R;
        use Severity::*;
        let face = |name, mm, fitzpatrick, days| Scenario {
            name,
            mm,
            area: Area::Face,
            addons: vec![],
            fitzpatrick,
            inputs: RuleInputs::default(),
            days,
        };
        vec![
            normal("normal 0.5 mm face", 0.5, Area::Face),
            normal("normal 1.5 mm face", 1.5, Area::Face),
            normal("normal 2.5 mm face", 2.5, Area::Face),
            normal("normal 1.0 mm neck", 1.0, Area::Neck),
            face(
                "a typical shallow course with its expected signs",
                0.5,
                3,
                vec![
                    (0, [6, 4, 0, 5], vec![], vec![]),
                    (1, [4, 3, 1, 3], vec![Sign::Bruising], vec![]),
                    (2, [2, 1, 2, 1], vec![Sign::PinpointCrusts], vec![]),
                    (
                        3,
                        [1, 0, 3, 1],
                        vec![Sign::Itching, Sign::PinpointCrusts],
                        vec![],
                    ),
                    (4, [2, 0, 3, 0], vec![Sign::Itching], vec![]),
                    (5, [1, 0, 2, 1], vec![Sign::Itching, Sign::Bruising], vec![]),
                    (6, [0, 0, 1, 2], vec![Sign::Itching], vec![]),
                    (7, [0, 0, 6, 0], vec![], vec![(R::AboveUpperBound, Routine)]),
                    (10, [0, 0, 0, 0], vec![Sign::Bruising], vec![]),
                    (
                        11,
                        [0, 0, 0, 0],
                        vec![Sign::Itching],
                        vec![(R::LingeringExpectedSigns, Routine)],
                    ),
                ],
            ),
            Scenario {
                name: "RF leaves micro-crusts on day 2",
                mm: 1.5,
                area: Area::Face,
                addons: vec![Addon::Rf],
                fitzpatrick: 2,
                inputs: RuleInputs::default(),
                days: vec![
                    (0, [7, 5, 0, 5], vec![], vec![]),
                    (1, [5, 4, 1, 3], vec![], vec![]),
                    (
                        2,
                        [3, 2, 3, 2],
                        vec![Sign::PinpointCrusts, Sign::Itching],
                        vec![],
                    ),
                ],
            },
            face(
                "each urgent sign, one a day",
                1.0,
                2,
                vec![
                    (
                        0,
                        [6, 4, 0, 5],
                        vec![Sign::PersistentBleeding],
                        vec![(R::PersistentBleeding, Urgent)],
                    ),
                    (
                        1,
                        [4, 3, 1, 3],
                        vec![Sign::Hives],
                        vec![(R::AllergicReaction, Urgent)],
                    ),
                    (
                        2,
                        [2, 1, 2, 2],
                        vec![Sign::LipTongueOrEyeSwelling],
                        vec![(R::EmergencySigns, Urgent)],
                    ),
                    (
                        3,
                        [1, 1, 3, 1],
                        vec![Sign::TroubleBreathing],
                        vec![(R::EmergencySigns, Urgent)],
                    ),
                    (
                        4,
                        [1, 0, 2, 1],
                        vec![Sign::Pus, Sign::YellowCrusts],
                        vec![(R::InfectionSigns, Urgent)],
                    ),
                    (
                        5,
                        [1, 0, 1, 0],
                        vec![Sign::Fever, Sign::SpreadingRedness],
                        vec![(R::InfectionSigns, Urgent)],
                    ),
                    (
                        6,
                        [0, 0, 0, 0],
                        vec![Sign::IncreasingPainOrWarmth, Sign::BlistersOrColdSores],
                        vec![(R::InfectionSigns, Urgent)],
                    ),
                ],
            ),
            face(
                "early worsening after a serum",
                0.5,
                2,
                vec![
                    (0, [3, 2, 0, 3], vec![], vec![]),
                    (1, [4, 2, 0, 3], vec![], vec![]),
                    (
                        2,
                        [6, 3, 1, 4],
                        vec![Sign::Itching],
                        vec![(R::EarlyWorsening, Review)],
                    ),
                    (
                        3,
                        [7, 4, 1, 6],
                        vec![Sign::Hives],
                        vec![
                            (R::AllergicReaction, Urgent),
                            (R::Rebound, Urgent),
                            (R::AboveUpperBound, Urgent),
                            (R::EarlyWorsening, Review),
                        ],
                    ),
                ],
            ),
            face(
                "deep treatment, swelling 10 on day 1",
                2.0,
                2,
                vec![
                    (0, [7, 5, 0, 5], vec![], vec![]),
                    (
                        1,
                        [6, 10, 0, 4],
                        vec![],
                        vec![(R::EarlyWorsening, Urgent), (R::AboveUpperBound, Urgent)],
                    ),
                ],
            ),
            face(
                "the same log at 1.0 mm",
                1.0,
                2,
                vec![(1, [6, 10, 0, 4], vec![], vec![(R::AboveUpperBound, Urgent)])],
            ),
            face(
                "rebound inside the bounds",
                0.5,
                2,
                vec![
                    (3, [1, 0, 3, 0], vec![], vec![]),
                    (4, [0, 0, 2, 1], vec![], vec![]),
                    (5, [0, 0, 1, 2], vec![], vec![]),
                ],
            ),
            face(
                "rebound outside the bounds (infection)",
                0.5,
                2,
                vec![
                    (3, [1, 0, 3, 0], vec![], vec![]),
                    (4, [0, 0, 2, 0], vec![], vec![]),
                    (
                        5,
                        [5, 1, 1, 3],
                        vec![Sign::IncreasingPainOrWarmth],
                        vec![
                            (R::InfectionSigns, Urgent),
                            (R::Rebound, Urgent),
                            (R::AboveUpperBound, Review),
                            (R::PersistingBeyondWindow, Review),
                        ],
                    ),
                ],
            ),
            face(
                "dark patches, type II",
                1.0,
                2,
                vec![(
                    14,
                    [0, 0, 0, 0],
                    vec![Sign::DarkPatches],
                    vec![(R::DarkPatches, Routine)],
                )],
            ),
            face(
                "dark patches, type V",
                1.0,
                5,
                vec![(
                    14,
                    [0, 0, 0, 0],
                    vec![Sign::DarkPatches],
                    vec![(R::DarkPatches, Review)],
                )],
            ),
            face(
                "late findings",
                1.5,
                4,
                vec![
                    (
                        20,
                        [0, 0, 0, 0],
                        vec![Sign::RedBumps],
                        vec![(R::RedBumps, Review)],
                    ),
                    (
                        21,
                        [0, 0, 0, 0],
                        vec![Sign::TrackMarks, Sign::WhiteBumps],
                        vec![(R::TrackMarks, Review), (R::WhiteBumps, Routine)],
                    ),
                    (
                        22,
                        [0, 0, 0, 0],
                        vec![Sign::AcneBreakout],
                        vec![(R::AcneBreakout, Routine)],
                    ),
                ],
            ),
        ]
    }

    #[test]
    fn scenario_table() {
        for sc in scenarios() {
            let t = tl(sc.mm, sc.area, &sc.addons);
            let logs: Vec<DayLog> = sc
                .days
                .iter()
                .map(|(d, s, signs, _)| signed(log(*d, s[0], s[1], s[2], s[3]), signs))
                .collect();
            for (i, a) in series(&t, sc.fitzpatrick, &sc.inputs, &logs)
                .iter()
                .enumerate()
            {
                let (day, _, _, want) = &sc.days[i];
                assert_eq!(
                    &reasons(a),
                    want,
                    "{}: day {day}: {:#?}",
                    sc.name,
                    a.findings
                );
                for f in &a.findings {
                    assert!(
                        !describe(f.reason, &f.evidence).is_empty(),
                        "{}: {:?} has words",
                        sc.name,
                        f.reason
                    );
                }
            }
        }
    }

    #[test]
    fn following_the_course_raises_nothing() {
        for (mm, area, addons) in [
            (0.25, Area::Scalp, vec![Addon::Peel]),
            (0.5, Area::Face, vec![]),
            (1.0, Area::Neck, vec![Addon::Peel, Addon::Rf]),
            (1.5, Area::Face, vec![Addon::Serum]),
            (2.5, Area::Face, vec![Addon::Rf]),
            (3.0, Area::Body, vec![Addon::Prp, Addon::Serum]),
        ] {
            let t = tl(mm, area, &addons);
            let logs: Vec<DayLog> = (0..=14).map(|d| on_course(&t, d)).collect();
            for (i, a) in series(&t, 5, &no_inputs(), &logs).iter().enumerate() {
                assert!(
                    a.findings.is_empty(),
                    "{mm} {area} day {i}: {:?}",
                    a.findings
                );
                assert!(a.standings.iter().all(|s| s.standing == Standing::Within));
            }
        }
    }

    #[test]
    fn version_one_bounds_are_capped_too() {
        let v1: &str = Protocol::shipped_json()[0];
        let p = Protocol::from_json(v1).unwrap();
        let t = expected_timeline(&p, DepthMm::parse(2.5).unwrap(), Area::Face, &[]);
        assert_eq!(t.protocol_version, 1);
        let a = one(&t, 2, &[], &log(0, 9, 9, 0, 0));
        assert_eq!(
            a.finding(Reason::AboveUpperBound).unwrap().severity,
            Severity::Urgent
        );
        assert!(a.standings[0].upper <= 8);
    }

    #[test]
    fn describe_speaks_plainly() {
        let t = tl(0.5, Area::Face, &[]);
        let a = one(&t, 2, &[], &log(6, 4, 0, 0, 0));
        let f = a.finding(Reason::AboveUpperBound).unwrap();
        assert_eq!(
            said(f.reason, &f.evidence),
            ["evidence-above-upper-bound symptom=redness score=4 day=6 upper=2"]
        );
        let a = one(&t, 2, &[], &signed(on_course(&t, 4), &[Sign::Pus]));
        assert_eq!(
            said(Reason::InfectionSigns, &a.findings[0].evidence),
            ["evidence-signs signs=pus day=4"]
        );
        let a = one(
            &t,
            2,
            &[],
            &signed(on_course(&t, 4), &[Sign::Pus, Sign::Fever]),
        );
        assert_eq!(
            said(Reason::InfectionSigns, &a.findings[0].evidence),
            ["evidence-signs signs=pus,fever day=4"]
        );
        let hist = [log(3, 1, 0, 3, 0)];
        let a = one(&t, 2, &hist, &log(5, 0, 4, 1, 0));
        assert_eq!(
            said(
                Reason::Rebound,
                &a.finding(Reason::Rebound).unwrap().evidence
            ),
            ["evidence-rebound symptom=swelling score=4 day=5 from_score=0 from_day=3 upper=2"]
        );
        let hist = [log(0, 2, 1, 0, 1), log(1, 3, 1, 0, 1)];
        let a = one(&t, 2, &hist, &log(2, 5, 1, 1, 1));
        let f = a.finding(Reason::EarlyWorsening).unwrap();
        assert_eq!(
            said(f.reason, &f.evidence),
            ["evidence-early-worsening symptom=redness score=5 day=2 from_score=3 from_day=1 expected=2.5"]
        );
        let a = one(
            &t,
            5,
            &[],
            &signed(log(12, 0, 0, 0, 0), &[Sign::DarkPatches]),
        );
        assert!(said(Reason::DarkPatches, &a.findings[0].evidence)[0].ends_with(" skin_type=V"));
        // Old evidence with old codes still reads.
        let old = json!({"day": 3, "signs": ["pus_or_crust"]});
        assert_eq!(
            said(Reason::InfectionSigns, &old),
            ["evidence-signs signs=pus day=3"]
        );
        // Unknown shapes: no sentence.
        assert!(describe(Reason::Rebound, &json!(null)).is_empty());
        let m = missed_logs(
            start(),
            start() + chrono::Duration::days(6),
            &[start()],
            &[],
        )
        .unwrap();
        assert_eq!(
            said(Reason::MissedLogs, &m.evidence),
            ["evidence-missed-logs from_day=1 to_day=5"]
        );
        let daily: Vec<NaiveDate> = (0..=14)
            .map(|d| start() + chrono::Duration::days(d))
            .collect();
        let m = missed_logs(start(), start() + chrono::Duration::days(24), &daily, &[21]).unwrap();
        assert_eq!(
            said(Reason::MissedLogs, &m.evidence),
            ["evidence-missed-check-in day=21"]
        );
    }

    #[test]
    fn weight_counts_scores_and_signs() {
        let t = tl(0.5, Area::Face, &[]);
        let a = one(&t, 2, &[], &log(6, 4, 3, 0, 0));
        assert_eq!(a.finding(Reason::AboveUpperBound).unwrap().weight(), 7);
        let a = one(
            &t,
            2,
            &[],
            &signed(on_course(&t, 4), &[Sign::Pus, Sign::Fever]),
        );
        assert_eq!(a.findings[0].weight(), 20);
        assert_eq!(weight(&json!(null)), 0);
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
        assert!(missed_logs(s, s + chrono::Duration::days(1), &[], &[]).is_none());
        // Day 2: days 0 and 1 complete, both missing.
        let f = missed_logs(s, s + chrono::Duration::days(2), &[], &[]).unwrap();
        assert_eq!(f.reason, Reason::MissedLogs);
        assert_eq!(f.severity, Severity::Routine);
        assert_eq!(f.evidence["runs"][0]["from_day"], 0);
        assert_eq!(f.evidence["runs"][0]["to_day"], 1);
        // Today (day 2) missing and yesterday missing: only one complete day.
        assert!(missed_logs(s, s + chrono::Duration::days(2), &days(&[0]), &[]).is_none());
        // Scattered single gaps are fine.
        assert!(missed_logs(s, s + chrono::Duration::days(8), &days(&[0, 2, 4, 6]), &[]).is_none());
        // Days 3 and 4 missing.
        let f = missed_logs(s, s + chrono::Duration::days(6), &days(&[0, 1, 2, 5]), &[]).unwrap();
        assert_eq!(f.evidence["runs"][0]["from"], "2024-05-09");
        assert_eq!(f.evidence["runs"][0]["days"], 2);
        // The daily window runs to day 14: days 7 and 8 missing count now
        // (they did not when it ended on day 7), 13 and 14 too, 14 and 15 not.
        let through = |last: i64| days(&(0..=last).collect::<Vec<_>>());
        let mut gap = through(6);
        gap.extend(days(&[9, 10, 11, 12, 13, 14]));
        let f = missed_logs(s, s + chrono::Duration::days(30), &gap, &[]).unwrap();
        assert_eq!(f.evidence["runs"][0]["from_day"], 7);
        assert_eq!(f.evidence["runs"][0]["to_day"], 8);
        assert!(missed_logs(s, s + chrono::Duration::days(30), &through(12), &[]).is_some());
        assert!(missed_logs(s, s + chrono::Duration::days(30), &through(13), &[]).is_none());
        // Before treatment or on day 0: nothing complete.
        assert!(missed_logs(s, s, &[], &[]).is_none());
        assert!(missed_logs(s, s - chrono::Duration::days(3), &[], &[]).is_none());
        // Logs outside the daily window and duplicates are harmless.
        let mut v = days(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 20, -2]);
        v.extend(days(&[3, 3]));
        assert!(missed_logs(s, s + chrono::Duration::days(30), &v, &[]).is_none());
    }

    #[test]
    fn missed_check_ins_after_the_daily_logs() {
        let s = d(2024, 5, 6);
        let days = |v: &[i64]| -> Vec<NaiveDate> {
            v.iter().map(|&n| s + chrono::Duration::days(n)).collect()
        };
        let at = |n: i64| s + chrono::Duration::days(n);
        let daily: Vec<i64> = (0..=14).collect();
        let check_ins = [21, 28, 42, 56];
        // Every daily log and no check-in yet due: nothing.
        assert!(missed_logs(s, at(23), &days(&daily), &check_ins).is_none());
        // Day 21 + 2 days of grace complete on day 24.
        let f = missed_logs(s, at(24), &days(&daily), &check_ins).unwrap();
        assert_eq!(f.reason, Reason::MissedLogs);
        assert_eq!(f.severity, Severity::Routine);
        assert_eq!(
            f.evidence["missed_check_ins"],
            json!([{"day": 21, "date": at(21)}])
        );
        assert_eq!(f.evidence["runs"], json!([]));
        // A log within two days either side keeps the check-in.
        for kept in [19, 20, 21, 22, 23] {
            let mut v = daily.clone();
            v.push(kept);
            assert!(
                missed_logs(s, at(24), &days(&v), &check_ins).is_none(),
                "{kept}"
            );
        }
        let mut v = daily.clone();
        v.push(18);
        assert!(missed_logs(s, at(24), &days(&v), &check_ins).is_some());
        // Later check-ins count once due; the plan's own days decide.
        let mut v = daily.clone();
        v.extend([21, 28, 42]);
        assert!(missed_logs(s, at(58), &days(&v), &check_ins).is_none());
        let f = missed_logs(s, at(59), &days(&v), &check_ins).unwrap();
        assert_eq!(f.evidence["missed_check_ins"][0]["day"], 56);
        assert!(missed_logs(s, at(59), &days(&v), &[21, 28]).is_none());
        // Check-ins inside the daily window are covered by the daily rule.
        assert!(missed_logs(s, at(20), &days(&daily), &[10]).is_none());
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
        assert!(missed_logs(start, today, &[], &[]).is_none());
        // One minute later it is 13 March: 11 and 12 March are complete.
        let today = local_date(utc(2024, 3, 12, 10, 0), tz);
        assert_eq!(day_number(performed, tz, today), 2);
        let f = missed_logs(start, today, &[], &[]).unwrap();
        assert_eq!(f.evidence["runs"][0]["from"], "2024-03-11");
        // A log on local 12 March (still 11 March in UTC) breaks the run.
        let logged = local_date(utc(2024, 3, 11, 20, 0), tz);
        assert_eq!(logged, d(2024, 3, 12));
        assert!(missed_logs(start, today, &[logged], &[]).is_none());
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
        assert!(missed_logs(start, today, &[], &[]).is_none());
        // 11 March 00:00 local: 9 and 10 March are complete and missing.
        let today = local_date(utc(2024, 3, 11, 11, 0), tz);
        assert_eq!(day_number(performed, tz, today), 2);
        assert!(missed_logs(start, today, &[], &[]).is_some());
        // Logged in the evening of 10 March local (already 11 March in UTC).
        let logged = local_date(utc(2024, 3, 11, 7, 0), tz);
        assert_eq!(logged, d(2024, 3, 10));
        assert!(missed_logs(start, today, &[logged], &[]).is_none());
    }
}
