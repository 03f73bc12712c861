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

const P256DH: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

/// Push jobs that mention the patient: on their devices, their reminders,
/// or staff alerts about their treatments.
fn push_jobs_about(app: &crate::helpers::TestApp, patient: &str, treatment: &str) -> i64 {
    use aftercare::db::schema::{push_jobs as j, push_subscriptions as s};
    use diesel::prelude::*;
    let mut c = app.db.conn().unwrap();
    let subs: Vec<String> = s::table
        .filter(s::account_id.eq(patient))
        .select(s::id)
        .load(&mut **c)
        .unwrap();
    j::table
        .filter(
            j::treatment_id
                .eq(treatment)
                .or(j::subscription_id.eq_any(subs)),
        )
        .count()
        .get_result(&mut **c)
        .unwrap()
}

/// Finding 8: erasure leaves no push job behind (their payloads name the
/// flag and the treatment), and a token of the erased account used on
/// another process, which may still hold its generation for a few
/// seconds, is 401 on registering a device, not a 500.
async fn erasure_removes_push_jobs_and_late_tokens_are_401(backend: Backend) {
    let insecure = [("AFTERCARE_PUSH_ALLOW_INSECURE", "1")];
    let app = crate::helpers::spawn_app_with(backend, &insecure).await;
    let s = crate::recovery::Scenario::on(app, 0.5, 2).await;
    let tok = s.patient.access_token.clone();
    let other = crate::helpers::spawn_on(s.app.database_url.clone(), &insecure).await;
    for (token, endpoint) in [
        (&s.doc, "http://127.0.0.1:9/push/doc"),
        (&tok, "http://127.0.0.1:9/push/phone"),
    ] {
        let res = s
            .app
            .post(
                "/v1/push/subscriptions",
                Some(token),
                &json!({"endpoint": endpoint, "keys": {"p256dh": P256DH, "auth": AUTH}}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    // An urgent sign alerts the clinic's staff through their push devices.
    let res = s
        .put_log(1, json!({"redness": 5, "swelling": 3, "flaking": 0, "sensitivity": 4, "signs": ["fever"]}))
        .await;
    assert!(res.status().is_success());
    let app = &s.app;
    let (pid, tid) = (s.patient.id.clone(), s.treatment_id().to_string());
    assert!(
        push_jobs_about(app, &pid, &tid) > 0,
        "a staff alert was queued"
    );
    // The other process knows the token's generation now.
    assert_eq!(other.get("/v1/me", Some(&tok)).await.status(), 200);

    let res = app
        .request(reqwest::Method::DELETE, "/v1/me", Some(&tok), None)
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(push_jobs_about(app, &pid, &tid), 0, "no push job is left");
    let res = other
        .post(
            "/v1/push/subscriptions",
            Some(&tok),
            &json!({"endpoint": "http://127.0.0.1:9/push/late", "keys": {"p256dh": P256DH, "auth": AUTH}}),
        )
        .await;
    assert_problem(res, 401).await;
}

on_both_backends!(erasure_removes_push_jobs_and_late_tokens_are_401);
