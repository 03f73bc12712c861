//! Seeding through the public HTTP API, as a clinic and its patients would:
//! admin login, patients, treatments, enrolment codes, enrolment, and
//! optionally a history of daily logs and a first sync.

use std::io::Write;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use serde_json::{json, Value};

use crate::{ctx, Res};

#[derive(clap::Args)]
pub struct Args {
    /// Base URL of the running service.
    #[arg(long)]
    base: String,
    #[arg(long)]
    admin_email: String,
    #[arg(long)]
    admin_password: String,
    /// Patients to create (one treatment each).
    #[arg(long, default_value_t = 200)]
    patients: usize,
    /// The treatment was performed this many days ago; each patient may log
    /// the dates day0 .. day0+days-1.
    #[arg(long, default_value_t = 60)]
    days_ago: u64,
    /// Daily logs to PUT per patient before the benchmark (0 = none).
    #[arg(long, default_value_t = 0)]
    logs: u64,
    /// After the logs: a first sync, then one changed log; the line carries
    /// the first sync's cursor, so a pull from it returns one change.
    #[arg(long)]
    sync: bool,
    /// Requests in flight while seeding.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Output: one tab-separated line per patient:
    /// token, patient id, treatment id, day0, days, cursor.
    #[arg(long)]
    out: String,
}

pub struct Line {
    pub token: String,
    pub treatment_id: String,
    pub day0: NaiveDate,
    pub days: u64,
    pub cursor: i64,
}

/// Reads the file written by `seed`.
pub fn read_lines(path: &str) -> Res<Vec<Line>> {
    let text = std::fs::read_to_string(path).map_err(ctx("read seed file"))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            if f.len() < 6 {
                return Err(format!("bad seed line: {l}"));
            }
            Ok(Line {
                token: f[0].to_string(),
                treatment_id: f[2].to_string(),
                day0: f[3].parse().map_err(ctx("day0"))?,
                days: f[4].parse().map_err(ctx("days"))?,
                cursor: f[5].parse().map_err(ctx("cursor"))?,
            })
        })
        .collect()
}

/// The body of the n-th log of a patient: low, plausible scores that vary.
pub fn log_body(n: u64) -> Value {
    json!({
        "redness": (n % 3) as i64,
        "swelling": (n % 2) as i64,
        "flaking": ((n / 2) % 3) as i64,
        "sensitivity": (n % 2) as i64,
        "signs": [],
        "note": null,
    })
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Res<Value> {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.map_err(ctx("request"))?;
        let status = res.status();
        let text = res.text().await.map_err(ctx("response"))?;
        if !status.is_success() {
            return Err(format!("{path}: {status}: {text}"));
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(ctx("response JSON"))
    }
}

async fn one_patient(c: &Client, admin: &str, a: &Args, i: usize, tag: &str) -> Res<String> {
    use reqwest::Method;
    let patient = c
        .call(
            Method::POST,
            "/v1/patients",
            Some(admin),
            Some(&json!({
                "name": format!("Bench Patient {i}"),
                "email": format!("p{i}-{tag}@bench.example"),
                "timezone": "Europe/Berlin",
                "fitzpatrick": 2,
            })),
        )
        .await?;
    let pid = patient["id"].as_str().ok_or("patient id")?.to_string();
    let performed_at = Utc::now() - chrono::Duration::days(a.days_ago as i64);
    let treatment = c
        .call(
            Method::POST,
            &format!("/v1/patients/{pid}/treatments"),
            Some(admin),
            Some(&json!({
                "performed_at": performed_at.to_rfc3339(),
                "area": "face",
                "depth_mm": 1.0,
                "addons": [],
                "session_number": 1,
            })),
        )
        .await?;
    let tid = treatment["id"].as_str().ok_or("treatment id")?.to_string();
    let day0: NaiveDate = treatment["day0"]
        .as_str()
        .ok_or("day0")?
        .parse()
        .map_err(ctx("day0"))?;
    let code = c
        .call(
            Method::POST,
            &format!("/v1/patients/{pid}/enrolment-codes"),
            Some(admin),
            None,
        )
        .await?;
    let tokens = c
        .call(
            Method::POST,
            "/v1/auth/enrol",
            None,
            Some(&json!({"code": code["code"], "password": "bench password 123"})),
        )
        .await?;
    let token = tokens["access_token"]
        .as_str()
        .ok_or("access token")?
        .to_string();
    for n in 0..a.logs.min(a.days_ago) {
        let date = day0 + chrono::Days::new(n);
        c.call(
            Method::PUT,
            &format!("/v1/treatments/{tid}/logs/{date}"),
            Some(&token),
            Some(&log_body(n)),
        )
        .await?;
    }
    let mut cursor = 0i64;
    if a.sync {
        let first = c
            .call(
                Method::GET,
                "/v1/sync?last_pulled_at=null",
                Some(&token),
                None,
            )
            .await?;
        if first["has_more"].as_bool() != Some(false) {
            return Err("first sync did not fit one pull".into());
        }
        cursor = first["timestamp"].as_i64().ok_or("sync timestamp")?;
        // One change after the cursor: the last logged day gets new scores.
        let date = day0 + chrono::Days::new(a.logs.min(a.days_ago).saturating_sub(1));
        c.call(
            Method::PUT,
            &format!("/v1/treatments/{tid}/logs/{date}"),
            Some(&token),
            Some(&log_body(1001)),
        )
        .await?;
        let next = c
            .call(
                Method::GET,
                &format!("/v1/sync?last_pulled_at={cursor}"),
                Some(&token),
                None,
            )
            .await?;
        let changed = next["changes"]["symptom_logs"]["updated"]
            .as_array()
            .map_or(0, Vec::len);
        if changed != 1 {
            return Err(format!(
                "incremental pull should carry one changed log, got {changed}"
            ));
        }
    }
    Ok(format!(
        "{token}\t{pid}\t{tid}\t{day0}\t{}\t{cursor}",
        a.days_ago
    ))
}

pub fn run(a: Args) -> Res<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(ctx("runtime"))?;
    rt.block_on(async move {
        let c = std::sync::Arc::new(Client {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .map_err(ctx("client"))?,
            base: a.base.trim_end_matches('/').to_string(),
        });
        let login = c
            .call(
                reqwest::Method::POST,
                "/v1/auth/login",
                None,
                Some(&json!({"email": a.admin_email, "password": a.admin_password})),
            )
            .await?;
        let admin = login["access_token"]
            .as_str()
            .ok_or("admin token")?
            .to_string();
        let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
        let a = std::sync::Arc::new(a);
        let mut tasks = tokio::task::JoinSet::new();
        for w in 0..a.concurrency.max(1) {
            let (c, a, admin, tag) = (c.clone(), a.clone(), admin.clone(), tag.clone());
            tasks.spawn(async move {
                let mut out = Vec::new();
                let mut i = w;
                while i < a.patients {
                    out.push(one_patient(&c, &admin, &a, i, &tag).await?);
                    i += a.concurrency.max(1);
                }
                Ok::<_, String>(out)
            });
        }
        let mut lines = Vec::new();
        while let Some(r) = tasks.join_next().await {
            lines.extend(r.map_err(ctx("seed task"))??);
        }
        let mut f = std::fs::File::create(&a.out).map_err(ctx("create output"))?;
        for l in &lines {
            writeln!(f, "{l}").map_err(ctx("write output"))?;
        }
        eprintln!("seeded {} patients", lines.len());
        Ok(())
    })
}
