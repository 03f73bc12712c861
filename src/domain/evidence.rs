//! Where in a patient's course a flag's evidence points: the day it speaks
//! of and the log it comes from. The clinical wording of the evidence is
//! `assessment::describe`.

use serde_json::Value;

/// The patient's day the evidence speaks of: the logged day, or the last
/// missed one.
pub fn day(evidence: &Value) -> Option<i64> {
    evidence.get("day").and_then(Value::as_i64).or_else(|| {
        evidence
            .get("runs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("to_day").and_then(Value::as_i64))
            .max()
    })
}

/// The local date (YYYY-MM-DD) of the log the evidence comes from, if one.
pub fn log_date(evidence: &Value) -> Option<&str> {
    evidence.get("date").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_day_and_log_of_evidence() {
        let ev = json!({"day": 6, "date": "2026-03-07", "symptoms": []});
        assert_eq!(day(&ev), Some(6));
        assert_eq!(log_date(&ev), Some("2026-03-07"));
        let missed = json!({"runs": [{"from_day": 2, "to_day": 3}, {"from_day": 5, "to_day": 6}]});
        assert_eq!(day(&missed), Some(6));
        assert_eq!(log_date(&missed), None);
    }
}
