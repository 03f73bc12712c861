//! Languages: the clinic's default locale, the patient's own, and every
//! patient-facing answer (care, timeline, log answers, signs, reminders,
//! sync rows) in the reader's locale, `Accept-Language` overriding it once.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::push_service::TestPushService;
use crate::recovery::Scenario;
use crate::reminders::{push_app, subscribe_and_remind_now};
use crate::sync::{pull, push};

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.request(Method::PATCH, path, Some(token), Some(&body))
        .await
}

async fn set_locale(app: &TestApp, token: &str, locale: &str) {
    let res = patch(app, "/v1/me/preferences", token, json!({"locale": locale})).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["locale"], locale);
}

/// GET with an optional `Accept-Language`; the answer's JSON and its
/// `Content-Language`.
async fn get_in(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    lang: Option<&str>,
) -> (Value, String) {
    let mut req = app.client.get(format!("{}{}", app.address, path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(l) = lang {
        req = req.header("Accept-Language", l);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    let cl = res
        .headers()
        .get("content-language")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (res.json().await.unwrap(), cl)
}

fn item<'a>(items: &'a Value, code: &str) -> &'a str {
    items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {items}"))["text"]
        .as_str()
        .unwrap()
}

async fn new_patients_get_the_clinics_default_locale_and_may_change_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let admin = &clinic.admin_token;
    let (settings, _) = get_in(&app, "/v1/clinic", Some(admin), None).await;
    assert_eq!(settings["default_locale"], "en");

    // Bad input changes nothing.
    for bad in [json!("de"), json!("tr-TR"), json!(1)] {
        let res = patch(&app, "/v1/clinic", admin, json!({"default_locale": bad})).await;
        let problem = assert_problem(res, 422).await;
        assert_eq!(problem["errors"][0]["field"], "default_locale", "{problem}");
    }
    let res = patch(&app, "/v1/clinic", admin, json!({"default_locale": "tr"})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["default_locale"], "tr");
    let (settings, _) = get_in(&app, "/v1/clinic", Some(admin), None).await;
    assert_eq!(settings["default_locale"], "tr");

    let doc = app.add_clinician(&clinic).await;
    let patient = app.enrolled_patient(&doc, "Europe/Istanbul", 3).await;
    let record = format!("/v1/patients/{}", patient.id);
    let tok = &patient.access_token;
    assert_eq!(
        get_in(&app, &record, Some(&doc), None).await.0["locale"],
        "tr"
    );
    assert_eq!(
        get_in(&app, "/v1/me", Some(tok), None).await.0["locale"],
        "tr"
    );
    let (prefs, _) = get_in(&app, "/v1/me/preferences", Some(tok), None).await;
    assert_eq!(prefs["locale"], "tr");

    for bad in [json!("xx"), json!(5), json!(null), json!("TR")] {
        let res = patch(&app, "/v1/me/preferences", tok, json!({"locale": bad})).await;
        let problem = assert_problem(res, 422).await;
        assert_eq!(problem["errors"][0]["field"], "locale", "{problem}");
    }
    assert_eq!(
        get_in(&app, &record, Some(&doc), None).await.0["locale"],
        "tr"
    );

    set_locale(&app, tok, "en").await;
    assert_eq!(
        get_in(&app, &record, Some(&doc), None).await.0["locale"],
        "en"
    );
    assert_eq!(
        get_in(&app, "/v1/me", Some(tok), None).await.0["locale"],
        "en"
    );
}

async fn care_timeline_and_log_answers_speak_the_callers_language(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 3).await;
    let tok = &s.patient.access_token;
    let care = format!("/v1/treatments/{}/care", s.treatment_id());

    // English by default.
    let (en, cl) = get_in(&s.app, &care, Some(tok), None).await;
    assert_eq!((en["locale"].as_str().unwrap(), cl.as_str()), ("en", "en"));
    assert!(item(&en["do"], "sunscreen").starts_with("Use a broad-spectrum sunscreen SPF 30"));
    assert_eq!(item(&en["call_clinic_if"], "fever"), "Fever or chills");

    set_locale(&s.app, tok, "tr").await;
    let (tr, cl) = get_in(&s.app, &care, Some(tok), None).await;
    assert_eq!((tr["locale"].as_str().unwrap(), cl.as_str()), ("tr", "tr"));
    assert!(
        item(&tr["do"], "sunscreen").starts_with("Her sabah SPF 30 veya üzeri"),
        "{tr}"
    );
    assert_eq!(item(&tr["call_clinic_if"], "fever"), "Ateş ya da titreme");
    // Same codes in the same order, whatever the language.
    let codes = |v: &Value, list: &str| -> Vec<Value> {
        v[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].clone())
            .collect()
    };
    for list in ["do", "dont", "call_clinic_if"] {
        assert_eq!(codes(&en, list), codes(&tr, list), "{list}");
    }

    // Accept-Language switches one answer, not the patient's locale.
    let (once, cl) = get_in(&s.app, &care, Some(tok), Some("en-GB,en;q=0.9")).await;
    assert_eq!(cl, "en");
    assert_eq!(once["do"], en["do"]);
    let (unknown, _) = get_in(&s.app, &care, Some(tok), Some("de-DE")).await;
    assert_eq!(unknown["locale"], "tr");
    let (again, _) = get_in(&s.app, &care, Some(tok), None).await;
    assert_eq!(again["do"], tr["do"]);
    // The clinician (English) reads the same day in their own language.
    let (doc_view, _) = get_in(&s.app, &care, Some(&s.doc), None).await;
    assert_eq!(doc_view["do"], en["do"]);

    let (timeline, _) = get_in(
        &s.app,
        &format!("/v1/treatments/{}/timeline", s.treatment_id()),
        Some(tok),
        None,
    )
    .await;
    assert_eq!(timeline["days"][0]["label"], "İşlem günü");
    assert_eq!(timeline["days"][3]["label"], "3. gün");

    // A log answer: flag labels and urgent advice in Turkish.
    let res = s
        .put_log(
            2,
            json!({"redness": 2, "swelling": 1, "flaking": 1, "sensitivity": 1,
                   "signs": ["pus", "lip_tongue_or_eye_swelling"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["content-language"], "tr");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["locale"], "tr");
    assert_eq!(
        body["emergency_advice"].as_str().unwrap(),
        "Hemen acil çağrı numarasını arayın: 112. Dudaklarda, dilde ya da gözlerde şişlik veya nefes almada güçlük ciddi bir alerjik reaksiyon olabilir ve hemen yardım gerektirir. Kliniğiniz de bilgilendirildi."
    );
    let flags = body["assessment"]["flags"].as_array().unwrap();
    let infection = flags
        .iter()
        .find(|f| f["reason"] == "infection_signs")
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(infection["label"], "Olası enfeksiyon");
    assert!(infection["explanation"]
        .as_str()
        .unwrap()
        .contains("Kliniğiniz bilgilendirildi"));
    // The staff's flag views are unchanged (codes only).
    assert!(s
        .queue(&s.doc)
        .await
        .iter()
        .all(|f| f.get("label").is_none()));

    // The same log again, answered in English for this one request.
    let res = s
        .app
        .client
        .put(format!(
            "{}/v1/treatments/{}/logs/{}",
            s.app.address,
            s.treatment_id(),
            s.date(2)
        ))
        .bearer_auth(tok)
        .header("Accept-Language", "en")
        .json(
            &json!({"redness": 2, "swelling": 1, "flaking": 1, "sensitivity": 1, "signs": ["pus"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let infection = body["assessment"]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["reason"] == "infection_signs")
        .unwrap()
        .clone();
    assert_eq!(infection["label"], "Possible infection");
}

async fn the_sign_list_follows_accept_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let (en, cl) = get_in(&app, "/v1/signs", None, None).await;
    assert_eq!((en["locale"].as_str().unwrap(), cl.as_str()), ("en", "en"));
    let (tr, cl) = get_in(&app, "/v1/signs", None, Some("tr-TR,tr;q=0.9,en;q=0.5")).await;
    assert_eq!((tr["locale"].as_str().unwrap(), cl.as_str()), ("tr", "tr"));
    let find = |v: &Value, code: &str| -> Value {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(find(&en, "pus")["label"], "Pus");
    assert_eq!(find(&tr, "pus")["label"], "İrin");
    assert_eq!(
        find(&tr, "trouble_breathing")["label"],
        "Nefes almada ya da yutkunmada güçlük"
    );
    assert_eq!(find(&tr, "pus")["category"], find(&en, "pus")["category"]);
}

async fn a_turkish_patient_gets_a_turkish_web_push_reminder(backend: Backend) {
    let push_service = TestPushService::start().await;
    let s = Scenario::on(push_app(backend).await, 0.5, 1).await;
    let key: Value = s
        .app
        .get("/v1/push/vapid-public-key", None)
        .await
        .json()
        .await
        .unwrap();
    push_service.expect_server_key(key["public_key"].as_str().unwrap());
    set_locale(&s.app, &s.patient.access_token, "tr").await;
    let browser = push_service.subscriber();
    subscribe_and_remind_now(&s.app, &s.patient.access_token, &browser).await;

    // What the push service decrypted.
    let got = push_service.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 1, "failures: {:?}", push_service.failures());
    let p = &got[0].payload;
    assert_eq!(p["kind"], "log_symptoms");
    assert_eq!(p["locale"], "tr");
    assert_eq!(p["title"], "Cildiniz bugün nasıl?");
    assert!(
        p["body"]
            .as_str()
            .unwrap()
            .starts_with("İyileşmenizin 1. günü. Kızarıklık, şişlik, soyulma"),
        "{p}"
    );
    assert_eq!(p["title_code"], "reminder-log_symptoms-title");
    assert_eq!(p["code"], "reminder-log_symptoms-body");
    assert_eq!(p["args"], json!({"day": 1}));
    assert_eq!(p["day"], 1);
    let text = p.to_string();
    assert!(!text.contains(['\u{2068}', '\u{2069}']), "{text}");
}

async fn sync_carries_the_locale_both_ways_and_resends_care_in_it(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 3).await;
    let tok = &s.patient.access_token;
    set_locale(&s.app, tok, "tr").await;
    let first = pull(&s.app, tok, None).await;
    let ch = &first["changes"];
    let prefs = &ch["preferences"]["updated"][0];
    assert_eq!(prefs["locale"], "tr");
    let care_row = ch["care_instructions"]["updated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["day"] == 3)
        .unwrap()
        .clone();
    assert_eq!(care_row["locale"], "tr");
    let do_items: Value = serde_json::from_str(care_row["do_items"].as_str().unwrap()).unwrap();
    assert!(item(&do_items, "sunscreen").starts_with("Her sabah SPF 30"));
    let call: Value = serde_json::from_str(care_row["call_clinic_if"].as_str().unwrap()).unwrap();
    assert_eq!(item(&call, "pus"), "İrin, sarı kabuklar ya da sızıntı");
    let day = ch["timeline_days"]["updated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["day"] == 3)
        .unwrap()
        .clone();
    assert_eq!(day["label"], "3. gün");

    // The device switches to English: care rows come down again in it.
    let t = first["timestamp"].as_i64().unwrap();
    let mut record = prefs.clone();
    record["locale"] = json!("xx");
    let res = push(
        &s.app,
        tok,
        t,
        json!({"preferences": {"created": [], "updated": [record.clone()], "deleted": []}}),
    )
    .await;
    let problem = assert_problem(res, 422).await;
    assert!(problem.to_string().contains("locale"), "{problem}");
    // A client that knows the column but never set it sends "": kept.
    record["locale"] = json!("");
    let res = push(
        &s.app,
        tok,
        t,
        json!({"preferences": {"created": [], "updated": [record.clone()], "deleted": []}}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let (prefs, _) = get_in(&s.app, "/v1/me/preferences", Some(tok), None).await;
    assert_eq!(prefs["locale"], "tr");
    let t = pull(&s.app, tok, Some(t)).await["timestamp"]
        .as_i64()
        .unwrap();
    record["locale"] = json!("en");
    let res = push(
        &s.app,
        tok,
        t,
        json!({"preferences": {"created": [], "updated": [record], "deleted": []}}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let (prefs, _) = get_in(&s.app, "/v1/me/preferences", Some(tok), None).await;
    assert_eq!(prefs["locale"], "en");
    let next = pull(&s.app, tok, Some(t)).await;
    let ch = &next["changes"];
    assert_eq!(ch["preferences"]["updated"][0]["locale"], "en");
    let care_rows = ch["care_instructions"]["updated"].as_array().unwrap();
    assert!(!care_rows.is_empty(), "care rows are re-sent: {ch}");
    let row = care_rows.iter().find(|r| r["day"] == 3).unwrap();
    assert_eq!(row["locale"], "en");
    let do_items: Value = serde_json::from_str(row["do_items"].as_str().unwrap()).unwrap();
    assert!(item(&do_items, "sunscreen").starts_with("Use a broad-spectrum"));
}

on_both_backends!(
    new_patients_get_the_clinics_default_locale_and_may_change_it,
    care_timeline_and_log_answers_speak_the_callers_language,
    the_sign_list_follows_accept_language,
    a_turkish_patient_gets_a_turkish_web_push_reminder,
    sync_carries_the_locale_both_ways_and_resends_care_in_it,
);
