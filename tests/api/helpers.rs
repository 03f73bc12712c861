use std::time::Duration;

use aftercare::config::Config;
use aftercare::db::Db;
use aftercare::startup::{open_database, Application};
use diesel::connection::SimpleConnection;
use diesel::Connection;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares `mod name { sqlite(), postgres() }` for each async test `name(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

pub fn postgres_base_url() -> String {
    std::env::var("AFTERCARE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh, empty database for one test: a SQLite file, or a PostgreSQL schema.
pub fn fresh_database_url(backend: Backend) -> String {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    match backend {
        Backend::Sqlite => std::env::temp_dir()
            .join(format!("aftercare-test-{tag}.db"))
            .to_string_lossy()
            .into_owned(),
        Backend::Postgres => {
            let base = postgres_base_url();
            let schema = format!("t_{tag}");
            let mut conn = diesel::PgConnection::establish(&base).unwrap_or_else(|e| {
                panic!("PostgreSQL must be reachable at {base} for the second pass: {e}")
            });
            conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
                .expect("create test schema");
            let sep = if base.contains('?') { '&' } else { '?' };
            format!("{base}{sep}options=-csearch_path%3D{schema}")
        }
    }
}

/// The media folder of a test database (the same for every process on it).
pub fn media_dir_of(database_url: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    database_url.hash(&mut h);
    std::env::temp_dir()
        .join(format!("aftercare-test-media-{:016x}", h.finish()))
        .to_string_lossy()
        .into_owned()
}

/// The `export.json` of a `GET /v1/me/export` answer (a ZIP archive).
pub async fn export_json(res: Response) -> Value {
    assert_eq!(res.status(), StatusCode::OK, "export");
    let bytes = res.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a ZIP");
    let file = zip.by_name("export.json").expect("export.json in the ZIP");
    serde_json::from_reader(file).expect("export.json is JSON")
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub database_url: String,
}

pub struct TestClinic {
    pub clinic_id: String,
    pub admin_email: String,
    pub admin_password: String,
    pub admin_token: String,
}

pub struct TestPatient {
    pub id: String,
    pub access_token: String,
    pub refresh_token: String,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// Starts the real server on port 0 with extra environment settings.
pub async fn spawn_app_with(backend: Backend, env: &[(&str, &str)]) -> TestApp {
    let database_url = fresh_database_url(backend);
    spawn_on(database_url, env).await
}

/// Starts another server against an existing database (several processes, one database).
pub async fn spawn_on(database_url: String, env: &[(&str, &str)]) -> TestApp {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain([
            ("DATABASE_URL".into(), database_url.clone()),
            ("AFTERCARE_BIND".into(), "127.0.0.1:0".into()),
            ("AFTERCARE_DB_POOL_SIZE".into(), "4".into()),
            // Generous: a loaded CI machine must not turn a slow connect into a failure.
            ("AFTERCARE_DB_TIMEOUT_SECS".into(), "10".into()),
            // Photos of one database in a folder of their own (processes on
            // the same database share it), so one test's sweep never sees
            // another's objects.
            ("AFTERCARE_MEDIA_DIR".into(), media_dir_of(&database_url)),
        ])
        .collect();
    let config = Config::from_lookup(|k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
        .expect("test configuration");
    let app = Application::build(config.clone()).expect("application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let db = open_database(&config).expect("second handle to the database");
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        db,
        database_url,
    }
}

impl TestApp {
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::PUT, path, token, Some(body)).await
    }

    /// Creates a clinic the way the CLI does, and signs its admin in.
    pub async fn new_clinic(&self) -> TestClinic {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let email = format!("admin-{tag}@clinic.example");
        let db = self.db.clone();
        let e = email.clone();
        let created = tokio::task::spawn_blocking(move || {
            aftercare::cli::create_clinic(&db, "Test Clinic", &e, None, None)
        })
        .await
        .unwrap()
        .expect("clinic created");
        let password = created.generated_password.expect("generated password");
        let tokens = self.login(&email, &password).await;
        TestClinic {
            clinic_id: created.clinic_id,
            admin_email: email,
            admin_password: password,
            admin_token: tokens["access_token"].as_str().unwrap().to_string(),
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> Value {
        let res = self
            .post(
                "/v1/auth/login",
                None,
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "login of {email}");
        res.json().await.unwrap()
    }

    /// Adds a clinician to the clinic and returns their access token.
    pub async fn add_clinician(&self, clinic: &TestClinic) -> String {
        let email = format!("doc-{}@clinic.example", uuid::Uuid::new_v4().simple());
        let res = self
            .post(
                "/v1/staff",
                Some(&clinic.admin_token),
                &json!({"email": email, "name": "Dr Test", "role": "clinician"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.unwrap();
        let password = body["password"]
            .as_str()
            .expect("generated password shown once");
        self.login(&email, password).await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn add_patient(
        &self,
        clinician_token: &str,
        timezone: &str,
        fitzpatrick: i64,
    ) -> String {
        let email = format!("pat-{}@mail.example", uuid::Uuid::new_v4().simple());
        let res = self
            .post(
                "/v1/patients",
                Some(clinician_token),
                &json!({"name": "Pat Test", "email": email, "timezone": timezone, "fitzpatrick": fitzpatrick}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.unwrap();
        body["id"].as_str().unwrap().to_string()
    }

    pub async fn enrolment_code(&self, clinician_token: &str, patient_id: &str) -> String {
        let res = self
            .post(
                &format!("/v1/patients/{patient_id}/enrolment-codes"),
                Some(clinician_token),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.unwrap();
        body["code"].as_str().unwrap().to_string()
    }

    /// Adds a patient and enrols them as the app would.
    pub async fn enrolled_patient(
        &self,
        clinician_token: &str,
        timezone: &str,
        fitzpatrick: i64,
    ) -> TestPatient {
        let id = self
            .add_patient(clinician_token, timezone, fitzpatrick)
            .await;
        let code = self.enrolment_code(clinician_token, &id).await;
        let res = self
            .post(
                "/v1/auth/enrol",
                None,
                &json!({"code": code, "password": "patient password 1"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        TestPatient {
            id,
            access_token: body["access_token"].as_str().unwrap().into(),
            refresh_token: body["refresh_token"].as_str().unwrap().into(),
        }
    }
}

/// Asserts a problem+json response with the given status; returns its body.
pub async fn assert_problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert_eq!(ct, "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["type"]
        .as_str()
        .unwrap()
        .starts_with("urn:aftercare:problem:"));
    assert!(!body["title"].as_str().unwrap().is_empty());
    assert!(body["detail"].is_string());
    body
}

/// A real `aftercare` process, killed when dropped.
pub struct ServeProcess(pub std::process::Child);

impl ServeProcess {
    pub fn spawn(mut cmd: std::process::Command) -> Self {
        Self(cmd.spawn().expect("start aftercare"))
    }

    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn wait_healthy(client: &reqwest::Client, address: &str) {
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{address}/healthz")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{address} did not become healthy");
}

/// `aftercare serve` as a child process on a free port; returns it with a
/// `TestApp` that talks to it and the file its logs go to.
pub async fn serve_process(
    database_url: &str,
    env: &[(&str, &str)],
) -> (ServeProcess, TestApp, std::path::PathBuf) {
    let port = free_port();
    let log = std::env::temp_dir().join(format!(
        "aftercare-test-{}.log",
        uuid::Uuid::new_v4().simple()
    ));
    // AFTERCARE_SERVE_BIN runs another build (e.g. release, for the figures
    // the README states) under the same test.
    let bin = std::env::var("AFTERCARE_SERVE_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_aftercare").to_string());
    let mut cmd = std::process::Command::new(bin);
    cmd.arg("serve")
        .env("DATABASE_URL", database_url)
        .env("AFTERCARE_BIND", format!("127.0.0.1:{port}"))
        // Not the working directory's aftercare-media/ (the PostgreSQL default).
        .env("AFTERCARE_MEDIA_DIR", media_dir_of(database_url))
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let process = ServeProcess::spawn(cmd);
    let address = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_healthy(&client, &address).await;
    let url = database_url.to_string();
    let config = Config::from_lookup(|k| (k == "DATABASE_URL").then(|| url.clone())).unwrap();
    let app = TestApp {
        address,
        client,
        db: Db::new(config.database.clone(), 2, Duration::from_secs(5)),
        database_url: database_url.to_string(),
    };
    (process, app, log)
}

/// A secret the server keeps sealed in the `settings` table, opened with the
/// secrets key file the server made (beside a SQLite file, or in the working
/// directory for PostgreSQL), as only a holder of both can.
pub fn stored_secret(app: &TestApp, name: &str) -> String {
    let url = app.database_url.clone();
    let config = Config::from_lookup(|k| (k == "DATABASE_URL").then(|| url.clone())).unwrap();
    let (key, _) = aftercare::secrets::SecretsKey::load_or_create(&config.secrets_key_file)
        .expect("the server made the key file");
    let mut conn = app.db.conn().unwrap();
    let sealed = aftercare::store::settings::get(&mut conn, name)
        .unwrap()
        .expect("secret generated at start");
    key.open(name, &sealed).expect("sealed with the key file")
}
