use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;

async fn health_and_readiness(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.get("/healthz", None).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    let res = app.get("/readyz", None).await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected);
}

on_both_backends!(health_and_readiness);
