use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::db::schema::daily_logs as l;
use crate::db::{now_ms, DbConn, PatientWrite};
use crate::per_backend;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = l)]
pub struct DailyLog {
    pub id: String,
    pub treatment_id: String,
    pub patient_id: String,
    pub log_date: NaiveDate,
    pub day: i32,
    pub redness: i32,
    pub swelling: i32,
    pub flaking: i32,
    pub sensitivity: i32,
    pub signs: String,
    pub note: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub seq: i64,
    pub created_seq: i64,
}

/// What the assessment reads of a log: its date, day, scores and signs
/// (a PUT reads every earlier log of the treatment; ids, note and stamps
/// would be allocated and dropped unread).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = l)]
pub struct LogScores {
    pub log_date: NaiveDate,
    pub day: i32,
    pub redness: i32,
    pub swelling: i32,
    pub flaking: i32,
    pub sensitivity: i32,
    pub signs: String,
}

pub struct LogValues<'a> {
    pub treatment_id: &'a str,
    pub log_date: NaiveDate,
    pub day: i32,
    pub scores: [i32; 4],
    pub signs: &'a str,
    pub note: Option<&'a str>,
}

/// Writes the log for (treatment, date): a second log for the same date
/// replaces the first. `id` is used only when the log is new (sync supplies
/// the client's id). Returns the stored row.
pub fn upsert(w: &mut PatientWrite<'_, '_>, id: &str, v: LogValues<'_>) -> QueryResult<DailyLog> {
    let now = now_ms();
    let seq = w.stamp()?;
    let (conn, patient_id) = w.split();
    let [redness, swelling, flaking, sensitivity] = v.scores;
    // One statement: a second log for the same date replaces the values and
    // keeps the first one's id and creation.
    per_backend!(conn, |c| {
        let upsert = diesel::insert_into(l::table)
            .values((
                l::id.eq(id),
                l::treatment_id.eq(v.treatment_id),
                l::patient_id.eq(patient_id),
                l::log_date.eq(v.log_date),
                l::day.eq(v.day),
                l::redness.eq(redness),
                l::swelling.eq(swelling),
                l::flaking.eq(flaking),
                l::sensitivity.eq(sensitivity),
                l::signs.eq(v.signs),
                l::note.eq(v.note),
                l::created_at.eq(now),
                l::updated_at.eq(now),
                l::seq.eq(seq),
                l::created_seq.eq(seq),
            ))
            .on_conflict((l::treatment_id, l::log_date))
            .do_update()
            .set((
                l::redness.eq(excluded(l::redness)),
                l::swelling.eq(excluded(l::swelling)),
                l::flaking.eq(excluded(l::flaking)),
                l::sensitivity.eq(excluded(l::sensitivity)),
                l::signs.eq(excluded(l::signs)),
                l::note.eq(excluded(l::note)),
                l::day.eq(excluded(l::day)),
                l::updated_at.eq(excluded(l::updated_at)),
                l::seq.eq(excluded(l::seq)),
            ));
        // Never another patient's row (the treatment is theirs, so this only
        // guards against a caller's mistake): then no row comes back.
        crate::cached!(diesel::query_dsl::methods::FilterDsl::filter(
            upsert,
            l::patient_id.eq(patient_id)
        )
        .returning(DailyLog::as_returning()))
        .get_result(c)
    })
}

/// A treatment's logs in date order.
pub fn for_treatment(conn: &mut DbConn, treatment_id: &str) -> QueryResult<Vec<DailyLog>> {
    per_backend!(conn, |c| l::table
        .filter(l::treatment_id.eq(treatment_id))
        .order(l::log_date)
        .select(DailyLog::as_select())
        .load(c))
}

/// A treatment's logs in date order, as the assessment reads them.
pub fn scores_for_treatment(conn: &mut DbConn, treatment_id: &str) -> QueryResult<Vec<LogScores>> {
    per_backend!(conn, |c| l::table
        .filter(l::treatment_id.eq(treatment_id))
        .order(l::log_date)
        .select(LogScores::as_select())
        .load(c))
}

pub fn dates_for_treatment(conn: &mut DbConn, treatment_id: &str) -> QueryResult<Vec<NaiveDate>> {
    l::table
        .filter(l::treatment_id.eq(treatment_id))
        .select(l::log_date)
        .load(conn)
}

/// (treatment id, date) of every log of these treatments.
pub fn dates_for_treatments(
    conn: &mut DbConn,
    treatment_ids: &[String],
) -> QueryResult<Vec<(String, NaiveDate)>> {
    l::table
        .filter(l::treatment_id.eq_any(treatment_ids))
        .select((l::treatment_id, l::log_date))
        .load(conn)
}

/// Ids and treatments per `IN (...)` list: far below SQLite's and
/// PostgreSQL's limits on bound parameters.
const IN_CHUNK: usize = 500;

/// The rows with these ids, whoever owns them (the caller checks).
pub fn by_ids(conn: &mut DbConn, ids: &[&str]) -> QueryResult<Vec<DailyLog>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IN_CHUNK) {
        out.extend(
            l::table
                .filter(l::id.eq_any(chunk))
                .select(DailyLog::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// Every log of these treatments that belongs to `patient_id`.
pub fn for_treatments(
    conn: &mut DbConn,
    patient_id: &str,
    treatment_ids: &[&str],
) -> QueryResult<Vec<DailyLog>> {
    let mut out = Vec::new();
    for chunk in treatment_ids.chunks(IN_CHUNK) {
        out.extend(
            l::table
                .filter(l::patient_id.eq(patient_id))
                .filter(l::treatment_id.eq_any(chunk))
                .order((l::treatment_id, l::log_date))
                .select(DailyLog::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

pub fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<DailyLog>> {
    l::table
        .find(id)
        .select(DailyLog::as_select())
        .get_result(conn)
        .optional()
}

pub fn by_date(
    conn: &mut DbConn,
    treatment_id: &str,
    date: NaiveDate,
) -> QueryResult<Option<DailyLog>> {
    l::table
        .filter(l::treatment_id.eq(treatment_id))
        .filter(l::log_date.eq(date))
        .select(DailyLog::as_select())
        .get_result(conn)
        .optional()
}

/// Deletes the patient's log; another patient's id is left alone. Returns
/// whether a row was deleted. Devices learn of it through a tombstone.
pub fn delete(w: &mut PatientWrite<'_, '_>, id: &str) -> QueryResult<bool> {
    let (conn, owner) = w.split();
    let deleted =
        diesel::delete(l::table.find(id).filter(l::patient_id.eq(owner))).execute(conn)? == 1;
    if deleted {
        super::tombstones::record(w, "symptom_logs", id)?;
    }
    Ok(deleted)
}

/// Renumbers a log's day after its treatment's day 0 was corrected. The day
/// is not a synced column (devices derive it from the date), so no stamp.
pub fn set_day(w: &mut PatientWrite<'_, '_>, id: &str, day: i32) -> QueryResult<()> {
    let (conn, owner) = w.split();
    diesel::update(l::table.find(id).filter(l::patient_id.eq(owner)))
        .set(l::day.eq(day))
        .execute(conn)?;
    Ok(())
}
