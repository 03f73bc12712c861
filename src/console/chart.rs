//! Per-symptom recovery charts, drawn on the server as inline SVG: the
//! expected score as a line, the band up to the upper bound, and the logged
//! scores as points (a different shape when above the bound, so the reading
//! does not depend on colour), and days with warning signs as triangles along
//! the top. Drawn for about 560 px wide, two charts side by side on a laptop.

use maud::{html, Markup};

use super::i18n::Tr;
use crate::domain::timeline::Timeline;
use crate::domain::treatment::Symptom;

const W: f64 = 560.0;
const H: f64 = 290.0;
const LEFT: f64 = 34.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 34.0;
const MAX_SCORE: f64 = 10.0;

struct Scale {
    last_day: f64,
}

impl Scale {
    fn x(&self, day: f64) -> f64 {
        LEFT + (W - LEFT - RIGHT) * day / self.last_day.max(1.0)
    }

    fn y(&self, score: f64) -> f64 {
        TOP + (H - TOP - BOTTOM) * (1.0 - score.clamp(0.0, MAX_SCORE) / MAX_SCORE)
    }
}

/// One decimal is finer than a pixel; keeps the page small.
fn n(v: f64) -> String {
    format!("{v:.1}")
}

fn points(pairs: impl Iterator<Item = (f64, f64)>) -> String {
    pairs
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The chart of one symptom; `logged` holds (day, score) pairs and `signs`
/// (day, warning signs in words) for the days the patient reported any.
pub fn symptom(
    tr: Tr,
    id: &str,
    symptom: Symptom,
    timeline: &Timeline,
    logged: &[(i64, i32)],
    signs: &[(i64, String)],
) -> Markup {
    let s = Scale {
        last_day: timeline.last_day() as f64,
    };
    let days: Vec<(f64, f64, f64)> = timeline
        .days
        .iter()
        .map(|d| {
            let e = d.get(symptom);
            (d.day as f64, e.expected as f64, e.upper as f64)
        })
        .collect();
    let expected = points(days.iter().map(|(d, e, _)| (s.x(*d), s.y(*e))));
    let band = points(
        days.iter()
            .map(|(d, _, u)| (s.x(*d), s.y(*u)))
            .chain(days.iter().rev().map(|(d, e, _)| (s.x(*d), s.y(*e)))),
    );
    let upper_of = |day: i64| {
        timeline
            .at(day)
            .map(|d| d.get(symptom).upper as i32)
            .unwrap_or(10)
    };
    let shown: Vec<(i64, i32, bool)> = logged
        .iter()
        .filter(|(day, _)| (0..=timeline.last_day() as i64).contains(day))
        .map(|&(day, score)| (day, score, score > upper_of(day)))
        .collect();
    let sign_days: Vec<&(i64, String)> = signs
        .iter()
        .filter(|(day, _)| (0..=timeline.last_day() as i64).contains(day))
        .collect();
    let step = if s.last_day > 14.0 { 7 } else { 1 };
    let name = symptom.as_str();
    let title_id = format!("{id}-title");
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (W) " " (H) } role="img" aria-labelledby=(title_id)
                class={ "chart-svg chart-" (name) } {
                title id=(title_id) {
                    (tr.f("console-chart-title", &[
                        ("symptom", tr.symptom(name).into()),
                        ("logged", (shown.len() as i64).into()),
                        ("days", i64::from(timeline.last_day()).into()),
                    ]))
                    @if !sign_days.is_empty() {
                        (tr.f("console-chart-title-signs", &[("days", (sign_days.len() as i64).into())]))
                    }
                }
                @for score in [0.0, 5.0, 10.0] {
                    line.grid x1=(LEFT) x2=(W - RIGHT) y1=(n(s.y(score))) y2=(n(s.y(score))) {}
                    text.axis x=(LEFT - 6.0) y=(n(s.y(score) + 4.0)) text-anchor="end" { (score) }
                }
                @for day in (0..=timeline.last_day()).step_by(step) {
                    text.axis x=(n(s.x(day as f64))) y={ (H - BOTTOM + 14.0) } text-anchor="middle" { (day) }
                }
                text.axis x={ ((LEFT + W - RIGHT) / 2.0) } y={ (H - 2.0) } text-anchor="middle" { (tr.t("console-chart-axis")) }
                @for (day, _) in &sign_days {
                    @let x = s.x(*day as f64);
                    line.sign-day x1=(n(x)) x2=(n(x)) y1=(TOP) y2=(H - BOTTOM) {}
                }
                polygon.band points=(band) {}
                polyline.expected points=(expected) fill="none" {}
                @for (day, score, over) in &shown {
                    @let (x, y) = (s.x(*day as f64), s.y(*score as f64));
                    @if *over {
                        rect.logged.over x=(n(x - 6.0)) y=(n(y - 6.0)) width="12" height="12"
                            transform={ "rotate(45 " (n(x)) " " (n(y)) ")" } {
                            title { (tr.f("console-chart-point-over", &[("day", (*day).into()), ("score", (*score).into()), ("upper", upper_of(*day).into())])) }
                        }
                    } @else {
                        circle.logged cx=(n(x)) cy=(n(y)) r="6" {
                            title { (tr.f("console-chart-point", &[("day", (*day).into()), ("score", (*score).into())])) }
                        }
                    }
                }
                @for (day, what) in &sign_days {
                    @let x = s.x(*day as f64);
                    path.sign d={ "M" (n(x - 7.0)) " 4 L" (n(x + 7.0)) " 4 L" (n(x)) " 18 Z" } {
                        title { (tr.f("console-chart-signs", &[("day", (*day).into()), ("signs", what.as_str().into())])) }
                    }
                }
            }
            figcaption { (tr.symptom(name)) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::protocol::Protocol;
    use crate::domain::timeline::expected_timeline;
    use crate::domain::treatment::{Area, DepthMm};
    use crate::i18n::Locale;

    const EN: Tr = Tr(Locale::En);

    fn timeline() -> Timeline {
        let protocol = Protocol::default_microneedling();
        expected_timeline(&protocol, DepthMm::parse(0.5).unwrap(), Area::Face, &[])
    }

    #[test]
    fn draws_band_line_and_marks_scores_above_the_bound() {
        let t = timeline();
        let svg = symptom(
            EN,
            "c1",
            Symptom::Redness,
            &t,
            &[(0, 3), (1, 10), (99, 5)],
            &[],
        )
        .into_string();
        assert!(svg.contains("<polygon class=\"band\""), "{svg}");
        assert!(svg.contains("<polyline class=\"expected\""), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 1, "{svg}");
        assert_eq!(svg.matches("class=\"logged over\"").count(), 1, "{svg}");
        assert!(svg.contains("above the upper bound"), "{svg}");
        assert!(svg.contains("aria-labelledby=\"c1-title\""), "{svg}");
        assert!(!svg.contains("class=\"sign\""), "{svg}");
    }

    #[test]
    fn marks_days_with_warning_signs() {
        let t = timeline();
        let signs = [
            (1, "Pus or crust".to_string()),
            (2, "Fever".to_string()),
            (99, "Fever".into()),
        ];
        let svg = symptom(EN, "c2", Symptom::Swelling, &t, &[(1, 3)], &signs).into_string();
        assert_eq!(svg.matches("<path class=\"sign\"").count(), 2, "{svg}");
        assert_eq!(svg.matches("class=\"sign-day\"").count(), 2, "{svg}");
        assert!(svg.contains("day 1: warning signs: Pus or crust"), "{svg}");
    }
}
