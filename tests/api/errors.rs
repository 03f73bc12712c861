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
