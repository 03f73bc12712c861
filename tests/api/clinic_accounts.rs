//! Accounts scoped to their clinic: one e-mail may be an account at two
//! clinics, adding one reveals nothing about the other, sign-in asks for
//! the clinic code only when the password opens both; the clinic's
//! settings with its name and code; the migration that made e-mails
//! unique per clinic keeps every row; sign-in budgets shared by processes.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, spawn_app, spawn_app_with, spawn_on, Backend, TestApp, TestClinic,
};
use crate::on_both_backends;

const SHARED_PASSWORD: &str = "one password everywhere";

async fn code_of(app: &TestApp, clinic: &TestClinic) -> String {
    let settings: Value = app
        .get("/v1/clinic", Some(&clinic.admin_token))
        .await
        .json()
        .await
        .unwrap();
    settings["code"].as_str().expect("clinic code").to_string()
}

async fn add_staff(app: &TestApp, clinic: &TestClinic, email: &str, password: &str) -> Value {
    let res = app
        .post(
            "/v1/staff",
            Some(&clinic.admin_token),
            &json!({"email": email, "name": "Dr Twice", "role": "clinician", "password": password}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "staff {email}");
    res.json().await.unwrap()
}

/// Adds a patient with this e-mail and enrols them with `password`.
async fn enrolled(app: &TestApp, clinic: &TestClinic, email: &str, password: &str) -> String {
    let res = app
        .post(
            "/v1/patients",
            Some(&clinic.admin_token),
            &json!({"name": "Deniz Twice", "email": email, "timezone": "Europe/Istanbul", "fitzpatrick": 3}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "patient {email}");
    let body: Value = res.json().await.unwrap();
    let id = body["id"].as_str().unwrap().to_string();
    let code = app.enrolment_code(&clinic.admin_token, &id).await;
    let res = app
        .post(
            "/v1/auth/enrol",
            None,
            &json!({"code": code, "password": password}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    id
}

async fn login(app: &TestApp, body: Value) -> reqwest::Response {
    app.post("/v1/auth/login", None, &body).await
}

async fn me(app: &TestApp, token: &str) -> Value {
    app.get("/v1/me", Some(token)).await.json().await.unwrap()
}

async fn one_email_is_two_independent_accounts_at_two_clinics(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.new_clinic().await;
    let b = app.new_clinic().await;
    let (code_a, code_b) = (code_of(&app, &a).await, code_of(&app, &b).await);
    assert_ne!(code_a, code_b);

    // The same patient at both clinics: the second clinic gets the same
    // answer as the first, with nothing about the other account in it.
    let email = format!("deniz-{}@mail.example", uuid::Uuid::new_v4().simple());
    let pa = enrolled(&app, &a, &email, SHARED_PASSWORD).await;
    let pb = enrolled(&app, &b, &email.to_uppercase(), SHARED_PASSWORD).await;
    assert_ne!(pa, pb);
    // Within one clinic an e-mail is still one account.
    assert_problem(
        app.post(
            "/v1/patients",
            Some(&b.admin_token),
            &json!({"name": "Again", "email": email, "timezone": "UTC", "fitzpatrick": 2}),
        )
        .await,
        409,
    )
    .await;

    // One password opens both: the answer asks for the clinic, nothing more.
    let res = login(&app, json!({"email": email, "password": SHARED_PASSWORD})).await;
    let problem = assert_problem(res, 409).await;
    assert_eq!(problem["type"], "urn:aftercare:problem:clinic-required");
    assert!(problem.get("access_token").is_none());
    for (code, patient, clinic) in [(&code_a, &pa, &a), (&code_b, &pb, &b)] {
        // Codes are read case-insensitively.
        let res = login(
            &app,
            json!({"email": email, "password": SHARED_PASSWORD, "clinic": code.to_lowercase()}),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        let tokens: Value = res.json().await.unwrap();
        let who = me(&app, tokens["access_token"].as_str().unwrap()).await;
        assert_eq!(&who["id"], patient);
        assert_eq!(who["clinic"]["id"], clinic.clinic_id);
    }
    // A wrong or unknown code is a wrong credential; a malformed one a 422.
    let res = login(
        &app,
        json!({"email": email, "password": SHARED_PASSWORD, "clinic": "ZZZZZZ"}),
    )
    .await;
    assert_problem(res, 401).await;
    let res = login(
        &app,
        json!({"email": email, "password": SHARED_PASSWORD, "clinic": "no such code!"}),
    )
    .await;
    assert_eq!(
        assert_problem(res, 422).await["errors"][0]["field"],
        "clinic"
    );

    // Staff: two passwords, each opens its own account without a code.
    let staff_email = format!("dr-{}@clinic.example", uuid::Uuid::new_v4().simple());
    let sa = add_staff(&app, &a, &staff_email, "password at clinic A").await;
    let sb = add_staff(&app, &b, &staff_email, "password at clinic B").await;
    assert_eq!(
        sa.as_object().unwrap().keys().collect::<Vec<_>>(),
        sb.as_object().unwrap().keys().collect::<Vec<_>>(),
        "the same answer at both clinics"
    );
    for (password, clinic) in [("password at clinic A", &a), ("password at clinic B", &b)] {
        let tokens = app.login(&staff_email, password).await;
        let who = me(&app, tokens["access_token"].as_str().unwrap()).await;
        assert_eq!(who["clinic"]["id"], clinic.clinic_id);
        assert_eq!(who["role"], "clinician");
    }
    // Each clinic sees only its own account.
    for (clinic, own, other) in [(&a, &sa, &sb), (&b, &sb, &sa)] {
        let staff: Value = app
            .get("/v1/staff", Some(&clinic.admin_token))
            .await
            .json()
            .await
            .unwrap();
        let ids: Vec<&Value> = staff["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["id"])
            .collect();
        assert!(ids.contains(&&own["id"]) && !ids.contains(&&other["id"]));
    }
    // Erasing one patient account leaves the other whole.
    let res = login(
        &app,
        json!({"email": email, "password": SHARED_PASSWORD, "clinic": code_a}),
    )
    .await;
    let token_a: Value = res.json().await.unwrap();
    let res = app
        .request(
            reqwest::Method::DELETE,
            "/v1/me",
            Some(token_a["access_token"].as_str().unwrap()),
            None,
        )
        .await;
    assert!(res.status().is_success(), "erase: {}", res.status());
    let res = login(&app, json!({"email": email, "password": SHARED_PASSWORD})).await;
    assert_eq!(res.status(), StatusCode::OK, "only one account left");
    let tokens: Value = res.json().await.unwrap();
    assert_eq!(
        me(&app, tokens["access_token"].as_str().unwrap()).await["id"],
        pb
    );
}

async fn the_console_asks_for_the_clinic_code_only_when_needed(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.new_clinic().await;
    let b = app.new_clinic().await;
    let code_b = code_of(&app, &b).await;
    let email = format!("dr-{}@clinic.example", uuid::Uuid::new_v4().simple());
    add_staff(&app, &a, &email, SHARED_PASSWORD).await;
    add_staff(&app, &b, &email, SHARED_PASSWORD).await;
    let res = crate::console::sign_in_form(
        &app,
        &[("email", &email), ("password", SHARED_PASSWORD)],
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let page = res.text().await.unwrap();
    assert!(page.contains("more than one clinic"), "{page}");
    assert!(page.contains("name=\"clinic\""));
    let res = crate::console::sign_in_form(
        &app,
        &[
            ("email", &email),
            ("password", SHARED_PASSWORD),
            ("clinic", &code_b),
        ],
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A wrong code is a wrong credential.
    let res = crate::console::sign_in_form(
        &app,
        &[
            ("email", &email),
            ("password", SHARED_PASSWORD),
            ("clinic", "QQQQQQ"),
        ],
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn clinic_settings_have_a_name_and_a_read_only_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let code = code_of(&app, &clinic).await;
    assert_eq!(code.len(), 6);
    let res = app
        .request(
            reqwest::Method::PATCH,
            "/v1/clinic",
            Some(&clinic.admin_token),
            Some(&json!({"name": "  Cilt Kliniği Kadıköy "})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["name"], "Cilt Kliniği Kadıköy");
    assert_eq!(got["code"], code);
    for bad in [json!({"code": "ABCDEF"}), json!({"name": ""})] {
        let res = app
            .request(
                reqwest::Method::PATCH,
                "/v1/clinic",
                Some(&clinic.admin_token),
                Some(&bad),
            )
            .await;
        assert_problem(res, 422).await;
    }
    let got: Value = app
        .get("/v1/clinic", Some(&clinic.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&got["name"], &got["code"]),
        (&json!("Cilt Kliniği Kadıköy"), &json!(code))
    );

    // The console shows the code to admins, with the settings form.
    let admin = crate::console::sign_in(&app, &clinic.admin_email, &clinic.admin_password).await;
    let page = admin.page("/console/clinic").await;
    assert!(
        page.contains(&format!("<code id=\"clinic-code\">{code}</code>")),
        "{page}"
    );
    assert!(page.contains("Cilt Kliniği Kadıköy"));
    let email = format!("dr-{}@clinic.example", uuid::Uuid::new_v4().simple());
    add_staff(&app, &clinic, &email, "clinician password 1").await;
    let doc = crate::console::sign_in(&app, &email, "clinician password 1").await;
    assert_eq!(doc.get("/console/clinic").await.status(), 403);
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const CLINIC_ACCOUNTS: &str = "20261128000014";

/// Rows per table of the data a clinic's day leaves behind.
const COUNTED: [&str; 8] = [
    "clinics",
    "accounts",
    "patients",
    "refresh_tokens",
    "enrolment_codes",
    "treatments",
    "daily_logs",
    "audit_log",
];

fn counts(mut count: impl FnMut(String) -> i64) -> Vec<(String, i64)> {
    COUNTED
        .iter()
        .map(|t| {
            (
                t.to_string(),
                count(format!("SELECT count(*) AS n FROM {t}")),
            )
        })
        .collect()
}

macro_rules! count_on {
    ($c:expr) => {
        |q: String| diesel::sql_query(q).get_result::<Count>($c).unwrap().n
    };
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Reverts the clinic-accounts migration (and any after it).
fn before_clinic_accounts<C>(c: &mut C, migrations: fn() -> EmbeddedMigrations)
where
    C: MigrationHarness<C::Backend> + Connection,
{
    while c
        .applied_migrations()
        .unwrap()
        .iter()
        .any(|v| v.to_string().replace('-', "") == CLINIC_ACCOUNTS)
    {
        c.revert_last_migration(migrations()).unwrap();
    }
}

/// A database holding a clinic's data is taken back to before the
/// migration and forward again, twice: by diesel's own harness on a plain
/// connection (foreign keys on, as the bundled SQLite defaults), and by the
/// server starting on it. Every row stays, and the server serves it.
async fn the_clinic_accounts_migration_keeps_every_row(backend: Backend) {
    let app = spawn_app(backend).await;
    let clinic = app.new_clinic().await;
    let doc = app.add_clinician(&clinic).await;
    let patient = app.enrolled_patient(&doc, "Europe/Istanbul", 3).await;
    let t = crate::recovery::add_treatment(&app, &doc, &patient.id, 0.5, 2).await;
    let day0 = t["day0"].as_str().unwrap();
    let res = app
        .put(
            &format!("/v1/treatments/{}/logs/{day0}", t["id"].as_str().unwrap()),
            Some(&patient.access_token),
            &json!({"redness": 4, "swelling": 2, "flaking": 0, "sensitivity": 3}),
        )
        .await;
    assert!(res.status().is_success());
    let url = app.database_url.clone();

    let (before, after) = match backend {
        Backend::Sqlite => {
            let mut c = diesel::SqliteConnection::establish(&url).unwrap();
            c.batch_execute("PRAGMA busy_timeout = 10000").unwrap();
            let before = counts(count_on!(&mut c));
            before_clinic_accounts(&mut c, || SQLITE_MIGRATIONS);
            c.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
            let fk: i64 = diesel::sql_query("SELECT foreign_keys AS n FROM pragma_foreign_keys")
                .get_result::<Count>(&mut c)
                .unwrap()
                .n;
            assert_eq!(fk, 1, "the migration turns foreign keys back on");
            let after = counts(count_on!(&mut c));
            before_clinic_accounts(&mut c, || SQLITE_MIGRATIONS);
            (before, after)
        }
        Backend::Postgres => {
            let mut c = diesel::PgConnection::establish(&url).unwrap();
            let before = counts(count_on!(&mut c));
            before_clinic_accounts(&mut c, || POSTGRES_MIGRATIONS);
            c.run_pending_migrations(POSTGRES_MIGRATIONS).unwrap();
            let after = counts(count_on!(&mut c));
            before_clinic_accounts(&mut c, || POSTGRES_MIGRATIONS);
            (before, after)
        }
    };
    assert_eq!(before, after, "diesel's harness kept every row");
    assert!(before.iter().all(|(_, n)| *n > 0), "{before:?}");

    // The server migrates the older database on start.
    let again = spawn_on(url.clone(), &[]).await;
    let after = match backend {
        Backend::Sqlite => {
            let mut c = diesel::SqliteConnection::establish(&url).unwrap();
            counts(count_on!(&mut c))
        }
        Backend::Postgres => {
            let mut c = diesel::PgConnection::establish(&url).unwrap();
            counts(count_on!(&mut c))
        }
    };
    assert_eq!(before, after, "the server's migration kept every row");
    // Existing clinics got a code; the patient's sign-in still works.
    let settings: Value = again
        .get("/v1/clinic", Some(&clinic.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(settings["code"], "K00001");
    let res = again
        .post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": patient.refresh_token}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let logs: Value = again
        .get(
            &format!("/v1/treatments/{}/logs", t["id"].as_str().unwrap()),
            Some(&patient.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(logs["items"].as_array().unwrap().len(), 1);
}

on_both_backends!(
    one_email_is_two_independent_accounts_at_two_clinics,
    the_console_asks_for_the_clinic_code_only_when_needed,
    clinic_settings_have_a_name_and_a_read_only_code,
    the_clinic_accounts_migration_keeps_every_row,
);

/// Two server processes on one PostgreSQL share the sign-in budget: N
/// wrong passwords spread over both spend it, then both refuse.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_budget_holds_across_two_processes_on_postgres() {
    let env = [("AFTERCARE_AUTH_LIMIT_ACCOUNT", "4")];
    let one = spawn_app_with(Backend::Postgres, &env).await;
    let two = spawn_on(one.database_url.clone(), &env).await;
    let clinic = one.new_clinic().await; // one attempt, successful
    for (i, app) in [&two, &one, &two].into_iter().enumerate() {
        let res = login(
            app,
            json!({"email": clinic.admin_email, "password": "wrong password!"}),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    for app in [&one, &two] {
        let res = login(
            app,
            json!({"email": clinic.admin_email, "password": clinic.admin_password}),
        )
        .await;
        let retry: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=15 * 60).contains(&retry));
        assert_problem(res, 429).await;
    }
    // Another account from the same address still has its budget.
    let res = login(
        &two,
        json!({"email": "other@x.example", "password": "guess guess"}),
    )
    .await;
    assert_problem(res, 401).await;
}
