//! The key that seals secrets kept in the database (the JWT signing key and
//! the VAPID private key), so that a copy of the database alone can neither
//! mint access tokens nor push as the service.
//!
//! The key comes from `AFTERCARE_SECRETS_KEY`, or from a key file generated
//! on first start (beside a SQLite database). Values are sealed with
//! AES-256-GCM, the setting's name as associated data (a sealed value cannot
//! be moved to another setting), and stored as `sealed:v1:<base64url>` of
//! nonce ‖ ciphertext ‖ tag.

use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;

const PREFIX: &str = "sealed:v1:";
const NONCE_LEN: usize = 12;

/// A 256-bit key; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretsKey([u8; 32]);

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey(<redacted>)")
    }
}

impl SecretsKey {
    pub fn generate() -> Self {
        Self(rand::random())
    }

    /// 32 bytes as base64 (standard or URL-safe, padded or not) or 64 hex digits.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&raw[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .ok()
        } else {
            STANDARD
                .decode(raw)
                .or_else(|_| URL_SAFE_NO_PAD.decode(raw.trim_end_matches('=')))
                .ok()
        };
        bytes
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(Self)
            .ok_or_else(|| "must be 32 bytes as base64 or 64 hex digits".to_string())
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Reads the key file, or creates it (mode 0600) when there is none.
    /// Several processes starting at once agree: the file appears complete
    /// or not at all (written aside, then hard-linked into place).
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), String> {
        let read = |p: &Path| -> Result<Self, String> {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            Self::parse(&text).map_err(|e| format!("{}: {e}", p.display()))
        };
        if path.exists() {
            return read(path).map(|k| (k, false));
        }
        let key = Self::generate();
        let tmp = PathBuf::from(format!(
            "{}.{}.tmp",
            path.display(),
            uuid::Uuid::new_v4().simple()
        ));
        let write = || -> std::io::Result<()> {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut f = options.open(&tmp)?;
            f.write_all(format!("{}\n", key.to_base64()).as_bytes())?;
            f.sync_all()
        };
        let placed = write().and_then(|()| std::fs::hard_link(&tmp, path));
        let _ = std::fs::remove_file(&tmp);
        match placed {
            Ok(()) => Ok((key, true)),
            // Another process made it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                read(path).map(|k| (k, false))
            }
            Err(e) => Err(format!("cannot create {}: {e}", path.display())),
        }
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new_from_slice(&self.0).expect("a 32-byte key")
    }

    /// Seals `plaintext` for the setting `name`.
    pub fn seal(&self, name: &str, plaintext: &str) -> String {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .cipher()
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: name.as_bytes(),
                },
            )
            .expect("AES-GCM sealing of a short value");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens a value sealed for `name`; an error when it was sealed under
    /// another key or for another setting, or was altered.
    pub fn open(&self, name: &str, stored: &str) -> Result<String, String> {
        let refused = || {
            format!("the stored {name} does not open with this secrets key (AFTERCARE_SECRETS_KEY or its key file): was the key changed or lost?")
        };
        let raw = stored
            .strip_prefix(PREFIX)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or_else(refused)?;
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().expect("split at the nonce length");
        let plain = self
            .cipher()
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: sealed,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| refused())?;
        String::from_utf8(plain).map_err(|_| refused())
    }

    /// Whether a stored value is sealed (older databases kept plain text).
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_name() {
        let k = SecretsKey::generate();
        let sealed = k.seal("jwt_secret", "the secret");
        assert!(SecretsKey::is_sealed(&sealed));
        assert!(!sealed.contains("the secret"));
        assert_eq!(k.open("jwt_secret", &sealed).unwrap(), "the secret");
        assert!(k.open("vapid_private_key", &sealed).is_err());
        assert!(SecretsKey::generate().open("jwt_secret", &sealed).is_err());
        assert!(k.open("jwt_secret", "the secret").is_err());
        // Each sealing has its own nonce.
        assert_ne!(sealed, k.seal("jwt_secret", "the secret"));
    }

    #[test]
    fn keys_parse_from_base64_or_hex_and_are_never_printed() {
        let k = SecretsKey::generate();
        assert_eq!(SecretsKey::parse(&k.to_base64()).unwrap(), k);
        let hex: String = k.0.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(SecretsKey::parse(&hex).unwrap(), k);
        assert!(SecretsKey::parse("short").is_err());
        assert!(!format!("{k:?}").contains(&k.to_base64()));
    }

    #[test]
    fn the_key_file_is_made_once_and_then_read() {
        let path = std::env::temp_dir().join(format!("aftercare-key-{}", uuid::Uuid::new_v4()));
        let (made, created) = SecretsKey::load_or_create(&path).unwrap();
        assert!(created);
        let (read, created) = SecretsKey::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(made, read);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_file(&path).unwrap();
    }
}
