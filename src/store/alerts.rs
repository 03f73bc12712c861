//! The alert outbox (e-mail and webhook deliveries, one row per event per
//! recipient, leased and retried like push jobs) and the escalation timers
//! of urgent flags.

use diesel::prelude::*;

use crate::db::schema::{alert_attempts as t, alert_deliveries as d, flag_escalations as e};
use crate::db::{now_ms, DbConn};
use crate::per_backend;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = d)]
pub struct Delivery {
    /// The dedupe key: flag, event, channel and recipient.
    pub id: String,
    pub flag_id: String,
    pub event: String,
    pub channel: String,
    pub recipient_kind: String,
    pub recipient: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub claimed_until: Option<i64>,
    pub claimed_by: Option<String>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

pub struct NewDelivery<'a> {
    pub dedupe_key: &'a str,
    pub flag_id: &'a str,
    pub event: &'a str,
    pub channel: &'a str,
    pub recipient_kind: &'a str,
    pub recipient: &'a str,
    pub payload: &'a str,
    pub not_before: i64,
}

/// Enqueues a delivery unless one with the same dedupe key exists.
pub fn enqueue(conn: &mut DbConn, n: &NewDelivery<'_>) -> QueryResult<bool> {
    let inserted = per_backend!(conn, |c| diesel::insert_into(d::table)
        .values((
            d::id.eq(n.dedupe_key),
            d::flag_id.eq(n.flag_id),
            d::event.eq(n.event),
            d::channel.eq(n.channel),
            d::recipient_kind.eq(n.recipient_kind),
            d::recipient.eq(n.recipient),
            d::payload.eq(n.payload),
            d::status.eq("pending"),
            d::next_attempt_at.eq(n.not_before),
            d::created_at.eq(now_ms()),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Leases up to `limit` ready deliveries to `worker` until `lease_until`;
/// an expired lease makes a delivery claimable again. Call in a write
/// transaction; PostgreSQL skips rows other workers hold.
pub fn claim(
    conn: &mut DbConn,
    worker: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> QueryResult<Vec<Delivery>> {
    macro_rules! ready {
        () => {
            d::table
                .filter(d::status.eq("pending"))
                .filter(d::next_attempt_at.le(now))
                .filter(d::claimed_until.is_null().or(d::claimed_until.lt(now)))
                .order(d::next_attempt_at)
                .limit(limit)
                .select(Delivery::as_select())
        };
    }
    let mut rows = match conn {
        DbConn::Postgres(c) => ready!().for_update().skip_locked().load(c)?,
        // SQLite: the immediate transaction already excludes other writers.
        DbConn::Sqlite(c) => ready!().load(c)?,
    };
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    diesel::update(d::table.filter(d::id.eq_any(&ids)))
        .set((d::claimed_until.eq(lease_until), d::claimed_by.eq(worker)))
        .execute(conn)?;
    for r in &mut rows {
        r.claimed_until = Some(lease_until);
        r.claimed_by = Some(worker.to_string());
    }
    Ok(rows)
}

/// What one attempt came to, to record on its row and in its attempt log.
pub struct Recorded<'a> {
    /// `sent`, `failed`, `cancelled`, or `pending` to retry at `next_attempt_at`.
    pub status: &'a str,
    pub last_status: Option<i32>,
    pub last_error: Option<&'a str>,
    pub attempts: i32,
    pub next_attempt_at: Option<i64>,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = t)]
pub struct AttemptRow {
    pub id: i64,
    pub delivery_id: String,
    pub at: i64,
    /// `sent`, `retry`, `failed` or `cancelled`.
    pub outcome: String,
    pub status: Option<i32>,
    pub error: Option<String>,
}

/// Records an attempt, only if `worker` still holds the lease.
pub fn record(conn: &mut DbConn, id: &str, worker: &str, r: &Recorded<'_>) -> QueryResult<bool> {
    let now = now_ms();
    let outcome = if r.status == "pending" {
        "retry"
    } else {
        r.status
    };
    let finished = (r.status != "pending").then_some(now);
    let target = d::table
        .find(id)
        .filter(d::claimed_by.eq(worker))
        .filter(d::status.eq("pending"));
    let changed = match r.next_attempt_at {
        Some(next) => diesel::update(target)
            .set((
                d::status.eq(r.status),
                d::last_status.eq(r.last_status),
                d::last_error.eq(r.last_error),
                d::attempts.eq(r.attempts),
                d::finished_at.eq(finished),
                d::claimed_until.eq(None::<i64>),
                d::next_attempt_at.eq(next),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((
                d::status.eq(r.status),
                d::last_status.eq(r.last_status),
                d::last_error.eq(r.last_error),
                d::attempts.eq(r.attempts),
                d::finished_at.eq(finished),
                d::claimed_until.eq(None::<i64>),
            ))
            .execute(conn)?,
    };
    if changed == 1 {
        diesel::insert_into(t::table)
            .values((
                t::delivery_id.eq(id),
                t::at.eq(now),
                t::outcome.eq(outcome),
                t::status.eq(r.last_status),
                t::error.eq(r.last_error),
            ))
            .execute(conn)?;
    }
    Ok(changed == 1)
}

/// The attempts of these deliveries, oldest first.
pub fn attempts_of(conn: &mut DbConn, delivery_ids: &[String]) -> QueryResult<Vec<AttemptRow>> {
    t::table
        .filter(t::delivery_id.eq_any(delivery_ids))
        .order(t::id)
        .select(AttemptRow::as_select())
        .load(conn)
}

/// Cancels the pending deliveries to a recipient (a deleted webhook).
pub fn cancel_for_recipient(conn: &mut DbConn, recipient: &str) -> QueryResult<()> {
    diesel::update(
        d::table
            .filter(d::recipient.eq(recipient))
            .filter(d::status.eq("pending")),
    )
    .set((
        d::status.eq("cancelled"),
        d::last_error.eq("the webhook was deleted"),
        d::finished_at.eq(now_ms()),
        d::claimed_until.eq(None::<i64>),
    ))
    .execute(conn)?;
    Ok(())
}

/// A flag's e-mail and webhook deliveries, oldest first.
pub fn for_flag(conn: &mut DbConn, flag_id: &str) -> QueryResult<Vec<Delivery>> {
    d::table
        .filter(d::flag_id.eq(flag_id))
        .order((d::created_at, d::id))
        .select(Delivery::as_select())
        .load(conn)
}

/// Deliveries to one recipient (a webhook id: the caller checked its clinic),
/// newest first.
pub fn for_recipient(conn: &mut DbConn, recipient: &str, limit: i64) -> QueryResult<Vec<Delivery>> {
    d::table
        .filter(d::recipient.eq(recipient))
        .order((d::created_at.desc(), d::id))
        .limit(limit)
        .select(Delivery::as_select())
        .load(conn)
}

// --- Escalation timers ---------------------------------------------------------

/// Starts (or restarts, after a reopen) a flag's escalation timer.
pub fn arm_escalation(conn: &mut DbConn, flag_id: &str, now: i64) -> QueryResult<()> {
    diesel::delete(e::table.find(flag_id)).execute(conn)?;
    diesel::insert_into(e::table)
        .values((e::flag_id.eq(flag_id), e::armed_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

pub fn disarm_escalation(conn: &mut DbConn, flag_id: &str) -> QueryResult<()> {
    diesel::delete(e::table.find(flag_id).filter(e::escalated_at.is_null())).execute(conn)?;
    Ok(())
}

/// Flags whose timer was armed at or before `armed_before` and has not
/// fired. Call in a write transaction; PostgreSQL skips rows that another
/// process is claiming.
pub fn due_escalations(
    conn: &mut DbConn,
    armed_before: i64,
    limit: i64,
) -> QueryResult<Vec<String>> {
    macro_rules! due {
        () => {
            e::table
                .filter(e::escalated_at.is_null())
                .filter(e::armed_at.le(armed_before))
                .order(e::armed_at)
                .limit(limit)
                .select(e::flag_id)
        };
    }
    match conn {
        DbConn::Postgres(c) => due!().for_update().skip_locked().load(c),
        DbConn::Sqlite(c) => due!().load(c),
    }
}

/// Claims a due escalation: true for exactly one caller however many race.
pub fn claim_escalation(conn: &mut DbConn, flag_id: &str, now: i64) -> QueryResult<bool> {
    Ok(
        diesel::update(e::table.find(flag_id).filter(e::escalated_at.is_null()))
            .set(e::escalated_at.eq(now))
            .execute(conn)?
            == 1,
    )
}
