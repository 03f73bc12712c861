//! Reminders over Web Push, end to end: plan → outbox → dispatcher → a real
//! push service on loopback that verifies VAPID and decrypts the payload.

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, free_port, spawn_app_with, wait_healthy, Backend, ServeProcess, TestApp,
};
use crate::on_both_backends;
use crate::push_service::{Answer, TestPushService, TestSubscriber};
use crate::recovery::Scenario;

pub const PUSH_ENV: &[(&str, &str)] = &[
    ("AFTERCARE_PUSH_ALLOW_INSECURE", "1"),
    ("AFTERCARE_SCHEDULER_TICK_SECS", "1"),
    ("AFTERCARE_PUSH_RETRY_BASE_SECS", "1"),
];

pub async fn push_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, PUSH_ENV).await
}

/// The current wall-clock minute in the patient's zone ("HH:MM").
fn this_minute(tz: &str) -> String {
    let tz: chrono_tz::Tz = tz.parse().unwrap();
    Utc::now().with_timezone(&tz).format("%H:%M").to_string()
}

const OTHER_KINDS: [&str; 6] = [
    "sunscreen",
    "moisturize",
    "avoid_actives",
    "no_picking",
    "next_session",
    "check_in",
];

/// Switches every reminder kind off. Call it before the patient's first
/// device subscribes: a treatment registered up to 5 minutes after one of
/// the default plan's times (08:00, 08:30, 12:30, 20:00, … in the patient's
/// zone) is sent that reminder, rightly, so a test run then would receive
/// more than the reminder it asked for.
pub async fn mute_reminders(app: &TestApp, token: &str) {
    let mut all = OTHER_KINDS.to_vec();
    all.push("log_symptoms");
    let res = app
        .request(
            reqwest::Method::PATCH,
            "/v1/me/preferences",
            Some(token),
            Some(&json!({ "disabled": all })),
        )
        .await;
    assert_eq!(res.status(), 200);
}

/// Moves the patient's log reminder to this minute, every other kind off.
pub async fn remind_now(app: &TestApp, token: &str) {
    let res = app
        .request(
            reqwest::Method::PATCH,
            "/v1/me/preferences",
            Some(token),
            Some(&json!({"times": {"log_symptoms": [this_minute("Europe/Berlin")]}, "disabled": OTHER_KINDS})),
        )
        .await;
    assert_eq!(res.status(), 200);
}

/// Subscribes a browser for the patient and sends them exactly one
/// reminder: the log reminder, moved to now.
pub async fn subscribe_and_remind_now(app: &TestApp, token: &str, browser: &TestSubscriber) {
    mute_reminders(app, token).await;
    let res = app
        .post("/v1/push/subscriptions", Some(token), &browser.json())
        .await;
    assert_eq!(res.status(), 201);
    remind_now(app, token).await;
}

async fn deliveries(s: &Scenario) -> Vec<Value> {
    let res = s
        .app
        .get(
            &format!("/v1/treatments/{}/deliveries", s.treatment_id()),
            Some(&s.doc),
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// Polls the deliveries list until one reaches `status`.
async fn wait_for_status(s: &Scenario, status: &str) -> Vec<Value> {
    for _ in 0..60 {
        let items = deliveries(s).await;
        if items.iter().any(|d| d["status"] == status) {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("no delivery reached {status}: {:?}", deliveries(s).await);
}

async fn a_subscribed_patient_gets_the_log_reminder_once(backend: Backend) {
    let push = TestPushService::start().await;
    let s = Scenario::on(push_app(backend).await, 0.5, 1).await;
    let key: Value = s
        .app
        .get("/v1/push/vapid-public-key", None)
        .await
        .json()
        .await
        .unwrap();
    push.expect_server_key(key["public_key"].as_str().unwrap());
    let browser = push.subscriber();
    subscribe_and_remind_now(&s.app, &s.patient.access_token, &browser).await;

    let plan: Value = s
        .app
        .get(
            &format!("/v1/treatments/{}/reminders", s.treatment_id()),
            Some(&s.patient.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(plan["preferences"]["disabled"].as_array().unwrap().len(), 6);

    let got = push.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 1, "failures: {:?}", push.failures());
    let d = &got[0];
    assert_eq!(d.subscriber_id, browser.id);
    assert_eq!(d.payload["kind"], "log_symptoms");
    assert_eq!(d.payload["treatment_id"], s.treatment_id());
    assert_eq!(d.payload["title"], "How is your skin today?");
    assert!(
        d.payload["body"].as_str().unwrap().contains("redness"),
        "{}",
        d.payload
    );
    assert_eq!(d.topic.as_deref(), Some("log-symptoms"));
    assert!(d.ttl > 0 && d.ttl <= 4 * 3600, "ttl {}", d.ttl);
    assert_eq!(d.vapid_aud, push.origin());

    // Several more dispatcher ticks: the same occurrence is not sent again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(push.deliveries().len(), 1);
    assert!(push.failures().is_empty(), "{:?}", push.failures());
    let items = deliveries(&s).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["status"], "sent");
    assert_eq!(items[0]["last_status"], 201);

    // The patient checks it off; the clinician sees adherence.
    let occurrence = d.payload["occurrence_id"].as_str().unwrap();
    let res = s
        .app
        .post(
            &format!("/v1/reminders/{occurrence}/done"),
            Some(&s.patient.access_token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.json::<Value>().await.unwrap()["done_at"].is_string());
    let other = s.app.enrolled_patient(&s.doc, "UTC", 1).await;
    assert_problem(
        s.app
            .post(
                &format!("/v1/reminders/{occurrence}/done"),
                Some(&other.access_token),
                &json!({}),
            )
            .await,
        404,
    )
    .await;
    let rec: Value = s
        .app
        .get(
            &format!("/v1/patients/{}/recovery", s.patient.id),
            Some(&s.doc),
        )
        .await
        .json()
        .await
        .unwrap();
    let adherence = &rec["treatments"][0]["adherence"];
    assert_eq!(
        adherence,
        &json!([{"kind": "log_symptoms", "due": 1, "done": 1}])
    );
}

/// The delivery log keeps the 2xx status the push service answered.
async fn deliveries_show_the_push_services_success_status(backend: Backend) {
    let push = TestPushService::start().await;
    let s = Scenario::on(push_app(backend).await, 0.5, 1).await;
    let (phone, laptop) = (push.subscriber(), push.subscriber());
    push.respond_with(&phone.id, vec![Answer::Accepted(200)]);
    push.respond_with(&laptop.id, vec![Answer::Accepted(202)]);
    mute_reminders(&s.app, &s.patient.access_token).await;
    let res = s
        .app
        .post(
            "/v1/push/subscriptions",
            Some(&s.patient.access_token),
            &phone.json(),
        )
        .await;
    assert_eq!(res.status(), 201);
    subscribe_and_remind_now(&s.app, &s.patient.access_token, &laptop).await;
    let got = push.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 2, "failures: {:?}", push.failures());
    let mut items = deliveries(&s).await;
    for _ in 0..60 {
        if items.len() == 2 && items.iter().all(|d| d["status"] == "sent") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        items = deliveries(&s).await;
    }
    let mut statuses: Vec<&Value> = items.iter().map(|d| &d["last_status"]).collect();
    statuses.sort_by_key(|v| v.as_i64());
    assert_eq!(statuses, [&json!(200), &json!(202)], "{items:?}");
}

async fn gone_subscriptions_are_removed(backend: Backend) {
    let push = TestPushService::start().await;
    let s = Scenario::on(push_app(backend).await, 0.5, 1).await;
    let browser = push.subscriber();
    push.respond_with(&browser.id, vec![Answer::Gone]);
    subscribe_and_remind_now(&s.app, &s.patient.access_token, &browser).await;
    wait_for_status(&s, "gone").await;
    // Already removed by the dispatcher, so the patient's own delete finds nothing.
    let res = s
        .app
        .request(
            reqwest::Method::DELETE,
            "/v1/push/subscriptions",
            Some(&s.patient.access_token),
            Some(&json!({"endpoint": browser.endpoint})),
        )
        .await;
    assert_problem(res, 404).await;
    assert!(push.deliveries().is_empty());
}

async fn rate_limited_then_delivered_once(backend: Backend) {
    let push = TestPushService::start().await;
    let s = Scenario::on(push_app(backend).await, 0.5, 1).await;
    let browser = push.subscriber();
    push.respond_with(
        &browser.id,
        vec![Answer::TooManyRequests {
            retry_after_secs: 2,
        }],
    );
    subscribe_and_remind_now(&s.app, &s.patient.access_token, &browser).await;
    let started = std::time::Instant::now();
    let got = push.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(got.len(), 1);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After honoured"
    );
    assert_eq!(push.attempts_for(&browser.id), 2);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(push.deliveries().len(), 1);
}

async fn server_errors_are_retried_with_backoff(backend: Backend) {
    let push = TestPushService::start().await;
    let s = Scenario::on(push_app(backend).await, 0.5, 1).await;
    let browser = push.subscriber();
    push.respond_with(
        &browser.id,
        vec![
            Answer::ServerError,
            Answer::ServerError,
            Answer::ServerError,
        ],
    );
    subscribe_and_remind_now(&s.app, &s.patient.access_token, &browser).await;
    let got = push.wait_for(1, Duration::from_secs(40)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(push.attempts_for(&browser.id), 4);
    let items = wait_for_status(&s, "sent").await;
    assert_eq!(items[0]["attempts"], 4);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(push.deliveries().len(), 1);
}

async fn stale_reminders_are_never_delivered(backend: Backend) {
    let push = TestPushService::start().await;
    let s = Scenario::on(push_app(backend).await, 0.5, 1).await;
    let browser = push.subscriber();
    // The push service asks to wait longer than the reminder stays useful (4 h).
    push.respond_with(
        &browser.id,
        vec![Answer::TooManyRequests {
            retry_after_secs: 5 * 3600,
        }],
    );
    subscribe_and_remind_now(&s.app, &s.patient.access_token, &browser).await;
    let items = wait_for_status(&s, "stale").await;
    assert_eq!(items.len(), 1);

    // An occurrence that is already stale when it comes due is never sent.
    let now = Utc::now().timestamp_millis();
    let (tid, pid) = (s.treatment_id().to_string(), s.patient.id.clone());
    let db = s.app.db.clone();
    let occurrence_id = tokio::task::spawn_blocking(move || {
        let mut c = db.conn().unwrap();
        let clinic: String = {
            use diesel::prelude::*;
            aftercare::db::schema::treatments::table
                .find(&tid)
                .select(aftercare::db::schema::treatments::clinic_id)
                .first(&mut **c)
                .unwrap()
        };
        let identity = format!("{tid}:moisturize:2000-01-01:08:30");
        let pid = aftercare::domain::ids::PatientId::new(pid);
        db.write_blocking(|tx| {
            Ok::<_, aftercare::app::AppError>(aftercare::store::reminders::insert_occurrence(
                &mut tx.patient(&pid),
                &aftercare::store::reminders::NewOccurrence {
                    identity: &identity,
                    treatment_id: &tid,
                    clinic_id: &clinic,
                    kind: "moisturize",
                    day: 1,
                    local_date: chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
                    local_time: "08:30",
                    due_at: now - 60_000,
                    stale_at: now - 1_000,
                },
            )?)
        })
        .unwrap();
        use diesel::prelude::*;
        aftercare::db::schema::reminder_occurrences::table
            .filter(aftercare::db::schema::reminder_occurrences::identity.eq(&identity))
            .select(aftercare::db::schema::reminder_occurrences::id)
            .first::<String>(&mut **c)
            .unwrap()
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let db = s.app.db.clone();
    let row = tokio::task::spawn_blocking(move || {
        aftercare::store::reminders::get(&mut db.conn().unwrap(), &occurrence_id)
            .unwrap()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(row.status, "stale");
    assert!(push.deliveries().is_empty());
    assert_eq!(
        deliveries(&s).await.len(),
        1,
        "no push job for the stale occurrence"
    );
}

async fn subscriptions_and_preferences_are_validated(backend: Backend) {
    let push = TestPushService::start().await;
    let s = Scenario::on(push_app(backend).await, 0.5, 1).await;
    let tok = Some(s.patient.access_token.as_str());
    let browser = push.subscriber();
    let mut bad = browser.json();
    bad["keys"]["p256dh"] = json!("AAAA");
    let b = assert_problem(s.app.post("/v1/push/subscriptions", tok, &bad).await, 422).await;
    assert_eq!(b["errors"][0]["field"], "keys.p256dh");
    let mut bad = browser.json();
    bad["keys"]["auth"] = json!("c2hvcnQ");
    let b = assert_problem(s.app.post("/v1/push/subscriptions", tok, &bad).await, 422).await;
    assert_eq!(b["errors"][0]["field"], "keys.auth");
    let patch = |body: Value| {
        let app = &s.app;
        async move {
            app.request(
                reqwest::Method::PATCH,
                "/v1/me/preferences",
                tok,
                Some(&body),
            )
            .await
        }
    };
    assert_problem(
        patch(json!({"quiet_hours": {"start": "25:00", "end": "07:00"}})).await,
        422,
    )
    .await;
    assert_problem(
        patch(json!({"times": {"sunbathing": ["08:00"]}})).await,
        422,
    )
    .await;
    assert_problem(patch(json!({"disabled": ["log_symptoms", "x"]})).await, 422).await;
    assert_problem(patch(json!({"timezone": "Nowhere/Land"})).await, 422).await;
    let res = patch(
        json!({"quiet_hours": {"start": "22:00", "end": "07:00"}, "timezone": "America/New_York"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let prefs: Value = res.json().await.unwrap();
    assert_eq!(prefs["timezone"], "America/New_York");
    assert_eq!(prefs["quiet_hours"]["start"], "22:00");
    let prefs: Value = patch(json!({"quiet_hours": null}))
        .await
        .json()
        .await
        .unwrap();
    assert!(prefs["quiet_hours"].is_null(), "merge-patch null removes");
    assert_eq!(prefs["timezone"], "America/New_York");
    // Staff edit the plan; patients may not.
    let path = format!("/v1/treatments/{}/reminders", s.treatment_id());
    let rules = json!({"rules": [{"kind": "sunscreen", "first_day": 1, "last_day": 10, "times": ["09:15"]}]});
    assert_problem(s.app.put(&path, tok, &rules).await, 403).await;
    let res = s.app.put(&path, Some(&s.doc), &rules).await;
    assert_eq!(res.status(), 200);
    let plan: Value = res.json().await.unwrap();
    assert_eq!(plan["plan"]["rules"][0]["times"][0], "09:15");
    assert!(plan["upcoming"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["kind"] == "sunscreen" && o["local_time"] == "09:15"));
    let bad_rules = json!({"rules": [{"kind": "sunscreen", "first_day": 9, "last_day": 2, "times": ["09:15"]}]});
    assert_problem(s.app.put(&path, Some(&s.doc), &bad_rules).await, 422).await;
    let other = s.app.new_clinic().await;
    assert_problem(
        s.app.put(&path, Some(&other.admin_token), &rules).await,
        404,
    )
    .await;
}

async fn urgent_flags_are_pushed_to_clinicians(backend: Backend) {
    let push = TestPushService::start().await;
    let s = Scenario::on(push_app(backend).await, 0.5, 2).await;
    let browser = push.subscriber();
    let res = s
        .app
        .post("/v1/push/subscriptions", Some(&s.doc), &browser.json())
        .await;
    assert_eq!(res.status(), 201);
    s.put_log(
        1,
        json!({"redness": 5, "swelling": 3, "flaking": 0, "sensitivity": 4, "signs": ["fever"]}),
    )
    .await;
    let got = push.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].payload["type"], "flag");
    assert_eq!(got[0].urgency.as_deref(), Some("high"));
    assert!(
        !got[0].payload.to_string().contains("Pat Test"),
        "no patient name on a lock screen"
    );
    // The same flag updated by more evidence does not alert again.
    s.put_log(
        2,
        json!({"redness": 4, "swelling": 2, "flaking": 2, "sensitivity": 3, "signs": ["fever"]}),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(push.deliveries().len(), 1);
}

/// Issue 15, finding 7: another account re-registering a patient's endpoint
/// with other keys neither moves it nor learns that it exists; the same
/// browser (same keys) signed in as someone else does move it.
async fn another_accounts_endpoint_is_not_taken_over(backend: Backend) {
    let push = TestPushService::start().await;
    let s = Scenario::on(push_app(backend).await, 0.5, 1).await;
    let (victim, fresh, other_keys) = (push.subscriber(), push.subscriber(), push.subscriber());
    let tok = &s.patient.access_token;
    let sub = |token: &str, b: Value| {
        let app = &s.app;
        let token = token.to_string();
        async move { app.post("/v1/push/subscriptions", Some(&token), &b).await }
    };
    assert_eq!(sub(tok, victim.json()).await.status(), 201);
    let mallory = s.app.new_clinic().await;
    let mal = s.app.add_clinician(&mallory).await;
    // A fresh endpoint and the victim's endpoint with other keys: same answer.
    assert_eq!(sub(&mal, fresh.json()).await.status(), 201);
    let mut forged = other_keys.json();
    forged["endpoint"] = json!(victim.endpoint);
    let res = sub(&mal, forged.clone()).await;
    assert_eq!(res.status(), 201);
    assert!(res.json::<Value>().await.unwrap()["id"].is_string());
    // The patient still owns it; the attacker has nothing to remove.
    let del = |token: &str| {
        let app = &s.app;
        let token = token.to_string();
        let endpoint = victim.endpoint.clone();
        async move {
            app.request(
                reqwest::Method::DELETE,
                "/v1/push/subscriptions",
                Some(&token),
                Some(&json!({"endpoint": endpoint})),
            )
            .await
        }
    };
    assert_problem(del(&mal).await, 404).await;
    // The patient's own re-registration is the same answer again.
    assert_eq!(sub(tok, victim.json()).await.status(), 201);
    // The same browser (same keys) signed in as someone else takes it over.
    assert_eq!(sub(&mal, victim.json()).await.status(), 201);
    assert_problem(del(tok).await, 404).await;
    assert_eq!(del(&mal).await.status(), 204);
}

on_both_backends!(
    another_accounts_endpoint_is_not_taken_over,
    a_subscribed_patient_gets_the_log_reminder_once,
    deliveries_show_the_push_services_success_status,
    gone_subscriptions_are_removed,
    rate_limited_then_delivered_once,
    server_errors_are_retried_with_backoff,
    stale_reminders_are_never_delivered,
    subscriptions_and_preferences_are_validated,
    urgent_flags_are_pushed_to_clinicians,
);

/// Three `aftercare serve` processes against one PostgreSQL database, 200
/// patients due in the same minute: each reminder is pushed exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_serve_processes_deliver_each_reminder_exactly_once() {
    const PATIENTS: usize = 200;
    let database_url = crate::helpers::fresh_database_url(Backend::Postgres);
    let push = TestPushService::start().await;
    let mut processes = Vec::new();
    let mut apps = Vec::new();
    for _ in 0..3 {
        let port = free_port();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aftercare"));
        cmd.arg("serve")
            .env("DATABASE_URL", &database_url)
            .env("AFTERCARE_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            // 200 enrolments from one address: the enrolment budget is shared
            // by the three processes (PostgreSQL), not 100 each.
            .env("AFTERCARE_AUTH_LIMIT_ADDRESS", "1000")
            .stdout(std::process::Stdio::null());
        for (k, v) in PUSH_ENV {
            cmd.env(k, v);
        }
        processes.push(ServeProcess::spawn(cmd));
        let address = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        wait_healthy(&client, &address).await;
        let config = aftercare::config::Config::from_lookup(|k| {
            (k == "DATABASE_URL").then(|| database_url.clone())
        })
        .unwrap();
        apps.push(std::sync::Arc::new(TestApp {
            address,
            client,
            db: aftercare::db::Db::new(config.database.clone(), 2, Duration::from_secs(5)),
            database_url: database_url.clone(),
        }));
    }
    let clinic = apps[0].new_clinic().await;
    let doc = std::sync::Arc::new(apps[0].add_clinician(&clinic).await);

    // Set the patients up through all three processes at once.
    let mut tasks = tokio::task::JoinSet::new();
    let browsers: Vec<TestSubscriber> = (0..PATIENTS).map(|_| push.subscriber()).collect();
    for (i, browser) in browsers.into_iter().enumerate() {
        let app = apps[i % 3].clone();
        let doc = doc.clone();
        tasks.spawn(async move {
            let patient = app.enrolled_patient(&doc, "Europe/Berlin", 2).await;
            crate::recovery::add_treatment(&app, &doc, &patient.id, 0.5, 1).await;
            subscribe_and_remind_now(&app, &patient.access_token, &browser).await;
        });
        if tasks.len() >= 12 {
            tasks.join_next().await.unwrap().unwrap();
        }
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }

    let got = push.wait_for(PATIENTS, Duration::from_secs(90)).await;
    if got.len() != PATIENTS {
        // Say where the missing reminders stopped, so a failure is diagnosable.
        let states = apps[0]
            .db
            .read(|c| {
                use aftercare::db::schema::{push_jobs as j, reminder_occurrences as o};
                use diesel::prelude::*;
                let occurrences: Vec<(String, i64)> = o::table
                    .group_by(o::status)
                    .select((o::status, diesel::dsl::count_star()))
                    .load(c)?;
                let jobs: Vec<(String, i64)> = j::table
                    .group_by(j::status)
                    .select((j::status, diesel::dsl::count_star()))
                    .load(c)?;
                Ok::<_, aftercare::app::AppError>((occurrences, jobs))
            })
            .await
            .unwrap();
        let mut topics: std::collections::BTreeMap<Option<String>, usize> = Default::default();
        for d in &got {
            *topics.entry(d.topic.clone()).or_default() += 1;
        }
        panic!(
            "{} of {PATIENTS} delivered, by topic {topics:?}; occurrences and push jobs by status: {states:?}; push service failures: {:?}",
            got.len(),
            push.failures()
        );
    }
    // Let every dispatcher tick a few more times: nothing is sent twice.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let all = push.deliveries();
    let unique: std::collections::HashSet<&str> =
        all.iter().map(|d| d.subscriber_id.as_str()).collect();
    assert_eq!(all.len(), PATIENTS, "no duplicates");
    assert_eq!(unique.len(), PATIENTS, "every patient once");
    assert!(
        all.iter()
            .all(|d| d.topic.as_deref() == Some("log-symptoms")),
        "only the reminder each patient asked for"
    );
    assert!(push.failures().is_empty(), "{:?}", push.failures());
    drop(processes);
}
