//! The real binary, logging at debug level, is sent passwords, tokens, an
//! enrolment code, push keys and a log note; none of them may reach its logs.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{fresh_database_url, Backend};
use crate::on_both_backends;

const BIN: &str = env!("CARGO_BIN_EXE_aftercare");
const P256DH: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

fn command(database_url: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env(
            "AFTERCARE_MEDIA_DIR",
            crate::helpers::media_dir_of(database_url),
        )
        .env("RUST_LOG", "debug")
        .env("AFTERCARE_LOG_FORMAT", "json")
        .env("AFTERCARE_BIND", "127.0.0.1:0")
        .env("AFTERCARE_PUSH_ALLOW_INSECURE", "1")
        // Reminders due now are pushed at once, so the push path logs too.
        .env("AFTERCARE_SCHEDULER_TICK_SECS", "1");
    cmd
}

/// Stops the server we started, whatever happens in the test.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Collects everything the process writes to stderr.
fn capture(child: &mut Child) -> Arc<Mutex<String>> {
    let out = Arc::new(Mutex::new(String::new()));
    let sink = out.clone();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let mut s = sink.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
    out
}

fn listening_port(logs: &Mutex<String>) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let port = logs.lock().unwrap().lines().find_map(|l| {
            let v: Value = serde_json::from_str(l).ok()?;
            (v["fields"]["message"] == "aftercare listening")
                .then(|| v["fields"]["port"].as_u64())?
        });
        if let Some(p) = port {
            return p as u16;
        }
        assert!(
            Instant::now() < deadline,
            "server did not start:\n{}",
            logs.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn logs_never_contain_secrets(backend: Backend) {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let database_url = fresh_database_url(backend);
    let admin_email = format!("admin-{tag}@clinic.example");
    let admin_password = format!("admin-password-{tag}");

    // The CLI reads the admin's password from stdin.
    let mut cli = command(&database_url)
        .args([
            "clinic",
            "create",
            "--name",
            "Log Clinic",
            "--admin-email",
            &admin_email,
        ])
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    cli.stdin
        .take()
        .unwrap()
        .write_all(admin_password.as_bytes())
        .unwrap();
    let cli = cli.wait_with_output().unwrap();
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let mut logs = String::from_utf8_lossy(&cli.stderr).into_owned();

    let mut server = Server(
        command(&database_url)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let captured = capture(&mut server.0);
    let base = format!("http://127.0.0.1:{}", listening_port(&captured));
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, token: Option<&str>, body: Option<Value>| {
        let mut req = http.request(method, format!("{base}{path}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    use reqwest::Method as M;

    let wrong_password = format!("wrong-password-{tag}");
    let (s, _) = call(
        M::POST,
        "/v1/auth/login",
        None,
        Some(json!({"email": admin_email, "password": wrong_password})),
    )
    .await;
    assert_eq!(s, 401);
    let (s, admin) = call(
        M::POST,
        "/v1/auth/login",
        None,
        Some(json!({"email": admin_email, "password": admin_password})),
    )
    .await;
    assert_eq!(s, 200);
    let admin_access = admin["access_token"].as_str().unwrap().to_string();
    let first_refresh = admin["refresh_token"].as_str().unwrap().to_string();
    let (s, refreshed) = call(
        M::POST,
        "/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": first_refresh})),
    )
    .await;
    assert_eq!(s, 200);
    let second_refresh = refreshed["refresh_token"].as_str().unwrap().to_string();
    // Reuse of a rotated token: logged as a security event, but not the token.
    let (s, _) = call(
        M::POST,
        "/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": first_refresh})),
    )
    .await;
    assert_eq!(s, 401);

    let clinician_password = format!("clinician-password-{tag}");
    let (s, _) = call(
        M::POST,
        "/v1/staff",
        Some(&admin_access),
        Some(json!({"email": format!("doc-{tag}@clinic.example"), "name": "Dr Log", "role": "clinician", "password": clinician_password})),
    )
    .await;
    assert_eq!(s, 201);
    // A body that fails validation still carries its password.
    let (s, _) = call(
        M::POST,
        "/v1/staff",
        Some(&admin_access),
        Some(json!({"email": "not an email", "name": "Dr Bad", "role": "clinician", "password": clinician_password})),
    )
    .await;
    assert_eq!(s, 422);
    // Values that fail validation are echoed to the client that sent them,
    // never to the logs: a mistyped field may hold anything.
    let misplaced = format!("misplaced-secret-{tag}");
    let (s, _) = call(
        M::POST,
        "/v1/patients",
        Some(&admin_access),
        Some(json!({"name": "Lou", "email": "lou@mail.example", "timezone": "UTC", "fitzpatrick": misplaced})),
    )
    .await;
    assert_eq!(s, 422);

    let (s, patient) = call(
        M::POST,
        "/v1/patients",
        Some(&admin_access),
        Some(json!({"name": "Lou Logged", "email": format!("lou-{tag}@mail.example"), "timezone": "UTC", "fitzpatrick": 2})),
    )
    .await;
    assert_eq!(s, 201);
    let patient_id = patient["id"].as_str().unwrap();
    let (s, code) = call(
        M::POST,
        &format!("/v1/patients/{patient_id}/enrolment-codes"),
        Some(&admin_access),
        None,
    )
    .await;
    assert_eq!(s, 201);
    let code = code["code"].as_str().unwrap().to_string();
    let patient_password = format!("patient-password-{tag}");
    let (s, enrolled) = call(
        M::POST,
        "/v1/auth/enrol",
        None,
        Some(json!({"code": code, "password": patient_password})),
    )
    .await;
    assert_eq!(s, 200);
    let patient_access = enrolled["access_token"].as_str().unwrap().to_string();
    let patient_refresh = enrolled["refresh_token"].as_str().unwrap().to_string();
    // A used code again.
    let (s, _) = call(
        M::POST,
        "/v1/auth/enrol",
        None,
        Some(json!({"code": code, "password": patient_password})),
    )
    .await;
    assert_eq!(s, 401);

    let (s, treatment) = call(
        M::POST,
        &format!("/v1/patients/{patient_id}/treatments"),
        Some(&admin_access),
        Some(json!({"performed_at": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339(), "area": "face", "depth_mm": 0.5, "session_number": 1})),
    )
    .await;
    assert_eq!(s, 201);
    let treatment_id = treatment["id"].as_str().unwrap();
    let day0 = treatment["day0"].as_str().unwrap();
    let note = format!("private note about my skin {tag}");
    let (s, _) = call(
        M::PUT,
        &format!("/v1/treatments/{treatment_id}/logs/{day0}"),
        Some(&patient_access),
        Some(json!({"redness": 9, "swelling": 9, "flaking": 0, "sensitivity": 9, "signs": ["fever"], "note": note})),
    )
    .await;
    assert_eq!(s, 201);

    let endpoint_secret = format!("endpoint-capability-{tag}");
    let (s, _) = call(
        M::POST,
        "/v1/push/subscriptions",
        Some(&patient_access),
        Some(json!({"endpoint": format!("http://127.0.0.1:9/push/{endpoint_secret}"), "keys": {"p256dh": P256DH, "auth": AUTH}})),
    )
    .await;
    assert!(s == 201, "subscribed: {s}");
    // "Remind me now": a reminder due at once goes through the dispatcher.
    let (s, _) = call(
        M::PUT,
        &format!("/v1/treatments/{treatment_id}/reminders"),
        Some(&admin_access),
        Some(
            json!({"rules": [{"kind": "log_symptoms", "first_day": 0, "last_day": 14,
            "times": [chrono::Utc::now().format("%H:%M").to_string()]}]}),
        ),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = call(
        M::POST,
        "/v1/auth/logout",
        None,
        Some(json!({"refresh_token": patient_refresh})),
    )
    .await;
    assert_eq!(s, 204);
    // Give the dispatcher a tick or two to try the push (and log the failure).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    drop(server);
    logs.push_str(&captured.lock().unwrap());

    // The capture worked: requests and the push attempt were logged.
    assert!(
        logs.contains("/v1/auth/login"),
        "requests are logged:\n{logs}"
    );
    assert!(logs.contains("push"), "the push path logged:\n{logs}");
    let secrets = [
        ("admin password", admin_password.as_str()),
        ("wrong password", &wrong_password),
        ("clinician password", &clinician_password),
        ("patient password", &patient_password),
        ("admin access token", &admin_access),
        ("first refresh token", &first_refresh),
        ("second refresh token", &second_refresh),
        ("patient access token", &patient_access),
        ("patient refresh token", &patient_refresh),
        ("enrolment code", &code),
        ("enrolment code, normalised", &code.replace('-', "")),
        ("log note", &note),
        ("push key p256dh", P256DH),
        ("push auth secret", AUTH),
        ("push endpoint path", &endpoint_secret),
        ("a value that failed validation", &misplaced),
    ];
    // Tokens are also checked by their signature part alone.
    let signatures: Vec<String> = [&admin_access, &patient_access]
        .iter()
        .map(|t| t.rsplit('.').next().unwrap().to_string())
        .collect();
    let mut leaked: Vec<&str> = secrets
        .iter()
        .filter(|(_, s)| logs.contains(*s))
        .map(|(what, _)| *what)
        .collect();
    if signatures.iter().any(|s| logs.contains(s.as_str())) {
        leaked.push("a token signature");
    }
    println!(
        "log capture ({backend:?}): {} lines, {} secrets checked, leaked: {leaked:?}",
        logs.lines().count(),
        secrets.len() + signatures.len()
    );
    assert!(leaked.is_empty(), "secrets in the logs: {leaked:?}");
}

on_both_backends!(logs_never_contain_secrets);
