//! Accounts come and go: token generations, staff lifecycle, password change.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, Backend};
use crate::on_both_backends;
use crate::recovery::Scenario;

/// Every bearer route a patient can call, with a body where one is needed.
fn patient_routes(treatment: &str) -> Vec<(Method, String, Option<Value>)> {
    let t = treatment;
    vec![
        (Method::GET, "/v1/me".into(), None),
        (Method::GET, "/v1/me/export".into(), None),
        (Method::GET, "/v1/me/treatments".into(), None),
        (Method::GET, "/v1/me/preferences".into(), None),
        (Method::GET, format!("/v1/treatments/{t}"), None),
        (Method::GET, format!("/v1/treatments/{t}/timeline"), None),
        (Method::GET, format!("/v1/treatments/{t}/care"), None),
        (Method::GET, format!("/v1/treatments/{t}/logs"), None),
        (Method::GET, format!("/v1/treatments/{t}/reminders"), None),
        (Method::GET, "/v1/sync?last_pulled_at=null".into(), None),
        (Method::DELETE, "/v1/me".into(), None),
        (
            Method::PATCH,
            "/v1/me/preferences".into(),
            Some(json!({"quiet_hours": null})),
        ),
    ]
}

async fn an_erased_patients_token_is_401_on_every_route(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 2).await;
    let tok = s.patient.access_token.clone();
    let t = s.treatment_id().to_string();
    let res = s.app.get(&format!("/v1/treatments/{t}"), Some(&tok)).await;
    assert_eq!(res.status(), 200);
    let res = s
        .app
        .request(Method::DELETE, "/v1/me", Some(&tok), None)
        .await;
    assert_eq!(res.status(), 204);
    for (method, path, body) in patient_routes(&t) {
        let res = s
            .app
            .request(method.clone(), &path, Some(&tok), body.as_ref())
            .await;
        eprintln!("{method} {path}");
        assert_problem(res, 401).await;
    }
}

on_both_backends!(an_erased_patients_token_is_401_on_every_route);
