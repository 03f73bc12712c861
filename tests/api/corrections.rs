//! Corrections of a clinic's records over HTTP: a patient's details,
//! discharge and readmission, a treatment's facts (re-planned, re-assessed,
//! audited with old and new values) and cancelling a treatment.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::push_service::TestPushService;
use crate::recovery::{add_treatment, Scenario};
use crate::reminders::{push_app, remind_now};
use crate::sync::pull;

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.request(Method::PATCH, path, Some(token), Some(&body))
        .await
}

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let code = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(code, status, "{body}");
    body
}

async fn upcoming(app: &TestApp, token: &str, treatment_id: &str) -> Vec<Value> {
    json_of(
        app.get(
            &format!("/v1/treatments/{treatment_id}/reminders"),
            Some(token),
        )
        .await,
        200,
    )
    .await["upcoming"]
        .as_array()
        .unwrap()
        .clone()
}

async fn audit(app: &TestApp, admin: &str, action: &str) -> Vec<Value> {
    let all = json_of(app.get("/v1/audit?limit=500", Some(admin)).await, 200).await;
    all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

async fn treatment_flags(app: &TestApp, doc: &str, patient_id: &str) -> Vec<Value> {
    let rec = json_of(
        app.get(&format!("/v1/patients/{patient_id}/recovery"), Some(doc))
            .await,
        200,
    )
    .await;
    rec["treatments"][0]["flags"].as_array().unwrap().clone()
}

fn upper(timeline: &Value, day: usize, symptom: &str) -> f64 {
    timeline["days"][day][symptom]["upper"].as_f64().unwrap()
}

/// Moves a treatment's registration into the past: the correction window
/// counts from it, and waiting a week is not an option in a test.
fn registered_days_ago(app: &TestApp, treatment_id: &str, days: i64) {
    use aftercare::db::schema::treatments as t;
    let at = (Utc::now() - chrono::Duration::days(days)).timestamp_millis();
    let mut conn = app.db.conn().unwrap();
    diesel::update(t::table.find(treatment_id))
        .set(t::created_at.eq(at))
        .execute(&mut **conn)
        .unwrap();
}

async fn a_treatment_correction_replans_and_reassesses_with_an_audit_trail(backend: Backend) {
    let s = Scenario::new(backend, 2.5, 4).await;
    let id = s.treatment_id().to_string();
    let path = format!("/v1/treatments/{id}");
    let timeline = json_of(
        s.app.get(&format!("{path}/timeline"), Some(&s.doc)).await,
        200,
    )
    .await;
    // Day 3 redness within the 2.5 mm course but above the 0.5 mm one.
    let redness = upper(&timeline, 3, "redness").floor() as i64;
    let logged = json_of(
        s.put_log(
            3,
            json!({"redness": redness, "swelling": 0, "flaking": 0, "sensitivity": 0}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(logged["assessment"]["flags"], json!([]), "{logged}");
    assert!(treatment_flags(&s.app, &s.doc, &s.patient.id)
        .await
        .is_empty());

    // Shallower: the same log is now above its bound.
    let corrected = json_of(
        patch(&s.app, &path, &s.doc, json!({"depth_mm": 0.5})).await,
        200,
    )
    .await;
    assert_eq!(corrected["depth_mm"], 0.5);
    assert_eq!(
        corrected["correction"]["changes"]["depth_mm"],
        json!({"old": 2.5, "new": 0.5})
    );
    let shallow = json_of(
        s.app.get(&format!("{path}/timeline"), Some(&s.doc)).await,
        200,
    )
    .await;
    assert!(
        (redness as f64) > upper(&shallow, 3, "redness"),
        "the test needs a score above the shallower bound"
    );
    let raised: Vec<&Value> = corrected["correction"]["flags_raised"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["reason"] == "above_upper_bound")
        .collect();
    assert_eq!(raised.len(), 1, "{corrected}");
    let flag_id = raised[0]["id"].as_str().unwrap().to_string();
    assert_eq!(raised[0]["day"], 3);
    let flags = treatment_flags(&s.app, &s.doc, &s.patient.id).await;
    assert!(flags
        .iter()
        .any(|f| f["id"] == flag_id.as_str() && f["status"] == "open"));
    // The patient's app hears of the new flag.
    let pulled = pull(&s.app, &s.patient.access_token, None).await;
    assert!(pulled["changes"]["flags"]["updated"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == flag_id.as_str()));

    // Back to the true depth: the flag no longer holds; the service resolves it.
    let corrected = json_of(
        patch(&s.app, &path, &s.doc, json!({"depth_mm": 2.5})).await,
        200,
    )
    .await;
    let resolved = corrected["correction"]["flags_resolved"]
        .as_array()
        .unwrap();
    assert!(
        resolved.iter().any(|f| f["id"] == flag_id.as_str()),
        "{corrected}"
    );
    let flags = treatment_flags(&s.app, &s.doc, &s.patient.id).await;
    let flag = flags.iter().find(|f| f["id"] == flag_id.as_str()).unwrap();
    assert_eq!(flag["status"], "resolved");
    let last = flag["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "resolved");
    assert_eq!(last["actor_id"], "system");
    assert!(last["note"].as_str().unwrap().contains("corrected"));

    // The audit trail has both values of both corrections.
    let entries = audit(&s.app, &s.admin, "treatment.update").await;
    assert_eq!(entries.len(), 2);
    let depths: Vec<&Value> = entries
        .iter()
        .map(|e| &e["details"]["changes"]["depth_mm"])
        .collect();
    assert!(depths.contains(&&json!({"old": 2.5, "new": 0.5})));
    assert!(depths.contains(&&json!({"old": 0.5, "new": 2.5})));
    assert!(entries.iter().all(|e| e["subject_id"] == id.as_str()));

    // Performed two days later: day 0 moves, so do the reminders and log days.
    let before = upcoming(&s.app, &s.doc, &id).await;
    let old_day0: NaiveDate = s.treatment["day0"].as_str().unwrap().parse().unwrap();
    let performed: chrono::DateTime<Utc> = s.treatment["performed_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let later = (performed + chrono::Duration::days(2)).to_rfc3339();
    let corrected = json_of(
        patch(&s.app, &path, &s.doc, json!({"performed_at": later})).await,
        200,
    )
    .await;
    let new_day0: NaiveDate = corrected["day0"].as_str().unwrap().parse().unwrap();
    assert_eq!(new_day0, old_day0 + chrono::Days::new(2));
    let after = upcoming(&s.app, &s.doc, &id).await;
    assert!(!before.is_empty() && !after.is_empty());
    let date_of = |o: &Value| {
        o["local_date"]
            .as_str()
            .unwrap()
            .parse::<NaiveDate>()
            .unwrap()
    };
    for o in &before {
        assert_eq!(
            date_of(o),
            old_day0 + chrono::Days::new(o["day"].as_u64().unwrap())
        );
    }
    for o in &after {
        assert_eq!(
            date_of(o),
            new_day0 + chrono::Days::new(o["day"].as_u64().unwrap()),
            "{o}"
        );
    }
    let ids = |v: &[Value]| -> Vec<String> {
        v.iter()
            .map(|o| o["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        ids(&after).iter().all(|i| !ids(&before).contains(i)),
        "every unsent reminder was planned again"
    );
    let logs = json_of(s.app.get(&format!("{path}/logs"), Some(&s.doc)).await, 200).await;
    assert_eq!(logs["items"][0]["day"], 1);
    let entries = audit(&s.app, &s.admin, "treatment.update").await;
    let moved = entries
        .iter()
        .find(|e| e["details"]["changes"]["day0"].is_object())
        .expect("the performed_at correction is audited");
    assert_eq!(
        moved["details"]["changes"]["day0"],
        json!({"old": old_day0, "new": new_day0})
    );
    assert!(moved["details"]["changes"]["performed_at"]["old"].is_string());
}
on_both_backends!(a_treatment_correction_replans_and_reassesses_with_an_audit_trail);

async fn bad_or_late_corrections_are_refused_and_change_nothing(backend: Backend) {
    let s = Scenario::new(backend, 1.0, 3).await;
    let id = s.treatment_id().to_string();
    let path = format!("/v1/treatments/{id}");
    assert_eq!(
        s.put_log(
            2,
            json!({"redness": 3, "swelling": 2, "flaking": 1, "sensitivity": 2})
        )
        .await
        .status(),
        201
    );
    let original = json_of(s.app.get(&path, Some(&s.doc)).await, 200).await;
    let plan = upcoming(&s.app, &s.doc, &id).await;

    for (body, status) in [
        (json!({"depth_mm": 5.0}), 422),
        (json!({"area": "elbow"}), 422),
        (json!({"addons": ["glitter"]}), 422),
        (json!({"area": null}), 400),
        (json!({"depth": 1.5}), 400),
        (json!({"performed_at": "yesterday"}), 422),
        // Day 0 after the patient's day-2 log.
        (
            json!({"performed_at": (Utc::now() + chrono::Duration::days(1)).to_rfc3339()}),
            422,
        ),
        (json!({"products": "x".repeat(501)}), 422),
        // A contraindication needs an override reason.
        (json!({"risk_factors": ["psoriasis"]}), 422),
    ] {
        let res = patch(&s.app, &path, &s.doc, body.clone()).await;
        let code = res.status().as_u16();
        assert!(
            code == status || (status == 400 && code == 422),
            "{body}: {code}"
        );
        assert_problem(res, code).await;
    }
    let res = patch(
        &s.app,
        &path,
        &s.doc,
        json!({"risk_factors": ["psoriasis"]}),
    )
    .await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(problem["type"], "urn:aftercare:problem:contraindicated");
    // Patients do not correct treatments.
    assert_problem(
        patch(
            &s.app,
            &path,
            &s.patient.access_token,
            json!({"depth_mm": 1.5}),
        )
        .await,
        403,
    )
    .await;
    // Cancelling needs a reason.
    for body in [json!({}), json!({"reason": "   "}), json!({"reason": null})] {
        let res = s
            .app
            .post(&format!("{path}/cancel"), Some(&s.doc), &body)
            .await;
        let code = res.status().as_u16();
        assert!(code == 400 || code == 422, "{body}: {code}");
        assert_problem(res, code).await;
    }
    // Patient corrections are validated the same way.
    let ppath = format!("/v1/patients/{}", s.patient.id);
    for body in [
        json!({"fitzpatrick": 9}),
        json!({"timezone": "Mars/Olympus_Mons"}),
        json!({"email": "not an address"}),
        json!({"name": ""}),
        json!({"name": null}),
        json!({"nickname": "x"}),
    ] {
        let res = patch(&s.app, &ppath, &s.doc, body.clone()).await;
        let code = res.status().as_u16();
        assert!(code == 400 || code == 422, "{body}: {code}");
        assert_problem(res, code).await;
    }
    let taken = s.app.enrolled_patient(&s.doc, "UTC", 3).await;
    let taken_email = json_of(
        s.app
            .get(&format!("/v1/patients/{}", taken.id), Some(&s.doc))
            .await,
        200,
    )
    .await["email"]
        .clone();
    assert_problem(
        patch(
            &s.app,
            &ppath,
            &s.doc,
            json!({"email": taken_email, "name": "New Name"}),
        )
        .await,
        409,
    )
    .await;

    // Nothing changed.
    let now = json_of(s.app.get(&path, Some(&s.doc)).await, 200).await;
    for field in [
        "performed_at",
        "day0",
        "area",
        "depth_mm",
        "addons",
        "risk_factors",
        "products",
    ] {
        assert_eq!(now[field], original[field], "{field}");
    }
    assert_eq!(upcoming(&s.app, &s.doc, &id).await, plan);
    let patient = json_of(s.app.get(&ppath, Some(&s.doc)).await, 200).await;
    assert_eq!(patient["name"], "Pat Test");
    assert_eq!(patient["fitzpatrick"], 2);
    assert!(audit(&s.app, &s.admin, "treatment.update").await.is_empty());
    assert!(audit(&s.app, &s.admin, "patient.update").await.is_empty());
    assert!(audit(&s.app, &s.admin, "treatment.cancel").await.is_empty());

    // With a reason, the contraindication stands (and is audited as overridden).
    let ok = json_of(
        patch(
            &s.app,
            &path,
            &s.doc,
            json!({"risk_factors": ["psoriasis"], "override_reason": "plaques far from the face"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(ok["risk_factors"], json!(["psoriasis"]));
    assert_eq!(
        audit(&s.app, &s.admin, "treatment.contraindication_override")
            .await
            .len(),
        1
    );

    // After the correction window, corrections are refused.
    registered_days_ago(&s.app, &id, 8);
    let late = assert_problem(
        patch(&s.app, &path, &s.doc, json!({"depth_mm": 1.5})).await,
        409,
    )
    .await;
    assert!(
        late["detail"].as_str().unwrap().contains("7 days"),
        "{late}"
    );
    assert_eq!(
        json_of(s.app.get(&path, Some(&s.doc)).await, 200).await["depth_mm"],
        1.0
    );
}
on_both_backends!(bad_or_late_corrections_are_refused_and_change_nothing);

async fn a_patient_correction_moves_reminders_and_reaches_the_app(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 1).await;
    let id = s.treatment_id().to_string();
    let first = pull(&s.app, &s.patient.access_token, None).await;
    let since = first["timestamp"].as_i64().unwrap();
    let before = upcoming(&s.app, &s.doc, &id).await;
    let email = format!("fixed-{}@mail.example", uuid::Uuid::new_v4().simple());
    let ppath = format!("/v1/patients/{}", s.patient.id);
    let fixed = json_of(
        patch(
            &s.app,
            &ppath,
            &s.doc,
            json!({"name": "Ayşe Yılmaz", "email": email, "timezone": "Asia/Tokyo", "fitzpatrick": 5}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(fixed["name"], "Ayşe Yılmaz");
    assert_eq!(fixed["email"], email.as_str());
    assert_eq!(fixed["timezone"], "Asia/Tokyo");
    assert_eq!(fixed["fitzpatrick"], 5);

    // Same local times, new instants: unsent reminders follow the zone.
    let after = upcoming(&s.app, &s.doc, &id).await;
    let find = |v: &[Value], o: &Value| -> Option<Value> {
        v.iter()
            .find(|x| {
                x["kind"] == o["kind"]
                    && x["local_date"] == o["local_date"]
                    && x["local_time"] == o["local_time"]
            })
            .cloned()
    };
    let moved: Vec<(Value, Value)> = before
        .iter()
        .filter_map(|o| find(&after, o).map(|n| (o.clone(), n)))
        .collect();
    assert!(!moved.is_empty(), "before {before:?} after {after:?}");
    for (old, new) in &moved {
        assert_ne!(old["due_at"], new["due_at"], "{old} {new}");
    }

    // The app pulls the new zone (preferences) and the re-sent treatment.
    let changed = pull(&s.app, &s.patient.access_token, Some(since)).await;
    let prefs = changed["changes"]["preferences"]["updated"]
        .as_array()
        .unwrap();
    assert_eq!(prefs.len(), 1);
    assert_eq!(prefs[0]["timezone"], "Asia/Tokyo");
    assert_eq!(
        changed["changes"]["treatments"]["updated"][0]["id"],
        id.as_str()
    );

    // The patient signs in with the corrected address.
    let res = s
        .app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": email, "password": "patient password 1"}),
        )
        .await;
    assert_eq!(res.status(), 200);

    let entries = audit(&s.app, &s.admin, "patient.update").await;
    assert_eq!(entries.len(), 1);
    let changes = &entries[0]["details"]["changes"];
    assert_eq!(
        changes["timezone"],
        json!({"old": "Europe/Berlin", "new": "Asia/Tokyo"})
    );
    assert_eq!(changes["fitzpatrick"], json!({"old": 2, "new": 5}));
    assert_eq!(changes["name"]["new"], "Ayşe Yılmaz");
    assert_eq!(changes["email"]["new"], email.as_str());

    // The same values again change nothing and are not audited.
    json_of(
        patch(&s.app, &ppath, &s.doc, json!({"timezone": "Asia/Tokyo"})).await,
        200,
    )
    .await;
    assert_eq!(audit(&s.app, &s.admin, "patient.update").await.len(), 1);

    // Erasure drops the old and new values from the trail.
    let res = s
        .app
        .request(
            Method::DELETE,
            "/v1/me",
            Some(&s.patient.access_token),
            None,
        )
        .await;
    assert!(res.status().is_success());
    let entries = audit(&s.app, &s.admin, "patient.update").await;
    assert_eq!(entries.len(), 1);
    assert!(entries[0]["details"].is_null());
}
on_both_backends!(a_patient_correction_moves_reminders_and_reaches_the_app);

async fn discharge_stops_reminders_and_the_app_sees_it(backend: Backend) {
    let push = TestPushService::start().await;
    let s = Scenario::on(push_app(backend).await, 0.5, 1).await;
    let id = s.treatment_id().to_string();
    let key: Value = s
        .app
        .get("/v1/push/vapid-public-key", None)
        .await
        .json()
        .await
        .unwrap();
    push.expect_server_key(key["public_key"].as_str().unwrap());
    let browser = push.subscriber();
    let res = s
        .app
        .post(
            "/v1/push/subscriptions",
            Some(&s.patient.access_token),
            &browser.json(),
        )
        .await;
    assert_eq!(res.status(), 201);
    let first = pull(&s.app, &s.patient.access_token, None).await;
    let since = first["timestamp"].as_i64().unwrap();
    let planned = upcoming(&s.app, &s.doc, &id).await;
    assert!(!planned.is_empty());

    let ppath = format!("/v1/patients/{}", s.patient.id);
    let out = json_of(
        s.app
            .post(&format!("{ppath}/discharge"), Some(&s.doc), &json!({}))
            .await,
        200,
    )
    .await;
    assert!(out["discharged_at"].is_string());
    assert!(upcoming(&s.app, &s.doc, &id).await.is_empty());

    // The patient moves the log reminder to now: still nothing is planned.
    remind_now(&s.app, &s.patient.access_token).await;
    assert!(upcoming(&s.app, &s.patient.access_token, &id)
        .await
        .is_empty());
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(
        push.deliveries().is_empty(),
        "{:?}",
        push.deliveries().len()
    );
    // Nor can staff plan them.
    let plan = json_of(
        s.app
            .get(&format!("/v1/treatments/{id}/reminders"), Some(&s.doc))
            .await,
        200,
    )
    .await;
    let res = s
        .app
        .put(
            &format!("/v1/treatments/{id}/reminders"),
            Some(&s.doc),
            &json!({"rules": plan["plan"]["rules"]}),
        )
        .await;
    assert_problem(res, 409).await;

    // The app sees it on its next pull: the treatment carries discharged_at
    // and every planned reminder is deleted.
    let changed = pull(&s.app, &s.patient.access_token, Some(since)).await;
    let rows = changed["changes"]["treatments"]["updated"]
        .as_array()
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0]["discharged_at"].as_i64().unwrap() > 0);
    let deleted = changed["changes"]["reminders"]["deleted"]
        .as_array()
        .unwrap();
    for o in &planned {
        assert!(deleted.contains(&o["id"]), "{o} not deleted");
    }
    // The patient still signs in and reads; flags and logs stay.
    let mine = json_of(
        s.app
            .get("/v1/me/treatments", Some(&s.patient.access_token))
            .await,
        200,
    )
    .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);

    // Listed apart.
    let listed = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == s.patient.id.as_str())
    };
    let active = json_of(s.app.get("/v1/patients", Some(&s.doc)).await, 200).await;
    assert!(!listed(&active));
    let gone = json_of(
        s.app
            .get("/v1/patients?status=discharged", Some(&s.doc))
            .await,
        200,
    )
    .await;
    assert!(listed(&gone));
    let all = json_of(
        s.app.get("/v1/patients?status=all", Some(&s.doc)).await,
        200,
    )
    .await;
    assert!(listed(&all));
    assert_problem(
        s.app.get("/v1/patients?status=gone", Some(&s.doc)).await,
        422,
    )
    .await;
    assert_eq!(audit(&s.app, &s.admin, "patient.discharge").await.len(), 1);
    // Discharging again changes nothing.
    let again = json_of(
        s.app
            .post(&format!("{ppath}/discharge"), Some(&s.doc), &json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(again["discharged_at"], out["discharged_at"]);
    assert_eq!(audit(&s.app, &s.admin, "patient.discharge").await.len(), 1);

    // Readmitted: the reminder at this minute is planned and delivered, so
    // the silence above was the discharge's doing.
    let back = json_of(
        s.app
            .post(&format!("{ppath}/readmit"), Some(&s.doc), &json!({}))
            .await,
        200,
    )
    .await;
    assert!(back["discharged_at"].is_null());
    let got = push.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 1, "failures: {:?}", push.failures());
    assert_eq!(got[0].payload["kind"], "log_symptoms");
}
on_both_backends!(discharge_stops_reminders_and_the_app_sees_it);

async fn cancelling_a_treatment_removes_reminders_and_flags(backend: Backend) {
    let s = Scenario::new(backend, 1.0, 2).await;
    let id = s.treatment_id().to_string();
    let path = format!("/v1/treatments/{id}");
    let logged = json_of(
        s.put_log(
            1,
            json!({"redness": 4, "swelling": 3, "flaking": 0, "sensitivity": 3, "signs": ["hives"]}),
        )
        .await,
        201,
    )
    .await;
    assert!(!logged["assessment"]["flags"].as_array().unwrap().is_empty());
    let since = pull(&s.app, &s.patient.access_token, None).await["timestamp"]
        .as_i64()
        .unwrap();
    let planned = upcoming(&s.app, &s.doc, &id).await;
    assert!(!planned.is_empty());

    let cancelled = json_of(
        s.app
            .post(
                &format!("{path}/cancel"),
                Some(&s.doc),
                &json!({"reason": "registered for the wrong patient"}),
            )
            .await,
        200,
    )
    .await;
    assert!(cancelled["cancelled_at"].is_string());
    assert_eq!(
        cancelled["cancel_reason"],
        "registered for the wrong patient"
    );
    // Kept, visible as cancelled; the patient does not see the reason.
    let seen = json_of(s.app.get(&path, Some(&s.patient.access_token)).await, 200).await;
    assert_eq!(seen["cancelled_at"], cancelled["cancelled_at"]);
    assert!(seen.get("cancel_reason").is_none());

    assert!(upcoming(&s.app, &s.doc, &id).await.is_empty());
    let flags = treatment_flags(&s.app, &s.doc, &s.patient.id).await;
    assert!(!flags.is_empty());
    assert!(flags.iter().all(|f| f["status"] == "resolved"), "{flags:?}");
    assert!(s.queue(&s.doc).await.is_empty());

    // No new logs, over REST or sync.
    let res = s
        .put_log(
            2,
            json!({"redness": 2, "swelling": 1, "flaking": 1, "sensitivity": 1}),
        )
        .await;
    assert_problem(res, 422).await;
    let changed = pull(&s.app, &s.patient.access_token, Some(since)).await;
    let res = crate::sync::push(
        &s.app,
        &s.patient.access_token,
        changed["timestamp"].as_i64().unwrap(),
        json!({"symptom_logs": {"created": [{
            "id": "cancelledlog0001", "treatment_id": id, "log_date": s.date(2).to_string(),
            "redness": 2, "swelling": 1, "flaking": 1, "sensitivity": 1, "signs": "[]", "note": null
        }], "updated": [], "deleted": []}}),
    )
    .await;
    assert_problem(res, 422).await;
    let logs = json_of(s.app.get(&format!("{path}/logs"), Some(&s.doc)).await, 200).await;
    assert_eq!(logs["items"].as_array().unwrap().len(), 1);

    // The app sees it cancelled, its reminders deleted, its flags resolved.
    let row = &changed["changes"]["treatments"]["updated"][0];
    assert_eq!(row["id"], id.as_str());
    assert!(row["cancelled_at"].as_i64().unwrap() > 0);
    let deleted = changed["changes"]["reminders"]["deleted"]
        .as_array()
        .unwrap();
    for o in &planned {
        assert!(deleted.contains(&o["id"]), "{o} not deleted");
    }
    assert!(changed["changes"]["flags"]["updated"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["status"] == "resolved"));

    // Nothing more to do with it: no correction, no plan.
    assert_problem(
        patch(&s.app, &path, &s.doc, json!({"depth_mm": 1.5})).await,
        409,
    )
    .await;
    let plan = json_of(
        s.app.get(&format!("{path}/reminders"), Some(&s.doc)).await,
        200,
    )
    .await;
    let res = s
        .app
        .put(
            &format!("{path}/reminders"),
            Some(&s.doc),
            &json!({"rules": plan["plan"]["rules"]}),
        )
        .await;
    assert_problem(res, 409).await;
    // Cancelling again keeps the first reason.
    let again = json_of(
        s.app
            .post(
                &format!("{path}/cancel"),
                Some(&s.doc),
                &json!({"reason": "another"}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(again["cancel_reason"], "registered for the wrong patient");
    let entries = audit(&s.app, &s.admin, "treatment.cancel").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["details"]["reason"],
        "registered for the wrong patient"
    );
}
on_both_backends!(cancelling_a_treatment_removes_reminders_and_flags);

async fn another_clinic_gets_404_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let doc = app.add_clinician(&clinic).await;
    let patient = app.enrolled_patient(&doc, "Europe/Istanbul", 3).await;
    let treatment = add_treatment(&app, &doc, &patient.id, 1.0, 1).await;
    let tid = treatment["id"].as_str().unwrap();
    let elsewhere = app.new_clinic().await;
    let stranger = app.add_clinician(&elsewhere).await;
    let p = format!("/v1/patients/{}", patient.id);
    let t = format!("/v1/treatments/{tid}");
    for token in [&stranger, &elsewhere.admin_token] {
        assert_problem(
            patch(&app, &p, token, json!({"timezone": "UTC"})).await,
            404,
        )
        .await;
        assert_problem(
            app.post(&format!("{p}/discharge"), Some(token), &json!({}))
                .await,
            404,
        )
        .await;
        assert_problem(
            app.post(&format!("{p}/readmit"), Some(token), &json!({}))
                .await,
            404,
        )
        .await;
        assert_problem(patch(&app, &t, token, json!({"depth_mm": 2.0})).await, 404).await;
        assert_problem(
            app.post(
                &format!("{t}/cancel"),
                Some(token),
                &json!({"reason": "not ours"}),
            )
            .await,
            404,
        )
        .await;
    }
    let after = json_of(app.get(&p, Some(&doc)).await, 200).await;
    assert_eq!(after["timezone"], "Europe/Istanbul");
    assert!(after["discharged_at"].is_null());
    let after = json_of(app.get(&t, Some(&doc)).await, 200).await;
    assert_eq!(after["depth_mm"], 1.0);
    assert!(after["cancelled_at"].is_null());
    assert!(!upcoming(&app, &doc, tid).await.is_empty());
}
on_both_backends!(another_clinic_gets_404_and_changes_nothing);

async fn the_console_corrects_discharges_and_cancels(backend: Backend) {
    use crate::console::{csrf_in, sign_in};
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let patient = app
        .enrolled_patient(&clinic.admin_token, "Europe/Istanbul", 3)
        .await;
    let treatment = add_treatment(&app, &clinic.admin_token, &patient.id, 1.0, 2).await;
    let tid = treatment["id"].as_str().unwrap().to_string();
    let admin = sign_in(&app, &clinic.admin_email, &clinic.admin_password).await;
    let page_path = format!("/console/patients/{}", patient.id);
    let page = admin.page(&page_path).await;
    for action in [
        "/correct\"",
        "/discharge\"",
        &format!("/console/treatments/{tid}/correct\""),
        &format!("/console/treatments/{tid}/cancel\""),
    ] {
        assert!(page.contains(action), "{action} on the patient page");
    }
    let csrf = csrf_in(&page);
    let fix = format!("{page_path}/correct");
    let fields = [
        ("name", "Elif Kaya"),
        ("email", "elif.kaya@mail.example"),
        ("timezone", "Europe/Istanbul"),
        ("fitzpatrick", "4"),
    ];
    // Without the CSRF token: refused, nothing changed.
    let res = admin.post(&fix, &fields).await;
    assert!(res.status().is_client_error(), "{}", res.status());
    let mut with_csrf = vec![("csrf", csrf.as_str())];
    with_csrf.extend(fields);
    let res = admin.post(&fix, &with_csrf).await;
    assert_eq!(res.status(), 303);
    let p = json_of(
        app.get(
            &format!("/v1/patients/{}", patient.id),
            Some(&clinic.admin_token),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(p["name"], "Elif Kaya");
    assert_eq!(p["fitzpatrick"], 4);

    let discharge = format!("{page_path}/discharge");
    let res = admin.post(&discharge, &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 422, "not confirmed");
    let res = admin
        .post(&discharge, &[("csrf", &csrf), ("confirm", "yes")])
        .await;
    assert_eq!(res.status(), 303);
    let list = admin.page("/console/patients").await;
    let apart = &list[list
        .find("id=\"discharged\"")
        .expect("a discharged section")..];
    assert!(apart.contains("Elif Kaya"));
    assert!(upcoming(&app, &clinic.admin_token, &tid).await.is_empty());
    let res = admin
        .post(&format!("{page_path}/readmit"), &[("csrf", &csrf)])
        .await;
    assert_eq!(res.status(), 303);
    assert!(!upcoming(&app, &clinic.admin_token, &tid).await.is_empty());

    // The treatment form comes filled in; one field changed.
    let page = admin.page(&page_path).await;
    let form = &page[page
        .find(&format!("/console/treatments/{tid}/correct"))
        .unwrap()..];
    let value_of = |name: &str| -> String {
        let at = form.find(&format!("name=\"{name}\"")).unwrap();
        let v = &form[at..];
        let start = v.find("value=\"").unwrap() + 7;
        v[start..start + v[start..].find('"').unwrap()].to_string()
    };
    let performed = value_of("performed_at");
    let res = admin
        .post(
            &format!("/console/treatments/{tid}/correct"),
            &[
                ("csrf", &csrf),
                ("performed_at", &performed),
                ("area", "face"),
                ("depth_mm", "1.5"),
                ("addons", "serum"),
                ("products", ""),
                ("override_reason", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let t = json_of(
        app.get(&format!("/v1/treatments/{tid}"), Some(&clinic.admin_token))
            .await,
        200,
    )
    .await;
    assert_eq!(t["depth_mm"], 1.5);
    assert_eq!(t["performed_at"], treatment["performed_at"]);
    let entries = audit(&app, &clinic.admin_token, "treatment.update").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["details"]["changes"]["depth_mm"],
        json!({"old": 1.0, "new": 1.5})
    );
    let trail = admin.page("/console/audit").await;
    assert!(
        trail.contains("1.0 → 1.5"),
        "old and new values on the audit page"
    );

    let cancel = format!("/console/treatments/{tid}/cancel");
    let res = admin
        .post(&cancel, &[("csrf", &csrf), ("reason", " ")])
        .await;
    assert_eq!(res.status(), 422);
    let res = admin
        .post(&cancel, &[("csrf", &csrf), ("reason", "duplicate entry")])
        .await;
    assert_eq!(res.status(), 303);
    let page = admin.page(&page_path).await;
    assert!(page.contains("Cancelled"), "the page marks it cancelled");
    assert!(page.contains("duplicate entry"));
    assert!(!page.contains(&format!("/console/treatments/{tid}/cancel\"")));

    // Another clinic's staff reach nothing.
    let elsewhere = app.new_clinic().await;
    let stranger = sign_in(&app, &elsewhere.admin_email, &elsewhere.admin_password).await;
    let theirs = stranger.csrf().await;
    let res = stranger
        .post(
            &format!("{page_path}/discharge"),
            &[("csrf", &theirs), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status(), 404);
    let p = json_of(
        app.get(
            &format!("/v1/patients/{}", patient.id),
            Some(&clinic.admin_token),
        )
        .await,
        200,
    )
    .await;
    assert!(p["discharged_at"].is_null());
}
on_both_backends!(the_console_corrects_discharges_and_cancels);
