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
//! - Depth bands are chosen by their inclusive lower edge `from_mm`: the band
//!   with the largest `from_mm` not above the depth applies.
//! - The expected window ends on the last day on which expected redness or
//!   swelling is at least `window_threshold`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    /// Sorted by `from_mm`, the first starting at 0.25 mm (the shallowest depth).
    pub depth_bands: Vec<DepthBand>,
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

impl Protocol {
    /// The shipped microneedling protocol.
    pub fn default_microneedling() -> Protocol {
        Protocol::from_json(DEFAULT_JSON).expect("shipped default protocol is valid")
    }

    /// The shipped protocol as JSON text, e.g. for a seed.
    pub fn default_json() -> &'static str {
        DEFAULT_JSON
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
        if bands.is_empty() {
            return Err("at least one depth band is needed".into());
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
        if bands[0].from_mm > DepthMm::MIN {
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

    fn check(v: &serde_json::Value) -> Result<Protocol, String> {
        Protocol::from_json(&v.to_string())
    }

    #[test]
    fn default_protocol_loads() {
        let p = Protocol::default_microneedling();
        assert_eq!(p.version, 1);
        assert_eq!(p.horizon_days, 14);
        assert_eq!(p.adjustments.depth_bands.len(), 3);
        // Round trip through JSON keeps it identical.
        assert_eq!(Protocol::from_json(&p.to_json()).unwrap(), p);
    }

    #[test]
    fn depth_band_edges() {
        let p = Protocol::default_microneedling();
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
        let mut v = default_value();
        v["adjustments"]["depth_bands"][0]["from_mm"] = 0.3.into();
        assert!(check(&v).is_err(), "first band must cover 0.25");
        let mut v = default_value();
        v["adjustments"]["depth_bands"][2]["from_mm"] = 0.6.into();
        assert!(check(&v).is_err(), "bands must ascend");
        let mut v = default_value();
        v["adjustments"]["depth_bands"] = serde_json::json!([]);
        assert!(check(&v).is_err());
        let mut v = default_value();
        v["adjustments"]["depth_bands"][1]["effects"]["redness"]["scale"] = 0.into();
        assert!(check(&v).is_err());
        let mut v = default_value();
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
