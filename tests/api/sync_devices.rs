//! Every write to a patient's synced rows reaches the patient's other device.
//!
//! The server stamps each write with the patient's change counter, bumped in
//! the writing transaction; a device pulls what is numbered after its cursor.
//! A path that writes without bumping would be invisible to a device that
//! already synced, so each path below writes once and device B's next pull
//! must carry exactly that change.

use std::time::{Duration, Instant};

use chrono::{DateTime, Days, NaiveDate, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Backend, TestApp};
use crate::on_both_backends;
use crate::recovery::{add_treatment, Scenario};
use crate::reminders::remind_now;
use crate::sync::{log, logs_changes, pull, push};

/// One pull after `cursor`: (changes, timestamp).
async fn pull_since(app: &TestApp, token: &str, cursor: i64) -> (Value, i64) {
    let body = pull(app, token, Some(cursor)).await;
    assert_eq!(body["has_more"], false, "one page carries one write");
    (body["changes"].clone(), body["timestamp"].as_i64().unwrap())
}

/// One of the patient's devices: its own session and sync cursor.
struct Device {
    token: String,
    cursor: i64,
}

impl Device {
    async fn first_sync(app: &TestApp, token: &str) -> Self {
        let body = pull(app, token, None).await;
        Self {
            token: token.to_string(),
            cursor: body["timestamp"].as_i64().unwrap(),
        }
    }

    /// Pulls what changed since the last pull; something did, so the cursor advances.
    async fn sync(&mut self, app: &TestApp) -> Value {
        let (changes, timestamp) = pull_since(app, &self.token, self.cursor).await;
        assert!(
            timestamp > self.cursor,
            "the cursor advances past {}: {changes}",
            self.cursor
        );
        self.cursor = timestamp;
        changes
    }

    /// Pulls, then pushes `changes`, as WatermelonDB's `synchronize()` does.
    async fn push(&mut self, app: &TestApp, changes: Value) {
        let (_, timestamp) = pull_since(app, &self.token, self.cursor).await;
        self.cursor = timestamp;
        let res = push(app, &self.token, timestamp, changes).await;
        let status = res.status();
        assert_eq!(status, 200, "push refused: {}", res.text().await.unwrap());
    }
}

/// The record `id` among a table's rows in one pull (rows always go down as `updated`).
fn updated<'a>(changes: &'a Value, table: &str, id: &str) -> &'a Value {
    changes[table]["updated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{table}[{id}] did not reach device B: {}", changes[table]))
}

fn rows<'a>(changes: &'a Value, table: &str) -> &'a Vec<Value> {
    changes[table]["updated"].as_array().unwrap()
}

fn deleted<'a>(changes: &'a Value, table: &str) -> Vec<&'a str> {
    changes[table]["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap())
        .collect()
}

/// A column that WatermelonDB carries as a string holding JSON.
fn json_col(record: &Value, column: &str) -> Value {
    match &record[column] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        other => panic!("{column} is a JSON string, got {other}"),
    }
}

fn ms(rfc3339: &Value) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339.as_str().unwrap())
        .unwrap()
        .timestamp_millis()
}

async fn every_synced_write_reaches_a_second_device(backend: Backend) {
    // The missed-log job runs every second (step 7); before then no
    // treatment is behind on its logs, so it writes nothing.
    let app = spawn_app_with(backend, &[("AFTERCARE_JOB_INTERVAL_SECS", "1")]).await;
    let clinic = app.new_clinic().await;
    let doc = app.add_clinician(&clinic).await;
    let patient = app.enrolled_patient(&doc, "Europe/Berlin", 2).await;
    let pid = patient.id.as_str();
    let tok = patient.access_token.as_str();
    // Device A is the enrolment session; device B signs in on its own.
    let mut a = Device::first_sync(&app, tok).await;
    let me: Value = app.get("/v1/me", Some(tok)).await.json().await.unwrap();
    let login = app
        .login(me["email"].as_str().unwrap(), "patient password 1")
        .await;
    let mut b = Device::first_sync(&app, login["access_token"].as_str().unwrap()).await;

    // 1. POST /v1/patients/{id}/treatments (clinician): the treatment, its
    //    timeline, care instructions, reminder plan and materialised reminders.
    let treatment = add_treatment(&app, &doc, pid, 0.5, 1).await;
    let t = treatment["id"].as_str().unwrap();
    let ch = b.sync(&app).await;
    let rec = updated(&ch, "treatments", t);
    assert_eq!(
        rec["performed_at"].as_i64().unwrap() / 1000,
        ms(&treatment["performed_at"]) / 1000
    );
    assert_eq!(rec["day0"], treatment["day0"]);
    assert_eq!(rec["area"], "face");
    assert_eq!(rec["depth_mm"], 0.5);
    assert_eq!(json_col(rec, "addons"), json!(["serum"]));
    assert_eq!(rec["session_number"], 1);
    assert_eq!(rec["window_days"], treatment["window_days"]);
    // Timeline and care rows carry what the REST views show for the same days.
    let timeline: Value = app
        .get(&format!("/v1/treatments/{t}/timeline"), Some(tok))
        .await
        .json()
        .await
        .unwrap();
    let window = treatment["window_days"].as_u64().unwrap();
    for day in 0..=window {
        let id = format!("{t}_{day}");
        let r = updated(&ch, "timeline_days", &id);
        let view = &timeline["days"][day as usize];
        assert_eq!((&r["treatment_id"], &r["day"]), (&json!(t), &json!(day)));
        assert_eq!(r["date"], view["date"]);
        for symptom in ["redness", "swelling", "flaking", "sensitivity"] {
            assert_eq!(
                r[format!("{symptom}_upper")],
                view[symptom]["upper"],
                "{id}"
            );
            assert_eq!(
                r[format!("{symptom}_expected")],
                view[symptom]["expected"],
                "{id}"
            );
        }
        let r = updated(&ch, "care_instructions", &id);
        assert_eq!((&r["treatment_id"], &r["day"]), (&json!(t), &json!(day)));
    }
    let care: Value = app
        .get(&format!("/v1/treatments/{t}/care"), Some(tok))
        .await
        .json()
        .await
        .unwrap();
    let today = updated(&ch, "care_instructions", &format!("{t}_{}", care["day"]));
    assert_eq!(json_col(today, "do_items"), care["do"]);
    assert_eq!(json_col(today, "dont_items"), care["dont"]);
    assert_eq!(json_col(today, "call_clinic_if"), care["call_clinic_if"]);
    let plan_view: Value = app
        .get(&format!("/v1/treatments/{t}/reminders"), Some(&doc))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        json_col(updated(&ch, "reminder_plans", t), "rules"),
        plan_view["plan"]["rules"]
    );
    let first_reminders = rows(&ch, "reminders").clone();
    assert!(!first_reminders.is_empty());
    assert!(first_reminders
        .iter()
        .all(|r| r["treatment_id"] == t && r["status"] == "pending" && r["done_at"].is_null()));

    // 2. PUT /v1/treatments/{id}/reminders (clinician): the new plan arrives;
    //    reminders not yet due are replaced (old ids deleted, new ones sent).
    let new_plan = json!({"rules": [
        {"kind": "log_symptoms", "first_day": 0, "last_day": 14, "times": ["18:30"]},
        {"kind": "moisturize", "first_day": 0, "last_day": 7, "times": ["09:15"]},
    ]});
    let before = Utc::now().timestamp_millis();
    let res = app
        .put(
            &format!("/v1/treatments/{t}/reminders"),
            Some(&doc),
            &new_plan,
        )
        .await;
    assert_eq!(res.status(), 200);
    let ch = b.sync(&app).await;
    assert_eq!(
        json_col(updated(&ch, "reminder_plans", t), "rules"),
        new_plan["rules"]
    );
    let replaced: Vec<&str> = first_reminders
        .iter()
        .filter(|r| r["due_at"].as_i64().unwrap() > before)
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(!replaced.is_empty());
    let gone = deleted(&ch, "reminders");
    for id in &replaced {
        assert!(gone.contains(id), "replaced reminder {id} deleted on B");
    }
    let fresh: Vec<Value> = rows(&ch, "reminders")
        .iter()
        .filter(|r| r["treatment_id"] == t)
        .cloned()
        .collect();
    assert!(fresh
        .iter()
        .all(|r| !replaced.contains(&r["id"].as_str().unwrap())));
    for (kind, time) in [("log_symptoms", "18:30"), ("moisturize", "09:15")] {
        assert!(
            fresh
                .iter()
                .any(|r| r["kind"] == kind && r["local_time"] == time && r["status"] == "pending"),
            "a {kind} reminder at {time} reaches B: {fresh:?}"
        );
    }

    let day0: NaiveDate = treatment["day0"].as_str().unwrap().parse().unwrap();
    let d0 = day0.to_string();
    let d1 = (day0 + Days::new(1)).to_string();
    let put_log = |date: &str, body: Value| {
        let path = format!("/v1/treatments/{t}/logs/{date}");
        let app = &app;
        async move { app.put(&path, Some(tok), &body).await }
    };

    // 3a. POST /v1/sync (device A): a new log.
    a.push(
        &app,
        logs_changes(
            vec![log("deviceAlog0000001", t, &d0, 4, &[])],
            vec![],
            vec![],
        ),
    )
    .await;
    let ch = b.sync(&app).await;
    let rec = updated(&ch, "symptom_logs", "deviceAlog0000001");
    assert_eq!(
        (&rec["treatment_id"], &rec["log_date"], &rec["redness"]),
        (&json!(t), &json!(d0), &json!(4))
    );

    // 3b. PUT /v1/treatments/{id}/logs/{date} (patient, REST).
    let res = put_log(
        &d1,
        json!({"redness": 3, "swelling": 2, "flaking": 1, "sensitivity": 2, "note": "tight skin"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let put: Value = res.json().await.unwrap();
    let ch = b.sync(&app).await;
    let rec = updated(&ch, "symptom_logs", put["log"]["id"].as_str().unwrap());
    assert_eq!(
        (&rec["log_date"], &rec["redness"], &rec["note"]),
        (&json!(d1), &json!(3), &json!("tight skin"))
    );

    // 3c. POST /v1/sync (device A): the log is deleted.
    a.push(
        &app,
        logs_changes(vec![], vec![], vec!["deviceAlog0000001"]),
    )
    .await;
    let ch = b.sync(&app).await;
    assert_eq!(deleted(&ch, "symptom_logs"), ["deviceAlog0000001"]);

    // 4a. PUT /v1/treatments/{id}/logs/{date} with pus: an urgent infection flag.
    let res = put_log(
        &d0,
        json!({"redness": 4, "swelling": 2, "flaking": 1, "sensitivity": 3, "signs": ["pus"]}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let put: Value = res.json().await.unwrap();
    let flag = put["assessment"]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["reason"] == "infection_signs")
        .expect("infection flag raised")
        .clone();
    let flag_id = flag["id"].as_str().unwrap();
    let ch = b.sync(&app).await;
    let rec = updated(&ch, "flags", flag_id);
    assert_eq!(
        (
            &rec["treatment_id"],
            &rec["reason"],
            &rec["severity"],
            &rec["status"],
            &rec["day"]
        ),
        (
            &json!(t),
            &json!("infection_signs"),
            &json!("urgent"),
            &json!("open"),
            &json!(0)
        )
    );
    let rec = updated(&ch, "symptom_logs", put["log"]["id"].as_str().unwrap());
    assert_eq!(json_col(rec, "signs"), json!(["pus"]));

    // 4b. POST /v1/flags/{id}/acknowledge (clinician).
    let res = app
        .post(
            &format!("/v1/flags/{flag_id}/acknowledge"),
            Some(&doc),
            &json!({"note": "called the patient"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let ch = b.sync(&app).await;
    assert_eq!(updated(&ch, "flags", flag_id)["status"], "acknowledged");

    // 4c. POST /v1/flags/{id}/resolve with a note (clinician); the note stays on the server.
    let res = app
        .post(
            &format!("/v1/flags/{flag_id}/resolve"),
            Some(&doc),
            &json!({"note": "antibiotics prescribed"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let ch = b.sync(&app).await;
    assert_eq!(updated(&ch, "flags", flag_id)["status"], "resolved");
    assert!(
        !ch.to_string().contains("antibiotics"),
        "no clinician notes"
    );

    // 5a. POST /v1/reminders/{id}/done (patient, REST).
    let r1 = fresh[0]["id"].as_str().unwrap();
    let res = app
        .post(&format!("/v1/reminders/{r1}/done"), Some(tok), &json!({}))
        .await;
    assert_eq!(res.status(), 200);
    let done: Value = res.json().await.unwrap();
    let ch = b.sync(&app).await;
    let done_at = updated(&ch, "reminders", r1)["done_at"]
        .as_i64()
        .expect("done_at reaches B");
    assert_eq!(done_at / 1000, ms(&done["done_at"]) / 1000);

    // 5b. POST /v1/sync (device A): a check-off.
    let mut r2 = fresh[1].clone();
    let r2_id = r2["id"].as_str().unwrap().to_string();
    let checked_at = Utc::now().timestamp_millis();
    r2["done_at"] = json!(checked_at);
    a.push(
        &app,
        json!({"reminders": {"created": [], "updated": [r2], "deleted": []}}),
    )
    .await;
    let ch = b.sync(&app).await;
    assert_eq!(updated(&ch, "reminders", &r2_id)["done_at"], checked_at);

    // 6a. PATCH /v1/me/preferences (patient, REST).
    let res = app
        .request(
            Method::PATCH,
            "/v1/me/preferences",
            Some(tok),
            Some(&json!({"timezone": "America/New_York", "quiet_hours": {"start": "22:00", "end": "07:00"}})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let ch = b.sync(&app).await;
    let rec = updated(&ch, "preferences", pid);
    assert_eq!(rec["timezone"], "America/New_York");
    assert_eq!(
        json_col(rec, "quiet_hours"),
        json!({"start": "22:00", "end": "07:00"})
    );

    // 6b. POST /v1/sync (device A): preferences.
    a.push(
        &app,
        json!({"preferences": {"created": [], "updated": [{
            "id": pid, "timezone": "Asia/Tokyo", "quiet_hours": null,
            "times": "{\"moisturize\":[\"07:45\"]}", "disabled": "[\"no_picking\"]",
        }], "deleted": []}}),
    )
    .await;
    let ch = b.sync(&app).await;
    let rec = updated(&ch, "preferences", pid);
    assert_eq!(rec["timezone"], "Asia/Tokyo");
    assert!(rec["quiet_hours"].is_null());
    assert_eq!(json_col(rec, "times"), json!({"moisturize": ["07:45"]}));
    assert_eq!(json_col(rec, "disabled"), json!(["no_picking"]));

    // 7. The missed-log job (src/jobs.rs, background): a treatment four days
    //    old without a log gets a `missed_logs` flag within a few ticks.
    let late = add_treatment(&app, &doc, pid, 0.5, 4).await;
    let late_id = late["id"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen_treatment = false;
    let flag = loop {
        let (ch, timestamp) = pull_since(&app, &b.token, b.cursor).await;
        b.cursor = timestamp;
        seen_treatment |= rows(&ch, "treatments").iter().any(|r| r["id"] == late_id);
        if let Some(f) = rows(&ch, "flags")
            .iter()
            .find(|f| f["treatment_id"] == late_id && f["reason"] == "missed_logs")
        {
            break f.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no missed_logs flag for {late_id} reached B within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(seen_treatment);
    assert_eq!(
        (&flag["status"], &flag["severity"]),
        (&json!("open"), &json!("routine"))
    );
}

on_both_backends!(every_synced_write_reaches_a_second_device);

/// The reminder dispatcher (src/push/outbox.rs `fan_out`) moves a due
/// reminder from `pending` to `dispatched` (or `stale`) without bumping the
/// change counter, so a device that already synced never sees the new
/// `status`. Fails until that write bumps the counter.
async fn a_dispatched_reminder_reaches_a_second_device(backend: Backend) {
    let app = spawn_app_with(backend, &[("AFTERCARE_SCHEDULER_TICK_SECS", "1")]).await;
    let s = Scenario::on(app, 0.5, 1).await;
    let tok = s.patient.access_token.as_str();
    let mut b = Device::first_sync(&s.app, tok).await;
    // Only the log reminder, due this minute.
    remind_now(&s.app, tok).await;
    let ch = b.sync(&s.app).await;
    let soon = Utc::now().timestamp_millis() + 60_000;
    let due = rows(&ch, "reminders")
        .iter()
        .find(|r| r["kind"] == "log_symptoms" && r["due_at"].as_i64().unwrap() <= soon)
        .expect("a reminder due now")
        .clone();
    assert_eq!(due["status"], "pending");
    let id = due["id"].as_str().unwrap();

    // The dispatcher takes it within a tick or two; the server's own view shows it.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        let export = s.app.get("/v1/me/export", Some(tok)).await;
        let export = crate::helpers::export_json(export).await;
        let status = export["treatments"][0]["reminders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["status"].clone())
            .expect("reminder in the export");
        if status != "pending" {
            break status;
        }
        assert!(Instant::now() < deadline, "the dispatcher never took {id}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let (ch, _) = pull_since(&s.app, tok, b.cursor).await;
    let rec = rows(&ch, "reminders").iter().find(|r| r["id"] == id);
    assert_eq!(
        rec.map(|r| r["status"].clone()),
        Some(status.clone()),
        "reminders[{id}] became {status} on the server but device B's pull does not carry it: {}",
        ch["reminders"]
    );
}

/// The dispatcher's status changes (dispatched, stale) reach devices too.
mod a_dispatched_reminder_reaches_a_second_device {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_dispatched_reminder_reaches_a_second_device(crate::helpers::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_dispatched_reminder_reaches_a_second_device(crate::helpers::Backend::Postgres)
            .await
    }
}
