//! A healing protocol is data: base curves for a reference treatment plus
//! adjustments by depth band, area and add-on. It is stored as JSON text,
//! versioned, and a clinic can tune its own; `from_json` is the gate.
//!
//! How a timeline is derived (see `crate::domain::timeline`):
//! - `base` gives, for every day 0..=`horizon_days`, an expected score and an
//!   upper bound per symptom for the reference treatment (arrays are indexed
//!   by day, so days are contiguous by construction).
//! - Each applicable adjustment contributes per-symptom effects:
//!   `scale` multiplies the expected curve and raises the upper bound by the
//!   same amount, keeping the base margin (scales multiply), `tail_stretch`
//!   makes the decay after the curve's peak that much longer (0.5 = 50 %
//!   longer; stretches add up), and `add` adds per-day amounts (they add up).
//!   The peak day never moves, so e.g. flaking keeps peaking on day 2–4.
//! - Depth changes the curves in one of two ways. Version 2 and later give
//!   `depth_points`: effects at chosen depths, interpolated linearly between
//!   the two points around a treatment's depth (scale, stretch and per-day
//!   additions alike), so 0.59 and 0.6 mm differ by a hundredth of the step
//!   between points, never by a jump; below the first point the first
//!   applies, above the last the last. Version 1 gave `depth_bands`, chosen
//!   by their inclusive lower edge `from_mm` (the band with the largest
//!   `from_mm` not above the depth applies); stored version-1 protocols keep
//!   working unchanged, so treatments registered under them keep their course.
//! - The expected window ends on the last day on which expected redness or
//!   swelling is at least `window_threshold`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::series::SessionIntervals;
use crate::domain::treatment::{Addon, Area, DepthMm, Symptom};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    pub name: String,
    pub version: u32,
    #[serde(default)]
    pub description: String,
    /// Human description of the treatment the base curves describe.
    #[serde(default)]
    pub reference: String,
    /// Timelines cover days 0..=horizon_days.
    pub horizon_days: u32,
    /// Redness or swelling expected at or above this still counts as
    /// "within the expected window".
    pub window_threshold: f32,
    pub base: Curves,
    pub adjustments: Adjustments,
    /// Minimum days between sessions per area (also when the next-session
    /// reminder fires); protocols stored before it get the defaults.
    #[serde(default)]
    pub session_intervals: SessionIntervals,
}

/// One curve per symptom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Curves {
    pub redness: Curve,
    pub swelling: Curve,
    pub flaking: Curve,
    pub sensitivity: Curve,
}

impl Curves {
    pub fn get(&self, symptom: Symptom) -> &Curve {
        match symptom {
            Symptom::Redness => &self.redness,
            Symptom::Swelling => &self.swelling,
            Symptom::Flaking => &self.flaking,
            Symptom::Sensitivity => &self.sensitivity,
        }
    }
}

/// `expected[d]` and `upper[d]` are the scores for day `d`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Curve {
    pub expected: Vec<f32>,
    pub upper: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjustments {
    /// Sorted by `from_mm`, the first starting at 0.25 mm (the shallowest
    /// depth). Version-1 protocols; exactly one of bands and points is given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depth_bands: Vec<DepthBand>,
    /// Sorted by `at_mm`; effects are interpolated between neighbours.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depth_points: Vec<DepthPoint>,
    /// Areas not listed are treated like the reference.
    #[serde(default)]
    pub areas: Vec<AreaAdjustment>,
    /// Add-ons not listed change nothing.
    #[serde(default)]
    pub addons: Vec<AddonAdjustment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepthBand {
    pub name: String,
    /// Inclusive lower edge in mm; the band runs up to the next band's edge.
    pub from_mm: f64,
    #[serde(default)]
    pub effects: Effects,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepthPoint {
    /// The depth these effects describe exactly.
    pub at_mm: f64,
    #[serde(default)]
    pub effects: Effects,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaAdjustment {
    pub area: Area,
    #[serde(default)]
    pub effects: Effects,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddonAdjustment {
    pub addon: Addon,
    #[serde(default)]
    pub effects: Effects,
}

/// Per-symptom effects; symptoms not listed are unchanged.
pub type Effects = BTreeMap<Symptom, SymptomEffect>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymptomEffect {
    /// Multiplies expected; upper moves by the same amount (0 < scale ≤ 3).
    #[serde(default = "one")]
    pub scale: f32,
    /// Extra length of the decay after the peak, as a fraction (−0.5..=3).
    #[serde(default)]
    pub tail_stretch: f32,
    /// Per-day amounts added after scaling; shorter than the horizon is fine.
    #[serde(default)]
    pub add: Option<AddCurve>,
}

fn one() -> f32 {
    1.0
}

impl Default for SymptomEffect {
    fn default() -> Self {
        SymptomEffect {
            scale: 1.0,
            tail_stretch: 0.0,
            add: None,
        }
    }
}

/// Per-day additions; `upper[d]` must be at least `expected[d]` so the bound
/// never falls below the expectation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddCurve {
    #[serde(default)]
    pub expected: Vec<f32>,
    #[serde(default)]
    pub upper: Vec<f32>,
}

impl AddCurve {
    pub fn expected_at(&self, day: usize) -> f32 {
        self.expected.get(day).copied().unwrap_or(0.0)
    }

    pub fn upper_at(&self, day: usize) -> f32 {
        self.upper.get(day).copied().unwrap_or(0.0)
    }
}

const DEFAULT_JSON: &str = include_str!("default_protocol.json");
/// The first shipped version (depth bands), kept so databases seeded with it
/// and treatments registered under it keep their course.
const V1_JSON: &str = include_str!("default_protocol_v1.json");

impl Protocol {
    /// The shipped microneedling protocol (the newest version).
    pub fn default_microneedling() -> Protocol {
        Protocol::from_json(DEFAULT_JSON).expect("shipped default protocol is valid")
    }

    /// The shipped protocol as JSON text, e.g. for a seed.
    pub fn default_json() -> &'static str {
        DEFAULT_JSON
    }

    /// Every shipped version as JSON text, oldest first (for the seed).
    pub fn shipped_json() -> [&'static str; 2] {
        [V1_JSON, DEFAULT_JSON]
    }

    pub fn from_json(text: &str) -> Result<Protocol, String> {
        let p: Protocol =
            serde_json::from_str(text).map_err(|e| format!("protocol is not valid JSON: {e}"))?;
        p.validate()?;
        Ok(p)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("protocol serializes")
    }

    /// The band that applies to a depth (None only for an unvalidated
    /// protocol without bands).
    pub fn depth_band(&self, depth: DepthMm) -> Option<&DepthBand> {
        let bands = &self.adjustments.depth_bands;
        bands
            .iter()
            .rev()
            .find(|b| b.from_mm <= depth.get())
            .or(bands.first())
    }

    /// The depth's effects: interpolated between depth points, or the
    /// band's (version 1).
    pub fn depth_effects(&self, depth: DepthMm) -> Effects {
        let points = &self.adjustments.depth_points;
        if points.is_empty() {
            return self
                .depth_band(depth)
                .map(|b| b.effects.clone())
                .unwrap_or_default();
        }
        let mm = depth.get();
        let upper = points.iter().position(|p| p.at_mm >= mm);
        match upper {
            None => points[points.len() - 1].effects.clone(),
            Some(0) => points[0].effects.clone(),
            Some(i) => {
                let (a, b) = (&points[i - 1], &points[i]);
                let t = ((mm - a.at_mm) / (b.at_mm - a.at_mm)) as f32;
                interpolate(&a.effects, &b.effects, t)
            }
        }
    }

    pub fn area_effects(&self, area: Area) -> Option<&Effects> {
        self.adjustments
            .areas
            .iter()
            .find(|a| a.area == area)
            .map(|a| &a.effects)
    }

    pub fn addon_effects(&self, addon: Addon) -> Option<&Effects> {
        self.adjustments
            .addons
            .iter()
            .find(|a| a.addon == addon)
            .map(|a| &a.effects)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("protocol name must not be empty".into());
        }
        if self.version == 0 {
            return Err("protocol version must be 1 or more".into());
        }
        if !(7..=60).contains(&self.horizon_days) {
            return Err(format!(
                "horizon_days must be between 7 and 60, not {}",
                self.horizon_days
            ));
        }
        if !(self.window_threshold > 0.0 && self.window_threshold <= 10.0) {
            return Err(format!(
                "window_threshold must be above 0 and at most 10, not {}",
                self.window_threshold
            ));
        }
        self.session_intervals.validate()?;
        let days = self.horizon_days as usize + 1;
        for s in Symptom::ALL {
            let c = self.base.get(s);
            if c.expected.len() != days || c.upper.len() != days {
                return Err(format!(
                    "base.{s} must give expected and upper for each day 0..={} ({days} values each), got {} and {}",
                    self.horizon_days,
                    c.expected.len(),
                    c.upper.len()
                ));
            }
            for (d, (&e, &u)) in c.expected.iter().zip(&c.upper).enumerate() {
                if !(e.is_finite() && (0.0..=10.0).contains(&e)) {
                    return Err(format!(
                        "base.{s}.expected on day {d} must be 0–10, not {e}"
                    ));
                }
                if u > 10 {
                    return Err(format!("base.{s}.upper on day {d} must be 0–10, not {u}"));
                }
                if f32::from(u) < e {
                    return Err(format!(
                        "base.{s} on day {d}: upper bound {u} is below the expected {e}"
                    ));
                }
            }
        }
        let bands = &self.adjustments.depth_bands;
        let points = &self.adjustments.depth_points;
        if bands.is_empty() == points.is_empty() {
            return Err(
                "give either depth_points (interpolated) or depth_bands (version 1), not both and not neither"
                    .into(),
            );
        }
        for p in points {
            if !p.at_mm.is_finite() || !(DepthMm::MIN..=DepthMm::MAX).contains(&p.at_mm) {
                return Err(format!("depth point at {} mm is outside 0.25–3.0", p.at_mm));
            }
            check_effects(&format!("depth point {} mm", p.at_mm), &p.effects, days)?;
        }
        // All points are finite here, so `>=` is a total comparison.
        for w in points.windows(2) {
            if w[0].at_mm >= w[1].at_mm {
                return Err(format!(
                    "depth points must be sorted by at_mm without repeats ({} then {})",
                    w[0].at_mm, w[1].at_mm
                ));
            }
        }
        for b in bands {
            if !b.from_mm.is_finite() || b.from_mm > DepthMm::MAX {
                return Err(format!(
                    "depth band {} starts at {} mm, outside 0.25–3.0",
                    b.name, b.from_mm
                ));
            }
            check_effects(&format!("depth band {}", b.name), &b.effects, days)?;
        }
        if bands.first().is_some_and(|b| b.from_mm > DepthMm::MIN) {
            return Err(format!(
                "the first depth band must start at {} mm or below",
                DepthMm::MIN
            ));
        }
        // All edges are finite here, so `>=` is a total comparison.
        for w in bands.windows(2) {
            if w[0].from_mm >= w[1].from_mm {
                return Err(format!(
                    "depth bands must be sorted by from_mm without repeats ({} then {})",
                    w[0].from_mm, w[1].from_mm
                ));
            }
        }
        for (i, a) in self.adjustments.areas.iter().enumerate() {
            if self.adjustments.areas[..i].iter().any(|x| x.area == a.area) {
                return Err(format!("area {} is adjusted twice", a.area));
            }
            check_effects(&format!("area {}", a.area), &a.effects, days)?;
        }
        for (i, a) in self.adjustments.addons.iter().enumerate() {
            if self.adjustments.addons[..i]
                .iter()
                .any(|x| x.addon == a.addon)
            {
                return Err(format!("add-on {} is adjusted twice", a.addon));
            }
            check_effects(&format!("add-on {}", a.addon), &a.effects, days)?;
        }
        Ok(())
    }
}

fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

/// Effects a fraction `t` (0..=1) of the way from `a` to `b`; a symptom
/// missing on one side counts as unchanged there (scale 1, no stretch, no
/// addition).
fn interpolate(a: &Effects, b: &Effects, t: f32) -> Effects {
    let none = SymptomEffect::default();
    let symptoms: std::collections::BTreeSet<Symptom> = a.keys().chain(b.keys()).copied().collect();
    symptoms
        .into_iter()
        .map(|s| {
            let (x, y) = (a.get(&s).unwrap_or(&none), b.get(&s).unwrap_or(&none));
            let add = match (&x.add, &y.add) {
                (None, None) => None,
                (xa, ya) => {
                    let empty = AddCurve {
                        expected: vec![],
                        upper: vec![],
                    };
                    let (xa, ya) = (xa.as_ref().unwrap_or(&empty), ya.as_ref().unwrap_or(&empty));
                    let n = |c: &AddCurve| c.expected.len().max(c.upper.len());
                    let days = n(xa).max(n(ya));
                    Some(AddCurve {
                        expected: (0..days)
                            .map(|d| lerp(xa.expected_at(d), ya.expected_at(d), t))
                            .collect(),
                        upper: (0..days)
                            .map(|d| lerp(xa.upper_at(d), ya.upper_at(d), t))
                            .collect(),
                    })
                }
            };
            let effect = SymptomEffect {
                scale: lerp(x.scale, y.scale, t),
                tail_stretch: lerp(x.tail_stretch, y.tail_stretch, t),
                add,
            };
            (s, effect)
        })
        .collect()
}

fn check_effects(owner: &str, effects: &Effects, days: usize) -> Result<(), String> {
    for (s, e) in effects {
        if !(e.scale.is_finite() && e.scale > 0.0 && e.scale <= 3.0) {
            return Err(format!(
                "{owner}, {s}: scale must be above 0 and at most 3, not {}",
                e.scale
            ));
        }
        if !(e.tail_stretch.is_finite() && (-0.5..=3.0).contains(&e.tail_stretch)) {
            return Err(format!(
                "{owner}, {s}: tail_stretch must be between -0.5 and 3, not {}",
                e.tail_stretch
            ));
        }
        if let Some(add) = &e.add {
            if add.expected.len() > days || add.upper.len() > days {
                return Err(format!(
                    "{owner}, {s}: add covers more than the {days} days of the horizon"
                ));
            }
            let n = add.expected.len().max(add.upper.len());
            for d in 0..n {
                let (x, u) = (add.expected_at(d), add.upper_at(d));
                let in_range = |v: f32| v.is_finite() && (-10.0..=10.0).contains(&v);
                if !in_range(x) || !in_range(u) {
                    return Err(format!(
                        "{owner}, {s}: add on day {d} must be between -10 and 10"
                    ));
                }
                if u < x {
                    return Err(format!(
                        "{owner}, {s}: add on day {d} raises expected by {x} but the upper bound only by {u}"
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_value() -> serde_json::Value {
        serde_json::from_str(DEFAULT_JSON).unwrap()
    }

    fn v1_value() -> serde_json::Value {
        serde_json::from_str(V1_JSON).unwrap()
    }

    fn check(v: &serde_json::Value) -> Result<Protocol, String> {
        Protocol::from_json(&v.to_string())
    }

    #[test]
    fn default_protocol_loads() {
        let p = Protocol::default_microneedling();
        assert_eq!(p.version, 2);
        assert_eq!(p.horizon_days, 14);
        assert!(p.adjustments.depth_bands.is_empty());
        assert_eq!(p.adjustments.depth_points.len(), 5);
        // Round trip through JSON keeps it identical.
        assert_eq!(Protocol::from_json(&p.to_json()).unwrap(), p);
        // Version 1 still loads, with its bands.
        let v1 = Protocol::from_json(V1_JSON).unwrap();
        assert_eq!((v1.name.as_str(), v1.version), (p.name.as_str(), 1));
        assert_eq!(v1.adjustments.depth_bands.len(), 3);
        assert_eq!(Protocol::from_json(&v1.to_json()).unwrap(), v1);
        assert_eq!(Protocol::shipped_json()[1], Protocol::default_json());
    }

    #[test]
    fn depth_points_interpolate_without_steps() {
        let p = Protocol::default_microneedling();
        let scale = |mm: f64| {
            p.depth_effects(DepthMm::parse(mm).unwrap())
                .get(&Symptom::Redness)
                .map(|e| e.scale)
                .unwrap_or(1.0)
        };
        // Exactly at a point, that point's effects.
        assert_eq!(scale(0.5), 1.0);
        assert_eq!(scale(1.0), 1.15);
        assert_eq!(scale(2.0), 1.25);
        // Half way between 1.0 and 2.0.
        assert!((scale(1.5) - 1.2).abs() < 1e-6);
        // Below the first and above the last point: clamped.
        assert_eq!(scale(0.25), 1.0);
        assert_eq!(scale(3.0), 1.3);
        // 0.59 and 0.6 mm differ by a sliver, not a band's jump.
        assert!((scale(0.6) - scale(0.59)).abs() < 0.01);
        // Monotonic in depth, step by step.
        let mut prev = 0.0;
        for i in 25..=300 {
            let s = scale(f64::from(i) / 100.0);
            assert!(s >= prev - 1e-6, "{i}");
            prev = s;
        }
        // Per-day additions interpolate too; a side without the symptom is "no change".
        let mut v = default_value();
        v["adjustments"]["depth_points"][4]["effects"]["swelling"]["add"] =
            serde_json::json!({"expected": [2.0], "upper": [2.0]});
        let p = check(&v).unwrap();
        let e = p.depth_effects(DepthMm::parse(2.5).unwrap());
        let add = e[&Symptom::Swelling].add.as_ref().unwrap();
        assert!((add.expected_at(0) - 1.0).abs() < 1e-6);
        assert_eq!(add.expected_at(1), 0.0);
    }

    #[test]
    fn rejects_bad_depth_points() {
        let mut v = default_value();
        v["adjustments"]["depth_points"][2]["at_mm"] = 0.4.into();
        assert!(check(&v).unwrap_err().contains("sorted"));
        let mut v = default_value();
        v["adjustments"]["depth_points"][4]["at_mm"] = 3.5.into();
        assert!(check(&v).is_err());
        let mut v = default_value();
        v["adjustments"]["depth_points"] = serde_json::json!([]);
        assert!(check(&v).unwrap_err().contains("either"));
        let mut v = default_value();
        v["adjustments"]["depth_bands"] = v1_value()["adjustments"]["depth_bands"].clone();
        assert!(check(&v).unwrap_err().contains("not both"));
        let mut v = default_value();
        v["adjustments"]["depth_points"][3]["effects"]["redness"]["scale"] = 9.into();
        assert!(check(&v).is_err());
    }

    #[test]
    fn depth_band_edges() {
        let p = Protocol::from_json(V1_JSON).unwrap();
        let band = |mm: f64| {
            p.depth_band(DepthMm::parse(mm).unwrap())
                .unwrap()
                .name
                .clone()
        };
        assert_eq!(band(0.25), "superficial");
        assert_eq!(band(0.5), "superficial");
        assert_eq!(band(0.59), "superficial");
        assert_eq!(band(0.6), "medium");
        assert_eq!(band(1.5), "medium");
        assert_eq!(band(1.79), "medium");
        assert_eq!(band(1.8), "deep");
        assert_eq!(band(3.0), "deep");
    }

    #[test]
    fn rejects_bad_json_and_unknown_fields() {
        assert!(Protocol::from_json("{")
            .unwrap_err()
            .contains("not valid JSON"));
        let mut v = default_value();
        v["colour"] = "blue".into();
        assert!(check(&v).is_err());
        let mut v = default_value();
        v["adjustments"]["areas"][0]["effects"]["itchiness"] = serde_json::json!({"scale": 2});
        assert!(check(&v).is_err());
    }

    #[test]
    fn rejects_scores_out_of_range() {
        let mut v = default_value();
        v["base"]["redness"]["expected"][0] = 11.0.into();
        assert!(check(&v).unwrap_err().contains("0–10"));
        let mut v = default_value();
        v["base"]["redness"]["upper"][0] = 11.into();
        assert!(check(&v).is_err());
        let mut v = default_value();
        v["base"]["redness"]["expected"][3] = (-1.0).into();
        assert!(check(&v).is_err());
    }

    #[test]
    fn rejects_upper_below_expected() {
        let mut v = default_value();
        v["base"]["flaking"]["expected"][3] = 7.0.into();
        v["base"]["flaking"]["upper"][3] = 6.into();
        let err = check(&v).unwrap_err();
        assert!(err.contains("below the expected"), "{err}");
        let mut v = default_value();
        v["adjustments"]["addons"][0]["effects"]["flaking"] =
            serde_json::json!({"add": {"expected": [0, 2], "upper": [0, 1]}});
        assert!(check(&v).is_err());
    }

    #[test]
    fn rejects_gaps_in_days() {
        let mut v = default_value();
        v["base"]["swelling"]["expected"]
            .as_array_mut()
            .unwrap()
            .pop();
        assert!(check(&v).unwrap_err().contains("each day"));
        let mut v = default_value();
        v["horizon_days"] = 15.into();
        assert!(check(&v).is_err());
    }

    #[test]
    fn rejects_bad_bands_and_effects() {
        let mut v = v1_value();
        v["adjustments"]["depth_bands"][0]["from_mm"] = 0.3.into();
        assert!(check(&v).is_err(), "first band must cover 0.25");
        let mut v = v1_value();
        v["adjustments"]["depth_bands"][2]["from_mm"] = 0.6.into();
        assert!(check(&v).is_err(), "bands must ascend");
        let mut v = v1_value();
        v["adjustments"]["depth_bands"] = serde_json::json!([]);
        assert!(check(&v).is_err());
        let mut v = v1_value();
        v["adjustments"]["depth_bands"][1]["effects"]["redness"]["scale"] = 0.into();
        assert!(check(&v).is_err());
        let mut v = v1_value();
        v["adjustments"]["depth_bands"][1]["effects"]["redness"]["tail_stretch"] = (-0.9).into();
        assert!(check(&v).is_err());
        let mut v = default_value();
        let dup = v["adjustments"]["areas"][0].clone();
        v["adjustments"]["areas"].as_array_mut().unwrap().push(dup);
        assert!(check(&v).unwrap_err().contains("twice"));
    }

    #[test]
    fn rejects_empty_name_and_version_zero() {
        let mut v = default_value();
        v["name"] = "  ".into();
        assert!(check(&v).is_err());
        let mut v = default_value();
        v["version"] = 0.into();
        assert!(check(&v).is_err());
        let mut v = default_value();
        v["window_threshold"] = 0.into();
        assert!(check(&v).is_err());
    }
}
