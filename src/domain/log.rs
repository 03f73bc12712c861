//! A patient's daily log as entered, validated the same way whether it comes
//! through `PUT` or through sync.

use chrono::NaiveDate;

use crate::domain::text::Note;
use crate::domain::treatment::{Score, Scores, Sign};

/// Longest note a patient can attach to a log (characters).
pub const NOTE_MAX_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub scores: Scores,
    /// Sorted, without duplicates.
    pub signs: Vec<Sign>,
    pub note: Option<String>,
}

/// Raw values as the client sent them.
pub struct RawLog<'a> {
    pub redness: i64,
    pub swelling: i64,
    pub flaking: i64,
    pub sensitivity: i64,
    pub signs: &'a [String],
    pub note: Option<&'a str>,
}

impl LogEntry {
    /// Validates every field; the errors name each offending field.
    pub fn parse(raw: RawLog<'_>) -> Result<Self, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let mut score = |field: &str, v: i64| match Score::parse(v) {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push((field.to_string(), e));
                None
            }
        };
        let r = score("redness", raw.redness);
        let sw = score("swelling", raw.swelling);
        let f = score("flaking", raw.flaking);
        let se = score("sensitivity", raw.sensitivity);
        if raw.signs.len() > Sign::ALL.len() {
            errors.push(("signs".into(), format!("at most {} signs", Sign::ALL.len())));
        }
        let mut signs = Vec::new();
        for (i, s) in raw.signs.iter().enumerate() {
            match Sign::parse(s) {
                Ok(sign) => signs.push(sign),
                Err(e) => errors.push((format!("signs[{i}]"), e)),
            }
        }
        signs.sort_by_key(|s| s.as_str());
        signs.dedup();
        let note = match raw.note.map(|n| Note::parse(n, NOTE_MAX_CHARS)) {
            None | Some(Ok(None)) => None,
            Some(Ok(Some(n))) => Some(n.into_string()),
            Some(Err(e)) => {
                errors.push(("note".into(), e));
                None
            }
        };
        match (r, sw, f, se) {
            (Some(redness), Some(swelling), Some(flaking), Some(sensitivity))
                if errors.is_empty() =>
            {
                Ok(Self {
                    scores: Scores {
                        redness,
                        swelling,
                        flaking,
                        sensitivity,
                    },
                    signs,
                    note,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Logs are accepted through this day: late check-ins (PIH, granulomas)
/// come weeks after treatment; past three months a new course is due.
pub const LAST_LOG_DAY: i64 = 90;

/// Why a log date is refused, given day 0 and today in the patient's zone;
/// `grace_days` after today are still accepted (synced logs, see
/// `sync_push::SYNCED_LOG_GRACE_DAYS`; none over REST).
pub fn check_log_date(
    date: NaiveDate,
    day0: NaiveDate,
    today: NaiveDate,
    grace_days: u32,
) -> Result<i64, String> {
    if date < day0 {
        return Err(format!("{date} is before the treatment day ({day0})"));
    }
    let day = (date - day0).num_days();
    if day > LAST_LOG_DAY {
        return Err(format!(
            "{date} is day {day} after the treatment; logs are kept through day {LAST_LOG_DAY}"
        ));
    }
    let latest = today + chrono::Days::new(u64::from(grace_days));
    if date > latest {
        return Err(match grace_days {
            0 => format!("{date} is after today ({today}) in your time zone"),
            g => format!("{date} is more than {g} day(s) after today ({today}) in your time zone"),
        });
    }
    Ok(day)
}

pub fn signs_to_text(signs: &[Sign]) -> String {
    signs
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Stored signs were validated on the way in; codes of the earlier list are
/// read as what they meant, unknown ones are skipped.
/// Sorted and unique like a parsed entry's signs.
pub fn signs_from_text(text: &str) -> Vec<Sign> {
    let mut signs: Vec<Sign> = text
        .split(',')
        .filter(|s| !s.is_empty())
        .filter_map(Sign::parse_stored)
        .collect();
    signs.sort_by_key(|s| s.as_str());
    signs.dedup();
    signs
}

/// Last day of the daily-log period (the `log_symptoms` reminders run days 0–14).
pub const DAILY_LOG_LAST_DAY: i64 = 14;

/// Days of the daily-log period (day 0 to `last_day`) that are over
/// (before `today`) and have no log: what the patients list shows.
pub fn missed_days(day0: NaiveDate, today: NaiveDate, logged: &[NaiveDate], last_day: i64) -> i64 {
    let end = (today - chrono::Days::new(1)).min(day0 + chrono::Days::new(last_day.max(0) as u64));
    day0.iter_days()
        .take_while(|d| *d <= end)
        .filter(|d| !logged.contains(d))
        .count() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missed_days_count_only_finished_days_of_the_log_period() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let day0 = d("2026-03-01");
        // Today is day 4: days 0-3 are over; day 1 was logged.
        assert_eq!(
            missed_days(day0, d("2026-03-05"), &[d("2026-03-02")], 14),
            3
        );
        // Today (day 0) is not over yet.
        assert_eq!(missed_days(day0, day0, &[], 14), 0);
        // Long after the period: only its 3 days count.
        assert_eq!(missed_days(day0, d("2026-06-01"), &[day0], 2), 2);
    }

    fn raw<'a>(scores: [i64; 4], signs: &'a [String], note: Option<&'a str>) -> RawLog<'a> {
        RawLog {
            redness: scores[0],
            swelling: scores[1],
            flaking: scores[2],
            sensitivity: scores[3],
            signs,
            note,
        }
    }

    #[test]
    fn a_valid_log_parses_with_sorted_unique_signs() {
        let signs = vec!["white_bumps".to_string(), "fever".into(), "fever".into()];
        let e = LogEntry::parse(raw([3, 2, 1, 0], &signs, Some("  itchy  "))).unwrap();
        assert_eq!(e.signs, vec![Sign::Fever, Sign::WhiteBumps]);
        assert_eq!(e.note.as_deref(), Some("itchy"));
        assert_eq!(signs_from_text(&signs_to_text(&e.signs)), e.signs);
    }

    #[test]
    fn every_bad_field_is_named() {
        let signs = vec!["glitter".to_string()];
        let long = "x".repeat(NOTE_MAX_CHARS + 1);
        let errs = LogEntry::parse(raw([11, -1, 0, 0], &signs, Some(&long))).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["redness", "swelling", "signs[0]", "note"]);
    }

    #[test]
    fn log_dates_are_bounded_by_day0_and_today() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let check_log_date = |date, day0, today| check_log_date(date, day0, today, 0);
        assert_eq!(
            check_log_date(d("2026-03-02"), d("2026-03-01"), d("2026-03-05")),
            Ok(1)
        );
        assert_eq!(
            check_log_date(d("2026-03-01"), d("2026-03-01"), d("2026-03-01")),
            Ok(0)
        );
        assert!(check_log_date(d("2026-02-28"), d("2026-03-01"), d("2026-03-05")).is_err());
        assert!(check_log_date(d("2026-03-06"), d("2026-03-01"), d("2026-03-05")).is_err());
        // Late check-ins through day 90, none after.
        assert_eq!(
            check_log_date(d("2026-05-30"), d("2026-03-01"), d("2026-07-01")),
            Ok(90)
        );
        let err = check_log_date(d("2026-05-31"), d("2026-03-01"), d("2026-07-01")).unwrap_err();
        assert!(err.contains("day 91"), "{err}");
    }

    #[test]
    fn a_grace_day_accepts_tomorrow_but_not_the_day_after() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let (day0, today) = (d("2026-03-01"), d("2026-03-05"));
        assert_eq!(check_log_date(d("2026-03-06"), day0, today, 1), Ok(5));
        let err = check_log_date(d("2026-03-07"), day0, today, 1).unwrap_err();
        assert!(err.contains("more than 1 day"), "{err}");
        // Before day 0 and past the last log day stay refused.
        assert!(check_log_date(d("2026-02-28"), day0, today, 1).is_err());
        assert!(check_log_date(d("2026-05-31"), day0, d("2026-05-30"), 1).is_err());
    }
}
