//! Apple Push Notification service: HTTP/2 over TLS with token-based
//! authentication (an ES256 provider token signed with the team's .p8 key,
//! `kid` = key id, `iss` = team id). Apple asks that a provider token be
//! renewed no more often than every 20 minutes and at least every 60: it is
//! reused for [`TOKEN_REUSE`].
//!
//! The key, provider tokens and device tokens are never logged.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::{json, Value};

use super::native::{self, NativeMessage};
use super::transport::PushOutcome;

/// How long one provider token is used (Apple: between 20 and 60 minutes).
pub const TOKEN_REUSE: Duration = Duration::from_secs(40 * 60);
pub const PRODUCTION_ENDPOINT: &str = "https://api.push.apple.com";
pub const SANDBOX_ENDPOINT: &str = "https://api.sandbox.push.apple.com";
/// Apple's limit on `apns-collapse-id`.
const MAX_COLLAPSE_ID: usize = 64;

/// The APNs settings (see `Config`).
pub struct ApnsSettings<'a> {
    pub key_path: &'a Path,
    pub key_id: &'a str,
    pub team_id: &'a str,
    pub topic: &'a str,
    pub production_endpoint: &'a str,
    pub sandbox_endpoint: &'a str,
    /// An extra trusted root certificate (PEM), for a test APNs on loopback.
    pub extra_root: Option<&'a Path>,
    pub timeout: Duration,
}

#[derive(Serialize)]
struct ProviderClaims<'a> {
    iss: &'a str,
    iat: i64,
}

/// Sends to APNs. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct ApnsSender {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    production: String,
    sandbox: String,
    topic: String,
    key_id: String,
    team_id: String,
    key: EncodingKey,
    token: parking_lot::Mutex<Option<(String, Instant)>>,
}

impl std::fmt::Debug for ApnsSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApnsSender")
            .field("production", &self.inner.production)
            .field("sandbox", &self.inner.sandbox)
            .field("topic", &self.inner.topic)
            .field("key_id", &self.inner.key_id)
            .finish_non_exhaustive()
    }
}

impl ApnsSender {
    pub fn new(s: ApnsSettings<'_>) -> Result<Self, String> {
        let pem = native::read_config_file("the APNs key", s.key_path)?;
        let key = EncodingKey::from_ec_pem(&pem)
            .map_err(|e| format!("the APNs key is not a PKCS#8 P-256 .p8 key: {e}"))?;
        let root = match s.extra_root {
            Some(p) => Some(native::read_config_file("the APNs CA certificate", p)?),
            None => None,
        };
        for (name, u) in [
            ("AFTERCARE_APNS_ENDPOINT", s.production_endpoint),
            ("AFTERCARE_APNS_SANDBOX_ENDPOINT", s.sandbox_endpoint),
        ] {
            let parsed = url::Url::parse(u).map_err(|e| format!("{name}: {e}"))?;
            if parsed.scheme() != "https" {
                return Err(format!("{name}: APNs is reached over https only"));
            }
        }
        Ok(Self {
            inner: Arc::new(Inner {
                client: native::client(s.timeout, true, root.as_deref())?,
                production: s.production_endpoint.trim_end_matches('/').to_string(),
                sandbox: s.sandbox_endpoint.trim_end_matches('/').to_string(),
                topic: s.topic.to_string(),
                key_id: s.key_id.to_string(),
                team_id: s.team_id.to_string(),
                key,
                token: parking_lot::Mutex::new(None),
            }),
        })
    }

    /// The provider token, renewed after [`TOKEN_REUSE`] (or when APNs
    /// said it expired).
    fn provider_token(&self) -> Result<String, String> {
        let mut cached = self.inner.token.lock();
        if let Some((t, made)) = cached.as_ref() {
            if made.elapsed() < TOKEN_REUSE {
                return Ok(t.clone());
            }
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.inner.key_id.clone());
        let claims = ProviderClaims {
            iss: &self.inner.team_id,
            iat: chrono::Utc::now().timestamp(),
        };
        let token = jsonwebtoken::encode(&header, &claims, &self.inner.key)
            .map_err(|e| format!("signing the APNs provider token failed: {e}"))?;
        *cached = Some((token.clone(), Instant::now()));
        Ok(token)
    }

    /// Sends one notification to one device (`sandbox`: a development build's token).
    pub async fn send(&self, device: &str, sandbox: bool, msg: &NativeMessage) -> PushOutcome {
        let token = match self.provider_token() {
            Ok(t) => t,
            Err(reason) => return PushOutcome::Rejected { status: 0, reason },
        };
        let base = if sandbox {
            &self.inner.sandbox
        } else {
            &self.inner.production
        };
        // The token was checked to be hex when the device registered.
        let url = format!("{base}/3/device/{device}");
        let mut req = self
            .inner
            .client
            .post(url)
            .header("authorization", format!("bearer {token}"))
            .header("apns-push-type", "alert")
            .header("apns-topic", &self.inner.topic)
            .header("apns-expiration", msg.expires_at.max(0).to_string())
            .header("apns-priority", if msg.high_priority { "10" } else { "5" })
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(payload(msg).to_string());
        if let Some(c) = msg.collapse_key.as_deref() {
            if c.len() <= MAX_COLLAPSE_ID {
                req = req.header("apns-collapse-id", c);
            }
        }
        let response = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                let kind = if e.is_timeout() {
                    "timeout"
                } else {
                    "request failed"
                };
                tracing::warn!(provider = "apns", error = kind, "push attempt failed");
                return PushOutcome::Retry { after: None };
            }
        };
        let status = response.status().as_u16();
        let after = native::retry_after(&response);
        let answer = native::read_capped(response).await;
        let reason = serde_json::from_slice::<Value>(&answer)
            .ok()
            .and_then(|v| v["reason"].as_str().map(String::from))
            .unwrap_or_default();
        if status == 403 && reason == "ExpiredProviderToken" {
            *self.inner.token.lock() = None;
        }
        let outcome = classify(status, &reason, after);
        match &outcome {
            PushOutcome::Delivered { .. } => tracing::debug!(provider = "apns", "push delivered"),
            PushOutcome::Gone => {
                tracing::info!(provider = "apns", status, reason = %reason, "device token dropped")
            }
            other => {
                tracing::warn!(provider = "apns", status, outcome = ?other, "push not delivered")
            }
        }
        outcome
    }
}

/// The JSON body: `aps` plus the codes for the app at the top level.
fn payload(m: &NativeMessage) -> Value {
    let a = &m.alert;
    let mut alert = json!({"title": a.title, "body": a.body});
    if let Some(k) = &a.title_loc_key {
        alert["title-loc-key"] = json!(k);
    }
    if let Some(k) = &a.loc_key {
        alert["loc-key"] = json!(k);
        alert["loc-args"] = json!(a.loc_args);
    }
    let mut body = json!({"aps": {"alert": alert, "sound": "default"}});
    if let Some(c) = &m.collapse_key {
        body["aps"]["thread-id"] = json!(c);
    }
    for (k, v) in &m.data {
        if k != "aps" {
            body[k] = json!(v);
        }
    }
    body
}

fn classify(status: u16, reason: &str, after: Option<Duration>) -> PushOutcome {
    match (status, reason) {
        (200..=299, _) => PushOutcome::Delivered { status },
        (410, _) | (400, "BadDeviceToken") => PushOutcome::Gone,
        // A provider token APNs no longer takes: a new one is made for the retry.
        (403, "ExpiredProviderToken") => PushOutcome::Retry { after: None },
        (429, _) | (500..=599, _) => PushOutcome::Retry { after },
        _ => PushOutcome::Rejected {
            status,
            reason: native::short_reason(format!("APNs HTTP {status} {reason}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert_eq!(
            classify(200, "", None),
            PushOutcome::Delivered { status: 200 }
        );
        assert_eq!(classify(410, "Unregistered", None), PushOutcome::Gone);
        assert_eq!(classify(400, "BadDeviceToken", None), PushOutcome::Gone);
        assert_eq!(
            classify(403, "ExpiredProviderToken", None),
            PushOutcome::Retry { after: None }
        );
        let after = Some(Duration::from_secs(4));
        assert_eq!(
            classify(429, "TooManyRequests", after),
            PushOutcome::Retry { after }
        );
        assert_eq!(classify(503, "", None), PushOutcome::Retry { after: None });
        match classify(400, "DeviceTokenNotForTopic", None) {
            PushOutcome::Rejected {
                status: 400,
                reason,
            } => {
                assert!(reason.contains("DeviceTokenNotForTopic"))
            }
            other => panic!("{other:?}"),
        }
    }
}
