//! Treatments, daily logs, assessment, flags and clinician review over HTTP.

use chrono::{Days, NaiveDate, Utc};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, Backend, TestApp, TestPatient};
use crate::on_both_backends;

/// A clinic with a clinician and an enrolled patient treated `days_ago` days ago.
pub struct Scenario {
    pub app: TestApp,
    pub admin: String,
    pub doc: String,
    pub patient: TestPatient,
    pub treatment: Value,
}

impl Scenario {
    pub async fn new(backend: Backend, depth: f64, days_ago: i64) -> Self {
        Self::on(spawn_app(backend).await, depth, days_ago).await
    }

    pub async fn on(app: TestApp, depth: f64, days_ago: i64) -> Self {
        let clinic = app.new_clinic().await;
        let doc = app.add_clinician(&clinic).await;
        let patient = app.enrolled_patient(&doc, "Europe/Berlin", 2).await;
        let treatment = add_treatment(&app, &doc, &patient.id, depth, days_ago).await;
        Self {
            app,
            admin: clinic.admin_token,
            doc,
            patient,
            treatment,
        }
    }

    pub fn treatment_id(&self) -> &str {
        self.treatment["id"].as_str().unwrap()
    }

    pub fn date(&self, day: u64) -> NaiveDate {
        self.treatment["day0"]
            .as_str()
            .unwrap()
            .parse::<NaiveDate>()
            .unwrap()
            + Days::new(day)
    }

    pub async fn put_log(&self, day: u64, body: Value) -> reqwest::Response {
        self.app
            .put(
                &format!(
                    "/v1/treatments/{}/logs/{}",
                    self.treatment_id(),
                    self.date(day)
                ),
                Some(&self.patient.access_token),
                &body,
            )
            .await
    }

    pub async fn queue(&self, token: &str) -> Vec<Value> {
        let res = self.app.get("/v1/flags?status=open", Some(token)).await;
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .clone()
    }
}

pub async fn add_treatment(
    app: &TestApp,
    doc: &str,
    patient_id: &str,
    depth: f64,
    days_ago: i64,
) -> Value {
    let performed_at = (Utc::now() - chrono::Duration::days(days_ago)).to_rfc3339();
    let res = app
        .post(
            &format!("/v1/patients/{patient_id}/treatments"),
            Some(doc),
            &json!({"performed_at": performed_at, "area": "face", "depth_mm": depth, "addons": ["serum"], "session_number": 1}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

fn scores(r: i64, s: i64, f: i64, se: i64) -> Value {
    json!({"redness": r, "swelling": s, "flaking": f, "sensitivity": se})
}

async fn following_the_expected_course_raises_no_flag(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 7).await;
    assert_eq!(s.treatment["current_day"], 7);
    let timeline: Value = s
        .app
        .get(
            &format!("/v1/treatments/{}/timeline", s.treatment_id()),
            Some(&s.patient.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    for day in 0..=7u64 {
        let d = &timeline["days"][day as usize];
        let e = |k: &str| d[k]["expected"].as_f64().unwrap().round() as i64;
        let res = s
            .put_log(
                day,
                scores(e("redness"), e("swelling"), e("flaking"), e("sensitivity")),
            )
            .await;
        assert_eq!(res.status(), 201, "day {day}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["assessment"]["flags"], json!([]), "day {day}: {body}");
        assert!(body["assessment"]["standings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|st| st["standing"] == "within"));
    }
    assert!(s.queue(&s.doc).await.is_empty());
    // The timeline now shows the logged scores beside the expected ones.
    let timeline: Value = s
        .app
        .get(
            &format!("/v1/treatments/{}/timeline", s.treatment_id()),
            Some(&s.doc),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(timeline["days"][3]["redness"]["logged"].is_i64());
    assert!(timeline["days"][8]["redness"]["logged"].is_null());
}

async fn redness_far_above_on_day_5_is_flagged_urgent_for_this_clinic_only(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 6).await;
    let other_clinic = s.app.new_clinic().await;
    let other_doc = s.app.add_clinician(&other_clinic).await;

    let res = s.put_log(5, scores(8, 0, 1, 1)).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let redness = &body["assessment"]["standings"][0];
    assert_eq!(redness["symptom"], "redness");
    assert_eq!(redness["standing"], "far_above");
    let flags = body["assessment"]["flags"].as_array().unwrap();
    let above = flags
        .iter()
        .find(|f| f["reason"] == "above_upper_bound")
        .expect("above-bound flag");
    assert_eq!(above["severity"], "urgent");
    assert_eq!(above["day"], 5);

    let queue = s.queue(&s.doc).await;
    assert_eq!(queue[0]["severity"], "urgent");
    assert_eq!(queue[0]["patient_id"], s.patient.id.as_str());
    assert_eq!(queue[0]["patient_name"], "Pat Test");
    assert!(
        s.queue(&other_doc).await.is_empty(),
        "another clinic sees nothing"
    );
    assert!(s.queue(&other_clinic.admin_token).await.is_empty());
    assert_problem(
        s.app.get("/v1/flags", Some(&s.patient.access_token)).await,
        403,
    )
    .await;
}

async fn infection_signs_are_urgent_and_top_the_queue(backend: Backend) {
    let s = Scenario::new(backend, 1.0, 3).await;
    // A review-level flag first (red bumps)...
    let res = s.put_log(1, json!({"redness": 5, "swelling": 3, "flaking": 0, "sensitivity": 4, "signs": ["red_bumps"]})).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["assessment"]["flags"][0]["reason"], "red_bumps");
    assert_eq!(body["assessment"]["flags"][0]["severity"], "review");
    // ...then pus on a later day: urgent, and first in the queue although newer.
    let res = s
        .put_log(
            2,
            json!({"redness": 4, "swelling": 2, "flaking": 2, "sensitivity": 3, "signs": ["pus"]}),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    let infection = body["assessment"]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["reason"] == "infection_signs")
        .cloned();
    assert_eq!(infection.expect("infection flag")["severity"], "urgent");
    let queue = s.queue(&s.doc).await;
    let reasons: Vec<&str> = queue
        .iter()
        .map(|f| f["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.first(), Some(&"infection_signs"));
    assert!(reasons.contains(&"red_bumps"));
}

async fn one_active_flag_per_reason_is_updated_by_later_evidence(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 7).await;
    s.put_log(5, scores(8, 0, 1, 1)).await;
    s.put_log(6, scores(9, 0, 1, 1)).await;
    let queue = s.queue(&s.doc).await;
    let above: Vec<&Value> = queue
        .iter()
        .filter(|f| f["reason"] == "above_upper_bound")
        .collect();
    assert_eq!(above.len(), 1, "{queue:?}");
    assert_eq!(above[0]["day"], 6, "latest evidence");
}

async fn a_log_for_the_same_date_replaces_the_first(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 2).await;
    assert_eq!(s.put_log(1, scores(6, 4, 0, 5)).await.status(), 201);
    let res = s
        .put_log(
            1,
            json!({"redness": 5, "swelling": 3, "flaking": 0, "sensitivity": 4, "note": "better"}),
        )
        .await;
    assert_eq!(res.status(), 200);
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
    let items = logs["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["redness"], 5);
    assert_eq!(items[0]["note"], "better");
}

async fn bad_logs_are_refused_and_change_nothing(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 2).await;
    let field_of = |b: &Value| b["errors"][0]["field"].as_str().unwrap().to_string();
    let b = assert_problem(s.put_log(1, scores(11, 0, 0, 0)).await, 422).await;
    assert_eq!(field_of(&b), "redness");
    let b = assert_problem(
        s.put_log(
            1,
            json!({"redness": 3.5, "swelling": 0, "flaking": 0, "sensitivity": 0}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(field_of(&b), "redness");
    let b = assert_problem(s.put_log(1, json!({"redness": 1, "swelling": 0, "flaking": 0, "sensitivity": 0, "signs": ["sparkles"]})).await, 422).await;
    assert_eq!(field_of(&b), "signs[0]");
    let b = assert_problem(
        s.put_log(1, json!({"redness": 1, "swelling": 0, "flaking": 0}))
            .await,
        422,
    )
    .await;
    assert!(b["detail"].as_str().unwrap().contains("sensitivity"));
    let t = s.treatment_id();
    let path = |d: String| format!("/v1/treatments/{t}/logs/{d}");
    let tok = Some(s.patient.access_token.as_str());
    let before_day0 = (s.date(0) - Days::new(1)).to_string();
    let b = assert_problem(
        s.app
            .put(&path(before_day0), tok, &scores(1, 1, 1, 1))
            .await,
        422,
    )
    .await;
    assert_eq!(field_of(&b), "date");
    let tomorrow = (s.date(2) + Days::new(2)).to_string();
    let b = assert_problem(
        s.app.put(&path(tomorrow), tok, &scores(1, 1, 1, 1)).await,
        422,
    )
    .await;
    assert_eq!(field_of(&b), "date");
    assert_problem(
        s.app
            .put(&path("2026-02-30".into()), tok, &scores(1, 1, 1, 1))
            .await,
        422,
    )
    .await;
    assert_problem(
        s.app
            .put(&path("yesterday".into()), tok, &scores(1, 1, 1, 1))
            .await,
        422,
    )
    .await;
    // Staff cannot log for a patient; another patient cannot log on this treatment.
    assert_problem(
        s.app
            .put(
                &path(s.date(1).to_string()),
                Some(&s.doc),
                &scores(1, 1, 1, 1),
            )
            .await,
        403,
    )
    .await;
    let other = s.app.enrolled_patient(&s.doc, "UTC", 3).await;
    assert_problem(
        s.app
            .put(
                &path(s.date(1).to_string()),
                Some(&other.access_token),
                &scores(1, 1, 1, 1),
            )
            .await,
        404,
    )
    .await;
    assert_problem(
        s.app
            .get(&format!("/v1/treatments/{t}"), Some(&other.access_token))
            .await,
        404,
    )
    .await;

    let logs: Value = s
        .app
        .get(&format!("/v1/treatments/{t}/logs"), tok)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(logs["items"], json!([]), "nothing written");
    assert!(s.queue(&s.doc).await.is_empty());
}

async fn clinicians_acknowledge_and_resolve_flags_with_an_audit_trail(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 2).await;
    s.put_log(
        1,
        json!({"redness": 5, "swelling": 3, "flaking": 0, "sensitivity": 4, "signs": ["fever"]}),
    )
    .await;
    let flag = s.queue(&s.doc).await[0].clone();
    let id = flag["id"].as_str().unwrap();
    let ack = format!("/v1/flags/{id}/acknowledge");
    let resolve = format!("/v1/flags/{id}/resolve");

    let other = s.app.new_clinic().await;
    assert_problem(
        s.app.post(&ack, Some(&other.admin_token), &json!({})).await,
        404,
    )
    .await;
    assert_problem(
        s.app
            .post(&ack, Some(&s.patient.access_token), &json!({}))
            .await,
        403,
    )
    .await;

    let res = s
        .app
        .post(&ack, Some(&s.doc), &json!({"note": "called the patient"}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "acknowledged");
    assert_problem(s.app.post(&ack, Some(&s.doc), &json!({})).await, 409).await;
    assert_problem(s.app.post(&resolve, Some(&s.doc), &json!({})).await, 422).await;
    let res = s
        .app
        .post(
            &resolve,
            Some(&s.doc),
            &json!({"note": "antibiotics prescribed"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "resolved");
    assert_eq!(body["events"].as_array().unwrap().len(), 2);
    assert_problem(
        s.app
            .post(&resolve, Some(&s.doc), &json!({"note": "again"}))
            .await,
        409,
    )
    .await;
    assert_problem(s.app.post(&ack, Some(&s.doc), &json!({})).await, 409).await;
    assert!(s.queue(&s.doc).await.is_empty());

    // The recovery view carries the history with notes.
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
    let f = &rec["treatments"][0]["flags"][0];
    assert_eq!(f["events"][1]["note"], "antibiotics prescribed");
    assert_eq!(rec["treatments"][0]["logs"].as_array().unwrap().len(), 1);
    assert_problem(
        s.app
            .get(
                &format!("/v1/patients/{}/recovery", s.patient.id),
                Some(&other.admin_token),
            )
            .await,
        404,
    )
    .await;

    let audit: Value = s
        .app
        .get("/v1/audit", Some(&s.admin))
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "flag.acknowledged",
        "flag.resolved",
        "recovery.read",
        "treatment.create",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
}

async fn missed_logs_are_flagged_by_the_periodic_job(backend: Backend) {
    let app = spawn_app_with(backend, &[("AFTERCARE_JOB_INTERVAL_SECS", "1")]).await;
    let s = Scenario::on(app, 0.5, 4).await;
    s.put_log(0, scores(6, 4, 0, 5)).await;
    let mut found = None;
    for _ in 0..40 {
        let queue = s.queue(&s.doc).await;
        if let Some(f) = queue.into_iter().find(|f| f["reason"] == "missed_logs") {
            found = Some(f);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let flag = found.expect("missed-log flag raised by the job");
    assert_eq!(flag["treatment_id"], s.treatment_id());
}

async fn patients_see_their_treatments_and_todays_care(backend: Backend) {
    let s = Scenario::new(backend, 2.0, 0).await;
    let mine: Value = s
        .app
        .get("/v1/me/treatments", Some(&s.patient.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"][0]["id"], s.treatment_id());
    assert_eq!(mine["items"][0]["protocol"]["version"], 2);
    let care: Value = s
        .app
        .get(
            &format!("/v1/treatments/{}/care", s.treatment_id()),
            Some(&s.patient.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(care["day"], 0);
    let text = care.to_string().to_lowercase();
    assert!(text.contains("makeup"), "{text}");
    assert!(text.contains("retinol"));
    assert!(!care["call_clinic_if"].as_array().unwrap().is_empty());
    // Treatment fields are validated.
    let b = assert_problem(
        s.app
            .post(
                &format!("/v1/patients/{}/treatments", s.patient.id),
                Some(&s.doc),
                &json!({"performed_at": "yesterday", "area": "elbow", "depth_mm": 5.0, "addons": ["glitter"], "session_number": 0}),
            )
            .await,
        422,
    )
    .await;
    let fields: Vec<&str> = b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "performed_at",
            "area",
            "depth_mm",
            "addons[0]",
            "session_number"
        ]
    );
}

on_both_backends!(
    following_the_expected_course_raises_no_flag,
    redness_far_above_on_day_5_is_flagged_urgent_for_this_clinic_only,
    infection_signs_are_urgent_and_top_the_queue,
    one_active_flag_per_reason_is_updated_by_later_evidence,
    a_log_for_the_same_date_replaces_the_first,
    bad_logs_are_refused_and_change_nothing,
    clinicians_acknowledge_and_resolve_flags_with_an_audit_trail,
    missed_logs_are_flagged_by_the_periodic_job,
    patients_see_their_treatments_and_todays_care,
);

async fn clinics_tune_their_protocol_and_treatments_keep_their_version(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 6).await;
    let current: Value = s
        .app
        .get("/v1/protocols/current", Some(&s.doc))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(current["version"], 2, "the shipped default, version 2");
    assert_eq!(current["clinic_specific"], false);
    // A more tolerant redness bound on day 5.
    let mut tuned = current["definition"].clone();
    tuned["base"]["redness"]["upper"][5] = json!(9);
    assert_problem(s.app.post("/v1/protocols", Some(&s.doc), &tuned).await, 403).await;
    let mut broken = tuned.clone();
    broken["base"]["redness"]["upper"][5] = json!(11);
    assert_problem(
        s.app.post("/v1/protocols", Some(&s.admin), &broken).await,
        422,
    )
    .await;
    let res = s.app.post("/v1/protocols", Some(&s.admin), &tuned).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["version"], 3);
    let current: Value = s
        .app
        .get("/v1/protocols/current", Some(&s.doc))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            current["version"].clone(),
            current["clinic_specific"].clone()
        ),
        (json!(3), json!(true))
    );
    // The old treatment keeps version 2; a new one starts with version 3.
    let old: Value = s
        .app
        .get(
            &format!("/v1/treatments/{}", s.treatment_id()),
            Some(&s.doc),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(old["protocol"]["version"], 2);
    let new = add_treatment(&s.app, &s.doc, &s.patient.id, 0.5, 6).await;
    assert_eq!(new["protocol"]["version"], 3);
    // Another clinic still uses the shipped default.
    let other = s.app.new_clinic().await;
    let theirs: Value = s
        .app
        .get("/v1/protocols/current", Some(&other.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["version"], 2);
}

on_both_backends!(clinics_tune_their_protocol_and_treatments_keep_their_version);

/// A value of the server's metrics (the first series whose name and labels
/// start with `series`).
async fn metric(app: &TestApp, series: &str) -> f64 {
    let text = app.get("/metrics", None).await.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// A daily log on the expected course costs a handful of statements: BEGIN,
/// the treatment with its patient (one join), the logs so far, the change
/// counter, the upsert, COMMIT; a replacement of the same date the same.
/// Once a connection has run them, none is prepared again (its statement
/// cache holds them; a bound LIMIT, say, would make SQLite re-prepare). The counts come from the server's own counters, over
/// exactly these two units of work (a background job's work in between is
/// measured again).
async fn a_daily_log_costs_a_handful_of_statements(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 7).await;
    const STATEMENTS: &str = "aftercare_db_statements_total{kind=\"write\"} ";
    const PREPARED: &str = "aftercare_db_statements_prepared_total{kind=\"write\"} ";
    const UNITS: &str = "aftercare_db_phase_seconds_count{kind=\"write\",phase=\"commit\"} ";
    let on_course = scores(1, 0, 1, 1);
    let mut seen = Vec::new();
    for attempt in 0..6 {
        let before = counters(&s.app, [STATEMENTS, PREPARED, UNITS]).await;
        let first = s.put_log(3 + attempt, on_course.clone()).await;
        assert_eq!(first.status(), 201);
        let again = s.put_log(3 + attempt, on_course.clone()).await;
        assert_eq!(again.status(), 200);
        let after = counters(&s.app, [STATEMENTS, PREPARED, UNITS]).await;
        let [statements, prepared, units] = [0, 1, 2].map(|i| after[i] - before[i]);
        seen.push((statements, prepared, units));
        // The first round warms the statement cache of the connection; a
        // round that met another connection (one a background job opened)
        // is measured again, and so is one a background job's work joined.
        if attempt > 0 && units == 2.0 {
            assert_eq!(statements, 12.0, "statements of two PUTs");
            if prepared == 0.0 {
                return;
            }
        }
    }
    panic!("never measured two PUTs alone on a warm connection: {seen:?}");
}

async fn counters(app: &TestApp, series: [&str; 3]) -> [f64; 3] {
    [
        metric(app, series[0]).await,
        metric(app, series[1]).await,
        metric(app, series[2]).await,
    ]
}
on_both_backends!(a_daily_log_costs_a_handful_of_statements);
