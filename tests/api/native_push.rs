//! Native app devices end to end: registration, and reminders through the
//! outbox and dispatcher to a loopback FCM (OAuth assertion verified with the
//! service account's public key) and a loopback APNs (TLS + HTTP/2, ES256
//! provider token verified).

use std::time::Duration;

use chrono::Utc;
use reqwest::Method;
use serde_json::{json, Value};

use crate::apns_service::{ApnsAnswer, TestApns};
use crate::fcm_service::{FcmAnswer, TestFcm};
use crate::helpers::{assert_problem, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;
use crate::recovery::{add_treatment, Scenario};
use crate::reminders::{mute_reminders, remind_now, PUSH_ENV};

fn fcm_token() -> String {
    format!(
        "d{}:APA91b{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn apns_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

async fn app_with(backend: Backend, extra: &[(&'static str, String)]) -> TestApp {
    let mut env: Vec<(&str, &str)> = PUSH_ENV.to_vec();
    env.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
    spawn_app_with(backend, &env).await
}

async fn register(app: &TestApp, token: &str, body: Value) -> String {
    let res = app.post("/v1/push/devices", Some(token), &body).await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn deliveries(app: &TestApp, doc: &str, treatment: &str) -> Vec<Value> {
    let res = app
        .get(&format!("/v1/treatments/{treatment}/deliveries"), Some(doc))
        .await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// Polls until `n` deliveries are finished (not pending).
async fn finished(app: &TestApp, doc: &str, treatment: &str, n: usize) -> Vec<Value> {
    for _ in 0..120 {
        let items = deliveries(app, doc, treatment).await;
        if items.iter().filter(|d| d["status"] != "pending").count() >= n {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("deliveries: {:?}", deliveries(app, doc, treatment).await);
}

async fn device_count(app: &TestApp, account: &str) -> usize {
    let account = account.to_string();
    app.db
        .read(move |c| {
            let subs = aftercare::store::push::subscriptions_of(c, &account)?;
            Ok::<_, aftercare::app::AppError>(subs.len())
        })
        .await
        .unwrap()
}

async fn devices_are_registered_validated_moved_and_removed(backend: Backend) {
    let s = Scenario::on(app_with(backend, &[]).await, 0.5, 1).await;
    let app = &s.app;
    // Nothing from the default plan reaches the devices registered below.
    mute_reminders(app, &s.patient.access_token).await;
    let me = &s.patient.access_token;
    let token = fcm_token();
    let fcm = json!({"platform": "fcm", "token": token, "app_id": "com.clinic.aftercare", "locale": "tr"});
    let id = register(app, me, fcm.clone()).await;
    // Registering again is idempotent.
    assert_eq!(register(app, me, fcm.clone()).await, id);
    assert_eq!(device_count(app, &s.patient.id).await, 1);

    // The phone is handed to another patient: the token moves.
    let other = app.enrolled_patient(&s.doc, "UTC", 1).await;
    assert_eq!(register(app, &other.access_token, fcm.clone()).await, id);
    assert_eq!(device_count(app, &s.patient.id).await, 0);
    assert_eq!(device_count(app, &other.id).await, 1);
    // The previous owner can no longer remove it; the new one can.
    let path = format!("/v1/push/devices/{id}");
    assert_problem(
        app.request(Method::DELETE, &path, Some(me), None).await,
        404,
    )
    .await;
    let res = app
        .request(Method::DELETE, &path, Some(&other.access_token), None)
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(device_count(app, &other.id).await, 0);
    assert_problem(
        app.request(Method::DELETE, &path, Some(&other.access_token), None)
            .await,
        404,
    )
    .await;

    // Staff register devices too (for flag alerts).
    let apns = json!({"platform": "apns", "token": apns_token().to_uppercase(), "app_id": "com.clinic.console", "environment": "sandbox"});
    register(app, &s.doc, apns).await;

    // Bad input: 4xx problem+json, nothing stored.
    let bad = [
        json!({"platform": "gcm", "token": "x", "app_id": "a"}),
        json!({"platform": "fcm", "token": "has space", "app_id": "a"}),
        json!({"platform": "fcm", "token": "a".repeat(4097), "app_id": "a"}),
        json!({"platform": "fcm", "token": "abc", "app_id": "a", "environment": "sandbox"}),
        json!({"platform": "fcm", "token": "abc", "app_id": "com/evil"}),
        json!({"platform": "fcm", "token": "abc", "app_id": "a", "locale": "tr_TR"}),
        json!({"platform": "apns", "token": "ab".repeat(32), "app_id": "a"}),
        json!({"platform": "apns", "token": "zz".repeat(32), "app_id": "a", "environment": "production"}),
        json!({"platform": "apns", "token": "ab".repeat(20), "app_id": "a", "environment": "production"}),
        json!({"platform": "apns", "token": "ab".repeat(32), "app_id": "a", "environment": "staging"}),
    ];
    for body in bad {
        let res = app.post("/v1/push/devices", Some(me), &body).await;
        let problem = assert_problem(res, 422).await;
        assert!(problem["errors"].is_array(), "{problem}");
    }
    let res = app
        .post(
            "/v1/push/devices",
            Some(me),
            &json!({"platform": "fcm", "token": "abc", "app_id": "a", "extra": 1}),
        )
        .await;
    assert!(res.status().is_client_error());
    assert_problem(
        app.post(
            "/v1/push/devices",
            None,
            &json!({"platform": "fcm", "token": "abc", "app_id": "a"}),
        )
        .await,
        401,
    )
    .await;
    assert_eq!(device_count(app, &s.patient.id).await, 0);

    // With FCM unconfigured, a due reminder to an FCM device fails clearly.
    register(
        app,
        me,
        json!({"platform": "fcm", "token": fcm_token(), "app_id": "a"}),
    )
    .await;
    remind_now(app, me).await;
    let items = finished(app, &s.doc, s.treatment_id(), 1).await;
    assert_eq!(items[0]["channel"], "fcm");
    assert_eq!(items[0]["status"], "failed");
    assert!(
        items[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("AFTERCARE_FCM_CREDENTIALS"),
        "{items:?}"
    );
}

async fn reminders_reach_fcm_generic_then_detailed(backend: Backend) {
    let fcm = TestFcm::start().await;
    let s = Scenario::on(app_with(backend, &fcm.env()).await, 0.5, 1).await;
    let app = &s.app;
    // Nothing from the default plan reaches the devices registered below.
    mute_reminders(app, &s.patient.access_token).await;
    let token = fcm_token();
    register(
        app,
        &s.patient.access_token,
        json!({"platform": "fcm", "token": token, "app_id": "com.clinic.aftercare", "locale": "tr"}),
    )
    .await;
    remind_now(app, &s.patient.access_token).await;
    let got = fcm.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(got.len(), 1, "failures: {:?}", fcm.failures());
    let m = &got[0].message;
    assert_eq!(got[0].token, token);
    // generic (the default): Google sees no reminder text, and the phone
    // shows the neutral words in its language (`tr`).
    assert_eq!(
        m["notification"],
        json!({"title": "İşlem sonrası bakım", "body": "Bakımınızla ilgili bir hatırlatmanız var."})
    );
    assert!(!m.to_string().contains("redness"), "{m}");
    let android = &m["android"];
    assert_eq!(android["collapse_key"], "log-symptoms");
    assert_eq!(
        android["notification"]["body_loc_key"],
        "reminder-log_symptoms-body"
    );
    assert_eq!(
        android["notification"]["title_loc_key"],
        "reminder-log_symptoms-title"
    );
    assert_eq!(android["notification"]["body_loc_args"], json!(["1"]));
    let ttl: u64 = android["ttl"]
        .as_str()
        .unwrap()
        .strip_suffix('s')
        .unwrap()
        .parse()
        .unwrap();
    assert!(ttl > 0 && ttl <= 4 * 3600, "ttl {ttl}");
    assert_eq!(m["data"]["kind"], "log_symptoms");
    assert_eq!(m["data"]["day"], "1");
    assert_eq!(m["data"]["treatment_id"], s.treatment_id());
    let items = finished(app, &s.doc, s.treatment_id(), 1).await;
    assert_eq!(
        (items[0]["channel"].clone(), items[0]["status"].clone()),
        (json!("fcm"), json!("sent"))
    );
    assert_eq!(items[0]["last_status"], 200);

    // The clinic allows detailed payloads: the next reminder carries its text.
    let res = app
        .request(
            Method::PATCH,
            "/v1/clinic",
            Some(&s.admin),
            Some(&json!({"push_privacy": "detailed"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["push_privacy"],
        "detailed"
    );
    let clinic: Value = app
        .get("/v1/clinic", Some(&s.doc))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(clinic["push_privacy"], "detailed");
    assert_problem(
        app.request(
            Method::PATCH,
            "/v1/clinic",
            Some(&s.admin),
            Some(&json!({"push_privacy": "loud"})),
        )
        .await,
        422,
    )
    .await;
    let second = app.enrolled_patient(&s.doc, "Europe/Berlin", 2).await;
    add_treatment(app, &s.doc, &second.id, 0.5, 1).await;
    mute_reminders(app, &second.access_token).await;
    let token2 = fcm_token();
    register(
        app,
        &second.access_token,
        json!({"platform": "fcm", "token": token2, "app_id": "com.clinic.aftercare"}),
    )
    .await;
    remind_now(app, &second.access_token).await;
    let got = fcm.wait_for(2, Duration::from_secs(30)).await;
    assert_eq!(got.len(), 2, "failures: {:?}", fcm.failures());
    let m = &got.iter().find(|g| g.token == token2).unwrap().message;
    assert_eq!(m["notification"]["title"], "How is your skin today?");
    assert!(
        m["notification"]["body"]
            .as_str()
            .unwrap()
            .contains("redness"),
        "{m}"
    );
    assert_eq!(
        m["android"]["notification"]["body_loc_key"],
        "reminder-log_symptoms-body"
    );
    // One access token served both sends.
    assert_eq!(fcm.token_requests(), 1);
    assert!(fcm.failures().is_empty(), "{:?}", fcm.failures());
}

async fn reminders_reach_apns_with_its_headers(backend: Backend) {
    let apns = TestApns::start().await;
    let s = Scenario::on(app_with(backend, &apns.env()).await, 0.5, 1).await;
    let app = &s.app;
    // Nothing from the default plan reaches the devices registered below.
    mute_reminders(app, &s.patient.access_token).await;
    let (production, sandbox) = (apns_token(), apns_token());
    for (token, env) in [(&production, "production"), (&sandbox, "sandbox")] {
        register(
            app,
            &s.patient.access_token,
            json!({"platform": "apns", "token": token, "app_id": "com.clinic.aftercare", "environment": env, "locale": "tr"}),
        )
        .await;
    }
    remind_now(app, &s.patient.access_token).await;
    let got = apns.wait_for(2, Duration::from_secs(30)).await;
    assert_eq!(got.len(), 2, "failures: {:?}", apns.failures());
    let now = Utc::now().timestamp();
    for n in &got {
        let expected_host = if n.device == production {
            "127.0.0.1"
        } else {
            "localhost"
        };
        assert!(
            n.authority.starts_with(expected_host),
            "{} → {}",
            n.device,
            n.authority
        );
        assert_eq!(n.headers["apns-push-type"], "alert");
        assert_eq!(n.headers["apns-topic"], apns.topic());
        assert_eq!(n.headers["apns-collapse-id"], "log-symptoms");
        assert_eq!(n.headers["apns-priority"], "5");
        let expires: i64 = n.headers["apns-expiration"].parse().unwrap();
        assert!(
            expires > now && expires <= now + 4 * 3600,
            "expiration {expires}"
        );
        let alert = &n.body["aps"]["alert"];
        // The device said `tr`: Apple sees the generic text in Turkish.
        assert_eq!(alert["title"], "İşlem sonrası bakım");
        assert_eq!(alert["body"], "Bakımınızla ilgili bir hatırlatmanız var.");
        assert_eq!(alert["loc-key"], "reminder-log_symptoms-body");
        assert_eq!(alert["title-loc-key"], "reminder-log_symptoms-title");
        assert_eq!(alert["loc-args"], json!(["1"]));
        assert_eq!(n.body["kind"], "log_symptoms");
        assert_eq!(n.body["day"], "1");
    }
    // One provider token for both (it is reused for 40 minutes).
    assert_eq!(got[0].provider_token, got[1].provider_token);
    let items = finished(app, &s.doc, s.treatment_id(), 2).await;
    assert!(
        items
            .iter()
            .all(|d| d["channel"] == "apns" && d["status"] == "sent"),
        "{items:?}"
    );
    assert!(apns.failures().is_empty(), "{:?}", apns.failures());
}

async fn unregistered_tokens_are_removed(backend: Backend) {
    let (fcm, apns) = (TestFcm::start().await, TestApns::start().await);
    let mut env = fcm.env();
    env.extend(apns.env());
    let s = Scenario::on(app_with(backend, &env).await, 0.5, 1).await;
    let app = &s.app;
    // Nothing from the default plan reaches the devices registered below.
    mute_reminders(app, &s.patient.access_token).await;
    let me = &s.patient.access_token;
    let (f, a410, a400) = (fcm_token(), apns_token(), apns_token());
    fcm.respond_with(&f, vec![FcmAnswer::Unregistered]);
    apns.respond_with(&a410, vec![ApnsAnswer::Unregistered]);
    apns.respond_with(&a400, vec![ApnsAnswer::BadDeviceToken]);
    let mut ids = vec![
        register(
            app,
            me,
            json!({"platform": "fcm", "token": f, "app_id": "a"}),
        )
        .await,
    ];
    for t in [&a410, &a400] {
        ids.push(
            register(
                app,
                me,
                json!({"platform": "apns", "token": t, "app_id": "a", "environment": "production"}),
            )
            .await,
        );
    }
    remind_now(app, me).await;
    let items = finished(app, &s.doc, s.treatment_id(), 3).await;
    assert!(items.iter().all(|d| d["status"] == "gone"), "{items:?}");
    assert_eq!(device_count(app, &s.patient.id).await, 0);
    for id in ids {
        let res = app
            .request(
                Method::DELETE,
                &format!("/v1/push/devices/{id}"),
                Some(me),
                None,
            )
            .await;
        assert_problem(res, 404).await;
    }
    assert!(fcm.messages().is_empty() && apns.accepted().is_empty());
    assert!(fcm.failures().is_empty(), "{:?}", fcm.failures());
    assert!(apns.failures().is_empty(), "{:?}", apns.failures());
    // The metrics count them by provider.
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    for provider in ["fcm", "apns"] {
        let line = format!(
            "aftercare_push_outcomes_total{{outcome=\"subscription_removed\",provider=\"{provider}\"}} "
        );
        let n: u64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix(&line))
            .unwrap_or_else(|| panic!("{line} in {metrics}"))
            .trim()
            .parse()
            .unwrap();
        assert_eq!(n, if provider == "fcm" { 1 } else { 2 });
    }
}

async fn retries_honour_retry_after(backend: Backend) {
    let (fcm, apns) = (TestFcm::start().await, TestApns::start().await);
    let mut env = fcm.env();
    env.extend(apns.env());
    let s = Scenario::on(app_with(backend, &env).await, 0.5, 1).await;
    let app = &s.app;
    // Nothing from the default plan reaches the devices registered below.
    mute_reminders(app, &s.patient.access_token).await;
    let me = &s.patient.access_token;
    let (f, a) = (fcm_token(), apns_token());
    fcm.respond_with(
        &f,
        vec![
            FcmAnswer::TooManyRequests {
                retry_after_secs: 5,
            },
            FcmAnswer::Unavailable,
        ],
    );
    apns.respond_with(
        &a,
        vec![ApnsAnswer::TooManyRequests {
            retry_after_secs: Some(3),
        }],
    );
    register(
        app,
        me,
        json!({"platform": "fcm", "token": f, "app_id": "a"}),
    )
    .await;
    register(
        app,
        me,
        json!({"platform": "apns", "token": a, "app_id": "a", "environment": "production"}),
    )
    .await;
    remind_now(app, me).await;
    let got = fcm.wait_for(1, Duration::from_secs(40)).await;
    assert_eq!(got.len(), 1, "failures: {:?}", fcm.failures());
    assert_eq!(fcm.attempts_for(&f), 3);
    let got = apns.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 1, "failures: {:?}", apns.failures());
    assert_eq!(apns.attempts_for(&a), 2);
    let items = finished(app, &s.doc, s.treatment_id(), 2).await;
    for d in &items {
        assert_eq!(d["status"], "sent", "{items:?}");
        let attempts = d["attempts"].as_i64().unwrap();
        assert_eq!(attempts, if d["channel"] == "fcm" { 3 } else { 2 }, "{d}");
        // Retry-After (FCM 5 s, APNs 3 s) was waited out: more than the
        // backoff alone (base 1 s, doubling) would have waited.
        let waited = if d["channel"] == "fcm" { 5000 } else { 3000 };
        let created =
            chrono::DateTime::parse_from_rfc3339(d["created_at"].as_str().unwrap()).unwrap();
        let done =
            chrono::DateTime::parse_from_rfc3339(d["finished_at"].as_str().unwrap()).unwrap();
        assert!((done - created).num_milliseconds() >= waited, "{d}");
    }
}

async fn ended_and_erased_accounts_lose_their_devices(backend: Backend) {
    let s = Scenario::on(app_with(backend, &[]).await, 0.5, 1).await;
    let app = &s.app;
    // A clinician deactivated by the admin loses their devices.
    let email = format!("doc-{}@clinic.example", uuid::Uuid::new_v4().simple());
    let res = app
        .post(
            "/v1/staff",
            Some(&s.admin),
            &json!({"email": email, "name": "Dr B", "role": "clinician", "password": "staff password 12"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let staff: Value = res.json().await.unwrap();
    let tokens = app.login(&email, "staff password 12").await;
    let doc2 = tokens["access_token"].as_str().unwrap();
    let staff_id = staff["id"].as_str().unwrap();
    register(
        app,
        doc2,
        json!({"platform": "fcm", "token": fcm_token(), "app_id": "a"}),
    )
    .await;
    assert_eq!(device_count(app, staff_id).await, 1);
    let res = app
        .request(
            Method::PATCH,
            &format!("/v1/staff/{staff_id}"),
            Some(&s.admin),
            Some(&json!({"active": false})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(device_count(app, staff_id).await, 0);

    // A patient who erases their account loses theirs.
    let me = &s.patient.access_token;
    register(
        app,
        me,
        json!({"platform": "apns", "token": apns_token(), "app_id": "a", "environment": "sandbox"}),
    )
    .await;
    let export = app.get("/v1/me/export", Some(me)).await;
    let export = crate::helpers::export_json(export).await;
    let devices = export["push_devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["platform"], "apns");
    assert_eq!(devices[0]["environment"], "sandbox");
    assert!(
        !export.to_string().contains("apns:"),
        "no token in the export"
    );
    assert_eq!(device_count(app, &s.patient.id).await, 1);
    let res = app.request(Method::DELETE, "/v1/me", Some(me), None).await;
    assert_eq!(res.status(), 204);
    assert_eq!(device_count(app, &s.patient.id).await, 0);
}

on_both_backends!(
    devices_are_registered_validated_moved_and_removed,
    reminders_reach_fcm_generic_then_detailed,
    reminders_reach_apns_with_its_headers,
    unregistered_tokens_are_removed,
    retries_honour_retry_after,
    ended_and_erased_accounts_lose_their_devices,
);
