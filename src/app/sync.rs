//! The WatermelonDB sync protocol for the patient's offline app.
//!
//! Pull: every row of the patient carries the change number (`seq`) of the
//! write that last touched it, taken from a per-patient counter bumped inside
//! that write's transaction; deletions leave tombstones with their number. A
//! pull returns the rows with `last_pulled_at < seq <= timestamp`, where
//! `timestamp` is the counter read first: a write that has not committed yet
//! gets a higher number, so no change is ever skipped.
//!
//! Push: one transaction, validated like the REST endpoints; refused with 409
//! if a touched record changed after `last_pulled_at`. What an app version
//! cannot help sending is ignored or repaired and reported instead of
//! refusing the push (the rules are in `domain::sync_push`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::actor::PatientCaller;
use super::error::{AppError, AppResult, FieldError};
use super::recovery;
use super::reminders as scheduler;
use super::treatments::{self as ctx_of, TreatmentCtx};
use super::words;
use crate::db::{Db, DbConn, PatientWrite};
use crate::domain::account::TimeZone;
use crate::domain::log::{signs_from_text, LogEntry, RawLog};
use crate::domain::reminder::Preferences;
use crate::domain::signs::emergency_signs;
use crate::domain::sync_push::{
    self, split_signs, RejectReason, TableRule, MAX_PUSHED_SIGNS, SYNCED_LOG_GRACE_DAYS,
};
use crate::domain::sync_schema;
use crate::domain::timeline::one_decimal;
use crate::i18n::Locale;
use crate::store::{accounts, daily_logs, patients, reminders, sync, tombstones};

/// Most rows one pull returns; the client pulls again while `has_more`.
pub const PULL_CAP: usize = 2000;
/// Most records one push may carry.
pub const PUSH_MAX_RECORDS: usize = 1000;

fn treatment_record(ctx: &TreatmentCtx) -> Value {
    let t = &ctx.treatment;
    json!({
        "id": t.id,
        "performed_at": t.performed_at,
        "day0": t.day0,
        "area": ctx.area,
        "depth_mm": ctx.depth.get(),
        "addons": serde_json::to_string(&ctx.addons).unwrap_or_default(),
        "session_number": t.session_number,
        "previous_treatment_id": t.previous_treatment_id,
        "risk_factors": serde_json::to_string(&ctx.risk_factors).unwrap_or_default(),
        "products": t.products,
        "protocol_name": ctx.protocol.name,
        "protocol_version": ctx.protocol.version,
        "window_days": ctx.timeline.window_days,
        "cancelled_at": ctx.cancellation.as_ref().map(|c| c.at),
        "discharged_at": ctx.discharged_at,
    })
}

/// `advice`: the emergency advice for days whose log carries an emergency
/// sign; words are in the patient's `locale`, codes beside them.
fn derived_records(
    ctx: &TreatmentCtx,
    advice: &BTreeMap<i64, String>,
    locale: Locale,
) -> (Vec<Value>, Vec<Value>) {
    let id = &ctx.treatment.id;
    let days = ctx
        .timeline
        .days
        .iter()
        .map(|d| {
            json!({
                "id": format!("{id}_{}", d.day),
                "treatment_id": id,
                "day": d.day,
                "label": words::day_label(i64::from(d.day), locale),
                "date": ctx.treatment.day0 + chrono::Days::new(u64::from(d.day)),
                "redness_expected": one_decimal(d.redness.expected), "redness_upper": d.redness.upper,
                "swelling_expected": one_decimal(d.swelling.expected), "swelling_upper": d.swelling.upper,
                "flaking_expected": one_decimal(d.flaking.expected), "flaking_upper": d.flaking.upper,
                "sensitivity_expected": one_decimal(d.sensitivity.expected), "sensitivity_upper": d.sensitivity.upper,
            })
        })
        .collect();
    let care = ctx
        .timeline
        .days
        .iter()
        .map(|d| {
            let c = words::care(&ctx.care(i64::from(d.day)), locale);
            json!({
                "id": format!("{id}_{}", d.day),
                "treatment_id": id,
                "day": d.day,
                "locale": locale,
                "do_items": serde_json::to_string(&c.do_).unwrap_or_default(),
                "dont_items": serde_json::to_string(&c.dont).unwrap_or_default(),
                "call_clinic_if": serde_json::to_string(&c.call_clinic_if).unwrap_or_default(),
                "emergency_advice": advice.get(&i64::from(d.day)),
            })
        })
        .collect();
    (days, care)
}

/// The emergency advice per day of the treatment's logs that carry an
/// emergency sign (the same words the log's answer gave), in `locale`.
fn emergency_days(
    c: &mut DbConn,
    ctx: &TreatmentCtx,
    locale: Locale,
) -> AppResult<BTreeMap<i64, String>> {
    let days: Vec<i64> = daily_logs::for_treatment(c, &ctx.treatment.id)?
        .iter()
        .filter(|l| !emergency_signs(&signs_from_text(&l.signs)).is_empty())
        .map(|l| i64::from(l.day))
        .collect();
    if days.is_empty() {
        return Ok(BTreeMap::new());
    }
    let advice = recovery::emergency_advice(c, &ctx.treatment.clinic_id)?.render(locale);
    Ok(days.into_iter().map(|d| (d, advice.clone())).collect())
}

fn log_record(l: &daily_logs::DailyLog) -> Value {
    let signs: Vec<&str> = signs_from_text(&l.signs)
        .iter()
        .map(|s| s.as_str())
        .collect();
    json!({
        "id": l.id,
        "treatment_id": l.treatment_id,
        "log_date": l.log_date,
        "redness": l.redness,
        "swelling": l.swelling,
        "flaking": l.flaking,
        "sensitivity": l.sensitivity,
        "signs": serde_json::to_string(&signs).unwrap_or_default(),
        "note": l.note,
        "created_at": l.created_at,
        "updated_at": l.updated_at,
    })
}

fn preferences_record(
    patient_id: &str,
    timezone: &str,
    locale: Locale,
    prefs: &Preferences,
) -> Value {
    let v = serde_json::to_value(prefs).unwrap_or(Value::Null);
    json!({
        "id": patient_id,
        "timezone": timezone,
        "locale": locale,
        "quiet_hours": if v["quiet_hours"].is_null() { Value::Null } else { json!(v["quiet_hours"].to_string()) },
        "times": v["times"].to_string(),
        "disabled": v["disabled"].to_string(),
    })
}

/// Which change number a capped pull stops at: all of it when it fits,
/// otherwise just before the first change that does not (never splitting
/// one write's rows, so a single huge write is returned whole).
fn cutoff(seqs: &[i64], after: i64, current: i64) -> i64 {
    match seqs.get(PULL_CAP) {
        None => current,
        Some(&s) if s - 1 > after => (s - 1).min(current),
        Some(&s) => s.min(current),
    }
}

#[derive(Default)]
struct TableOut {
    records: Vec<Value>,
    deleted: BTreeSet<String>,
}

/// What a pull asks for beyond its cursor.
#[derive(Debug, Clone, Default)]
pub struct PullRequest {
    /// `None` on a device's first sync.
    pub last: Option<i64>,
    /// Tables to send whole whatever the cursor (WatermelonDB `migration`).
    pub refetch: BTreeSet<&'static str>,
    /// The app's schema version: tables newer than it are not sent (its
    /// next version's `migration` fetches them whole).
    pub schema_version: u32,
}

fn pull_changes(c: &mut DbConn, patient_id: &str, req: &PullRequest) -> AppResult<Value> {
    let (current, pruned) = patients::sync_cursor(c, patient_id)?;
    // A device behind the tombstone horizon cannot be told what it must
    // delete, and one ahead of the counter synced with another copy of this
    // database (a restore from a backup): both get a complete snapshot that
    // replaces their local rows but keeps their unpushed changes
    // (WatermelonDB's replacement sync), instead of resetting and losing them.
    let replacement = req.last.is_some_and(|l| l < pruned || l > current);
    let after = if replacement {
        0
    } else {
        req.last.unwrap_or(0)
    };
    let upto = if replacement {
        current
    } else {
        cutoff(
            &sync::change_numbers(c, patient_id, after, PULL_CAP as i64 + 1)?,
            after,
            current,
        )
    };
    let mut tables: BTreeMap<&str, TableOut> = sync_schema::TABLES
        .iter()
        .map(|t| (t.name, TableOut::default()))
        .collect();
    let changed = sync::changed(c, patient_id, after, upto)?;
    collect_rows(c, patient_id, &mut tables, changed, None)?;
    if after > 0 && !req.refetch.is_empty() {
        let all = sync::changed(c, patient_id, 0, upto)?;
        collect_rows(c, patient_id, &mut tables, all, Some(&req.refetch))?;
    }
    // A first sync (or a replacement) has nothing to delete: WatermelonDB's
    // Turbo Login refuses a first sync with deletions in it.
    if after > 0 {
        for (table, id) in sync::tombstones(c, patient_id, after, upto)? {
            if let Some(out) = tables.get_mut(table.as_str()) {
                out.deleted.insert(id);
            }
        }
    }
    // Each id at most once: a record that exists now is not also deleted.
    // Rows always go down as `updated` (clients set `sendCreatedAsUpdated`):
    // a device must never see its own fresh records as `created`
    // (WatermelonDB #649), and the server does not know what a device holds.
    let changes: Map<String, Value> = tables
        .into_iter()
        .filter(|(name, _)| sync_schema::table(name).is_some_and(|t| t.since <= req.schema_version))
        .map(|(name, out)| {
            let mut seen = BTreeSet::new();
            let records: Vec<Value> = out
                .records
                .into_iter()
                .filter(|r| seen.insert(r["id"].as_str().unwrap_or_default().to_owned()))
                .collect();
            let deleted: Vec<String> = out
                .deleted
                .into_iter()
                .filter(|id| !seen.contains(id))
                .collect();
            (
                name.to_string(),
                json!({"created": [], "updated": records, "deleted": deleted}),
            )
        })
        .collect();
    let mut body = json!({ "changes": changes, "timestamp": upto, "has_more": upto < current });
    if replacement {
        body["experimentalStrategy"] = json!("replacement");
    }
    Ok(body)
}

/// Adds the rows of `changed` to `tables`, only those of `only` when given.
fn collect_rows(
    c: &mut DbConn,
    patient_id: &str,
    tables: &mut BTreeMap<&str, TableOut>,
    changed: sync::Changed,
    only: Option<&BTreeSet<&'static str>>,
) -> AppResult<()> {
    let wanted = |t: &str| only.is_none_or(|o| o.contains(t));
    // Every synced table is present, so `rows` never misses.
    fn rows<'a>(tables: &'a mut BTreeMap<&str, TableOut>, name: &str) -> &'a mut Vec<Value> {
        &mut tables.get_mut(name).expect("known sync table").records
    }
    let derived = ["treatments", "timeline_days", "care_instructions"];
    let treatments = if derived.iter().any(|t| wanted(t)) {
        changed.treatments
    } else {
        Vec::new()
    };
    let locale = accounts::locale(c, patient_id)?;
    for t in treatments {
        let ctx = ctx_of::context(c, t)?;
        let advice = emergency_days(c, &ctx, locale)?;
        let (days, care) = derived_records(&ctx, &advice, locale);
        if wanted("treatments") {
            rows(tables, "treatments").push(treatment_record(&ctx));
        }
        if wanted("timeline_days") {
            rows(tables, "timeline_days").extend(days);
        }
        if wanted("care_instructions") {
            rows(tables, "care_instructions").extend(care);
        }
    }
    let plans = if wanted("reminder_plans") {
        changed.plans
    } else {
        Vec::new()
    };
    for (treatment_id, plan) in plans {
        let rules: Value = serde_json::from_str::<Value>(&plan)
            .map(|p| p["rules"].clone())
            .unwrap_or(Value::Null);
        rows(tables, "reminder_plans").push(json!({
            "id": treatment_id, "treatment_id": treatment_id, "rules": rules.to_string(),
        }));
    }
    for o in changed.occurrences.iter().filter(|_| wanted("reminders")) {
        rows(tables, "reminders").push(json!({
            "id": o.id, "treatment_id": o.treatment_id, "kind": o.kind, "day": o.day,
            "local_date": o.local_date, "local_time": o.local_time, "due_at": o.due_at,
            "status": o.status, "done_at": o.done_at,
        }));
    }
    for f in changed.flags.iter().filter(|_| wanted("flags")) {
        let evidence: Value = serde_json::from_str(&f.evidence).unwrap_or(Value::Null);
        let kept = |text: &str| -> Value {
            serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|v| v.get("day").cloned())
                .unwrap_or(Value::Null)
        };
        let mut days: Vec<Value> = serde_json::from_str::<Vec<Value>>(&f.evidence_days)
            .unwrap_or_default()
            .iter()
            .map(|d| d["day"].clone())
            .collect();
        if days.is_empty() {
            // A flag from before the list was kept: its latest day stands for it.
            days.push(evidence.get("day").cloned().unwrap_or(Value::Null));
        }
        rows(tables, "flags").push(json!({
            "id": f.id, "treatment_id": f.treatment_id, "reason": f.reason, "severity": f.severity,
            "status": f.status, "day": evidence.get("day").cloned().unwrap_or(Value::Null),
            "opened_day": kept(&f.opened_evidence), "worst_day": kept(&f.worst_evidence),
            "evidence_days": Value::Array(days).to_string(),
            "opened_at": f.opened_at, "updated_at": f.updated_at,
        }));
    }
    for l in changed.logs.iter().filter(|_| wanted("symptom_logs")) {
        rows(tables, "symptom_logs").push(log_record(l));
    }
    for p in changed.photos.iter().filter(|_| wanted("log_photos")) {
        rows(tables, "log_photos").push(json!({
            "id": p.id, "treatment_id": p.treatment_id, "log_date": p.log_date,
            "width": p.width, "height": p.height,
            "created_at": p.created_at, "updated_at": p.updated_at,
        }));
    }
    if let Some(json) = changed.preferences.filter(|_| wanted("preferences")) {
        let prefs: Preferences = serde_json::from_str(&json).map_err(AppError::internal)?;
        let (tz, _) = patients::profile(c, patient_id)?;
        rows(tables, "preferences").push(preferences_record(patient_id, &tz, locale, &prefs));
    }
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TableChanges {
    #[serde(default)]
    pub created: Vec<Map<String, Value>>,
    #[serde(default)]
    pub updated: Vec<Map<String, Value>>,
    #[serde(default)]
    pub deleted: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushBody {
    pub changes: BTreeMap<String, TableChanges>,
}

/// Field errors named `table[id].column`.
struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, table: &str, id: &str, column: &str, message: impl Into<String>) {
        let field = if column.is_empty() {
            format!("{table}[{id}]")
        } else {
            format!("{table}[{id}].{column}")
        };
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn str_col<'a>(r: &'a Map<String, Value>, col: &str) -> Option<&'a str> {
    r.get(col).and_then(Value::as_str)
}

/// An integer column (WatermelonDB numbers are JSON numbers; 3.0 is 3).
fn int_col(r: &Map<String, Value>, col: &str) -> Result<i64, String> {
    match r.get(col) {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                    .map(|f| f as i64)
            })
            .ok_or_else(|| "must be a whole number".into()),
        Some(_) => Err("must be a number".into()),
        None => Err("is required".into()),
    }
}

/// A pushed log, validated as `PUT /v1/treatments/{id}/logs/{date}` does.
struct PushedLog {
    id: String,
    treatment_id: String,
    date: NaiveDate,
    entry: LogEntry,
    /// Unknown sign codes left out of `entry`.
    dropped_signs: Vec<String>,
}

impl PushedLog {
    /// Whether the stored row already holds exactly these values.
    fn matches(&self, row: &daily_logs::DailyLog) -> bool {
        let s = &self.entry.scores;
        row.treatment_id == self.treatment_id
            && row.log_date == self.date
            && [row.redness, row.swelling, row.flaking, row.sensitivity]
                == [
                    s.redness.get(),
                    s.swelling.get(),
                    s.flaking.get(),
                    s.sensitivity.get(),
                ]
                .map(i32::from)
            && signs_from_text(&row.signs) == self.entry.signs
            && row.note == self.entry.note
    }
}

fn parse_log(r: &Map<String, Value>, errors: &mut Errors) -> Option<PushedLog> {
    let id = str_col(r, "id").unwrap_or_default().to_string();
    if !valid_id(&id) {
        errors.push(
            "symptom_logs",
            &id,
            "id",
            "must be 1–64 characters of A–Z, a–z, 0–9, - or _",
        );
        return None;
    }
    let before = errors.0.len();
    let treatment_id = str_col(r, "treatment_id").unwrap_or_default().to_string();
    if treatment_id.is_empty() {
        errors.push("symptom_logs", &id, "treatment_id", "is required");
    }
    let date = str_col(r, "log_date").and_then(|d| {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .ok()
            .filter(|_| d.len() == 10)
    });
    if date.is_none() {
        errors.push(
            "symptom_logs",
            &id,
            "log_date",
            "must be a calendar date YYYY-MM-DD",
        );
    }
    let mut score = |col: &str| match int_col(r, col) {
        Ok(v) => v,
        Err(m) => {
            errors.push("symptom_logs", &id, col, m);
            0
        }
    };
    let (redness, swelling, flaking, sensitivity) = (
        score("redness"),
        score("swelling"),
        score("flaking"),
        score("sensitivity"),
    );
    let codes: Vec<String> = match r.get("signs") {
        None | Some(Value::Null) => vec![],
        Some(Value::String(s)) if s.trim().is_empty() => vec![],
        Some(v) => v
            .as_str()
            .and_then(|s| serde_json::from_str::<Vec<String>>(s).ok())
            .unwrap_or_else(|| {
                errors.push(
                    "symptom_logs",
                    &id,
                    "signs",
                    "must be a string holding a JSON array of sign codes",
                );
                vec![]
            }),
    };
    if codes.len() > MAX_PUSHED_SIGNS {
        errors.push(
            "symptom_logs",
            &id,
            "signs",
            format!("at most {MAX_PUSHED_SIGNS} sign codes"),
        );
    }
    // Codes of a newer app's list are dropped (and reported); the log keeps
    // the rest, so the patient's scores are not lost over one unknown word.
    let split = split_signs(&codes);
    for (given, sign) in &split.miscased {
        errors.push(
            "symptom_logs",
            &id,
            "signs",
            format!("\"{given}\" is not a sign code; codes are exact: \"{sign}\""),
        );
    }
    let dropped = split.dropped;
    let signs: Vec<String> = split.known.iter().map(|s| s.as_str().to_string()).collect();
    let note = match r.get("note") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            errors.push("symptom_logs", &id, "note", "must be a string or null");
            None
        }
    };
    let entry = LogEntry::parse(RawLog {
        redness,
        swelling,
        flaking,
        sensitivity,
        signs: &signs,
        note,
    });
    if errors.0.len() > before {
        return None;
    }
    match entry {
        Ok(entry) => Some(PushedLog {
            id,
            treatment_id,
            date: date?,
            entry,
            dropped_signs: dropped,
        }),
        Err(errs) => {
            for (field, message) in errs {
                errors.push("symptom_logs", &id, &field, message);
            }
            None
        }
    }
}

/// What a pushed preferences record sets.
struct PushedPrefs {
    timezone: Option<TimeZone>,
    locale: Option<Locale>,
    prefs: Preferences,
}

fn parse_preferences(r: &Map<String, Value>, id: &str, errors: &mut Errors) -> Option<PushedPrefs> {
    let json_col = |col: &str| -> Result<Value, String> {
        match r.get(col) {
            None | Some(Value::Null) => Ok(Value::Null),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(Value::Null),
            Some(Value::String(s)) => {
                serde_json::from_str(s).map_err(|_| "must be a string holding JSON".to_string())
            }
            Some(_) => Err("must be a string holding JSON".into()),
        }
    };
    let mut v = Map::new();
    for col in ["quiet_hours", "times", "disabled"] {
        match json_col(col) {
            Ok(Value::Null) => {}
            Ok(value) => {
                v.insert(col.into(), value);
            }
            Err(m) => errors.push("preferences", id, col, m),
        }
    }
    let tz = match r.get("timezone") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match TimeZone::parse(s) {
            Ok(tz) => Some(tz),
            Err(m) => {
                errors.push("preferences", id, "timezone", m);
                None
            }
        },
        Some(_) => {
            errors.push(
                "preferences",
                id,
                "timezone",
                "must be an IANA time zone name",
            );
            None
        }
    };
    // An empty string is what a client whose schema has the column sends
    // for a record it created without setting it: the locale stays.
    let locale = match r.get("locale") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => match Locale::parse(s) {
            Ok(l) => Some(l),
            Err(m) => {
                errors.push("preferences", id, "locale", m);
                None
            }
        },
        Some(_) => {
            errors.push(
                "preferences",
                id,
                "locale",
                "must be a BCP 47 language tag (en or tr)",
            );
            None
        }
    };
    match serde_json::from_value::<Preferences>(Value::Object(v)) {
        Ok(p) => match p.validate() {
            Ok(()) => Some(PushedPrefs {
                timezone: tz,
                locale,
                prefs: p,
            }),
            Err(m) => {
                errors.push("preferences", id, "", m);
                None
            }
        },
        Err(e) => {
            errors.push("preferences", id, "", e.to_string());
            None
        }
    }
}

fn prefix_errors(e: AppError, table: &str, id: &str) -> AppError {
    match e {
        AppError::Validation(errs) => AppError::Validation(
            errs.into_iter()
                .map(|f| {
                    let column = if f.field == "date" {
                        "log_date".to_string()
                    } else {
                        f.field
                    };
                    FieldError {
                        field: format!("{table}[{id}].{column}"),
                        message: f.message,
                    }
                })
                .collect(),
        ),
        AppError::NotFound => AppError::field(
            format!("{table}[{id}].treatment_id"),
            "no such treatment of yours",
        ),
        other => other,
    }
}

const ID_TAKEN: &str = "this id is taken; generate another";

fn id_taken(id: &str) -> AppError {
    AppError::field(format!("symptom_logs[{id}].id"), ID_TAKEN)
}

/// Whether the log id belongs to another patient (read now, not from the
/// push's earlier checks).
fn taken_by_other(w: &mut PatientWrite<'_, '_>, id: &str, me: &str) -> AppResult<bool> {
    Ok(daily_logs::by_id(w.conn(), id)?.is_some_and(|o| o.patient_id != me))
}

/// One thing of a push the server did not take (see `sync_push::RejectReason`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Rejection {
    pub table: String,
    pub id: String,
    /// Set when only a value was dropped and the record was stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The dropped value (a sign code), when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub reason: RejectReason,
}

/// A push's answer: the records not stored, per table, in WatermelonDB
/// 0.28's `experimentalRejectedIds` (the app keeps them marked for a later
/// push), and every rejection with its reason.
#[derive(Debug, Default, serde::Serialize)]
pub struct PushReport {
    #[serde(rename = "experimentalRejectedIds")]
    pub rejected_ids: BTreeMap<String, Vec<String>>,
    pub rejected: Vec<Rejection>,
}

impl PushReport {
    /// These records and deletions are not taken, for `reason`. A record
    /// without a string id is no WatermelonDB record (and could not be
    /// named back to the app): that refuses the push, as the contract says.
    fn reject(
        &mut self,
        table: &str,
        records: &[Map<String, Value>],
        deleted: &[String],
        reason: RejectReason,
        errors: &mut Errors,
    ) {
        if records.iter().any(|r| str_col(r, "id").is_none()) {
            errors.push(table, "", "id", "every record needs a string id");
        }
        let ids = records
            .iter()
            .filter_map(|r| str_col(r, "id"))
            .chain(deleted.iter().map(String::as_str));
        for id in ids {
            let listed = self.rejected_ids.entry(table.to_string()).or_default();
            if !listed.iter().any(|x| x == id) {
                listed.push(id.to_string());
                self.rejected.push(Rejection {
                    table: table.to_string(),
                    id: id.to_string(),
                    column: None,
                    value: None,
                    reason,
                });
            }
        }
    }

    /// A value dropped from a record that was stored.
    fn dropped(&mut self, table: &str, id: &str, column: &str, value: &str, reason: RejectReason) {
        self.rejected.push(Rejection {
            table: table.to_string(),
            id: id.to_string(),
            column: Some(column.to_string()),
            value: Some(value.to_string()),
            reason,
        });
    }
}

/// Applies a push in one transaction. Conflicts are collected first and
/// refuse the whole push; what is ignored or repaired is reported.
fn apply_push(
    w: &mut PatientWrite<'_, '_>,
    patient: &PatientCaller,
    last: i64,
    body: PushBody,
) -> AppResult<PushReport> {
    let scope = patient.scope();
    let me = patient.account_id.as_str();
    let mut errors = Errors(Vec::new());
    let mut conflicts = Errors(Vec::new());
    let now = Utc::now();

    let mut logs = Vec::new();
    let mut log_deletes = Vec::new();
    let mut checkoffs = Vec::new();
    let mut prefs = None;
    let mut report = PushReport::default();
    for (table, changes) in &body.changes {
        match table.as_str() {
            "symptom_logs" => {
                for r in changes.created.iter().chain(&changes.updated) {
                    logs.extend(parse_log(r, &mut errors));
                }
                log_deletes.extend(changes.deleted.iter().cloned());
            }
            "reminders" => {
                // Reminders are planned and removed by the server; the app
                // only checks them off.
                report.reject(
                    "reminders",
                    &changes.created,
                    &changes.deleted,
                    RejectReason::ServerManaged,
                    &mut errors,
                );
                for r in &changes.updated {
                    let id = str_col(r, "id").unwrap_or_default().to_string();
                    match r.get("done_at") {
                        None | Some(Value::Null) => checkoffs.push((id, None)),
                        Some(v) => match v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)) {
                            Some(t) if (0..=now.timestamp_millis() + 86_400_000).contains(&t) => {
                                checkoffs.push((id, Some(t)))
                            }
                            _ => errors.push(
                                "reminders",
                                &id,
                                "done_at",
                                "must be null or a time in ms, not in the future",
                            ),
                        },
                    }
                }
            }
            "preferences" => {
                if !changes.deleted.is_empty() {
                    errors.push("preferences", me, "", "preferences cannot be deleted");
                }
                for r in changes.created.iter().chain(&changes.updated) {
                    let id = str_col(r, "id").unwrap_or_default();
                    if id != me {
                        errors.push(
                            "preferences",
                            id,
                            "id",
                            "the preferences record's id is your patient id",
                        );
                        continue;
                    }
                    prefs = parse_preferences(r, me, &mut errors);
                }
            }
            t => {
                // Every writable table has its arm above; one added to the
                // sync schema without one is not taken, and said so.
                let reason = match sync_push::table_rule(t) {
                    TableRule::Ignored(reason) => reason,
                    TableRule::Writable => RejectReason::UnknownTable,
                };
                let records = [changes.created.as_slice(), &changes.updated].concat();
                report.reject(t, &records, &changes.deleted, reason, &mut errors);
            }
        }
    }
    // One record per date in a push: each extra one would be absorbed and
    // leave a tombstone, so a push of fresh ids for one date could pile up a
    // tombstone per record. This keeps tombstones per push to one per date.
    let mut dates = BTreeSet::new();
    for l in &logs {
        if !dates.insert((l.treatment_id.as_str(), l.date)) {
            errors.push(
                "symptom_logs",
                &l.id,
                "log_date",
                "another record in this push logs the same date",
            );
        }
    }
    if !errors.0.is_empty() {
        return Err(AppError::Validation(errors.0));
    }

    // A cursor after the server's counter skips every conflict check below;
    // the pull refuses it the same way.
    let (current, _) = patients::sync_cursor(w.conn(), me)?;
    if last > current {
        return Err(AppError::ResyncRequired(
            "last_pulled_at is after this server's latest change (from another server?); reset the local database and sync from scratch".into(),
        ));
    }

    // What the push touches, read once: the stored rows with its ids
    // (whoever owns them) and the patient's logs of its treatments. The
    // checks and assessments below work on these, not on a query per record.
    let ids: Vec<&str> = logs
        .iter()
        .map(|l| l.id.as_str())
        .chain(log_deletes.iter().map(String::as_str))
        .collect();
    let mut by_id: HashMap<String, daily_logs::DailyLog> = daily_logs::by_ids(w.conn(), &ids)?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let treatment_ids: Vec<&str> = logs
        .iter()
        .map(|l| l.treatment_id.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let stored = daily_logs::for_treatments(w.conn(), me, &treatment_ids)?;
    let by_date: HashMap<(&str, NaiveDate), &daily_logs::DailyLog> = stored
        .iter()
        .map(|r| ((r.treatment_id.as_str(), r.log_date), r))
        .collect();

    // Conflicts: anything touched that changed after the client's last pull.
    for l in &logs {
        if let Some(existing) = by_id.get(&l.id) {
            if existing.patient_id != me {
                errors.push("symptom_logs", &l.id, "id", ID_TAKEN);
            } else if existing.seq > last && !l.matches(existing) {
                // A retried push carries exactly what is stored: harmless, not a conflict.
                conflicts.push(
                    "symptom_logs",
                    &l.id,
                    "",
                    "changed on the server after last_pulled_at",
                );
            }
        }
        if let Some(same_day) = by_date.get(&(l.treatment_id.as_str(), l.date)) {
            if same_day.id != l.id && same_day.seq > last {
                conflicts.push(
                    "symptom_logs",
                    &same_day.id,
                    "",
                    "another log for this date changed on the server after last_pulled_at",
                );
            }
        }
    }
    for id in &log_deletes {
        if let Some(existing) = by_id.get(id) {
            if existing.patient_id != me {
                errors.push("symptom_logs", id, "id", ID_TAKEN);
            } else if existing.seq > last {
                conflicts.push(
                    "symptom_logs",
                    id,
                    "",
                    "changed on the server after last_pulled_at",
                );
            }
        }
    }
    for (id, _) in &checkoffs {
        match reminders::get(w.conn(), id)? {
            Some(o) if scope.allows(&o.patient_id, &o.clinic_id) => {
                if o.seq > last {
                    conflicts.push(
                        "reminders",
                        id,
                        "",
                        "changed on the server after last_pulled_at",
                    );
                }
            }
            _ => errors.push("reminders", id, "id", "no such reminder of yours"),
        }
    }
    if prefs.is_some() && reminders::preferences_seq(w.conn(), me)? > last {
        conflicts.push(
            "preferences",
            me,
            "",
            "changed on the server after last_pulled_at",
        );
    }
    if !errors.0.is_empty() {
        return Err(AppError::Validation(errors.0));
    }
    if !conflicts.0.is_empty() {
        return Err(AppError::ConflictRecords(conflicts.0));
    }

    // Apply. Logs go through the same path as PUT (assessment and flags).
    // The checks above ran on a snapshot: under READ COMMITTED another
    // patient's push may have taken an id since, so every write below is
    // scoped by owner in its statement and an id found taken refuses the
    // whole push (the transaction rolls back).
    // Each treatment's context is loaded once and its logs are kept in
    // memory (a `LogBook`) while the push's logs are recorded in turn.
    let mut books: HashMap<&str, recovery::LogBook> = HashMap::new();
    for t in &treatment_ids {
        let rows = stored.iter().filter(|r| r.treatment_id == *t);
        books.insert(t, recovery::LogBook::of(rows)?);
    }
    let mut ctxs: HashMap<&str, TreatmentCtx> = HashMap::new();
    for l in &logs {
        let t = l.treatment_id.as_str();
        if !ctxs.contains_key(t) {
            let ctx = ctx_of::load(w.conn(), &scope, t)
                .map_err(|e| prefix_errors(e, "symptom_logs", &l.id))?;
            ctxs.insert(t, ctx);
        }
        if let Some(old) = by_id.get(&l.id) {
            if old.patient_id != me {
                return Err(id_taken(&l.id));
            }
            if old.treatment_id != l.treatment_id || old.log_date != l.date {
                // The record moved to another date: it is re-recorded there.
                daily_logs::delete(w, &l.id)?;
                if let Some(book) = books.get_mut(old.treatment_id.as_str()) {
                    book.forget(old.log_date);
                }
            }
        }
        let (ctx, book) = (&ctxs[t], books.get_mut(t).expect("a book per treatment"));
        let input = recovery::LogInput {
            id: Some(&l.id),
            date: l.date,
            entry: &l.entry,
            grace_days: SYNCED_LOG_GRACE_DAYS,
        };
        let recorded = match recovery::record_log_in(w, ctx, book, input, now) {
            Ok(r) => r,
            // The upsert met the id in another row: another patient took it
            // since the checks above (this patient's pushes are one at a
            // time). On PostgreSQL the failed statement ended the
            // transaction, so this is decided without another read.
            Err(AppError::Conflict(_)) => return Err(id_taken(&l.id)),
            Err(e) => return Err(prefix_errors(e, "symptom_logs", &l.id)),
        };
        if recorded.log.id != l.id {
            if taken_by_other(w, &l.id, me)? {
                return Err(id_taken(&l.id));
            }
            // Two devices logged the same date: the server's record absorbs
            // this one (latest push wins on values) and this id is deleted.
            tombstones::record(w, "symptom_logs", &l.id)?;
            by_id.remove(&l.id);
        }
        by_id.insert(recorded.log.id.clone(), recorded.log);
    }
    for id in &log_deletes {
        // A deleted log takes its photos with it (their objects go to the sweep).
        if let Some(old) = by_id.get(id).filter(|l| l.patient_id == me) {
            super::photos::drop_for_log(w, &old.treatment_id, old.log_date)?;
        }
        if !daily_logs::delete(w, id)? && taken_by_other(w, id, me)? {
            return Err(id_taken(id));
        }
    }
    for (id, done_at) in &checkoffs {
        reminders::set_done(w, id, *done_at)?;
    }
    if let Some(p) = prefs {
        scheduler::set_preferences(w, &patient.clinic_id, p.timezone, p.locale, &p.prefs, now)?;
    }
    for l in &logs {
        for code in &l.dropped_signs {
            report.dropped(
                "symptom_logs",
                &l.id,
                "signs",
                code,
                RejectReason::UnknownSign,
            );
        }
    }
    Ok(report)
}

/// Applies a push from the patient's device in one write transaction.
pub async fn push(
    db: &Db,
    patient: PatientCaller,
    last: i64,
    body: PushBody,
) -> AppResult<PushReport> {
    db.write(move |tx| {
        let mut w = tx.patient(&patient.patient());
        apply_push(&mut w, &patient, last, body)
    })
    .await
}

/// The patient's changes after `req.last` (a first sync when `None`).
pub async fn pull(db: &Db, patient: &PatientCaller, req: PullRequest) -> AppResult<Value> {
    let me = patient.account_id.clone();
    db.read(move |c| match c {
        // One snapshot for the whole pull on SQLite; on PostgreSQL reading
        // the counter first is enough (see the module docs).
        DbConn::Sqlite(_) => crate::db::read_tx(c, |c| pull_changes(c, &me, &req)),
        DbConn::Postgres(_) => pull_changes(c, &me, &req),
    })
    .await
}

/// Drops tombstones older than the retention (devices that old resync).
pub async fn prune_tombstones(db: &Db, now: i64) -> AppResult<usize> {
    db.write(move |tx| Ok(sync::prune_tombstones(tx.conn(), now)?))
        .await
}
