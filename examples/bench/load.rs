//! Constant-rate load, wrk2-style: each connection sends on its own fixed
//! schedule and a request's latency is measured from when it was *due*, so a
//! stalled server shows up in the percentiles (no coordinated omission).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::seed::{log_body, read_lines, Line};
use crate::{ctx, quantile, Res};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// PUT /v1/treatments/{id}/logs/{date}, rotating patients and dates.
    PutLog,
    /// GET /v1/sync?last_pulled_at=<cursor> (one change since the cursor).
    Sync,
    /// GET /v1/sync?last_pulled_at=null (first sync).
    SyncFirst,
    /// GET /healthz.
    Healthz,
}

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    base: String,
    /// Seed file from `bench seed`.
    #[arg(long)]
    seed: String,
    #[arg(long, value_enum)]
    mode: Mode,
    /// Requests per second, all connections together.
    #[arg(long)]
    rate: f64,
    #[arg(long, default_value_t = 15.0)]
    seconds: f64,
    /// Connections (each sends on its own schedule, one request at a time).
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Client threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

fn request(
    http: &reqwest::Client,
    base: &str,
    mode: Mode,
    lines: &[Line],
    n: u64,
) -> reqwest::RequestBuilder {
    let line = &lines[(n % lines.len() as u64) as usize];
    match mode {
        Mode::PutLog => {
            let round = n / lines.len() as u64;
            let date = line.day0 + chrono::Days::new(round % line.days);
            http.put(format!(
                "{base}/v1/treatments/{}/logs/{date}",
                line.treatment_id
            ))
            .bearer_auth(&line.token)
            .json(&log_body(round))
        }
        Mode::Sync => http
            .get(format!("{base}/v1/sync?last_pulled_at={}", line.cursor))
            .bearer_auth(&line.token),
        Mode::SyncFirst => http
            .get(format!("{base}/v1/sync?last_pulled_at=null"))
            .bearer_auth(&line.token),
        Mode::Healthz => http.get(format!("{base}/healthz")),
    }
}

pub fn run(a: Args) -> Res<()> {
    let lines = Arc::new(if a.mode == Mode::Healthz {
        vec![Line {
            token: String::new(),
            treatment_id: String::new(),
            day0: chrono::NaiveDate::MIN,
            days: 1,
            cursor: 0,
        }]
    } else {
        read_lines(&a.seed)?
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.threads.max(1))
        .enable_all()
        .build()
        .map_err(ctx("runtime"))?;
    let base = a.base.trim_end_matches('/').to_string();
    let conns = a.connections.max(1);
    let interval = Duration::from_secs_f64(conns as f64 / a.rate);
    let total = Duration::from_secs_f64(a.seconds);
    let (lat, errors, elapsed) = rt.block_on(async move {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(conns)
            .build()
            .map_err(ctx("client"))?;
        let start = Instant::now() + Duration::from_millis(100);
        let mut tasks = tokio::task::JoinSet::new();
        for c in 0..conns {
            let (http, base, lines) = (http.clone(), base.clone(), lines.clone());
            let mode = a.mode;
            tasks.spawn(async move {
                let mut lat = Vec::new();
                let mut errors = 0u64;
                let offset = Duration::from_secs_f64(c as f64 / a.rate);
                let mut k = 0u64;
                loop {
                    let due = start + offset + interval * k as u32;
                    if due >= start + total {
                        break;
                    }
                    tokio::time::sleep_until(due.into()).await;
                    let n = k * conns as u64 + c as u64;
                    let ok = match request(&http, &base, mode, &lines, n).send().await {
                        Ok(res) => {
                            let good = res.status().is_success();
                            good && res.bytes().await.is_ok()
                        }
                        Err(_) => false,
                    };
                    lat.push(due.elapsed().as_secs_f64() * 1000.0);
                    errors += u64::from(!ok);
                    k += 1;
                }
                (lat, errors)
            });
        }
        let mut lat = Vec::new();
        let mut errors = 0;
        while let Some(r) = tasks.join_next().await {
            let (l, e) = r.map_err(ctx("load task"))?;
            lat.extend(l);
            errors += e;
        }
        Ok::<_, String>((lat, errors, start.elapsed()))
    })?;
    let mut lat = lat;
    lat.sort_by(f64::total_cmp);
    println!(
        "requests={} errors={} rate={:.1} p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} max_ms={:.3} over_10ms={}",
        lat.len(),
        errors,
        lat.len() as f64 / elapsed.as_secs_f64(),
        quantile(&lat, 0.50),
        quantile(&lat, 0.90),
        quantile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN),
        lat.iter().filter(|&&ms| ms >= 10.0).count(),
    );
    Ok(())
}
