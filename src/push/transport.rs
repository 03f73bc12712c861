//! Sending: [`PushSender`] posts an encrypted, VAPID-signed message to the
//! push service over our own HTTP client and maps the answer to a
//! [`PushOutcome`].
//!
//! The `web-push` crate builds and encrypts the request
//! ([`web_push::request_builder::build_request`]); we send it with `reqwest`
//! because neither bundled client sets a timeout and the bundled response
//! parsing drops a 429's `Retry-After`. Status handling is ours
//! ([`PushOutcome`]).
//!
//! Secrets: the VAPID private key, subscription auth secrets and payloads are
//! never logged, and `Debug` of the types holding them is redacted. Logs carry
//! the push service's origin only (an endpoint's path is a capability).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use url::Url;
use web_push::{request_builder, WebPushError};

use super::endpoint::{self, GlobalOnlyResolver, NoGlobalAddress};
use super::message::{self, PushMessage, Subscription};
use super::vapid::{VapidKeys, VapidSigner};

/// Bytes of a push service's error body kept for a rejection reason.
const MAX_RESPONSE_BODY: usize = 16 * 1024;

/// What to do after one push attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// The push service accepted the message with this 2xx `status`.
    Delivered { status: u16 },
    /// 404 or 410: the subscription is gone; delete it.
    Gone,
    /// 429, 5xx, timeout or connection failure: try again later, not before
    /// `after` when the service said so (`Retry-After`).
    Retry { after: Option<Duration> },
    /// Permanent failure: any other 4xx (or 3xx). `status` 0 means the
    /// message was refused here before sending (invalid subscription keys,
    /// topic, endpoint or payload too large): retrying cannot help.
    Rejected { status: u16, reason: String },
}

/// Sends Web Push messages. Cheap to clone (shares the HTTP client and the
/// VAPID signature cache); share one per process.
#[derive(Clone)]
pub struct PushSender {
    signer: VapidSigner,
    /// Encryptions handed to the blocking pool at once: two per core. A
    /// permit is held from the hand-off until the blocking thread has run,
    /// so with one per core a core idled while its permit's thread waited
    /// to be scheduled (dispatch ran at 1.3 of 2 cores; two per core: +13 to
    /// +29% pushes/s in A/B runs of bench/dispatch). More only queue up as
    /// blocking threads competing with the runtime that drives the requests.
    encrypting: Arc<tokio::sync::Semaphore>,
    timeout: Duration,
    allow_insecure: bool,
    client: reqwest::Client,
}

impl fmt::Debug for PushSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushSender")
            .field("public_key", &self.signer.keys().public_key())
            .field("subject", &self.signer.subject())
            .field("timeout", &self.timeout)
            .field("allow_insecure", &self.allow_insecure)
            .finish_non_exhaustive()
    }
}

impl PushSender {
    /// `subject` is the VAPID `sub` claim: a `mailto:` or `https:` URL where
    /// push services can reach the operator. `timeout` bounds each attempt
    /// (connect, request and response).
    ///
    /// By default the sender only talks to `https` endpoints on global
    /// addresses (as `endpoint::validate_endpoint` checks); it re-checks at send
    /// time, so a host whose DNS changed since subscription (DNS rebinding)
    /// still cannot be used to reach internal addresses. Tests and local
    /// demos that use a loopback `http` push service call
    /// [`PushSender::allow_insecure`].
    pub fn new(keys: VapidKeys, subject: String, timeout: Duration) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            signer: VapidSigner::new(keys, subject),
            encrypting: Arc::new(tokio::sync::Semaphore::new(2 * cores)),
            timeout,
            allow_insecure: false,
            client: build_client(timeout, false),
        }
    }

    /// Allows `http` endpoints and loopback/private addresses (tests, demos).
    pub fn allow_insecure(mut self, allow: bool) -> Self {
        if allow != self.allow_insecure {
            self.allow_insecure = allow;
            self.client = build_client(self.timeout, allow);
        }
        self
    }

    /// The server's public key (`applicationServerKey`).
    pub fn public_key(&self) -> String {
        self.signer.keys().public_key()
    }

    /// Sends one message to one subscription. Never panics on bad input and
    /// never takes (much) longer than the timeout.
    pub async fn send(&self, sub: &Subscription, msg: &PushMessage) -> PushOutcome {
        let url = match endpoint::check_target(&sub.endpoint, self.allow_insecure) {
            Ok(url) => url,
            Err(reason) => return rejected_locally(reason),
        };
        let origin = url.origin().ascii_serialization();
        // Encryption (an ECDH per message) is the CPU-heavy part: run it on
        // the blocking pool so that concurrent sends use every core instead
        // of the caller's (single-threaded) runtime.
        let built = {
            let permit = self.encrypting.clone().acquire_owned().await;
            let (this, sub, msg, origin) = (self.clone(), sub.clone(), msg.clone(), origin.clone());
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                this.build(&sub, &msg, &origin)
            })
            .await
        };
        let request = match built {
            Ok(Ok(request)) => request,
            Ok(Err(reason)) => return rejected_locally(reason),
            Err(e) => return rejected_locally(format!("building the request failed: {e}")),
        };

        let response = match self.client.execute(request).await {
            Ok(response) => response,
            Err(err) => {
                if endpoint::is_no_global_address(&err) {
                    return rejected_locally(NoGlobalAddress.to_string());
                }
                let kind = if err.is_timeout() {
                    "timeout"
                } else if err.is_connect() {
                    "connection failed"
                } else {
                    "request failed"
                };
                tracing::warn!(push_origin = %origin, error = kind, "push attempt failed");
                return PushOutcome::Retry { after: None };
            }
        };

        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        // Read (a bounded part of) the body within the same timeout, so the
        // connection can be reused and a rejection can carry its reason.
        let body = read_body_capped(response).await;

        let outcome = classify(status, retry_after, body);
        match &outcome {
            PushOutcome::Delivered { .. } => {
                tracing::debug!(push_origin = %origin, status, "push delivered")
            }
            PushOutcome::Gone => {
                tracing::info!(push_origin = %origin, status, "push subscription gone")
            }
            PushOutcome::Retry { after } => {
                tracing::warn!(push_origin = %origin, status, retry_after = ?after, "push deferred")
            }
            PushOutcome::Rejected { reason, .. } => {
                tracing::warn!(push_origin = %origin, status, reason = %reason, "push rejected")
            }
        }
        outcome
    }

    fn build(
        &self,
        sub: &Subscription,
        msg: &PushMessage,
        origin: &str,
    ) -> Result<reqwest::Request, String> {
        let info = message::subscription_info(sub, msg)?;
        let signature = self.signer.signature_for(origin, &info)?;
        let message = message::encrypt(&info, msg, signature)?;

        let http_request = request_builder::build_request::<Vec<u8>>(message);
        let url = Url::parse(&sub.endpoint).map_err(|e| format!("invalid endpoint: {e}"))?;
        let mut request = reqwest::Request::new(reqwest::Method::POST, url);
        let headers = request.headers_mut();
        for (name, value) in http_request.headers() {
            // The HTTP client sets Content-Length from the body itself.
            if name.as_str().eq_ignore_ascii_case("content-length") {
                continue;
            }
            let name = reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes())
                .map_err(|e| format!("invalid header: {e}"))?;
            let value = reqwest::header::HeaderValue::from_bytes(value.as_bytes())
                .map_err(|e| format!("invalid header value: {e}"))?;
            headers.append(name, value);
        }
        *request.body_mut() = Some(http_request.into_body().into());
        Ok(request)
    }
}

fn rejected_locally(reason: String) -> PushOutcome {
    tracing::warn!(reason = %reason, "push refused before sending");
    PushOutcome::Rejected { status: 0, reason }
}

fn build_client(timeout: Duration, allow_insecure: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        // A push service answers; it does not redirect. Following redirects
        // would let an endpoint steer us anywhere (SSRF).
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("aftercare/", env!("CARGO_PKG_VERSION")))
        .pool_idle_timeout(Duration::from_secs(60));
    if !allow_insecure {
        builder = builder
            .https_only(true)
            .dns_resolver(Arc::new(GlobalOnlyResolver));
    }
    builder.build().expect("reqwest client with rustls builds")
}

async fn read_body_capped(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_RESPONSE_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_RESPONSE_BODY {
            break;
        }
    }
    body
}

fn classify(status: u16, retry_after: Option<Duration>, body: Vec<u8>) -> PushOutcome {
    match status {
        200..=299 => PushOutcome::Delivered { status },
        404 | 410 => PushOutcome::Gone,
        429 | 500..=599 => PushOutcome::Retry { after: retry_after },
        _ => {
            let reason = match http::StatusCode::from_u16(status) {
                Ok(code) => match request_builder::parse_response(code, body) {
                    Err(err) => rejection_reason(status, &err),
                    Ok(()) => format!("HTTP {status}"),
                },
                Err(_) => format!("HTTP {status}"),
            };
            PushOutcome::Rejected { status, reason }
        }
    }
}

fn rejection_reason(status: u16, err: &WebPushError) -> String {
    let info = match err {
        WebPushError::Unauthorized(info)
        | WebPushError::BadRequest(info)
        | WebPushError::Other(info) => Some(info),
        _ => None,
    };
    let mut reason = match info {
        Some(info) if info.errno != 999 => {
            format!(
                "HTTP {status} {}: {} (errno {})",
                err.short_description(),
                info.message,
                info.errno
            )
        }
        Some(info) => format!(
            "HTTP {status} {}: {}",
            err.short_description(),
            info.message
        ),
        None => format!("HTTP {status} {}", err.short_description()),
    };
    if reason.len() > 300 {
        let mut cut = 300;
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        reason.truncate(cut);
        reason.push('…');
    }
    reason
}

/// Parses `Retry-After`: delay-seconds or an HTTP-date (a date in the past
/// gives zero).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use p256::elliptic_curve::sec1::ToEncodedPoint;

    use super::*;
    use crate::push::message::MAX_PAYLOAD_LEN;

    #[test]
    fn retry_after_parsing() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn status_classification() {
        for status in [200, 201, 202, 204, 299] {
            assert_eq!(
                classify(status, None, vec![]),
                PushOutcome::Delivered { status }
            );
        }
        assert_eq!(classify(404, None, vec![]), PushOutcome::Gone);
        assert_eq!(classify(410, None, vec![]), PushOutcome::Gone);
        let after = Some(Duration::from_secs(3));
        assert_eq!(classify(429, after, vec![]), PushOutcome::Retry { after });
        assert_eq!(classify(503, after, vec![]), PushOutcome::Retry { after });
        assert_eq!(
            classify(500, None, vec![]),
            PushOutcome::Retry { after: None }
        );
        let body = br#"{"code":400,"errno":111,"error":"Bad Request","message":"Missing TTL"}"#;
        match classify(400, None, body.to_vec()) {
            PushOutcome::Rejected { status, reason } => {
                assert_eq!(status, 400);
                assert!(reason.contains("Missing TTL"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        match classify(413, None, b"too big".to_vec()) {
            PushOutcome::Rejected { status: 413, .. } => {}
            other => panic!("{other:?}"),
        }
        match classify(403, None, vec![b'x'; 5000]) {
            PushOutcome::Rejected {
                status: 403,
                reason,
            } => assert!(reason.len() < 400),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn refuses_bad_input_before_sending() {
        let sender = PushSender::new(
            VapidKeys::generate(),
            "mailto:ops@example.com".into(),
            Duration::from_secs(1),
        );
        let secret = p256::SecretKey::from_slice(&[9u8; 32]).unwrap();
        let sub = Subscription {
            endpoint: "http://127.0.0.1:9/push/x".into(),
            p256dh: URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(false).as_bytes()),
            auth: URL_SAFE_NO_PAD.encode([2u8; 16]),
        };
        let msg = PushMessage::new(b"{}".to_vec(), Duration::from_secs(60));
        // Secure by default: http and loopback are refused without a request.
        match sender.send(&sub, &msg).await {
            PushOutcome::Rejected { status: 0, reason } => {
                assert!(reason.contains("https"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        let https_loopback = Subscription {
            endpoint: "https://127.0.0.1:9/push/x".into(),
            ..sub.clone()
        };
        match sender.send(&https_loopback, &msg).await {
            PushOutcome::Rejected { status: 0, reason } => {
                assert!(reason.contains("loopback"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        // A name that resolves to loopback is caught by the resolver guard at
        // connection time (what DNS rebinding would do after subscription).
        let by_name = Subscription {
            endpoint: "https://localhost:9/push/x".into(),
            ..sub.clone()
        };
        match sender.send(&by_name, &msg).await {
            PushOutcome::Rejected { status: 0, reason } => {
                assert!(reason.contains("no global address"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        let sender = sender.allow_insecure(true);
        let too_big = PushMessage::new(vec![b'a'; MAX_PAYLOAD_LEN + 1], Duration::from_secs(60));
        assert!(matches!(
            sender.send(&sub, &too_big).await,
            PushOutcome::Rejected { status: 0, .. }
        ));
        let mut bad_topic = msg.clone();
        bad_topic.topic = Some("not valid!".into());
        assert!(matches!(
            sender.send(&sub, &bad_topic).await,
            PushOutcome::Rejected { status: 0, .. }
        ));
        let bad_keys = Subscription {
            auth: "short".into(),
            ..sub.clone()
        };
        assert!(matches!(
            sender.send(&bad_keys, &msg).await,
            PushOutcome::Rejected { status: 0, .. }
        ));
    }
}
