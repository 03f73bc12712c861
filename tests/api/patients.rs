use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, Backend};
use crate::on_both_backends;

async fn a_clinic_enrols_a_patient_and_other_clinics_cannot_see_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let doc = app.add_clinician(&clinic).await;
    let patient = app.enrolled_patient(&doc, "America/New_York", 4).await;

    let me: Value = app
        .get("/v1/me", Some(&patient.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], patient.id.as_str());
    assert_eq!(me["clinic"]["id"], clinic.clinic_id.as_str());
    assert_eq!(me["fitzpatrick"], 4);

    let res = app
        .get(&format!("/v1/patients/{}", patient.id), Some(&doc))
        .await;
    assert_eq!(res.status(), 200);
    let seen: Value = res.json().await.unwrap();
    assert_eq!(seen["enrolled"], true);
    // The app keeps the patient signed in with the refresh token.
    let res = app
        .post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": patient.refresh_token}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["role"], "patient");

    // Another clinic's clinician and admin: 404, as if the patient did not exist.
    let other = app.new_clinic().await;
    let other_doc = app.add_clinician(&other).await;
    for token in [&other_doc, &other.admin_token] {
        assert_problem(
            app.get(&format!("/v1/patients/{}", patient.id), Some(token))
                .await,
            404,
        )
        .await;
        assert_problem(
            app.post(
                &format!("/v1/patients/{}/enrolment-codes", patient.id),
                Some(token),
                &json!({}),
            )
            .await,
            404,
        )
        .await;
        let list: Value = app
            .get("/v1/patients", Some(token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 0);
    }
    let list: Value = app
        .get("/v1/patients", Some(&doc))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // Roles: a patient cannot act as staff, a clinician cannot add staff.
    assert_problem(
        app.get("/v1/patients", Some(&patient.access_token)).await,
        403,
    )
    .await;
    assert_problem(
        app.post(
            "/v1/staff",
            Some(&doc),
            &json!({"email": "x@y.example", "name": "X", "role": "clinician"}),
        )
        .await,
        403,
    )
    .await;

    // Every clinician read of a patient is audited, for the clinic's admin only.
    let audit: Value = app
        .get("/v1/audit", Some(&clinic.admin_token))
        .await
        .json()
        .await
        .unwrap();
    let reads = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "patient.read" && e["subject_id"] == patient.id.as_str())
        .count();
    assert_eq!(reads, 1);
    let other_audit: Value = app
        .get("/v1/audit", Some(&other.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert!(other_audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["subject_id"] != patient.id.as_str()));
    assert_problem(app.get("/v1/audit", Some(&doc)).await, 403).await;
}

async fn patient_fields_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let body = assert_problem(
        app.post(
            "/v1/patients",
            Some(&clinic.admin_token),
            &json!({"name": " ", "email": "nope", "timezone": "Mars/Base", "fitzpatrick": 7}),
        )
        .await,
        422,
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "email", "timezone", "fitzpatrick"]);
    let list: Value = app
        .get("/v1/patients", Some(&clinic.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing written"
    );

    // A duplicate email is a conflict.
    let id = app.add_patient(&clinic.admin_token, "UTC", 1).await;
    let email = app
        .get(&format!("/v1/patients/{id}"), Some(&clinic.admin_token))
        .await
        .json::<Value>()
        .await
        .unwrap()["email"]
        .clone();
    assert_problem(
        app.post(
            "/v1/patients",
            Some(&clinic.admin_token),
            &json!({"name": "Again", "email": email, "timezone": "UTC", "fitzpatrick": 1}),
        )
        .await,
        409,
    )
    .await;
}

async fn admins_add_clinicians(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let res = app
        .post(
            "/v1/staff",
            Some(&clinic.admin_token),
            &json!({"email": "Chosen@Clinic.example", "name": "Dr Chosen", "role": "clinician", "password": "chosen password"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert!(
        body.get("password").is_none(),
        "a chosen password is not echoed"
    );
    assert_eq!(
        app.login("chosen@clinic.example", "chosen password").await["role"],
        "clinician"
    );
    let body = assert_problem(
        app.post(
            "/v1/staff",
            Some(&clinic.admin_token),
            &json!({"email": "p@clinic.example", "name": "P", "role": "patient"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "role");
    let staff: Value = app
        .get("/v1/staff", Some(&clinic.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(staff["items"].as_array().unwrap().len(), 2);
}

on_both_backends!(
    a_clinic_enrols_a_patient_and_other_clinics_cannot_see_them,
    patient_fields_are_validated,
    admins_add_clinicians,
);
