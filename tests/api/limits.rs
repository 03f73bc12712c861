//! Abuse limits: attempt budgets with 429 + Retry-After, body shape caps,
//! sign-in timing, security headers and who may read /metrics.

use std::time::{Duration, Instant};

use reqwest::Response;
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;

async fn login(app: &TestApp, email: &str, password: &str, forwarded: Option<&str>) -> Response {
    let mut req = app
        .client
        .post(format!("{}/v1/auth/login", app.address))
        .json(&json!({"email": email, "password": password}));
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    req.send().await.unwrap()
}

/// A 429 problem whose Retry-After is a whole number of seconds within the window.
async fn assert_limited(res: Response) {
    let retry: u64 = res
        .headers()
        .get("retry-after")
        .expect("Retry-After on a 429")
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=15 * 60).contains(&retry), "Retry-After {retry}");
    let body = assert_problem(res, 429).await;
    assert_eq!(body["type"], "urn:aftercare:problem:too-many-requests");
}

async fn sign_in_is_limited_per_account(backend: Backend) {
    let app = spawn_app_with(backend, &[("AFTERCARE_AUTH_LIMIT_ACCOUNT", "3")]).await;
    let clinic = app.new_clinic().await; // one attempt, successful
    for _ in 0..2 {
        let res = login(&app, &clinic.admin_email, "wrong password!", None).await;
        assert_problem(res, 401).await;
    }
    // The budget is spent: even the right password waits, and so does any case
    // of the same address.
    let upper = clinic.admin_email.to_uppercase();
    assert_limited(login(&app, &upper, &clinic.admin_password, None).await).await;
    // Unknown accounts are limited alike, so a 429 tells nothing about existence.
    for _ in 0..3 {
        assert_problem(
            login(&app, "nobody@x.example", "guess guess", None).await,
            401,
        )
        .await;
    }
    assert_limited(login(&app, "nobody@x.example", "guess guess", None).await).await;
    // Another account from the same address is unaffected.
    assert_problem(
        login(&app, "someone@x.example", "guess guess", None).await,
        401,
    )
    .await;
}

/// Issue 15, finding 6: a stranger's wrong passwords spend their own
/// (account, address) budget, not the owner's everywhere; an address that
/// signed in before keeps working; spread over many addresses, guesses are
/// still bounded by the account's ceiling.
async fn a_stranger_cannot_lock_the_owner_out(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("AFTERCARE_AUTH_LIMIT_ACCOUNT", "3"),
            ("AFTERCARE_TRUST_PROXY", "1"),
        ],
    )
    .await;
    let clinic = app.new_clinic().await; // one attempt, from the loopback peer
    let (email, password) = (&clinic.admin_email, &clinic.admin_password);
    let home = Some("198.51.100.1");
    assert_eq!(login(&app, email, password, home).await.status(), 200);
    let stranger = Some("203.0.113.9");
    for _ in 0..3 {
        assert_problem(login(&app, email, "wrong password!", stranger).await, 401).await;
    }
    assert_limited(login(&app, email, "wrong password!", stranger).await).await;
    // The owner, from a new address and from home: not locked out.
    let res = login(&app, email, password, Some("198.51.100.2")).await;
    assert_eq!(res.status(), 200);
    // Guesses from ever new addresses: bounded by the ceiling (3 × 10 in all).
    let mut wrong = 3;
    let mut limited = false;
    for i in 10..40 {
        let addr = format!("203.0.113.{i}");
        for _ in 0..3 {
            let res = login(&app, email, "wrong password!", Some(&addr)).await;
            if res.status() == 429 {
                limited = true;
                break;
            }
            assert_problem(res, 401).await;
            wrong += 1;
        }
        if limited {
            break;
        }
    }
    assert!(limited, "the account's ceiling stops a spread brute force");
    assert!(wrong <= 30, "{wrong} wrong passwords tried");
    assert_limited(login(&app, email, password, Some("198.51.100.3")).await).await;
    // A device that signed in before keeps its own budget.
    assert_eq!(login(&app, email, password, home).await.status(), 200);
}

/// Issue 15, finding 1: a client that declares a body and sends only part
/// of it is answered 408 problem+json once the body deadline passes, and the
/// connection is closed; twenty at once are all cut off.
async fn slow_bodies_are_cut_off(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(backend, &[("AFTERCARE_BODY_DEADLINE_SECS", "1")]).await;
    let host = app.address.trim_start_matches("http://").to_string();
    let slow = |host: String| async move {
        let mut conn = tokio::net::TcpStream::connect(&host).await.unwrap();
        let head = format!(
            "POST /v1/auth/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{{\"email\": \""
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        conn.write_all(&[b'a'; 2000]).await.unwrap();
        let started = Instant::now();
        let mut answer = Vec::new();
        // Read to the end: the server must close the connection.
        tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut answer))
            .await
            .expect("the server closes a slow connection")
            .unwrap();
        (
            String::from_utf8_lossy(&answer).to_string(),
            started.elapsed(),
        )
    };
    let tasks: Vec<_> = (0..20).map(|_| tokio::spawn(slow(host.clone()))).collect();
    for task in tasks {
        let (answer, took) = task.await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
        assert!(answer.contains("request-timeout"), "{answer}");
        assert!(took < Duration::from_secs(10), "{took:?}");
    }
    // A body sent in time is unaffected.
    assert_problem(
        login(&app, "a@b.example", "wrong password", None).await,
        401,
    )
    .await;
}

async fn sign_in_is_limited_per_address(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("AFTERCARE_AUTH_LIMIT_ADDRESS", "4"),
            ("AFTERCARE_TRUST_PROXY", "1"),
        ],
    )
    .await;
    for i in 0..4 {
        let res = login(&app, &format!("u{i}@x.example"), "guess guess", None).await;
        assert_problem(res, 401).await;
    }
    assert_limited(login(&app, "u9@x.example", "guess guess", None).await).await;
    // Behind a trusted proxy the client is the address the proxy appended last;
    // what the client itself put earlier in the header does not count.
    let res = login(&app, "u9@x.example", "guess guess", Some("198.51.100.7")).await;
    assert_problem(res, 401).await;
    for _ in 0..3 {
        let spoofed = "127.0.0.1, 198.51.100.7";
        assert_problem(
            login(&app, "u9@x.example", "guess guess", Some(spoofed)).await,
            401,
        )
        .await;
    }
    assert_limited(
        login(
            &app,
            "u8@x.example",
            "guess",
            Some("203.0.113.1, 198.51.100.7"),
        )
        .await,
    )
    .await;
}

async fn forwarded_addresses_are_ignored_without_a_trusted_proxy(backend: Backend) {
    let app = spawn_app_with(backend, &[("AFTERCARE_AUTH_LIMIT_ADDRESS", "2")]).await;
    for i in 0..2 {
        let res = login(
            &app,
            &format!("u{i}@x.example"),
            "pw",
            Some(&format!("192.0.2.{i}")),
        )
        .await;
        assert_problem(res, 401).await;
    }
    assert_limited(login(&app, "u3@x.example", "pw", Some("192.0.2.3")).await).await;
}

async fn enrolment_guessing_is_limited(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("AFTERCARE_AUTH_LIMIT_ACCOUNT", "2"),
            ("AFTERCARE_AUTH_LIMIT_ADDRESS", "6"),
        ],
    )
    .await;
    let enrol = |code: String| {
        let app = &app;
        async move {
            app.post(
                "/v1/auth/enrol",
                None,
                &json!({"code": code, "password": "patient password 1"}),
            )
            .await
        }
    };
    // One code tried again and again: its own budget runs out, whatever its spelling.
    assert_problem(enrol("AAAA-BBBB-CCCC".into()).await, 401).await;
    assert_problem(enrol("aaaabbbbcccc".into()).await, 401).await;
    assert_limited(enrol("aaaa bbbb cccc".into()).await).await;
    // Many codes from one address: the address's budget runs out.
    for i in 0..3 {
        assert_problem(enrol(format!("AAAA-BBBB-CCC{i}")).await, 401).await;
    }
    assert_limited(enrol("AAAA-BBBB-CCC9".into()).await).await;
}

async fn body_shapes_are_capped(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let send = |body: String| {
        let app = &app;
        let token = clinic.admin_token.clone();
        async move {
            app.client
                .post(format!("{}/v1/patients", app.address))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let deep = format!(r#"{{"name":{}1{}}}"#, "[".repeat(40), "]".repeat(40));
    let body = assert_problem(send(deep).await, 422).await;
    assert_eq!(body["errors"][0]["field"], "body");
    assert!(body["detail"].as_str().unwrap().contains("32 levels"));

    let long = json!({"name": "x".repeat(5000), "email": "a@b.example", "timezone": "UTC", "fitzpatrick": 2});
    let body = assert_problem(send(long.to_string()).await, 422).await;
    assert_eq!(body["errors"][0]["field"], "name");

    let res = app
        .get("/v1/patients?limit=201", Some(&clinic.admin_token))
        .await;
    let body = assert_problem(res, 422).await;
    assert_eq!(body["errors"][0]["field"], "limit");
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Sign-in must not reveal which emails exist through its timing: a dummy
/// hash is verified for unknown ones. The factor is generous because the
/// machine is shared; without the dummy hash it would be well over 10.
async fn sign_in_timing_does_not_reveal_accounts(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("AFTERCARE_AUTH_LIMIT_ACCOUNT", "1000"),
            ("AFTERCARE_AUTH_LIMIT_ADDRESS", "1000"),
        ],
    )
    .await;
    let clinic = app.new_clinic().await;
    // Warm both paths (the dummy hash is made on first use).
    login(&app, "warm@x.example", "wrong password", None).await;
    login(&app, &clinic.admin_email, "wrong password", None).await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..20 {
        // Interleaved, so load from elsewhere hits both alike.
        let started = Instant::now();
        let res = login(&app, &clinic.admin_email, "wrong password", None).await;
        known.push(started.elapsed());
        assert_eq!(res.status(), 401);
        let started = Instant::now();
        let res = login(
            &app,
            &format!("nobody{i}@x.example"),
            "wrong password",
            None,
        )
        .await;
        unknown.push(started.elapsed());
        assert_eq!(res.status(), 401);
    }
    let (k, u) = (median(known), median(unknown));
    let ratio = k.as_secs_f64().max(u.as_secs_f64()) / k.as_secs_f64().min(u.as_secs_f64());
    println!("sign-in timing: known {k:?}, unknown {u:?}, ratio {ratio:.2}");
    assert!(ratio < 3.0, "known {k:?} vs unknown {u:?}");
}

async fn security_headers_are_set(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/healthz", "/v1/nothing-here"] {
        let res = app.get(path, None).await;
        let h = res.headers();
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("cache-control", "no-store"),
            ("referrer-policy", "no-referrer"),
            ("x-frame-options", "DENY"),
            (
                "content-security-policy",
                "default-src 'none'; frame-ancestors 'none'",
            ),
            ("cross-origin-resource-policy", "same-origin"),
        ] {
            assert_eq!(
                h.get(name).map(|v| v.to_str().unwrap()),
                Some(value),
                "{path}: {name}"
            );
        }
        assert!(h.get("x-request-id").is_some());
        assert!(h.get("server").is_none(), "no server banner");
        // Plain http, and no trusted proxy to say otherwise: no HSTS.
        assert!(h.get("strict-transport-security").is_none());
    }
    // A client cannot ask for HSTS itself when no proxy is trusted.
    let res = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("strict-transport-security").is_none());

    let behind_proxy = spawn_app_with(backend, &[("AFTERCARE_TRUST_PROXY", "1")]).await;
    let get = |proto: &'static str| {
        let app = &behind_proxy;
        async move {
            app.client
                .get(format!("{}/healthz", app.address))
                .header("x-forwarded-proto", proto)
                .send()
                .await
                .unwrap()
        }
    };
    let res = get("https").await;
    let hsts = res.headers().get("strict-transport-security").unwrap();
    assert!(hsts.to_str().unwrap().starts_with("max-age=63072000"));
    assert!(get("http")
        .await
        .headers()
        .get("strict-transport-security")
        .is_none());
}

async fn metrics(app: &TestApp, token: Option<&str>, forwarded: bool) -> Response {
    let mut req = app.client.get(format!("{}/metrics", app.address));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if forwarded {
        req = req.header("x-forwarded-for", "203.0.113.9");
    }
    req.send().await.unwrap()
}

async fn metrics_count_routes_by_pattern(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let secret_id = "f00dfeed-0000-4000-8000-00000000beef";
    let res = app
        .get(
            &format!("/v1/treatments/{secret_id}"),
            Some(&clinic.admin_token),
        )
        .await;
    assert_eq!(res.status(), 404);
    app.get("/v1/no/such/path", None).await;
    spend_a_login_budget(&app).await;

    let res = metrics(&app, None, false).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = res.text().await.unwrap();
    for needle in [
        r#"aftercare_http_requests_total{route="/v1/treatments/{id}",method="GET",status="404"} 1"#,
        r#"aftercare_http_requests_total{route="/v1/auth/login",method="POST",status="200"} 1"#,
        r#"aftercare_http_requests_total{route="unmatched",method="GET",status="404"} 1"#,
        r#"aftercare_http_request_duration_seconds_count{route="/v1/auth/login",method="POST",status="200"} 1"#,
        "aftercare_db_pool_max_connections 4",
        "aftercare_db_pool_connections ",
        "aftercare_push_outbox_pending 0",
        "aftercare_database_up 1",
        r#"aftercare_push_outcomes_total{outcome="sent",provider="webpush"} "#,
        r#"aftercare_push_outcomes_total{outcome="sent",provider="fcm"} "#,
        r#"aftercare_push_outcomes_total{outcome="sent",provider="apns"} "#,
        r#"aftercare_auth_rate_limited_total{endpoint="login",budget="account"} "#,
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    assert!(
        !text.contains(secret_id),
        "raw paths must not become labels"
    );
    assert!(!text.contains("/v1/no/such/path"));

    // Relayed through a proxy (even one on this host): refused without a token.
    assert_problem(metrics(&app, None, true).await, 403).await;
}

/// Exhausts one account's sign-in budget so the rate-limit counter has a value.
async fn spend_a_login_budget(app: &TestApp) {
    for _ in 0..11 {
        login(app, "metrics@x.example", "wrong password", None).await;
    }
}

async fn metrics_token_is_required_when_set(backend: Backend) {
    let token = "a-metrics-token-of-some-length";
    let app = spawn_app_with(backend, &[("AFTERCARE_METRICS_TOKEN", token)]).await;
    let clinic = app.new_clinic().await;
    assert_problem(metrics(&app, None, false).await, 401).await;
    assert_problem(
        metrics(&app, Some("a-metrics-token-of-some-lengtH"), false).await,
        401,
    )
    .await;
    // An API access token is not a metrics token.
    assert_problem(metrics(&app, Some(&clinic.admin_token), false).await, 401).await;
    let res = metrics(&app, Some(token), true).await;
    assert_eq!(res.status(), 200);
    let text: String = res.text().await.unwrap();
    assert!(text.contains("aftercare_http_requests_total"));
}

/// A connection from `source` (a loopback address) to the app, idle.
async fn idle_connection(app: &TestApp, source: &str) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    let target = app.address.trim_start_matches("http://").parse().unwrap();
    socket.connect(target).await.unwrap()
}

/// A fresh client whose connections come from `source`.
fn client_from(source: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(source.parse::<std::net::IpAddr>().unwrap())
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Issue 15, finding 1: open connections are capped per client address and
/// overall; a request on a connection over a cap is 503 problem+json and
/// that connection is closed; once connections close, their slots are free.
async fn connections_are_capped_per_address_and_overall(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("AFTERCARE_MAX_CONNECTIONS_PER_ADDRESS", "4"),
            ("AFTERCARE_MAX_CONNECTIONS", "6"),
        ],
    )
    .await;
    let healthz = |client: reqwest::Client| {
        let url = format!("{}/healthz", app.address);
        async move { client.get(url).send().await.unwrap() }
    };
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(idle_connection(&app, "127.0.0.1").await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let res = healthz(client_from("127.0.0.1")).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    let p = assert_problem(res, 503).await;
    assert_eq!(p["type"], "urn:aftercare:problem:too-many-connections");
    // Another address has its own cap ...
    assert_eq!(healthz(client_from("127.0.0.2")).await.status(), 200);
    // ... under the overall one: 4 + 2 held, the seventh is refused.
    held.push(idle_connection(&app, "127.0.0.2").await);
    held.push(idle_connection(&app, "127.0.0.2").await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(healthz(client_from("127.0.0.3")).await.status(), 503);

    drop(held);
    let mut ok = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if healthz(client_from("127.0.0.1")).await.status() == 200 {
            ok = true;
            break;
        }
    }
    assert!(ok, "closed connections give their slots back");
}

on_both_backends!(
    connections_are_capped_per_address_and_overall,
    slow_bodies_are_cut_off,
    a_stranger_cannot_lock_the_owner_out,
    sign_in_is_limited_per_account,
    sign_in_is_limited_per_address,
    forwarded_addresses_are_ignored_without_a_trusted_proxy,
    enrolment_guessing_is_limited,
    body_shapes_are_capped,
    sign_in_timing_does_not_reveal_accounts,
    security_headers_are_set,
    metrics_count_routes_by_pattern,
    metrics_token_is_required_when_set,
);
