//! The console's words in the staff member's language: messages from the
//! catalogues (`locales/*/console.ftl`, and the shared labels of signs,
//! symptoms, risk factors and flag reasons), and instants, dates and
//! decimals written the way the locale writes them. The formats themselves
//! are catalogue entries too, so a new locale needs no code.

use std::fmt::Write;

use chrono::{DateTime, NaiveDate, TimeZone};
use chrono_tz::Tz;

use crate::domain::assessment::{Arg as EvidenceArg, Sentence};
use crate::i18n::{self, Arg, Locale};

/// One reader's translator; cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr(pub Locale);

impl Tr {
    pub fn locale(self) -> Locale {
        self.0
    }

    /// The message `key`.
    pub fn t(self, key: &str) -> String {
        i18n::t(self.0, key)
    }

    /// The message `key` with arguments.
    pub fn f(self, key: &str, args: &[(&str, Arg)]) -> String {
        i18n::render(self.0, key, args)
    }

    /// The label of a code (`prefix` + code), or the code in words when no
    /// catalogue knows it (a code stored before the list changed).
    fn label(self, prefix: &str, code: &str) -> String {
        let key = format!("{prefix}{code}");
        if i18n::has(Locale::FALLBACK, &key) {
            self.t(&key)
        } else {
            words(code)
        }
    }

    /// A flag reason's label (the same the patient's app shows).
    pub fn reason(self, code: &str) -> String {
        self.label("flag-", code)
    }

    pub fn sign(self, code: &str) -> String {
        self.label("sign-", code)
    }

    pub fn symptom(self, code: &str) -> String {
        self.label("symptom-", code)
    }

    pub fn risk(self, code: &str) -> String {
        self.label("risk-", code)
    }

    pub fn area(self, code: &str) -> String {
        self.label("console-area-", code)
    }

    pub fn addon(self, code: &str) -> String {
        self.label("console-addon-", code)
    }

    pub fn severity(self, code: &str) -> String {
        self.label("console-severity-", code)
    }

    pub fn status(self, code: &str) -> String {
        self.label("console-status-", code)
    }

    pub fn reminder(self, code: &str) -> String {
        self.label("console-reminder-", code)
    }

    pub fn role(self, code: &str) -> String {
        self.label("console-role-", code)
    }

    /// What was done to a flag (`acknowledged`, `resolved`, …).
    pub fn action(self, code: &str) -> String {
        self.label("console-action-", code)
    }

    /// A flag event of an alert (`opened`, `escalated`, …).
    pub fn event(self, code: &str) -> String {
        self.label("console-event-", code)
    }

    /// "a, b and c" in the locale's words.
    pub fn list(self, items: &[String]) -> String {
        match items {
            [] => String::new(),
            [one] => one.clone(),
            [rest @ .., last] => self.f(
                "console-list-and",
                &[
                    ("first", rest.join(&self.t("console-list-separator")).into()),
                    ("last", last.as_str().into()),
                ],
            ),
        }
    }

    fn formatted(self, key: &str, write: impl Fn(&str, &mut String) -> std::fmt::Result) -> String {
        let mut out = String::new();
        // A broken pattern in a catalogue must not break a page: English's.
        if write(&self.t(key), &mut out).is_ok() {
            return out;
        }
        out.clear();
        let _ = write(&i18n::t(Locale::FALLBACK, key), &mut out);
        out
    }

    /// A moment in a zone, with the zone's abbreviation.
    pub fn datetime<T: TimeZone>(self, t: &DateTime<T>) -> String
    where
        T::Offset: std::fmt::Display,
    {
        self.formatted("console-format-datetime", |pattern, out| {
            write!(out, "{}", t.format(pattern))
        })
    }

    pub fn date(self, d: NaiveDate) -> String {
        self.formatted("console-format-date", |pattern, out| {
            write!(out, "{}", d.format(pattern))
        })
    }

    /// A local date stored as `YYYY-MM-DD`, in the locale's way; as stored
    /// when it does not parse.
    pub fn stored_date(self, s: &str) -> String {
        s.parse::<NaiveDate>()
            .map(|d| self.date(d))
            .unwrap_or_else(|_| s.to_string())
    }

    /// An instant (ms since the epoch) in `tz`.
    pub fn instant(self, tz: Tz, ms: i64) -> String {
        let t = DateTime::from_timestamp_millis(ms).unwrap_or_default();
        self.datetime(&t.with_timezone(&tz))
    }

    /// `v` with `digits` decimals and the locale's decimal separator.
    pub fn decimal(self, v: f64, digits: usize) -> String {
        let s = format!("{v:.digits$}");
        match self.t("console-decimal-separator").as_str() {
            "." => s,
            sep => s.replace('.', sep),
        }
    }

    /// A number that may be fractional (2.5): whole numbers plainly, others
    /// with one decimal.
    pub fn number(self, v: f64) -> Arg {
        if v.fract() == 0.0 && v.abs() < 1e15 {
            Arg::Number(v as i64)
        } else {
            Arg::Text(self.decimal(v, 1))
        }
    }

    /// A sentence of a flag's evidence.
    pub fn sentence(self, s: &Sentence) -> String {
        let args: Vec<(&str, Arg)> = s
            .args
            .iter()
            .map(|(name, a)| {
                let v = match a {
                    EvidenceArg::Number(n) => self.number(*n),
                    EvidenceArg::Symptom(code) => Arg::Text(self.symptom(code)),
                    EvidenceArg::Signs(codes) => {
                        let labels: Vec<String> = codes.iter().map(|c| self.sign(c)).collect();
                        Arg::Text(if labels.is_empty() {
                            self.t("console-evidence-signs-unnamed")
                        } else {
                            self.list(&labels)
                        })
                    }
                    EvidenceArg::SkinType(roman) => Arg::Text((*roman).to_string()),
                };
                (*name, v)
            })
            .collect();
        self.f(s.key, &args)
    }
}

/// `snake_case` codes as words, for codes no catalogue knows:
/// "pus_or_crust" → "Pus or crust".
pub fn words(code: &str) -> String {
    let s = code.replace('_', " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assessment::{describe, Reason};
    use serde_json::json;

    const EN: Tr = Tr(Locale::En);
    const TR: Tr = Tr(Locale::Tr);

    /// Every key the console and the alerts name in code, and every label
    /// of a known code, is in every locale's own catalogue (the shared
    /// completeness test then keeps placeholders equal).
    #[test]
    fn every_key_the_console_uses_exists_in_every_locale() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("views.rs"),
            include_str!("flags.rs"),
            include_str!("patients.rs"),
            include_str!("admin.rs"),
            include_str!("alerts.rs"),
            include_str!("auth.rs"),
            include_str!("chart.rs"),
            include_str!("i18n.rs"),
            include_str!("../domain/assessment.rs"),
        ];
        let prefixes = ["\"console-", "\"evidence-", "\"email-", "\"day-label\""];
        let mut keys: Vec<String> = Vec::new();
        for src in sources {
            for prefix in prefixes {
                for (at, _) in src.match_indices(prefix) {
                    let rest = &src[at + 1..];
                    let key: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                        .collect();
                    // Prefixes of code labels end with '-'; they are checked below.
                    if rest[key.len()..].starts_with('"') && !key.ends_with('-') {
                        keys.push(key);
                    }
                }
            }
        }
        let codes = |prefix: &str, codes: &[&str]| {
            codes
                .iter()
                .map(|c| format!("{prefix}{c}"))
                .collect::<Vec<_>>()
        };
        use crate::domain::treatment::{Addon, Area, Symptom};
        use crate::domain::{reminder::ReminderKind, risk::RiskFactor, signs::Sign};
        keys.extend(codes("console-severity-", &crate::app::clinic::SEVERITIES));
        keys.extend(codes("email-severity-", &crate::app::clinic::SEVERITIES));
        keys.extend(codes(
            "console-status-",
            &["active", "open", "acknowledged", "resolved"],
        ));
        keys.extend(codes(
            "console-action-",
            &[
                "raised",
                "reopened",
                "acknowledged",
                "resolved",
                "escalated",
            ],
        ));
        keys.extend(codes(
            "console-event-",
            &["opened", "reopened", "escalated", "resolved"],
        ));
        keys.extend(codes("console-role-", &["admin", "clinician", "patient"]));
        keys.extend(codes(
            "console-staff-action-",
            &[
                "deactivate",
                "reactivate",
                "make_admin",
                "make_clinician",
                "reset_code",
            ],
        ));
        keys.extend(codes("console-area-", &Area::ALL.map(|a| a.as_str())));
        keys.extend(codes("console-addon-", &Addon::ALL.map(|a| a.as_str())));
        keys.extend(codes(
            "console-reminder-",
            &ReminderKind::ALL.map(|k| k.as_str()),
        ));
        keys.extend(codes("symptom-", &Symptom::ALL.map(|s| s.as_str())));
        keys.extend(codes("sign-", &Sign::ALL.map(|s| s.as_str())));
        keys.extend(codes("risk-", &RiskFactor::ALL.map(|r| r.as_str())));
        keys.extend(codes("flag-", &Reason::ALL.map(|r| r.as_str())));
        keys.extend(codes("console-caution-", &["keloid_tendency_deep"]));
        for event in ["opened", "reopened", "escalated", "resolved"] {
            keys.extend(codes(&format!("email-{event}-"), &["subject", "lead"]));
        }
        for kind in ["escalated", "reopened", "urgent", "opened"] {
            keys.extend(codes(&format!("alert-push-{kind}-"), &["title", "body"]));
        }
        assert!(keys.len() > 300, "the scan found the keys: {}", keys.len());
        let mut missing = Vec::new();
        for locale in Locale::ALL {
            for key in &keys {
                if !i18n::has(locale, key) {
                    missing.push(format!("{locale}: {key}"));
                }
            }
        }
        assert!(missing.is_empty(), "missing: {missing:#?}");
    }

    #[test]
    fn instants_dates_and_decimals_follow_the_locale() {
        let istanbul: Tz = "Europe/Istanbul".parse().unwrap();
        // 2026-11-28 11:05 UTC is 14:05 in Istanbul.
        let ms = 1_795_863_900_000;
        assert_eq!(TR.instant(istanbul, ms), "28.11.2026 14:05 +03");
        assert_eq!(EN.instant(istanbul, ms), "2026-11-28 14:05 +03");
        let d = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(TR.date(d), "28.11.2026");
        assert_eq!(EN.stored_date("2026-11-28"), "2026-11-28");
        assert_eq!(TR.stored_date("not a date"), "not a date");
        assert_eq!(TR.decimal(1.5, 2), "1,50");
        assert_eq!(EN.decimal(1.5, 2), "1.50");
        assert_eq!(TR.number(2.5), Arg::Text("2,5".into()));
        assert_eq!(TR.number(4.0), Arg::Number(4));
    }

    #[test]
    fn codes_become_labels_and_unknown_codes_words() {
        assert_eq!(EN.sign("pus"), "Pus");
        assert_eq!(TR.symptom("redness"), "Kızarıklık");
        assert_eq!(EN.reason("something_new"), "Something new");
        assert_eq!(words("pus_or_crust"), "Pus or crust");
        assert_eq!(words(""), "");
    }

    #[test]
    fn lists_join_with_the_locales_and() {
        let three = ["a".to_string(), "b".into(), "c".into()];
        assert_eq!(EN.list(&three), "a, b and c");
        assert_eq!(TR.list(&three), "a, b ve c");
        assert_eq!(TR.list(&three[..1]), "a");
    }

    #[test]
    fn evidence_reads_in_both_languages() {
        let ev = json!({"day": 6, "symptoms": [{"symptom": "redness", "score": 4, "upper": 2}]});
        let s = &describe(Reason::AboveUpperBound, &ev)[0];
        assert_eq!(EN.sentence(s), "Redness 4 on day 6, expected at most 2");
        assert_eq!(TR.sentence(s), "Kızarıklık 6. günde 4, beklenen en fazla 2");
        let ev = json!({"day": 4, "signs": ["pus", "fever"]});
        let s = &describe(Reason::InfectionSigns, &ev)[0];
        assert_eq!(EN.sentence(s), "Pus and Fever or chills reported on day 4");
        let ev = json!({"day": 2, "symptoms": [{"symptom": "redness", "score": 5,
            "expected": 2.5, "day0": {"score": 3, "day": 1}}]});
        let s = &describe(Reason::EarlyWorsening, &ev)[0];
        assert_eq!(
            TR.sentence(s),
            "Kızarıklık 1. gündeki 3 değerinden 2. günde 5 değerine yükseldi, beklenen yaklaşık 2,5"
        );
    }
}
