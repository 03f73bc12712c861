//! Plain-language aftercare for one day after treatment, by area, add-ons,
//! risk factors and skin type.

use serde::{Deserialize, Serialize};

use crate::domain::risk::RiskFactor;
use crate::domain::treatment::{Addon, Area, DepthMm, Fitzpatrick};

/// From this depth, actives stay off for two weeks instead of one.
pub const DEEP_ACTIVES_FROM_MM: f64 = 1.5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareItem {
    /// Stable code, e.g. for icons or check-offs in the app.
    pub code: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareInstructions {
    pub day: i64,
    #[serde(rename = "do")]
    pub do_: Vec<CareItem>,
    pub dont: Vec<CareItem>,
    pub call_clinic_if: Vec<String>,
}

fn item(code: &str, text: &str) -> CareItem {
    CareItem {
        code: code.to_owned(),
        text: text.to_owned(),
    }
}

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
        do_.push(item(
            "rinse_only",
            "Tonight, rinse only with lukewarm water and pat dry with a clean towel. No cleanser, no scrubbing.",
        ));
        if addons.contains(&Addon::Prp) {
            do_.push(item(
                "leave_prp_on",
                "Leave the PRP on your skin: don't wash the treated area for at least 4 hours.",
            ));
        }
        if area == Area::Scalp {
            do_.push(item(
                "no_hair_wash_today",
                "Don't wash your hair today. From tomorrow, use a mild, fragrance-free shampoo with lukewarm water.",
            ));
        }
        do_.push(item(
            "avoid_sun_today",
            "Stay out of the sun today; wear a wide hat if you must go out. Sunscreen starts tomorrow.",
        ));
    } else if day <= 7 {
        do_.push(item(
            "gentle_cleanser",
            "Wash with a mild, fragrance-free cleanser and lukewarm water. Pat dry, don't rub.",
        ));
    }
    if day >= 1 {
        do_.push(item(
            "sunscreen",
            "Use a broad-spectrum sunscreen SPF 30 or higher every morning and reapply every 2 hours outdoors. Treated skin burns more easily.",
        ));
    }
    if fitzpatrick.is_darker() && (1..=DARKER_SKIN_MIDDAY_SUNSCREEN_UNTIL_DAY).contains(&day) {
        do_.push(item(
            "sunscreen_midday",
            "Your skin darkens more easily while it heals: reapply sunscreen at midday for the first two weeks, and wear a wide-brimmed hat outdoors.",
        ));
    }
    if risk_factors.contains(&RiskFactor::ColdSoreHistory) && day <= ANTIVIRAL_UNTIL_DAY {
        do_.push(item(
            "antiviral",
            "Take the antiviral medicine your clinic prescribed exactly as directed until the course is finished: it helps prevent a cold sore outbreak after treatment.",
        ));
    }
    if risk_factors.contains(&RiskFactor::Anticoagulants) && day <= BRUISING_NOTE_UNTIL_DAY {
        do_.push(item(
            "bruising_may_last",
            "Because you take blood-thinning medicine, bruising can take up to two weeks to fade. That is expected: keep taking your medicine as prescribed.",
        ));
    }
    if area == Area::Body && day <= 2 {
        do_.push(item(
            "loose_clothing",
            "Wear loose, clean, soft clothing over the treated skin: tight or rough fabric rubs and irritates it.",
        ));
    }
    if day <= 7 {
        do_.push(item(
            "moisturize",
            "Apply a gentle, fragrance-free hydrating moisturizer (or the serum your clinic gave you) morning and night.",
        ));
    }
    if day <= 1 && face_or_neck {
        do_.push(item(
            "clean_pillowcase",
            "Sleep on a clean pillowcase, on your back if you can.",
        ));
    }
    if day <= 1 {
        do_.push(item(
            "cool_compress",
            "If the skin feels hot or swollen, hold a clean, cool (not icy) compress on it for a few minutes.",
        ));
    }
    if (2..=picking_until).contains(&day) {
        do_.push(item(
            "let_it_shed",
            "Flaking is normal. Keep moisturizing and let the flakes come off by themselves.",
        ));
    }

    // Don't.
    if day <= 1 && face_or_neck {
        dont.push(item(
            "no_makeup",
            "No makeup for the first 24 hours after treatment, then only with clean brushes.",
        ));
    }
    if day <= 2 && area == Area::Scalp {
        dont.push(item(
            "no_hair_products",
            "No hair dye, styling products, dry shampoo, or tight hats and helmets on the treated scalp for the first 72 hours.",
        ));
    }
    if day <= 1 {
        dont.push(item(
            "no_touching",
            "Don't touch the treated skin with unwashed hands.",
        ));
    }
    if day <= 2 {
        dont.push(item(
            "no_sweating",
            "No gym, sauna, steam room, hot yoga or swimming pool for the first 72 hours: sweat, heat and chlorine irritate the healing skin.",
        ));
    }
    if day <= actives_until_day(depth) {
        dont.push(item(
            "no_actives",
            "No retinol or retinoids, AHA/BHA acids, vitamin C or scrubs on the treated skin yet.",
        ));
    }
    if (2..=picking_until).contains(&day) {
        dont.push(item(
            "no_picking",
            "Don't pick, peel or scrub off flakes or crusts: that can leave marks or dark spots.",
        ));
    }
    if day <= 14 {
        dont.push(item(
            "no_tanning",
            "No sunbathing or tanning beds for two weeks.",
        ));
        dont.push(item(
            "no_other_procedures",
            "No waxing, threading, laser, peels or other treatments on this area for two weeks.",
        ));
    }

    CareInstructions {
        day,
        do_,
        dont,
        call_clinic_if: [
            "Pus, yellow crusts or oozing",
            "Fever or chills",
            "Redness, warmth or pain that spreads or gets worse instead of better",
            "Blisters or cold sores",
            "Hives, itching or swelling after using a product",
            "Bleeding that does not stop with gentle pressure",
            "Dark patches appearing on the treated skin",
            "Redness or swelling that is still strong after a week",
        ]
        .map(String::from)
        .to_vec(),
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
                let words = c.do_.iter().chain(&c.dont).map(|i| i.text.to_lowercase());
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

    fn codes(items: &[CareItem]) -> Vec<&str> {
        items.iter().map(|i| i.code.as_str()).collect()
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
            assert!(c.do_.iter().any(|i| i.text.contains("SPF 30")));
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
        let all = c.call_clinic_if.join(" | ").to_lowercase();
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
                assert!(c.do_.iter().chain(&c.dont).all(|i| !i.text.is_empty()));
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
    fn serializes_do_as_do() {
        let v = serde_json::to_value(face_care(2, mm(1.0), &[])).unwrap();
        assert!(v.get("do").is_some());
        assert!(v.get("do_").is_none());
        assert_eq!(v["day"], 2);
        assert!(v["dont"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["code"] == "no_picking"));
        let back: CareInstructions = serde_json::from_value(v).unwrap();
        assert_eq!(back, face_care(2, mm(1.0), &[]));
    }
}
