//! What FCM and APNs are sent: one provider-neutral notification, and the
//! bits both providers share (bounded reading of answers, `Retry-After`).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::domain::device::NativeAlert;

/// One notification for a native app.
#[derive(Clone, PartialEq, Eq)]
pub struct NativeMessage {
    /// What the phone shows (already chosen under the clinic's privacy
    /// setting) and the localization keys the app may use instead.
    pub alert: NativeAlert,
    /// Codes for the app (`type`, `kind`, `code`, `day`, ids): strings, as FCM
    /// wants them. Never the reminder text under `generic`.
    pub data: BTreeMap<String, String>,
    /// How long the provider may hold it for an offline phone.
    pub ttl: Duration,
    /// Unix seconds after which it is useless (APNs `apns-expiration`).
    pub expires_at: i64,
    /// A newer notification with the same key replaces an older one.
    pub collapse_key: Option<String>,
    /// Deliver at once (flag alerts) rather than when power allows.
    pub high_priority: bool,
}

impl std::fmt::Debug for NativeMessage {
    // Titles and bodies may hold the reminder text: not for logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeMessage")
            .field("ttl", &self.ttl)
            .field("collapse_key", &self.collapse_key)
            .field("high_priority", &self.high_priority)
            .finish_non_exhaustive()
    }
}

/// Bytes of a provider's answer kept to explain a rejection.
const MAX_ANSWER: usize = 16 * 1024;

/// Reads a bounded part of an answer's body.
pub(super) async fn read_capped(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_ANSWER - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ANSWER {
            break;
        }
    }
    body
}

/// The `Retry-After` of an answer, if it has a readable one.
pub(super) fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| super::transport::parse_retry_after(v, std::time::SystemTime::now()))
}

/// A short, single-line reason (at most 300 bytes) for the delivery log.
pub(super) fn short_reason(reason: String) -> String {
    let mut reason = reason.replace(['\n', '\r'], " ");
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

/// Reads a PEM or JSON file named in the configuration.
pub(super) fn read_config_file(what: &str, path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
}

/// An HTTP client for a provider: bounded time, no redirects, optionally
/// HTTP/2 only and an extra trusted root (tests).
pub(super) fn client(
    timeout: Duration,
    http2_only: bool,
    extra_root_pem: Option<&[u8]>,
) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("aftercare/", env!("CARGO_PKG_VERSION")))
        .pool_idle_timeout(Duration::from_secs(600));
    if http2_only {
        b = b.http2_prior_knowledge();
    }
    if let Some(pem) = extra_root_pem {
        let cert = reqwest::Certificate::from_pem(pem)
            .map_err(|e| format!("extra root certificate: {e}"))?;
        b = b.add_root_certificate(cert);
    }
    b.build().map_err(|e| format!("HTTP client: {e}"))
}
