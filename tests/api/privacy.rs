//! A patient's own data: export and erasure.

use serde_json::{json, Value};

use crate::helpers::{assert_problem, Backend};
use crate::on_both_backends;
use crate::recovery::Scenario;

async fn patients_export_and_erase_their_data(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 2).await;
    let tok = s.patient.access_token.clone();
    s.put_log(1, json!({"redness": 5, "swelling": 3, "flaking": 0, "sensitivity": 4, "note": "a private note", "signs": ["fever"]})).await;

    let res = s.app.get("/v1/me/export", Some(&tok)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let export = crate::helpers::export_json(res).await;
    assert_eq!(export["patient"]["id"], s.patient.id.as_str());
    assert_eq!(export["treatments"][0]["logs"][0]["note"], "a private note");
    assert_eq!(
        export["treatments"][0]["flags"][0]["reason"],
        "infection_signs"
    );
    assert!(
        export["treatments"][0]["flags"][0].get("events").is_none(),
        "no clinician notes"
    );
    assert_problem(s.app.get("/v1/me/export", Some(&s.doc)).await, 403).await;

    let res = s
        .app
        .request(reqwest::Method::DELETE, "/v1/me", Some(&tok), None)
        .await;
    assert_eq!(res.status(), 204);
    // Gone for the clinic too, and the token no longer works on their data.
    assert_problem(
        s.app
            .get(&format!("/v1/patients/{}", s.patient.id), Some(&s.doc))
            .await,
        404,
    )
    .await;
    assert_problem(
        s.app
            .get(
                &format!("/v1/treatments/{}", s.treatment_id()),
                Some(&s.doc),
            )
            .await,
        404,
    )
    .await;
    assert!(s.queue(&s.doc).await.is_empty(), "their flags are gone");
    assert_problem(s.app.get("/v1/me", Some(&tok)).await, 401).await;
    let login = s
        .app
        .post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": s.patient.refresh_token}),
        )
        .await;
    assert_problem(login, 401).await;
    // The audit trail stays, with ids and actions only.
    let audit: Value = s
        .app
        .get("/v1/audit", Some(&s.admin))
        .await
        .json()
        .await
        .unwrap();
    assert!(audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "patient.erased"));
    assert!(!audit.to_string().contains("a private note"));
}

on_both_backends!(patients_export_and_erase_their_data);
