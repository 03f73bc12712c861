//! The fixed list of signs a patient can tick on a daily log, with the
//! category that decides what each one means. The patient's words for them
//! are in the catalogues (`locales/*/signs.ftl`); the rules that turn a
//! category into a flag live in `assessment`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The emergency number a patient is told to call when a clinic has not set
/// its own (the European emergency number).
pub const DEFAULT_EMERGENCY_NUMBER: &str = "112";

/// A sign a patient can tick on a daily log. Codes are stable: the API, the
/// sync table `symptom_logs.signs` and the console use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sign {
    Pus,
    YellowCrusts,
    PinpointCrusts,
    Fever,
    SpreadingRedness,
    IncreasingPainOrWarmth,
    BlistersOrColdSores,
    Hives,
    Itching,
    LipTongueOrEyeSwelling,
    TroubleBreathing,
    PersistentBleeding,
    Bruising,
    DarkPatches,
    WhiteBumps,
    RedBumps,
    AcneBreakout,
    TrackMarks,
}

/// What a sign means clinically; `assessment` turns it into a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignCategory {
    /// Urgent, and the patient is told to call the emergency number now.
    Emergency,
    /// Urgent: infection, allergy, bleeding.
    Urgent,
    /// Part of a normal course for a while; routine once it lasts longer.
    Expected,
    /// A clinician should look at it (review; dark patches depend on skin type).
    Review,
    /// Worth a note, not a worry.
    Routine,
}

impl SignCategory {
    pub fn as_str(&self) -> &'static str {
        match self {
            SignCategory::Emergency => "emergency",
            SignCategory::Urgent => "urgent",
            SignCategory::Expected => "expected",
            SignCategory::Review => "review",
            SignCategory::Routine => "routine",
        }
    }
}

/// One row of the sign table.
pub struct SignInfo {
    pub sign: Sign,
    pub code: &'static str,
    pub category: SignCategory,
    /// Short English label, for the clinician console until it reads the
    /// catalogues. Patients get `sign-<code>` and `sign-<code>-look-for`.
    pub label: &'static str,
}

const fn row(
    sign: Sign,
    code: &'static str,
    category: SignCategory,
    label: &'static str,
) -> SignInfo {
    SignInfo {
        sign,
        code,
        category,
        label,
    }
}

use SignCategory::{Emergency, Expected, Review, Routine, Urgent};

/// The sign table, in the order the app lists the check boxes.
#[rustfmt::skip]
pub const SIGNS: [SignInfo; 18] = [
    row(Sign::Pus, "pus", Urgent, "Pus"),
    row(Sign::YellowCrusts, "yellow_crusts", Urgent, "Yellow (honey-coloured) crusts"),
    row(Sign::PinpointCrusts, "pinpoint_crusts", Expected, "Tiny dark dots or micro-crusts"),
    row(Sign::Fever, "fever", Urgent, "Fever or chills"),
    row(Sign::SpreadingRedness, "spreading_redness", Urgent, "Redness that is spreading"),
    row(Sign::IncreasingPainOrWarmth, "increasing_pain_or_warmth", Urgent, "More pain or heat"),
    row(Sign::BlistersOrColdSores, "blisters_or_cold_sores", Urgent, "Blisters or cold sores"),
    row(Sign::Hives, "hives", Urgent, "Hives (raised itchy welts)"),
    row(Sign::Itching, "itching", Expected, "Itching"),
    row(Sign::LipTongueOrEyeSwelling, "lip_tongue_or_eye_swelling", Emergency, "Swollen lips, tongue or eyes"),
    row(Sign::TroubleBreathing, "trouble_breathing", Emergency, "Trouble breathing or swallowing"),
    row(Sign::PersistentBleeding, "persistent_bleeding", Urgent, "Bleeding that does not stop"),
    row(Sign::Bruising, "bruising", Expected, "Bruising"),
    row(Sign::DarkPatches, "dark_patches", Review, "Dark patches"),
    row(Sign::WhiteBumps, "white_bumps", Routine, "Tiny white bumps"),
    row(Sign::RedBumps, "red_bumps", Review, "Firm red bumps"),
    row(Sign::AcneBreakout, "acne_breakout", Routine, "Acne breakout"),
    row(Sign::TrackMarks, "track_marks", Review, "Lines or a grid pattern"),
];

/// Codes of an earlier list that are still read from stored logs: each is
/// mapped to the sign it always meant (both were urgent).
const LEGACY: [(&str, Sign); 2] = [
    ("pus_or_crust", Sign::Pus),
    ("hives_or_itching", Sign::Hives),
];

fn one_of(got: &str) -> String {
    let names: Vec<&str> = SIGNS.iter().map(|r| r.code).collect();
    format!(
        "warning sign must be one of {}, not \"{got}\"",
        names.join(", ")
    )
}

impl Sign {
    pub const ALL: [Sign; 18] = {
        let mut out = [Sign::Pus; 18];
        let mut i = 0;
        while i < 18 {
            out[i] = SIGNS[i].sign;
            i += 1;
        }
        out
    };

    pub fn info(&self) -> &'static SignInfo {
        // The table is checked by a test to hold every sign once.
        SIGNS
            .iter()
            .find(|r| r.sign == *self)
            .expect("every sign has a row")
    }

    pub fn as_str(&self) -> &'static str {
        self.info().code
    }

    pub fn category(&self) -> SignCategory {
        self.info().category
    }

    pub fn label(&self) -> &'static str {
        self.info().label
    }

    /// Codes of the current list only (what clients send).
    /// Exactly one of the codes: the contract's enum is lower case, and a
    /// client that sends `"Fever"` is told so rather than guessed at.
    pub fn parse(s: &str) -> Result<Self, String> {
        SIGNS
            .iter()
            .find(|r| r.code == s)
            .map(|r| r.sign)
            .ok_or_else(|| one_of(s))
    }

    /// Codes as stored: the current list, or an earlier code that is mapped
    /// to what it meant (logs written before the list changed).
    pub fn parse_stored(s: &str) -> Option<Self> {
        Sign::parse(s).ok().or_else(|| {
            LEGACY
                .iter()
                .find(|(code, _)| *code == s.trim())
                .map(|(_, sign)| *sign)
        })
    }
}

impl fmt::Display for Sign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The catalogue key of the advice a log with an emergency sign answers
/// with; its `$number` is the clinic's emergency number.
pub const EMERGENCY_ADVICE: &str = "emergency-advice";

/// The emergency signs among `signs`, in table order.
pub fn emergency_signs(signs: &[Sign]) -> Vec<Sign> {
    Sign::ALL
        .into_iter()
        .filter(|s| s.category() == SignCategory::Emergency && signs.contains(s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_holds_each_sign_once_with_words() {
        assert_eq!(SIGNS.len(), 18);
        for (i, r) in SIGNS.iter().enumerate() {
            assert_eq!(Sign::ALL[i], r.sign);
            assert_eq!(SIGNS.iter().filter(|x| x.sign == r.sign).count(), 1);
            assert_eq!(SIGNS.iter().filter(|x| x.code == r.code).count(), 1);
            assert!(!r.label.is_empty(), "{}", r.code);
            for locale in crate::i18n::Locale::ALL {
                for key in [
                    format!("sign-{}", r.code),
                    format!("sign-{}-look-for", r.code),
                ] {
                    assert!(crate::i18n::has(locale, &key), "{locale} {key}");
                }
            }
            // The serde name and the table code agree.
            assert_eq!(serde_json::to_value(r.sign).unwrap(), r.code);
            assert_eq!(Sign::parse(r.code), Ok(r.sign));
        }
    }

    #[test]
    fn the_issue_list_in_its_categories() {
        let of = |c: SignCategory| -> Vec<&str> {
            SIGNS
                .iter()
                .filter(|r| r.category == c)
                .map(|r| r.code)
                .collect()
        };
        assert_eq!(
            of(Emergency),
            ["lip_tongue_or_eye_swelling", "trouble_breathing"]
        );
        assert_eq!(
            of(Urgent),
            [
                "pus",
                "yellow_crusts",
                "fever",
                "spreading_redness",
                "increasing_pain_or_warmth",
                "blisters_or_cold_sores",
                "hives",
                "persistent_bleeding"
            ]
        );
        assert_eq!(of(Expected), ["pinpoint_crusts", "itching", "bruising"]);
        assert_eq!(of(Review), ["dark_patches", "red_bumps", "track_marks"]);
        assert_eq!(of(Routine), ["white_bumps", "acne_breakout"]);
    }

    #[test]
    fn old_codes_are_read_with_their_meaning_but_not_accepted() {
        assert_eq!(Sign::parse_stored("pus_or_crust"), Some(Sign::Pus));
        assert_eq!(Sign::parse_stored("hives_or_itching"), Some(Sign::Hives));
        assert_eq!(Sign::parse_stored("fever"), Some(Sign::Fever));
        assert_eq!(Sign::parse_stored("rash"), None);
        let err = Sign::parse("pus_or_crust").unwrap_err();
        assert!(err.contains("pinpoint_crusts"), "{err}");
        assert!(Sign::parse(" Hives ").is_err());
        assert!(Sign::parse("Fever").is_err());
        assert_eq!(Sign::parse("fever"), Ok(Sign::Fever));
    }

    #[test]
    fn emergency_advice_names_the_number() {
        use crate::i18n::{render, Locale};
        for locale in Locale::ALL {
            let text = render(locale, EMERGENCY_ADVICE, &[("number", "911".into())]);
            assert!(text.contains("911"), "{text}");
        }
        let en = render(
            Locale::En,
            EMERGENCY_ADVICE,
            &[("number", DEFAULT_EMERGENCY_NUMBER.into())],
        );
        assert!(en.starts_with("Call the emergency number 112 now."), "{en}");
        assert_eq!(
            emergency_signs(&[Sign::Itching, Sign::TroubleBreathing, Sign::Hives]),
            [Sign::TroubleBreathing]
        );
        assert!(emergency_signs(&[Sign::Hives, Sign::Fever]).is_empty());
    }
}
