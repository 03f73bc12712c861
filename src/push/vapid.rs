//! VAPID (RFC 8292): the application server's key pair, and the signed JWTs
//! that identify it to push services, signed once per push-service origin
//! and reused until shortly before they expire.
//!
//! The private key is never logged, and `Debug` of the types holding it is
//! redacted.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand::RngCore as _;
use web_push::{
    PartialVapidSignatureBuilder, SubscriptionInfo, VapidSignature, VapidSignatureBuilder,
};

/// Lifetime of a VAPID JWT (RFC 8292 caps it at 24 h).
const VAPID_VALIDITY: Duration = Duration::from_secs(12 * 3600);
/// A cached signature is replaced this long before it expires.
const VAPID_REFRESH_MARGIN: Duration = Duration::from_secs(3600);
/// Cached signatures kept before expired ones are swept.
const VAPID_CACHE_MAX: usize = 1024;

/// base64url that accepts input with or without `=` padding.
const B64URL_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes base64url with or without `=` padding (keys as browsers and
/// VAPID tools write them).
pub(super) fn b64url_decode(value: &str) -> Result<Vec<u8>, base64::DecodeError> {
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
// Signatures
// ---------------------------------------------------------------------------

#[derive(Clone)]
struct CachedSignature {
    signature: VapidSignature,
    refresh_at: Instant,
}

/// Signs VAPID JWTs with the server's key and caches them per push-service
/// origin. Cheap to clone: clones share the signature builder and the cache.
#[derive(Clone)]
pub(super) struct VapidSigner {
    keys: VapidKeys,
    /// Shared: cloning the builder re-derives the public key from the
    /// private one (a P-256 scalar multiplication), so a `PushSender` clone
    /// per push must not clone it.
    builder: Arc<PartialVapidSignatureBuilder>,
    /// The `sub` claim.
    subject: String,
    signatures: Arc<Mutex<HashMap<String, CachedSignature>>>,
}

impl VapidSigner {
    /// `subject` is the VAPID `sub` claim: a `mailto:` or `https:` URL where
    /// push services can reach the operator.
    pub(super) fn new(keys: VapidKeys, subject: String) -> Self {
        let builder = VapidSignatureBuilder::from_base64_no_sub(&keys.to_base64())
            .expect("a valid P-256 scalar is accepted by web-push");
        if !(subject.starts_with("mailto:") || subject.starts_with("https:")) {
            tracing::warn!("VAPID subject should be a mailto: or https: URL");
        }
        Self {
            keys,
            builder: Arc::new(builder),
            subject,
            signatures: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    pub(super) fn keys(&self) -> &VapidKeys {
        &self.keys
    }

    pub(super) fn subject(&self) -> &str {
        &self.subject
    }

    /// The VAPID signature for a push service origin, signed once per origin
    /// and reused until an hour before it expires.
    pub(super) fn signature_for(
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
        let mut builder = PartialVapidSignatureBuilder::clone(&self.builder).add_sub_info(info);
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn signatures_are_cached_per_origin() {
        let keys = VapidKeys::generate();
        let signer = VapidSigner::new(keys.clone(), "mailto:ops@example.com".into());
        let info = |origin: &str| {
            SubscriptionInfo::new(format!("{origin}/push/x"), "k".into(), "a".into())
        };
        let a = signer
            .signature_for("https://a.example", &info("https://a.example"))
            .unwrap();
        assert_eq!(a.auth_k, keys.public_key_bytes());
        // Reused for the same origin, by every clone.
        let again = signer
            .clone()
            .signature_for("https://a.example", &info("https://a.example"))
            .unwrap();
        assert_eq!(again, a);
        let b = signer
            .signature_for("https://b.example:8443", &info("https://b.example:8443"))
            .unwrap();
        assert_ne!(b.auth_t, a.auth_t);
    }
}
