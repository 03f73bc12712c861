//! Credentials: password hashing, access tokens (JWT), refresh tokens and
//! enrolment codes. Storage lives in `store`; this is the cryptography.

use std::sync::OnceLock;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{AUDIENCE, ISSUER};
use crate::domain::account::{Password, Role};

/// Argon2id with the crate's defaults (19 MiB, 2 passes), as OWASP recommends.
pub fn hash_password(password: &Password) -> String {
    let salt = SaltString::encode_b64(&rand::rng().random::<[u8; 16]>()).expect("16-byte salt");
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .expect("argon2 with default parameters")
        .to_string()
}

/// Checks a password; with no stored hash (unknown account, not enrolled) it
/// still spends the same work so timing does not reveal which emails exist.
/// The candidate is compared in the form passwords are stored in (NFKC);
/// a hash made before passwords were normalised is also tried as typed.
pub fn verify_password(stored: Option<&str>, candidate: &str) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| {
        hash_password(&Password::parse("dummy password for timing").expect("valid"))
    });
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let matches = |c: &str| {
        Argon2::default()
            .verify_password(c.as_bytes(), &parsed)
            .is_ok()
    };
    let normalised = Password::normalise(candidate);
    let ok = matches(&normalised) || (normalised != candidate && matches(candidate));
    ok && real
}

/// URL-safe random string carrying `bytes` bytes of entropy.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn sha256_hex(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A password for a new staff account, shown once.
pub fn generate_password() -> String {
    random_token(15)
}

/// Crockford base32 without I, L, O, U: readable aloud and typed from paper.
const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_LEN: usize = 12;

/// A single-use enrolment code, `XXXX-XXXX-XXXX` (60 bits).
pub fn generate_enrolment_code() -> String {
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Canonical form of a typed code: case, dashes, spaces and look-alike letters do not matter.
pub fn normalise_enrolment_code(raw: &str) -> Option<String> {
    let s: String = raw
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    (s.len() == CODE_LEN && s.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(s)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub clinic: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: String,
    /// The account's token generation at issue; a bump ends the token.
    #[serde(rename = "gen")]
    pub generation: i64,
}

/// Signing and verification keys for access tokens, HS256 only.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &[u8], access_ttl: Duration) -> Self {
        // The algorithm is pinned here, never taken from the token's header.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 30;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
        }
    }

    pub fn issue(&self, account_id: &str, role: Role, clinic_id: &str, generation: i64) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: account_id.into(),
            role,
            clinic: clinic_id.into(),
            iat: now,
            exp: now + self.access_ttl.as_secs() as i64,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            jti: uuid::Uuid::new_v4().to_string(),
            generation,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding cannot fail")
    }

    /// The claims of a token this service signed, unexpired, and issued
    /// for no longer than the configured lifetime (a token minted with a
    /// far `exp` is refused even when its signature holds). Whether its
    /// account still exists and is active is checked by the caller.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        let now = chrono::Utc::now().timestamp();
        let lifetime = claims.exp.checked_sub(claims.iat)?;
        let issued_in_future = claims.iat > now + self.validation.leeway as i64;
        (lifetime <= self.access_ttl.as_secs() as i64 && !issued_in_future).then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&[7u8; 32], Duration::from_secs(60))
    }

    #[test]
    fn issued_tokens_verify_and_carry_claims() {
        let k = keys();
        let t = k.issue("acc", Role::Clinician, "cl", 3);
        let c = k.verify(&t).unwrap();
        assert_eq!(
            (c.sub.as_str(), c.role, c.clinic.as_str()),
            ("acc", Role::Clinician, "cl")
        );
        assert_eq!(c.iss, ISSUER);
        assert_eq!(c.generation, 3);
    }

    #[test]
    fn other_keys_and_tampering_are_refused() {
        let t = keys().issue("acc", Role::Patient, "cl", 0);
        assert!(TokenKeys::new(&[8u8; 32], Duration::from_secs(60))
            .verify(&t)
            .is_none());
        let mut parts: Vec<String> = t.split('.').map(String::from).collect();
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        parts[1] = URL_SAFE_NO_PAD.encode(payload.replace("patient", "admin"));
        assert!(keys().verify(&parts.join(".")).is_none());
    }

    #[test]
    fn tokens_living_longer_than_the_lifetime_are_refused() {
        let k = keys();
        let now = chrono::Utc::now().timestamp();
        let sign = |iat: i64, exp: i64| {
            let claims = Claims {
                sub: "acc".into(),
                role: Role::Admin,
                clinic: "cl".into(),
                iat,
                exp,
                iss: ISSUER.into(),
                aud: AUDIENCE.into(),
                jti: "j".into(),
                generation: 0,
            };
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &k.encoding).unwrap()
        };
        assert!(k.verify(&sign(now, now + 60)).is_some());
        assert!(k.verify(&sign(now, now + 61)).is_none());
        assert!(k.verify(&sign(now, now + 10 * 365 * 86_400)).is_none());
        assert!(
            k.verify(&sign(now + 3600, now + 3660)).is_none(),
            "issued in the future"
        );
        assert!(k.verify(&sign(now - 100, now - 90)).is_none(), "expired");
    }

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let p = Password::parse("a long enough password").unwrap();
        let h = hash_password(&p);
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(Some(&h), "a long enough password"));
        assert!(!verify_password(Some(&h), "a long enough passwore"));
        assert!(!verify_password(None, "dummy password for timing"));
    }

    #[test]
    fn enrolment_codes_normalise() {
        let c = generate_enrolment_code();
        assert_eq!(c.len(), 14);
        let n = normalise_enrolment_code(&c.to_lowercase()).unwrap();
        assert_eq!(n, c.replace('-', ""));
        assert_eq!(
            normalise_enrolment_code("o1l0-abcd-efgh").unwrap(),
            "0110ABCDEFGH"
        );
        assert!(normalise_enrolment_code("short").is_none());
        assert!(normalise_enrolment_code("UUUU-UUUU-UUUU").is_none());
    }
}
