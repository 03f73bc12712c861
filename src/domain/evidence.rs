//! A flag's evidence in clinical words ("Redness 4 on day 6, expected at
//! most 2"), for the console. Pure: reads the evidence the assessment stored
//! (`assessment.rs`) and never shows its keys; a shape it does not know
//! gives one neutral sentence instead of a dump.

use serde_json::Value;

/// Sentences describing `evidence` of a flag with `reason`, most telling first.
pub fn describe(reason: &str, evidence: &Value) -> Vec<String> {
    let day = evidence.get("day").and_then(Value::as_i64);
    let on_day = |d: Option<i64>| d.map(|d| format!(" on day {d}")).unwrap_or_default();
    let mut out = match reason {
        "above_upper_bound" => items(evidence, "symptoms")
            .iter()
            .filter_map(|s| {
                Some(format!(
                    "{} {}{}, expected at most {}",
                    words(s.get("symptom")?.as_str()?),
                    s.get("score")?.as_i64()?,
                    on_day(day),
                    s.get("upper")?.as_i64()?
                ))
            })
            .collect(),
        "persisting_beyond_window" => {
            let window = evidence.get("window_days").and_then(Value::as_i64);
            items(evidence, "symptoms")
                .iter()
                .filter_map(|s| {
                    let mut line = format!(
                        "{} {}{}",
                        words(s.get("symptom")?.as_str()?),
                        s.get("score")?.as_i64()?,
                        on_day(day)
                    );
                    if let Some(w) = window {
                        line.push_str(&format!(", after the expected {w} days of healing"));
                    }
                    Some(line)
                })
                .collect()
        }
        "rebound" => items(evidence, "symptoms")
            .iter()
            .filter_map(|s| {
                let logs: Vec<(i64, i64)> = items(s, "logs")
                    .iter()
                    .filter_map(|l| Some((l.get("day")?.as_i64()?, l.get("score")?.as_i64()?)))
                    .collect();
                let steps = logs
                    .iter()
                    .map(|(d, v)| format!("{v} on day {d}"))
                    .collect::<Vec<_>>()
                    .join(" to ");
                Some(format!(
                    "{} rose from {steps}",
                    words(s.get("symptom")?.as_str()?)
                ))
            })
            .collect(),
        "missed_logs" => items(evidence, "runs")
            .iter()
            .filter_map(|r| {
                let (from, to) = (r.get("from_day")?.as_i64()?, r.get("to_day")?.as_i64()?);
                Some(if from == to {
                    format!("No log on day {from}")
                } else {
                    format!("No log on days {from} to {to}")
                })
            })
            .collect(),
        _ => {
            let signs: Vec<String> = items(evidence, "signs")
                .iter()
                .filter_map(|s| s.as_str().map(words))
                .collect();
            if signs.is_empty() {
                Vec::new()
            } else {
                vec![format!("{} reported{}", list(&signs), on_day(day))]
            }
        }
    };
    if reason == "dark_patches" {
        if let Some(f) = evidence.get("fitzpatrick").and_then(Value::as_i64) {
            let risk = if evidence.get("darker_skin_type").and_then(Value::as_bool) == Some(true) {
                ": higher risk of lasting pigmentation"
            } else {
                ""
            };
            out.push(format!("Skin type Fitzpatrick {}{risk}", roman(f)));
        }
    }
    if out.is_empty() {
        out.push(format!("{}{}", words(reason), on_day(day)));
    }
    out
}

/// The patient's day the evidence speaks of: the logged day, or the last
/// missed one.
pub fn day(evidence: &Value) -> Option<i64> {
    evidence.get("day").and_then(Value::as_i64).or_else(|| {
        items(evidence, "runs")
            .iter()
            .filter_map(|r| r.get("to_day").and_then(Value::as_i64))
            .max()
    })
}

/// The local date (YYYY-MM-DD) of the log the evidence comes from, if one.
pub fn log_date(evidence: &Value) -> Option<&str> {
    evidence.get("date").and_then(Value::as_str)
}

fn items<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// `snake_case` codes as words: "pus_or_crust" → "Pus or crust".
pub fn words(code: &str) -> String {
    let text = code.replace('_', " ");
    let mut c = text.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// "A", "A and B", "A, B and C"; later items lower-cased.
fn list(items: &[String]) -> String {
    let lower: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(i, s)| if i == 0 { s.clone() } else { s.to_lowercase() })
        .collect();
    match lower.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => lower.concat(),
    }
}

fn roman(n: i64) -> &'static str {
    ["I", "II", "III", "IV", "V", "VI"]
        .get((n - 1).clamp(0, 6) as usize)
        .copied()
        .unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scores_above_the_bound_read_as_a_sentence() {
        let ev = json!({"day": 6, "date": "2026-03-07", "scores": {"redness": 4},
            "symptoms": [{"symptom": "redness", "score": 4, "expected": 1.0, "upper": 2, "standing": "above"}]});
        assert_eq!(
            describe("above_upper_bound", &ev),
            ["Redness 4 on day 6, expected at most 2"]
        );
        assert_eq!(day(&ev), Some(6));
        assert_eq!(log_date(&ev), Some("2026-03-07"));
    }

    #[test]
    fn signs_rebounds_missed_days_and_persisting_symptoms() {
        let signs = json!({"day": 4, "signs": ["pus_or_crust", "fever"]});
        assert_eq!(
            describe("infection_signs", &signs),
            ["Pus or crust and fever reported on day 4"]
        );
        let rebound = json!({"day": 5, "symptoms": [{"symptom": "swelling", "rules": ["x"],
            "logs": [{"day": 4, "score": 1}, {"day": 5, "score": 5}]}]});
        assert_eq!(
            describe("rebound", &rebound),
            ["Swelling rose from 1 on day 4 to 5 on day 5"]
        );
        let missed = json!({"runs": [{"from_day": 2, "to_day": 3, "days": 2}]});
        assert_eq!(describe("missed_logs", &missed), ["No log on days 2 to 3"]);
        assert_eq!(day(&missed), Some(3));
        let slow = json!({"day": 9, "window_days": 5,
            "symptoms": [{"symptom": "redness", "score": 3, "expected": 0.0, "upper": 1}]});
        assert_eq!(
            describe("persisting_beyond_window", &slow),
            ["Redness 3 on day 9, after the expected 5 days of healing"]
        );
    }

    #[test]
    fn dark_patches_name_the_skin_type_and_unknown_shapes_show_no_keys() {
        let ev = json!({"day": 6, "signs": ["dark_patches"], "fitzpatrick": 5, "darker_skin_type": true});
        assert_eq!(
            describe("dark_patches", &ev),
            [
                "Dark patches reported on day 6",
                "Skin type Fitzpatrick V: higher risk of lasting pigmentation"
            ]
        );
        let odd = json!({"day": 2, "weird_key": {"nested": 1}});
        let text = describe("something_new", &odd).join(" ");
        assert_eq!(text, "Something new on day 2");
        assert!(!text.contains("weird"));
    }
}
