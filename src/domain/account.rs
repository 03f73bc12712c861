//! Who can sign in, and the values that describe them, validated on construction.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Clinician,
    Patient,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Clinician => "clinician",
            Self::Patient => "patient",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "admin" => Ok(Self::Admin),
            "clinician" => Ok(Self::Clinician),
            "patient" => Ok(Self::Patient),
            _ => Err(format!("unknown role `{s}`")),
        }
    }

    pub fn is_staff(self) -> bool {
        matches!(self, Self::Admin | Self::Clinician)
    }
}

/// A lower-cased email address of plausible shape (delivery is not our concern).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim().to_lowercase();
        let ok = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && match s.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && local.len() <= 64
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains('@')
                }
                None => false,
            };
        if ok {
            Ok(Self(s))
        } else {
            Err("must be an email address like name@example.org".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: 1–200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("must not be empty".into());
        }
        if s.chars().count() > 200 {
            return Err("must be at most 200 characters".into());
        }
        if s.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A clinic's short code, which picks the clinic at sign-in when one e-mail
/// has accounts at several: 4–12 letters and digits, read case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicCode(String);

impl ClinicCode {
    /// New codes avoid 0/O and 1/I (read aloud, typed from paper); codes
    /// given to clinics before codes existed are `K` and five digits.
    const ALPHABET: &'static [u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    const GENERATED_LEN: usize = 6;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim().to_ascii_uppercase();
        if (4..=12).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(s))
        } else {
            Err("must be the clinic's code: 4 to 12 letters and digits".into())
        }
    }

    pub fn generate() -> Self {
        use rand::Rng;
        let mut rng = rand::rng();
        Self(
            (0..Self::GENERATED_LEN)
                .map(|_| Self::ALPHABET[rng.random_range(0..Self::ALPHABET.len())] as char)
                .collect(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as chosen by a person: long enough to resist guessing, short
/// enough that hashing it cannot be abused.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_BYTES: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.chars().count() < Self::MIN_CHARS {
            return Err(format!("must be at least {} characters", Self::MIN_CHARS));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(format!("must be at most {} bytes", Self::MAX_BYTES));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// An IANA time zone name such as `Europe/Berlin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.parse::<chrono_tz::Tz>()
            .map(Self)
            .map_err(|_| format!("`{raw}` is not an IANA time zone such as Europe/Berlin"))
    }

    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn clinic_codes_are_read_case_insensitively_and_generated_unambiguous() {
        use super::ClinicCode;
        assert_eq!(ClinicCode::parse(" k7m2qx ").unwrap().as_str(), "K7M2QX");
        assert_eq!(ClinicCode::parse("K00001").unwrap().as_str(), "K00001");
        for bad in ["", "abc", "K7M-2QX", "ABCDEFGHJKLMN", "Çİ23"] {
            assert!(ClinicCode::parse(bad).is_err(), "{bad}");
        }
        for _ in 0..100 {
            let c = ClinicCode::generate();
            assert_eq!(ClinicCode::parse(c.as_str()).as_ref(), Ok(&c));
            assert!(!c.as_str().contains(['0', '1', 'O', 'I']), "{c:?}");
        }
    }

    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Ann@Clinic.Example ").unwrap().as_str(),
            "ann@clinic.example"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@x.org",
            "a b@x.org",
            "ann@localhost",
            "a@b@c.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_bounded() {
        assert!(PersonName::parse("  ").is_err());
        assert!(PersonName::parse(&"x".repeat(201)).is_err());
        assert_eq!(PersonName::parse(" Ann Lee ").unwrap().as_str(), "Ann Lee");
    }

    #[test]
    fn passwords_are_bounded_and_never_printed() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(300)).is_err());
        let p = Password::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(
            TimeZone::parse("Europe/Berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert!(TimeZone::parse("Mars/Olympus").is_err());
        assert!(TimeZone::parse("").is_err());
    }

    #[test]
    fn roles_round_trip() {
        for r in [Role::Admin, Role::Clinician, Role::Patient] {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        assert!(Role::parse("root").is_err());
    }
}
