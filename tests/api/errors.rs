use serde_json::json;

use crate::helpers::{assert_problem, spawn_app, Backend};
use crate::on_both_backends;

async fn bad_requests_get_clear_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    let url = format!("{}/v1/auth/login", app.address);

    let res = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400).await;

    let res = app
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415).await;

    let big = format!(
        r#"{{"email":"a@b.example","password":"{}"}}"#,
        "x".repeat(70 * 1024)
    );
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_problem(res, 413).await;

    let res = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": "a@b.example", "password": "x", "admin": true}),
        )
        .await;
    let body = assert_problem(res, 422).await;
    assert!(body["detail"].as_str().unwrap().contains("admin"));

    let res = app
        .post("/v1/auth/login", None, &json!({"email": "a@b.example"}))
        .await;
    let body = assert_problem(res, 422).await;
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("password"));

    let res = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": 5, "password": "x"}),
        )
        .await;
    let body = assert_problem(res, 422).await;
    assert_eq!(body["errors"][0]["field"], "email");

    assert_problem(app.get("/v1/nothing-here", None).await, 404).await;
    let res = app
        .request(reqwest::Method::DELETE, "/v1/auth/login", None, None)
        .await;
    assert_eq!(res.headers().get("allow").unwrap(), "POST");
    assert_problem(res, 405).await;

    let res = app.get("/v1/patients?limit=abc", None).await;
    assert!(res.status().is_client_error());
}

on_both_backends!(bad_requests_get_clear_problems);

/// Small contract details an app team trips over: a missing field is named,
/// enum codes are exact, an optional body may be left out, and expected
/// scores carry one decimal without float noise.
async fn contract_details_hold(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let staff = clinic.admin_token.as_str();

    let res = app
        .post(
            "/v1/patients",
            Some(staff),
            &json!({"name": "Ana", "email": "ana@mail.example", "timezone": "Europe/Istanbul"}),
        )
        .await;
    let body = assert_problem(res, 422).await;
    assert_eq!(body["errors"][0]["field"], "fitzpatrick", "{body}");

    let patient = app.enrolled_patient(staff, "Europe/Istanbul", 3).await;
    let res = app
        .post(
            &format!("/v1/patients/{}/treatments", patient.id),
            Some(staff),
            &json!({"performed_at": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339(),
                    "area": "face", "depth_mm": 0.5, "session_number": 1}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let treatment: serde_json::Value = res.json().await.unwrap();
    let tid = treatment["id"].as_str().unwrap();
    let day0 = treatment["day0"].as_str().unwrap();

    let log = |sign: &str| json!({"redness": 3, "swelling": 2, "flaking": 0, "sensitivity": 2, "signs": [sign]});
    let path = format!("/v1/treatments/{tid}/logs/{day0}");
    let res = app
        .put(&path, Some(&patient.access_token), &log("Fever"))
        .await;
    let body = assert_problem(res, 422).await;
    assert!(body.to_string().contains("fever"), "{body}");
    let res = app
        .get(
            &format!("/v1/treatments/{tid}/logs"),
            Some(&patient.access_token),
        )
        .await;
    assert_eq!(res.status(), 200);
    let logs: serde_json::Value = res.json().await.unwrap();
    assert!(
        !logs.to_string().contains(day0),
        "a refused log is not stored: {logs}"
    );

    let res = app
        .put(&path, Some(&patient.access_token), &log("fever"))
        .await;
    assert_eq!(res.status(), 201);
    let res = app.get("/v1/flags", Some(staff)).await;
    assert_eq!(res.status(), 200);
    let flags: serde_json::Value = res.json().await.unwrap();
    let flag_id = flags["items"][0]["id"]
        .as_str()
        .expect("an urgent flag")
        .to_owned();
    // No body at all: acknowledging takes an optional note.
    let res = app
        .request(
            reqwest::Method::POST,
            &format!("/v1/flags/{flag_id}/acknowledge"),
            Some(staff),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let flag: serde_json::Value = res.json().await.unwrap();
    assert_eq!(flag["status"], "acknowledged");

    // Expected scores: one decimal at most, everywhere they are shown.
    let res = app
        .get(
            &format!("/v1/treatments/{tid}/timeline"),
            Some(&patient.access_token),
        )
        .await;
    assert_eq!(res.status(), 200);
    let timeline = res.text().await.unwrap();
    let noisy = float_noise(&timeline);
    assert!(noisy.is_empty(), "float noise in the timeline: {noisy:?}");
    let res = app
        .get("/v1/sync?last_pulled_at=null", Some(&patient.access_token))
        .await;
    assert_eq!(res.status(), 200);
    let pull = res.text().await.unwrap();
    let noisy = float_noise(&pull);
    assert!(noisy.is_empty(), "float noise in a sync pull: {noisy:?}");
}

/// Numbers in a JSON text with more than three decimals.
fn float_noise(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Number(n) if n.is_f64() => {
                let s = n.to_string();
                if s.split('.').nth(1).is_some_and(|d| d.len() > 3) {
                    out.push(s);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(&v, &mut out);
    out
}

on_both_backends!(contract_details_hold);
