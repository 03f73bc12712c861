//! Accounts come and go: token generations, staff lifecycle, password change.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;
use crate::recovery::Scenario;

/// Every bearer route a patient can call, with a body where one is needed.
fn patient_routes(treatment: &str) -> Vec<(Method, String, Option<Value>)> {
    let t = treatment;
    vec![
        (Method::GET, "/v1/me".into(), None),
        (Method::GET, "/v1/me/export".into(), None),
        (Method::GET, "/v1/me/treatments".into(), None),
        (Method::GET, "/v1/me/preferences".into(), None),
        (Method::GET, format!("/v1/treatments/{t}"), None),
        (Method::GET, format!("/v1/treatments/{t}/timeline"), None),
        (Method::GET, format!("/v1/treatments/{t}/care"), None),
        (Method::GET, format!("/v1/treatments/{t}/logs"), None),
        (Method::GET, format!("/v1/treatments/{t}/reminders"), None),
        (Method::GET, "/v1/sync?last_pulled_at=null".into(), None),
        (Method::DELETE, "/v1/me".into(), None),
        (
            Method::PATCH,
            "/v1/me/preferences".into(),
            Some(json!({"quiet_hours": null})),
        ),
    ]
}

async fn an_erased_patients_token_is_401_on_every_route(backend: Backend) {
    let s = Scenario::new(backend, 0.5, 2).await;
    let tok = s.patient.access_token.clone();
    let t = s.treatment_id().to_string();
    let res = s.app.get(&format!("/v1/treatments/{t}"), Some(&tok)).await;
    assert_eq!(res.status(), 200);
    let res = s
        .app
        .request(Method::DELETE, "/v1/me", Some(&tok), None)
        .await;
    assert_eq!(res.status(), 204);
    for (method, path, body) in patient_routes(&t) {
        let res = s
            .app
            .request(method.clone(), &path, Some(&tok), body.as_ref())
            .await;
        eprintln!("{method} {path}");
        assert_problem(res, 401).await;
    }
}

on_both_backends!(an_erased_patients_token_is_401_on_every_route);

/// Adds a staff member with a known password: (id, email, password).
async fn add_staff(app: &TestApp, admin_token: &str, role: &str) -> (String, String, String) {
    let email = format!("{role}-{}@clinic.example", uuid::Uuid::new_v4().simple());
    let password = "staff password 12".to_string();
    let res = app
        .post(
            "/v1/staff",
            Some(admin_token),
            &json!({"email": email, "name": "Staff Member", "role": role, "password": password}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["active"], true);
    (body["id"].as_str().unwrap().into(), email, password)
}

async fn patch_staff(app: &TestApp, token: &str, id: &str, body: Value) -> reqwest::Response {
    app.request(
        Method::PATCH,
        &format!("/v1/staff/{id}"),
        Some(token),
        Some(&body),
    )
    .await
}

async fn a_deactivated_clinician_is_refused_everywhere_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let (id, email, password) = add_staff(&app, &clinic.admin_token, "clinician").await;
    let tokens = app.login(&email, &password).await;
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let browser = crate::console::sign_in(&app, &email, &password).await;
    assert_eq!(app.get("/v1/patients", Some(&access)).await.status(), 200);
    assert_eq!(browser.get("/console/flags").await.status(), 200);

    let res = patch_staff(&app, &clinic.admin_token, &id, json!({"active": false})).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["active"].clone(), body["role"].clone()),
        (json!(false), json!("clinician"))
    );

    // Access token, refresh token and console session: all refused at once.
    assert_problem(app.get("/v1/patients", Some(&access)).await, 401).await;
    assert_problem(app.get("/v1/me", Some(&access)).await, 401).await;
    let res = app
        .post("/v1/auth/refresh", None, &json!({"refresh_token": refresh}))
        .await;
    assert_problem(res, 401).await;
    assert_eq!(browser.get("/console/flags").await.status(), 303);
    // Signing in again answers exactly like a wrong password.
    let login = |p: &str| json!({"email": email, "password": p});
    let deactivated = assert_problem(
        app.post("/v1/auth/login", None, &login(&password)).await,
        401,
    )
    .await;
    let wrong = assert_problem(
        app.post("/v1/auth/login", None, &login("wrong password 1"))
            .await,
        401,
    )
    .await;
    assert_eq!(deactivated, wrong);

    // The list shows it; reactivation lets them sign in again.
    let list: Value = app
        .get("/v1/staff", Some(&clinic.admin_token))
        .await
        .json()
        .await
        .unwrap();
    let row = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["active"], false);
    let res = patch_staff(&app, &clinic.admin_token, &id, json!({"active": true})).await;
    assert_eq!(res.status(), 200);
    let fresh = app.login(&email, &password).await;
    let fresh = fresh["access_token"].as_str().unwrap();
    assert_eq!(app.get("/v1/patients", Some(fresh)).await.status(), 200);
    assert_problem(app.get("/v1/patients", Some(&access)).await, 401).await;
}

async fn the_last_admin_stays_and_staff_are_scoped_to_their_clinic(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let other = app.new_clinic().await;
    let me: Value = app
        .get("/v1/me", Some(&clinic.admin_token))
        .await
        .json()
        .await
        .unwrap();
    let admin_id = me["id"].as_str().unwrap().to_string();

    // The only admin can be neither deactivated nor demoted.
    for body in [json!({"active": false}), json!({"role": "clinician"})] {
        let p = assert_problem(
            patch_staff(&app, &clinic.admin_token, &admin_id, body).await,
            409,
        )
        .await;
        assert!(
            p["detail"].as_str().unwrap().contains("last active admin"),
            "{p}"
        );
    }
    assert_eq!(
        app.get("/v1/staff", Some(&clinic.admin_token))
            .await
            .status(),
        200
    );

    // Other clinics' admins see 404; clinicians may not; bad bodies are 422.
    let (doc_id, doc_email, doc_password) = add_staff(&app, &clinic.admin_token, "clinician").await;
    assert_problem(
        patch_staff(&app, &other.admin_token, &doc_id, json!({"active": false})).await,
        404,
    )
    .await;
    assert_problem(
        patch_staff(
            &app,
            &other.admin_token,
            &admin_id,
            json!({"role": "clinician"}),
        )
        .await,
        404,
    )
    .await;
    let doc = app.login(&doc_email, &doc_password).await;
    let doc = doc["access_token"].as_str().unwrap().to_string();
    assert_problem(
        patch_staff(&app, &doc, &admin_id, json!({"active": false})).await,
        403,
    )
    .await;
    assert_problem(
        patch_staff(
            &app,
            &clinic.admin_token,
            &doc_id,
            json!({"role": "patient"}),
        )
        .await,
        422,
    )
    .await;
    assert_problem(
        patch_staff(&app, &clinic.admin_token, &doc_id, json!({})).await,
        422,
    )
    .await;
    assert_problem(
        patch_staff(&app, &clinic.admin_token, &doc_id, json!({"active": "no"})).await,
        422,
    )
    .await;
    // A typed member given as null is refused, not read as absent.
    assert_problem(
        patch_staff(
            &app,
            &clinic.admin_token,
            &doc_id,
            json!({"active": false, "role": null}),
        )
        .await,
        422,
    )
    .await;

    // With a second admin, the first may step down; the promoted clinician's
    // old token (role clinician) is ended, the new sign-in is admin.
    let res = patch_staff(&app, &clinic.admin_token, &doc_id, json!({"role": "admin"})).await;
    assert_eq!(res.status(), 200);
    assert_problem(app.get("/v1/patients", Some(&doc)).await, 401).await;
    let doc = app.login(&doc_email, &doc_password).await;
    assert_eq!(doc["role"], "admin");
    let doc = doc["access_token"].as_str().unwrap().to_string();
    let res = patch_staff(&app, &doc, &admin_id, json!({"role": "clinician"})).await;
    assert_eq!(res.status(), 200);
    assert_problem(
        patch_staff(&app, &doc, &doc_id, json!({"active": false})).await,
        409,
    )
    .await;
    // The audit trail records who did what.
    let audit: Value = app.get("/v1/audit", Some(&doc)).await.json().await.unwrap();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"staff.promoted") && actions.contains(&"staff.demoted"),
        "{actions:?}"
    );
}

on_both_backends!(
    a_deactivated_clinician_is_refused_everywhere_at_once,
    the_last_admin_stays_and_staff_are_scoped_to_their_clinic
);

async fn admins_change_staff_from_the_console(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let (id, email, password) = add_staff(&app, &clinic.admin_token, "clinician").await;
    let doc = app.login(&email, &password).await;
    let doc = doc["access_token"].as_str().unwrap().to_string();
    let admin = crate::console::sign_in(&app, &clinic.admin_email, &clinic.admin_password).await;
    let page = admin.page("/console/staff").await;
    let action = format!("action=\"/console/staff/{id}\"");
    assert!(page.contains(&action), "a form per staff member");
    let csrf = crate::console::csrf_in(&page);
    let path = format!("/console/staff/{id}");

    // Without the session's CSRF token nothing changes.
    let res = admin
        .post(&path, &[("csrf", "forged"), ("action", "deactivate")])
        .await;
    assert!(res.status().is_client_error(), "{}", res.status());
    assert_eq!(app.get("/v1/patients", Some(&doc)).await.status(), 200);

    let res = admin
        .post(&path, &[("csrf", &csrf), ("action", "deactivate")])
        .await;
    assert_eq!(res.status(), 303);
    assert_problem(app.get("/v1/patients", Some(&doc)).await, 401).await;
    assert!(admin.page("/console/staff").await.contains("Deactivated"));

    // The last admin stays, here too.
    let me: Value = app
        .get("/v1/me", Some(&clinic.admin_token))
        .await
        .json()
        .await
        .unwrap();
    let mine = format!("/console/staff/{}", me["id"].as_str().unwrap());
    let res = admin
        .post(&mine, &[("csrf", &csrf), ("action", "make_clinician")])
        .await;
    assert_eq!(res.status(), 409);
    let res = admin
        .post(&path, &[("csrf", &csrf), ("action", "reactivate")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.login(&email, &password).await["role"], "clinician");

    // A reset code, shown once on the page, works once.
    let res = admin
        .post(&path, &[("csrf", &csrf), ("action", "reset_code")])
        .await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    let marker = "shown only now: <code>";
    let start = page.find(marker).expect("the code on the page") + marker.len();
    let code = &page[start..start + 14];
    let body = json!({"code": code, "new_password": "reset from the console"});
    assert_eq!(app.post("/v1/auth/reset", None, &body).await.status(), 200);
    assert_problem(app.post("/v1/auth/reset", None, &body).await, 401).await;
}

on_both_backends!(admins_change_staff_from_the_console);

async fn change_password(
    app: &TestApp,
    token: &str,
    current: &str,
    new: &str,
) -> reqwest::Response {
    app.post(
        "/v1/me/password",
        Some(token),
        &json!({"current_password": current, "new_password": new}),
    )
    .await
}

async fn a_password_change_ends_every_other_session(backend: Backend) {
    let app = spawn_app_with(backend, &[("AFTERCARE_PUSH_ALLOW_INSECURE", "1")]).await;
    let s = Scenario::on(app, 0.5, 2).await;
    let app = &s.app;
    let email: Value = app
        .get("/v1/me", Some(&s.patient.access_token))
        .await
        .json()
        .await
        .unwrap();
    let email = email["email"].as_str().unwrap().to_string();
    let old = "patient password 1";
    let other = app.login(&email, old).await;
    let res = app
        .post(
            "/v1/push/subscriptions",
            Some(&s.patient.access_token),
            &json!({"endpoint": "http://127.0.0.1:9/push/phone", "keys": {
                "p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
                "auth": "BTBZMqHH6r4Tts7J_aSIgg"}}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let this = other["access_token"].as_str().unwrap().to_string();

    // Wrong current password, weak new one: 422, nothing changes.
    let p = assert_problem(
        change_password(app, &this, "not my password", "a new long password").await,
        422,
    )
    .await;
    assert!(p.to_string().contains("current_password"), "{p}");
    let p = assert_problem(change_password(app, &this, old, "short").await, 422).await;
    assert!(p.to_string().contains("new_password"), "{p}");
    assert_eq!(
        app.get("/v1/me", Some(&s.patient.access_token))
            .await
            .status(),
        200
    );

    let res = change_password(app, &this, old, "a new long password").await;
    assert_eq!(res.status(), 200);
    let fresh: Value = res.json().await.unwrap();
    let fresh_access = fresh["access_token"].as_str().unwrap();

    // Both earlier sign-ins are over, this client's included; the new one works.
    for token in [&s.patient.access_token, &this] {
        assert_problem(app.get("/v1/me/treatments", Some(token)).await, 401).await;
    }
    for refresh in [
        &s.patient.refresh_token,
        other["refresh_token"].as_str().unwrap(),
    ] {
        let res = app
            .post("/v1/auth/refresh", None, &json!({"refresh_token": refresh}))
            .await;
        assert_problem(res, 401).await;
    }
    assert_eq!(
        app.get("/v1/me/treatments", Some(fresh_access))
            .await
            .status(),
        200
    );
    let export = app.get("/v1/me/export", Some(fresh_access)).await;
    let export = crate::helpers::export_json(export).await;
    assert_eq!(
        export["push_devices"],
        json!([]),
        "push subscriptions ended too"
    );
    let res = app
        .post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": fresh["refresh_token"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": email, "password": old}),
        )
        .await;
    assert_problem(res, 401).await;
    app.login(&email, "a new long password").await;
}

async fn a_staff_password_change_ends_console_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let (_, email, password) = add_staff(&app, &clinic.admin_token, "clinician").await;
    let browser = crate::console::sign_in(&app, &email, &password).await;
    assert_eq!(browser.get("/console/flags").await.status(), 200);
    let tokens = app.login(&email, &password).await;
    let token = tokens["access_token"].as_str().unwrap();
    let res = change_password(&app, token, &password, "another staff password").await;
    assert_eq!(res.status(), 200);
    assert_eq!(browser.get("/console/flags").await.status(), 303);
    crate::console::sign_in(&app, &email, "another staff password").await;
}

on_both_backends!(
    a_password_change_ends_every_other_session,
    a_staff_password_change_ends_console_sessions
);

async fn a_reset_code_is_single_use_and_ends_other_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let other = app.new_clinic().await;
    let (id, email, password) = add_staff(&app, &clinic.admin_token, "clinician").await;
    let before = app.login(&email, &password).await;
    let before = before["access_token"].as_str().unwrap().to_string();
    let browser = crate::console::sign_in(&app, &email, &password).await;
    let path = format!("/v1/staff/{id}/reset-code");
    assert_problem(
        app.post(&path, Some(&other.admin_token), &json!({})).await,
        404,
    )
    .await;
    assert_problem(app.post(&path, Some(&before), &json!({})).await, 403).await;

    let res = app.post(&path, Some(&clinic.admin_token), &json!({})).await;
    assert_eq!(res.status(), 201);
    let first: Value = res.json().await.unwrap();
    let res = app.post(&path, Some(&clinic.admin_token), &json!({})).await;
    let code: Value = res.json().await.unwrap();
    let code = code["code"].as_str().unwrap().to_lowercase();
    let reset = |code: &str, new: &str| json!({"code": code, "new_password": new});

    // A newer code voids the older; weak passwords are refused before use.
    assert_problem(
        app.post(
            "/v1/auth/reset",
            None,
            &reset(first["code"].as_str().unwrap(), "a fresh password 1"),
        )
        .await,
        401,
    )
    .await;
    assert_problem(
        app.post("/v1/auth/reset", None, &reset(&code, "short"))
            .await,
        422,
    )
    .await;
    let res = app
        .post("/v1/auth/reset", None, &reset(&code, "a fresh password 1"))
        .await;
    assert_eq!(res.status(), 200);
    let fresh: Value = res.json().await.unwrap();
    assert_eq!(fresh["role"], "clinician");
    assert_problem(
        app.post("/v1/auth/reset", None, &reset(&code, "a fresh password 2"))
            .await,
        401,
    )
    .await;

    // Earlier sessions are over; the new password works, the old one not.
    assert_problem(app.get("/v1/patients", Some(&before)).await, 401).await;
    assert_eq!(browser.get("/console/flags").await.status(), 303);
    let fresh_access = fresh["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/v1/patients", Some(fresh_access)).await.status(),
        200
    );
    let res = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": email, "password": password}),
        )
        .await;
    assert_problem(res, 401).await;
    app.login(&email, "a fresh password 1").await;

    // A deactivated account gets no code.
    let res = patch_staff(&app, &clinic.admin_token, &id, json!({"active": false})).await;
    assert_eq!(res.status(), 200);
    assert_problem(
        app.post(&path, Some(&clinic.admin_token), &json!({})).await,
        409,
    )
    .await;
}

on_both_backends!(a_reset_code_is_single_use_and_ends_other_sessions);
