//! What is sent and to whom: a push message (payload, TTL, topic, urgency)
//! and a browser's subscription, their validation, and their encryption into
//! a `web-push` message (aes128gcm, RFC 8291).
//!
//! Subscription auth secrets and payloads are never logged, and `Debug` of
//! the types holding them is redacted.

use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use url::Url;
use web_push::{
    ContentEncoding, SubscriptionInfo, VapidSignature, WebPushError, WebPushMessage,
    WebPushMessageBuilder,
};

use super::vapid::b64url_decode;

/// Largest plaintext payload that still fits one aes128gcm record as
/// `web-push` builds it.
pub const MAX_PAYLOAD_LEN: usize = 3052;

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

/// Checks a subscription's keys: `p256dh` must be base64url (padding
/// optional) of a 65-byte uncompressed P-256 point on the curve, `auth`
/// base64url of 16 bytes.
pub(crate) fn validate_subscription_keys(p256dh: &str, auth: &str) -> Result<(), String> {
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

/// Checks a message and its subscription before anything is encrypted or
/// signed, and returns the subscription as `web-push` takes it.
pub(super) fn subscription_info(
    sub: &Subscription,
    msg: &PushMessage,
) -> Result<SubscriptionInfo, String> {
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
    Ok(SubscriptionInfo::new(sub.endpoint.clone(), p256dh, auth))
}

/// Encrypts `msg` for the subscription `info` (an ECDH per message: the
/// CPU-heavy part of a send) and attaches the VAPID signature.
pub(super) fn encrypt(
    info: &SubscriptionInfo,
    msg: &PushMessage,
    signature: VapidSignature,
) -> Result<WebPushMessage, String> {
    let mut builder = WebPushMessageBuilder::new(info);
    builder.set_payload(ContentEncoding::Aes128Gcm, &msg.payload);
    builder.set_ttl(u32::try_from(msg.ttl.as_secs()).unwrap_or(u32::MAX));
    if let Some(topic) = &msg.topic {
        builder.set_topic(topic.clone());
    }
    if let Some(urgency) = msg.urgency {
        builder.set_urgency(urgency.to_web_push());
    }
    builder.set_vapid_signature(signature);
    builder.build().map_err(describe_build_error)
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

#[cfg(test)]
mod tests {
    use p256::elliptic_curve::sec1::ToEncodedPoint;

    use super::*;

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
}
