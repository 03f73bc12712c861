//! Web Push sender: VAPID (RFC 8292) + aes128gcm (RFC 8291) over our own HTTP
//! client.
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

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand::RngCore as _;
use url::{Host, Url};
use web_push::{
    request_builder, ContentEncoding, PartialVapidSignatureBuilder, SubscriptionInfo,
    VapidSignature, VapidSignatureBuilder, WebPushError, WebPushMessageBuilder,
};

/// Lifetime of a VAPID JWT (RFC 8292 caps it at 24 h).
const VAPID_VALIDITY: Duration = Duration::from_secs(12 * 3600);
/// A cached signature is replaced this long before it expires.
const VAPID_REFRESH_MARGIN: Duration = Duration::from_secs(3600);
/// Cached signatures kept before expired ones are swept.
const VAPID_CACHE_MAX: usize = 1024;
/// Longest endpoint URL accepted.
pub const MAX_ENDPOINT_LEN: usize = 2048;
/// Largest plaintext payload that still fits one aes128gcm record as
/// `web-push` builds it.
pub const MAX_PAYLOAD_LEN: usize = 3052;
/// Bytes of a push service's error body kept for a rejection reason.
const MAX_RESPONSE_BODY: usize = 16 * 1024;
/// Time allowed for resolving an endpoint's host when validating it.
const DNS_TIMEOUT: Duration = Duration::from_secs(5);

/// base64url that accepts input with or without `=` padding.
const B64URL_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn b64url_decode(value: &str) -> Result<Vec<u8>, base64::DecodeError> {
    B64URL_LENIENT.decode(value.trim())
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// Error loading a VAPID private key.
#[derive(Debug, thiserror::Error)]
pub enum VapidKeyError {
    #[error("VAPID private key is not valid base64url")]
    Encoding,
    #[error("VAPID private key must be 32 bytes (base64url of the raw P-256 scalar), got {0}")]
    Length(usize),
    #[error("VAPID private key is not a valid P-256 private key")]
    Invalid,
}

/// The application server's VAPID key pair (P-256).
///
/// Stored and configured (`AFTERCARE_VAPID_PRIVATE_KEY`) as the base64url
/// (no padding) raw 32-byte private scalar, the format of `web-push`'s
/// `from_base64` and of most VAPID tools. `Debug` never shows the secret.
#[derive(Clone)]
pub struct VapidKeys {
    secret: p256::SecretKey,
}

impl VapidKeys {
    /// Generates a fresh key pair from a cryptographically secure RNG.
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let mut bytes = [0u8; 32];
        loop {
            rng.fill_bytes(&mut bytes);
            // Fails only for zero or a value >= the curve order (p ~ 2^-32).
            if let Ok(secret) = p256::SecretKey::from_slice(&bytes) {
                bytes.fill(0);
                return Self { secret };
            }
        }
    }

    /// Loads a key from base64url (padding optional) of the raw 32-byte scalar.
    pub fn from_base64(private_key: &str) -> Result<Self, VapidKeyError> {
        let mut bytes = b64url_decode(private_key).map_err(|_| VapidKeyError::Encoding)?;
        let result = if bytes.len() != 32 {
            Err(VapidKeyError::Length(bytes.len()))
        } else {
            p256::SecretKey::from_slice(&bytes)
                .map(|secret| Self { secret })
                .map_err(|_| VapidKeyError::Invalid)
        };
        bytes.fill(0);
        result
    }

    /// The private key as base64url (no padding) of the raw 32-byte scalar.
    /// Secret: store it, never log it.
    pub fn to_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.secret.to_bytes())
    }

    /// The public key as base64url (no padding) of the 65-byte uncompressed
    /// point: the browser's `applicationServerKey`, and VAPID's `k`.
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.public_key_bytes())
    }

    /// The 65-byte uncompressed public point.
    pub fn public_key_bytes(&self) -> Vec<u8> {
        self.secret
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }
}

impl fmt::Debug for VapidKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VapidKeys")
            .field("public_key", &self.public_key())
            .field("private_key", &"<redacted>")
            .finish()
    }
}

// ---------------------------------------------------------------------------
// Messages and outcomes
// ---------------------------------------------------------------------------

/// A browser's push subscription (`PushSubscription.toJSON()` minus
/// `expirationTime`). `p256dh` and `auth` are base64url, padding optional.
#[derive(Clone, PartialEq, Eq)]
pub struct Subscription {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = Url::parse(&self.endpoint)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|_| "<invalid>".into());
        f.debug_struct("Subscription")
            .field("origin", &origin)
            .field("endpoint", &"<redacted>")
            .field("p256dh", &"<redacted>")
            .field("auth", &"<redacted>")
            .finish()
    }
}

/// RFC 8030 `Urgency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Urgency {
    VeryLow,
    Low,
    Normal,
    High,
}

impl Urgency {
    /// The header value (`very-low`, `low`, `normal`, `high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::VeryLow => "very-low",
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
        }
    }

    fn to_web_push(self) -> web_push::Urgency {
        match self {
            Urgency::VeryLow => web_push::Urgency::VeryLow,
            Urgency::Low => web_push::Urgency::Low,
            Urgency::Normal => web_push::Urgency::Normal,
            Urgency::High => web_push::Urgency::High,
        }
    }
}

impl std::str::FromStr for Urgency {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "very-low" => Ok(Urgency::VeryLow),
            "low" => Ok(Urgency::Low),
            "normal" => Ok(Urgency::Normal),
            "high" => Ok(Urgency::High),
            other => Err(format!(
                "unknown urgency {other:?} (expected very-low, low, normal or high)"
            )),
        }
    }
}

/// One push message. `payload` is the plaintext (a small JSON document, at
/// most [`MAX_PAYLOAD_LEN`] bytes); it is encrypted per subscription.
#[derive(Clone, PartialEq, Eq)]
pub struct PushMessage {
    pub payload: Vec<u8>,
    /// How long the push service may keep the message for an offline device
    /// (sent as whole seconds; 0 = deliver now or drop).
    pub ttl: Duration,
    /// Replaces an undelivered message with the same topic: at most 32
    /// base64url characters (see [`validate_topic`]).
    pub topic: Option<String>,
    pub urgency: Option<Urgency>,
}

impl PushMessage {
    pub fn new(payload: Vec<u8>, ttl: Duration) -> Self {
        Self {
            payload,
            ttl,
            topic: None,
            urgency: None,
        }
    }

    /// Sets the topic after validating it.
    pub fn with_topic(mut self, topic: impl Into<String>) -> Result<Self, String> {
        let topic = topic.into();
        validate_topic(&topic)?;
        self.topic = Some(topic);
        Ok(self)
    }

    pub fn with_urgency(mut self, urgency: Urgency) -> Self {
        self.urgency = Some(urgency);
        self
    }
}

impl fmt::Debug for PushMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushMessage")
            .field("payload_len", &self.payload.len())
            .field("ttl", &self.ttl)
            .field("topic", &self.topic)
            .field("urgency", &self.urgency)
            .finish()
    }
}

/// A Topic header value: 1..=32 characters of the base64url alphabet
/// (RFC 8030 §5.4).
pub fn validate_topic(topic: &str) -> Result<(), String> {
    if topic.is_empty() {
        return Err("topic must not be empty".into());
    }
    if topic.len() > 32 {
        return Err(format!(
            "topic must be at most 32 characters, got {}",
            topic.len()
        ));
    }
    if !topic
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err("topic must use only base64url characters (A-Z a-z 0-9 - _)".into());
    }
    Ok(())
}

/// What to do after one push attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// The push service accepted the message (2xx).
    Delivered,
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

// ---------------------------------------------------------------------------
// Sender
// ---------------------------------------------------------------------------

#[derive(Clone)]
struct CachedSignature {
    signature: VapidSignature,
    refresh_at: Instant,
}

/// Sends Web Push messages. Cheap to clone (shares the HTTP client and the
/// VAPID signature cache); share one per process.
#[derive(Clone)]
pub struct PushSender {
    keys: VapidKeys,
    /// Shared: cloning the builder re-derives the public key from the
    /// private one (a P-256 scalar multiplication), so a `PushSender` clone
    /// per push must not clone it.
    vapid: Arc<PartialVapidSignatureBuilder>,
    subject: String,
    timeout: Duration,
    allow_insecure: bool,
    client: reqwest::Client,
    signatures: Arc<Mutex<HashMap<String, CachedSignature>>>,
}

impl fmt::Debug for PushSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushSender")
            .field("public_key", &self.keys.public_key())
            .field("subject", &self.subject)
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
    /// addresses (see [`validate_endpoint`]); it re-checks at send time, so a
    /// host whose DNS changed since subscription (DNS rebinding) still cannot
    /// be used to reach internal addresses. Tests and local demos that use a
    /// loopback `http` push service call [`PushSender::allow_insecure`].
    pub fn new(keys: VapidKeys, subject: String, timeout: Duration) -> Self {
        let vapid = VapidSignatureBuilder::from_base64_no_sub(&keys.to_base64())
            .expect("a valid P-256 scalar is accepted by web-push");
        if !(subject.starts_with("mailto:") || subject.starts_with("https:")) {
            tracing::warn!("VAPID subject should be a mailto: or https: URL");
        }
        Self {
            keys,
            vapid: Arc::new(vapid),
            subject,
            timeout,
            allow_insecure: false,
            client: build_client(timeout, false),
            signatures: Arc::new(Mutex::new(HashMap::new())),
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
        self.keys.public_key()
    }

    /// Sends one message to one subscription. Never panics on bad input and
    /// never takes (much) longer than the timeout.
    pub async fn send(&self, sub: &Subscription, msg: &PushMessage) -> PushOutcome {
        let url = match self.check_target(&sub.endpoint) {
            Ok(url) => url,
            Err(reason) => return rejected_locally(reason),
        };
        let origin = url.origin().ascii_serialization();
        // Encryption (an ECDH per message) is the CPU-heavy part: run it on
        // the blocking pool so that concurrent sends use every core instead
        // of the caller's (single-threaded) runtime.
        let built = {
            let (this, sub, msg, origin) = (self.clone(), sub.clone(), msg.clone(), origin.clone());
            tokio::task::spawn_blocking(move || this.build(&sub, &msg, &origin)).await
        };
        let request = match built {
            Ok(Ok(request)) => request,
            Ok(Err(reason)) => return rejected_locally(reason),
            Err(e) => return rejected_locally(format!("building the request failed: {e}")),
        };

        let response = match self.client.execute(request).await {
            Ok(response) => response,
            Err(err) => {
                if is_no_global_address(&err) {
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
            PushOutcome::Delivered => {
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

    fn check_target(&self, endpoint: &str) -> Result<Url, String> {
        let url = parse_endpoint(endpoint, self.allow_insecure)?;
        if !self.allow_insecure {
            // Literal IPs never reach the resolver guard; check them here.
            let ip = match url.host() {
                Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
                Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
                _ => None,
            };
            if let Some(ip) = ip {
                check_ip(ip, false)?;
            }
        }
        Ok(url)
    }

    fn build(
        &self,
        sub: &Subscription,
        msg: &PushMessage,
        origin: &str,
    ) -> Result<reqwest::Request, String> {
        validate_subscription_keys(&sub.p256dh, &sub.auth)?;
        if msg.payload.len() > MAX_PAYLOAD_LEN {
            return Err(format!(
                "payload is {} bytes, the limit is {MAX_PAYLOAD_LEN}",
                msg.payload.len()
            ));
        }
        if let Some(topic) = &msg.topic {
            validate_topic(topic)?;
        }
        // web-push decodes the keys strictly unpadded: normalise.
        let p256dh = URL_SAFE_NO_PAD.encode(b64url_decode(&sub.p256dh).map_err(|e| e.to_string())?);
        let auth = URL_SAFE_NO_PAD.encode(b64url_decode(&sub.auth).map_err(|e| e.to_string())?);
        let info = SubscriptionInfo::new(sub.endpoint.clone(), p256dh, auth);

        let signature = self.signature_for(origin, &info)?;

        let mut builder = WebPushMessageBuilder::new(&info);
        builder.set_payload(ContentEncoding::Aes128Gcm, &msg.payload);
        builder.set_ttl(u32::try_from(msg.ttl.as_secs()).unwrap_or(u32::MAX));
        if let Some(topic) = &msg.topic {
            builder.set_topic(topic.clone());
        }
        if let Some(urgency) = msg.urgency {
            builder.set_urgency(urgency.to_web_push());
        }
        builder.set_vapid_signature(signature);
        let message = builder.build().map_err(describe_build_error)?;

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

    /// The VAPID signature for a push service origin, signed once per origin
    /// and reused until an hour before it expires.
    fn signature_for(
        &self,
        origin: &str,
        info: &SubscriptionInfo,
    ) -> Result<VapidSignature, String> {
        let now = Instant::now();
        if let Some(cached) = self.lock_cache().get(origin) {
            if cached.refresh_at > now {
                return Ok(cached.signature.clone());
            }
        }
        // Sign outside the lock; two racing first sends just sign twice.
        let exp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
            + VAPID_VALIDITY.as_secs();
        let mut builder = PartialVapidSignatureBuilder::clone(&self.vapid).add_sub_info(info);
        // RFC 8292 §2: aud is the origin of the push resource, including a
        // non-default port (web-push's default drops the port).
        builder.add_claim("aud", origin);
        builder.add_claim("sub", self.subject.as_str());
        builder.add_claim("exp", exp);
        let signature = builder
            .build()
            .map_err(|e| format!("VAPID signing failed: {e}"))?;

        let mut cache = self.lock_cache();
        if cache.len() >= VAPID_CACHE_MAX {
            cache.retain(|_, c| c.refresh_at > now);
            if cache.len() >= VAPID_CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(
            origin.to_string(),
            CachedSignature {
                signature: signature.clone(),
                refresh_at: now + (VAPID_VALIDITY - VAPID_REFRESH_MARGIN),
            },
        );
        Ok(signature)
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedSignature>> {
        // The cache holds no invariants a panic could break.
        self.signatures.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn rejected_locally(reason: String) -> PushOutcome {
    tracing::warn!(reason = %reason, "push refused before sending");
    PushOutcome::Rejected { status: 0, reason }
}

fn describe_build_error(err: WebPushError) -> String {
    match err {
        WebPushError::PayloadTooLarge => "payload too large".into(),
        WebPushError::InvalidTopic => "invalid topic".into(),
        WebPushError::InvalidCryptoKeys | WebPushError::MissingCryptoKeys => {
            "invalid subscription keys".into()
        }
        WebPushError::InvalidUri => "invalid endpoint".into(),
        other => format!(
            "could not build push message: {}",
            other.short_description()
        ),
    }
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

/// Resolves like the system resolver, then drops every non-global address,
/// so a hostname cannot be pointed at internal services after it was
/// validated (DNS rebinding). Does not apply when an HTTP proxy is used.
struct GlobalOnlyResolver;

impl reqwest::dns::Resolve for GlobalOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| check_ip(a.ip(), false).is_ok())
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(NoGlobalAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The resolver guard refused every address of a host.
#[derive(Debug)]
struct NoGlobalAddress;

impl fmt::Display for NoGlobalAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("endpoint host resolves to no global address")
    }
}

impl std::error::Error for NoGlobalAddress {}

fn is_no_global_address(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.is::<NoGlobalAddress>() {
            return true;
        }
        current = e.source();
    }
    false
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
        200..=299 => PushOutcome::Delivered,
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
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

// ---------------------------------------------------------------------------
// Subscription validation
// ---------------------------------------------------------------------------

/// Checks a subscription's keys: `p256dh` must be base64url (padding
/// optional) of a 65-byte uncompressed P-256 point on the curve, `auth`
/// base64url of 16 bytes.
pub fn validate_subscription_keys(p256dh: &str, auth: &str) -> Result<(), String> {
    let key =
        b64url_decode(p256dh).map_err(|_| "keys.p256dh is not valid base64url".to_string())?;
    if key.len() != 65 {
        return Err(format!(
            "keys.p256dh must decode to a 65-byte uncompressed P-256 point, got {} bytes",
            key.len()
        ));
    }
    if key[0] != 0x04 {
        return Err("keys.p256dh must be an uncompressed point (first byte 0x04)".into());
    }
    if p256::PublicKey::from_sec1_bytes(&key).is_err() {
        return Err("keys.p256dh is not a point on the P-256 curve".into());
    }
    let secret = b64url_decode(auth).map_err(|_| "keys.auth is not valid base64url".to_string())?;
    if secret.len() != 16 {
        return Err(format!(
            "keys.auth must decode to 16 bytes, got {} bytes",
            secret.len()
        ));
    }
    Ok(())
}

fn parse_endpoint(endpoint: &str, allow_insecure: bool) -> Result<Url, String> {
    if endpoint.len() > MAX_ENDPOINT_LEN {
        return Err(format!(
            "endpoint must be at most {MAX_ENDPOINT_LEN} characters"
        ));
    }
    let url = Url::parse(endpoint).map_err(|e| format!("endpoint is not a valid URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure => {}
        "http" => return Err("endpoint must use https".into()),
        other => {
            return Err(format!(
                "endpoint scheme {other:?} is not allowed, use https"
            ))
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("endpoint must not contain credentials".into());
    }
    match url.host() {
        None => Err("endpoint must have a host".into()),
        Some(Host::Domain("")) => Err("endpoint must have a host".into()),
        Some(_) => Ok(url),
    }
}

/// Validates a push endpoint before it is stored. The endpoint becomes the
/// target of server-side requests, so (SSRF):
///
/// - only `https` URLs with a host, at most 2048 characters, no credentials;
/// - the host must not be, nor resolve to, a loopback, private (RFC 1918,
///   fc00::/7), link-local, unspecified, multicast, CGNAT (100.64.0.0/10),
///   documentation, benchmarking or otherwise non-global address, IPv4 or
///   IPv6, including IPv4-mapped IPv6.
///
/// With `allow_insecure` (tests, local demos) `http` and loopback are
/// allowed; the other classes are still refused.
///
/// DNS is resolved here, at subscription time, with a short timeout. A name
/// can later be re-pointed at an internal address (DNS rebinding), so this
/// check alone is not enough: [`PushSender`] repeats it for every
/// connection with a filtering resolver (unless built with
/// `allow_insecure`).
pub async fn validate_endpoint(url: &str, allow_insecure: bool) -> Result<(), String> {
    let parsed = parse_endpoint(url, allow_insecure)?;
    match parsed.host() {
        Some(Host::Ipv4(v4)) => check_ip(IpAddr::V4(v4), allow_insecure),
        Some(Host::Ipv6(v6)) => check_ip(IpAddr::V6(v6), allow_insecure),
        Some(Host::Domain(domain)) => {
            let lower = domain.trim_end_matches('.').to_ascii_lowercase();
            if !allow_insecure && (lower == "localhost" || lower.ends_with(".localhost")) {
                return Err("endpoint host must not be a loopback address".into());
            }
            let port = parsed.port_or_known_default().unwrap_or(443);
            let lookup = tokio::net::lookup_host((domain, port));
            let addrs: Vec<SocketAddr> = match tokio::time::timeout(DNS_TIMEOUT, lookup).await {
                Ok(Ok(addrs)) => addrs.collect(),
                Ok(Err(_)) => return Err(format!("endpoint host {domain:?} does not resolve")),
                Err(_) => return Err(format!("endpoint host {domain:?} did not resolve in time")),
            };
            if addrs.is_empty() {
                return Err(format!("endpoint host {domain:?} does not resolve"));
            }
            for addr in addrs {
                check_ip(addr.ip(), allow_insecure)
                    .map_err(|reason| format!("endpoint host {domain:?} resolves to {reason}"))?;
            }
            Ok(())
        }
        None => Err("endpoint must have a host".into()),
    }
}

/// Refuses addresses that are not globally reachable unicast; loopback is
/// allowed when `allow_loopback`.
fn check_ip(ip: IpAddr, allow_loopback: bool) -> Result<(), String> {
    match classify_ip(ip) {
        None => Ok(()),
        Some("a loopback address") if allow_loopback => Ok(()),
        Some(class) => Err(format!("{class}, which is not allowed")),
    }
}

/// `None` for a global unicast address, else what the address is.
pub(crate) fn classify_ip(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_unspecified() {
        Some("an unspecified address")
    } else if ip.is_loopback() {
        Some("a loopback address")
    } else if a == 10 || (a == 172 && (16..=31).contains(&b)) || (a == 192 && b == 168) {
        Some("a private address")
    } else if a == 100 && (64..=127).contains(&b) {
        Some("a shared (CGNAT) address")
    } else if a == 169 && b == 254 {
        Some("a link-local address")
    } else if (224..=239).contains(&a) {
        Some("a multicast address")
    } else if ip.is_broadcast() || a >= 240 {
        Some("a reserved address")
    } else if a == 0 {
        Some("a 'this network' address")
    } else if (a == 192 && b == 0 && c == 2)
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
    {
        Some("a documentation address")
    } else if a == 198 && (b == 18 || b == 19) {
        Some("a benchmarking address")
    } else if a == 192 && b == 0 && c == 0 {
        Some("an IETF protocol address")
    } else if a == 192 && b == 88 && c == 99 {
        Some("a 6to4 relay address")
    } else {
        None
    }
}

fn classify_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let seg = ip.segments();
    if ip.is_unspecified() {
        Some("an unspecified address")
    } else if ip.is_loopback() {
        Some("a loopback address")
    } else if seg[0] & 0xff00 == 0xff00 {
        Some("a multicast address")
    } else if seg[0] & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if seg[0] & 0xfe00 == 0xfc00 {
        Some("a private (unique local) address")
    } else if seg[0] & 0xffc0 == 0xfec0 {
        Some("a site-local address")
    } else if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6] == [0, 0, 0, 0] {
        // NAT64 well-known prefix: judge the embedded IPv4 address.
        let v4 = Ipv4Addr::new(
            (seg[6] >> 8) as u8,
            seg[6] as u8,
            (seg[7] >> 8) as u8,
            seg[7] as u8,
        );
        classify_v4(v4)
    } else if seg[0] & 0xe000 != 0x2000 {
        // Outside 2000::/3 nothing is global unicast (IPv4-compatible ::/96,
        // discard 100::/64, local-use NAT64 64:ff9b:1::/48, …).
        Some("a reserved address")
    } else if seg[0] == 0x2001 && seg[1] == 0x0db8 || seg[0] & 0xfff0 == 0x3ff0 {
        Some("a documentation address")
    } else if seg[0] == 0x2001 && seg[1] < 0x0200 {
        // 2001::/23 IETF protocol assignments (Teredo, ORCHID, benchmarking…).
        Some("an IETF protocol address")
    } else if seg[0] == 0x2002 {
        Some("a 6to4 address")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> Option<&'static str> {
        classify_ip(s.parse().unwrap())
    }

    #[test]
    fn ipv4_classification() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "224.0.0.1",
            "239.255.255.255",
            "240.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "192.0.0.8",
        ] {
            assert!(v4(ip).is_some(), "{ip} must be refused");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "142.250.74.10",
            "192.169.0.1",
        ] {
            assert_eq!(v4(ip), None, "{ip} must be allowed");
        }
        assert_eq!(v4("127.0.0.1"), Some("a loopback address"));
        assert_eq!(v4("100.64.0.1"), Some("a shared (CGNAT) address"));
    }

    #[test]
    fn ipv6_classification() {
        for ip in [
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:192.168.0.1",
            "::ffff:169.254.169.254",
            "::ffff:100.64.0.1",
            "::127.0.0.1",
            "fc00::1",
            "fd12:3456:789a::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
            "2001:db8::1",
            "3fff::1",
            "2001::1",
            "2002:c0a8:0101::1",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::1",
            "100::1",
        ] {
            assert!(v4(ip).is_some(), "{ip} must be refused");
        }
        for ip in [
            "2606:4700:4700::1111",
            "2a00:1450:4001:82b::200a",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
        ] {
            assert_eq!(v4(ip), None, "{ip} must be allowed");
        }
        assert_eq!(v4("::ffff:127.0.0.1"), Some("a loopback address"));
        assert_eq!(v4("fd00::1"), Some("a private (unique local) address"));
    }

    #[tokio::test]
    async fn endpoint_validation_without_dns() {
        let ok = validate_endpoint("https://8.8.8.8/push/abc", false).await;
        assert_eq!(ok, Ok(()));
        assert!(
            validate_endpoint("https://[2606:4700:4700::1111]:8443/x", false)
                .await
                .is_ok()
        );

        let err = validate_endpoint("http://8.8.8.8/push", false)
            .await
            .unwrap_err();
        assert!(err.contains("https"), "{err}");
        let err = validate_endpoint("https://127.0.0.1/push", false)
            .await
            .unwrap_err();
        assert!(err.contains("loopback"), "{err}");
        let err = validate_endpoint("https://[::ffff:10.0.0.1]/push", false)
            .await
            .unwrap_err();
        assert!(err.contains("private"), "{err}");
        let err = validate_endpoint("https://[fe80::1]/push", false)
            .await
            .unwrap_err();
        assert!(err.contains("link-local"), "{err}");
        let err = validate_endpoint("https://localhost/push", false)
            .await
            .unwrap_err();
        assert!(err.contains("loopback"), "{err}");
        assert!(validate_endpoint("ftp://8.8.8.8/x", false).await.is_err());
        assert!(validate_endpoint("not a url", false).await.is_err());
        assert!(validate_endpoint("https://user:pw@8.8.8.8/x", false)
            .await
            .is_err());
        let long = format!("https://8.8.8.8/{}", "a".repeat(MAX_ENDPOINT_LEN));
        assert!(validate_endpoint(&long, false)
            .await
            .unwrap_err()
            .contains("2048"));

        // Tests and demos: http + loopback, still no private ranges.
        assert!(validate_endpoint("http://127.0.0.1:8080/push/x", true)
            .await
            .is_ok());
        assert!(validate_endpoint("http://[::1]:8080/push/x", true)
            .await
            .is_ok());
        assert!(validate_endpoint("http://10.0.0.1/push/x", true)
            .await
            .is_err());
        assert!(validate_endpoint("http://169.254.169.254/x", true)
            .await
            .is_err());
    }

    #[test]
    fn subscription_keys() {
        let secret = p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
        let point = secret.public_key().to_encoded_point(false);
        let p256dh = URL_SAFE_NO_PAD.encode(point.as_bytes());
        let auth = URL_SAFE_NO_PAD.encode([1u8; 16]);
        assert_eq!(validate_subscription_keys(&p256dh, &auth), Ok(()));
        // Padding is accepted too.
        let padded = base64::engine::general_purpose::URL_SAFE.encode(point.as_bytes());
        let auth_padded = base64::engine::general_purpose::URL_SAFE.encode([1u8; 16]);
        assert!(auth_padded.ends_with("=="));
        assert_eq!(validate_subscription_keys(&padded, &auth_padded), Ok(()));

        let err = validate_subscription_keys("!!!", &auth).unwrap_err();
        assert!(err.contains("base64url"), "{err}");
        let compressed =
            URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(true).as_bytes());
        let err = validate_subscription_keys(&compressed, &auth).unwrap_err();
        assert!(err.contains("65-byte"), "{err}");
        let mut bad = point.as_bytes().to_vec();
        bad[0] = 0x05;
        let err = validate_subscription_keys(&URL_SAFE_NO_PAD.encode(&bad), &auth).unwrap_err();
        assert!(err.contains("0x04"), "{err}");
        let mut off_curve = point.as_bytes().to_vec();
        off_curve[64] ^= 1;
        let err =
            validate_subscription_keys(&URL_SAFE_NO_PAD.encode(&off_curve), &auth).unwrap_err();
        assert!(err.contains("curve"), "{err}");
        let err =
            validate_subscription_keys(&p256dh, &URL_SAFE_NO_PAD.encode([1u8; 12])).unwrap_err();
        assert!(err.contains("16 bytes"), "{err}");
    }

    #[test]
    fn vapid_keys_round_trip() {
        let keys = VapidKeys::generate();
        let exported = keys.to_base64();
        assert_eq!(exported.len(), 43);
        let loaded = VapidKeys::from_base64(&exported).unwrap();
        assert_eq!(loaded.public_key(), keys.public_key());
        assert_eq!(keys.public_key_bytes().len(), 65);
        assert_eq!(keys.public_key_bytes()[0], 0x04);
        assert!(!format!("{keys:?}").contains(&exported));
        assert!(matches!(
            VapidKeys::from_base64("AAAA"),
            Err(VapidKeyError::Length(3))
        ));
        assert!(matches!(
            VapidKeys::from_base64("***"),
            Err(VapidKeyError::Encoding)
        ));
        let zero = URL_SAFE_NO_PAD.encode([0u8; 32]);
        assert!(matches!(
            VapidKeys::from_base64(&zero),
            Err(VapidKeyError::Invalid)
        ));
        // web-push's own test vector: same public key.
        let known = VapidKeys::from_base64("IQ9Ur0ykXoHS9gzfYX0aBjy9lvdrjx_PFUXmie9YRcY").unwrap();
        assert_eq!(
            known.public_key(),
            "BMjQIp55pdbU8pfCBKyXcZjlmER_mXt5LqNrN1hrXbdBS5EnhIbMu3Au-RV53iIpztzNXkGI56BFB1udQ8Bq_H4"
        );
    }

    #[test]
    fn topics() {
        assert!(validate_topic("log_symptoms-2026-01-01").is_ok());
        assert!(validate_topic(&"a".repeat(32)).is_ok());
        assert!(validate_topic(&"a".repeat(33)).is_err());
        assert!(validate_topic("").is_err());
        assert!(validate_topic("has space").is_err());
        assert!(validate_topic("a=b").is_err());
        let msg = PushMessage::new(b"{}".to_vec(), Duration::from_secs(60));
        assert!(msg.clone().with_topic("sunscreen").is_ok());
        assert!(msg.with_topic("sun screen").is_err());
    }

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
        assert_eq!(classify(201, None, vec![]), PushOutcome::Delivered);
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
