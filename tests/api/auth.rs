use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_on, Backend, TestApp};
use crate::on_both_backends;

fn stored_jwt_secret(app: &TestApp) -> Vec<u8> {
    STANDARD
        .decode(crate::helpers::stored_secret(app, "jwt_secret"))
        .unwrap()
}

fn claims(sub: &str, clinic: &str, exp_offset: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": sub, "role": "admin", "clinic": clinic, "iat": now, "exp": now + exp_offset,
        "iss": "aftercare", "aud": "aftercare-api", "jti": "x", "gen": 0
    })
}

async fn refresh_rotates_and_reuse_revokes_the_family(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let first = app.login(&clinic.admin_email, &clinic.admin_password).await;
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["role"], "admin");
    assert!(first["expires_in"].as_u64().unwrap() > 0);
    let r1 = first["refresh_token"].as_str().unwrap();

    let res = app
        .post("/v1/auth/refresh", None, &json!({"refresh_token": r1}))
        .await;
    assert_eq!(res.status(), 200);
    let second: Value = res.json().await.unwrap();
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2, "rotated on every use");
    let res = app.get("/v1/me", second["access_token"].as_str()).await;
    assert_eq!(res.status(), 200);

    // Reusing the rotated token is theft: 401, and the whole family is revoked.
    assert_problem(
        app.post("/v1/auth/refresh", None, &json!({"refresh_token": r1}))
            .await,
        401,
    )
    .await;
    assert_problem(
        app.post("/v1/auth/refresh", None, &json!({"refresh_token": r2}))
            .await,
        401,
    )
    .await;

    // Another sign-in is another family and is unaffected.
    let other = app.login(&clinic.admin_email, &clinic.admin_password).await;
    let res = app
        .post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": other["refresh_token"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
}

async fn logout_revokes_the_refresh_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let t = app.login(&clinic.admin_email, &clinic.admin_password).await;
    let res = app
        .post(
            "/v1/auth/logout",
            None,
            &json!({"refresh_token": t["refresh_token"]}),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(
        app.post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": t["refresh_token"]}),
        )
        .await,
        401,
    )
    .await;
}

async fn wrong_credentials_are_refused_alike(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let wrong_pw = assert_problem(
        app.post(
            "/v1/auth/login",
            None,
            &json!({"email": clinic.admin_email, "password": "not the password"}),
        )
        .await,
        401,
    )
    .await;
    let unknown = assert_problem(
        app.post(
            "/v1/auth/login",
            None,
            &json!({"email": "nobody@nowhere.example", "password": "not the password"}),
        )
        .await,
        401,
    )
    .await;
    assert_eq!(
        wrong_pw["detail"], unknown["detail"],
        "no hint which emails exist"
    );
}

async fn access_tokens_are_validated_strictly(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let secret = stored_jwt_secret(&app);
    let admin_id = {
        let me: Value = app
            .get("/v1/me", Some(&clinic.admin_token))
            .await
            .json()
            .await
            .unwrap();
        me["id"].as_str().unwrap().to_string()
    };
    let sign =
        |c: &Value| encode(&Header::default(), c, &EncodingKey::from_secret(&secret)).unwrap();

    // Control: a token we sign ourselves with the right key and claims is accepted,
    // so the refusals below are about the one thing each case changes.
    let good = sign(&claims(&admin_id, &clinic.clinic_id, 300));
    assert_eq!(app.get("/v1/me", Some(&good)).await.status(), 200);

    let mut cases: Vec<(&str, String)> = vec![
        ("expired", sign(&claims(&admin_id, &clinic.clinic_id, -120))),
        (
            "wrong key",
            encode(
                &Header::default(),
                &claims(&admin_id, &clinic.clinic_id, 300),
                &EncodingKey::from_secret(&[1u8; 32]),
            )
            .unwrap(),
        ),
        ("garbage", "not.a.token".into()),
        (
            "refresh token as access token",
            clinic_refresh(&app, &clinic.admin_email, &clinic.admin_password).await,
        ),
    ];
    let mut wrong_aud = claims(&admin_id, &clinic.clinic_id, 300);
    wrong_aud["aud"] = json!("someone-else");
    cases.push(("wrong audience", sign(&wrong_aud)));
    let mut wrong_iss = claims(&admin_id, &clinic.clinic_id, 300);
    wrong_iss["iss"] = json!("evil");
    cases.push(("wrong issuer", sign(&wrong_iss)));
    let mut no_exp = claims(&admin_id, &clinic.clinic_id, 300);
    no_exp.as_object_mut().unwrap().remove("exp");
    cases.push(("no exp", sign(&no_exp)));
    let mut old_generation = claims(&admin_id, &clinic.clinic_id, 300);
    old_generation["gen"] = json!(-1);
    cases.push(("another token generation", sign(&old_generation)));
    // Signed with the right key, but for an account that does not exist.
    let invented = uuid::Uuid::new_v4().to_string();
    cases.push((
        "invented account",
        sign(&claims(&invented, &clinic.clinic_id, 300)),
    ));
    // Longer-lived than the service ever issues (15 minutes by default).
    cases.push((
        "ten-year lifetime",
        sign(&claims(&admin_id, &clinic.clinic_id, 10 * 365 * 86_400)),
    ));
    let mut no_generation = claims(&admin_id, &clinic.clinic_id, 300);
    no_generation.as_object_mut().unwrap().remove("gen");
    cases.push(("no generation", sign(&no_generation)));

    // alg: none, with the same valid claims.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(&admin_id, &clinic.clinic_id, 300).to_string());
    cases.push(("alg none", format!("{none_header}.{payload}.")));

    // Tampered: a valid token whose payload is changed after signing.
    let parts: Vec<&str> = good.split('.').collect();
    let mut tampered_claims = claims(&admin_id, &clinic.clinic_id, 300);
    tampered_claims["clinic"] = json!("another-clinic");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(tampered_claims.to_string()),
        parts[2]
    );
    cases.push(("tampered", tampered));

    for (name, token) in cases {
        let res = app.get("/v1/me", Some(&token)).await;
        assert_eq!(res.status(), 401, "{name}");
        assert_problem(res, 401).await;
    }
    assert_problem(app.get("/v1/me", None).await, 401).await;
}

async fn clinic_refresh(app: &TestApp, email: &str, password: &str) -> String {
    app.login(email, password).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn processes_on_one_database_share_the_signing_key(backend: Backend) {
    let first = spawn_app(backend).await;
    let clinic = first.new_clinic().await;
    let second = spawn_on(first.database_url.clone(), &[]).await;
    assert_eq!(
        second
            .get("/v1/me", Some(&clinic.admin_token))
            .await
            .status(),
        200
    );
}

async fn enrolment_codes_are_single_use(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let doc = app.add_clinician(&clinic).await;
    let patient = app.add_patient(&doc, "Europe/Berlin", 2).await;
    let code = app.enrolment_code(&doc, &patient).await;
    assert_eq!(code.len(), 14);

    // Typed sloppily (lower case, no dashes) it still works, once.
    let typed = code.replace('-', "").to_lowercase();
    let res = app
        .post(
            "/v1/auth/enrol",
            None,
            &json!({"code": typed, "password": "my own password"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let tokens: Value = res.json().await.unwrap();
    assert_eq!(tokens["role"], "patient");
    let me: Value = app
        .get("/v1/me", tokens["access_token"].as_str())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], patient.as_str());
    assert_eq!(me["role"], "patient");
    assert_eq!(me["timezone"], "Europe/Berlin");

    assert_problem(
        app.post(
            "/v1/auth/enrol",
            None,
            &json!({"code": code, "password": "another password"}),
        )
        .await,
        401,
    )
    .await;
    // The password set at enrolment signs in.
    let email = me["email"].as_str().unwrap();
    assert_eq!(app.login(email, "my own password").await["role"], "patient");
    // A weak password is refused before the code is spent.
    let code2 = app.enrolment_code(&doc, &patient).await;
    let body = assert_problem(
        app.post(
            "/v1/auth/enrol",
            None,
            &json!({"code": code2, "password": "short"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "password");
    let res = app
        .post(
            "/v1/auth/enrol",
            None,
            &json!({"code": code2, "password": "long enough now"}),
        )
        .await;
    assert_eq!(res.status(), 200);
}

async fn enrolment_codes_expire(backend: Backend) {
    let app =
        crate::helpers::spawn_app_with(backend, &[("AFTERCARE_ENROLMENT_CODE_TTL_SECS", "1")])
            .await;
    let clinic = app.new_clinic().await;
    let patient = app.add_patient(&clinic.admin_token, "UTC", 3).await;
    let code = app.enrolment_code(&clinic.admin_token, &patient).await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_problem(
        app.post(
            "/v1/auth/enrol",
            None,
            &json!({"code": code, "password": "my own password"}),
        )
        .await,
        401,
    )
    .await;
}

async fn cli_creates_a_clinic_that_can_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args([
            "clinic",
            "create",
            "--name",
            "Glow Clinic",
            "--admin-email",
            "Boss@Glow.example",
            "--password-stdin",
        ])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"a chosen password\n")
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("clinic_id: "));
    assert!(
        !stdout.contains("a chosen password"),
        "a given password is never echoed"
    );
    let t = app.login("boss@glow.example", "a chosen password").await;
    assert_eq!(t["role"], "admin");
}

/// Finding 9: the settings rows hold sealed values, and neither a row nor
/// any reading of it signs a token the server accepts.
async fn a_database_copy_alone_cannot_mint_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let admin_id = claims_of(&clinic.admin_token)["sub"]
        .as_str()
        .unwrap()
        .to_string();
    let mut conn = app.db.conn().unwrap();
    for name in ["jwt_secret", "vapid_private_key"] {
        let row = aftercare::store::settings::get(&mut conn, name)
            .unwrap()
            .expect("kept in the database");
        let real = crate::helpers::stored_secret(&app, name);
        assert!(row.starts_with("sealed:v1:"), "{name}: {row}");
        assert!(!row.contains(&real), "{name} is not in the row");
    }
    let row = aftercare::store::settings::get(&mut conn, "jwt_secret")
        .unwrap()
        .unwrap();
    drop(conn);
    let body = row.trim_start_matches("sealed:v1:");
    let mut guesses = vec![row.as_bytes().to_vec(), body.as_bytes().to_vec()];
    guesses.extend(URL_SAFE_NO_PAD.decode(body).ok());
    for key in guesses {
        let forged = encode(
            &Header::default(),
            &claims(&admin_id, &clinic.clinic_id, 300),
            &EncodingKey::from_secret(&key),
        )
        .unwrap();
        assert_problem(app.get("/v1/me", Some(&forged)).await, 401).await;
    }
}

/// A database from before sealing keeps its keys in plain text: the next
/// start seals them in place and keeps using the same key.
async fn plain_text_secrets_are_sealed_on_start(backend: Backend) {
    let url = crate::helpers::fresh_database_url(backend);
    let u = url.clone();
    let config =
        aftercare::config::Config::from_lookup(|k| (k == "DATABASE_URL").then(|| u.clone()))
            .unwrap();
    let old_key = [42u8; 32];
    {
        let db = aftercare::startup::open_database(&config).unwrap();
        let mut conn = db.conn().unwrap();
        let plain = STANDARD.encode(old_key);
        let stored =
            aftercare::store::settings::get_or_create(&mut conn, "jwt_secret", || plain.clone())
                .unwrap();
        assert_eq!(stored, plain);
    }
    let app = spawn_on(url, &[]).await;
    let mut conn = app.db.conn().unwrap();
    let row = aftercare::store::settings::get(&mut conn, "jwt_secret")
        .unwrap()
        .unwrap();
    drop(conn);
    assert!(row.starts_with("sealed:v1:"), "{row}");
    assert_eq!(
        crate::helpers::stored_secret(&app, "jwt_secret"),
        STANDARD.encode(old_key)
    );
    // Tokens the server issues are still signed with the old key.
    let clinic = app.new_clinic().await;
    let keys = aftercare::auth::TokenKeys::new(&old_key, std::time::Duration::from_secs(900));
    assert!(keys.verify(&clinic.admin_token).is_some());
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

on_both_backends!(
    a_database_copy_alone_cannot_mint_tokens,
    plain_text_secrets_are_sealed_on_start,
    refresh_rotates_and_reuse_revokes_the_family,
    logout_revokes_the_refresh_token,
    wrong_credentials_are_refused_alike,
    access_tokens_are_validated_strictly,
    processes_on_one_database_share_the_signing_key,
    enrolment_codes_are_single_use,
    enrolment_codes_expire,
    cli_creates_a_clinic_that_can_sign_in,
);
