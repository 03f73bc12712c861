//! The synced tables and columns, by schema version: the one place that says
//! what an app of a given version has pulled, so that a pull can honour
//! WatermelonDB's `migration` (send whole rows of tables and columns the
//! device has never pulled).
//!
//! An app's schema version is the version of this list it was written
//! against. A column or table added to a pull row must be added here under a
//! new version (a test compares real pulls with [`columns_at`]).

use std::collections::BTreeSet;

use serde::Deserialize;

/// The newest schema version the server speaks.
pub const CURRENT_VERSION: u32 = 4;

/// Columns of one table and the version that introduced each (`id` is
/// implicit and always present).
pub struct TableHistory {
    pub name: &'static str,
    /// Version in which the table first synced.
    pub since: u32,
    pub columns: &'static [(&'static str, u32)],
    /// Whether the app may push rows of it.
    pub writable: bool,
}

const fn col(name: &'static str, since: u32) -> (&'static str, u32) {
    (name, since)
}

/// Every synced table, oldest first.
pub const TABLES: &[TableHistory] = &[
    TableHistory {
        name: "treatments",
        since: 1,
        writable: false,
        columns: &[
            col("performed_at", 1),
            col("day0", 1),
            col("area", 1),
            col("depth_mm", 1),
            col("addons", 1),
            col("session_number", 1),
            col("protocol_name", 1),
            col("protocol_version", 1),
            col("window_days", 1),
            // Treatment series (sessions, risk factors, products).
            col("previous_treatment_id", 2),
            col("risk_factors", 2),
            col("products", 2),
            // Corrections: a cancelled treatment, a discharged patient.
            col("cancelled_at", 4),
            col("discharged_at", 4),
        ],
    },
    TableHistory {
        name: "timeline_days",
        since: 1,
        writable: false,
        columns: &[
            col("treatment_id", 1),
            col("day", 1),
            col("date", 1),
            col("redness_expected", 1),
            col("redness_upper", 1),
            col("swelling_expected", 1),
            col("swelling_upper", 1),
            col("flaking_expected", 1),
            col("flaking_upper", 1),
            col("sensitivity_expected", 1),
            col("sensitivity_upper", 1),
            // Languages: the day as a heading in the patient's locale.
            col("label", 3),
        ],
    },
    TableHistory {
        name: "care_instructions",
        since: 1,
        writable: false,
        columns: &[
            col("treatment_id", 1),
            col("day", 1),
            col("do_items", 1),
            col("dont_items", 1),
            col("call_clinic_if", 1),
            // Clinical triage v2: the day's emergency advice, if any.
            col("emergency_advice", 2),
            // Languages: the locale the words are in.
            col("locale", 3),
        ],
    },
    TableHistory {
        name: "reminder_plans",
        since: 1,
        writable: false,
        columns: &[col("treatment_id", 1), col("rules", 1)],
    },
    TableHistory {
        name: "reminders",
        since: 1,
        writable: true,
        columns: &[
            col("treatment_id", 1),
            col("kind", 1),
            col("day", 1),
            col("local_date", 1),
            col("local_time", 1),
            col("due_at", 1),
            col("status", 1),
            col("done_at", 1),
        ],
    },
    TableHistory {
        name: "flags",
        since: 1,
        writable: false,
        columns: &[
            col("treatment_id", 1),
            col("reason", 1),
            col("severity", 1),
            col("status", 1),
            col("day", 1),
            col("opened_at", 1),
            col("updated_at", 1),
            // Clinical triage v2: where the flag opened, its worst day, the
            // days that added to it.
            col("opened_day", 2),
            col("worst_day", 2),
            col("evidence_days", 2),
        ],
    },
    TableHistory {
        name: "symptom_logs",
        since: 1,
        writable: true,
        columns: &[
            col("treatment_id", 1),
            col("log_date", 1),
            col("redness", 1),
            col("swelling", 1),
            col("flaking", 1),
            col("sensitivity", 1),
            col("signs", 1),
            col("note", 1),
            col("created_at", 1),
            col("updated_at", 1),
        ],
    },
    TableHistory {
        name: "preferences",
        since: 1,
        writable: true,
        columns: &[
            col("timezone", 1),
            col("quiet_hours", 1),
            col("times", 1),
            col("disabled", 1),
            // Languages: the patient's locale (`en`, `tr`).
            col("locale", 3),
        ],
    },
    // Photos: a log's photos (metadata; the image is fetched over the API).
    TableHistory {
        name: "log_photos",
        since: 4,
        writable: false,
        columns: &[
            col("treatment_id", 4),
            col("log_date", 4),
            col("width", 4),
            col("height", 4),
            col("created_at", 4),
            col("updated_at", 4),
        ],
    },
];

pub fn table(name: &str) -> Option<&'static TableHistory> {
    TABLES.iter().find(|t| t.name == name)
}

/// The columns of `table` an app of `version` knows (without `id`).
pub fn columns_at(table: &TableHistory, version: u32) -> BTreeSet<&'static str> {
    table
        .columns
        .iter()
        .filter(|(_, since)| *since <= version)
        .map(|(name, _)| *name)
        .collect()
}

/// WatermelonDB's `migration` argument of a pull, as the app sends it
/// (`JSON.stringify` of `{from, tables, columns: [{table, columns}]}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationSync {
    pub from: u32,
    pub tables: Vec<String>,
    pub columns: Vec<AddedColumns>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddedColumns {
    pub table: String,
    pub columns: Vec<String>,
}

/// The tables a migration sync must send whole: those the app added and
/// those it added columns to. Refuses a migration that is not a step up to
/// `schema_version`, or names a table or column the server did not sync by
/// then.
pub fn tables_to_refetch(
    schema_version: u32,
    migration: &MigrationSync,
) -> Result<BTreeSet<&'static str>, String> {
    if migration.from == 0 || migration.from >= schema_version {
        return Err(format!(
            "`from` ({}) must be at least 1 and below schema_version ({schema_version})",
            migration.from
        ));
    }
    let upto = schema_version.min(CURRENT_VERSION);
    let known = |name: &str| {
        table(name)
            .filter(|t| t.since <= upto)
            .ok_or_else(|| format!("no synced table {name:?} at schema version {schema_version}"))
    };
    let mut out = BTreeSet::new();
    for name in &migration.tables {
        out.insert(known(name)?.name);
    }
    for added in &migration.columns {
        let t = known(&added.table)?;
        let have = columns_at(t, upto);
        if let Some(c) = added.columns.iter().find(|c| !have.contains(c.as_str())) {
            return Err(format!(
                "no column {c:?} in table {:?} at schema version {schema_version}",
                t.name
            ));
        }
        out.insert(t.name);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(from: u32, tables: &[&str], columns: &[(&str, &[&str])]) -> MigrationSync {
        MigrationSync {
            from,
            tables: tables.iter().map(|t| t.to_string()).collect(),
            columns: columns
                .iter()
                .map(|(t, cs)| AddedColumns {
                    table: t.to_string(),
                    columns: cs.iter().map(|c| c.to_string()).collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn version_one_lacks_what_version_two_added() {
        let flags = table("flags").unwrap();
        assert!(!columns_at(flags, 1).contains("worst_day"));
        assert!(columns_at(flags, 2).contains("worst_day"));
        assert!(columns_at(flags, 2).is_superset(&columns_at(flags, 1)));
    }

    #[test]
    fn refetches_added_tables_and_tables_with_added_columns() {
        let m = migration(1, &[], &[("flags", &["worst_day", "opened_day"])]);
        assert_eq!(tables_to_refetch(2, &m).unwrap(), BTreeSet::from(["flags"]));
        let m = migration(1, &["reminders"], &[("treatments", &["products"])]);
        assert_eq!(
            tables_to_refetch(2, &m).unwrap(),
            BTreeSet::from(["reminders", "treatments"])
        );
    }

    #[test]
    fn version_four_adds_the_photos_table() {
        let m = migration(3, &["log_photos"], &[]);
        assert_eq!(
            tables_to_refetch(4, &m).unwrap(),
            BTreeSet::from(["log_photos"])
        );
        // An app at version 3 cannot name it.
        assert!(tables_to_refetch(3, &migration(2, &["log_photos"], &[])).is_err());
    }

    #[test]
    fn refuses_unknown_tables_columns_and_backward_steps() {
        let e = tables_to_refetch(2, &migration(1, &["photos"], &[])).unwrap_err();
        assert!(e.contains("photos"), "{e}");
        let e = tables_to_refetch(2, &migration(1, &[], &[("flags", &["mood"])])).unwrap_err();
        assert!(e.contains("mood"), "{e}");
        assert!(tables_to_refetch(2, &migration(2, &[], &[])).is_err());
        assert!(tables_to_refetch(2, &migration(0, &[], &[])).is_err());
    }

    #[test]
    fn table_names_are_unique_and_columns_never_repeat() {
        let names: BTreeSet<_> = TABLES.iter().map(|t| t.name).collect();
        assert_eq!(names.len(), TABLES.len());
        for t in TABLES {
            let cols: BTreeSet<_> = t.columns.iter().map(|(c, _)| c).collect();
            assert_eq!(cols.len(), t.columns.len(), "{}", t.name);
            assert!(t
                .columns
                .iter()
                .all(|(_, v)| *v >= t.since && *v <= CURRENT_VERSION));
        }
    }
}
