//! Alerts to clinicians: the flag events that alert, the clinic's alert
//! settings and emergency number. Alerts carry ids, the clinic, the severity
//! and the reason: never a patient's name, note or score. Their words are
//! catalogue messages keyed by the event's code (`app::alerts`).

use super::account::Email;
use super::assessment::Severity;

/// What happened to a flag that someone outside the console should hear of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagEvent {
    Opened,
    Reopened,
    Escalated,
    Resolved,
}

impl FlagEvent {
    /// The webhook event type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "flag.opened",
            Self::Reopened => "flag.reopened",
            Self::Escalated => "flag.escalated",
            Self::Resolved => "flag.resolved",
        }
    }

    /// The event without its `flag.` prefix, as catalogue keys name it.
    pub fn code(self) -> &'static str {
        self.as_str().trim_start_matches("flag.")
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Opened,
            Self::Reopened,
            Self::Escalated,
            Self::Resolved,
        ]
        .into_iter()
        .find(|e| e.as_str() == s)
    }
}

/// Most addresses a clinic's alert list may hold.
pub const MAX_ALERT_EMAILS: usize = 20;

/// The clinic's alert addresses: valid, lower-cased, without repeats.
pub fn alert_emails(raw: &[String]) -> Result<Vec<Email>, String> {
    if raw.len() > MAX_ALERT_EMAILS {
        return Err(format!("at most {MAX_ALERT_EMAILS} addresses"));
    }
    let mut out: Vec<Email> = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let e = Email::parse(r).map_err(|m| format!("[{i}] {m}"))?;
        if !out.contains(&e) {
            out.push(e);
        }
    }
    Ok(out)
}

/// Whether a flag of `severity` alerts a clinic whose lowest alerting
/// severity is `min`.
pub fn alerts(severity: Severity, min: Severity) -> bool {
    severity.rank() <= min.rank()
}

/// A phone number patients are told to call: digits, `+`, spaces, short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyNumber(String);

impl EmergencyNumber {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        let digits = s.chars().filter(char::is_ascii_digit).count();
        let shape = s
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == ' ' || (c == '+' && i == 0));
        if !shape || digits == 0 || s.len() > 20 {
            return Err(
                "must be a phone number of digits, spaces and a leading +, at most 20 characters"
                    .into(),
            );
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emergency_numbers() {
        for ok in ["112", "+90 212 555 0101", "911"] {
            assert!(EmergencyNumber::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "abc", "1-800", "12+3", "+", &"1".repeat(21)] {
            assert!(EmergencyNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn alert_emails_are_checked_and_deduplicated() {
        let got = alert_emails(&["A@x.org".into(), "a@x.org".into(), "b@x.org".into()]).unwrap();
        assert_eq!(got.len(), 2);
        let err = alert_emails(&["ok@x.org".into(), "nope".into()]).unwrap_err();
        assert!(err.starts_with("[1]"), "{err}");
        assert!(alert_emails(&vec!["a@x.org".to_string(); 21]).is_err());
    }

    #[test]
    fn min_severity_gates_alerts() {
        assert!(alerts(Severity::Urgent, Severity::Urgent));
        assert!(!alerts(Severity::Routine, Severity::Urgent));
        assert!(alerts(Severity::Review, Severity::Routine));
    }

    #[test]
    fn event_types_round_trip() {
        for e in [
            FlagEvent::Opened,
            FlagEvent::Reopened,
            FlagEvent::Escalated,
            FlagEvent::Resolved,
        ] {
            assert_eq!(FlagEvent::parse(e.as_str()), Some(e));
        }
    }
}
