//! A fake Web Push service for black-box tests: it plays the push service
//! *and* the browser, verifying each request the way a real service does
//! (VAPID per RFC 8292, aes128gcm per RFC 8291) and decrypting the payload
//! with the subscriber's private key.
//!
//! ```ignore
//! let push = TestPushService::start().await;        // inside a tokio runtime
//! let sub = push.subscriber();                      // a fresh "browser"
//! // … register sub.json() with the server under test, make it send …
//! let got = push.wait_for(1, Duration::from_secs(5)).await;
//! assert_eq!(got[0].payload["kind"], "log_symptoms");
//! assert!(push.failures().is_empty());
//! ```
//!
//! Depends only on: actix-web, ece, jsonwebtoken (rust_crypto), serde_json,
//! base64, tokio, uuid.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

const B64URL_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A message the service accepted (answered 2xx) and decrypted.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub subscriber_id: String,
    /// The decrypted payload (a JSON string value if it was not JSON).
    pub payload: serde_json::Value,
    pub ttl: u64,
    pub topic: Option<String>,
    pub urgency: Option<String>,
    /// The VAPID JWT (`t=`), to check signature reuse.
    pub vapid_token: String,
    /// The VAPID public key (`k=`), base64url.
    pub vapid_key: String,
    /// The verified `aud` and `sub` claims.
    pub vapid_aud: String,
    pub vapid_sub: String,
}

/// A programmed answer, consumed in order per subscriber before the default
/// 201 Created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Created,
    /// Accepted like `Created`, but answered with this 2xx status (push
    /// services may answer 200 or 202).
    Accepted(u16),
    /// 410 Gone.
    Gone,
    /// 429 with `Retry-After: <secs>`.
    TooManyRequests {
        retry_after_secs: u64,
    },
    /// 500.
    ServerError,
    /// Any other status, empty body.
    Status(u16),
}

/// A browser-like push subscription.
#[derive(Clone)]
pub struct TestSubscriber {
    pub id: String,
    pub endpoint: String,
    /// base64url (no padding) of the 65-byte uncompressed public key.
    pub p256dh: String,
    /// base64url (no padding) of the 16-byte auth secret.
    pub auth: String,
}

impl TestSubscriber {
    /// The shape of the browser's `PushSubscription.toJSON()`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "endpoint": self.endpoint,
            "expirationTime": null,
            "keys": { "p256dh": self.p256dh, "auth": self.auth },
        })
    }
}

struct Keys {
    components: ece::EcKeyComponents,
    auth: Vec<u8>,
}

#[derive(Default)]
struct State {
    subscribers: HashMap<String, Keys>,
    unsubscribed: std::collections::HashSet<String>,
    answers: HashMap<String, VecDeque<Answer>>,
    attempts: HashMap<String, usize>,
    deliveries: Vec<Delivery>,
    failures: Vec<String>,
    expected_key: Option<String>,
}

struct Shared {
    origin: String,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The running fake push service. Stops when dropped.
pub struct TestPushService {
    shared: Arc<Shared>,
    port: u16,
    handle: actix_web::dev::ServerHandle,
}

impl TestPushService {
    /// Starts on 127.0.0.1 on a free port. Call inside a tokio runtime (any
    /// flavour, e.g. `#[tokio::test(flavor = "multi_thread")]`); the server
    /// has its own worker thread.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind test push service");
        let port = listener.local_addr().expect("local addr").port();
        let shared = Arc::new(Shared {
            origin: format!("http://127.0.0.1:{port}"),
            state: Mutex::new(State::default()),
        });
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(64 * 1024))
                .route("/push/{id}", web::post().to(receive))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)
        .expect("listen test push service")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            shared,
            port,
            handle,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`, the `aud` every VAPID token must carry.
    pub fn origin(&self) -> String {
        self.shared.origin.clone()
    }

    /// Creates a fresh subscription (new P-256 key pair and auth secret).
    pub fn subscriber(&self) -> TestSubscriber {
        let (key_pair, auth) =
            ece::generate_keypair_and_auth_secret().expect("generate subscriber keys");
        let components = key_pair.raw_components().expect("raw key components");
        let id = uuid::Uuid::new_v4().simple().to_string();
        let subscriber = TestSubscriber {
            endpoint: format!("{}/push/{id}", self.shared.origin),
            p256dh: URL_SAFE_NO_PAD.encode(components.public_key()),
            auth: URL_SAFE_NO_PAD.encode(auth),
            id: id.clone(),
        };
        self.shared.lock().subscribers.insert(
            id,
            Keys {
                components,
                auth: auth.to_vec(),
            },
        );
        subscriber
    }

    /// Every VAPID `k` must equal this key (base64url) from now on.
    pub fn expect_server_key(&self, public_key: &str) {
        self.shared.lock().expected_key = Some(public_key.trim_end_matches('=').to_string());
    }

    /// Queues answers for one subscriber; consumed in order, then 201.
    pub fn respond_with(&self, subscriber_id: &str, answers: Vec<Answer>) {
        self.shared
            .lock()
            .answers
            .entry(subscriber_id.to_string())
            .or_default()
            .extend(answers);
    }

    /// The browser unsubscribed: every later push to it is answered 410.
    pub fn unsubscribe(&self, subscriber_id: &str) {
        self.shared
            .lock()
            .unsubscribed
            .insert(subscriber_id.to_string());
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.lock().deliveries.clone()
    }

    pub fn deliveries_for(&self, subscriber_id: &str) -> Vec<Delivery> {
        self.shared
            .lock()
            .deliveries
            .iter()
            .filter(|d| d.subscriber_id == subscriber_id)
            .cloned()
            .collect()
    }

    /// Requests to a subscriber that passed verification, whatever the answer.
    pub fn attempts_for(&self, subscriber_id: &str) -> usize {
        self.shared
            .lock()
            .attempts
            .get(subscriber_id)
            .copied()
            .unwrap_or(0)
    }

    /// Requests refused as malformed (bad VAPID, missing TTL, wrong
    /// encoding, undecryptable body, unknown subscriber).
    pub fn failures(&self) -> Vec<String> {
        self.shared.lock().failures.clone()
    }

    /// Waits until at least `n` deliveries were recorded (or `timeout`
    /// passed) and returns all deliveries.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Delivery> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let deliveries = self.deliveries();
            if deliveries.len() >= n || tokio::time::Instant::now() >= deadline {
                return deliveries;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for TestPushService {
    fn drop(&mut self) {
        // Sends the stop command now; the returned future only waits for it.
        drop(self.handle.stop(false));
    }
}

struct Vapid {
    token: String,
    key: String,
    aud: String,
    sub: String,
}

fn fail(shared: &Shared, status: u16, message: String) -> HttpResponse {
    shared.lock().failures.push(message.clone());
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status"))
        .content_type("application/json")
        .body(
            serde_json::json!({"code": status, "errno": 999, "error": "test push service", "message": message})
                .to_string(),
        )
}

fn header(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn verify_vapid(shared: &Shared, authorization: &str) -> Result<Vapid, (u16, String)> {
    let params = authorization
        .strip_prefix("vapid ")
        .ok_or((401, "Authorization is not a vapid scheme".to_string()))?;
    let mut token = None;
    let mut key = None;
    for part in params.split(',') {
        let part = part.trim();
        if let Some(t) = part.strip_prefix("t=") {
            token = Some(t.to_string());
        } else if let Some(k) = part.strip_prefix("k=") {
            key = Some(k.trim_end_matches('=').to_string());
        }
    }
    let token = token.ok_or((401, "vapid: missing t=".to_string()))?;
    let key = key.ok_or((401, "vapid: missing k=".to_string()))?;
    let key_bytes = B64URL_LENIENT
        .decode(&key)
        .map_err(|_| (401, "vapid: k is not base64url".to_string()))?;
    if key_bytes.len() != 65 || key_bytes[0] != 0x04 {
        return Err((401, "vapid: k is not an uncompressed P-256 point".into()));
    }
    if let Some(expected) = &shared.lock().expected_key {
        if *expected != key {
            return Err((403, "vapid: k is not the expected server key".into()));
        }
    }

    // With rust_crypto, an EC "DER" decoding key is the raw SEC1 point.
    let decoding_key = jsonwebtoken::DecodingKey::from_ec_der(&key_bytes);
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[shared.origin.as_str()]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    validation.leeway = 0;
    let claims = jsonwebtoken::decode::<serde_json::Value>(&token, &decoding_key, &validation)
        .map_err(|e| (401, format!("vapid: JWT rejected: {e}")))?
        .claims;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    // jsonwebtoken already checked exp is a number in the future.
    let exp = claims["exp"].as_u64().unwrap_or(u64::MAX);
    if exp > now + 24 * 3600 {
        return Err((401, "vapid: exp is more than 24 h ahead".into()));
    }
    let aud = claims["aud"]
        .as_str()
        .ok_or((401, "vapid: aud is not a string".to_string()))?
        .to_string();
    let sub = claims["sub"]
        .as_str()
        .ok_or((401, "vapid: sub is not a string".to_string()))?
        .to_string();
    if !(sub.starts_with("mailto:") || sub.starts_with("https:")) {
        return Err((401, format!("vapid: sub {sub:?} is not mailto:/https:")));
    }
    Ok(Vapid {
        token,
        key,
        aud,
        sub,
    })
}

async fn receive(
    shared: web::Data<Shared>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let id = path.into_inner();
    let (components, auth) = {
        let state = shared.lock();
        if state.unsubscribed.contains(&id) {
            return HttpResponse::Gone().finish();
        }
        match state.subscribers.get(&id) {
            Some(keys) => (keys.components.clone(), keys.auth.clone()),
            None => {
                drop(state);
                return fail(&shared, 404, format!("{id}: unknown subscriber"));
            }
        }
    };

    let Some(authorization) = header(&req, "authorization") else {
        return fail(&shared, 401, format!("{id}: missing Authorization"));
    };
    let vapid = match verify_vapid(&shared, &authorization) {
        Ok(vapid) => vapid,
        Err((status, message)) => return fail(&shared, status, format!("{id}: {message}")),
    };
    let ttl = match header(&req, "ttl").map(|v| v.trim().parse::<u64>()) {
        Some(Ok(ttl)) => ttl,
        Some(Err(_)) => return fail(&shared, 400, format!("{id}: TTL is not a number")),
        None => return fail(&shared, 400, format!("{id}: missing TTL")),
    };
    if header(&req, "content-encoding").as_deref() != Some("aes128gcm") {
        return fail(
            &shared,
            415,
            format!("{id}: Content-Encoding must be aes128gcm"),
        );
    }
    let plaintext = match ece::decrypt(&components, &auth, &body) {
        Ok(plaintext) => plaintext,
        Err(e) => return fail(&shared, 400, format!("{id}: cannot decrypt body: {e}")),
    };
    let payload = serde_json::from_slice(&plaintext).unwrap_or_else(|_| {
        serde_json::Value::String(String::from_utf8_lossy(&plaintext).into_owned())
    });

    let mut state = shared.lock();
    *state.attempts.entry(id.clone()).or_default() += 1;
    let answer = state
        .answers
        .get_mut(&id)
        .and_then(VecDeque::pop_front)
        .unwrap_or(Answer::Created);
    match answer {
        Answer::Created | Answer::Accepted(_) => {
            state.deliveries.push(Delivery {
                subscriber_id: id,
                payload,
                ttl,
                topic: header(&req, "topic"),
                urgency: header(&req, "urgency"),
                vapid_token: vapid.token,
                vapid_key: vapid.key,
                vapid_aud: vapid.aud,
                vapid_sub: vapid.sub,
            });
            let status = match answer {
                Answer::Accepted(status) => {
                    actix_web::http::StatusCode::from_u16(status).expect("valid status")
                }
                _ => actix_web::http::StatusCode::CREATED,
            };
            HttpResponse::build(status)
                .insert_header(("Location", format!("/message/{}", uuid::Uuid::new_v4())))
                .finish()
        }
        Answer::Gone => HttpResponse::Gone().finish(),
        Answer::TooManyRequests { retry_after_secs } => HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", retry_after_secs.to_string()))
            .finish(),
        Answer::ServerError => HttpResponse::InternalServerError().finish(),
        Answer::Status(status) => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(status).expect("valid status"),
        )
        .finish(),
    }
}
