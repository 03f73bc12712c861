//! What people type: passwords (NIST SP 800-63B, one rule on the API and the
//! console) and look-alike text in names, notes and e-mails (issue 15: 10, 11).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, Backend};
use crate::on_both_backends;
use crate::recovery::Scenario;

fn field_errors(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn passwords_follow_one_rule_on_the_api_and_the_console(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let doc = app.add_clinician(&clinic).await;
    let staff = |email: &str, password: &str| json!({"email": email, "name": "Staff Member", "role": "clinician", "password": password});
    // Ten spaces, a common password, a full-width spelling of one.
    for weak in [
        "          ",
        "1234567890",
        "Qwertyuiop",
        "ｑｗｅｒｔｙｕｉｏｐ",
    ] {
        let email = format!("weak-{}@clinic.example", uuid::Uuid::new_v4().simple());
        let res = app
            .post("/v1/staff", Some(&clinic.admin_token), &staff(&email, weak))
            .await;
        let problem = assert_problem(res, 422).await;
        assert_eq!(field_errors(&problem), ["password"], "{weak:?}");
    }
    let patient = app.add_patient(&doc, "Europe/Istanbul", 3).await;
    let code = app.enrolment_code(&doc, &patient).await;
    let res = app
        .post(
            "/v1/auth/enrol",
            None,
            &json!({"code": code, "password": "            "}),
        )
        .await;
    assert_problem(res, 422).await;

    // Spaces around a password are part of it, on both doors.
    let email = format!("spaces-{}@clinic.example", uuid::Uuid::new_v4().simple());
    let password = "  tulip garden 42  ";
    let res = app
        .post(
            "/v1/staff",
            Some(&clinic.admin_token),
            &staff(&email, password),
        )
        .await;
    assert_eq!(res.status(), 201);
    app.login(&email, password).await;
    let res = crate::console::sign_in_response(&app, &email, password, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "console sign-in");
    let res = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": email, "password": password.trim()}),
        )
        .await;
    assert_problem(res, 401).await;
    let res = crate::console::sign_in_response(&app, &email, password.trim(), &[]).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "trimmed is another password"
    );
}

async fn look_alike_names_notes_and_emails_are_refused(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 2).await;
    let patient = |name: &str, email: &str| json!({"name": name, "email": email, "timezone": "Europe/Istanbul", "fitzpatrick": 3});
    let email = || format!("p{}@mail.example", uuid::Uuid::new_v4().simple());
    for (name, addr, field) in [
        ("Ayşe \u{202E}zıldıY", email(), "name"),
        ("\u{200B}\u{200B}", email(), "name"),
        ("\u{3164}", email(), "name"),
        (
            "Ayşe Yıldız",
            format!("ayse\u{200B}{}@mail.example", 1),
            "email",
        ),
        (
            "Ayşe Yıldız",
            "p\u{430}ypal@mail.example".to_string(),
            "email",
        ),
    ] {
        let res = s
            .app
            .post("/v1/patients", Some(&s.doc), &patient(name, &addr))
            .await;
        let problem = assert_problem(res, 422).await;
        assert_eq!(field_errors(&problem), [field], "{name:?} {addr:?}");
    }
    // Stored in NFC: "Selin" typed with a combining accent reads back composed.
    let res = s
        .app
        .post(
            "/v1/patients",
            Some(&s.doc),
            &patient("Se\u{301}lin Kaya", &email()),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["name"], "S\u{e9}lin Kaya");

    let res = s
        .put_log(
            1,
            json!({"redness": 5, "swelling": 3, "flaking": 0, "sensitivity": 4, "note": "itchy \u{202E}txt.exe"}),
        )
        .await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(field_errors(&problem), ["note"]);
    let res = s
        .put_log(
            1,
            json!({"redness": 5, "swelling": 3, "flaking": 0, "sensitivity": 4, "note": "\u{2060}\u{200B}"}),
        )
        .await;
    assert_problem(res, 422).await;
}

on_both_backends!(
    passwords_follow_one_rule_on_the_api_and_the_console,
    look_alike_names_notes_and_emails_are_refused,
);
