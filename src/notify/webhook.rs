//! Signed webhook deliveries. Each POST carries
//! `Aftercare-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` of
//! `"<t>.<raw body>"` under the webhook's secret (its UTF-8 bytes), as the
//! well-known providers sign. The URL gets the same SSRF checks as push
//! endpoints, again at every send. Secrets and bodies are never logged.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Outcome;
use crate::push::endpoint::{self, GlobalOnlyResolver};

pub const SIGNATURE_HEADER: &str = "Aftercare-Signature";

/// The signature header's value for `body` sent at `t` (unix seconds).
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={hex}")
}

/// Posts webhook deliveries. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    allow_insecure: bool,
}

impl WebhookSender {
    /// `allow_insecure` (tests, demos) allows `http` and loopback URLs, as
    /// `AFTERCARE_PUSH_ALLOW_INSECURE` does for push endpoints.
    pub fn new(timeout: Duration, allow_insecure: bool) -> Self {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect could steer us anywhere (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("aftercare-webhooks/", env!("CARGO_PKG_VERSION")));
        if !allow_insecure {
            builder = builder
                .https_only(true)
                .dns_resolver(Arc::new(GlobalOnlyResolver));
        }
        Self {
            client: builder.build().expect("reqwest client with rustls builds"),
            allow_insecure,
        }
    }

    /// Posts `body` (JSON) to `url`, signed now with `secret`.
    pub async fn send(&self, url: &str, secret: &str, body: &str) -> Outcome {
        let target = match endpoint::check_target(url, self.allow_insecure) {
            Ok(u) => u,
            Err(reason) => {
                return Outcome::Rejected {
                    status: None,
                    reason,
                }
            }
        };
        let origin = target.origin().ascii_serialization();
        let t = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        let sent = self
            .client
            .post(target)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature(secret, t, body))
            .body(body.to_string())
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                if endpoint::is_no_global_address(&e) {
                    return Outcome::Rejected {
                        status: None,
                        reason: "webhook host resolves to no global address".into(),
                    };
                }
                let reason = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "connection failed"
                } else {
                    "request failed"
                };
                tracing::warn!(webhook_origin = %origin, error = reason, "webhook attempt failed");
                return Outcome::Retry {
                    status: None,
                    after: None,
                    reason: reason.into(),
                };
            }
        };
        let status = response.status().as_u16();
        let after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        match status {
            200..=299 => Outcome::Delivered { status },
            429 | 500..=599 => {
                tracing::warn!(webhook_origin = %origin, status, "webhook deferred");
                Outcome::Retry {
                    status: Some(status),
                    after,
                    reason: format!("HTTP {status}"),
                }
            }
            _ => {
                tracing::warn!(webhook_origin = %origin, status, "webhook refused");
                Outcome::Rejected {
                    status: Some(status),
                    reason: format!("HTTP {status}"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Known answer computed independently (Python's hmac module).
        assert_eq!(
            signature("whsec_test", 1700000000, "{\"a\":1}"),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
        assert_ne!(
            signature("whsec_test", 1700000001, "{\"a\":1}")[13..],
            signature("whsec_test", 1700000000, "{\"a\":1}")[13..]
        );
    }

    #[tokio::test]
    async fn internal_targets_are_refused_at_send_time() {
        // Registration checks too, but a stored URL is checked again per send.
        let sender = WebhookSender::new(Duration::from_secs(2), false);
        for url in [
            "http://8.8.8.8/hook",
            "https://127.0.0.1/hook",
            "https://10.0.0.1/hook",
            "https://[::1]/hook",
            "https://169.254.169.254/latest",
        ] {
            let got = sender.send(url, "whsec_x", "{}").await;
            assert!(
                matches!(got, Outcome::Rejected { status: None, .. }),
                "{url}: {got:?}"
            );
        }
    }
}
