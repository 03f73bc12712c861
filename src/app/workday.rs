//! A clinician's working day in the console: the flag queue grouped by
//! patient and treatment, one flag with everything needed to review it, and
//! the patients list with the facts that help triage.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::actor::ClinicStaff;
use super::alerts::{self, AlertRecord};
use super::clinic;
use super::error::AppResult;
use super::treatments::{self as ctx_of, TreatmentCtx};
use crate::db::{Db, Tx};
use crate::domain::evidence;
use crate::domain::log::{missed_days, DAILY_LOG_LAST_DAY};
use crate::domain::treatment::local_date;
use crate::store::accounts::{self, Account};
use crate::store::daily_logs::{self, DailyLog};
use crate::store::flags::{self, Flag, FlagEvent, QueueFilter};
use crate::store::patients::{self, Patient, Standing};
use crate::store::{audit, treatments};

// --- The grouped queue --------------------------------------------------------

/// One patient's treatment in the queue: all its matching flags as one row.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    pub patient_id: String,
    pub patient_name: String,
    pub treatment_id: String,
    /// The most severe of the row's flags.
    pub severity: String,
    /// Each reason once, most severe first.
    pub reasons: Vec<String>,
    /// The latest patient day any of the flags speaks of.
    pub latest_day: Option<i64>,
    /// When the oldest of the flags opened.
    pub opened_at: i64,
    /// The flag to open: the most severe, then the oldest.
    pub flag_id: String,
    pub flag_count: usize,
}

/// Groups queue rows (sorted most severe, then oldest, first) by patient and
/// treatment; the groups keep that order, so the row of the most severe,
/// oldest flag comes first.
pub fn group(rows: Vec<(Flag, String)>) -> Vec<QueueRow> {
    let mut out: Vec<QueueRow> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for (flag, name) in rows {
        let day = serde_json::from_str::<Value>(&flag.evidence)
            .ok()
            .and_then(|e| evidence::day(&e));
        let key = (flag.patient_id.clone(), flag.treatment_id.clone());
        match index.get(&key) {
            Some(&i) => {
                let row = &mut out[i];
                if !row.reasons.contains(&flag.reason) {
                    row.reasons.push(flag.reason);
                }
                row.latest_day = row.latest_day.max(day);
                row.opened_at = row.opened_at.min(flag.opened_at);
                row.flag_count += 1;
            }
            None => {
                index.insert(key, out.len());
                out.push(QueueRow {
                    patient_id: flag.patient_id,
                    patient_name: name,
                    treatment_id: flag.treatment_id,
                    severity: flag.severity,
                    reasons: vec![flag.reason],
                    latest_day: day,
                    opened_at: flag.opened_at,
                    flag_id: flag.id,
                    flag_count: 1,
                });
            }
        }
    }
    out
}

/// The clinic's review queue, one row per patient and treatment (audited).
pub async fn queue(db: &Db, staff: ClinicStaff, filter: QueueFilter) -> AppResult<Vec<QueueRow>> {
    Ok(group(clinic::read_queue(db, staff, filter).await?))
}

// --- One flag -------------------------------------------------------------------

/// Everything the flag page shows.
pub struct FlagPage {
    pub flag: Flag,
    pub patient: Patient,
    pub ctx: TreatmentCtx,
    /// The patient's log of the day the evidence comes from (with its note).
    pub log: Option<DailyLog>,
    /// The photos of that day's log.
    pub photos: Vec<crate::store::log_photos::LogPhoto>,
    /// Review history, oldest first.
    pub events: Vec<FlagEvent>,
    /// The treatment's other open or acknowledged flags.
    pub others: Vec<Flag>,
    /// Which alerts went out about it, by channel, and what became of them.
    pub alerts: Vec<AlertRecord>,
    /// The clinic's staff, to name who reviewed.
    pub staff: Vec<Account>,
}

fn read_flag_in(tx: &mut Tx<'_>, staff: &ClinicStaff, flag_id: &str) -> AppResult<FlagPage> {
    let c = tx.conn();
    let scope = staff.scope();
    let flag = flags::get(c, &scope, flag_id)?;
    let patient = patients::get(c, &scope, &flag.patient_id)?;
    let ctx = ctx_of::load(c, &scope, &flag.treatment_id)?;
    let ev: Value = serde_json::from_str(&flag.evidence).unwrap_or(Value::Null);
    let log = match evidence::log_date(&ev).and_then(|d| d.parse::<NaiveDate>().ok()) {
        Some(date) => daily_logs::by_date(c, &flag.treatment_id, date)?,
        None => None,
    };
    let photos = match &log {
        Some(l) => crate::store::log_photos::for_log(c, &l.treatment_id, l.log_date)?,
        None => Vec::new(),
    };
    let events = flags::events(c, std::slice::from_ref(&flag.id))?;
    let others = flags::for_treatment(c, &flag.treatment_id)?
        .into_iter()
        .filter(|f| f.id != flag.id && f.status != "resolved")
        .collect();
    let alerts = alerts::history_in(c, &flag)?;
    audit::record(
        c,
        &staff.clinic_id,
        &staff.account_id,
        "flag.read",
        "flag",
        &flag.id,
    )?;
    Ok(FlagPage {
        staff: accounts::list_staff(c, &staff.clinic_id)?,
        flag,
        patient,
        ctx,
        log,
        photos,
        events,
        others,
        alerts,
    })
}

/// One flag of the clinic with its patient, log, history and alerts (audited).
pub async fn read_flag(db: &Db, staff: ClinicStaff, flag_id: String) -> AppResult<FlagPage> {
    db.write(move |tx| read_flag_in(tx, &staff, &flag_id)).await
}

// --- The patients list ----------------------------------------------------------

/// A patient with what helps decide whom to look at first.
pub struct PatientRow {
    pub patient: Patient,
    /// Today's day number of the latest treatment, if any.
    pub day: Option<i64>,
    /// Open or acknowledged flags: urgent, review, routine.
    pub open: [usize; 3],
    pub last_log: Option<NaiveDate>,
    /// Finished days of the latest treatment's daily-log period without a log.
    pub missed: Option<i64>,
}

fn overview_in(
    tx: &mut Tx<'_>,
    staff: &ClinicStaff,
    standing: Standing,
    limit: i64,
    now: DateTime<Utc>,
) -> AppResult<Vec<PatientRow>> {
    let items = clinic::list_patients_in(tx, staff, standing, limit, 0)?;
    let c = tx.conn();
    // Newest first, so the first one seen per patient is their latest.
    let mut latest: HashMap<String, treatments::Treatment> = HashMap::new();
    for t in treatments::for_clinic(c, &staff.clinic_id)? {
        latest.entry(t.patient_id.clone()).or_insert(t);
    }
    let ids: Vec<String> = latest.values().map(|t| t.id.clone()).collect();
    let mut logged: HashMap<String, Vec<NaiveDate>> = HashMap::new();
    for (treatment_id, date) in daily_logs::dates_for_treatments(c, &ids)? {
        logged.entry(treatment_id).or_default().push(date);
    }
    let mut open: HashMap<String, [usize; 3]> = HashMap::new();
    for (patient_id, rank) in flags::active_for_clinic(c, &staff.clinic_id)? {
        if let Some(n) = open.entry(patient_id).or_default().get_mut(rank as usize) {
            *n += 1;
        }
    }
    Ok(items
        .into_iter()
        .map(|patient| {
            let tz = patient.timezone.parse().unwrap_or(chrono_tz::UTC);
            let today = local_date(now, tz);
            let t = latest.get(&patient.id);
            let dates = t
                .and_then(|t| logged.get(&t.id))
                .cloned()
                .unwrap_or_default();
            PatientRow {
                day: t.map(|t| (today - t.day0).num_days()),
                open: open.get(&patient.id).copied().unwrap_or_default(),
                last_log: dates.iter().max().copied(),
                missed: t.map(|t| missed_days(t.day0, today, &dates, DAILY_LOG_LAST_DAY)),
                patient,
            }
        })
        .collect())
}

/// The clinic's patients, newest first, with triage facts (audited as the list).
pub async fn patients_overview(
    db: &Db,
    staff: ClinicStaff,
    standing: Standing,
    limit: i64,
    now: DateTime<Utc>,
) -> AppResult<Vec<PatientRow>> {
    db.write(move |tx| overview_in(tx, &staff, standing, limit, now))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(
        id: &str,
        patient: &str,
        treatment: &str,
        severity: &str,
        reason: &str,
        day: i64,
        opened: i64,
    ) -> Flag {
        Flag {
            id: id.into(),
            treatment_id: treatment.into(),
            patient_id: patient.into(),
            clinic_id: "c".into(),
            reason: reason.into(),
            severity: severity.into(),
            severity_rank: 0,
            status: "open".into(),
            evidence: format!(r#"{{"day":{day}}}"#),
            opened_at: opened,
            updated_at: opened,
            seq: 1,
            opened_evidence: String::new(),
            worst_evidence: String::new(),
            evidence_days: "[]".into(),
        }
    }

    #[test]
    fn one_row_per_patient_and_treatment_most_severe_first() {
        // Sorted as the store sorts: most severe, then oldest.
        let rows = vec![
            (
                flag("f1", "p1", "t1", "urgent", "infection_signs", 4, 10),
                "Ana".into(),
            ),
            (
                flag("f2", "p1", "t1", "urgent", "rebound", 5, 20),
                "Ana".into(),
            ),
            (
                flag("f3", "p2", "t2", "urgent", "allergic_reaction", 1, 30),
                "Ben".into(),
            ),
            (
                flag("f4", "p1", "t1", "review", "above_upper_bound", 3, 5),
                "Ana".into(),
            ),
            (
                flag("f5", "p3", "t3", "routine", "white_bumps", 2, 1),
                "Cy".into(),
            ),
        ];
        let grouped = group(rows);
        assert_eq!(grouped.len(), 3);
        let ana = &grouped[0];
        assert_eq!(ana.patient_name, "Ana");
        assert_eq!(ana.severity, "urgent");
        assert_eq!(ana.flag_id, "f1");
        assert_eq!(
            ana.reasons,
            ["infection_signs", "rebound", "above_upper_bound"]
        );
        assert_eq!(ana.latest_day, Some(5));
        assert_eq!(ana.opened_at, 5);
        assert_eq!(ana.flag_count, 3);
        assert_eq!(grouped[1].patient_name, "Ben");
        assert_eq!(grouped[2].severity, "routine");
    }
}
