//! Database access: one connection type over SQLite and PostgreSQL, a pool,
//! embedded migrations per backend, and the few places where the two differ.

pub mod cached;
pub mod schema;
pub mod timing;
mod write;

pub use write::{PatientWrite, PatientsWrite, Tx};

use std::time::{Duration, Instant};

use timing::StatementClock;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::DatabaseUrl;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs the same diesel expression on whichever backend `conn` is, for the
/// statements the multi-connection cannot express (upserts, batch inserts).
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Postgres($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}

/// Opens connections of the backend named by the URL scheme. The derived
/// `establish` would try each backend in turn, and SQLite accepts any string
/// as a file name, so a down PostgreSQL would silently become a local file.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

/// A pooled connection that remembers whether it failed like a dead one, so
/// the pool drops it instead of handing it out again (diesel's own check only
/// looks at transaction state, and a PostgreSQL restart kills every socket).
pub struct Tracked {
    conn: DbConn,
    broken: bool,
}

impl std::ops::Deref for Tracked {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for Tracked {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl ManageConnection for Manager {
    type Connection = Tracked;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Tracked, r2d2::Error> {
        self.open().map(|mut conn| {
            match &mut conn {
                DbConn::Postgres(c) => c.set_instrumentation(timing::StatementClock::default()),
                DbConn::Sqlite(c) => c.set_instrumentation(timing::StatementClock::default()),
            }
            Tracked {
                conn,
                broken: false,
            }
        })
    }

    fn is_valid(&self, conn: &mut Tracked) -> Result<(), r2d2::Error> {
        r2d2::R2D2Connection::ping(&mut conn.conn).map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Tracked) -> bool {
        conn.broken || r2d2::R2D2Connection::is_broken(&mut conn.conn)
    }
}

impl Manager {
    fn open(&self) -> Result<DbConn, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConn::Postgres)
                .map_err(r2d2::Error::ConnectionError),
            DatabaseUrl::Sqlite(path) => {
                let mut c =
                    SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
                // Per-connection settings: WAL for concurrent readers, a busy
                // timeout instead of instant SQLITE_BUSY, and enforced foreign keys.
                c.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(c))
            }
        }
    }
}

pub type Pool = r2d2::Pool<Manager>;

/// A write that holds SQLite's writer this long or longer is logged as a warning.
const SLOW_WRITE_MS: f64 = 250.0;

/// A unit of database work failed before or around its queries: no
/// connection within the timeout, no turn at the SQLite writer within it
/// (busy: other writes are queued), or the work itself panicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbFault {
    Unavailable,
    Busy,
    Panicked,
}

/// The error type of work run through [`Db`]: it absorbs diesel's errors and
/// [`DbFault`]s, and says which errors mean the connection is dead, so the
/// pool drops it instead of handing it out again.
pub trait DbError: From<diesel::result::Error> + From<DbFault> + Send + 'static {
    fn is_unavailable(&self) -> bool;
}

/// Handle to the database shared by every request and job.
///
/// Reads go through [`Db::read`]; every write, from a request or a
/// background job, through [`Db::write`] (or [`Db::write_blocking`] outside
/// the async runtime), the one way to get a [`Tx`].
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    /// `sqlite` or `postgres`; cloned with the handle on every request, so no `String`.
    backend: &'static str,
    /// SQLite has one writer at a time. Without this, concurrent writers of
    /// this process wait in SQLite's busy handler, which sleeps 1, 2, 5, 10…
    /// up to 100 ms between tries: a few collisions turn a sub-millisecond
    /// write into tens or hundreds of milliseconds. Queued here, the next
    /// writer starts as soon as the last one commits; other processes still
    /// meet the busy timeout. `None` on PostgreSQL, where writers run
    /// concurrently.
    sqlite_writer: Option<std::sync::Arc<parking_lot::Mutex<()>>>,
    timeout: Duration,
    /// Shared: the handle is cloned for every unit of work.
    stats: std::sync::Arc<timing::DbStats>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("cannot apply migrations: {0}")]
    Migrate(String),
}

/// What `aftercare backup` made.
#[derive(Debug)]
pub struct Backup {
    pub bytes: u64,
    /// The newest migration in the copy.
    pub migration: String,
}

#[derive(diesel::QueryableByName)]
struct TextRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    v: String,
}

/// Copies a live SQLite database to `dest` with `VACUUM INTO`: one read
/// transaction, so the copy is a consistent snapshot while other
/// connections (a running server) go on writing. The copy is then opened
/// and checked (`integrity_check`, `foreign_key_check`). `dest` must not
/// exist.
pub fn backup_sqlite(source: &str, dest: &std::path::Path) -> Result<Backup, String> {
    use diesel::sql_types::Text;
    if dest.exists() {
        return Err(format!("{} exists; give a new file name", dest.display()));
    }
    let dest_str = dest
        .to_str()
        .ok_or_else(|| format!("{} is not valid UTF-8", dest.display()))?;
    if !std::path::Path::new(source).exists() {
        return Err(format!("there is no SQLite database at {source}"));
    }
    let mut c = SqliteConnection::establish(source).map_err(|e| e.to_string())?;
    c.batch_execute("PRAGMA busy_timeout = 10000")
        .map_err(|e| e.to_string())?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(dest_str)
        .execute(&mut c)
        .map_err(|e| format!("copying: {e}"))?;
    drop(c);
    let mut copy = SqliteConnection::establish(dest_str).map_err(|e| e.to_string())?;
    let check = |copy: &mut SqliteConnection, sql: &str| {
        diesel::sql_query(sql)
            .load::<TextRow>(copy)
            .map(|rows| rows.into_iter().map(|r| r.v).collect::<Vec<_>>())
            .map_err(|e| format!("checking the copy: {e}"))
    };
    let integrity = check(
        &mut copy,
        "SELECT integrity_check AS v FROM pragma_integrity_check",
    )?;
    if integrity != ["ok"] {
        return Err(format!(
            "the copy fails integrity_check: {}",
            integrity.join("; ")
        ));
    }
    let broken = check(
        &mut copy,
        "SELECT \"table\" AS v FROM pragma_foreign_key_check",
    )?;
    if !broken.is_empty() {
        return Err(format!(
            "the copy has broken foreign keys in {}",
            broken.join(", ")
        ));
    }
    let migration = check(
        &mut copy,
        "SELECT COALESCE(MAX(version), 'none') AS v FROM __diesel_schema_migrations",
    )?
    .pop()
    .unwrap_or_default();
    let bytes = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
    Ok(Backup { bytes, migration })
}

/// Applies pending SQLite migrations in one immediate transaction (foreign
/// keys must be off: see `Db::migrate`), refusing to commit a result that
/// breaks a foreign key.
fn sqlite_migrate(
    c: &mut SqliteConnection,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    let r = c
        .run_pending_migrations(SQLITE_MIGRATIONS)
        .map(|_| ())
        .and_then(|()| {
            let broken: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT count(*) FROM pragma_foreign_key_check)",
            ))
            .get_result(c)?;
            if broken > 0 {
                return Err(
                    format!("the migrations would leave {broken} broken foreign keys").into(),
                );
            }
            Ok(())
        });
    let end = if r.is_ok() {
        AnsiTransactionManager::commit_transaction(c)
    } else {
        AnsiTransactionManager::rollback_transaction(c)
    };
    r.and_then(|()| end.map_err(Into::into))
}

impl Db {
    /// Builds the pool without requiring the database to be up: a server can
    /// start, answer `/readyz` with 503, and recover when the database returns.
    pub fn new(url: DatabaseUrl, size: u32, timeout: Duration) -> Self {
        let pool = r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(0))
            .connection_timeout(timeout)
            .test_on_check_out(false)
            .build_unchecked(Manager { url: url.clone() });
        let sqlite_writer = matches!(url, DatabaseUrl::Sqlite(_)).then(Default::default);
        Self {
            pool,
            backend: url.backend_name(),
            sqlite_writer,
            timeout,
            stats: Default::default(),
        }
    }

    /// The phase histograms and statement counters, for the metrics registry.
    pub fn stats(&self) -> timing::DbStats {
        (*self.stats).clone()
    }

    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// A raw connection, for start-up (secrets, seeding) and tests. Request
    /// and job code goes through [`Db::read`] and [`Db::write`].
    pub fn conn(&self) -> Result<r2d2::PooledConnection<Manager>, r2d2::PoolError> {
        self.pool.get()
    }

    /// Applies the embedded migrations of this backend.
    pub fn migrate(&self) -> Result<(), DbSetupError> {
        let mut conn = self
            .pool
            .get()
            .map_err(|e| DbSetupError::Connect(e.to_string()))?;
        // Several processes may start at once: only one migrates at a time.
        let result = match &mut **conn {
            DbConn::Postgres(c) => {
                c.batch_execute("SELECT pg_advisory_lock(7263514)")
                    .map_err(|e| DbSetupError::Migrate(e.to_string()))?;
                let r = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ());
                let _ = c.batch_execute("SELECT pg_advisory_unlock(7263514)");
                r
            }
            DbConn::Sqlite(c) => {
                // A migration may rebuild a table (SQLite cannot drop a
                // constraint): with foreign keys on, dropping the old table
                // would cascade-delete its children. The pragma cannot change
                // inside a transaction, so it is off around it, and the
                // result is checked before the commit.
                c.batch_execute("PRAGMA foreign_keys = OFF")
                    .map_err(|e| DbSetupError::Migrate(e.to_string()))?;
                let r = sqlite_migrate(c);
                let on = c.batch_execute("PRAGMA foreign_keys = ON");
                r.and_then(|()| on.map_err(Into::into))
            }
        };
        result.map_err(|e| DbSetupError::Migrate(e.to_string()))
    }

    /// Runs read-only work on the blocking pool.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: DbError,
    {
        let db = self.clone();
        let called = Instant::now();
        off_runtime(move || db.with_conn(called, "read", None, |conn, _| f(conn))).await
    }

    /// Runs work inside one write transaction on the blocking pool.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: DbError,
    {
        let db = self.clone();
        let called = Instant::now();
        off_runtime(move || db.write_since(called, f)).await
    }

    /// The one write entry point: a transaction that, on SQLite, first
    /// waits its turn on this process's writer queue.
    pub fn write_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, E>,
        E: DbError,
    {
        self.write_since(Instant::now(), f)
    }

    fn write_since<T, E, F>(&self, called: Instant, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, E>,
        E: DbError,
    {
        let writer = self.sqlite_writer.as_deref();
        self.with_conn(called, "write", writer, |conn, commit| {
            write::transaction(conn, commit, f)
        })
    }

    /// Runs `f` on a pooled connection, after this process's SQLite writer
    /// turn when `writer` is given, and records where the time went.
    fn with_conn<T, E, F>(
        &self,
        called: Instant,
        kind: &'static str,
        writer: Option<&parking_lot::Mutex<()>>,
        f: F,
    ) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn, &mut Duration) -> Result<T, E>,
        E: DbError,
    {
        let mut phases = timing::Phases {
            queued: called.elapsed(),
            ..Default::default()
        };
        // A writer's turn comes before its connection, so queued writers
        // hold none; the wait is bounded like a pool checkout (503).
        let mark = Instant::now();
        let mut turn = match writer {
            Some(w) => Some(w.try_lock_for(self.timeout).ok_or(DbFault::Busy)?),
            None => None,
        };
        phases.writer_wait = mark.elapsed();
        let mark = Instant::now();
        let mut conn = self.pool.get().map_err(|_| DbFault::Unavailable)?;
        phases.pool_wait = mark.elapsed();
        let _ = clock(&mut conn).map(StatementClock::take);
        let started = Instant::now();
        let cpu = timing::thread_cpu();
        let result = f(&mut conn, &mut phases.commit);
        phases.on_cpu = timing::thread_cpu().saturating_sub(cpu);
        let work = started.elapsed();
        if let Some(c) = clock(&mut conn).map(StatementClock::take) {
            phases.statements = c.spent;
            phases.statement_count = c.statements;
            phases.prepared = c.prepared;
        }
        phases.in_process = work.saturating_sub(phases.statements);
        if result.as_ref().is_err_and(E::is_unavailable) {
            conn.broken = true;
        }
        // The connection and the writer go back before anything is logged
        // or recorded: the next writer should not wait on a log line.
        drop(conn);
        let held = turn.take().is_some();
        self.stats.record(kind, &phases);
        if held {
            // How long every other write of this process waited on this one.
            let hold_ms = work.as_secs_f64() * 1000.0;
            if hold_ms >= SLOW_WRITE_MS {
                tracing::warn!(hold_ms, "the SQLite writer was held long");
            } else {
                tracing::debug!(hold_ms, "SQLite writer held");
            }
        }
        result
    }

    /// Whether the database answers; a connection that fails is dropped
    /// from the pool rather than handed out again.
    pub async fn ping(&self) -> bool {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let Ok(mut conn) = pool.get() else {
                return false;
            };
            let up = conn.batch_execute("SELECT 1").is_ok();
            conn.broken = !up;
            up
        })
        .await
        .unwrap_or(false)
    }

    pub fn pool_state(&self) -> (u32, u32) {
        let s = self.pool.state();
        (s.connections, s.idle_connections)
    }
}

/// The statement clock every pooled connection carries.
fn clock(conn: &mut Tracked) -> Option<&mut StatementClock> {
    conn.conn.instrumentation().downcast_mut::<StatementClock>()
}

/// Runs blocking work on the runtime's blocking threads.
async fn off_runtime<T, E, F>(f: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: DbError,
{
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|_| Err(DbFault::Panicked.into()))
}

/// A read-only transaction: one consistent snapshot for several queries.
pub fn read_tx<T, E>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    conn.transaction(|c| f(c))
}

/// Milliseconds since the Unix epoch: how instants are stored on both backends.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
