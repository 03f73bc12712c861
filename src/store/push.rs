//! Push subscriptions and the push outbox (one job per message per subscription).

use diesel::prelude::*;

use crate::db::schema::{accounts as a, push_jobs as j, push_subscriptions as s};
use crate::db::{now_ms, DbConn};
use crate::per_backend;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = s)]
pub struct StoredSubscription {
    pub id: String,
    pub account_id: String,
    pub clinic_id: String,
    pub role: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// `webpush`, `fcm` or `apns` ([`crate::domain::device::Platform`]).
    pub platform: String,
    pub app_id: Option<String>,
    pub environment: Option<String>,
    pub locale: Option<String>,
}

pub struct NewSubscription<'a> {
    pub account_id: &'a str,
    pub clinic_id: &'a str,
    pub role: &'a str,
    pub endpoint: &'a str,
    pub p256dh: &'a str,
    pub auth: &'a str,
}

/// Stores a subscription. An endpoint seen before is updated when it is the
/// caller's, and moves to the caller only when the same keys are presented
/// (the same browser, signed in as someone else); the ownership test is in
/// the statement itself. Returns the id, or `None` when the endpoint belongs
/// to another account and the keys differ (nothing changed).
pub fn upsert_subscription(
    conn: &mut DbConn,
    n: NewSubscription<'_>,
) -> QueryResult<Option<String>> {
    let now = now_ms();
    let mine_or_same_keys = s::account_id
        .eq(n.account_id)
        .or(s::p256dh.eq(n.p256dh).and(s::auth.eq(n.auth)));
    let updated = diesel::update(
        s::table
            .filter(s::endpoint.eq(n.endpoint))
            .filter(mine_or_same_keys),
    )
    .set((
        s::account_id.eq(n.account_id),
        s::clinic_id.eq(n.clinic_id),
        s::role.eq(n.role),
        s::p256dh.eq(n.p256dh),
        s::auth.eq(n.auth),
        s::updated_at.eq(now),
    ))
    .execute(conn)?;
    let existing: Option<(String, String)> = s::table
        .filter(s::endpoint.eq(n.endpoint))
        .select((s::id, s::account_id))
        .first(conn)
        .optional()?;
    match existing {
        Some((id, _)) if updated > 0 => return Ok(Some(id)),
        Some(_) => return Ok(None),
        None => {}
    }
    let id = super::new_id();
    diesel::insert_into(s::table)
        .values((
            s::id.eq(&id),
            s::account_id.eq(n.account_id),
            s::clinic_id.eq(n.clinic_id),
            s::role.eq(n.role),
            s::endpoint.eq(n.endpoint),
            s::p256dh.eq(n.p256dh),
            s::auth.eq(n.auth),
            s::created_at.eq(now),
            s::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(Some(id))
}

/// A native app device to store: its token's stored key (`fcm:…`/`apns:…`).
pub struct NewDevice<'a> {
    pub account_id: &'a str,
    pub clinic_id: &'a str,
    pub role: &'a str,
    pub platform: &'a str,
    pub key: &'a str,
    pub app_id: &'a str,
    pub environment: Option<&'a str>,
    pub locale: Option<&'a str>,
}

/// Stores a native device and returns its id. A token registered again
/// moves to the caller (the phone was handed over or signed in as someone
/// else): only the phone holding the token can present it. Pushes still
/// queued for its previous account are dropped, not delivered to the new one.
pub fn upsert_device(conn: &mut DbConn, n: NewDevice<'_>) -> QueryResult<String> {
    let now = now_ms();
    let previous: Option<(String, String)> = s::table
        .filter(s::endpoint.eq(n.key))
        .select((s::id, s::account_id))
        .first(conn)
        .optional()?;
    if let Some((id, owner)) = &previous {
        if owner != n.account_id {
            drop_jobs_for_subscription(conn, id)?;
        }
    }
    let id = super::new_id();
    // Two registrations of one token at once: the second insert does
    // nothing and both update the one row below.
    per_backend!(conn, |c| diesel::insert_into(s::table)
        .values((
            s::id.eq(&id),
            s::account_id.eq(n.account_id),
            s::clinic_id.eq(n.clinic_id),
            s::role.eq(n.role),
            s::endpoint.eq(n.key),
            s::p256dh.eq(""),
            s::auth.eq(""),
            s::created_at.eq(now),
            s::updated_at.eq(now),
            s::platform.eq(n.platform),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    diesel::update(s::table.filter(s::endpoint.eq(n.key)))
        .set((
            s::account_id.eq(n.account_id),
            s::clinic_id.eq(n.clinic_id),
            s::role.eq(n.role),
            s::platform.eq(n.platform),
            s::app_id.eq(n.app_id),
            s::environment.eq(n.environment),
            s::locale.eq(n.locale),
            s::console_session.eq(None::<String>),
            s::updated_at.eq(now),
        ))
        .execute(conn)?;
    s::table
        .filter(s::endpoint.eq(n.key))
        .select(s::id)
        .first(conn)
}

/// Removes one of the account's devices or subscriptions by id, with its
/// pending pushes; returns whether it existed.
pub fn delete_own_by_id(conn: &mut DbConn, account_id: &str, id: &str) -> QueryResult<bool> {
    let found =
        diesel::delete(s::table.find(id).filter(s::account_id.eq(account_id))).execute(conn)? > 0;
    if found {
        drop_jobs_for_subscription(conn, id)?;
    }
    Ok(found)
}

/// Removes the caller's subscription for an endpoint; returns whether one existed.
pub fn delete_subscription(
    conn: &mut DbConn,
    account_id: &str,
    endpoint: &str,
) -> QueryResult<bool> {
    Ok(diesel::delete(
        s::table
            .filter(s::account_id.eq(account_id))
            .filter(s::endpoint.eq(endpoint)),
    )
    .execute(conn)?
        > 0)
}

pub fn delete_subscription_by_id(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    diesel::delete(s::table.find(id)).execute(conn)?;
    Ok(())
}

pub fn subscriptions_of(
    conn: &mut DbConn,
    account_id: &str,
) -> QueryResult<Vec<StoredSubscription>> {
    s::table
        .filter(s::account_id.eq(account_id))
        .select(StoredSubscription::as_select())
        .load(conn)
}

/// Clinicians' and admins' subscriptions in a clinic (for flag alerts),
/// each with its account's locale; with `only_opted_in`, only of staff who
/// keep their push alerts on.
pub fn staff_subscriptions(
    conn: &mut DbConn,
    clinic_id: &str,
    only_opted_in: bool,
) -> QueryResult<Vec<(StoredSubscription, String)>> {
    let mut q = s::table
        .inner_join(a::table.on(a::id.eq(s::account_id)))
        .filter(s::clinic_id.eq(clinic_id))
        .filter(s::role.ne("patient"))
        .select((StoredSubscription::as_select(), a::locale))
        .into_boxed();
    if only_opted_in {
        q = q.filter(a::alert_push.eq(true));
    }
    q.load(conn)
}

/// The subscriptions and devices of these accounts, in one query.
pub fn subscriptions_of_accounts(
    conn: &mut DbConn,
    account_ids: &[&str],
) -> QueryResult<Vec<StoredSubscription>> {
    s::table
        .filter(s::account_id.eq_any(account_ids))
        .order((s::account_id, s::id))
        .select(StoredSubscription::as_select())
        .load(conn)
}

/// The subscriptions with these ids that still exist, in one query.
pub fn subscriptions_by_ids(
    conn: &mut DbConn,
    ids: &[&str],
) -> QueryResult<Vec<StoredSubscription>> {
    s::table
        .filter(s::id.eq_any(ids))
        .select(StoredSubscription::as_select())
        .load(conn)
}

pub fn subscription(conn: &mut DbConn, id: &str) -> QueryResult<Option<StoredSubscription>> {
    s::table
        .find(id)
        .select(StoredSubscription::as_select())
        .get_result(conn)
        .optional()
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = j)]
pub struct PushJob {
    pub id: String,
    pub dedupe_key: String,
    pub subscription_id: String,
    pub occurrence_id: Option<String>,
    pub treatment_id: Option<String>,
    pub message: String,
    pub stale_at: i64,
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

pub struct NewJob<'a> {
    pub dedupe_key: &'a str,
    pub subscription_id: &'a str,
    pub occurrence_id: Option<&'a str>,
    pub treatment_id: Option<&'a str>,
    /// JSON of [`crate::app::outbox::Message`].
    pub message: &'a str,
    pub stale_at: i64,
    pub not_before: i64,
}

/// Enqueues a push unless one with the same dedupe key exists.
pub fn enqueue(conn: &mut DbConn, n: &NewJob<'_>) -> QueryResult<bool> {
    Ok(enqueue_many(conn, std::slice::from_ref(n))? == 1)
}

/// Rows per multi-row insert: 10 bound values each stays far below
/// SQLite's 32,766 and PostgreSQL's 65,535 parameters per statement.
const ENQUEUE_CHUNK: usize = 500;

/// Enqueues many pushes in multi-row inserts, each unless one with the same
/// dedupe key exists. Returns how many were inserted.
pub fn enqueue_many(conn: &mut DbConn, jobs: &[NewJob<'_>]) -> QueryResult<usize> {
    let now = now_ms();
    let mut inserted = 0;
    for chunk in jobs.chunks(ENQUEUE_CHUNK) {
        let ids: Vec<String> = chunk.iter().map(|_| super::new_id()).collect();
        let rows: Vec<_> = chunk
            .iter()
            .zip(&ids)
            .map(|(n, id)| {
                (
                    j::id.eq(id.as_str()),
                    j::dedupe_key.eq(n.dedupe_key),
                    j::subscription_id.eq(n.subscription_id),
                    j::occurrence_id.eq(n.occurrence_id),
                    j::treatment_id.eq(n.treatment_id),
                    j::message.eq(n.message),
                    j::stale_at.eq(n.stale_at),
                    j::status.eq("pending"),
                    j::next_attempt_at.eq(n.not_before),
                    j::created_at.eq(now),
                )
            })
            .collect();
        inserted += per_backend!(conn, |c| diesel::insert_into(j::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(inserted)
}

/// Leases up to `limit` ready jobs to `worker` until `lease_until`. A lease
/// that expires (the worker died) makes the job claimable again. Call in a
/// write transaction; PostgreSQL skips rows other workers hold.
pub fn claim(
    conn: &mut DbConn,
    worker: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> QueryResult<Vec<PushJob>> {
    macro_rules! ready {
        () => {
            j::table
                .filter(j::status.eq("pending"))
                .filter(j::next_attempt_at.le(now))
                .filter(j::claimed_until.is_null().or(j::claimed_until.lt(now)))
                .order(j::next_attempt_at)
                .limit(limit)
                .select(PushJob::as_select())
        };
    }
    let mut jobs = match conn {
        DbConn::Postgres(c) => ready!().for_update().skip_locked().load(c)?,
        // SQLite: the immediate transaction already excludes other writers.
        DbConn::Sqlite(c) => ready!().load(c)?,
    };
    let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
    diesel::update(j::table.filter(j::id.eq_any(&ids)))
        .set((j::claimed_until.eq(lease_until), j::claimed_by.eq(worker)))
        .execute(conn)?;
    for job in &mut jobs {
        job.claimed_until = Some(lease_until);
        job.claimed_by = Some(worker.to_string());
    }
    Ok(jobs)
}

/// Records a job's outcome, only if `worker` still holds its lease.
pub fn finish(
    conn: &mut DbConn,
    id: &str,
    worker: &str,
    status: &str,
    last_status: Option<i32>,
    last_error: Option<&str>,
    attempts: i32,
) -> QueryResult<bool> {
    let now = now_ms();
    Ok(diesel::update(
        j::table
            .find(id)
            .filter(j::claimed_by.eq(worker))
            .filter(j::status.eq("pending")),
    )
    .set((
        j::status.eq(status),
        j::last_status.eq(last_status),
        j::last_error.eq(last_error),
        j::attempts.eq(attempts),
        j::finished_at.eq(now),
        j::claimed_until.eq(None::<i64>),
    ))
    .execute(conn)?
        == 1)
}

/// Records the same outcome for many jobs in one statement, for those
/// `worker` still holds. Returns how many were recorded.
pub fn finish_many(
    conn: &mut DbConn,
    ids: &[&str],
    worker: &str,
    status: &str,
    last_status: Option<i32>,
    attempts: i32,
) -> QueryResult<usize> {
    let now = now_ms();
    // `status || ''` keeps SQLite's planner (no statistics) off the
    // (status, next_attempt_at) index: with it, this statement walked every
    // pending job instead of looking up the ids (10% of the dispatcher's CPU).
    diesel::update(
        j::table
            .filter(j::id.eq_any(ids))
            .filter(j::claimed_by.eq(worker))
            .filter(j::status.concat("").eq("pending")),
    )
    .set((
        j::status.eq(status),
        j::last_status.eq(last_status),
        j::last_error.eq(None::<String>),
        j::attempts.eq(attempts),
        j::finished_at.eq(now),
        j::claimed_until.eq(None::<i64>),
    ))
    .execute(conn)
}

/// Puts a job back for another attempt at `next_attempt_at`.
pub fn retry_later(
    conn: &mut DbConn,
    id: &str,
    worker: &str,
    next_attempt_at: i64,
    last_status: Option<i32>,
    last_error: &str,
    attempts: i32,
) -> QueryResult<bool> {
    Ok(diesel::update(
        j::table
            .find(id)
            .filter(j::claimed_by.eq(worker))
            .filter(j::status.eq("pending")),
    )
    .set((
        j::next_attempt_at.eq(next_attempt_at),
        j::last_status.eq(last_status),
        j::last_error.eq(last_error),
        j::attempts.eq(attempts),
        j::claimed_until.eq(None::<i64>),
    ))
    .execute(conn)?
        == 1)
}

/// Pending jobs of a subscription that is gone are dropped with it.
pub fn drop_jobs_for_subscription(conn: &mut DbConn, subscription_id: &str) -> QueryResult<()> {
    diesel::update(
        j::table
            .filter(j::subscription_id.eq(subscription_id))
            .filter(j::status.eq("pending")),
    )
    .set((
        j::status.eq("gone"),
        j::finished_at.eq(now_ms()),
        j::claimed_until.eq(None::<i64>),
    ))
    .execute(conn)?;
    Ok(())
}

/// What was sent for a treatment, newest first.
pub fn for_treatment(
    conn: &mut DbConn,
    treatment_id: &str,
    limit: i64,
) -> QueryResult<Vec<PushJob>> {
    j::table
        .filter(j::treatment_id.eq(treatment_id))
        .order((j::created_at.desc(), j::id))
        .limit(limit)
        .select(PushJob::as_select())
        .load(conn)
}

/// Jobs of a treatment whose dedupe key starts with `prefix`, oldest first
/// (a flag's staff alerts: their keys start with `flag:<id>:`).
pub fn for_treatment_keyed(
    conn: &mut DbConn,
    treatment_id: &str,
    prefix: &str,
) -> QueryResult<Vec<PushJob>> {
    let mut jobs: Vec<PushJob> = j::table
        .filter(j::treatment_id.eq(treatment_id))
        .filter(j::occurrence_id.is_null())
        .order((j::created_at, j::id))
        .select(PushJob::as_select())
        .load(conn)?;
    jobs.retain(|job| job.dedupe_key.starts_with(prefix));
    Ok(jobs)
}

/// Jobs waiting to be sent (for metrics).
pub fn pending_count(conn: &mut DbConn) -> QueryResult<i64> {
    j::table
        .filter(j::status.eq("pending"))
        .count()
        .get_result(conn)
}

/// Deletes every push job that concerns a patient (before erasing them):
/// the jobs of their own devices, of their reminders, and the staff alerts
/// about their treatments, payload text included. Returns how many.
pub fn delete_jobs_of_patient(conn: &mut DbConn, patient_id: &str) -> QueryResult<usize> {
    use crate::db::schema::{reminder_occurrences as o, treatments as t};
    let subs = s::table.filter(s::account_id.eq(patient_id)).select(s::id);
    let treatments = t::table
        .filter(t::patient_id.eq(patient_id))
        .select(t::id.nullable());
    let occurrences = o::table
        .filter(o::patient_id.eq(patient_id))
        .select(o::id.nullable());
    diesel::delete(
        j::table.filter(
            j::subscription_id
                .eq_any(subs)
                .or(j::treatment_id.eq_any(treatments))
                .or(j::occurrence_id.eq_any(occurrences)),
        ),
    )
    .execute(conn)
}

/// Ties a subscription to the console sign-in that made it (its token hash).
pub fn bind_to_console_session(conn: &mut DbConn, id: &str, session_hash: &str) -> QueryResult<()> {
    diesel::update(s::table.find(id))
        .set(s::console_session.eq(session_hash))
        .execute(conn)?;
    Ok(())
}

/// Removes the subscriptions a console sign-in made, with their pending
/// pushes (at sign-out). Returns how many there were.
pub fn delete_for_console_session(conn: &mut DbConn, session_hash: &str) -> QueryResult<usize> {
    let ids: Vec<String> = s::table
        .filter(s::console_session.eq(session_hash))
        .select(s::id)
        .load(conn)?;
    for id in &ids {
        drop_jobs_for_subscription(conn, id)?;
        delete_subscription_by_id(conn, id)?;
    }
    Ok(ids.len())
}

/// Which subscriptions [`delete_all_subscriptions`] removes.
#[derive(Debug, Clone, Copy)]
pub enum Subscriptions {
    /// Browser notifications of console sign-ins.
    ConsoleSessions,
    /// Every Web Push subscription (made for one VAPID key).
    WebPush,
}

/// Removes subscriptions with their pending pushes. Returns how many there
/// were.
pub fn delete_all_subscriptions(conn: &mut DbConn, which: Subscriptions) -> QueryResult<usize> {
    let mut q = s::table.select(s::id).into_boxed();
    q = match which {
        Subscriptions::ConsoleSessions => q.filter(s::console_session.is_not_null()),
        // Native devices (FCM/APNs) hold no VAPID key and stay.
        Subscriptions::WebPush => q.filter(s::platform.eq("webpush")),
    };
    let ids: Vec<String> = q.load(conn)?;
    for id in &ids {
        drop_jobs_for_subscription(conn, id)?;
        delete_subscription_by_id(conn, id)?;
    }
    Ok(ids.len())
}

/// Reminder pushes of a treatment not sent yet are cancelled (the treatment
/// was cancelled or its patient discharged); alerts to staff are kept.
pub fn cancel_reminder_jobs(conn: &mut DbConn, treatment_id: &str) -> QueryResult<usize> {
    diesel::update(
        j::table
            .filter(j::treatment_id.eq(treatment_id))
            .filter(j::occurrence_id.is_not_null())
            .filter(j::status.eq("pending")),
    )
    .set((
        j::status.eq("cancelled"),
        j::finished_at.eq(now_ms()),
        j::claimed_until.eq(None::<i64>),
    ))
    .execute(conn)
}
