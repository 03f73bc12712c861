//! Who can sign in, and the values that describe them, validated on construction.

use serde::{Deserialize, Serialize};

use super::text;

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

/// A lower-cased email address of plausible shape (delivery is not our
/// concern), in NFC. Invisible and text-direction characters are refused
/// anywhere, and a local part mixing scripts (a Cyrillic `а` among Latin
/// letters) is refused: both make one address pass for another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = text::nfc(raw.trim()).to_lowercase();
        if s.chars()
            .any(|c| text::is_invisible(c) || text::is_bidi_control(c))
        {
            return Err("must not contain invisible or text-direction characters".into());
        }
        let ok = s.len() <= 254
            && !s.chars().any(char::is_control)
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
        if !ok {
            return Err("must be an email address like name@example.org".into());
        }
        let local = s.split('@').next().unwrap_or_default();
        if text::mixes_scripts(local) {
            return Err("the part before @ must not mix alphabets".into());
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: 1–200 characters in NFC, something visible, no control
/// or text-direction characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match text::clean(raw, 200, false)? {
            Some(s) => Ok(Self(s)),
            None => Err("must not be empty".into()),
        }
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

/// Common and breached passwords of 10 characters or more (shorter ones are
/// refused anyway), lower-cased: the 20,000 most frequent passwords of Have
/// I Been Pwned's Pwned Passwords v6 as cracked and published by Royce
/// Williams, in the lower-cased form Django ships for its
/// `CommonPasswordValidator` (1,780 entries of that length).
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

fn is_common_password(normalised: &str) -> bool {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| COMMON_PASSWORDS.lines().collect())
        .contains(normalised.to_lowercase().as_str())
}

/// A password as chosen by a person, per NIST SP 800-63B: compared in NFKC,
/// at least 10 characters, not only white space, not a common or breached
/// password, never trimmed; at most 256 bytes so that hashing it cannot be
/// abused. Holds the normalised form, which is what is hashed.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_BYTES: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() > Self::MAX_BYTES * 4 {
            return Err(format!("must be at most {} bytes", Self::MAX_BYTES));
        }
        let s = Self::normalise(raw);
        if s.chars().count() < Self::MIN_CHARS {
            return Err(format!("must be at least {} characters", Self::MIN_CHARS));
        }
        if s.len() > Self::MAX_BYTES {
            return Err(format!("must be at most {} bytes", Self::MAX_BYTES));
        }
        if s.chars().all(char::is_whitespace) {
            return Err("must not be only spaces".into());
        }
        if is_common_password(&s) {
            return Err("is one of the most common passwords; choose another".into());
        }
        Ok(Self(s))
    }

    /// The form a typed password is compared in (NFKC): the same password
    /// typed on another keyboard or device matches.
    pub fn normalise(raw: &str) -> String {
        text::nfkc(raw)
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
    fn emails_refuse_look_alikes() {
        // NFC, lower case.
        assert_eq!(
            Email::parse("Se\u{301}lin@Clinic.Example")
                .unwrap()
                .as_str(),
            "s\u{e9}lin@clinic.example"
        );
        assert!(Email::parse("ayşe@klinik.example").is_ok());
        for bad in [
            "ann\u{200B}@clinic.example",
            "ann@clinic\u{200D}.example",
            "\u{202E}ann@clinic.example",
            "p\u{430}ypal@clinic.example",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_refuse_bidi_and_invisible_values() {
        assert!(PersonName::parse("\u{200B}\u{200B}").is_err());
        assert!(PersonName::parse("Ann \u{202E}eeL").is_err());
        assert!(PersonName::parse("Ann\nLee").is_err());
        assert_eq!(
            PersonName::parse("Se\u{301}lin").unwrap().as_str(),
            "S\u{e9}lin"
        );
    }

    #[test]
    fn passwords_follow_nist_800_63b() {
        assert!(Password::parse(&" ".repeat(12)).is_err(), "only spaces");
        assert!(Password::parse(
            "\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}"
        )
        .is_err());
        for common in ["1234567890", "qwertyuiop", "Password12", "PASSWORD123"] {
            assert!(Password::parse(common).is_err(), "{common}");
        }
        // Full-width letters are the same password after NFKC.
        assert!(Password::parse("ｑｗｅｒｔｙｕｉｏｐ").is_err());
        // Never trimmed: spaces count and are kept.
        let p = Password::parse("  tulip garden  ").unwrap();
        assert_eq!(p.expose(), "  tulip garden  ");
        // Ten characters after normalisation, not ten bytes.
        assert!(Password::parse("çiçekbahçe").is_ok());
        assert!(Password::parse("ﬁﬁﬁﬁ").is_err(), "NFKC: 8 characters");
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
