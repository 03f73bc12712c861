//! Firebase Cloud Messaging, HTTP v1 API.
//!
//! Authentication is OAuth 2.0's JWT bearer grant (RFC 7523) with a Google
//! service account: an RS256 assertion signed with the account's private key,
//! `aud` = the key file's `token_uri`, scope `firebase.messaging`, exchanged
//! for an access token that is cached until shortly before it expires (one
//! refresh at a time: concurrent sends wait for it).
//!
//! The private key, the assertion, access tokens and device tokens are never
//! logged.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::native::{self, NativeMessage};
use super::transport::PushOutcome;

const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// An access token is renewed this long before Google says it expires.
const RENEW_BEFORE: Duration = Duration::from_secs(300);
/// Production API origin.
pub const DEFAULT_ENDPOINT: &str = "https://fcm.googleapis.com";

/// The fields of a Google service-account JSON file that are used.
#[derive(Deserialize)]
struct ServiceAccount {
    project_id: String,
    private_key: String,
    private_key_id: Option<String>,
    client_email: String,
    token_uri: String,
}

#[derive(Serialize)]
struct Assertion<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: Option<u64>,
}

/// Sends to FCM. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct FcmSender {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    send_url: String,
    token_uri: String,
    client_email: String,
    key_id: Option<String>,
    key: EncodingKey,
    /// The access token and when to stop using it.
    access: tokio::sync::Mutex<Option<(String, Instant)>>,
}

impl std::fmt::Debug for FcmSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FcmSender")
            .field("send_url", &self.inner.send_url)
            .field("client_email", &self.inner.client_email)
            .finish_non_exhaustive()
    }
}

/// Why a send could not get an access token.
enum AuthFailure {
    /// Network trouble or the token endpoint's 429/5xx: try later.
    Retry(Option<Duration>),
    /// The credentials were refused: retrying cannot help.
    Refused(u16, String),
}

impl FcmSender {
    /// Reads the service-account file. `endpoint` is the API origin
    /// ([`DEFAULT_ENDPOINT`] in production).
    pub fn from_file(
        credentials: &Path,
        endpoint: &str,
        timeout: Duration,
    ) -> Result<Self, String> {
        let raw = native::read_config_file("the FCM service-account file", credentials)?;
        let account: ServiceAccount = serde_json::from_slice(&raw).map_err(|e| {
            format!(
                "{} is not a Google service-account JSON file: {e}",
                credentials.display()
            )
        })?;
        let key = EncodingKey::from_rsa_pem(account.private_key.as_bytes())
            .map_err(|e| format!("the service account's private_key is not an RSA PEM key: {e}"))?;
        url::Url::parse(&account.token_uri)
            .map_err(|e| format!("the service account's token_uri is not a URL: {e}"))?;
        let send_url = format!(
            "{}/v1/projects/{}/messages:send",
            endpoint.trim_end_matches('/'),
            account.project_id
        );
        url::Url::parse(&send_url).map_err(|e| format!("AFTERCARE_FCM_ENDPOINT: {e}"))?;
        Ok(Self {
            inner: Arc::new(Inner {
                client: native::client(timeout, false, None)?,
                send_url,
                token_uri: account.token_uri,
                client_email: account.client_email,
                key_id: account.private_key_id,
                key,
                access: tokio::sync::Mutex::new(None),
            }),
        })
    }

    /// Sends one notification to one registration token.
    pub async fn send(&self, token: &str, msg: &NativeMessage) -> PushOutcome {
        let access = match self.access_token().await {
            Ok(t) => t,
            Err(AuthFailure::Retry(after)) => return PushOutcome::Retry { after },
            Err(AuthFailure::Refused(status, reason)) => {
                tracing::warn!(status, reason = %reason, "FCM credentials refused");
                return PushOutcome::Rejected { status, reason };
            }
        };
        let body = message_json(token, msg);
        let response = match self
            .inner
            .client
            .post(&self.inner.send_url)
            .bearer_auth(&access)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => {
                let kind = if e.is_timeout() {
                    "timeout"
                } else {
                    "request failed"
                };
                tracing::warn!(provider = "fcm", error = kind, "push attempt failed");
                return PushOutcome::Retry { after: None };
            }
        };
        let status = response.status().as_u16();
        let after = native::retry_after(&response);
        let answer = native::read_capped(response).await;
        if status == 401 {
            // The access token was refused (revoked, or expired early): get
            // a new one for the next attempt.
            *self.inner.access.lock().await = None;
        }
        let outcome = classify(status, after, &answer);
        match &outcome {
            PushOutcome::Delivered { .. } => tracing::debug!(provider = "fcm", "push delivered"),
            PushOutcome::Gone => tracing::info!(provider = "fcm", status, "device unregistered"),
            other => {
                tracing::warn!(provider = "fcm", status, outcome = ?other, "push not delivered")
            }
        }
        outcome
    }

    /// The cached access token, or a new one (one refresh at a time).
    async fn access_token(&self) -> Result<String, AuthFailure> {
        let mut cached = self.inner.access.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let (token, lifetime) = self.fetch_access_token().await?;
        let until = Instant::now() + lifetime.saturating_sub(RENEW_BEFORE);
        *cached = Some((token.clone(), until));
        Ok(token)
    }

    async fn fetch_access_token(&self) -> Result<(String, Duration), AuthFailure> {
        let i = &self.inner;
        let now = chrono::Utc::now().timestamp();
        let claims = Assertion {
            iss: &i.client_email,
            scope: SCOPE,
            aud: &i.token_uri,
            iat: now,
            exp: now + 3600,
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = i.key_id.clone();
        let assertion = jsonwebtoken::encode(&header, &claims, &i.key).map_err(|e| {
            AuthFailure::Refused(0, format!("signing the FCM assertion failed: {e}"))
        })?;
        let form: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
            .append_pair("assertion", &assertion)
            .finish();
        let response = i
            .client
            .post(&i.token_uri)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form)
            .send()
            .await
            .map_err(|_| {
                tracing::warn!(provider = "fcm", "OAuth token request failed");
                AuthFailure::Retry(None)
            })?;
        let status = response.status().as_u16();
        let after = native::retry_after(&response);
        let body = native::read_capped(response).await;
        match status {
            200..=299 => {
                let t: TokenAnswer = serde_json::from_slice(&body).map_err(|_| {
                    AuthFailure::Refused(status, "unreadable OAuth token answer".into())
                })?;
                Ok((
                    t.access_token,
                    Duration::from_secs(t.expires_in.unwrap_or(3600)),
                ))
            }
            429 | 500..=599 => Err(AuthFailure::Retry(after)),
            _ => {
                // OAuth errors are {"error": "...", "error_description": "..."}.
                let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let why = [&v["error"], &v["error_description"]]
                    .iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(": ");
                Err(AuthFailure::Refused(
                    status,
                    native::short_reason(format!("FCM OAuth token refused (HTTP {status}) {why}")),
                ))
            }
        }
    }
}

/// The HTTP v1 request body.
fn message_json(token: &str, m: &NativeMessage) -> Value {
    let a = &m.alert;
    let mut android_notification = json!({});
    if let Some(k) = &a.title_loc_key {
        android_notification["title_loc_key"] = json!(k);
    }
    if let Some(k) = &a.loc_key {
        android_notification["body_loc_key"] = json!(k);
        android_notification["body_loc_args"] = json!(a.loc_args);
    }
    if let Some(c) = &m.collapse_key {
        // A newer reminder of the same kind replaces the one on screen.
        android_notification["tag"] = json!(c);
    }
    let mut android = json!({
        "ttl": format!("{}s", m.ttl.as_secs()),
        "priority": if m.high_priority { "high" } else { "normal" },
        "notification": android_notification,
    });
    if let Some(c) = &m.collapse_key {
        android["collapse_key"] = json!(c);
    }
    json!({
        "message": {
            "token": token,
            "notification": {"title": a.title, "body": a.body},
            "data": m.data,
            "android": android,
        }
    })
}

/// Maps an HTTP v1 answer to what to do next.
fn classify(status: u16, after: Option<Duration>, body: &[u8]) -> PushOutcome {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let error_code = v["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|d| d["errorCode"].as_str())
        .unwrap_or_default()
        .to_string();
    match status {
        200..=299 => PushOutcome::Delivered { status },
        // The token is stale or was never valid for this project.
        404 => PushOutcome::Gone,
        _ if error_code == "UNREGISTERED" => PushOutcome::Gone,
        401 | 429 | 500..=599 => PushOutcome::Retry { after },
        _ => {
            let message = v["error"]["message"].as_str().unwrap_or_default();
            let code = if error_code.is_empty() {
                v["error"]["status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            } else {
                error_code
            };
            PushOutcome::Rejected {
                status,
                reason: native::short_reason(format!("FCM HTTP {status} {code}: {message}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::device::NativeAlert;

    #[test]
    fn answers() {
        let unregistered = br#"{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}"#;
        assert_eq!(classify(404, None, unregistered), PushOutcome::Gone);
        let bad = br#"{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT","details":[{"errorCode":"UNREGISTERED"}]}}"#;
        assert_eq!(classify(400, None, bad), PushOutcome::Gone);
        assert_eq!(
            classify(200, None, b"{}"),
            PushOutcome::Delivered { status: 200 }
        );
        let after = Some(Duration::from_secs(9));
        assert_eq!(classify(429, after, b""), PushOutcome::Retry { after });
        assert_eq!(classify(503, None, b""), PushOutcome::Retry { after: None });
        let invalid =
            br#"{"error":{"code":400,"message":"Invalid TTL","status":"INVALID_ARGUMENT"}}"#;
        match classify(400, None, invalid) {
            PushOutcome::Rejected {
                status: 400,
                reason,
            } => {
                assert!(reason.contains("INVALID_ARGUMENT") && reason.contains("Invalid TTL"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn message_shape() {
        let m = NativeMessage {
            alert: NativeAlert {
                title: "T".into(),
                body: "B".into(),
                title_loc_key: Some("reminder-sunscreen-title".into()),
                loc_key: Some("reminder-sunscreen-body".into()),
                loc_args: vec!["3".into()],
            },
            data: [("kind".to_string(), "sunscreen".to_string())].into(),
            ttl: Duration::from_secs(3599),
            expires_at: 0,
            collapse_key: Some("sunscreen".into()),
            high_priority: false,
        };
        let v = message_json("tok", &m);
        let msg = &v["message"];
        assert_eq!(msg["token"], "tok");
        assert_eq!(msg["notification"], json!({"title": "T", "body": "B"}));
        assert_eq!(msg["data"], json!({"kind": "sunscreen"}));
        assert_eq!(msg["android"]["ttl"], "3599s");
        assert_eq!(msg["android"]["collapse_key"], "sunscreen");
        assert_eq!(msg["android"]["priority"], "normal");
        let n = &msg["android"]["notification"];
        assert_eq!(n["body_loc_key"], "reminder-sunscreen-body");
        assert_eq!(n["title_loc_key"], "reminder-sunscreen-title");
        assert_eq!(n["body_loc_args"], json!(["3"]));
    }
}
