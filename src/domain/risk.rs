//! Risk factors recorded with a treatment, and the screening a registration
//! goes through: contraindications refuse it (unless a clinician overrides
//! them with a reason), warnings go back in the answer.
//!
//! What the rules rest on:
//! - contraindications `psoriasis`, `eczema`, `active_acne`, `rosacea`,
//!   `recent_radiation`: the seed article (needling active inflammatory skin
//!   disease or irradiated skin spreads or worsens it);
//! - `isotretinoin_6_months`: the long-standing label advice to wait six
//!   months after oral isotretinoin before resurfacing (impaired healing,
//!   scarring);
//! - `pregnancy` with PRP or a combined peel: no safety data for either in
//!   pregnancy; plain needling stays a clinician's call, so it is a warning;
//! - `keloid_tendency` above 1.0 mm: deeper needling reaches the dermis where
//!   keloid-prone skin scars, so the clinician is warned, not refused.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::treatment::{Addon, DepthMm};

/// Needling deeper than this on keloid-prone skin is a warning.
pub const KELOID_WARNING_ABOVE_MM: f64 = 1.0;
/// Longest `products` text (the serum or product applied), in characters.
pub const PRODUCTS_MAX_CHARS: usize = 500;
/// Longest `override_reason`, in characters.
pub const OVERRIDE_REASON_MAX_CHARS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskFactor {
    Psoriasis,
    Eczema,
    ActiveAcne,
    Rosacea,
    RecentRadiation,
    #[serde(rename = "isotretinoin_6_months")]
    Isotretinoin6Months,
    ColdSoreHistory,
    Anticoagulants,
    KeloidTendency,
    Pregnancy,
}

impl RiskFactor {
    pub const ALL: [RiskFactor; 10] = [
        RiskFactor::Psoriasis,
        RiskFactor::Eczema,
        RiskFactor::ActiveAcne,
        RiskFactor::Rosacea,
        RiskFactor::RecentRadiation,
        RiskFactor::Isotretinoin6Months,
        RiskFactor::ColdSoreHistory,
        RiskFactor::Anticoagulants,
        RiskFactor::KeloidTendency,
        RiskFactor::Pregnancy,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            RiskFactor::Psoriasis => "psoriasis",
            RiskFactor::Eczema => "eczema",
            RiskFactor::ActiveAcne => "active_acne",
            RiskFactor::Rosacea => "rosacea",
            RiskFactor::RecentRadiation => "recent_radiation",
            RiskFactor::Isotretinoin6Months => "isotretinoin_6_months",
            RiskFactor::ColdSoreHistory => "cold_sore_history",
            RiskFactor::Anticoagulants => "anticoagulants",
            RiskFactor::KeloidTendency => "keloid_tendency",
            RiskFactor::Pregnancy => "pregnancy",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == t)
            .ok_or_else(|| {
                format!(
                    "risk factor must be one of {}, not \"{s}\"",
                    Self::ALL.map(|r| r.as_str()).join(", ")
                )
            })
    }

    /// Contraindicated for microneedling whatever else is done.
    pub fn is_contraindication(&self) -> bool {
        matches!(
            self,
            RiskFactor::Psoriasis
                | RiskFactor::Eczema
                | RiskFactor::ActiveAcne
                | RiskFactor::Rosacea
                | RiskFactor::RecentRadiation
                | RiskFactor::Isotretinoin6Months
        )
    }
}

impl fmt::Display for RiskFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stored as a comma-separated list, like add-ons.
pub fn to_text(factors: &[RiskFactor]) -> String {
    factors
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Stored factors were validated on the way in; unknown ones are skipped.
pub fn from_text(text: &str) -> Vec<RiskFactor> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .filter_map(|s| RiskFactor::parse(s).ok())
        .collect()
}

/// Flag reasons for which the product applied matters (serums are
/// implicated in most granuloma reports, and in contact allergies up to
/// anaphylaxis): the console shows the treatment's `products` beside such
/// flags. `red_bumps` (granulomatous reaction) and `emergency_signs` (lip,
/// tongue or eye swelling, trouble breathing) are clinical triage v2's
/// reasons.
pub const PRODUCT_RELEVANT_REASONS: [&str; 3] =
    ["allergic_reaction", "red_bumps", "emergency_signs"];

pub fn product_relevant(reason: &str) -> bool {
    PRODUCT_RELEVANT_REASONS.contains(&reason)
}

/// A caution for the clinician in the registration answer (not a refusal).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    /// Stable code, e.g. `keloid_tendency_deep`, `session_too_soon`.
    pub code: String,
    pub message: String,
    /// Facts behind it, for the answer and the console.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

/// What screening a registration found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Screening {
    /// Contraindication codes, sorted: a risk factor's name, or
    /// `pregnancy` when combined with PRP or a peel.
    pub contraindicated: Vec<String>,
    pub warnings: Vec<Warning>,
}

/// Screens a treatment's risk factors against what is done.
pub fn screen(factors: &[RiskFactor], depth: DepthMm, addons: &[Addon]) -> Screening {
    let mut out = Screening::default();
    for f in factors {
        if f.is_contraindication() {
            out.contraindicated.push(f.as_str().to_string());
        }
    }
    if factors.contains(&RiskFactor::Pregnancy)
        && addons.iter().any(|a| matches!(a, Addon::Prp | Addon::Peel))
    {
        out.contraindicated
            .push(RiskFactor::Pregnancy.as_str().into());
    }
    out.contraindicated.sort();
    out.contraindicated.dedup();
    if factors.contains(&RiskFactor::KeloidTendency) && depth.get() > KELOID_WARNING_ABOVE_MM {
        out.warnings.push(Warning {
            code: "keloid_tendency_deep".into(),
            message: format!(
                "keloid tendency with needling deeper than {KELOID_WARNING_ABOVE_MM} mm ({} mm): \
                 risk of hypertrophic or keloid scarring",
                depth.get()
            ),
            details: serde_json::json!({
                "depth_mm": depth.get(),
                "warning_above_mm": KELOID_WARNING_ABOVE_MM,
            }),
        });
    }
    out
}

/// Trims a clinician's free text; `None` when empty. Refuses text longer
/// than `max` characters or holding control characters other than newlines.
pub fn clean_text(raw: Option<&str>, max: usize) -> Result<Option<String>, String> {
    raw.map_or(Ok(None), |t| super::text::clean(t, max, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mm(v: f64) -> DepthMm {
        DepthMm::parse(v).unwrap()
    }

    #[test]
    fn factors_round_trip() {
        for r in RiskFactor::ALL {
            assert_eq!(RiskFactor::parse(r.as_str()), Ok(r));
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{r}\""));
        }
        assert!(RiskFactor::parse("diabetes").is_err());
        assert_eq!(
            from_text(&to_text(&RiskFactor::ALL)),
            RiskFactor::ALL.to_vec()
        );
        assert_eq!(from_text(""), vec![]);
    }

    #[test]
    fn the_six_contraindications_refuse_and_warnings_do_not() {
        let contra: Vec<&str> = RiskFactor::ALL
            .iter()
            .filter(|r| r.is_contraindication())
            .map(|r| r.as_str())
            .collect();
        assert_eq!(
            contra,
            [
                "psoriasis",
                "eczema",
                "active_acne",
                "rosacea",
                "recent_radiation",
                "isotretinoin_6_months"
            ]
        );
        for r in RiskFactor::ALL {
            let s = screen(&[r], mm(0.5), &[]);
            assert_eq!(
                s.contraindicated,
                if r.is_contraindication() {
                    vec![r.as_str().to_string()]
                } else {
                    vec![]
                },
                "{r}"
            );
        }
        let s = screen(
            &[RiskFactor::Rosacea, RiskFactor::Eczema, RiskFactor::Eczema],
            mm(0.5),
            &[],
        );
        assert_eq!(s.contraindicated, ["eczema", "rosacea"]);
    }

    #[test]
    fn pregnancy_refuses_prp_and_peel_only() {
        let p = [RiskFactor::Pregnancy];
        assert!(screen(&p, mm(0.5), &[]).contraindicated.is_empty());
        assert!(screen(&p, mm(0.5), &[Addon::Serum, Addon::Rf])
            .contraindicated
            .is_empty());
        assert_eq!(
            screen(&p, mm(0.5), &[Addon::Prp]).contraindicated,
            ["pregnancy"]
        );
        assert_eq!(
            screen(&p, mm(0.5), &[Addon::Peel]).contraindicated,
            ["pregnancy"]
        );
        // PRP without pregnancy is fine.
        assert!(screen(&[], mm(0.5), &[Addon::Prp])
            .contraindicated
            .is_empty());
    }

    #[test]
    fn keloid_tendency_warns_above_one_millimetre() {
        let k = [RiskFactor::KeloidTendency];
        assert!(screen(&k, mm(1.0), &[]).warnings.is_empty());
        let s = screen(&k, mm(1.25), &[]);
        assert!(s.contraindicated.is_empty());
        assert_eq!(s.warnings.len(), 1);
        assert_eq!(s.warnings[0].code, "keloid_tendency_deep");
        assert!(screen(&[], mm(2.5), &[]).warnings.is_empty());
    }

    #[test]
    fn products_matter_for_allergic_and_granuloma_flags() {
        assert!(product_relevant("allergic_reaction"));
        assert!(product_relevant("red_bumps"));
        assert!(product_relevant("emergency_signs"));
        assert!(!product_relevant("missed_logs"));
        assert!(!product_relevant("infection_signs"));
    }

    #[test]
    fn free_text_is_trimmed_and_bounded() {
        assert_eq!(clean_text(None, 10), Ok(None));
        assert_eq!(clean_text(Some("   "), 10), Ok(None));
        assert_eq!(
            clean_text(Some(" vitamin C serum "), 20),
            Ok(Some("vitamin C serum".into()))
        );
        assert!(clean_text(Some(&"x".repeat(11)), 10).is_err());
        assert!(clean_text(Some("a\u{7}b"), 10).is_err());
    }
}
