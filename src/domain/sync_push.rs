//! What a sync push may carry that the server will not take, and what
//! happens to it. An app version cannot help sending some data (a table or
//! a sign code of a newer version, a date "tomorrow" after a flight east):
//! refusing the whole push for it would leave an app that can never sync
//! again. Such records are ignored or repaired and reported; a record that
//! cannot be repaired (a score of 42) still refuses the push, and conflicts
//! stay all-or-nothing.

use serde::Serialize;

use crate::domain::signs::Sign;
use crate::domain::sync_schema;

/// Days after the patient's local today a synced log may be dated. Local
/// dates on Earth run from UTC−12 to UTC+14, so a device that travelled
/// east (or set its own zone) may already be on the patient's tomorrow.
pub const SYNCED_LOG_GRACE_DAYS: u32 = 1;

/// Most sign codes one pushed log may carry, known or not.
pub const MAX_PUSHED_SIGNS: usize = 64;

/// Why part of a push was not taken. Records reported without a `column`
/// were not stored (their ids are in `experimentalRejectedIds`, so the
/// app keeps them for a later push); with a `column`, the record was stored
/// without that value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// A table this server does not sync (a newer app's).
    UnknownTable,
    /// A table that syncs down only (treatments, timeline, care, plans, flags).
    ReadOnlyTable,
    /// A reminder created or deleted by the app: the server plans and
    /// removes reminders; the app only checks them off.
    ServerManaged,
    /// A warning-sign code this server does not know (a newer app's list):
    /// dropped from the log, the rest of the log stored. A known code in
    /// the wrong case is not unknown (see [`split_signs`]).
    UnknownSign,
}

impl RejectReason {
    pub const ALL: [Self; 4] = [
        Self::UnknownTable,
        Self::ReadOnlyTable,
        Self::ServerManaged,
        Self::UnknownSign,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownTable => "unknown_table",
            Self::ReadOnlyTable => "read_only_table",
            Self::ServerManaged => "server_managed",
            Self::UnknownSign => "unknown_sign",
        }
    }

    /// What the reason means to an app team (the description in openapi.yaml).
    pub fn description(self) -> &'static str {
        match self {
            Self::UnknownTable => "A table this server does not sync (a newer app's): the record is ignored and stays unsynced on the device.",
            Self::ReadOnlyTable => "A table that only syncs down (treatments, timeline_days, care_instructions, reminder_plans, flags): the change is ignored and stays unsynced on the device; the next pull of that row restores the server's values.",
            Self::ServerManaged => "A reminder created or deleted by the app: the server plans and removes reminders, the app only checks them off (`done_at`). Ignored; stays unsynced on the device.",
            Self::UnknownSign => "A warning-sign code this server does not know (a newer app's list): dropped from the log, whose other values were stored; `column` is `signs` and `value` the code. A known code in another case (`Fever`) is not unknown: it refuses the push (422), so no danger sign is lost unseen.",
        }
    }

    /// Whether the record was stored (only a value of it dropped).
    pub fn stores_record(self) -> bool {
        matches!(self, Self::UnknownSign)
    }
}

/// What the server does with pushed records of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableRule {
    /// The app writes it (logs, reminder check-offs, preferences).
    Writable,
    /// Records are ignored and reported with this reason.
    Ignored(RejectReason),
}

pub fn table_rule(table: &str) -> TableRule {
    match sync_schema::TABLES.iter().find(|t| t.name == table) {
        Some(t) if t.writable => TableRule::Writable,
        Some(_) => TableRule::Ignored(RejectReason::ReadOnlyTable),
        None => TableRule::Ignored(RejectReason::UnknownTable),
    }
}

/// Pushed sign codes sorted out: the known signs, the codes dropped as
/// unknown (in the order sent, each once), and codes that are a known sign
/// in another case or with spaces (`"Fever"`). Those are an app's bug, not
/// a newer list: dropping them could lose a danger sign without anyone
/// seeing it, so they refuse the push like any invalid value.
#[derive(Debug, Default, PartialEq)]
pub struct PushedSigns {
    pub known: Vec<Sign>,
    pub dropped: Vec<String>,
    pub miscased: Vec<(String, Sign)>,
}

pub fn split_signs(codes: &[String]) -> PushedSigns {
    let mut out = PushedSigns::default();
    for code in codes {
        match Sign::parse(code) {
            Ok(s) => out.known.push(s),
            Err(_) => match Sign::parse(&code.trim().to_lowercase()) {
                Ok(s) => out.miscased.push((code.clone(), s)),
                Err(_) if !out.dropped.contains(code) => out.dropped.push(code.clone()),
                Err(_) => {}
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_writable_read_only_or_unknown() {
        assert_eq!(table_rule("symptom_logs"), TableRule::Writable);
        assert_eq!(table_rule("reminders"), TableRule::Writable);
        assert_eq!(table_rule("preferences"), TableRule::Writable);
        for t in [
            "treatments",
            "timeline_days",
            "care_instructions",
            "reminder_plans",
            "flags",
        ] {
            assert_eq!(
                table_rule(t),
                TableRule::Ignored(RejectReason::ReadOnlyTable),
                "{t}"
            );
        }
        assert_eq!(
            table_rule("photo_notes"),
            TableRule::Ignored(RejectReason::UnknownTable)
        );
    }

    #[test]
    fn unknown_sign_codes_are_split_off_once_miscased_ones_are_not_unknown() {
        let codes: Vec<String> = ["pus", "glitter", "Fever", "glitter", "itching", "sparkle"]
            .map(String::from)
            .into();
        let split = split_signs(&codes);
        assert_eq!(split.known, vec![Sign::Pus, Sign::Itching]);
        assert_eq!(split.dropped, vec!["glitter".to_string(), "sparkle".into()]);
        assert_eq!(split.miscased, vec![("Fever".to_string(), Sign::Fever)]);
    }

    #[test]
    fn only_dropped_values_keep_their_record() {
        for r in RejectReason::ALL {
            assert_eq!(r.stores_record(), r == RejectReason::UnknownSign, "{r:?}");
        }
    }
}
