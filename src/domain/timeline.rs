//! The expected healing timeline of one treatment, derived from a protocol.

use serde::{Deserialize, Serialize};

use crate::domain::protocol::{Curve, Effects, Protocol};
use crate::domain::treatment::{Addon, Area, DepthMm, Symptom};

/// Redness and swelling bounds stop here, so a score of 9–10 is never on
/// course on any day (a rule of the assessment, kept in the curves so charts
/// show it too).
pub const HIGHEST_BOUND_REDNESS_SWELLING: u8 = 8;

/// The highest upper bound (and expected score) a curve of `symptom` may have.
pub fn highest_bound(symptom: Symptom) -> u8 {
    match symptom {
        Symptom::Redness | Symptom::Swelling => HIGHEST_BOUND_REDNESS_SWELLING,
        Symptom::Flaking | Symptom::Sensitivity => 10,
    }
}

/// An expected score as shown: one decimal, as an `f64` so that JSON
/// carries `0.3` and not the `f32`'s `0.30000001192092896`.
pub fn one_decimal(v: f32) -> f64 {
    (f64::from(v) * 10.0).round() / 10.0
}

/// Serializes an `f32` score through [`one_decimal`].
pub fn serialize_one_decimal<S: serde::Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(one_decimal(*v))
}

/// Expected score (0–10, one decimal) and the highest score still on course.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Expectation {
    #[serde(serialize_with = "serialize_one_decimal")]
    pub expected: f32,
    pub upper: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineDay {
    pub day: u32,
    pub redness: Expectation,
    pub swelling: Expectation,
    pub flaking: Expectation,
    pub sensitivity: Expectation,
}

impl TimelineDay {
    pub fn get(&self, symptom: Symptom) -> Expectation {
        match symptom {
            Symptom::Redness => self.redness,
            Symptom::Swelling => self.swelling,
            Symptom::Flaking => self.flaking,
            Symptom::Sensitivity => self.sensitivity,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub protocol: String,
    pub protocol_version: u32,
    /// Last day on which visible redness or swelling is expected.
    pub window_days: u32,
    /// Days 0..=horizon, one entry per day.
    pub days: Vec<TimelineDay>,
}

impl Timeline {
    /// The expectation for a day; past the end, the last day (fully healed)
    /// applies. Negative days have none.
    pub fn at(&self, day: i64) -> Option<&TimelineDay> {
        if day < 0 {
            return None;
        }
        let i = usize::try_from(day).unwrap_or(usize::MAX);
        self.days.get(i).or(self.days.last())
    }

    pub fn last_day(&self) -> u32 {
        self.days.last().map(|d| d.day).unwrap_or(0)
    }

    /// The same course carried on to `last_day` (the last check-in): past
    /// the protocol's horizon the skin is expected healed, so each added day
    /// repeats the last one.
    pub fn extended_to(mut self, last_day: u32) -> Timeline {
        if let Some(last) = self.days.last().cloned() {
            for day in last.day + 1..=last_day {
                self.days.push(TimelineDay {
                    day,
                    ..last.clone()
                });
            }
        }
        self
    }
}

/// Combined effect of every adjustment on one symptom.
struct Combined {
    scale: f64,
    stretch: f64,
    add_expected: Vec<f64>,
    add_upper: Vec<f64>,
}

fn combine(effects: &[&Effects], symptom: Symptom, days: usize) -> Combined {
    let mut c = Combined {
        scale: 1.0,
        stretch: 1.0,
        add_expected: vec![0.0; days],
        add_upper: vec![0.0; days],
    };
    for e in effects.iter().filter_map(|m| m.get(&symptom)) {
        c.scale *= f64::from(e.scale);
        c.stretch += f64::from(e.tail_stretch);
        if let Some(add) = &e.add {
            for d in 0..days {
                c.add_expected[d] += f64::from(add.expected_at(d));
                c.add_upper[d] += f64::from(add.upper_at(d));
            }
        }
    }
    // Never squeeze the decay to less than half its base length.
    c.stretch = c.stretch.max(0.5);
    c
}

/// Linear interpolation in a per-day series; past the end, the last value.
fn sample(values: &[f64], x: f64) -> f64 {
    let Some(last) = values.len().checked_sub(1) else {
        return 0.0;
    };
    if x >= last as f64 {
        return values[last];
    }
    let i = x.floor() as usize;
    let t = x - i as f64;
    values[i] * (1.0 - t) + values[i + 1] * t
}

fn peak_day(expected: &[f32]) -> usize {
    let mut best = 0;
    for (d, &v) in expected.iter().enumerate() {
        if v > expected[best] {
            best = d;
        }
    }
    best
}

/// `cap`: the highest expected score and upper bound the curve may reach.
fn derive_curve(base: &Curve, c: &Combined, days: usize, cap: f64) -> Vec<Expectation> {
    let expected: Vec<f64> = base.expected.iter().map(|&v| f64::from(v)).collect();
    let upper: Vec<f64> = base.upper.iter().map(|&v| f64::from(v)).collect();
    let peak = peak_day(&base.expected) as f64;
    (0..days)
        .map(|d| {
            let day = d as f64;
            // Stretch only the decay, so the peak day stays where it was.
            let x = if day <= peak {
                day
            } else {
                peak + (day - peak) / c.stretch
            };
            let plain = sample(&expected, x);
            let e = plain * c.scale + c.add_expected[d];
            // Scaling raises the bound by as much as the expectation, so the
            // base margin (upper - expected) is kept rather than multiplied.
            let u = sample(&upper, x) + plain * (c.scale - 1.0) + c.add_upper[d];
            let e = ((e.clamp(0.0, cap) * 10.0).round() / 10.0) as f32;
            let u = u.clamp(0.0, cap).round() as u8;
            // A log of the rounded expectation must always be within bounds;
            // the tolerance keeps float noise (2.0000001) from raising it.
            let u = u.max((f64::from(e) - 1e-6).ceil() as u8);
            Expectation {
                expected: e,
                upper: u,
            }
        })
        .collect()
}

/// The expected course for a treatment under a protocol. Meant for a
/// protocol that passed `Protocol::from_json`; an unvalidated one never
/// panics but may give odd curves.
pub fn expected_timeline(
    protocol: &Protocol,
    depth: DepthMm,
    area: Area,
    addons: &[Addon],
) -> Timeline {
    let days = protocol.horizon_days as usize + 1;
    let depth_effects = protocol.depth_effects(depth);
    let mut effects: Vec<&Effects> = vec![&depth_effects];
    effects.extend(protocol.area_effects(area));
    let mut seen: Vec<Addon> = Vec::new();
    for &a in addons {
        // The same add-on listed twice is still one add-on.
        if !seen.contains(&a) {
            seen.push(a);
            effects.extend(protocol.addon_effects(a));
        }
    }

    // Indexed like Symptom::ALL; each curve has exactly `days` entries.
    let curves = Symptom::ALL.map(|s| {
        let c = combine(&effects, s, days);
        derive_curve(protocol.base.get(s), &c, days, f64::from(highest_bound(s)))
    });
    let out: Vec<TimelineDay> = (0..days)
        .map(|d| TimelineDay {
            day: d as u32,
            redness: curves[0][d],
            swelling: curves[1][d],
            flaking: curves[2][d],
            sensitivity: curves[3][d],
        })
        .collect();

    let threshold = protocol.window_threshold;
    let window_days = out
        .iter()
        .filter(|d| d.redness.expected >= threshold || d.swelling.expected >= threshold)
        .map(|d| d.day)
        .max()
        .unwrap_or(0);

    Timeline {
        protocol: protocol.name.clone(),
        protocol_version: protocol.version,
        window_days,
        days: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tl(mm: f64, area: Area, addons: &[Addon]) -> Timeline {
        expected_timeline(
            &Protocol::default_microneedling(),
            DepthMm::parse(mm).unwrap(),
            area,
            addons,
        )
    }

    fn expected(t: &Timeline, s: Symptom, day: i64) -> f32 {
        t.at(day).unwrap().get(s).expected
    }

    fn depths() -> Vec<f64> {
        (5..=60).map(|i| f64::from(i) * 0.05).collect()
    }

    fn addon_sets() -> Vec<Vec<Addon>> {
        (0..16u8)
            .map(|m| {
                Addon::ALL
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| m & (1 << i) != 0)
                    .map(|(_, a)| a)
                    .collect()
            })
            .collect()
    }

    /// Every depth band × area × add-on combination.
    fn all_timelines() -> Vec<(String, Timeline)> {
        let mut out = Vec::new();
        for mm in [0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0] {
            for area in Area::ALL {
                for addons in addon_sets() {
                    out.push((format!("{mm} {area} {addons:?}"), tl(mm, area, &addons)));
                }
            }
        }
        out
    }

    #[test]
    fn extended_to_the_last_check_in_repeats_the_healed_day() {
        let t = tl(1.0, Area::Face, &[]);
        let horizon = t.last_day();
        let healed = t.days.last().cloned().unwrap();
        let e = t.clone().extended_to(56);
        assert_eq!(e.last_day(), 56);
        assert_eq!(e.days.len(), 57);
        assert_eq!(e.days[..=horizon as usize], t.days[..]);
        for (i, d) in e.days.iter().enumerate() {
            assert_eq!(d.day as usize, i);
        }
        assert_eq!(e.days[40].redness, healed.redness);
        assert_eq!(e.window_days, t.window_days);
        // Never shortened.
        assert_eq!(t.clone().extended_to(3), t);
    }

    #[test]
    fn shallow_face_follows_the_published_course() {
        let t = tl(0.5, Area::Face, &[]);
        assert!(expected(&t, Symptom::Redness, 0) >= 5.0);
        assert!(expected(&t, Symptom::Redness, 1) >= 4.0);
        assert!(expected(&t, Symptom::Redness, 3) <= 1.0);
        assert!(expected(&t, Symptom::Swelling, 3) <= 1.0);
        assert_eq!(t.window_days, 3);
        for s in Symptom::ALL {
            assert_eq!(expected(&t, s, 7), 0.0, "{s} resolved within 7 days");
        }
    }

    #[test]
    fn deep_face_stays_red_longer() {
        let t = tl(2.5, Area::Face, &[]);
        assert!(expected(&t, Symptom::Redness, 5) >= 1.0);
        assert!((6..=7).contains(&t.window_days), "{}", t.window_days);
        let m = tl(1.0, Area::Face, &[]);
        assert!((4..=5).contains(&m.window_days), "{}", m.window_days);
        let s = tl(0.25, Area::Face, &[]);
        assert!((2..=3).contains(&s.window_days), "{}", s.window_days);
    }

    #[test]
    fn window_grows_monotonically_with_depth() {
        for area in Area::ALL {
            for addons in addon_sets() {
                let mut prev = 0;
                for mm in depths() {
                    let w = tl(mm, area, &addons).window_days;
                    assert!(w >= prev, "{mm} mm {area} {addons:?}: {w} < {prev}");
                    prev = w;
                }
            }
        }
    }

    #[test]
    fn flaking_peaks_on_day_two_to_four() {
        for (name, t) in all_timelines() {
            let peak = t
                .days
                .iter()
                .max_by(|a, b| a.flaking.expected.total_cmp(&b.flaking.expected))
                .unwrap();
            // Ties resolve to the earliest day with the peak value.
            let first = t
                .days
                .iter()
                .find(|d| d.flaking.expected == peak.flaking.expected)
                .unwrap();
            assert!(
                (2..=4).contains(&first.day),
                "{name}: peak day {}",
                first.day
            );
            assert!(first.flaking.expected > 0.0);
        }
    }

    #[test]
    fn redness_and_swelling_peak_on_day_zero_or_one() {
        for (name, t) in all_timelines() {
            for s in [Symptom::Redness, Symptom::Swelling] {
                let top = (0..=t.last_day() as i64)
                    .map(|d| expected(&t, s, d))
                    .fold(0.0f32, f32::max);
                assert!(
                    expected(&t, s, 0) == top || expected(&t, s, 1) == top,
                    "{name} {s}"
                );
            }
        }
    }

    #[test]
    fn neck_and_body_stay_red_longer_than_face() {
        for mm in [0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0] {
            let face = tl(mm, Area::Face, &[]);
            for other in [Area::Neck, Area::Body] {
                let t = tl(mm, other, &[]);
                assert!(t.window_days >= face.window_days, "{mm} {other}");
                for d in 0..=14 {
                    assert!(
                        expected(&t, Symptom::Redness, d) >= expected(&face, Symptom::Redness, d),
                        "{mm} {other} day {d}"
                    );
                }
            }
            let neck = tl(mm, Area::Neck, &[]);
            assert!(neck.window_days > face.window_days, "{mm} neck");
        }
    }

    #[test]
    fn peel_and_rf_add_flaking() {
        for mm in [0.5, 1.0, 2.5] {
            let plain = tl(mm, Area::Face, &[]);
            let sum = |t: &Timeline| t.days.iter().map(|d| d.flaking.expected).sum::<f32>();
            for addon in [Addon::Peel, Addon::Rf] {
                let t = tl(mm, Area::Face, &[addon]);
                assert!(sum(&t) > sum(&plain) + 2.0, "{mm} {addon}");
                for d in 2..=4 {
                    assert!(
                        expected(&t, Symptom::Flaking, d) > expected(&plain, Symptom::Flaking, d),
                        "{mm} {addon} day {d}"
                    );
                }
            }
            // Serum changes nothing; PRP only a little swelling.
            assert_eq!(tl(mm, Area::Face, &[Addon::Serum]).days, plain.days);
            let prp = tl(mm, Area::Face, &[Addon::Prp]);
            assert_eq!(prp.window_days, plain.window_days);
            assert!(
                expected(&prp, Symptom::Swelling, 0)
                    <= expected(&plain, Symptom::Swelling, 0) + 0.5
            );
        }
    }

    #[test]
    fn duplicate_addons_count_once() {
        assert_eq!(
            tl(1.0, Area::Face, &[Addon::Peel, Addon::Peel]),
            tl(1.0, Area::Face, &[Addon::Peel])
        );
    }

    #[test]
    fn upper_is_never_below_expected_and_all_in_range() {
        for (name, t) in all_timelines() {
            assert_eq!(t.days.len(), 15, "{name}");
            for (i, d) in t.days.iter().enumerate() {
                assert_eq!(d.day as usize, i);
                for s in Symptom::ALL {
                    let x = d.get(s);
                    assert!((0.0..=10.0).contains(&x.expected), "{name} {s} day {i}");
                    assert!(x.upper <= 10, "{name} {s} day {i}");
                    assert!(
                        f32::from(x.upper) >= x.expected,
                        "{name} {s} day {i}: {x:?}"
                    );
                    // Expected values carry at most one decimal.
                    assert!(((x.expected * 10.0).round() - x.expected * 10.0).abs() < 1e-3);
                }
            }
        }
    }

    #[test]
    fn nothing_expected_past_the_window_is_visible() {
        // After the window, rounding expected redness/swelling stays below
        // the "persisting" threshold of 2.
        for (name, t) in all_timelines() {
            for d in &t.days[(t.window_days as usize + 1)..] {
                assert!(d.redness.expected < 1.0, "{name} day {}", d.day);
                assert!(d.swelling.expected < 1.0, "{name} day {}", d.day);
            }
            assert!(t.window_days <= 10, "{name}");
        }
    }

    #[test]
    fn at_handles_edges() {
        let t = tl(0.5, Area::Face, &[]);
        assert!(t.at(-1).is_none());
        assert_eq!(t.at(0).unwrap().day, 0);
        assert_eq!(t.at(14).unwrap().day, 14);
        let past = t.at(400).unwrap();
        assert_eq!(past.day, 14);
        for s in Symptom::ALL {
            assert_eq!(past.get(s).expected, 0.0);
            assert!(past.get(s).upper <= 3);
        }
        assert!(t.at(i64::MAX).is_some());
    }

    #[test]
    fn serializes_for_the_api() {
        let t = tl(0.5, Area::Face, &[]);
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(v["window_days"], 3);
        assert_eq!(v["protocol_version"], 2);
        assert_eq!(v["days"][0]["day"], 0);
        assert_eq!(v["days"][0]["redness"]["expected"], 6.0);
        assert_eq!(v["days"][0]["redness"]["upper"], 8);
        let back: Timeline = serde_json::from_value(v).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn no_step_between_depths() {
        // 0.01 mm deeper never changes an expected score by more than 0.2
        // or a bound by more than 1 (rounding), for any area and add-on.
        for area in Area::ALL {
            for addons in addon_sets() {
                let mut prev = tl(0.25, area, &addons);
                for i in 26..=300 {
                    let t = tl(f64::from(i) / 100.0, area, &addons);
                    for (a, b) in prev.days.iter().zip(&t.days) {
                        for s in Symptom::ALL {
                            let (x, y) = (a.get(s), b.get(s));
                            assert!((x.expected - y.expected).abs() <= 0.2, "{i} {area} {s}");
                            assert!(x.upper.abs_diff(y.upper) <= 1, "{i} {area} {s}");
                        }
                    }
                    prev = t;
                }
            }
        }
    }

    #[test]
    fn redness_and_swelling_bounds_stop_at_eight() {
        for (name, t) in all_timelines() {
            for d in &t.days {
                for s in [Symptom::Redness, Symptom::Swelling] {
                    assert!(d.get(s).upper <= 8, "{name} {s} day {}", d.day);
                }
            }
        }
    }

    #[test]
    fn an_unvalidated_protocol_does_not_panic() {
        let mut p = Protocol::default_microneedling();
        p.adjustments.depth_bands.clear();
        p.base.redness.expected.clear();
        p.base.swelling.upper.truncate(3);
        let t = expected_timeline(&p, DepthMm::parse(1.0).unwrap(), Area::Face, &[]);
        assert_eq!(t.days.len(), 15);
        assert_eq!(t.at(2).unwrap().redness.expected, 0.0);
    }

    #[test]
    fn a_tuned_protocol_changes_the_timeline() {
        let mut v: serde_json::Value = serde_json::from_str(Protocol::default_json()).unwrap();
        v["version"] = 3.into();
        v["adjustments"]["depth_points"][1]["effects"] =
            serde_json::json!({"redness": {"tail_stretch": 1.0}});
        let p = Protocol::from_json(&v.to_string()).unwrap();
        let t = expected_timeline(&p, DepthMm::parse(0.5).unwrap(), Area::Face, &[]);
        assert_eq!(t.protocol_version, 3);
        assert!(t.window_days > 3);
    }

    #[test]
    fn expected_scores_serialize_with_one_decimal_and_no_float_noise() {
        let e = Expectation {
            expected: 0.3,
            upper: 2,
        };
        assert_eq!(
            serde_json::to_value(e).unwrap()["expected"].to_string(),
            "0.3"
        );
        assert_eq!(serde_json::json!(one_decimal(2.7)).to_string(), "2.7");
    }
}
