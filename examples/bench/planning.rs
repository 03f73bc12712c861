//! Planning at scale: a SQLite file with N treatments (one patient each, the
//! default plan, day 0 spread over the last four weeks, six time zones),
//! every plan materialised until just under 24 h from now, which is when the
//! dispatcher's `refill` tops it up by the next 24 h. `planning-run` then
//! runs that refill, exactly the function the dispatcher calls each tick.

use std::time::Instant;

use aftercare::app::reminders as scheduler;
use aftercare::config::{Config, DatabaseUrl};
use aftercare::db::DbConn;
use aftercare::domain::reminder::default_plan;
use aftercare::domain::treatment::DepthMm;
use aftercare::startup::open_database;
use aftercare::store::protocols;
use diesel::connection::SimpleConnection;

use crate::{ctx, Res};

#[derive(clap::Args)]
pub struct SeedArgs {
    /// SQLite file to create (removed first).
    #[arg(long)]
    path: String,
    #[arg(long, default_value_t = 1_000_000)]
    treatments: u64,
    /// Plan every treatment far ahead instead (nothing due until `planning-due --arm`).
    #[arg(long)]
    not_due: bool,
}

#[derive(clap::Args)]
pub struct DueArgs {
    #[arg(long)]
    path: String,
    /// First make every bulk-seeded plan due (planned until just under 24 h ahead).
    #[arg(long)]
    arm: bool,
}

#[derive(clap::Args)]
pub struct RunArgs {
    #[arg(long)]
    path: String,
    /// Most plans per write transaction (the dispatcher uses 500).
    #[arg(long, default_value_t = 500)]
    batch: i64,
    /// Bound on a write transaction's hold in ms, from which refill sizes
    /// its batches (the service's: 20); 0 = always `batch` plans.
    #[arg(long)]
    hold_ms: Option<u64>,
    /// Instead of the service's refill, only count what a pure in-memory
    /// expansion of the same plans would produce (for comparison).
    #[arg(long)]
    dry: bool,
}

fn open(path: &str) -> Res<aftercare::db::Db> {
    let url = path.to_string();
    let mut config = Config::from_lookup(|k| (k == "DATABASE_URL").then(|| url.clone()))
        .map_err(ctx("config"))?;
    config.database = DatabaseUrl::Sqlite(path.into());
    open_database(&config).map_err(ctx("database"))
}

pub fn seed(a: SeedArgs) -> Res<()> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", a.path));
    }
    let t = Instant::now();
    let db = open(&a.path)?;
    let mut conn = db.conn().map_err(ctx("connection"))?;
    let protocol =
        protocols::current_for_clinic(&mut conn, "bench-clinic").map_err(ctx("protocol"))?;
    let DbConn::Sqlite(c) = &mut **conn else {
        return Err("planning needs SQLite".into());
    };
    let plan = |mm: f64| {
        serde_json::to_string(&default_plan(DepthMm::parse(mm).expect("depth")))
            .expect("plan JSON")
            .replace('\'', "''")
    };
    let now = chrono::Utc::now();
    let now_ms = now.timestamp_millis();
    let today = now.date_naive();
    // Planned until just under 24 h ahead: every plan is due for its refill.
    let planned_until = if a.not_due {
        now_ms + 30 * 86_400_000
    } else {
        now_ms + 24 * 3_600_000 - 60_000
    };
    let n = a.treatments;
    let sql = format!(
        "PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000; PRAGMA foreign_keys = OFF;
         BEGIN;
         INSERT INTO clinics (id, name, created_at) VALUES ('bench-clinic', 'Bench Clinic', 0);
         CREATE TEMP TABLE n AS WITH RECURSIVE c(i) AS
             (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < {last}) SELECT i FROM c;
         INSERT INTO accounts (id, clinic_id, role, email, name, password_hash, created_at)
             SELECT 'p' || i, 'bench-clinic', 'patient', 'p' || i || '@bench.example',
                    'Bench Patient', NULL, 0 FROM n;
         INSERT INTO patients (account_id, clinic_id, timezone, fitzpatrick, created_by,
                               change_seq, tombstones_pruned_seq)
             SELECT 'p' || i, 'bench-clinic',
                    CASE i % 6 WHEN 0 THEN 'Europe/Berlin' WHEN 1 THEN 'America/New_York'
                               WHEN 2 THEN 'Europe/London' WHEN 3 THEN 'Asia/Tokyo'
                               WHEN 4 THEN 'Australia/Sydney' ELSE 'America/Los_Angeles' END,
                    1 + i % 6, 'bench', 1, 0 FROM n;
         INSERT INTO treatments (id, patient_id, clinic_id, protocol_id, performed_at, day0, area,
                                 depth_mm, addons, session_number, created_by, created_at, seq)
             SELECT 't' || i, 'p' || i, 'bench-clinic', '{protocol}',
                    {now_ms} - (i % 29) * 86400000, date('{today}', '-' || (i % 29) || ' days'),
                    'face', CASE WHEN i % 2 = 0 THEN 1.0 ELSE 1.5 END, '', 1, 'bench', 0, 1 FROM n;
         INSERT INTO reminder_plans (treatment_id, patient_id, plan, planned_until, updated_at,
                                     updated_by, seq)
             SELECT 't' || i, 'p' || i,
                    CASE WHEN i % 2 = 0 THEN '{plan10}' ELSE '{plan15}' END,
                    {planned_until}, 0, 'bench', 1 FROM n;
         DROP TABLE n;
         COMMIT;
         PRAGMA wal_checkpoint(TRUNCATE);",
        last = n.saturating_sub(1),
        plan10 = plan(1.0),
        plan15 = plan(1.5),
    );
    c.batch_execute(&sql).map_err(ctx("bulk seed"))?;
    println!(
        "seeded_treatments={n} seed_seconds={:.1}",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

pub fn run(a: RunArgs) -> Res<()> {
    let db = open(&a.path)?;
    let mut conn = db.conn().map_err(ctx("connection"))?;
    let now = chrono::Utc::now();
    let t = Instant::now();
    let (created, holds) = if a.dry {
        (dry_run(&mut conn, now)?, Vec::new())
    } else {
        // The planner writes through the service's one write entry point.
        let hold = match a.hold_ms {
            None => Some(scheduler::REFILL_HOLD),
            Some(0) => None,
            Some(ms) => Some(std::time::Duration::from_millis(ms)),
        };
        let done = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(ctx("runtime"))?
            .block_on(scheduler::refill_within(&db, now, a.batch, hold))
            .map_err(ctx("refill"))?;
        (done.created, done.holds_ms)
    };
    let secs = t.elapsed().as_secs_f64();
    let treatments: i64 = {
        use aftercare::db::schema::reminder_plans as rp;
        use diesel::prelude::*;
        rp::table
            .count()
            .get_result(&mut **conn)
            .map_err(ctx("count"))?
    };
    // How long each write transaction held the writer.
    let mut holds = holds;
    holds.sort_by(f64::total_cmp);
    let q = |p: f64| {
        holds
            .get(((holds.len() as f64 * p) as usize).min(holds.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "treatments={treatments} occurrences_created={created} seconds={secs:.2} \
         treatments_per_s={:.0} transactions={} hold_p50_ms={:.1} hold_p99_ms={:.1} hold_max_ms={:.1}",
        treatments as f64 / secs,
        holds.len(),
        q(0.5),
        q(0.99),
        holds.last().copied().unwrap_or(0.0),
    );
    Ok(())
}

/// Bulk-seeded plans (`updated_by = 'bench'`) due for their refill; with
/// `--arm`, all of them are made due first. Prints `due=N`.
pub fn due(a: DueArgs) -> Res<()> {
    use aftercare::db::schema::reminder_plans as rp;
    use diesel::prelude::*;
    let db = open(&a.path)?;
    let mut conn = db.conn().map_err(ctx("connection"))?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let bench = rp::updated_by.eq("bench");
    if a.arm {
        diesel::update(rp::table.filter(bench))
            .set(rp::planned_until.eq(now_ms + 24 * 3_600_000 - 60_000))
            .execute(&mut **conn)
            .map_err(ctx("arm"))?;
        // Copy the update into the database file here, so the server's
        // next commit does not pay for checkpointing it.
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(ctx("checkpoint"))?;
    }
    let due: i64 = rp::table
        .filter(bench)
        .filter(rp::planned_until.lt(now_ms + 24 * 3_600_000))
        .count()
        .get_result(&mut **conn)
        .map_err(ctx("count"))?;
    println!("due={due}");
    Ok(())
}

/// The pure part alone: load every plan and expand the same 24 h window in
/// memory with `schedule::occurrences_into`, writing nothing.
fn dry_run(conn: &mut DbConn, now: chrono::DateTime<chrono::Utc>) -> Res<usize> {
    use aftercare::db::schema::{patients as p, reminder_plans as rp, treatments as t};
    use aftercare::domain::reminder::{Preferences, ReminderPlan};
    use aftercare::domain::schedule::occurrences_into;
    use diesel::prelude::*;
    let rows: Vec<(String, String, chrono::NaiveDate, i64)> = rp::table
        .inner_join(t::table.on(t::id.eq(rp::treatment_id)))
        .inner_join(p::table.on(p::account_id.eq(rp::patient_id)))
        .select((rp::plan, p::timezone, t::day0, rp::planned_until))
        .load(conn)
        .map_err(ctx("load plans"))?;
    let prefs = Preferences::default();
    let mut out = Vec::new();
    let mut total = 0;
    let mut plans: std::collections::HashMap<String, ReminderPlan> = Default::default();
    for (plan, tz, day0, until) in rows {
        if !plans.contains_key(&plan) {
            let parsed = serde_json::from_str(&plan).map_err(ctx("plan"))?;
            plans.insert(plan.clone(), parsed);
        }
        let tz: chrono_tz::Tz = tz.parse().map_err(|_| "zone")?;
        let from = chrono::DateTime::from_timestamp_millis(until).unwrap_or(now);
        out.clear();
        occurrences_into(
            &plans[&plan],
            &prefs,
            tz,
            day0,
            from,
            now + scheduler::LOOKAHEAD,
            &mut out,
        );
        total += out.len();
    }
    Ok(total)
}
