//! Issue 19 part B over HTTP: risk factors and contraindications, products,
//! sessions in a series, late check-ins and logs, care by area.

use chrono::{Days, NaiveDate, Utc};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, Backend, TestApp, TestPatient};
use crate::on_both_backends;
use crate::sync::pull;

const CONTRAINDICATIONS: [&str; 6] = [
    "psoriasis",
    "eczema",
    "active_acne",
    "rosacea",
    "recent_radiation",
    "isotretinoin_6_months",
];

/// A clinic (admin token), a clinician and an enrolled patient of a skin type.
struct Clinic {
    app: TestApp,
    admin: String,
    doc: String,
    patient: TestPatient,
}

impl Clinic {
    async fn on(app: TestApp, fitzpatrick: i64) -> Self {
        let clinic = app.new_clinic().await;
        let doc = app.add_clinician(&clinic).await;
        let patient = app
            .enrolled_patient(&doc, "Europe/Berlin", fitzpatrick)
            .await;
        Self {
            app,
            admin: clinic.admin_token,
            doc,
            patient,
        }
    }

    async fn new(backend: Backend, fitzpatrick: i64) -> Self {
        Self::on(spawn_app(backend).await, fitzpatrick).await
    }

    /// Registers a treatment `days_ago` days ago with `extra` fields merged in.
    async fn register(&self, days_ago: i64, extra: Value) -> reqwest::Response {
        let performed_at = (Utc::now() - chrono::Duration::days(days_ago)).to_rfc3339();
        let mut body = json!({"performed_at": performed_at, "area": "face", "depth_mm": 0.5});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.app
            .post(
                &format!("/v1/patients/{}/treatments", self.patient.id),
                Some(&self.doc),
                &body,
            )
            .await
    }

    async fn registered(&self, days_ago: i64, extra: Value) -> Value {
        let res = self.register(days_ago, extra).await;
        assert_eq!(res.status(), 201);
        res.json().await.unwrap()
    }

    async fn audit_actions(&self, subject: &str) -> Vec<String> {
        let audit: Value = self
            .app
            .get("/v1/audit", Some(&self.admin))
            .await
            .json()
            .await
            .unwrap();
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["subject_id"] == subject)
            .map(|e| e["action"].as_str().unwrap().to_string())
            .collect()
    }

    async fn my_treatment_count(&self) -> usize {
        let res = self
            .app
            .get("/v1/me/treatments", Some(&self.patient.access_token))
            .await;
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .len()
    }

    async fn get(&self, path: &str, token: &str) -> Value {
        let res = self.app.get(path, Some(token)).await;
        assert_eq!(res.status(), 200, "{path}");
        res.json().await.unwrap()
    }
}

fn warning_codes(t: &Value) -> Vec<&str> {
    t["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect()
}

async fn assert_contraindicated(res: reqwest::Response, named: &[&str]) {
    let body = assert_problem(res, 422).await;
    let kind = body["type"].as_str().unwrap();
    assert!(kind.ends_with("contraindicated"), "{kind}");
    assert_eq!(body["contraindications"], json!(named));
    let detail = body["detail"].as_str().unwrap();
    for n in named {
        assert!(detail.contains(n), "{detail}");
    }
}

async fn each_contraindication_is_refused_unless_overridden(backend: Backend) {
    let c = Clinic::new(backend, 2).await;
    for (i, factor) in CONTRAINDICATIONS.iter().enumerate() {
        // Sessions far apart, so the only warning is the override.
        let days_ago = 300 - 40 * i as i64;
        let refused = c
            .register(
                days_ago,
                json!({"risk_factors": [factor, "cold_sore_history"]}),
            )
            .await;
        assert_contraindicated(refused, &[factor]).await;
        // A blank reason is no reason.
        let blank = c
            .register(
                days_ago,
                json!({"risk_factors": [factor], "override_reason": "  "}),
            )
            .await;
        assert_contraindicated(blank, &[factor]).await;
        assert_eq!(c.my_treatment_count().await, i, "nothing stored");

        let t = c
            .registered(
                days_ago,
                json!({"risk_factors": [factor], "override_reason": "dermatologist cleared the area"}),
            )
            .await;
        assert_eq!(warning_codes(&t), ["contraindication_overridden"]);
        assert_eq!(
            t["warnings"][0]["details"]["contraindications"],
            json!([factor])
        );
        assert_eq!(t["risk_factors"], json!([factor]));
        let id = t["id"].as_str().unwrap();
        let actions = c.audit_actions(id).await;
        assert!(
            actions.contains(&"treatment.contraindication_override".to_string()),
            "{actions:?}"
        );
        // The override reason is staff-only: the patient never sees it.
        let mine = c
            .get(&format!("/v1/treatments/{id}"), &c.patient.access_token)
            .await;
        assert!(!mine.to_string().contains("dermatologist"));
    }
    // Several at once are all named, in order.
    let refused = c
        .register(
            1,
            json!({"risk_factors": ["rosacea", "eczema", "anticoagulants"]}),
        )
        .await;
    assert_contraindicated(refused, &["eczema", "rosacea"]).await;
    // An unknown factor is a plain validation error naming the field.
    let body = assert_problem(c.register(1, json!({"risk_factors": ["gout"]})).await, 422).await;
    assert_eq!(body["errors"][0]["field"], "risk_factors[0]");

    // Erasing the patient takes the overrides with the treatments; the
    // clinic keeps its audit rows (ids and actions only).
    let res = c
        .app
        .request(
            reqwest::Method::DELETE,
            "/v1/me",
            Some(&c.patient.access_token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        c.get("/v1/audit", &c.admin).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "treatment.contraindication_override")
            .count(),
        CONTRAINDICATIONS.len()
    );
}

async fn pregnancy_refuses_prp_and_peel(backend: Backend) {
    let c = Clinic::new(backend, 2).await;
    for addons in [json!(["prp"]), json!(["serum", "peel"])] {
        let res = c
            .register(
                100,
                json!({"risk_factors": ["pregnancy"], "addons": addons}),
            )
            .await;
        assert_contraindicated(res, &["pregnancy"]).await;
    }
    let plain = c
        .registered(
            100,
            json!({"risk_factors": ["pregnancy"], "addons": ["serum"]}),
        )
        .await;
    assert_eq!(warning_codes(&plain), Vec::<&str>::new());
    let overridden = c
        .registered(
            50,
            json!({"risk_factors": ["pregnancy"], "addons": ["prp"], "override_reason": "obstetrician agreed"}),
        )
        .await;
    assert_eq!(warning_codes(&overridden), ["contraindication_overridden"]);
}

async fn keloid_tendency_deeper_than_one_mm_is_a_warning(backend: Backend) {
    let c = Clinic::new(backend, 2).await;
    let shallow = c
        .registered(
            200,
            json!({"risk_factors": ["keloid_tendency"], "depth_mm": 1.0}),
        )
        .await;
    assert_eq!(warning_codes(&shallow), Vec::<&str>::new());
    let deep = c
        .registered(
            100,
            json!({"risk_factors": ["keloid_tendency"], "depth_mm": 1.5}),
        )
        .await;
    assert_eq!(warning_codes(&deep), ["keloid_tendency_deep"]);
    assert_eq!(deep["warnings"][0]["details"]["depth_mm"], 1.5);
}

async fn sessions_form_a_series_and_too_soon_is_a_warning(backend: Backend) {
    let c = Clinic::new(backend, 2).await;
    let first = c.registered(40, json!({})).await;
    assert_eq!(first["session_number"], 1);
    assert_eq!(first["previous_treatment_id"], Value::Null);
    assert_eq!(warning_codes(&first), Vec::<&str>::new());

    // 20 days later on the face (28-day minimum): registered, with a warning.
    let second = c.registered(20, json!({})).await;
    assert_eq!(second["previous_treatment_id"], first["id"]);
    assert_eq!(second["session_number"], 2);
    assert_eq!(warning_codes(&second), ["session_too_soon"]);
    let w = &second["warnings"][0]["details"];
    // 20 days apart, in the patient's local dates (19 or 21 when a clock
    // change between them moves one across midnight).
    let local_days = |t: &Value| t["day0"].as_str().unwrap().parse::<NaiveDate>().unwrap();
    assert_eq!(
        w["days_since_previous"],
        (local_days(&second) - local_days(&first)).num_days()
    );
    assert_eq!(w["min_interval_days"], 28);
    assert_eq!(w["previous_treatment_id"], first["id"]);
    let second_id = second["id"].as_str().unwrap();
    let actions = c.audit_actions(second_id).await;
    assert!(actions.contains(&"treatment.session_too_soon".to_string()));
    assert!(actions.contains(&"treatment.create".to_string()));
    let first_actions = c.audit_actions(first["id"].as_str().unwrap()).await;
    assert!(!first_actions.contains(&"treatment.session_too_soon".to_string()));

    // The scalp's minimum is 14 days: 15 days later is fine, and its
    // next-session reminder comes on day 14.
    let third = c
        .registered(5, json!({"area": "scalp", "session_number": 3}))
        .await;
    assert_eq!(third["previous_treatment_id"], second["id"]);
    assert_eq!(warning_codes(&third), Vec::<&str>::new());
    let plan = c
        .get(
            &format!("/v1/treatments/{}/reminders", third["id"].as_str().unwrap()),
            &c.doc,
        )
        .await;
    let next: Vec<&Value> = plan["plan"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "next_session")
        .collect();
    assert_eq!(next.len(), 1);
    assert_eq!(
        (next[0]["first_day"].clone(), next[0]["last_day"].clone()),
        (json!(14), json!(14))
    );

    // A session number that does not follow the series is a warning.
    let out_of_series = c
        .registered(
            0,
            json!({"area": "body", "session_number": 7, "previous_treatment_id": first["id"]}),
        )
        .await;
    assert_eq!(out_of_series["previous_treatment_id"], first["id"]);
    assert_eq!(
        warning_codes(&out_of_series),
        ["session_number_out_of_series"]
    );

    // The previous session must be an earlier treatment of this patient.
    let later = c
        .register(30, json!({"previous_treatment_id": second["id"]}))
        .await;
    let body = assert_problem(later, 422).await;
    assert_eq!(body["errors"][0]["field"], "previous_treatment_id");
    let other = c.app.enrolled_patient(&c.doc, "Europe/Berlin", 2).await;
    let res = c
        .app
        .post(
            &format!("/v1/patients/{}/treatments", other.id),
            Some(&c.doc),
            &json!({"performed_at": Utc::now().to_rfc3339(), "area": "face", "depth_mm": 0.5, "previous_treatment_id": first["id"]}),
        )
        .await;
    let body = assert_problem(res, 422).await;
    assert_eq!(body["errors"][0]["field"], "previous_treatment_id");
}

fn check_in_rules(plan: &Value) -> Vec<i64> {
    plan["plan"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "check_in")
        .map(|r| {
            assert_eq!(r["first_day"], r["last_day"]);
            assert_eq!(r["times"], json!(["20:00"]));
            r["first_day"].as_i64().unwrap()
        })
        .collect()
}

fn upcoming_check_ins(plan: &Value) -> Vec<(i64, String)> {
    plan["upcoming"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "check_in")
        .map(|o| {
            (
                o["day"].as_i64().unwrap(),
                o["local_date"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn day(t: &Value, n: u64) -> String {
    (t["day0"].as_str().unwrap().parse::<NaiveDate>().unwrap() + Days::new(n)).to_string()
}

async fn check_ins_are_materialised_on_their_days(backend: Backend) {
    let app = spawn_app(backend).await;
    // Type II at 1.0 mm: days 21 and 28 only. Registered 20 days ago, the
    // 48 hours ahead hold day 21's check-in.
    let light = Clinic::on(app, 2).await;
    let t = light.registered(20, json!({"depth_mm": 1.0})).await;
    assert_eq!(t["check_in_days"], json!([21, 28]));
    let id = t["id"].as_str().unwrap();
    let plan = light
        .get(
            &format!("/v1/treatments/{id}/reminders"),
            &light.patient.access_token,
        )
        .await;
    assert_eq!(check_in_rules(&plan), [21, 28]);
    assert_eq!(upcoming_check_ins(&plan), [(21, day(&t, 21))]);
    let timeline = light
        .get(
            &format!("/v1/treatments/{id}/timeline"),
            &light.patient.access_token,
        )
        .await;
    let days = timeline["days"].as_array().unwrap();
    assert_eq!(
        days.last().unwrap()["day"],
        28,
        "the timeline runs to the last check-in"
    );

    // Type V: also days 42 and 56; 41 days ago, day 42's is materialised.
    let dark = Clinic::on(light.app, 5).await;
    let t = dark.registered(41, json!({"depth_mm": 1.0})).await;
    assert_eq!(t["check_in_days"], json!([21, 28, 42, 56]));
    let id = t["id"].as_str().unwrap();
    let plan = dark
        .get(
            &format!("/v1/treatments/{id}/reminders"),
            &dark.patient.access_token,
        )
        .await;
    assert_eq!(check_in_rules(&plan), [21, 28, 42, 56]);
    assert_eq!(upcoming_check_ins(&plan), [(42, day(&t, 42))]);
    // Darker skin: midday sunscreen to day 14, morning to the next session.
    let sunscreen: Vec<(i64, i64)> = plan["plan"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "sunscreen")
        .map(|r| {
            (
                r["first_day"].as_i64().unwrap(),
                r["last_day"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(sunscreen, [(1, 28), (1, 14)]);
    let timeline = dark
        .get(
            &format!("/v1/treatments/{id}/timeline"),
            &dark.patient.access_token,
        )
        .await;
    assert_eq!(
        timeline["days"].as_array().unwrap().last().unwrap()["day"],
        56
    );

    // Type II at 2.0 mm: the long watch too; 55 days ago, day 56's is next.
    let deep = Clinic::on(dark.app, 2).await;
    let t = deep.registered(55, json!({"depth_mm": 2.0})).await;
    assert_eq!(t["check_in_days"], json!([21, 28, 42, 56]));
    let id = t["id"].as_str().unwrap();
    let plan = deep
        .get(&format!("/v1/treatments/{id}/reminders"), &deep.doc)
        .await;
    assert_eq!(check_in_rules(&plan), [21, 28, 42, 56]);
    assert_eq!(upcoming_check_ins(&plan), [(56, day(&t, 56))]);
}

async fn logs_are_accepted_through_day_90(backend: Backend) {
    let c = Clinic::new(backend, 2).await;
    let t = c.registered(95, json!({})).await;
    let id = t["id"].as_str().unwrap();
    let put = |n: u64| {
        let path = format!("/v1/treatments/{id}/logs/{}", day(&t, n));
        let app = &c.app;
        let token = c.patient.access_token.clone();
        async move {
            app.put(
                &path,
                Some(&token),
                &json!({"redness": 0, "swelling": 0, "flaking": 0, "sensitivity": 0}),
            )
            .await
        }
    };
    let res = put(60).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["log"]["day"], 60);
    assert_eq!(put(90).await.status(), 201);
    let body = assert_problem(put(91).await, 422).await;
    assert_eq!(body["errors"][0]["field"], "date");
    assert!(body["detail"].as_str().unwrap().contains("day 90"));
    let logs = c
        .get(
            &format!("/v1/treatments/{id}/logs"),
            &c.patient.access_token,
        )
        .await;
    assert_eq!(logs["items"].as_array().unwrap().len(), 2);
}

async fn a_missed_check_in_is_flagged(backend: Backend) {
    let app = spawn_app_with(backend, &[("AFTERCARE_JOB_INTERVAL_SECS", "1")]).await;
    let c = Clinic::on(app, 2).await;
    // Day 25 today: every daily log, but none around the day-21 check-in.
    let t = c.registered(25, json!({})).await;
    let id = t["id"].as_str().unwrap();
    for n in 0..=14 {
        let res = c
            .app
            .put(
                &format!("/v1/treatments/{id}/logs/{}", day(&t, n)),
                Some(&c.patient.access_token),
                &json!({"redness": 0, "swelling": 0, "flaking": 0, "sensitivity": 0}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let mut found = None;
    for _ in 0..40 {
        let queue = c.get("/v1/flags?status=open", &c.doc).await;
        // The job may run before the daily logs are in; wait for the flag's
        // evidence to reflect them.
        if let Some(f) = queue["items"].as_array().unwrap().iter().find(|f| {
            f["reason"] == "missed_logs"
                && f["treatment_id"] == id
                && f["evidence"]["runs"] == json!([])
        }) {
            found = Some(f.clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let flag = found.expect("missed check-in flagged by the job");
    assert_eq!(flag["severity"], "routine");
    assert_eq!(flag["evidence"]["runs"], json!([]));
    assert_eq!(
        flag["evidence"]["missed_check_ins"],
        json!([{"day": 21, "date": day(&t, 21)}])
    );

    // Resolved, the same missed check-in does not page again.
    let res = c
        .app
        .post(
            &format!("/v1/flags/{}/resolve", flag["id"].as_str().unwrap()),
            Some(&c.doc),
            &json!({"note": "called; she is fine"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let queue = c.get("/v1/flags?status=open", &c.doc).await;
    let again: Vec<&Value> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["treatment_id"] == id)
        .collect();
    assert!(again.is_empty(), "{again:?}");
}

async fn care_follows_the_area_and_risk_factors(backend: Backend) {
    let c = Clinic::new(backend, 2).await;
    let codes = |care: &Value, list: &str| -> Vec<String> {
        care[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap().to_string())
            .collect()
    };
    let face = c.registered(40, json!({})).await;
    let scalp = c
        .registered(
            0,
            json!({"area": "scalp", "risk_factors": ["cold_sore_history", "anticoagulants"]}),
        )
        .await;
    let care_of = |t: &Value| format!("/v1/treatments/{}/care", t["id"].as_str().unwrap());
    let scalp_care = c.get(&care_of(&scalp), &c.patient.access_token).await;
    assert_eq!(scalp_care["day"], 0);
    let text = scalp_care.to_string().to_lowercase();
    assert!(
        !text.contains("makeup") && !text.contains("pillow"),
        "{text}"
    );
    assert!(codes(&scalp_care, "dont").contains(&"no_hair_products".to_string()));
    let dos = codes(&scalp_care, "do");
    assert!(dos.contains(&"antiviral".to_string()), "{dos:?}");
    assert!(dos.contains(&"bruising_may_last".to_string()), "{dos:?}");
    // The face treatment (day 40) is long past makeup advice; a face
    // treatment today gets it.
    let face_care = c.get(&care_of(&face), &c.doc).await;
    assert!(!codes(&face_care, "do").contains(&"antiviral".to_string()));
    let other = Clinic::on(c.app, 2).await;
    let today = other.registered(0, json!({})).await;
    let today_care = other
        .get(&care_of(&today), &other.patient.access_token)
        .await;
    assert!(codes(&today_care, "dont").contains(&"no_makeup".to_string()));
    assert!(!codes(&today_care, "do").contains(&"antiviral".to_string()));
}

async fn sync_carries_risk_factors_and_products(backend: Backend) {
    let c = Clinic::new(backend, 2).await;
    let first = c.registered(60, json!({})).await;
    let t = c
        .registered(
            3,
            json!({"risk_factors": ["keloid_tendency", "cold_sore_history"], "products": "  hyaluronic acid serum, batch 42 "}),
        )
        .await;
    assert_eq!(t["products"], "hyaluronic acid serum, batch 42");
    assert_eq!(
        t["risk_factors"],
        json!(["cold_sore_history", "keloid_tendency"])
    );
    let body = pull(&c.app, &c.patient.access_token, None).await;
    let rows = body["changes"]["treatments"]["updated"].as_array().unwrap();
    let row = rows.iter().find(|r| r["id"] == t["id"]).unwrap();
    let factors: Value = serde_json::from_str(row["risk_factors"].as_str().unwrap()).unwrap();
    assert_eq!(factors, json!(["cold_sore_history", "keloid_tendency"]));
    assert_eq!(row["products"], "hyaluronic acid serum, batch 42");
    assert_eq!(row["previous_treatment_id"], first["id"]);
    assert_eq!(row["session_number"], 2);
    let old = rows.iter().find(|r| r["id"] == first["id"]).unwrap();
    assert_eq!(old["risk_factors"], "[]");
    assert_eq!(old["products"], Value::Null);
    // Care rows run to the last check-in and carry the antiviral item.
    let care = body["changes"]["care_instructions"]["updated"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["treatment_id"] == t["id"])
        .collect::<Vec<_>>();
    assert_eq!(care.len(), 29);
    assert!(care.iter().find(|r| r["day"] == 0).unwrap()["do_items"]
        .as_str()
        .unwrap()
        .contains("antiviral"));
    // Over-long products are refused, naming the field.
    let body = assert_problem(
        c.register(1, json!({"products": "x".repeat(501)})).await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "products");
}

/// The reasons of the flags a log raised.
async fn log_reasons(c: &Clinic, t: &Value, n: u64, signs: &[&str]) -> Vec<String> {
    let res = c
        .app
        .put(
            &format!(
                "/v1/treatments/{}/logs/{}",
                t["id"].as_str().unwrap(),
                day(t, n)
            ),
            Some(&c.patient.access_token),
            &json!({"redness": 0, "swelling": 0, "flaking": 0, "sensitivity": 0, "signs": signs}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    body["assessment"]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["reason"].as_str().unwrap().to_string())
        .collect()
}

async fn risk_factors_reach_the_triage_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    let plain = Clinic::on(app, 2).await;
    let t = plain.registered(20, json!({})).await;
    assert_eq!(
        log_reasons(&plain, &t, 12, &["bruising"]).await,
        ["lingering_expected_signs"]
    );
    assert_eq!(
        log_reasons(&plain, &t, 13, &["blisters_or_cold_sores"]).await,
        ["infection_signs"]
    );

    let risky = Clinic::on(plain.app, 2).await;
    let t = risky
        .registered(
            20,
            json!({"risk_factors": ["anticoagulants", "cold_sore_history"]}),
        )
        .await;
    // Bruising lasts longer on anticoagulants; blisters are a possible
    // herpes reactivation with a history of cold sores.
    assert_eq!(
        log_reasons(&risky, &t, 12, &["bruising"]).await,
        Vec::<String>::new()
    );
    assert_eq!(
        log_reasons(&risky, &t, 13, &["blisters_or_cold_sores"]).await,
        ["cold_sore_reactivation"]
    );
}

on_both_backends!(
    risk_factors_reach_the_triage_rules,
    each_contraindication_is_refused_unless_overridden,
    pregnancy_refuses_prp_and_peel,
    keloid_tendency_deeper_than_one_mm_is_a_warning,
    sessions_form_a_series_and_too_soon_is_a_warning,
    check_ins_are_materialised_on_their_days,
    logs_are_accepted_through_day_90,
    a_missed_check_in_is_flagged,
    care_follows_the_area_and_risk_factors,
    sync_carries_risk_factors_and_products,
);
