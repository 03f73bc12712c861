//! A fake FCM for black-box tests, speaking the real protocol on loopback:
//! an OAuth 2.0 token endpoint that verifies the JWT bearer assertion (RS256,
//! with the service account's public key; `aud`, `iss`, `scope`, `kid`) and
//! issues access tokens, and `POST /v1/projects/{project}/messages:send`
//! that checks the bearer token on every send, records messages and can
//! answer 404 `UNREGISTERED`, 429 with `Retry-After`, or 503.
//!
//! ```ignore
//! let fcm = TestFcm::start().await;
//! let app = spawn_app_with(backend, &fcm.env()).await;
//! let got = fcm.wait_for(1, Duration::from_secs(20)).await;
//! ```
#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{json, Value};

/// One RSA key pair per test binary (generating one takes a moment).
fn key_pair() -> &'static (String, String) {
    static KEYS: OnceLock<(String, String)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key");
        let private = key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
        let public = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        (private, public)
    })
}

/// A programmed answer to a send, consumed in order per device token
/// before the default 200.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FcmAnswer {
    /// 404 with `errorCode: UNREGISTERED`.
    Unregistered,
    /// 429 with `Retry-After: <secs>`.
    TooManyRequests { retry_after_secs: u64 },
    /// 503.
    Unavailable,
}

/// A message FCM accepted.
#[derive(Debug, Clone)]
pub struct FcmMessage {
    pub token: String,
    /// The whole `message` object.
    pub message: Value,
}

struct State {
    project: String,
    client_email: String,
    key_id: String,
    token_uri: String,
    public_pem: String,
    issued: Mutex<HashSet<String>>,
    token_requests: Mutex<usize>,
    messages: Mutex<Vec<FcmMessage>>,
    attempts: Mutex<HashMap<String, usize>>,
    answers: Mutex<HashMap<String, VecDeque<FcmAnswer>>>,
    failures: Mutex<Vec<String>>,
}

pub struct TestFcm {
    state: Arc<State>,
    pub origin: String,
    pub credentials: PathBuf,
}

impl Drop for TestFcm {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.credentials);
    }
}

impl TestFcm {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let (private_pem, public_pem) = key_pair().clone();
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let state = Arc::new(State {
            project: format!("aftercare-test-{}", &tag[..8]),
            client_email: format!("push@aftercare-test-{}.iam.gserviceaccount.com", &tag[..8]),
            key_id: tag.clone(),
            token_uri: format!("{origin}/token"),
            public_pem,
            issued: Default::default(),
            token_requests: Default::default(),
            messages: Default::default(),
            attempts: Default::default(),
            answers: Default::default(),
            failures: Default::default(),
        });
        let credentials = std::env::temp_dir().join(format!("aftercare-fcm-{tag}.json"));
        let file = json!({
            "type": "service_account",
            "project_id": state.project,
            "private_key_id": state.key_id,
            "private_key": private_pem,
            "client_email": state.client_email,
            "client_id": "1",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": state.token_uri,
        });
        std::fs::write(&credentials, file.to_string()).unwrap();
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/token", web::post().to(token))
                .route("/v1/projects/{project}/messages:send", web::post().to(send))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Self {
            state,
            origin,
            credentials,
        }
    }

    /// The server settings that point FCM here.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "AFTERCARE_FCM_CREDENTIALS",
                self.credentials.to_string_lossy().into_owned(),
            ),
            ("AFTERCARE_FCM_ENDPOINT", self.origin.clone()),
        ]
    }

    pub fn respond_with(&self, token: &str, answers: Vec<FcmAnswer>) {
        self.state
            .answers
            .lock()
            .unwrap()
            .insert(token.to_string(), answers.into());
    }

    pub fn messages(&self) -> Vec<FcmMessage> {
        self.state.messages.lock().unwrap().clone()
    }

    pub fn attempts_for(&self, token: &str) -> usize {
        *self.state.attempts.lock().unwrap().get(token).unwrap_or(&0)
    }

    /// How many access tokens were asked for.
    pub fn token_requests(&self) -> usize {
        *self.state.token_requests.lock().unwrap()
    }

    /// Everything the fake refused as a protocol error.
    pub fn failures(&self) -> Vec<String> {
        self.state.failures.lock().unwrap().clone()
    }

    /// Waits until `n` messages were accepted (or the timeout passes).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<FcmMessage> {
        let started = std::time::Instant::now();
        while started.elapsed() < timeout {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.messages()
    }
}

fn fail(state: &State, why: String) -> String {
    state.failures.lock().unwrap().push(why.clone());
    why
}

#[derive(serde::Deserialize)]
struct AssertionClaims {
    iss: String,
    scope: String,
    aud: String,
    iat: i64,
    exp: i64,
}

async fn token(state: web::Data<State>, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    *state.token_requests.lock().unwrap() += 1;
    let refuse = |why: String| {
        HttpResponse::BadRequest()
            .json(json!({"error": "invalid_grant", "error_description": fail(&state, why)}))
    };
    if form.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return refuse(format!("grant_type was {:?}", form.get("grant_type")));
    }
    let Some(assertion) = form.get("assertion") else {
        return refuse("no assertion".into());
    };
    let key = DecodingKey::from_rsa_pem(state.public_pem.as_bytes()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[&state.token_uri]);
    validation.set_issuer(&[&state.client_email]);
    validation.set_required_spec_claims(&["exp", "iat", "aud", "iss"]);
    let data = match jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation) {
        Ok(d) => d,
        Err(e) => return refuse(format!("assertion refused: {e}")),
    };
    if data.header.kid.as_deref() != Some(state.key_id.as_str()) {
        return refuse(format!("kid was {:?}", data.header.kid));
    }
    let c = data.claims;
    if c.scope != "https://www.googleapis.com/auth/firebase.messaging" {
        return refuse(format!("scope was {}", c.scope));
    }
    if c.exp - c.iat > 3600 || c.aud != state.token_uri {
        return refuse("assertion lifetime over an hour".into());
    }
    let access = format!("ya29.{}", uuid::Uuid::new_v4().simple());
    state.issued.lock().unwrap().insert(access.clone());
    HttpResponse::Ok()
        .json(json!({"access_token": access, "expires_in": 3599, "token_type": "Bearer"}))
}

async fn send(
    state: web::Data<State>,
    req: HttpRequest,
    project: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    if !state.issued.lock().unwrap().contains(&bearer) {
        fail(&state, "send without an issued access token".into());
        return HttpResponse::Unauthorized().json(
            json!({"error": {"code": 401, "status": "UNAUTHENTICATED", "message": "bad token"}}),
        );
    }
    if project.as_str() != state.project {
        fail(&state, format!("project was {project}"));
        return HttpResponse::NotFound().finish();
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        fail(&state, "body is not JSON".into());
        return HttpResponse::BadRequest().finish();
    };
    let message = v["message"].clone();
    let Some(token) = message["token"].as_str().map(String::from) else {
        fail(&state, "message without a token".into());
        return HttpResponse::BadRequest().finish();
    };
    // FCM wants every data value as a string.
    if let Some(data) = message["data"].as_object() {
        if data.values().any(|v| !v.is_string()) {
            fail(&state, format!("non-string data: {data:?}"));
            return HttpResponse::BadRequest().finish();
        }
    }
    *state
        .attempts
        .lock()
        .unwrap()
        .entry(token.clone())
        .or_default() += 1;
    let answer = state
        .answers
        .lock()
        .unwrap()
        .get_mut(&token)
        .and_then(|q| q.pop_front());
    match answer {
        Some(FcmAnswer::Unregistered) => HttpResponse::NotFound().json(json!({"error": {
            "code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
            "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]
        }})),
        Some(FcmAnswer::TooManyRequests { retry_after_secs }) => HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", retry_after_secs.to_string()))
            .json(json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "quota"}})),
        Some(FcmAnswer::Unavailable) => HttpResponse::ServiceUnavailable().finish(),
        None => {
            state.messages.lock().unwrap().push(FcmMessage {
                token,
                message,
            });
            HttpResponse::Ok().json(json!({"name": format!("projects/{}/messages/1", state.project)}))
        }
    }
}
