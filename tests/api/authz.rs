//! The authorization matrix: every secured operation in `openapi.yaml`, tried
//! with every kind of caller that must not get the victim's data. New routes
//! are covered as soon as they are in the spec (the route-equality test in
//! `contract.rs` makes sure they are).
//!
//! Each operation declares the roles it accepts in `x-roles`. For each one:
//! - bad credentials (none, expired, tampered, `alg: none`, a refresh token
//!   as access token) must get 401;
//! - a role outside `x-roles` must get 403;
//! - another patient of the same clinic, and staff of another clinic, must
//!   get 404 for the victim's records (ids in the path, or in the body where
//!   the operation takes them there);
//! - operations on the caller's own scope (e.g. `GET /v1/me`) may succeed,
//!   but no response of any case may carry the victim's data;
//! - and, so that the 404s above mean something, the victim's own side
//!   (the patient or their clinic's staff) gets a 2xx with the same ids.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{Duration, NaiveDate, Utc};
use jsonwebtoken::{encode, EncodingKey, Header};
use reqwest::Method;
use serde_json::{json, Value};
use serde_yaml_ng::Value as Yaml;

use crate::helpers::{spawn_app_with, Backend, TestApp};
use crate::on_both_backends;
use crate::recovery::add_treatment;

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];
const METRICS_TOKEN: &str = "authz-matrix-metrics-token";
/// RFC 8291's example user-agent keys: a valid P-256 point and auth secret.
const P256DH: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
/// Operations that name the victim's record in the body rather than the path.
const BODY_BOUND: &[&str] = &["unsubscribePush"];

struct Op {
    id: String,
    method: Method,
    path: String,
    roles: Vec<String>,
    example: Option<Value>,
    /// The body is an image (the photo upload), not JSON.
    image_body: bool,
    /// The victim's ids in the path (or body): outsiders must get 404.
    victim_bound: bool,
}

fn spec_operations() -> (Vec<Op>, usize) {
    let spec: Yaml = serde_yaml_ng::from_str(include_str!("../../openapi.yaml")).unwrap();
    let global_secured = spec["security"]
        .as_sequence()
        .is_some_and(|s| !s.is_empty());
    let mut ops = Vec::new();
    let mut public = 0;
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        let path = path.as_str().unwrap();
        for (method, op) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap();
            if !METHODS.contains(&method) {
                continue;
            }
            let id = op["operationId"].as_str().unwrap().to_string();
            let secured = match op.get("security") {
                Some(s) => s.as_sequence().is_some_and(|s| !s.is_empty()),
                None => global_secured,
            };
            if !secured {
                public += 1;
                continue;
            }
            let roles = op
                .get("x-roles")
                .and_then(Yaml::as_sequence)
                .unwrap_or_else(|| panic!("{id}: a secured operation must declare x-roles"))
                .iter()
                .map(|r| r.as_str().unwrap().to_string())
                .collect();
            let image_body = op
                .get("requestBody")
                .is_some_and(|b| !b["content"]["image/jpeg"].is_null());
            let example = op
                .get("requestBody")
                .filter(|_| !image_body)
                .map(|b| &b["content"]["application/json"]["example"])
                .map(|e| {
                    assert!(!e.is_null(), "{id}: the request body needs an example");
                    serde_json::to_value(e).unwrap()
                });
            for p in op
                .get("parameters")
                .and_then(Yaml::as_sequence)
                .into_iter()
                .flatten()
            {
                let required = p.get("required").and_then(Yaml::as_bool) == Some(true);
                assert!(
                    !(required && p.get("in").and_then(Yaml::as_str) == Some("query")),
                    "{id}: required query parameters need a value in the authz matrix"
                );
            }
            ops.push(Op {
                victim_bound: path.contains('{') || BODY_BOUND.contains(&id.as_str()),
                id,
                method: method.to_uppercase().parse().unwrap(),
                path: path.to_string(),
                roles,
                example,
                image_body,
            });
        }
    }
    (ops, public)
}

/// Everything about the victim that no one else may see.
struct Victim {
    patient_id: String,
    treatment_id: String,
    flag_id: String,
    occurrence_id: String,
    webhook_id: String,
    /// The victim's native app device.
    device_id: String,
    /// A staff member of the victim's clinic (no one else's to change).
    staff_id: String,
    log_date: NaiveDate,
    /// A photo of the victim's log on `log_date`.
    photo_id: String,
    endpoint: String,
    access: String,
    refresh: String,
    secrets: Vec<String>,
}

impl Victim {
    fn fill(&self, path: &str) -> String {
        let id = if path.starts_with("/v1/patients/{id}") {
            &self.patient_id
        } else if path.starts_with("/v1/treatments/{id}") {
            &self.treatment_id
        } else if path.starts_with("/v1/flags/{id}") {
            &self.flag_id
        } else if path.starts_with("/v1/reminders/{id}") {
            &self.occurrence_id
        } else if path.starts_with("/v1/clinic/webhooks/{id}") {
            &self.webhook_id
        } else if path.starts_with("/v1/staff/{id}") {
            &self.staff_id
        } else if path.starts_with("/v1/push/devices/{id}") {
            &self.device_id
        } else {
            assert!(
                !path.contains("{id}"),
                "authz: which victim id belongs in {path}? Add it to Victim::fill"
            );
            ""
        };
        let filled = path
            .replace("{id}", id)
            .replace("{date}", &self.log_date.to_string())
            .replace("{photo_id}", &self.photo_id);
        assert!(
            !filled.contains('{'),
            "authz: unknown path parameter in {path}; add it to Victim::fill"
        );
        filled
    }

    /// Picks a pending occurrence as it is now, and keeps its id secret too.
    async fn current_occurrence(&mut self, app: &TestApp) {
        self.occurrence_id = upcoming_occurrence(app, &self.access, &self.treatment_id).await;
        self.secrets.push(self.occurrence_id.clone());
    }

    /// The operation's example body, with what must be current or the victim's.
    fn body(&self, op: &Op, caller: &str) -> Option<Value> {
        let mut body = op.example.clone()?;
        // Emails are unique across the service: each caller adds its own.
        if let Some(email) = body.get("email").and_then(Value::as_str) {
            let unique = format!("{caller}-{}-{email}", uuid::Uuid::new_v4().simple());
            body["email"] = json!(unique);
        }
        // Dates are sent as written: the owner control is what keeps the
        // spec's examples valid (a treatment's `performed_at` must lie within
        // the last year, so its example needs a newer date once a year).
        match op.id.as_str() {
            "unsubscribePush" => body["endpoint"] = json!(self.endpoint),
            // A caller's own device, never the victim's.
            "subscribePush" => {
                body["endpoint"] = json!(format!("http://127.0.0.1:9/push/{caller}"));
            }
            // A caller's own phone: a token registered again would move.
            "registerPushDevice" => {
                let hex: String = format!("{caller:0<64}")
                    .bytes()
                    .take(64)
                    .map(|b| format!("{:x}", b % 16))
                    .collect();
                body["token"] = json!(hex);
            }
            // Resolving the example's host needs a network; loopback is allowed here.
            "createWebhook" => body["url"] = json!(format!("http://127.0.0.1:9/hook/{caller}")),
            // A right password would end the caller's sign-ins mid-matrix;
            // a wrong one still goes through authentication to the check.
            "changeOwnPassword" => body["current_password"] = json!("not the password"),
            // Keeps the victim's staff member active for the operations after it.
            "updateStaff" => body = json!({"active": true}),
            _ => {}
        }
        Some(body)
    }
}

struct Tokens {
    clinician: String,
    admin: String,
    other_patient: String,
    other_clinician: String,
    other_admin: String,
    expired: String,
    tampered: String,
    alg_none: String,
}

fn jwt_secret(app: &TestApp) -> Vec<u8> {
    STANDARD
        .decode(crate::helpers::stored_secret(app, "jwt_secret"))
        .unwrap()
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn new_patient(app: &TestApp, staff: &str, name: &str, email: &str) -> (String, Value) {
    let res = app
        .post(
            "/v1/patients",
            Some(staff),
            &json!({"name": name, "email": email, "timezone": "Europe/Berlin", "fitzpatrick": 4}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let code = app.enrolment_code(staff, &id).await;
    let res = app
        .post(
            "/v1/auth/enrol",
            None,
            &json!({"code": code, "password": "patient password 1"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    (id, res.json().await.unwrap())
}

async fn upcoming_occurrence(app: &TestApp, patient: &str, treatment_id: &str) -> String {
    let plan: Value = app
        .get(
            &format!("/v1/treatments/{treatment_id}/reminders"),
            Some(patient),
        )
        .await
        .json()
        .await
        .unwrap();
    plan["upcoming"][0]["id"]
        .as_str()
        .expect("an upcoming reminder")
        .to_string()
}

async fn setup(app: &TestApp) -> (Victim, Tokens) {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let clinic = app.new_clinic().await;
    let clinician = app.add_clinician(&clinic).await;
    let name = format!("Valentina Victimson {tag}");
    let email = format!("victim-{tag}@mail.example");
    let (patient_id, tokens) = new_patient(app, &clinician, &name, &email).await;
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();

    let treatment = add_treatment(app, &clinician, &patient_id, 1.0, 5).await;
    let treatment_id = treatment["id"].as_str().unwrap().to_string();
    let day0: NaiveDate = treatment["day0"].as_str().unwrap().parse().unwrap();
    let note = format!("victim-log-note-{tag}");
    let res = app
        .put(
            &format!(
                "/v1/treatments/{treatment_id}/logs/{}",
                day0 + Duration::days(2)
            ),
            Some(&access),
            &json!({"redness": 9, "swelling": 8, "flaking": 2, "sensitivity": 7,
                    "signs": ["fever", "hives"], "note": note}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let logged: Value = res.json().await.unwrap();
    let flags: Vec<String> = logged["assessment"]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        flags.len() >= 2,
        "fever and hives raise two flags: {logged}"
    );
    // A clinician's note on another flag: staff-only data about the victim.
    let review = format!("victim-review-note-{tag}");
    let res = app
        .post(
            &format!("/v1/flags/{}/acknowledge", flags[1]),
            Some(&clinician),
            &json!({"note": review}),
        )
        .await;
    assert_eq!(res.status(), 200);

    // A log on the matrix's date, with a photo of the skin.
    let log_date = day0 + Duration::days(3);
    let res = app
        .put(
            &format!("/v1/treatments/{treatment_id}/logs/{log_date}"),
            Some(&access),
            &json!({"redness": 3, "swelling": 2, "flaking": 1, "sensitivity": 2}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let photo_id = format!("VictimPhoto{}", &tag[..8]);
    let res = send_photo(
        app,
        &format!("/v1/treatments/{treatment_id}/logs/{log_date}/photos/{photo_id}"),
        Some(&access),
    )
    .await;
    assert_eq!(res.status(), 201);

    let plan: Value = app
        .get(
            &format!("/v1/treatments/{treatment_id}/reminders"),
            Some(&access),
        )
        .await
        .json()
        .await
        .unwrap();
    let occurrence_id = plan["upcoming"][0]["id"].as_str().unwrap().to_string();
    let endpoint = format!("http://127.0.0.1:9/push/victim-{tag}");
    let res = app
        .post(
            "/v1/push/subscriptions",
            Some(&access),
            &json!({"endpoint": endpoint, "keys": {"p256dh": P256DH, "auth": AUTH}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post(
            "/v1/push/devices",
            Some(&access),
            &json!({"platform": "fcm", "token": format!("victim-{tag}"), "app_id": "com.clinic.aftercare"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let device_id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .post(
            "/v1/clinic/webhooks",
            Some(&clinic.admin_token),
            &json!({"url": format!("http://127.0.0.1:9/hook/victim-{tag}")}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let webhook: Value = res.json().await.unwrap();
    let webhook_id = webhook["id"].as_str().unwrap().to_string();
    let webhook_secret = webhook["secret"].as_str().unwrap().to_string();

    let res = app
        .post(
            "/v1/staff",
            Some(&clinic.admin_token),
            &json!({"email": format!("staff-{tag}@clinic.example"), "name": "Sam Staff", "role": "clinician"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let staff_id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The same clinic's other patient, and another clinic's staff.
    let other_email = format!("other-{tag}@mail.example");
    let (_, other) = new_patient(app, &clinician, "Otto Other", &other_email).await;
    let elsewhere = app.new_clinic().await;
    let other_clinician = app.add_clinician(&elsewhere).await;

    let secret = jwt_secret(app);
    let sign =
        |c: &Value| encode(&Header::default(), c, &EncodingKey::from_secret(&secret)).unwrap();
    let mut expired = claims_of(&clinician);
    let now = Utc::now().timestamp();
    expired["iat"] = json!(now - 7200);
    expired["exp"] = json!(now - 3600);
    // The clinician's own token, promoted to admin without re-signing.
    let mut parts: Vec<String> = clinician.split('.').map(String::from).collect();
    let mut promoted = claims_of(&clinician);
    promoted["role"] = json!("admin");
    parts[1] = URL_SAFE_NO_PAD.encode(promoted.to_string());
    let tampered = parts.join(".");
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims_of(&clinician).to_string())
    );

    let secrets = vec![
        name,
        email,
        note,
        review,
        endpoint.clone(),
        patient_id.clone(),
        treatment_id.clone(),
        flags[0].clone(),
        flags[1].clone(),
        occurrence_id.clone(),
        refresh.clone(),
        webhook_id.clone(),
        device_id.clone(),
        webhook_secret,
        staff_id.clone(),
        photo_id.clone(),
    ];
    (
        Victim {
            patient_id,
            treatment_id,
            flag_id: flags[0].clone(),
            occurrence_id,
            webhook_id,
            device_id,
            staff_id,
            log_date,
            photo_id,
            endpoint,
            access,
            refresh,
            secrets,
        },
        Tokens {
            clinician,
            admin: clinic.admin_token,
            other_patient: other["access_token"].as_str().unwrap().to_string(),
            other_clinician,
            other_admin: elsewhere.admin_token,
            expired: sign(&expired),
            tampered,
            alg_none: unsigned,
        },
    )
}

/// A small PNG, sent as a photo upload's body.
async fn send_photo(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    use image::ImageEncoder;
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&[120u8; 4 * 4 * 3], 4, 4, image::ExtendedColorType::Rgb8)
        .unwrap();
    let mut req = app
        .client
        .put(format!("{}{path}", app.address))
        .header("content-type", "image/png")
        .body(png);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("request sent")
}

/// The operation's request, with an image body where it takes one.
async fn call(
    app: &TestApp,
    op: &Op,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> reqwest::Response {
    if op.image_body {
        return send_photo(app, path, token).await;
    }
    app.request(op.method.clone(), path, token, body).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Unauthorized,
    Forbidden,
    NotFound,
    /// The caller's own scope: any answer, as long as it has no victim data.
    OwnScope,
}

async fn authorization_matrix(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("AFTERCARE_METRICS_TOKEN", METRICS_TOKEN),
            ("AFTERCARE_PUSH_ALLOW_INSECURE", "1"),
        ],
    )
    .await;
    let (mut victim, t) = setup(&app).await;
    let (mut ops, public) = spec_operations();
    // Erasing oneself ends the caller: its own-scope and owner calls go last;
    // before it, cancelling the victim's treatment (it takes no logs or
    // plans after), and before that discharging and readmitting the victim
    // (no reminders in between); deleting the victim's webhook goes after
    // the reads of it.
    ops.sort_by_key(|op| {
        (
            op.method == Method::DELETE && op.path == "/v1/me",
            op.id == "cancelTreatment",
            op.id == "readmitPatient",
            op.id == "dischargePatient",
            op.method == Method::DELETE && op.path.starts_with("/v1/clinic/webhooks/"),
        )
    });
    let mut failures = Vec::new();
    let mut requests = 0;
    let mut own_scope = 0;
    // The owners' real answers, by "operationId status" (see below).
    let mut answers = serde_json::Map::new();

    for op in &ops {
        if op.path.starts_with("/v1/reminders/") {
            // Plan and preference changes (earlier operations) replace
            // unsent occurrences, and with them their ids.
            victim.current_occurrence(&app).await;
        }
        let path = victim.fill(&op.path);
        let role_of = |role: &str| op.roles.iter().any(|r| r == role);
        let outsider = |role: &str| {
            if !role_of(role) {
                Expect::Forbidden
            } else if op.victim_bound {
                Expect::NotFound
            } else {
                Expect::OwnScope
            }
        };
        let mut cases: Vec<(&str, Option<&str>, Expect)> = vec![
            ("no token", None, Expect::Unauthorized),
            ("expired token", Some(&t.expired), Expect::Unauthorized),
            ("tampered token", Some(&t.tampered), Expect::Unauthorized),
            ("alg none", Some(&t.alg_none), Expect::Unauthorized),
            (
                "refresh token as access token",
                Some(&victim.refresh),
                Expect::Unauthorized,
            ),
        ];
        // The victim's own clinic and the victim, in roles the operation refuses.
        for (role, token) in [
            ("patient", &victim.access),
            ("clinician", &t.clinician),
            ("admin", &t.admin),
        ] {
            if !role_of(role) && op.id != "metrics" {
                cases.push(("wrong role", Some(token), Expect::Forbidden));
            }
        }
        cases.extend([
            (
                "other patient, same clinic",
                Some(t.other_patient.as_str()),
                outsider("patient"),
            ),
            (
                "clinician of another clinic",
                Some(&t.other_clinician),
                outsider("clinician"),
            ),
            (
                "admin of another clinic",
                Some(&t.other_admin),
                outsider("admin"),
            ),
        ]);
        if op.id == "metrics" {
            // Access tokens of any kind are not the metrics token.
            for case in cases.iter_mut() {
                case.2 = Expect::Unauthorized;
            }
        }

        for (case, token, expect) in cases {
            requests += 1;
            let res = call(&app, op, &path, token, victim.body(op, "outsider").as_ref()).await;
            let status = res.status().as_u16();
            let ctype = res
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap_or("").to_string())
                .unwrap_or_default();
            let text = res.text().await.unwrap();
            let wanted = match expect {
                Expect::Unauthorized => Some(401),
                Expect::Forbidden => Some(403),
                Expect::NotFound => Some(404),
                Expect::OwnScope => {
                    own_scope += 1;
                    None
                }
            };
            let what = format!("{} {} ({}) as {case}", op.method, op.path, op.id);
            if let Some(w) = wanted {
                if status != w {
                    failures.push(format!("{what}: {status}, expected {w}: {text}"));
                } else if ctype != "application/problem+json" {
                    failures.push(format!("{what}: {w} is not problem+json"));
                }
            }
            if status >= 500 {
                failures.push(format!("{what}: server error {status}"));
            }
            for secret in &victim.secrets {
                if text.contains(secret.as_str()) {
                    failures.push(format!(
                        "{what}: the response carries victim data {secret:?}"
                    ));
                }
            }
        }

        // The victim's own side gets through with the same ids and body.
        let (owner, token) = if op.id == "metrics" {
            ("metrics", METRICS_TOKEN)
        } else if role_of("patient") && (op.victim_bound || !role_of("clinician")) {
            ("victim", victim.access.as_str())
        } else if role_of("clinician") {
            ("clinician", t.clinician.as_str())
        } else {
            ("admin", t.admin.as_str())
        };
        let res = call(
            &app,
            op,
            &path,
            Some(token),
            victim.body(op, owner).as_ref(),
        )
        .await;
        // The owner reaches the password check (see `Victim::body`).
        let reached = op.id == "changeOwnPassword" && res.status() == 422;
        if !res.status().is_success() && !reached {
            let status = res.status();
            failures.push(format!(
                "{} {} ({}) as its owner ({owner}): {status}, expected 2xx: {}",
                op.method,
                op.path,
                op.id,
                res.text().await.unwrap()
            ));
        } else if res.status().is_success() {
            // The real answer is what the contract says it is.
            let status = res.status().as_u16().to_string();
            let json = res
                .headers()
                .get("content-type")
                .is_some_and(|c| c.as_bytes().starts_with(b"application/json"));
            let text = res.text().await.unwrap();
            if json {
                let body: Value = serde_json::from_str(&text).unwrap();
                let errors = crate::contract::validate_response(&op.id, &status, &body);
                if !errors.is_empty() {
                    failures.push(format!(
                        "{} {} ({}) answer is not its schema: {errors:#?}",
                        op.method, op.path, op.id
                    ));
                }
                answers.insert(format!("{} {status}", op.id), body);
            }
        }
    }

    let figures = format!(
        "authz matrix ({backend:?}): {} secured operations, {requests} refused-caller requests \
         ({own_scope} on the caller's own scope) + {} owner controls; {public} public operations; \
         {} failures",
        ops.len(),
        ops.len(),
        failures.len()
    );
    println!("{figures}");
    // The test harness captures stdout; `.ci/run` prints this file instead.
    let out = format!(
        "{}/authz-matrix-{backend:?}.txt",
        env!("CARGO_TARGET_TMPDIR")
    );
    std::fs::write(&out, format!("{figures}\n")).expect("matrix figures written");
    // AFTERCARE_CAPTURE_ANSWERS=FILE keeps the owners' answers, the source
    // of openapi.yaml's response examples.
    if let Ok(path) = std::env::var("AFTERCARE_CAPTURE_ANSWERS") {
        std::fs::write(path, serde_json::to_string_pretty(&answers).unwrap()).unwrap();
    }
    assert!(ops.len() >= 28, "the spec lists every secured operation");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

on_both_backends!(authorization_matrix);
