//! Native app devices (FCM and APNs tokens) and what their notifications
//! may say. Pure: validation on construction, and the visible alert of a
//! reminder under the clinic's push privacy setting.

use serde::{Deserialize, Serialize};

/// How a push target is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    WebPush,
    Fcm,
    Apns,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::WebPush => "webpush",
            Platform::Fcm => "fcm",
            Platform::Apns => "apns",
        }
    }

    /// The stored value; unknown values read as Web Push (the column's default).
    pub fn from_stored(s: &str) -> Self {
        match s {
            "fcm" => Platform::Fcm,
            "apns" => Platform::Apns,
            _ => Platform::WebPush,
        }
    }
}

/// The platforms a device may register with `POST /v1/push/devices`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativePlatform {
    Fcm,
    Apns,
}

impl NativePlatform {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "fcm" => Ok(NativePlatform::Fcm),
            "apns" => Ok(NativePlatform::Apns),
            _ => Err("must be fcm or apns".into()),
        }
    }

    pub fn platform(self) -> Platform {
        match self {
            NativePlatform::Fcm => Platform::Fcm,
            NativePlatform::Apns => Platform::Apns,
        }
    }
}

/// Longest FCM registration token accepted (real ones are ~150–200 characters).
pub const MAX_FCM_TOKEN_LEN: usize = 4096;
/// APNs device tokens are 32 bytes today (64 hex digits); Apple says they may grow.
pub const MIN_APNS_TOKEN_LEN: usize = 64;
pub const MAX_APNS_TOKEN_LEN: usize = 200;

/// A device token, checked for its platform. APNs tokens are kept in lower case.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceToken {
    platform: NativePlatform,
    token: String,
}

impl std::fmt::Debug for DeviceToken {
    // A token is a capability to push to a phone: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceToken({:?}, <redacted>)", self.platform)
    }
}

impl DeviceToken {
    pub fn parse(platform: NativePlatform, token: &str) -> Result<Self, String> {
        match platform {
            NativePlatform::Fcm => {
                if token.is_empty() || token.len() > MAX_FCM_TOKEN_LEN {
                    return Err(format!(
                        "an FCM token has 1 to {MAX_FCM_TOKEN_LEN} characters"
                    ));
                }
                if !token.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err("an FCM token is printable ASCII without spaces".into());
                }
                Ok(Self {
                    platform,
                    token: token.to_string(),
                })
            }
            NativePlatform::Apns => {
                let len = token.len();
                if !(MIN_APNS_TOKEN_LEN..=MAX_APNS_TOKEN_LEN).contains(&len) || len % 2 != 0 {
                    return Err(format!(
                        "an APNs device token is an even number of hex digits, \
                         {MIN_APNS_TOKEN_LEN} to {MAX_APNS_TOKEN_LEN}"
                    ));
                }
                if !token.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err("an APNs device token is hexadecimal (0-9, a-f)".into());
                }
                Ok(Self {
                    platform,
                    token: token.to_ascii_lowercase(),
                })
            }
        }
    }

    pub fn platform(&self) -> NativePlatform {
        self.platform
    }

    pub fn as_str(&self) -> &str {
        &self.token
    }

    /// How the token is stored in `push_subscriptions.endpoint`: prefixed
    /// with its platform, so it is never a URL and never collides with a Web
    /// Push endpoint or another platform's token.
    pub fn stored_key(&self) -> String {
        stored_key(self.platform.platform(), &self.token)
    }
}

pub fn stored_key(platform: Platform, token: &str) -> String {
    format!("{}:{token}", platform.as_str())
}

/// The token inside a stored key (`fcm:<token>` / `apns:<token>`).
pub fn token_of_stored_key(key: &str) -> &str {
    key.split_once(':').map(|(_, t)| t).unwrap_or(key)
}

/// The app's identifier (bundle id or package name): reverse-DNS characters.
pub fn validate_app_id(app_id: &str) -> Result<(), String> {
    if app_id.is_empty() || app_id.len() > 255 {
        return Err("must have 1 to 255 characters".into());
    }
    if !app_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        return Err("must use only letters, digits, '.', '-' and '_' (like com.clinic.app)".into());
    }
    Ok(())
}

/// Which APNs service a device's token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApnsEnvironment {
    Production,
    Sandbox,
}

impl ApnsEnvironment {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "production" => Ok(Self::Production),
            "sandbox" => Ok(Self::Sandbox),
            _ => Err("must be production or sandbox".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Sandbox => "sandbox",
        }
    }
}

/// A BCP 47 language tag as a device reports it (`tr`, `en-GB`,
/// `zh-Hant-TW`): shape only, at most 35 characters.
pub fn validate_locale(tag: &str) -> Result<(), String> {
    let err = || "must be a BCP 47 language tag such as tr or en-GB".to_string();
    if tag.is_empty() || tag.len() > 35 {
        return Err(err());
    }
    let mut parts = tag.split('-');
    let lang = parts.next().unwrap_or_default();
    if !(2..=8).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(err());
    }
    for p in parts {
        if !(1..=8).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(err());
        }
    }
    Ok(())
}

/// What a clinic lets FCM and APNs payloads say. Those payloads are readable
/// by Google and Apple (Web Push payloads are end-to-end encrypted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PushPrivacy {
    /// A neutral text plus codes the app can render locally.
    #[default]
    Generic,
    /// The reminder's own title and body.
    Detailed,
}

impl PushPrivacy {
    pub const ALL: [Self; 2] = [Self::Generic, Self::Detailed];

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "generic" => Ok(Self::Generic),
            "detailed" => Ok(Self::Detailed),
            _ => Err("must be generic or detailed".into()),
        }
    }

    /// The stored value; anything unknown reads as the private default.
    pub fn from_stored(s: &str) -> Self {
        Self::parse(s).unwrap_or_default()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::Detailed => "detailed",
        }
    }
}

/// The generic notification text, in `locale` (the catalogue's
/// `reminder-generic-title` / `-body`; English when none is known).
pub fn generic_text(locale: Option<&str>) -> (String, String) {
    let l = crate::i18n::Locale::from_stored(locale.unwrap_or("en"));
    (
        crate::i18n::t(l, "reminder-generic-title"),
        crate::i18n::t(l, "reminder-generic-body"),
    )
}

/// The visible part of a native notification, with the localization keys
/// an app can use to render its own text instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativeAlert {
    pub title: String,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_loc_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loc_key: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loc_args: Vec<String>,
}

/// A reminder's native alert. The localization keys are the catalogue keys
/// of its title and body (`reminder-<kind>-title` / `-body`) with the day as
/// the one argument, under either setting.
pub fn reminder_alert(
    privacy: PushPrivacy,
    (title_key, body_key): (&str, &str),
    day: i64,
    title: &str,
    body: &str,
    locale: Option<&str>,
) -> NativeAlert {
    let (title, body) = match privacy {
        PushPrivacy::Detailed => (title.to_string(), body.to_string()),
        PushPrivacy::Generic => generic_text(locale),
    };
    NativeAlert {
        title,
        body,
        title_loc_key: Some(title_key.to_string()),
        loc_key: Some(body_key.to_string()),
        loc_args: vec![day.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fcm_tokens() {
        let t = DeviceToken::parse(NativePlatform::Fcm, "cAbC-12:APA91b_xyz").unwrap();
        assert_eq!(t.stored_key(), "fcm:cAbC-12:APA91b_xyz");
        assert_eq!(token_of_stored_key(&t.stored_key()), "cAbC-12:APA91b_xyz");
        assert!(DeviceToken::parse(NativePlatform::Fcm, "").is_err());
        assert!(DeviceToken::parse(NativePlatform::Fcm, "has space").is_err());
        assert!(DeviceToken::parse(NativePlatform::Fcm, "tab\there").is_err());
        assert!(DeviceToken::parse(NativePlatform::Fcm, "ünicode").is_err());
        assert!(DeviceToken::parse(NativePlatform::Fcm, &"a".repeat(4096)).is_ok());
        assert!(DeviceToken::parse(NativePlatform::Fcm, &"a".repeat(4097)).is_err());
        assert!(!format!("{t:?}").contains("APA91b"));
    }

    #[test]
    fn apns_tokens() {
        let hex = "AB".repeat(32);
        let t = DeviceToken::parse(NativePlatform::Apns, &hex).unwrap();
        assert_eq!(t.as_str(), "ab".repeat(32));
        assert_eq!(t.stored_key(), format!("apns:{}", "ab".repeat(32)));
        assert!(DeviceToken::parse(NativePlatform::Apns, &"a".repeat(62)).is_err());
        assert!(DeviceToken::parse(NativePlatform::Apns, &"a".repeat(65)).is_err());
        assert!(DeviceToken::parse(NativePlatform::Apns, &"g".repeat(64)).is_err());
        assert!(DeviceToken::parse(NativePlatform::Apns, &"a".repeat(200)).is_ok());
        assert!(DeviceToken::parse(NativePlatform::Apns, &"a".repeat(202)).is_err());
    }

    #[test]
    fn app_ids_locales_and_settings() {
        assert!(validate_app_id("com.clinic.aftercare").is_ok());
        assert!(validate_app_id("").is_err());
        assert!(validate_app_id("com/clinic").is_err());
        for ok in ["tr", "en", "en-GB", "zh-Hant-TW", "tr-TR"] {
            assert!(validate_locale(ok).is_ok(), "{ok}");
        }
        for bad in ["", "t", "tr_TR", "en-", "e1", "en--GB", &"a".repeat(36)] {
            assert!(validate_locale(bad).is_err(), "{bad}");
        }
        assert_eq!(NativePlatform::parse("fcm"), Ok(NativePlatform::Fcm));
        assert!(NativePlatform::parse("webpush").is_err());
        assert_eq!(
            ApnsEnvironment::parse("sandbox"),
            Ok(ApnsEnvironment::Sandbox)
        );
        assert!(ApnsEnvironment::parse("dev").is_err());
        assert_eq!(PushPrivacy::default(), PushPrivacy::Generic);
        assert_eq!(PushPrivacy::from_stored("nonsense"), PushPrivacy::Generic);
        assert_eq!(PushPrivacy::parse("detailed"), Ok(PushPrivacy::Detailed));
        assert_eq!(Platform::from_stored("apns"), Platform::Apns);
        assert_eq!(Platform::from_stored("webpush"), Platform::WebPush);
    }

    #[test]
    fn generic_alerts_hide_the_text_but_keep_the_codes() {
        let g = reminder_alert(
            PushPrivacy::Generic,
            ("reminder-sunscreen-title", "reminder-sunscreen-body"),
            3,
            "Sunscreen time",
            "Apply SPF 30+",
            Some("tr"),
        );
        assert_eq!(g.title, "İşlem sonrası bakım");
        assert_eq!(g.body, "Bakımınızla ilgili bir hatırlatmanız var.");
        assert_eq!(g.title_loc_key.as_deref(), Some("reminder-sunscreen-title"));
        assert_eq!(g.loc_key.as_deref(), Some("reminder-sunscreen-body"));
        assert_eq!(g.loc_args, ["3"]);
        let d = reminder_alert(
            PushPrivacy::Detailed,
            ("reminder-sunscreen-title", "reminder-sunscreen-body"),
            3,
            "Sunscreen time",
            "Apply SPF 30+",
            None,
        );
        assert_eq!(
            (d.title.as_str(), d.body.as_str()),
            ("Sunscreen time", "Apply SPF 30+")
        );
        assert_eq!(d.loc_key, g.loc_key);
    }
}
