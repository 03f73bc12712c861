//! Benchmark harness for the scripts in `bench/`: seeding over HTTP, a
//! constant-rate (open-loop) HTTP client, a loopback push sink, the SQLite
//! write ceiling, and drivers for the reminder dispatcher and the planner
//! that call the library directly. Not part of the service.
//!
//! `cargo run --release --example bench -- --help`

mod ceiling;
mod dispatch;
mod load;
mod planning;
mod seed;
mod sink;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bench",
    about = "aftercare benchmark harness (see bench/README)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Creates patients, treatments and enrolments over the HTTP API and
    /// writes one line per patient (token, treatment, dates, sync cursor).
    Seed(seed::Args),
    /// Sends requests at a constant rate (wrk2-style, latency measured from
    /// the scheduled send time) and prints latency percentiles.
    Rate(load::Args),
    /// The SQLite ceiling: the same single-row upsert in a minimal loop.
    SqliteCeiling(ceiling::Args),
    /// A loopback push service that answers 201 to every POST.
    Sink(sink::Args),
    /// Seeds due reminders and drives the dispatcher; then the
    /// encryption-alone ceiling on the same messages.
    Dispatch(dispatch::Args),
    /// Bulk-seeds treatments and plans into a SQLite file.
    PlanningSeed(planning::SeedArgs),
    /// Runs the planner (`app::reminders::refill`) over a seeded file.
    PlanningRun(planning::RunArgs),
    /// Counts the bulk-seeded plans due for their refill (`--arm`: makes
    /// them all due first), beside a running server.
    PlanningDue(planning::DueArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Seed(a) => seed::run(a),
        Command::Rate(a) => load::run(a),
        Command::SqliteCeiling(a) => ceiling::run(a),
        Command::Sink(a) => sink::run(a),
        Command::Dispatch(a) => dispatch::run(a),
        Command::PlanningSeed(a) => planning::seed(a),
        Command::PlanningRun(a) => planning::run(a),
        Command::PlanningDue(a) => planning::due(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

pub type Res<T> = Result<T, String>;

/// Formats any error as a string with context.
pub fn ctx<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("{what}: {e}")
}

/// The value at quantile `q` (0..=1) of sorted samples.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
