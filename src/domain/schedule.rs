//! Expands a reminder plan into dated occurrences in the patient's zone.
//!
//! Rules (also in the README):
//! - **DST gap** (spring forward): a planned local time that does not exist
//!   is read with the UTC offset in force just before the gap, i.e. it is
//!   sent shifted forward by the gap length (02:30 → 03:30 on a 1 h gap).
//! - **DST overlap** (fall back): a planned local time that occurs twice is
//!   sent once, at the first (earlier) instant.
//! - **Quiet hours** `[start, end)`, possibly wrapping midnight: when the
//!   *planned* local time falls inside, the occurrence is moved to the end of
//!   that quiet period (local, same DST rules) and dropped if the moved
//!   instant is at or after `stale_at` (planned instant + `ttl(kind)`).
//! - Identity is (treatment, kind, planned local date, planned local time),
//!   so moving or shifting an occurrence never changes which one it is.

use chrono::{
    DateTime, Days, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
    Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::reminder::{format_hhmm, hhmm, ttl, Preferences, ReminderKind, ReminderPlan};

/// One reminder to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    pub kind: ReminderKind,
    /// Days since treatment (day 0 = treatment day, local).
    pub day: u16,
    pub local_date: NaiveDate,
    /// Planned wall time, before DST and quiet-hour adjustments.
    #[serde(with = "hhmm")]
    pub local_time: NaiveTime,
    /// When to send, after DST and quiet-hour rules.
    pub due_at: DateTime<Utc>,
    /// Planned instant + `ttl(kind)`: not worth sending from then on.
    pub stale_at: DateTime<Utc>,
}

impl Occurrence {
    /// Stable key, e.g. "t123:sunscreen:2026-03-29:08:00"; the same on every
    /// process and every run, so an outbox can insert it at most once.
    pub fn identity(&self, treatment_id: &str) -> String {
        format!(
            "{treatment_id}:{}:{}:{}",
            self.kind.as_str(),
            self.local_date,
            format_hhmm(self.local_time)
        )
    }

    /// Push TTL to use when sending at `now`: the time left until stale,
    /// `None` once stale (skip it).
    pub fn remaining_ttl(&self, now: DateTime<Utc>) -> Option<Duration> {
        let left = self.stale_at - now;
        (left > Duration::zero()).then_some(left)
    }
}

/// Maps a local wall time in `tz` to an instant, applying the DST rules in
/// the module docs (gap: shift forward by the gap; overlap: first instant).
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => {
            // The offset a day earlier is the one before the gap: offsets stay
            // within ±14 h and zones do not change twice within a day.
            let probe = local - Duration::hours(24);
            let before = tz.offset_from_utc_datetime(&probe).fix();
            let utc = local - Duration::seconds(i64::from(before.local_minus_utc()));
            Utc.from_utc_datetime(&utc)
        }
    }
}

/// Every occurrence with `from <= due_at < until`, sorted by `due_at`
/// (ties by kind, date, time). Kinds in `prefs.disabled` are skipped and
/// `prefs.times` replaces the plan's times for that kind on each day the
/// plan has it.
pub fn occurrences(
    plan: &ReminderPlan,
    prefs: &Preferences,
    tz: Tz,
    day0: NaiveDate,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<Occurrence> {
    let mut out = Vec::new();
    occurrences_into(plan, prefs, tz, day0, from, until, &mut out);
    out
}

/// Same as [`occurrences`], appending to `out` so a caller looping over
/// many treatments can reuse one buffer. Existing entries are untouched.
pub fn occurrences_into(
    plan: &ReminderPlan,
    prefs: &Preferences,
    tz: Tz,
    day0: NaiveDate,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    out: &mut Vec<Occurrence>,
) {
    let Some((first_day, last_day)) = plan.day_span() else {
        return;
    };
    if from >= until {
        return;
    }
    let local_date = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    // Only dates whose occurrences can land in the window: due_at is at
    // most one day after the planned instant (ttl <= 24 h bounds quiet-hour
    // moves); one more day each side covers DST shifts across midnight.
    let lo = local_date(from - Duration::hours(24)).checked_sub_days(Days::new(1));
    let hi = local_date(until).checked_add_days(Days::new(1));
    let plan_lo = day0.checked_add_days(Days::new(first_day.into()));
    let plan_hi = day0.checked_add_days(Days::new(last_day.into()));
    let (Some(lo), Some(hi), Some(plan_lo), Some(plan_hi)) = (lo, hi, plan_lo, plan_hi) else {
        return;
    };
    let (mut date, hi) = (lo.max(plan_lo), hi.min(plan_hi));

    let mut disabled = [false; ReminderKind::ALL.len()];
    let mut overrides: [Option<&[NaiveTime]>; ReminderKind::ALL.len()] = Default::default();
    for k in ReminderKind::ALL {
        disabled[k as usize] = prefs.disabled.contains(&k);
        overrides[k as usize] = prefs.times.get(&k).map(Vec::as_slice);
    }

    let start = out.len();
    while date <= hi {
        // In range: date >= plan_lo >= day0 and date - day0 <= last_day.
        let day = (date - day0).num_days() as u16;
        let mut overridden = [false; ReminderKind::ALL.len()];
        for rule in plan.rules.iter().filter(|r| r.covers(day)) {
            let k = rule.kind as usize;
            if disabled[k] {
                continue;
            }
            let times = match overrides[k] {
                // Once per kind and day, however many rules cover the day.
                Some(_) if overridden[k] => continue,
                Some(times) => {
                    overridden[k] = true;
                    times
                }
                None => &rule.times,
            };
            for &time in times {
                if let Some(o) = occurrence(rule.kind, day, date, time, prefs, tz) {
                    if from <= o.due_at && o.due_at < until {
                        out.push(o);
                    }
                }
            }
        }
        match date.succ_opt() {
            Some(next) => date = next,
            None => break,
        }
    }

    let new = &mut out[start..];
    new.sort_unstable_by(|a, b| {
        (a.due_at, a.kind, a.local_date, a.local_time).cmp(&(
            b.due_at,
            b.kind,
            b.local_date,
            b.local_time,
        ))
    });
    // A plan that repeats a time (validate() refuses it) must still yield
    // each identity once; equal identities have equal due_at, so are adjacent.
    let mut kept = start;
    for i in start..out.len() {
        let dup = kept > start && {
            let (p, o) = (&out[kept - 1], &out[i]);
            p.kind == o.kind && p.local_date == o.local_date && p.local_time == o.local_time
        };
        if !dup {
            out.swap(kept, i);
            kept += 1;
        }
    }
    out.truncate(kept);
}

/// Builds one occurrence, or `None` when quiet hours push it past stale.
fn occurrence(
    kind: ReminderKind,
    day: u16,
    date: NaiveDate,
    time: NaiveTime,
    prefs: &Preferences,
    tz: Tz,
) -> Option<Occurrence> {
    let planned = local_to_utc(tz, date.and_time(time));
    let stale_at = planned + ttl(kind);
    let mut due_at = planned;
    if let Some(q) = prefs
        .quiet_hours
        .filter(|q| q.start != q.end && q.contains(time))
    {
        // Evening part of a wrapping period ends tomorrow.
        let end_date = if q.wraps_midnight() && time >= q.start {
            date.succ_opt()?
        } else {
            date
        };
        let moved = local_to_utc(tz, end_date.and_time(q.end));
        if moved >= stale_at {
            return None;
        }
        // A DST gap may already have pushed the planned instant past it.
        due_at = moved.max(planned);
    }
    Some(Occurrence {
        kind,
        day,
        local_date: date,
        local_time: time,
        due_at,
        stale_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reminder::{default_plan, parse_hhmm, QuietHours, ReminderRule};
    use crate::domain::treatment::DepthMm;
    use chrono_tz::America::{New_York, Santiago};
    use chrono_tz::Australia::{Lord_Howe, Sydney};
    use chrono_tz::Europe::Berlin;
    use chrono_tz::Pacific::{Apia, Kiritimati, Pago_Pago};
    use std::collections::BTreeSet;

    fn t(s: &str) -> NaiveTime {
        parse_hhmm(s).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn plan_one(kind: ReminderKind, first_day: u16, last_day: u16, times: &[&str]) -> ReminderPlan {
        ReminderPlan {
            rules: vec![ReminderRule {
                kind,
                first_day,
                last_day,
                times: times.iter().map(|s| t(s)).collect(),
            }],
        }
    }

    fn default() -> ReminderPlan {
        default_plan(DepthMm::parse(1.0).unwrap())
    }

    /// Everything the plan can produce.
    fn all(plan: &ReminderPlan, prefs: &Preferences, tz: Tz, day0: NaiveDate) -> Vec<Occurrence> {
        let from = day0.and_hms_opt(0, 0, 0).unwrap().and_utc() - Duration::days(3);
        occurrences(plan, prefs, tz, day0, from, from + Duration::days(130))
    }

    fn on(occ: &[Occurrence], date: NaiveDate) -> Vec<&Occurrence> {
        occ.iter().filter(|o| o.local_date == date).collect()
    }

    /// A reminder at `time` on `date` (day 1 of a 3-day rule) occurs exactly
    /// once, at `expected`; the neighbouring days are unaffected.
    fn assert_once(tz: Tz, date: &str, time: &str, expected: &str) {
        let date = d(date);
        let day0 = date.pred_opt().unwrap();
        let occ = all(
            &plan_one(ReminderKind::LogSymptoms, 0, 2, &[time]),
            &Preferences::default(),
            tz,
            day0,
        );
        assert_eq!(occ.len(), 3, "{tz} {date}: {occ:?}");
        let hit = on(&occ, date);
        assert_eq!(hit.len(), 1, "{tz} {date}");
        assert_eq!(hit[0].due_at, utc(expected), "{tz} {date} {time}");
        assert_eq!(hit[0].local_time, t(time));
        assert_eq!(hit[0].day, 1);
        assert_eq!(hit[0].stale_at, utc(expected) + Duration::hours(4));
        for o in &occ {
            assert_eq!(
                o.due_at,
                local_to_utc(tz, o.local_date.and_time(o.local_time))
            );
        }
    }

    #[test]
    fn spring_forward_gap_is_shifted_by_gap_length() {
        // 02:30 does not exist; sent at 03:30 summer time.
        assert_once(Berlin, "2026-03-29", "02:30", "2026-03-29T01:30:00Z");
        assert_once(New_York, "2026-03-08", "02:30", "2026-03-08T07:30:00Z");
        assert_once(Sydney, "2026-10-04", "02:30", "2026-10-03T16:30:00Z");
        // Lord Howe: 30-minute gap 02:00 → 02:30; 02:15 → 02:45 (+11).
        assert_once(Lord_Howe, "2026-10-04", "02:15", "2026-10-03T15:45:00Z");
        // Santiago: gap at midnight 00:00 → 01:00; 00:30 → 01:30 (−3).
        assert_once(Santiago, "2026-09-06", "00:30", "2026-09-06T04:30:00Z");
    }

    #[test]
    fn fall_back_overlap_sends_first_instant_once() {
        // Berlin repeats 02:00–03:00; first pass is still CEST (+2).
        assert_once(Berlin, "2026-10-25", "02:30", "2026-10-25T00:30:00Z");
        assert_once(Berlin, "2026-10-25", "01:30", "2026-10-24T23:30:00Z");
        // New York repeats 01:00–02:00; first pass is EDT (−4).
        assert_once(New_York, "2026-11-01", "01:30", "2026-11-01T05:30:00Z");
        // Sydney (southern hemisphere, April) repeats 02:00–03:00; AEDT first.
        assert_once(Sydney, "2026-04-05", "02:30", "2026-04-04T15:30:00Z");
        // Santiago falls back at midnight: 23:30 on 04-04 happens twice.
        assert_once(Santiago, "2026-04-04", "23:30", "2026-04-05T02:30:00Z");
    }

    #[test]
    fn second_pass_of_repeated_hour_sends_nothing() {
        let plan = plan_one(ReminderKind::LogSymptoms, 0, 0, &["01:30"]);
        let day0 = d("2026-11-01");
        let prefs = Preferences::default();
        // 01:30 EST (second pass) is 06:30Z.
        let second = occurrences(
            &plan,
            &prefs,
            New_York,
            day0,
            utc("2026-11-01T06:00:00Z"),
            utc("2026-11-01T07:00:00Z"),
        );
        assert!(second.is_empty(), "{second:?}");
    }

    #[test]
    fn whole_skipped_day_follows_the_gap_rule() {
        // Samoa skipped 2011-12-30 (−10 → +14): 10:00 is sent 24 h later.
        assert_eq!(
            local_to_utc(Apia, d("2011-12-30").and_time(t("10:00"))),
            utc("2011-12-30T20:00:00Z")
        );
    }

    #[test]
    fn date_line_zones_day_zero_and_evening_log() {
        let day0 = d("2026-03-10");
        let prefs = Preferences::default();
        let find = |occ: &[Occurrence], kind, day| {
            let hits: Vec<_> = occ
                .iter()
                .filter(|o| o.kind == kind && o.day == day)
                .cloned()
                .collect();
            assert!(!hits.is_empty());
            hits
        };
        // Kiritimati is UTC+14: local evening is the same UTC morning.
        let k = all(&default(), &prefs, Kiritimati, day0);
        let log0 = find(&k, ReminderKind::LogSymptoms, 0);
        assert_eq!(log0.len(), 1);
        assert_eq!(log0[0].local_date, day0);
        assert_eq!(log0[0].due_at, utc("2026-03-10T06:00:00Z"));
        let moist0 = find(&k, ReminderKind::Moisturize, 0);
        assert_eq!(moist0[0].due_at, utc("2026-03-09T18:30:00Z"));
        assert_eq!(
            find(&k, ReminderKind::LogSymptoms, 14)[0].due_at,
            utc("2026-03-24T06:00:00Z")
        );
        // Pago Pago is UTC−11: local evening is the next UTC morning.
        let p = all(&default(), &prefs, Pago_Pago, day0);
        let log0 = find(&p, ReminderKind::LogSymptoms, 0);
        assert_eq!(log0[0].local_date, day0);
        assert_eq!(log0[0].due_at, utc("2026-03-11T07:00:00Z"));
        assert_eq!(
            find(&p, ReminderKind::Moisturize, 0)[0].due_at,
            utc("2026-03-10T19:30:00Z")
        );
        // Windows narrowed to one UTC day still see these.
        let w = occurrences(
            &default(),
            &prefs,
            Kiritimati,
            day0,
            utc("2026-03-10T00:00:00Z"),
            utc("2026-03-11T00:00:00Z"),
        );
        assert!(w
            .iter()
            .any(|o| o.kind == ReminderKind::LogSymptoms && o.day == 0));
        assert!(w
            .iter()
            .any(|o| o.kind == ReminderKind::Sunscreen && o.day == 1));
        let w = occurrences(
            &default(),
            &prefs,
            Pago_Pago,
            day0,
            utc("2026-03-11T00:00:00Z"),
            utc("2026-03-11T12:00:00Z"),
        );
        let kinds: Vec<_> = w.iter().map(|o| (o.kind, o.day)).collect();
        assert_eq!(
            kinds,
            vec![
                (ReminderKind::LogSymptoms, 0),
                (ReminderKind::Moisturize, 0),
                (ReminderKind::AvoidActives, 0)
            ]
        );
    }

    #[test]
    fn default_plan_counts_and_order() {
        let occ = all(&default(), &Preferences::default(), Berlin, d("2026-05-04"));
        // 15 log + 28+7 sunscreen + 16 moisturize + 8 actives + 6 picking
        // + 1 next session + 2 check-ins.
        assert_eq!(occ.len(), 83);
        assert!(occ.windows(2).all(|w| w[0].due_at <= w[1].due_at));
        let ids: BTreeSet<_> = occ.iter().map(|o| o.identity("t1")).collect();
        assert_eq!(ids.len(), occ.len());
        let next: Vec<_> = occ
            .iter()
            .filter(|o| o.kind == ReminderKind::NextSession)
            .collect();
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].local_date, d("2026-06-01"));
        assert_eq!(next[0].due_at, utc("2026-06-01T08:00:00Z"));
        assert_eq!(
            next[0].identity("t123"),
            "t123:next_session:2026-06-01:10:00"
        );
        let deep = default_plan(DepthMm::parse(2.0).unwrap());
        let occ = all(&deep, &Preferences::default(), Berlin, d("2026-05-04"));
        // Two more check-ins (days 42 and 56) from 1.5 mm.
        assert_eq!(occ.len(), 92);
    }

    #[test]
    fn identity_uses_planned_local_time() {
        let occ = all(
            &plan_one(ReminderKind::Sunscreen, 0, 0, &["02:30"]),
            &Preferences::default(),
            Berlin,
            d("2026-03-29"),
        );
        assert_eq!(occ.len(), 1);
        assert_eq!(occ[0].identity("t123"), "t123:sunscreen:2026-03-29:02:30");
        let json = serde_json::to_value(&occ[0]).unwrap();
        assert_eq!(json["local_time"], "02:30");
        assert_eq!(json["kind"], "sunscreen");
        assert_eq!(json["local_date"], "2026-03-29");
        let back: Occurrence = serde_json::from_value(json).unwrap();
        assert_eq!(back, occ[0]);
    }

    fn quiet(start: &str, end: &str) -> Preferences {
        Preferences {
            quiet_hours: Some(QuietHours {
                start: t(start),
                end: t(end),
            }),
            ..Preferences::default()
        }
    }

    #[test]
    fn wrapping_quiet_hours_move_to_morning_or_drop() {
        let day0 = d("2026-05-04");
        let mut prefs = quiet("21:00", "07:00");
        // next_session keeps 24 h, so moving 21:30 → 07:00 is still fresh.
        prefs
            .times
            .insert(ReminderKind::NextSession, vec![t("21:30")]);
        let occ = all(&default(), &prefs, Berlin, day0);
        // avoid_actives 21:30 (2 h) and moisturize 21:00 (2 h) go stale.
        assert!(!occ.iter().any(|o| o.kind == ReminderKind::AvoidActives));
        assert!(!occ
            .iter()
            .any(|o| o.kind == ReminderKind::Moisturize && o.local_time == t("21:00")));
        let next: Vec<_> = occ
            .iter()
            .filter(|o| o.kind == ReminderKind::NextSession)
            .collect();
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].local_date, d("2026-06-01"));
        assert_eq!(next[0].local_time, t("21:30"));
        assert_eq!(next[0].due_at, utc("2026-06-02T05:00:00Z")); // 07:00 CEST
        assert_eq!(next[0].stale_at, utc("2026-06-02T19:30:00Z"));
        assert_eq!(next[0].identity("t"), "t:next_session:2026-06-01:21:30");
        // Untouched outside quiet hours.
        assert_eq!(
            occ.iter()
                .filter(|o| o.kind == ReminderKind::LogSymptoms)
                .count(),
            15
        );

        // With 22:00–07:00, a 21:30 reminder is outside and stays put.
        let occ = all(&default(), &quiet("22:00", "07:00"), Berlin, day0);
        let actives: Vec<_> = occ
            .iter()
            .filter(|o| o.kind == ReminderKind::AvoidActives)
            .collect();
        assert_eq!(actives.len(), 8);
        assert_eq!(actives[0].due_at, utc("2026-05-04T19:30:00Z"));

        // Morning part of the wrap: 08:00 → 08:15 the same day.
        let occ = all(&default(), &quiet("22:00", "08:15"), Berlin, day0);
        let sun = on(&occ, d("2026-05-05"));
        let sun: Vec<_> = sun
            .iter()
            .filter(|o| o.kind == ReminderKind::Sunscreen)
            .collect();
        assert_eq!(sun.len(), 2);
        assert_eq!(sun[0].local_time, t("08:00"));
        assert_eq!(sun[0].due_at, utc("2026-05-05T06:15:00Z"));
        assert_eq!(sun[0].stale_at, utc("2026-05-05T09:00:00Z"));
    }

    #[test]
    fn daytime_quiet_hours_move_or_drop() {
        let plan = plan_one(ReminderKind::Sunscreen, 1, 1, &["12:30"]);
        let day0 = d("2026-05-04");
        let occ = all(&plan, &quiet("12:00", "14:00"), Berlin, day0);
        assert_eq!(occ.len(), 1);
        assert_eq!(occ[0].due_at, utc("2026-05-05T12:00:00Z")); // 14:00 CEST
                                                                // 16:00 is past the 3 h sunscreen TTL (15:30).
        assert!(all(&plan, &quiet("12:00", "16:00"), Berlin, day0).is_empty());
        // Moved exactly onto stale_at counts as stale.
        assert!(all(&plan, &quiet("12:00", "15:30"), Berlin, day0).is_empty());
        assert_eq!(all(&plan, &quiet("12:00", "15:29"), Berlin, day0).len(), 1);
        // Start is inside, end is not.
        assert_eq!(
            all(&plan, &quiet("12:30", "13:00"), Berlin, day0)[0].due_at,
            utc("2026-05-05T11:00:00Z")
        );
        assert_eq!(
            all(&plan, &quiet("11:00", "12:30"), Berlin, day0)[0].due_at,
            utc("2026-05-05T10:30:00Z")
        );
    }

    #[test]
    fn disabled_kinds_and_time_overrides() {
        let day0 = d("2026-05-04");
        let mut prefs = Preferences::default();
        prefs.disabled.insert(ReminderKind::LogSymptoms);
        prefs.disabled.insert(ReminderKind::NoPicking);
        prefs
            .times
            .insert(ReminderKind::Sunscreen, vec![t("09:15"), t("17:00")]);
        // An override for a disabled kind stays disabled.
        prefs
            .times
            .insert(ReminderKind::LogSymptoms, vec![t("18:00")]);
        let occ = all(&default(), &prefs, Berlin, day0);
        assert!(!occ
            .iter()
            .any(|o| o.kind == ReminderKind::LogSymptoms || o.kind == ReminderKind::NoPicking));
        let sun: Vec<_> = occ
            .iter()
            .filter(|o| o.kind == ReminderKind::Sunscreen)
            .collect();
        // Days 1–28, both override times, once per day despite two rules.
        assert_eq!(sun.len(), 56);
        assert!(
            sun.iter()
                .all(|o| (1..=28).contains(&o.day)
                    && [t("09:15"), t("17:00")].contains(&o.local_time))
        );
        assert_eq!(
            sun[0].identity("t"),
            "t:sunscreen:2026-05-05:09:15".to_string()
        );
        // Other kinds keep their plan times.
        assert_eq!(
            occ.iter()
                .filter(|o| o.kind == ReminderKind::Moisturize)
                .count(),
            16
        );
        // An override for a kind the plan lacks adds nothing.
        let mut prefs = Preferences::default();
        prefs
            .times
            .insert(ReminderKind::NextSession, vec![t("09:00")]);
        let plan = plan_one(ReminderKind::Sunscreen, 0, 3, &["08:00"]);
        assert_eq!(all(&plan, &prefs, Berlin, day0).len(), 4);
    }

    #[test]
    fn window_is_half_open() {
        let plan = plan_one(ReminderKind::Sunscreen, 0, 0, &["08:00"]);
        let prefs = Preferences::default();
        let day0 = d("2026-05-04");
        let due = utc("2026-05-04T06:00:00Z");
        let q = |from, until| occurrences(&plan, &prefs, Berlin, day0, from, until);
        assert_eq!(q(due, due + Duration::seconds(1)).len(), 1);
        assert!(q(due - Duration::hours(1), due).is_empty());
        assert!(q(due + Duration::nanoseconds(1), due + Duration::hours(1)).is_empty());
        assert!(q(due, due).is_empty());
        assert!(q(due + Duration::hours(1), due - Duration::hours(1)).is_empty());
        // Far outside the plan.
        assert!(q(utc("2030-01-01T00:00:00Z"), utc("2030-01-02T00:00:00Z")).is_empty());
    }

    /// Querying consecutive slices must give exactly the whole-window result.
    fn assert_slices_match(
        plan: &ReminderPlan,
        prefs: &Preferences,
        tz: Tz,
        day0: NaiveDate,
        step: Duration,
    ) {
        let from = day0.and_hms_opt(0, 0, 0).unwrap().and_utc() - Duration::days(2);
        let until = from + Duration::days(40);
        let whole = occurrences(plan, prefs, tz, day0, from, until);
        assert!(!whole.is_empty());

        // Two halves, split at every due instant and just after it.
        for o in &whole {
            for mid in [o.due_at, o.due_at + Duration::seconds(1)] {
                let mut union = occurrences(plan, prefs, tz, day0, from, mid);
                occurrences_into(plan, prefs, tz, day0, mid, until, &mut union);
                assert_eq!(union, whole, "{tz} split at {mid}");
            }
        }
        // Scheduler-like ticks.
        let mut union = Vec::new();
        let mut a = from;
        while a < until {
            let b = (a + step).min(until);
            occurrences_into(plan, prefs, tz, day0, a, b, &mut union);
            a = b;
        }
        assert_eq!(union, whole, "{tz} step {step}");
    }

    #[test]
    fn adjacent_windows_have_no_gaps_or_duplicates() {
        let mut prefs = quiet("22:00", "07:00");
        prefs
            .times
            .insert(ReminderKind::NextSession, vec![t("23:00")]);
        prefs
            .times
            .insert(ReminderKind::Moisturize, vec![t("02:30"), t("06:00")]);
        // Overrides that hit DST gaps and repeated hours in these zones.
        let mut dst = quiet("02:00", "02:45");
        dst.times.insert(
            ReminderKind::LogSymptoms,
            vec![t("00:30"), t("01:30"), t("02:30"), t("23:30")],
        );
        // Each zone crosses a DST change on day 3–7, or has none.
        let cases = [
            (Berlin, d("2026-03-24")),
            (Berlin, d("2026-10-20")),
            (New_York, d("2026-10-25")),
            (Sydney, d("2026-03-30")),
            (Sydney, d("2026-09-30")),
            (Santiago, d("2026-04-01")),
            (Santiago, d("2026-09-01")),
            (Kiritimati, d("2026-03-10")),
            (Pago_Pago, d("2026-03-10")),
        ];
        for (tz, day0) in cases {
            for p in [&Preferences::default(), &prefs, &dst] {
                assert_slices_match(&default(), p, tz, day0, Duration::minutes(37));
            }
        }
        assert_slices_match(
            &default(),
            &prefs,
            Berlin,
            d("2026-03-20"),
            Duration::hours(1),
        );
    }

    #[test]
    fn appending_keeps_earlier_entries() {
        let plan = plan_one(ReminderKind::Sunscreen, 0, 0, &["08:00"]);
        let prefs = Preferences::default();
        let day0 = d("2026-05-04");
        let (from, until) = (utc("2026-05-04T00:00:00Z"), utc("2026-05-05T00:00:00Z"));
        let mut buf = occurrences(&plan, &prefs, Berlin, day0, from, until);
        // Same occurrence for another treatment must not be merged away.
        occurrences_into(&plan, &prefs, Berlin, day0, from, until, &mut buf);
        assert_eq!(buf.len(), 2);
    }

    #[test]
    fn duplicate_times_in_an_unvalidated_plan_yield_one_occurrence() {
        let mut plan = plan_one(ReminderKind::Sunscreen, 0, 2, &["08:00", "08:00"]);
        plan.rules.push(plan.rules[0].clone());
        assert!(plan.validate().is_err());
        let occ = all(&plan, &Preferences::default(), Berlin, d("2026-05-04"));
        assert_eq!(occ.len(), 3);
    }

    #[test]
    fn remaining_ttl_counts_down_to_stale() {
        let occ = all(
            &plan_one(ReminderKind::Sunscreen, 0, 0, &["08:00"]),
            &Preferences::default(),
            Berlin,
            d("2026-05-04"),
        );
        let o = &occ[0];
        assert_eq!(o.remaining_ttl(o.due_at), Some(Duration::hours(3)));
        assert_eq!(
            o.remaining_ttl(o.due_at + Duration::hours(2)),
            Some(Duration::hours(1))
        );
        assert_eq!(o.remaining_ttl(o.stale_at), None);
    }
}
