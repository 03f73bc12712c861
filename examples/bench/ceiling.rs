//! The SQLite write ceiling: the daily-log upsert alone, one statement per
//! transaction, in a minimal loop over SQLite's C API (one prepared
//! statement, no pool, no ORM), with the service's pragmas, on a table of
//! the same shape as `daily_logs`.

use std::ffi::{c_char, c_int, CStr, CString};
use std::ptr;
use std::time::{Duration, Instant};

use libsqlite3_sys as ffi;

use crate::Res;

#[derive(clap::Args)]
pub struct Args {
    /// SQLite file to create (deleted first if present).
    #[arg(long)]
    path: String,
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Key space: treatments x dates, as in the HTTP benchmark.
    #[arg(long, default_value_t = 200)]
    treatments: u64,
    #[arg(long, default_value_t = 60)]
    dates: u64,
}

/// Same columns, unique key and index as `daily_logs` (no foreign keys: the
/// ceiling has no parent tables; PostgreSQL's pgbench table is the same).
pub const TABLE: &str = "CREATE TABLE bench_logs (
    id TEXT PRIMARY KEY NOT NULL,
    treatment_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    log_date DATE NOT NULL,
    day INTEGER NOT NULL,
    redness INTEGER NOT NULL CHECK (redness BETWEEN 0 AND 10),
    swelling INTEGER NOT NULL CHECK (swelling BETWEEN 0 AND 10),
    flaking INTEGER NOT NULL CHECK (flaking BETWEEN 0 AND 10),
    sensitivity INTEGER NOT NULL CHECK (sensitivity BETWEEN 0 AND 10),
    signs TEXT NOT NULL,
    note TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    seq BIGINT NOT NULL DEFAULT 0,
    created_seq BIGINT NOT NULL DEFAULT 0,
    UNIQUE (treatment_id, log_date)
);
CREATE INDEX bench_logs_patient_seq ON bench_logs (patient_id, seq);";

const UPSERT: &str = "INSERT INTO bench_logs (id, treatment_id, patient_id, log_date, day, \
    redness, swelling, flaking, sensitivity, signs, note, created_at, updated_at, seq, created_seq) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, '', NULL, ?10, ?10, ?11, ?11) \
    ON CONFLICT (treatment_id, log_date) DO UPDATE SET redness = excluded.redness, \
    swelling = excluded.swelling, flaking = excluded.flaking, sensitivity = excluded.sensitivity, \
    signs = excluded.signs, note = excluded.note, day = excluded.day, \
    updated_at = excluded.updated_at, seq = excluded.seq";

struct Db(*mut ffi::sqlite3);

impl Drop for Db {
    fn drop(&mut self) {
        // SAFETY: the handle came from sqlite3_open_v2 and is closed once.
        unsafe { ffi::sqlite3_close(self.0) };
    }
}

fn check(db: &Db, rc: c_int, what: &str) -> Res<()> {
    if rc == ffi::SQLITE_OK || rc == ffi::SQLITE_DONE || rc == ffi::SQLITE_ROW {
        return Ok(());
    }
    // SAFETY: sqlite3_errmsg returns a NUL-terminated string owned by the handle.
    let msg = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db.0)) };
    Err(format!("{what}: {} ({rc})", msg.to_string_lossy()))
}

fn exec(db: &Db, sql: &str) -> Res<()> {
    let sql = CString::new(sql).map_err(|e| e.to_string())?;
    // SAFETY: valid handle and NUL-terminated SQL; no callback.
    let rc =
        unsafe { ffi::sqlite3_exec(db.0, sql.as_ptr(), None, ptr::null_mut(), ptr::null_mut()) };
    check(db, rc, "exec")
}

fn bind_text(stmt: *mut ffi::sqlite3_stmt, i: c_int, s: &str) -> c_int {
    // SAFETY: SQLITE_TRANSIENT makes SQLite copy the bytes before returning.
    unsafe {
        ffi::sqlite3_bind_text(
            stmt,
            i,
            s.as_ptr() as *const c_char,
            s.len() as c_int,
            ffi::SQLITE_TRANSIENT(),
        )
    }
}

pub fn run(a: Args) -> Res<()> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", a.path));
    }
    let path = CString::new(a.path.clone()).map_err(|e| e.to_string())?;
    let mut handle = ptr::null_mut();
    // SAFETY: out-pointer to a handle; flags and path are valid.
    let rc = unsafe {
        ffi::sqlite3_open_v2(
            path.as_ptr(),
            &mut handle,
            ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE,
            ptr::null(),
        )
    };
    let db = Db(handle);
    check(&db, rc, "open")?;
    // The service's per-connection pragmas (src/db/mod.rs).
    exec(
        &db,
        "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
         PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
    )?;
    exec(&db, TABLE)?;
    let sql = CString::new(UPSERT).map_err(|e| e.to_string())?;
    let mut stmt = ptr::null_mut();
    // SAFETY: valid handle, NUL-terminated SQL, out-pointer for the statement.
    let rc = unsafe { ffi::sqlite3_prepare_v2(db.0, sql.as_ptr(), -1, &mut stmt, ptr::null_mut()) };
    check(&db, rc, "prepare")?;
    let base = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let deadline = Instant::now() + Duration::from_secs_f64(a.seconds);
    let start = Instant::now();
    let mut n = 0u64;
    let mut lat = Vec::with_capacity(1 << 20);
    while Instant::now() < deadline {
        // xorshift: cheap, deterministic key choice.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let t = rng % a.treatments;
        let d = (rng >> 20) % a.dates;
        let id = format!("l{t}-{d}");
        let tid = format!("t{t}");
        let pid = format!("p{t}");
        let date = (base + chrono::Days::new(d)).to_string();
        let now = chrono::Utc::now().timestamp_millis();
        let t0 = Instant::now();
        // SAFETY: stmt is a live prepared statement; indexes match UPSERT.
        let rc = unsafe {
            let mut rc = bind_text(stmt, 1, &id);
            rc |= bind_text(stmt, 2, &tid);
            rc |= bind_text(stmt, 3, &pid);
            rc |= bind_text(stmt, 4, &date);
            rc |= ffi::sqlite3_bind_int64(stmt, 5, d as i64);
            rc |= ffi::sqlite3_bind_int64(stmt, 6, (n % 3) as i64);
            rc |= ffi::sqlite3_bind_int64(stmt, 7, (n % 2) as i64);
            rc |= ffi::sqlite3_bind_int64(stmt, 8, ((n / 2) % 3) as i64);
            rc |= ffi::sqlite3_bind_int64(stmt, 9, (n % 2) as i64);
            rc |= ffi::sqlite3_bind_int64(stmt, 10, now);
            rc |= ffi::sqlite3_bind_int64(stmt, 11, n as i64 + 2);
            check(&db, rc, "bind")?;
            let rc = ffi::sqlite3_step(stmt);
            ffi::sqlite3_reset(stmt);
            rc
        };
        check(&db, rc, "step")?;
        lat.push(t0.elapsed().as_secs_f64() * 1000.0);
        n += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    // SAFETY: finalize the statement before the handle closes.
    unsafe { ffi::sqlite3_finalize(stmt) };
    lat.sort_by(f64::total_cmp);
    println!(
        "writes={n} seconds={secs:.2} rate={:.1} p50_ms={:.4} p99_ms={:.4}",
        n as f64 / secs,
        crate::quantile(&lat, 0.5),
        crate::quantile(&lat, 0.99)
    );
    Ok(())
}
