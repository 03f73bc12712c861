//! A fake APNs for black-box tests: TLS + HTTP/2 only on loopback (a test CA
//! and a certificate for `127.0.0.1` and `localhost`), verifying what Apple
//! verifies: the ES256 provider token (`kid`, `iss`, `iat`) with the team
//! key's public half, `apns-push-type`, `apns-topic`, `apns-expiration`,
//! `apns-priority`, the device path and the `aps` body. It answers 200,
//! 410 `Unregistered`, 400 `BadDeviceToken` or 429 as programmed.
//!
//! The server uses `127.0.0.1` for production and `localhost` for the
//! sandbox, so a test sees which host a device's notification went to.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use tokio_rustls::rustls;

/// A programmed answer, consumed in order per device before the default 200.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApnsAnswer {
    /// 410 `Unregistered`.
    Unregistered,
    /// 400 `BadDeviceToken`.
    BadDeviceToken,
    /// 429 `TooManyRequests`, with `Retry-After` when given.
    TooManyRequests { retry_after_secs: Option<u64> },
}

/// A notification APNs accepted.
#[derive(Debug, Clone)]
pub struct ApnsNotification {
    pub device: String,
    /// `127.0.0.1:<port>` (production) or `localhost:<port>` (sandbox).
    pub authority: String,
    pub headers: HashMap<String, String>,
    pub body: Value,
    pub provider_token: String,
}

struct State {
    key_id: String,
    team_id: String,
    topic: String,
    public_pem: String,
    accepted: Mutex<Vec<ApnsNotification>>,
    attempts: Mutex<HashMap<String, usize>>,
    answers: Mutex<HashMap<String, VecDeque<ApnsAnswer>>>,
    failures: Mutex<Vec<String>>,
}

pub struct TestApns {
    state: Arc<State>,
    pub port: u16,
    key_path: PathBuf,
    ca_path: PathBuf,
}

impl Drop for TestApns {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.key_path);
        let _ = std::fs::remove_file(&self.ca_path);
    }
}

impl TestApns {
    pub async fn start() -> Self {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        // The team's signing key (.p8: PKCS#8 P-256).
        let team_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let key_path = std::env::temp_dir().join(format!("aftercare-apns-{tag}.p8"));
        std::fs::write(&key_path, team_key.serialize_pem()).unwrap();

        // A test CA and the server's certificate.
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let ca_path = std::env::temp_dir().join(format!("aftercare-apns-ca-{tag}.pem"));
        std::fs::write(&ca_path, ca.pem()).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
            .unwrap()
            .signed_by(&leaf_key, &ca, &ca_key)
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
            )
            .unwrap();
        // HTTP/2 only, like APNs.
        tls.alpn_protocols = vec![b"h2".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));

        let state = Arc::new(State {
            key_id: tag[..10].to_uppercase(),
            team_id: tag[10..20].to_uppercase(),
            topic: "com.clinic.aftercare".into(),
            public_pem: team_key.public_key_pem(),
            accepted: Default::default(),
            attempts: Default::default(),
            answers: Default::default(),
            failures: Default::default(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, st) = (acceptor.clone(), st.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    if tls.get_ref().1.alpn_protocol() != Some(b"h2") {
                        st.failures
                            .lock()
                            .unwrap()
                            .push("client did not negotiate h2".into());
                        return;
                    }
                    let service = hyper::service::service_fn(move |req| handle(st.clone(), req));
                    let _ = hyper::server::conn::http2::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
                });
            }
        });
        Self {
            state,
            port,
            key_path,
            ca_path,
        }
    }

    pub fn topic(&self) -> &str {
        &self.state.topic
    }

    /// The server settings that point APNs here.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "AFTERCARE_APNS_KEY",
                self.key_path.to_string_lossy().into_owned(),
            ),
            ("AFTERCARE_APNS_KEY_ID", self.state.key_id.clone()),
            ("AFTERCARE_APNS_TEAM_ID", self.state.team_id.clone()),
            ("AFTERCARE_APNS_TOPIC", self.state.topic.clone()),
            (
                "AFTERCARE_APNS_ENDPOINT",
                format!("https://127.0.0.1:{}", self.port),
            ),
            (
                "AFTERCARE_APNS_SANDBOX_ENDPOINT",
                format!("https://localhost:{}", self.port),
            ),
            (
                "AFTERCARE_APNS_CA",
                self.ca_path.to_string_lossy().into_owned(),
            ),
        ]
    }

    pub fn respond_with(&self, device: &str, answers: Vec<ApnsAnswer>) {
        self.state
            .answers
            .lock()
            .unwrap()
            .insert(device.to_string(), answers.into());
    }

    pub fn accepted(&self) -> Vec<ApnsNotification> {
        self.state.accepted.lock().unwrap().clone()
    }

    pub fn attempts_for(&self, device: &str) -> usize {
        *self
            .state
            .attempts
            .lock()
            .unwrap()
            .get(device)
            .unwrap_or(&0)
    }

    pub fn failures(&self) -> Vec<String> {
        self.state.failures.lock().unwrap().clone()
    }

    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ApnsNotification> {
        let started = std::time::Instant::now();
        while started.elapsed() < timeout {
            let got = self.accepted();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.accepted()
    }
}

fn answer(status: u16, reason: Option<&str>) -> Response<Full<Bytes>> {
    let body = reason
        .map(|r| json!({"reason": r}).to_string())
        .unwrap_or_default();
    Response::builder()
        .status(status)
        .header("apns-id", uuid::Uuid::new_v4().to_string())
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

#[derive(serde::Deserialize)]
struct ProviderClaims {
    iss: String,
    iat: i64,
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let refuse = |status: u16, reason: &str, why: String| {
        state.failures.lock().unwrap().push(why);
        Ok(answer(status, Some(reason)))
    };
    if req.version() != hyper::Version::HTTP_2 {
        return refuse(400, "BadRequest", format!("version {:?}", req.version()));
    }
    let authority = req
        .uri()
        .authority()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let Some(device) = req
        .uri()
        .path()
        .strip_prefix("/3/device/")
        .map(String::from)
    else {
        return refuse(404, "BadPath", format!("path {}", req.uri().path()));
    };
    let headers: HashMap<String, String> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let Some(token) = headers
        .get("authorization")
        .and_then(|v| v.strip_prefix("bearer "))
        .map(String::from)
    else {
        return refuse(403, "MissingProviderToken", "no bearer token".into());
    };
    let key = DecodingKey::from_ec_pem(state.public_pem.as_bytes()).unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.validate_exp = false;
    validation.set_required_spec_claims::<&str>(&[]);
    let data = match jsonwebtoken::decode::<ProviderClaims>(&token, &key, &validation) {
        Ok(d) => d,
        Err(e) => {
            return refuse(403, "InvalidProviderToken", format!("provider token: {e}"));
        }
    };
    let now = chrono::Utc::now().timestamp();
    if data.header.kid.as_deref() != Some(state.key_id.as_str())
        || data.claims.iss != state.team_id
        || (now - data.claims.iat).abs() > 3600
    {
        return refuse(403, "InvalidProviderToken", "kid, iss or iat wrong".into());
    }
    let h = |name: &str| headers.get(name).map(String::as_str);
    if h("apns-push-type") != Some("alert") {
        return refuse(400, "InvalidPushType", format!("{:?}", h("apns-push-type")));
    }
    if h("apns-topic") != Some(state.topic.as_str()) {
        return refuse(
            400,
            "DeviceTokenNotForTopic",
            format!("{:?}", h("apns-topic")),
        );
    }
    if !matches!(h("apns-priority"), Some("5" | "10")) {
        return refuse(400, "BadPriority", format!("{:?}", h("apns-priority")));
    }
    if h("apns-expiration")
        .and_then(|v| v.parse::<i64>().ok())
        .is_none()
    {
        return refuse(
            400,
            "BadExpirationDate",
            format!("{:?}", h("apns-expiration")),
        );
    }
    let Ok(collected) = req.into_body().collect().await else {
        return refuse(400, "PayloadEmpty", "body unreadable".into());
    };
    let body: Value = match serde_json::from_slice(&collected.to_bytes()) {
        Ok(v) => v,
        Err(_) => return refuse(400, "BadPayload", "body is not JSON".into()),
    };
    if !body["aps"]["alert"].is_object() {
        return refuse(400, "PayloadEmpty", format!("no aps.alert: {body}"));
    }
    *state
        .attempts
        .lock()
        .unwrap()
        .entry(device.clone())
        .or_default() += 1;
    let programmed = state
        .answers
        .lock()
        .unwrap()
        .get_mut(&device)
        .and_then(|q| q.pop_front());
    Ok(match programmed {
        Some(ApnsAnswer::Unregistered) => answer(410, Some("Unregistered")),
        Some(ApnsAnswer::BadDeviceToken) => answer(400, Some("BadDeviceToken")),
        Some(ApnsAnswer::TooManyRequests { retry_after_secs }) => {
            let mut r = answer(429, Some("TooManyRequests"));
            if let Some(s) = retry_after_secs {
                r.headers_mut()
                    .insert("retry-after", s.to_string().parse().unwrap());
            }
            r
        }
        None => {
            state.accepted.lock().unwrap().push(ApnsNotification {
                device,
                authority,
                headers,
                body,
                provider_token: token,
            });
            answer(200, None)
        }
    })
}
