//! Clinical triage v2 over HTTP: flags that keep their evidence and reopen
//! with a second alert, emergency advice in the log's answer and the synced
//! care data, the sign list, and protocol versions that treatments keep.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_on, Backend, TestApp};
use crate::on_both_backends;
use crate::push_service::TestPushService;
use crate::recovery::{add_treatment, Scenario};
use crate::reminders::push_app;
use crate::sync::pull;

fn log(r: i64, s: i64, f: i64, se: i64, signs: &[&str]) -> Value {
    json!({"redness": r, "swelling": s, "flaking": f, "sensitivity": se, "signs": signs})
}

/// Runs SQL straight on the test's database (to stage an older database).
fn exec_sql(backend: Backend, url: &str, sql: &str) {
    match backend {
        // The server's own connections may hold the write lock for a moment.
        Backend::Sqlite => diesel::SqliteConnection::establish(url)
            .unwrap()
            .batch_execute(&format!("PRAGMA busy_timeout = 10000; {sql}"))
            .unwrap(),
        Backend::Postgres => diesel::PgConnection::establish(url)
            .unwrap()
            .batch_execute(sql)
            .unwrap(),
    }
}

async fn flag_of(s: &Scenario, reason: &str) -> Value {
    let res = s.app.get("/v1/flags?status=open", Some(&s.doc)).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["reason"] == reason)
        .cloned()
        .unwrap_or_else(|| panic!("no open {reason} flag in {body}"))
}

fn days_of(flag: &Value) -> Vec<i64> {
    flag["evidence_days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["day"].as_i64().unwrap())
        .collect()
}

async fn an_acknowledged_flag_reopens_on_new_urgent_evidence_and_alerts_again(backend: Backend) {
    let push = TestPushService::start().await;
    let s = Scenario::on(push_app(backend).await, 1.0, 5).await;
    let browser = push.subscriber();
    let res = s
        .app
        .post("/v1/push/subscriptions", Some(&s.doc), &browser.json())
        .await;
    assert_eq!(res.status(), 201);

    // Day 2: pus. An urgent flag, one alert.
    s.put_log(2, log(3, 1, 2, 2, &["pus"])).await;
    let got = push.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 1);
    let flag = flag_of(&s, "infection_signs").await;
    let id = flag["id"].as_str().unwrap().to_string();

    // The clinician acknowledges it.
    let res = s
        .app
        .post(
            &format!("/v1/flags/{id}/acknowledge"),
            Some(&s.doc),
            &json!({"note": "asked for a photo"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(s.queue(&s.doc).await.iter().all(|f| f["id"] != id.as_str()));

    // Saving the same day again is not new evidence: still acknowledged, no alert.
    s.put_log(2, log(3, 1, 2, 2, &["pus"])).await;

    // Day 3: fever and spreading redness. The flag reopens and alerts again.
    let res = s
        .put_log(3, log(4, 1, 2, 3, &["fever", "spreading_redness"]))
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let reopened = body["assessment"]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["reason"] == "infection_signs")
        .cloned()
        .unwrap();
    assert_eq!(reopened["id"], id.as_str(), "the same flag, not a new one");
    assert_eq!(reopened["status"], "open");
    assert_eq!(reopened["severity"], "urgent");

    let got = push.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 2, "a second alert for the reopened flag");
    assert_eq!(got[1].payload["flag_id"], id.as_str());
    assert_eq!(got[1].payload["event"], "flag.reopened");
    assert_eq!(got[1].payload["severity"], "urgent");
    assert!(!got[1].payload.to_string().contains("Pat Test"));

    // It is back in the open queue, with the reopening in its history.
    let flag = flag_of(&s, "infection_signs").await;
    assert_eq!(flag["id"], id.as_str());
    let res = s
        .app
        .get(
            &format!("/v1/patients/{}/recovery", s.patient.id),
            Some(&s.doc),
        )
        .await;
    assert_eq!(res.status(), 200);
    let recovery = res.text().await.unwrap();
    assert!(recovery.contains("\"reopened\""), "{recovery}");
    assert!(recovery.contains("\"acknowledged\""));

    // More urgent evidence while it is open: added, no third alert.
    s.put_log(4, log(2, 0, 1, 1, &["fever"])).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(push.deliveries().len(), 2);
    assert_eq!(days_of(&flag_of(&s, "infection_signs").await), [2, 3, 4]);
}

async fn a_flag_keeps_the_evidence_of_its_opening_worst_and_latest_days(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 8).await;
    // The example: day 4 with fever and spreading redness; day 5
    // scores 1 with fever only.
    s.put_log(4, log(3, 1, 2, 2, &["fever", "spreading_redness"]))
        .await;
    s.put_log(5, log(1, 0, 1, 0, &["fever"])).await;
    let flag = flag_of(&s, "infection_signs").await;
    assert_eq!(flag["day"], 5, "latest");
    assert_eq!(flag["evidence"]["signs"], json!(["fever"]));
    assert_eq!(flag["opened_evidence"]["day"], 4);
    assert_eq!(flag["opened_evidence"]["severity"], "urgent");
    assert_eq!(
        flag["opened_evidence"]["signs"],
        json!(["fever", "spreading_redness"])
    );
    assert_eq!(flag["worst_evidence"]["day"], 4, "the worse day stays");
    assert_eq!(days_of(&flag), [4, 5]);

    // A worse day later becomes the worst; the opening day stays.
    s.put_log(6, log(2, 0, 1, 1, &["pus", "fever", "spreading_redness"]))
        .await;
    let flag = flag_of(&s, "infection_signs").await;
    assert_eq!(flag["worst_evidence"]["day"], 6);
    assert_eq!(flag["opened_evidence"]["day"], 4);
    assert_eq!(flag["day"], 6);
    assert_eq!(days_of(&flag), [4, 5, 6]);

    // A review flag raised to urgent keeps its opening severity beside it.
    s.put_log(7, log(4, 0, 0, 0, &[])).await; // redness above the bound: review
    s.put_log(8, log(8, 0, 0, 0, &[])).await; // far above: urgent
    let flag = flag_of(&s, "above_upper_bound").await;
    assert_eq!(flag["severity"], "urgent");
    assert_eq!(flag["opened_evidence"]["severity"], "review");
    assert_eq!(flag["worst_evidence"]["severity"], "urgent");
    let severities: Vec<&str> = flag["evidence_days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities, ["review", "urgent"]);

    // The synced flag rows carry the same days.
    let body = pull(&s.app, &s.patient.access_token, None).await;
    let row = body["changes"]["flags"]["updated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["reason"] == "infection_signs")
        .cloned()
        .unwrap();
    assert_eq!(row["day"], 6);
    assert_eq!(row["opened_day"], 4);
    assert_eq!(row["worst_day"], 6);
    assert_eq!(row["evidence_days"], "[4,5,6]");
}

async fn emergency_signs_tell_the_patient_to_call_the_emergency_number(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 3).await;
    let res = s
        .put_log(1, log(4, 5, 0, 3, &["lip_tongue_or_eye_swelling"]))
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let advice = body["emergency_advice"].as_str().expect("advice");
    assert!(advice.contains("112"), "{advice}");
    assert!(advice.to_lowercase().contains("call"), "{advice}");
    let flags = body["assessment"]["flags"].as_array().unwrap();
    assert_eq!(flags[0]["reason"], "emergency_signs");
    assert_eq!(flags[0]["severity"], "urgent");

    // An ordinary log answers with no advice.
    let res = s.put_log(2, log(2, 1, 2, 1, &["itching"])).await;
    let body: Value = res.json().await.unwrap();
    assert!(body["emergency_advice"].is_null());
    assert!(body["assessment"]["flags"].as_array().unwrap().is_empty());

    // The synced care data carries the advice on that day only.
    let first = pull(&s.app, &s.patient.access_token, None).await;
    let care = first["changes"]["care_instructions"]["updated"]
        .as_array()
        .unwrap()
        .clone();
    let advice_of = |care: &[Value], day: i64| {
        care.iter()
            .find(|c| c["day"] == day)
            .map(|c| c["emergency_advice"].clone())
            .unwrap()
    };
    assert!(advice_of(&care, 1).as_str().unwrap().contains("112"));
    assert!(advice_of(&care, 2).is_null());

    // Breathing trouble on day 2 reaches a device that already synced.
    let since = first["timestamp"].as_i64().unwrap();
    let res = s.put_log(2, log(2, 1, 2, 1, &["trouble_breathing"])).await;
    let body: Value = res.json().await.unwrap();
    assert!(body["emergency_advice"].as_str().unwrap().contains("112"));
    let next = pull(&s.app, &s.patient.access_token, Some(since)).await;
    let care = next["changes"]["care_instructions"]["updated"]
        .as_array()
        .unwrap()
        .clone();
    assert!(advice_of(&care, 2).as_str().unwrap().contains("112"));

    // The clinic's own emergency number, once it sets one.
    let res = s
        .app
        .request(
            reqwest::Method::PATCH,
            "/v1/clinic",
            Some(&s.admin),
            Some(&json!({"emergency_number": "+90 911"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = s
        .put_log(3, log(1, 6, 1, 0, &["lip_tongue_or_eye_swelling"]))
        .await;
    let body: Value = res.json().await.unwrap();
    let advice = body["emergency_advice"].as_str().unwrap();
    assert!(
        advice.contains("+90 911") && !advice.contains("112"),
        "{advice}"
    );
}

async fn the_sign_list_is_served_and_old_codes_are_refused(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 2).await;
    let res = s.app.get("/v1/signs", None).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 18);
    let codes: Vec<&str> = items.iter().map(|i| i["code"].as_str().unwrap()).collect();
    for code in [
        "pus",
        "pinpoint_crusts",
        "hives",
        "itching",
        "bruising",
        "track_marks",
    ] {
        assert!(codes.contains(&code), "{code}");
    }
    for i in items {
        assert!(!i["label"].as_str().unwrap().is_empty());
        assert!(!i["look_for"].as_str().unwrap().is_empty());
    }
    let b = assert_problem(s.put_log(1, log(3, 2, 0, 2, &["pus_or_crust"])).await, 422).await;
    assert_eq!(b["errors"][0]["field"], "signs[0]");
    // Every new code is taken, and expected signs early on raise nothing.
    let res = s
        .put_log(
            1,
            log(4, 3, 1, 3, &["pinpoint_crusts", "itching", "bruising"]),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["log"]["signs"],
        json!(["bruising", "itching", "pinpoint_crusts"])
    );
    assert!(body["assessment"]["flags"].as_array().unwrap().is_empty());
}

async fn treatments_keep_the_protocol_version_they_were_registered_with(backend: Backend) {
    // A database from before version 2: only version 1 is stored.
    let app = spawn_app(backend).await;
    exec_sql(
        backend,
        &app.database_url,
        "DELETE FROM protocols WHERE id = 'default:microneedling-default:v2'",
    );
    let clinic = app.new_clinic().await;
    let doc = app.add_clinician(&clinic).await;
    let patient = app.enrolled_patient(&doc, "Europe/Berlin", 2).await;
    let old = add_treatment(&app, &doc, &patient.id, 0.5, 1).await;
    assert_eq!(old["protocol"]["version"], 1);

    // The upgraded server seeds version 2 at start.
    let app: TestApp = spawn_on(app.database_url.clone(), &[]).await;
    let new = add_treatment(&app, &doc, &patient.id, 0.5, 1).await;
    assert_eq!(new["protocol"]["version"], 2);
    let timeline = |id: String| {
        let app = &app;
        let token = doc.clone();
        async move {
            let res = app
                .get(&format!("/v1/treatments/{id}/timeline"), Some(&token))
                .await;
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    let old_t = timeline(old["id"].as_str().unwrap().to_string()).await;
    let new_t = timeline(new["id"].as_str().unwrap().to_string()).await;
    assert_eq!(old_t["protocol"]["version"], 1);
    assert_eq!(new_t["protocol"]["version"], 2);
    // Version 1's curve (6.5 on day 0), not version 2's (6.0).
    assert_eq!(old_t["days"][0]["redness"]["expected"], 6.5);
    assert_eq!(new_t["days"][0]["redness"]["expected"], 6.0);
    let res = app
        .get(
            &format!("/v1/treatments/{}", old["id"].as_str().unwrap()),
            Some(&doc),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["protocol"]["version"], 1);
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const TRIAGE_MIGRATION: &str = "20261128000006";

#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = Text)]
    signs: String,
    #[diesel(sql_type = Text)]
    evidence: String,
    #[diesel(sql_type = Text)]
    opened_evidence: String,
}

const STORED: &str = "SELECT l.signs, f.evidence, f.opened_evidence FROM daily_logs l JOIN flags f ON f.treatment_id = l.treatment_id";

/// Reverts the triage migration (and any after it), runs `sql` on the older
/// schema and applies every migration again.
fn through_the_triage_migration<C>(c: &mut C, migrations: fn() -> EmbeddedMigrations, sql: &str)
where
    C: MigrationHarness<C::Backend> + Connection + SimpleConnection,
{
    let applied = |c: &mut C| -> bool {
        c.applied_migrations()
            .unwrap()
            .iter()
            .any(|v| v.to_string().replace('-', "") == TRIAGE_MIGRATION)
    };
    while applied(c) {
        c.revert_last_migration(migrations()).unwrap();
    }
    c.batch_execute(sql).unwrap();
    c.run_pending_migrations(migrations()).unwrap();
}

async fn stored_logs_and_flags_with_old_sign_codes_keep_their_meaning(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 3).await;
    s.put_log(1, log(4, 3, 1, 3, &["fever", "pus"])).await;
    // As the first version stored them.
    let old = "UPDATE daily_logs SET signs = 'fever,pus_or_crust'; \
               UPDATE flags SET evidence = REPLACE(evidence, '\"pus\"', '\"pus_or_crust\"');";
    let stored = match backend {
        Backend::Sqlite => {
            let mut c = diesel::SqliteConnection::establish(&s.app.database_url).unwrap();
            c.batch_execute("PRAGMA busy_timeout = 10000").unwrap();
            through_the_triage_migration(&mut c, || SQLITE_MIGRATIONS, old);
            diesel::sql_query(STORED)
                .get_result::<Stored>(&mut c)
                .unwrap()
        }
        Backend::Postgres => {
            let mut c = diesel::PgConnection::establish(&s.app.database_url).unwrap();
            through_the_triage_migration(&mut c, || POSTGRES_MIGRATIONS, old);
            diesel::sql_query(STORED)
                .get_result::<Stored>(&mut c)
                .unwrap()
        }
    };
    assert_eq!(stored.signs, "fever,pus");
    assert!(stored.evidence.contains("\"pus\""), "{}", stored.evidence);
    assert!(!stored.evidence.contains("pus_or_crust"));
    assert_eq!(stored.opened_evidence, stored.evidence);
    // Served with the new codes; the flag still reads as urgent infection.
    let logs: Value = s
        .app
        .get(
            &format!("/v1/treatments/{}/logs", s.treatment_id()),
            Some(&s.patient.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(logs["items"][0]["signs"], json!(["fever", "pus"]));
    let flag = flag_of(&s, "infection_signs").await;
    assert_eq!(flag["severity"], "urgent");
    assert_eq!(flag["opened_evidence"]["signs"], json!(["pus", "fever"]));
}

on_both_backends!(
    stored_logs_and_flags_with_old_sign_codes_keep_their_meaning,
    an_acknowledged_flag_reopens_on_new_urgent_evidence_and_alerts_again,
    a_flag_keeps_the_evidence_of_its_opening_worst_and_latest_days,
    emergency_signs_tell_the_patient_to_call_the_emergency_number,
    the_sign_list_is_served_and_old_codes_are_refused,
    treatments_keep_the_protocol_version_they_were_registered_with,
);
