//! A webhook receiver on loopback: it records each POST and checks its
//! `Aftercare-Signature` (HMAC-SHA256 of "<t>.<raw body>" under the secret,
//! computed here independently of the server's code), and answers with
//! programmed statuses (default 204).
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Debug, Clone)]
pub struct Hook {
    pub body: serde_json::Value,
    pub raw: String,
    pub signature_ok: bool,
}

#[derive(Default)]
struct State {
    secret: Option<String>,
    answers: VecDeque<u16>,
    attempts: usize,
    received: Vec<Hook>,
    failures: Vec<String>,
}

pub struct TestWebhookReceiver {
    state: Arc<Mutex<State>>,
    pub url: String,
    handle: actix_web::dev::ServerHandle,
}

fn verify(secret: &str, header: &str, raw: &str) -> Result<(), String> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = Some(v.to_string()),
            _ => return Err(format!("unexpected signature part {part:?}")),
        }
    }
    let (t, v1) = t.zip(v1).ok_or("signature lacks t or v1")?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    if (now - t).abs() > 300 {
        return Err(format!("timestamp {t} is not recent"));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{raw}").as_bytes());
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if want == v1 {
        Ok(())
    } else {
        Err("signature does not match".into())
    }
}

async fn receive(
    state: web::Data<Mutex<State>>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let mut s = state.lock().unwrap();
    s.attempts += 1;
    let raw = String::from_utf8_lossy(&body).into_owned();
    let header = req
        .headers()
        .get("aftercare-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let checked = match &s.secret {
        Some(secret) => verify(secret, &header, &raw),
        None => Err("no secret known yet".into()),
    };
    if let Err(e) = &checked {
        s.failures.push(e.clone());
    }
    if req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        != Some("application/json")
    {
        s.failures
            .push("content-type is not application/json".into());
    }
    let status = s.answers.pop_front().unwrap_or(204);
    if (200..300).contains(&status) {
        s.received.push(Hook {
            body: serde_json::from_str(&raw).unwrap_or(serde_json::Value::Null),
            raw,
            signature_ok: checked.is_ok(),
        });
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

impl TestWebhookReceiver {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind webhook receiver");
        let port = listener.local_addr().unwrap().port();
        let state = web::Data::new(Mutex::new(State::default()));
        let shared = state.clone().into_inner();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route("/hook", web::post().to(receive))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            state: shared,
            url: format!("http://127.0.0.1:{port}/hook"),
            handle,
        }
    }

    /// The secret the server showed when the webhook was registered.
    pub fn set_secret(&self, secret: &str) {
        self.state.lock().unwrap().secret = Some(secret.to_string());
    }

    /// Answers the next requests with these statuses, then 204.
    pub fn answer(&self, statuses: &[u16]) {
        self.state.lock().unwrap().answers.extend(statuses);
    }

    pub fn received(&self) -> Vec<Hook> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn attempts(&self) -> usize {
        self.state.lock().unwrap().attempts
    }

    pub fn failures(&self) -> Vec<String> {
        self.state.lock().unwrap().failures.clone()
    }

    /// Accepted deliveries of one event type.
    pub fn of_type(&self, kind: &str) -> Vec<Hook> {
        self.received()
            .into_iter()
            .filter(|h| h.body["type"] == kind)
            .collect()
    }

    /// Waits until `n` deliveries of `kind` were accepted (or the timeout passed).
    pub async fn wait_for(&self, kind: &str, n: usize, timeout: Duration) -> Vec<Hook> {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.of_type(kind).len() < n && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.of_type(kind)
    }
}

impl Drop for TestWebhookReceiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}
