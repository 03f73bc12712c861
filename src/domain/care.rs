//! Plain-language aftercare for one day after treatment, by area, add-ons,
//! risk factors and skin type.

use crate::domain::risk::RiskFactor;
use crate::domain::treatment::{Addon, Area, DepthMm, Fitzpatrick};

/// From this depth, actives stay off for two weeks instead of one.
pub const DEEP_ACTIVES_FROM_MM: f64 = 1.5;

/// One day's aftercare as stable codes (e.g. for icons or check-offs in the
/// app); the words are in the catalogues under `care-<code>` and
/// `care-call-<code>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CareInstructions {
    pub day: i64,
    pub do_: Vec<&'static str>,
    pub dont: Vec<&'static str>,
    pub call_clinic_if: Vec<&'static str>,
}

/// When to call the clinic, whatever the day.
pub const CALL_CLINIC_IF: [&str; 8] = [
    "pus",
    "fever",
    "spreading_redness",
    "blisters",
    "hives",
    "bleeding",
    "dark_patches",
    "lasting_redness",
];

/// Every care item code (for the catalogue checks).
pub const ALL_ITEMS: [&str; 22] = [
    "rinse_only",
    "leave_prp_on",
    "no_hair_wash_today",
    "avoid_sun_today",
    "gentle_cleanser",
    "sunscreen",
    "sunscreen_midday",
    "antiviral",
    "bruising_may_last",
    "loose_clothing",
    "moisturize",
    "clean_pillowcase",
    "cool_compress",
    "let_it_shed",
    "no_makeup",
    "no_hair_products",
    "no_touching",
    "no_sweating",
    "no_actives",
    "no_picking",
    "no_tanning",
    "no_other_procedures",
];

/// Last day without retinol, acids or vitamin C.
pub fn actives_until_day(depth: DepthMm) -> i64 {
    if depth.get() >= DEEP_ACTIVES_FROM_MM {
        14
    } else {
        7
    }
}

/// Last day of the "don't pick" advice; a peel or RF crusts for longer.
pub fn no_picking_until_day(addons: &[Addon]) -> i64 {
    if addons.iter().any(|a| matches!(a, Addon::Peel | Addon::Rf)) {
        10
    } else {
        7
    }
}

/// Last day of the antiviral reminder for a cold-sore history (courses
/// given around microneedling usually last five to seven days).
pub const ANTIVIRAL_UNTIL_DAY: i64 = 7;
/// Last day of the note that bruising lasts longer on anticoagulants.
pub const BRUISING_NOTE_UNTIL_DAY: i64 = 14;
/// Last day of the midday sunscreen advice for Fitzpatrick IV–VI.
pub const DARKER_SKIN_MIDDAY_SUNSCREEN_UNTIL_DAY: i64 = 14;

/// What a day's care depends on.
#[derive(Debug, Clone, Copy)]
pub struct CareFacts<'a> {
    pub depth: DepthMm,
    pub area: Area,
    pub addons: &'a [Addon],
    pub risk_factors: &'a [RiskFactor],
    pub fitzpatrick: Fitzpatrick,
}

/// Aftercare for `day` (0 = treatment day). Before treatment there is none.
pub fn care_for_day(day: i64, facts: &CareFacts<'_>) -> CareInstructions {
    let CareFacts {
        depth,
        area,
        addons,
        risk_factors,
        fitzpatrick,
    } = *facts;
    // Makeup and pillowcases concern the face and neck, not scalp or body.
    let face_or_neck = matches!(area, Area::Face | Area::Neck);
    let mut do_ = Vec::new();
    let mut dont = Vec::new();
    if day < 0 {
        return CareInstructions {
            day,
            do_,
            dont,
            call_clinic_if: Vec::new(),
        };
    }
    let picking_until = no_picking_until_day(addons);

    // Do.
    if day == 0 {
        do_.push("rinse_only");
        if addons.contains(&Addon::Prp) {
            do_.push("leave_prp_on");
        }
        if area == Area::Scalp {
            do_.push("no_hair_wash_today");
        }
        do_.push("avoid_sun_today");
    } else if day <= 7 {
        do_.push("gentle_cleanser");
    }
    if day >= 1 {
        do_.push("sunscreen");
    }
    if fitzpatrick.is_darker() && (1..=DARKER_SKIN_MIDDAY_SUNSCREEN_UNTIL_DAY).contains(&day) {
        do_.push("sunscreen_midday");
    }
    if risk_factors.contains(&RiskFactor::ColdSoreHistory) && day <= ANTIVIRAL_UNTIL_DAY {
        do_.push("antiviral");
    }
    if risk_factors.contains(&RiskFactor::Anticoagulants) && day <= BRUISING_NOTE_UNTIL_DAY {
        do_.push("bruising_may_last");
    }
    if area == Area::Body && day <= 2 {
        do_.push("loose_clothing");
    }
    if day <= 7 {
        do_.push("moisturize");
    }
    if day <= 1 && face_or_neck {
        do_.push("clean_pillowcase");
    }
    if day <= 1 {
        do_.push("cool_compress");
    }
    if (2..=picking_until).contains(&day) {
        do_.push("let_it_shed");
    }

    // Don't.
    if day <= 1 && face_or_neck {
        dont.push("no_makeup");
    }
    if day <= 2 && area == Area::Scalp {
        dont.push("no_hair_products");
    }
    if day <= 1 {
        dont.push("no_touching");
    }
    if day <= 2 {
        dont.push("no_sweating");
    }
    if day <= actives_until_day(depth) {
        dont.push("no_actives");
    }
    if (2..=picking_until).contains(&day) {
        dont.push("no_picking");
    }
    if day <= 14 {
        dont.push("no_tanning");
        dont.push("no_other_procedures");
    }

    CareInstructions {
        day,
        do_,
        dont,
        call_clinic_if: CALL_CLINIC_IF.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mm(v: f64) -> DepthMm {
        DepthMm::parse(v).unwrap()
    }

    fn care(
        day: i64,
        area: Area,
        addons: &[Addon],
        risk_factors: &[RiskFactor],
        fitz: i64,
    ) -> CareInstructions {
        care_for_day(
            day,
            &CareFacts {
                depth: mm(1.0),
                area,
                addons,
                risk_factors,
                fitzpatrick: Fitzpatrick::parse(fitz).unwrap(),
            },
        )
    }

    /// A face treatment on Fitzpatrick II skin without risk factors.
    fn face_care(day: i64, depth: DepthMm, addons: &[Addon]) -> CareInstructions {
        care_for_day(
            day,
            &CareFacts {
                depth,
                area: Area::Face,
                addons,
                risk_factors: &[],
                fitzpatrick: Fitzpatrick::parse(2).unwrap(),
            },
        )
    }

    #[test]
    fn makeup_and_pillowcase_advice_only_for_face_and_neck() {
        for day in 0..=1 {
            for area in [Area::Face, Area::Neck] {
                let c = care(day, area, &[], &[], 2);
                assert!(has_dont(&c, "no_makeup") && has_do(&c, "clean_pillowcase"));
            }
            for area in [Area::Scalp, Area::Body] {
                let c = care(day, area, &[], &[], 2);
                assert!(!has_dont(&c, "no_makeup"), "{area}");
                assert!(!has_do(&c, "clean_pillowcase"), "{area}");
                let words = c.do_.iter().chain(&c.dont).map(|i| en(i).to_lowercase());
                for text in words {
                    assert!(
                        !text.contains("makeup") && !text.contains("pillow"),
                        "{text}"
                    );
                }
            }
        }
        let scalp = care(0, Area::Scalp, &[], &[], 2);
        assert!(has_do(&scalp, "no_hair_wash_today"));
        assert!(has_dont(&scalp, "no_hair_products"));
        assert!(!has_dont(
            &care(3, Area::Scalp, &[], &[], 2),
            "no_hair_products"
        ));
        assert!(!has_dont(
            &care(0, Area::Face, &[], &[], 2),
            "no_hair_products"
        ));
        assert!(has_do(&care(2, Area::Body, &[], &[], 2), "loose_clothing"));
        assert!(!has_do(&care(2, Area::Face, &[], &[], 2), "loose_clothing"));
    }

    #[test]
    fn risk_factors_add_their_items() {
        let cs = [RiskFactor::ColdSoreHistory];
        assert!(has_do(&care(0, Area::Face, &[], &cs, 2), "antiviral"));
        assert!(has_do(&care(7, Area::Face, &[], &cs, 2), "antiviral"));
        assert!(!has_do(&care(8, Area::Face, &[], &cs, 2), "antiviral"));
        assert!(!has_do(&care(0, Area::Face, &[], &[], 2), "antiviral"));
        let ac = [RiskFactor::Anticoagulants];
        assert!(has_do(
            &care(14, Area::Face, &[], &ac, 2),
            "bruising_may_last"
        ));
        assert!(!has_do(
            &care(15, Area::Face, &[], &ac, 2),
            "bruising_may_last"
        ));
        assert!(!has_do(
            &care(3, Area::Face, &[], &cs, 2),
            "bruising_may_last"
        ));
    }

    #[test]
    fn darker_skin_gets_midday_sunscreen_for_two_weeks() {
        assert!(!has_do(
            &care(0, Area::Face, &[], &[], 5),
            "sunscreen_midday"
        ));
        assert!(has_do(
            &care(1, Area::Face, &[], &[], 5),
            "sunscreen_midday"
        ));
        assert!(has_do(
            &care(14, Area::Face, &[], &[], 4),
            "sunscreen_midday"
        ));
        assert!(!has_do(
            &care(15, Area::Face, &[], &[], 6),
            "sunscreen_midday"
        ));
        assert!(!has_do(
            &care(5, Area::Face, &[], &[], 3),
            "sunscreen_midday"
        ));
    }

    fn codes(items: &[&'static str]) -> Vec<&'static str> {
        items.to_vec()
    }

    /// The item's English words (the catalogue checks cover the others).
    fn en(code: &str) -> String {
        crate::i18n::t(crate::i18n::Locale::En, &format!("care-{code}"))
    }

    fn has_do(c: &CareInstructions, code: &str) -> bool {
        codes(&c.do_).contains(&code)
    }

    fn has_dont(c: &CareInstructions, code: &str) -> bool {
        codes(&c.dont).contains(&code)
    }

    #[test]
    fn treatment_day() {
        let c = face_care(0, mm(0.5), &[]);
        assert!(has_dont(&c, "no_makeup"));
        assert!(has_dont(&c, "no_sweating"));
        assert!(has_dont(&c, "no_actives"));
        assert!(!has_dont(&c, "no_picking"));
        assert!(has_do(&c, "moisturize"));
        assert!(has_do(&c, "rinse_only"));
        assert!(!has_do(&c, "sunscreen"), "sunscreen starts on day 1");
        assert!(!has_do(&c, "leave_prp_on"));
        assert!(has_do(
            &face_care(0, mm(0.5), &[Addon::Prp]),
            "leave_prp_on"
        ));
    }

    #[test]
    fn sunscreen_from_day_one() {
        for day in [1, 2, 7, 14, 28, 60] {
            let c = face_care(day, mm(1.0), &[]);
            assert!(has_do(&c, "sunscreen"), "day {day}");
            assert!(c.do_.iter().any(|i| en(i).contains("SPF 30")));
        }
    }

    #[test]
    fn makeup_only_in_the_first_24_hours() {
        assert!(has_dont(&face_care(1, mm(1.0), &[]), "no_makeup"));
        assert!(!has_dont(&face_care(2, mm(1.0), &[]), "no_makeup"));
    }

    #[test]
    fn no_sweating_for_72_hours() {
        for day in 0..=2 {
            assert!(has_dont(&face_care(day, mm(1.0), &[]), "no_sweating"));
        }
        assert!(!has_dont(&face_care(3, mm(1.0), &[]), "no_sweating"));
    }

    #[test]
    fn actives_one_week_or_two_when_deep() {
        assert!(has_dont(&face_care(7, mm(0.5), &[]), "no_actives"));
        assert!(!has_dont(&face_care(8, mm(0.5), &[]), "no_actives"));
        assert!(!has_dont(&face_care(8, mm(1.49), &[]), "no_actives"));
        assert!(has_dont(&face_care(8, mm(1.5), &[]), "no_actives"));
        assert!(has_dont(&face_care(14, mm(2.5), &[]), "no_actives"));
        assert!(!has_dont(&face_care(15, mm(2.5), &[]), "no_actives"));
    }

    #[test]
    fn no_picking_while_flaking() {
        assert!(!has_dont(&face_care(1, mm(1.0), &[]), "no_picking"));
        for day in 2..=7 {
            let c = face_care(day, mm(1.0), &[]);
            assert!(has_dont(&c, "no_picking"), "day {day}");
            assert!(has_do(&c, "let_it_shed"), "day {day}");
        }
        assert!(!has_dont(&face_care(8, mm(1.0), &[]), "no_picking"));
        // Peel or RF crusts longer.
        for addon in [Addon::Peel, Addon::Rf] {
            assert!(has_dont(&face_care(10, mm(1.0), &[addon]), "no_picking"));
            assert!(!has_dont(&face_care(11, mm(1.0), &[addon]), "no_picking"));
        }
        assert!(!has_dont(
            &face_care(8, mm(1.0), &[Addon::Serum, Addon::Prp]),
            "no_picking"
        ));
    }

    #[test]
    fn when_to_call_the_clinic() {
        let c = face_care(3, mm(1.0), &[]);
        let all = c
            .call_clinic_if
            .iter()
            .map(|code| crate::i18n::t(crate::i18n::Locale::En, &format!("care-call-{code}")))
            .collect::<Vec<_>>()
            .join(" | ")
            .to_lowercase();
        for word in ["pus", "fever", "spreads", "blisters", "hives", "bleeding"] {
            assert!(all.contains(word), "{word}");
        }
    }

    #[test]
    fn codes_are_unique_and_texts_plain() {
        for day in 0..=30 {
            for addons in [vec![], vec![Addon::Prp, Addon::Peel, Addon::Rf]] {
                let c = face_care(day, mm(2.0), &addons);
                assert_eq!(c.day, day);
                let mut all = codes(&c.do_);
                all.extend(codes(&c.dont));
                let n = all.len();
                all.sort();
                all.dedup();
                assert_eq!(all.len(), n, "day {day}");
                assert!(c.do_.iter().chain(&c.dont).all(|i| ALL_ITEMS.contains(i)));
                assert!(!c.do_.is_empty());
            }
        }
    }

    #[test]
    fn before_treatment_there_is_nothing() {
        let c = face_care(-1, mm(1.0), &[]);
        assert!(c.do_.is_empty() && c.dont.is_empty() && c.call_clinic_if.is_empty());
    }

    #[test]
    fn every_code_has_words_in_every_locale() {
        use crate::i18n::{has, Locale};
        for locale in Locale::ALL {
            for code in ALL_ITEMS {
                assert!(has(locale, &format!("care-{code}")), "{locale} {code}");
            }
            for code in CALL_CLINIC_IF {
                assert!(has(locale, &format!("care-call-{code}")), "{locale} {code}");
            }
        }
        // Every code the rules can give is listed.
        for day in 0..=30 {
            for area in [Area::Face, Area::Neck, Area::Scalp, Area::Body] {
                let all = [Addon::Prp, Addon::Peel, Addon::Rf];
                let risks = [RiskFactor::ColdSoreHistory, RiskFactor::Anticoagulants];
                let c = care(day, area, &all, &risks, 5);
                for code in c.do_.iter().chain(&c.dont) {
                    assert!(ALL_ITEMS.contains(code), "{code}");
                }
            }
        }
    }
}
