//! Where a unit of database work spends its time: waiting for a blocking
//! thread, for this process's SQLite writer, for a pooled connection; in
//! statements (counted and timed by a diesel instrumentation on every
//! connection); in the process between statements (assessment, JSON); and
//! in the commit; and how much of the work the thread actually ran on a CPU
//! (`on_cpu`: the rest of `statements` + `in_process` it waited, runnable or
//! blocked, which on SQLite is time every other writer waits too).
//! Exported as histograms, and a unit slower than
//! [`SLOW_UNIT`] is logged with its phases (at debug: under load there are
//! many; `RUST_LOG=info,aftercare::db::timing=debug` shows them), so a
//! latency tail can be taken apart instead of guessed at.

use std::time::{Duration, Instant};

use diesel::connection::{Instrumentation, InstrumentationEvent};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};

/// A unit of work slower than this, from the call to its end, is logged:
/// half the 10 ms a request's p99 should stay under.
pub const SLOW_UNIT: Duration = Duration::from_millis(5);

/// Counts and times the statements of one connection, and the ones diesel
/// had to prepare (a miss in its statement cache).
#[derive(Debug, Default)]
pub struct StatementClock {
    started: Option<Instant>,
    pub spent: Duration,
    pub statements: u32,
    pub prepared: u32,
}

impl Instrumentation for StatementClock {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } => self.started = Some(Instant::now()),
            InstrumentationEvent::CacheQuery { .. } => self.prepared += 1,
            InstrumentationEvent::FinishQuery { .. } => {
                if let Some(t) = self.started.take() {
                    self.spent += t.elapsed();
                    self.statements += 1;
                }
            }
            _ => {}
        }
    }
}

/// CPU time the calling thread has used so far. A blocking-pool thread runs
/// one unit of work at a time, so the difference across a unit is that
/// unit's own CPU time.
pub fn thread_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to write into, and
    // CLOCK_THREAD_CPUTIME_ID is supported on every Linux and macOS.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

impl StatementClock {
    /// What was counted since the last call, and a fresh start.
    pub fn take(&mut self) -> StatementClock {
        std::mem::take(self)
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PhaseLabels {
    /// `read` or `write`.
    pub kind: &'static str,
    /// `queued`, `writer_wait`, `pool_wait`, `statements`, `in_process`,
    /// `commit` (a part of `statements`) and `on_cpu` (the thread's CPU time
    /// during `statements` + `in_process`).
    pub phase: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatementLabels {
    pub kind: &'static str,
}

/// One unit of work's phases.
#[derive(Debug, Default)]
pub struct Phases {
    pub queued: Duration,
    pub writer_wait: Duration,
    pub pool_wait: Duration,
    pub statements: Duration,
    pub in_process: Duration,
    pub commit: Duration,
    pub on_cpu: Duration,
    pub statement_count: u32,
    pub prepared: u32,
}

/// The phase histograms and statement counters of a [`super::Db`]; clones
/// share their series, so the metrics registry holds one.
#[derive(Clone, Debug)]
pub struct DbStats {
    pub phases: Family<PhaseLabels, Histogram, fn() -> Histogram>,
    pub statements: Family<StatementLabels, Counter>,
    pub prepared: Family<StatementLabels, Counter>,
    /// The series of each kind, looked up once: every unit of work records
    /// into them, and a family lookup hashes its labels under a lock.
    read: KindSeries,
    write: KindSeries,
}

/// One kind's series: a histogram per phase (in [`PHASES`] order) and the
/// two counters.
#[derive(Clone, Debug)]
struct KindSeries {
    phases: [Histogram; 7],
    statements: Counter,
    prepared: Counter,
}

const PHASES: [&str; 7] = [
    "queued",
    "writer_wait",
    "pool_wait",
    "statements",
    "in_process",
    "commit",
    "on_cpu",
];

fn phase_histogram() -> Histogram {
    // 50 µs to ~1.6 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

impl Default for DbStats {
    fn default() -> Self {
        let phases: Family<PhaseLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(phase_histogram);
        let statements = Family::<StatementLabels, Counter>::default();
        let prepared = Family::<StatementLabels, Counter>::default();
        let series = |kind: &'static str| KindSeries {
            phases: PHASES.map(|phase| phases.get_or_create(&PhaseLabels { kind, phase }).clone()),
            statements: statements.get_or_create(&StatementLabels { kind }).clone(),
            prepared: prepared.get_or_create(&StatementLabels { kind }).clone(),
        };
        let (read, write) = (series("read"), series("write"));
        Self {
            phases,
            statements,
            prepared,
            read,
            write,
        }
    }
}

impl DbStats {
    /// Records a unit of work of `kind` (`read` or `write`).
    pub fn record(&self, kind: &'static str, p: &Phases) {
        let series = if kind == "read" {
            &self.read
        } else {
            &self.write
        };
        let values = [
            p.queued,
            p.writer_wait,
            p.pool_wait,
            p.statements,
            p.in_process,
            p.commit,
            p.on_cpu,
        ];
        for (h, d) in series.phases.iter().zip(values) {
            h.observe(d.as_secs_f64());
        }
        series.statements.inc_by(u64::from(p.statement_count));
        series.prepared.inc_by(u64::from(p.prepared));
        let total = p.queued + p.writer_wait + p.pool_wait + p.statements + p.in_process;
        if total >= SLOW_UNIT {
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            tracing::debug!(
                kind,
                total_ms = ms(total),
                queued_ms = ms(p.queued),
                writer_wait_ms = ms(p.writer_wait),
                pool_wait_ms = ms(p.pool_wait),
                statements_ms = ms(p.statements),
                in_process_ms = ms(p.in_process),
                commit_ms = ms(p.commit),
                on_cpu_ms = ms(p.on_cpu),
                statements = p.statement_count,
                prepared = p.prepared,
                "slow database work"
            );
        }
    }
}
