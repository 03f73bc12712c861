//! Faults: the database going away and coming back, the process killed
//! mid-write, and a graceful stop.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{fresh_database_url, serve_process, spawn_on, Backend, TestApp};
use crate::on_both_backends;
use crate::recovery::{add_treatment, Scenario};

/// A TCP proxy in front of the real PostgreSQL that can "stop" it: every
/// open connection is cut and new ones are refused until it is started again.
struct PostgresOutage {
    port: u16,
    state: Arc<Mutex<(bool, Vec<tokio::task::AbortHandle>)>>,
}

impl PostgresOutage {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state: Arc<Mutex<(bool, Vec<tokio::task::AbortHandle>)>> = Arc::default();
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                let mut guard = shared.lock().unwrap();
                if guard.0 {
                    drop(client);
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect("127.0.0.1:5432").await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                guard.1.push(task.abort_handle());
            }
        });
        Self { port, state }
    }

    fn stop_database(&self) {
        let mut guard = self.state.lock().unwrap();
        guard.0 = true;
        for t in guard.1.drain(..) {
            t.abort();
        }
    }

    fn start_database(&self) {
        self.state.lock().unwrap().0 = false;
    }

    /// The test database URL, through the proxy.
    fn url(&self) -> String {
        fresh_database_url(Backend::Postgres)
            .replace("127.0.0.1:5432", &format!("127.0.0.1:{}", self.port))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_answers_503_fast_and_recovers_without_restart() {
    assert!(
        crate::helpers::postgres_base_url().contains("127.0.0.1:5432"),
        "the proxy fronts 127.0.0.1:5432"
    );
    let outage = PostgresOutage::start().await;
    let app = spawn_on(outage.url(), &[("AFTERCARE_DB_TIMEOUT_SECS", "2")]).await;
    let s = Scenario::on(app, 0.5, 2).await;
    assert_eq!(s.app.get("/readyz", None).await.status(), 200);

    outage.stop_database();
    for path in ["/readyz", "/v1/me"] {
        let started = Instant::now();
        let res = s.app.get(path, Some(&s.patient.access_token)).await;
        assert_eq!(res.status(), 503, "{path}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path} answered in {:?}",
            started.elapsed()
        );
        assert!(res.headers().contains_key("retry-after"));
        crate::helpers::assert_problem(res, 503).await;
    }
    let res = s
        .put_log(
            1,
            json!({"redness": 5, "swelling": 3, "flaking": 0, "sensitivity": 4}),
        )
        .await;
    crate::helpers::assert_problem(res, 503).await;
    assert_eq!(
        s.app.get("/healthz", None).await.status(),
        200,
        "the process itself is up"
    );

    // The database returns: service resumes on its own, no restart.
    outage.start_database();
    let mut ready = false;
    for _ in 0..50 {
        if s.app.get("/readyz", None).await.status() == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(ready, "ready again");
    let res = s
        .put_log(
            1,
            json!({"redness": 5, "swelling": 3, "flaking": 0, "sensitivity": 4}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        s.app
            .get("/v1/me", Some(&s.patient.access_token))
            .await
            .status(),
        200
    );
}

/// Sets up a clinic, clinician, enrolled patient and a 60-day-old treatment.
async fn seeded(app: &TestApp) -> (String, String, String, chrono::NaiveDate) {
    let clinic = app.new_clinic().await;
    let doc = app.add_clinician(&clinic).await;
    let patient = app.enrolled_patient(&doc, "UTC", 2).await;
    let t = add_treatment(app, &doc, &patient.id, 0.5, 60).await;
    let day0: chrono::NaiveDate = t["day0"].as_str().unwrap().parse().unwrap();
    (
        doc,
        patient.access_token,
        t["id"].as_str().unwrap().to_string(),
        day0,
    )
}

async fn kill_9_loses_no_acknowledged_write(backend: Backend) {
    let url = fresh_database_url(backend);
    let (process, app, _log) = serve_process(&url, &[]).await;
    let (doc, token, treatment, day0) = seeded(&app).await;
    let app = Arc::new(app);
    // Each date is written once, with a value derived from it; every write
    // also carries a sign, so a stored log must have its flag too.
    let acked: Arc<Mutex<BTreeMap<String, i64>>> = Arc::default();
    let sent: Arc<Mutex<BTreeMap<String, i64>>> = Arc::default();
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..4u64 {
        let (app, token, treatment, acked, sent) = (
            app.clone(),
            token.clone(),
            treatment.clone(),
            acked.clone(),
            sent.clone(),
        );
        writers.spawn(async move {
            for day in (w..=60).step_by(4) {
                let date = (day0 + chrono::Days::new(day)).to_string();
                let redness = (day % 11) as i64;
                sent.lock().unwrap().insert(date.clone(), redness);
                let res = if w % 2 == 0 {
                    app.put(&format!("/v1/treatments/{treatment}/logs/{date}"), Some(&token), &json!({"redness": redness, "swelling": 1, "flaking": 1, "sensitivity": 1, "signs": ["white_bumps"]})).await
                } else {
                    let id = format!("kill9log{day:08}");
                    let log = json!({"id": id, "treatment_id": treatment, "log_date": date, "redness": redness, "swelling": 1, "flaking": 1, "sensitivity": 1, "signs": r#"["white_bumps"]"#});
                    app.post("/v1/sync?last_pulled_at=1", Some(&token), &json!({"changes": {"symptom_logs": {"created": [log], "updated": [], "deleted": []}}})).await
                };
                let ok = res.status().is_success();
                if ok {
                    acked.lock().unwrap().insert(date, redness);
                }
            }
        });
    }
    // Kill -9 once a good part of the stream is acknowledged.
    for _ in 0..400 {
        if acked.lock().unwrap().len() >= 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(process); // SIGKILL
    while writers.join_next().await.is_some() {}
    let acked = acked.lock().unwrap().clone();
    let sent = sent.lock().unwrap().clone();
    assert!(
        acked.len() >= 20 && acked.len() < sent.len().max(61),
        "the kill landed mid-stream ({} acked)",
        acked.len()
    );

    // Restart on the same database: every acknowledged write is there, and
    // nothing stored is half-written.
    let (_process, app, _log) = serve_process(&url, &[]).await;
    let logs: Value = app
        .get(&format!("/v1/treatments/{treatment}/logs"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let stored: BTreeMap<String, i64> = logs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["date"].as_str().unwrap().to_string(),
                l["redness"].as_i64().unwrap(),
            )
        })
        .collect();
    for (date, redness) in &acked {
        assert_eq!(
            stored.get(date),
            Some(redness),
            "acknowledged write for {date} lost"
        );
    }
    for (date, redness) in &stored {
        assert_eq!(
            sent.get(date),
            Some(redness),
            "{date} holds a value nobody sent"
        );
    }
    let flags: Value = app.get("/v1/flags", Some(&doc)).await.json().await.unwrap();
    let white_bumps = flags["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["reason"] == "white_bumps")
        .count();
    assert_eq!(
        white_bumps,
        usize::from(!stored.is_empty()),
        "each stored log was assessed in its transaction"
    );
}

on_both_backends!(kill_9_loses_no_acknowledged_write);

/// A connection of "another process" holding SQLite's writer (`BEGIN
/// IMMEDIATE`) until released.
struct HeldWriter {
    release: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl HeldWriter {
    /// Returns once the write lock is held.
    fn take(db: &aftercare::db::Db) -> Self {
        use diesel::connection::SimpleConnection;
        let db = db.clone();
        let (held_tx, held_rx) = std::sync::mpsc::channel::<()>();
        let (release, release_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let mut c = db.conn().unwrap();
            c.batch_execute("BEGIN IMMEDIATE").unwrap();
            held_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            c.batch_execute("ROLLBACK").unwrap();
        });
        held_rx.recv().unwrap();
        Self { release, thread }
    }

    fn release(self) {
        self.release.send(()).unwrap();
        self.thread.join().unwrap();
    }
}

/// SIGTERM lets every request in flight finish, then stops the dispatcher
/// and exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_requests_and_stops_the_dispatcher() {
    const REQUESTS: usize = 24;
    let url = fresh_database_url(Backend::Sqlite);
    let (process, app, log) = serve_process(&url, &[("AFTERCARE_SCHEDULER_TICK_SECS", "1")]).await;
    let s = Scenario::on(app, 0.5, 2).await;
    // The requests are daily-log writes, and a connection of "another
    // process" holds SQLite's writer until after SIGTERM: none can finish
    // before the signal, however fast the machine. (Racing slow sign-ins
    // against the signal failed when all 24 happened to finish first.)
    let writer = HeldWriter::take(&s.app.db);
    let s = Arc::new(s);
    // Each request has its own client whose connection is opened (and
    // accepted by the server) before any write is sent: a connection still
    // waiting to be accepted at SIGTERM is not in flight.
    let answered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let connected = Arc::new(tokio::sync::Barrier::new(REQUESTS + 1));
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..REQUESTS {
        let (s, answered, connected) = (s.clone(), answered.clone(), connected.clone());
        requests.spawn(async move {
            let client = reqwest::Client::new();
            let warm = client
                .get(format!("{}/healthz", s.app.address))
                .send()
                .await
                .map(|r| r.status().as_u16());
            assert!(matches!(warm, Ok(200)), "{warm:?}");
            connected.wait().await;
            let r = client
                .put(format!(
                    "{}/v1/treatments/{}/logs/{}",
                    s.app.address,
                    s.treatment_id(),
                    s.date(1)
                ))
                .bearer_auth(&s.patient.access_token)
                .json(&json!({"redness": 4, "swelling": 2, "flaking": 1, "sensitivity": 3}))
                .send()
                .await
                .map(|r| r.status().as_u16());
            answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            r
        });
    }
    connected.wait().await;
    // SIGTERM only once the server has read every write: each is in its
    // in-flight gauge (beside the scrape asking). A request still in a
    // socket buffer at SIGTERM was never in flight.
    let scrape = reqwest::Client::new();
    let waiting = Instant::now();
    loop {
        let text = scrape
            .get(format!("{}/metrics", s.app.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let in_flight = text
            .lines()
            .find_map(|l| l.strip_prefix("aftercare_http_requests_in_flight "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .expect("the in-flight gauge is exported");
        if in_flight - 1.0 >= REQUESTS as f64 {
            break;
        }
        assert!(
            waiting.elapsed() < Duration::from_secs(4),
            "the server never read all {REQUESTS} writes ({in_flight} in flight) within SQLite's busy timeout"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let pid = process.pid().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert_eq!(
        answered.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "every write was waiting for the writer at SIGTERM"
    );
    writer.release();
    let mut statuses = Vec::new();
    while let Some(r) = requests.join_next().await {
        statuses.push(r.unwrap());
    }
    assert!(
        statuses.iter().all(|s| matches!(s, Ok(200) | Ok(201))),
        "every in-flight request completed: {statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| matches!(s, Ok(201))).count(),
        1,
        "the first write created the log, the rest replaced it: {statuses:?}"
    );
    let mut process = process;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = process.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "stopped in time"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "clean exit: {status:?}");
    let logs = std::fs::read_to_string(log).unwrap();
    assert!(logs.contains("dispatcher stopped"), "{logs}");
}

/// Finding 12: another process holding SQLite's writer past the busy
/// timeout is "busy, retry" (503 with Retry-After), not "the database is not
/// reachable"; reads go on meanwhile. The request's log line keeps query
/// values only of harmless parameters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_sqlite_writer_is_503_busy_retry_and_logs_no_query_values() {
    let db_url = fresh_database_url(Backend::Sqlite);
    let (_server, app, log) = serve_process(&db_url, &[]).await;
    let s = Scenario::on(app, 0.5, 2).await;
    // A connection of "another process" takes the write lock and keeps it.
    let writer = HeldWriter::take(&s.app.db);
    let path = format!(
        "/v1/treatments/{}/logs/{}?limit=7&note=private-words-here",
        s.treatment_id(),
        s.date(1)
    );
    let log_body = json!({"redness": 5, "swelling": 3, "flaking": 0, "sensitivity": 4});
    let res = s
        .app
        .put(&path, Some(&s.patient.access_token), &log_body)
        .await;
    assert_eq!(res.status(), 503);
    assert_eq!(
        res.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let problem = crate::helpers::assert_problem(res, 503).await;
    assert_eq!(problem["type"], "urn:aftercare:problem:busy");
    assert!(
        !problem["detail"]
            .as_str()
            .unwrap()
            .contains("not reachable"),
        "{problem}"
    );
    let me = s.app.get("/v1/me", Some(&s.patient.access_token)).await;
    assert_eq!(me.status(), 200, "reads go on");
    writer.release();
    let res = s
        .app
        .put(&path, Some(&s.patient.access_token), &log_body)
        .await;
    assert_eq!(res.status(), 201, "and the write goes through once free");

    let text = std::fs::read_to_string(&log).unwrap();
    let busy = text
        .lines()
        .find(|l| l.contains("busy"))
        .unwrap_or_else(|| panic!("the busy answer is logged: {text}"));
    assert!(
        busy.contains("limit=7") && busy.contains("note=~"),
        "{busy}"
    );
    assert!(!text.contains("private-words-here"), "{text}");
}
