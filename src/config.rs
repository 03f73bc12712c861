//! Typed configuration, read once from the environment.

use std::time::Duration;

/// Which database the process talks to, decided by the `DATABASE_URL` scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// Path of an embedded SQLite file.
    Sqlite(String),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: Option<&str>) -> Result<Self, ConfigError> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(Self::Sqlite("aftercare.db".into())),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Self::Postgres(url.into()))
            }
            Some(url) if url.starts_with("sqlite://") => {
                Ok(Self::Sqlite(url["sqlite://".len()..].into()))
            }
            Some(url) if !url.contains("://") => Ok(Self::Sqlite(url.into())),
            Some(_) => Err(ConfigError::invalid(
                "DATABASE_URL",
                "expected postgres://…, sqlite://PATH or a file path",
            )),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database: DatabaseUrl,
    pub bind: String,
    pub pool_size: u32,
    /// How long a request waits for a database connection before answering 503.
    pub pool_timeout: Duration,
    /// HS256 key for access tokens; generated and kept in the database when absent.
    pub jwt_secret: Option<Vec<u8>>,
    /// Seals the secrets kept in the database (`AFTERCARE_SECRETS_KEY`).
    pub secrets_key: Option<crate::secrets::SecretsKey>,
    /// Where the secrets key is kept when `AFTERCARE_SECRETS_KEY` is unset
    /// (`AFTERCARE_SECRETS_KEY_FILE`; generated on first start).
    pub secrets_key_file: std::path::PathBuf,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub enrolment_code_ttl: Duration,
    pub log_json: bool,
    /// How often background jobs (missed-log check) run.
    pub job_interval: Duration,
    /// How often the reminder dispatcher looks for due work.
    pub scheduler_tick: Duration,
    /// VAPID private key (base64url); generated once and kept in the database when absent.
    pub vapid_private_key: Option<String>,
    /// VAPID `sub`: a `mailto:` or `https:` contact for push services.
    pub vapid_subject: String,
    /// Allow `http` and loopback/private push endpoints (tests, local demos).
    pub push_allow_insecure: bool,
    pub push_timeout: Duration,
    pub push_retry_base: Duration,
    pub push_max_attempts: i32,
    /// How long a clinician console sign-in lasts.
    pub console_session_ttl: Duration,
    /// Sign-in (per email) and enrolment (per code) attempts per 15 minutes.
    pub auth_limit_account: u32,
    /// Sign-in and enrolment attempts per client address per 15 minutes.
    pub auth_limit_address: u32,
    /// Sync pushes per account per minute (one at a time in any case).
    pub sync_push_limit: u32,
    /// Open connections allowed overall and per client (TCP peer) address;
    /// a request on a connection over either is answered 503 and closed.
    pub max_connections: u32,
    pub max_connections_per_address: u32,
    /// Time allowed to receive a request body, per started 64 KiB of its
    /// declared length (up to 1 MiB); then 408 and the connection closes.
    pub body_deadline: std::time::Duration,
    /// Take the client address and scheme from `X-Forwarded-For` /
    /// `X-Forwarded-Proto` (set it only behind a reverse proxy that sets them):
    /// attempt limits, console cookies' `Secure` and HSTS follow it.
    pub trust_proxy: bool,
    /// Bearer token for `GET /metrics`; without one only loopback may read it.
    pub metrics_token: Option<String>,
    /// SMTP server for alert e-mail; `None` means no e-mail.
    pub smtp: Option<SmtpConfig>,
    /// The console's external base URL, for links in alerts (no trailing `/`).
    pub public_url: String,
    /// An urgent flag not acknowledged after this long is escalated.
    pub escalate_after: Duration,
    /// FCM for Android apps; `None`: pushes to FCM devices fail.
    pub fcm: Option<FcmConfig>,
    /// APNs for iOS apps; `None`: pushes to APNs devices fail.
    pub apns: Option<ApnsConfig>,
    /// Photos: where they are stored and how many a patient may keep.
    pub media: MediaConfig,
}

/// Photo storage and limits.
#[derive(Clone, Debug)]
pub struct MediaConfig {
    /// `AFTERCARE_MEDIA_URL` (`s3://bucket/prefix`), else `AFTERCARE_MEDIA_DIR`,
    /// else `aftercare-media/` beside the SQLite file (or the working folder).
    pub location: crate::media::MediaLocation,
    /// Most photos one daily log may hold (`AFTERCARE_PHOTOS_PER_LOG`, 6).
    pub per_log: u32,
    /// Most photos one patient may keep (`AFTERCARE_PHOTO_QUOTA`, 300).
    pub per_patient: u32,
    /// An object with no row is removed once it is this old
    /// (`AFTERCARE_MEDIA_SWEEP_GRACE_SECS`, 1 hour): an upload in flight
    /// writes its object before its row.
    pub sweep_grace: Duration,
}

impl MediaConfig {
    fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        database: &DatabaseUrl,
    ) -> Result<Self, ConfigError> {
        use crate::media::{MediaLocation, S3Location};
        let set = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let location = match set("AFTERCARE_MEDIA_URL") {
            Some(url) => {
                let (bucket, prefix) = S3Location::parse_url(&url).ok_or_else(|| {
                    ConfigError::invalid("AFTERCARE_MEDIA_URL", "must be s3://bucket[/prefix]")
                })?;
                let endpoint = set("AWS_ENDPOINT_URL").or_else(|| set("AWS_ENDPOINT"));
                if let Some(e) = &endpoint {
                    if !(e.starts_with("http://") || e.starts_with("https://")) {
                        return Err(ConfigError::invalid(
                            "AWS_ENDPOINT_URL",
                            "must be an http(s) URL",
                        ));
                    }
                }
                MediaLocation::S3(S3Location {
                    bucket,
                    prefix,
                    endpoint,
                    region: set("AWS_REGION")
                        .or_else(|| set("AWS_DEFAULT_REGION"))
                        .unwrap_or_else(|| "us-east-1".into()),
                    access_key_id: set("AWS_ACCESS_KEY_ID"),
                    secret_access_key: set("AWS_SECRET_ACCESS_KEY"),
                    session_token: set("AWS_SESSION_TOKEN"),
                })
            }
            None => MediaLocation::Dir(match set("AFTERCARE_MEDIA_DIR") {
                Some(dir) => dir.into(),
                None => match database {
                    DatabaseUrl::Sqlite(file) => std::path::Path::new(file)
                        .parent()
                        .unwrap_or(std::path::Path::new(""))
                        .join("aftercare-media"),
                    DatabaseUrl::Postgres(_) => "aftercare-media".into(),
                },
            }),
        };
        let count = |name: &'static str, default: u32| -> Result<u32, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=100_000).contains(n))
                    .ok_or_else(|| ConfigError::invalid(name, "expected 1–100000")),
            }
        };
        let grace = match get("AFTERCARE_MEDIA_SWEEP_GRACE_SECS") {
            None => Duration::from_secs(3600),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    ConfigError::invalid(
                        "AFTERCARE_MEDIA_SWEEP_GRACE_SECS",
                        "expected a positive number of seconds",
                    )
                })?,
        };
        Ok(Self {
            location,
            per_log: count("AFTERCARE_PHOTOS_PER_LOG", 6)?,
            per_patient: count("AFTERCARE_PHOTO_QUOTA", 300)?,
            sweep_grace: grace,
        })
    }
}

/// FCM HTTP v1: a Google service-account JSON file and the API origin.
#[derive(Clone, Debug)]
pub struct FcmConfig {
    pub credentials: std::path::PathBuf,
    pub endpoint: String,
}

/// APNs token authentication. Paths only: the key is read at start.
#[derive(Clone, Debug)]
pub struct ApnsConfig {
    pub key: std::path::PathBuf,
    pub key_id: String,
    pub team_id: String,
    pub topic: String,
    pub endpoint: String,
    pub sandbox_endpoint: String,
    /// An extra trusted root certificate (PEM): for a test APNs on loopback.
    pub ca: Option<std::path::PathBuf>,
}

/// Where alert e-mail goes out. `Debug` shows no credentials.
#[derive(Clone)]
pub struct SmtpConfig {
    /// `smtps://user:pass@host:465`, `smtp://host:587?tls=required`, `smtp://host:25`.
    pub url: String,
    /// The sender, e.g. `Aftercare <alerts@clinic.example>`.
    pub from: String,
}

impl SmtpConfig {
    /// Scheme, host and port only: what may be logged.
    pub fn server(&self) -> String {
        url::Url::parse(&self.url)
            .map(|u| {
                format!(
                    "{}://{}:{}",
                    u.scheme(),
                    u.host_str().unwrap_or_default(),
                    u.port()
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "default".into())
                )
            })
            .unwrap_or_default()
    }
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("server", &self.server())
            .field("from", &self.from)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

impl ConfigError {
    fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Self {
            name,
            reason: reason.into(),
        }
    }
}

pub const ISSUER: &str = "aftercare";
pub const AUDIENCE: &str = "aftercare-api";

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads configuration through `get`, so tests can supply their own values.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let secs = |name: &'static str, default: u64| -> Result<Duration, ConfigError> {
            match get(name) {
                None => Ok(Duration::from_secs(default)),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .map(Duration::from_secs)
                    .ok_or_else(|| {
                        ConfigError::invalid(name, "expected a positive number of seconds")
                    }),
            }
        };
        let count = |name: &'static str, default: u32| -> Result<u32, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=1_000_000).contains(n))
                    .ok_or_else(|| ConfigError::invalid(name, "expected 1–1000000")),
            }
        };
        let jwt_secret = match get("AFTERCARE_JWT_SECRET") {
            None => None,
            Some(s) if s.len() >= 32 => Some(s.into_bytes()),
            Some(_) => {
                return Err(ConfigError::invalid(
                    "AFTERCARE_JWT_SECRET",
                    "must be at least 32 bytes; leave it unset to have one generated",
                ))
            }
        };
        let pool_size = match get("AFTERCARE_DB_POOL_SIZE") {
            None => 8,
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=256).contains(n))
                .ok_or_else(|| ConfigError::invalid("AFTERCARE_DB_POOL_SIZE", "expected 1–256"))?,
        };
        let bind = get("AFTERCARE_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let smtp = match get("AFTERCARE_SMTP_URL").filter(|s| !s.trim().is_empty()) {
            None => None,
            Some(url) => {
                // Never echo the URL: it may hold the SMTP password.
                let parsed = url::Url::parse(url.trim())
                    .map_err(|_| ConfigError::invalid("AFTERCARE_SMTP_URL", "is not a URL"))?;
                if !matches!(parsed.scheme(), "smtp" | "smtps") || parsed.host_str().is_none() {
                    return Err(ConfigError::invalid(
                        "AFTERCARE_SMTP_URL",
                        "must be smtps://host[:port] or smtp://host[:port][?tls=required]",
                    ));
                }
                let from = get("AFTERCARE_SMTP_FROM")
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| {
                        ConfigError::invalid(
                            "AFTERCARE_SMTP_FROM",
                            "must be set when AFTERCARE_SMTP_URL is (the sender address)",
                        )
                    })?;
                Some(SmtpConfig {
                    url: url.trim().to_string(),
                    from: from.trim().to_string(),
                })
            }
        };
        let public_url = match get("AFTERCARE_PUBLIC_URL") {
            None => format!("http://{bind}"),
            Some(u) => {
                let parsed = url::Url::parse(u.trim())
                    .ok()
                    .filter(|p| matches!(p.scheme(), "http" | "https") && p.host_str().is_some())
                    .ok_or_else(|| {
                        ConfigError::invalid(
                            "AFTERCARE_PUBLIC_URL",
                            "must be an http(s) URL such as https://care.clinic.example",
                        )
                    })?;
                parsed.as_str().trim_end_matches('/').to_string()
            }
        };
        let set = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let fcm = set("AFTERCARE_FCM_CREDENTIALS").map(|path| FcmConfig {
            credentials: path.into(),
            endpoint: set("AFTERCARE_FCM_ENDPOINT")
                .unwrap_or_else(|| crate::push::fcm::DEFAULT_ENDPOINT.into()),
        });
        let apns = match set("AFTERCARE_APNS_KEY") {
            None => None,
            Some(key) => {
                let need = |name: &'static str| {
                    set(name).ok_or_else(|| {
                        ConfigError::invalid(name, "must be set when AFTERCARE_APNS_KEY is")
                    })
                };
                Some(ApnsConfig {
                    key: key.into(),
                    key_id: need("AFTERCARE_APNS_KEY_ID")?,
                    team_id: need("AFTERCARE_APNS_TEAM_ID")?,
                    topic: need("AFTERCARE_APNS_TOPIC")?,
                    endpoint: set("AFTERCARE_APNS_ENDPOINT")
                        .unwrap_or_else(|| crate::push::apns::PRODUCTION_ENDPOINT.into()),
                    sandbox_endpoint: set("AFTERCARE_APNS_SANDBOX_ENDPOINT")
                        .unwrap_or_else(|| crate::push::apns::SANDBOX_ENDPOINT.into()),
                    ca: set("AFTERCARE_APNS_CA").map(Into::into),
                })
            }
        };
        let database = DatabaseUrl::parse(get("DATABASE_URL").as_deref())?;
        let secrets_key = match get("AFTERCARE_SECRETS_KEY").filter(|s| !s.trim().is_empty()) {
            None => None,
            Some(k) => Some(
                crate::secrets::SecretsKey::parse(&k)
                    .map_err(|e| ConfigError::invalid("AFTERCARE_SECRETS_KEY", e))?,
            ),
        };
        // Beside a SQLite file; in the working directory for PostgreSQL
        // (where several processes need the same key: set it instead).
        let secrets_key_file =
            match get("AFTERCARE_SECRETS_KEY_FILE").filter(|s| !s.trim().is_empty()) {
                Some(p) => p.into(),
                None => match &database {
                    DatabaseUrl::Sqlite(path) => format!("{path}.key").into(),
                    DatabaseUrl::Postgres(_) => "aftercare-secrets.key".into(),
                },
            };
        Ok(Self {
            fcm,
            apns,
            media: MediaConfig::from_lookup(&get, &database)?,
            database,
            secrets_key,
            secrets_key_file,
            bind,
            smtp,
            public_url,
            escalate_after: secs("AFTERCARE_ESCALATE_AFTER_SECS", 1800)?,
            pool_size,
            pool_timeout: secs("AFTERCARE_DB_TIMEOUT_SECS", 2)?,
            jwt_secret,
            access_token_ttl: secs("AFTERCARE_ACCESS_TOKEN_TTL_SECS", 15 * 60)?,
            refresh_token_ttl: secs("AFTERCARE_REFRESH_TOKEN_TTL_SECS", 30 * 24 * 3600)?,
            enrolment_code_ttl: secs("AFTERCARE_ENROLMENT_CODE_TTL_SECS", 72 * 3600)?,
            job_interval: secs("AFTERCARE_JOB_INTERVAL_SECS", 300)?,
            scheduler_tick: secs("AFTERCARE_SCHEDULER_TICK_SECS", 30)?,
            vapid_private_key: get("AFTERCARE_VAPID_PRIVATE_KEY").filter(|s| !s.trim().is_empty()),
            vapid_subject: {
                let s = get("AFTERCARE_VAPID_SUBJECT")
                    .unwrap_or_else(|| "mailto:aftercare@localhost.invalid".into());
                if !(s.starts_with("mailto:") || s.starts_with("https://")) {
                    return Err(ConfigError::invalid(
                        "AFTERCARE_VAPID_SUBJECT",
                        "must be a mailto: or https: URL",
                    ));
                }
                s
            },
            push_allow_insecure: matches!(
                get("AFTERCARE_PUSH_ALLOW_INSECURE").as_deref(),
                Some("1" | "true" | "yes")
            ),
            push_timeout: secs("AFTERCARE_PUSH_TIMEOUT_SECS", 10)?,
            push_retry_base: secs("AFTERCARE_PUSH_RETRY_BASE_SECS", 30)?,
            push_max_attempts: match get("AFTERCARE_PUSH_MAX_ATTEMPTS") {
                None => 6,
                Some(v) => v
                    .trim()
                    .parse::<i32>()
                    .ok()
                    .filter(|n| (1..=20).contains(n))
                    .ok_or_else(|| {
                        ConfigError::invalid("AFTERCARE_PUSH_MAX_ATTEMPTS", "expected 1–20")
                    })?,
            },
            auth_limit_account: count("AFTERCARE_AUTH_LIMIT_ACCOUNT", 10)?,
            auth_limit_address: count("AFTERCARE_AUTH_LIMIT_ADDRESS", 100)?,
            sync_push_limit: count("AFTERCARE_SYNC_PUSH_LIMIT", 30)?,
            max_connections: count("AFTERCARE_MAX_CONNECTIONS", 4096)?,
            max_connections_per_address: count("AFTERCARE_MAX_CONNECTIONS_PER_ADDRESS", 256)?,
            body_deadline: std::time::Duration::from_secs(u64::from(count(
                "AFTERCARE_BODY_DEADLINE_SECS",
                10,
            )?)),
            trust_proxy: matches!(
                get("AFTERCARE_TRUST_PROXY").as_deref(),
                Some("1" | "true" | "yes")
            ),
            metrics_token: match get("AFTERCARE_METRICS_TOKEN") {
                None => None,
                Some(t) if t.len() >= 16 => Some(t),
                Some(_) => {
                    return Err(ConfigError::invalid(
                        "AFTERCARE_METRICS_TOKEN",
                        "must be at least 16 characters",
                    ))
                }
            },
            log_json: matches!(get("AFTERCARE_LOG_FORMAT").as_deref(), Some("json")),
            console_session_ttl: secs("AFTERCARE_CONSOLE_SESSION_TTL_SECS", 8 * 3600)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_scheme_picks_the_backend() {
        assert_eq!(
            DatabaseUrl::parse(None).unwrap(),
            DatabaseUrl::Sqlite("aftercare.db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse(Some("postgres://u@h/db")).unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert_eq!(
            DatabaseUrl::parse(Some("sqlite:///tmp/x.db")).unwrap(),
            DatabaseUrl::Sqlite("/tmp/x.db".into())
        );
        assert!(DatabaseUrl::parse(Some("mysql://h/db")).is_err());
    }

    #[test]
    fn short_jwt_secret_is_refused() {
        let err = Config::from_lookup(|k| (k == "AFTERCARE_JWT_SECRET").then(|| "short".into()))
            .unwrap_err();
        assert_eq!(err.name, "AFTERCARE_JWT_SECRET");
    }

    #[test]
    fn defaults_need_no_environment() {
        let c = Config::from_lookup(|_| None).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.database.backend_name(), "sqlite");
        assert!(c.smtp.is_none());
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.escalate_after, Duration::from_secs(1800));
    }

    #[test]
    fn smtp_settings_are_checked_without_echoing_the_url() {
        let env = |url: &'static str, from: Option<&'static str>| {
            move |k: &str| match k {
                "AFTERCARE_SMTP_URL" => Some(url.to_string()),
                "AFTERCARE_SMTP_FROM" => from.map(String::from),
                _ => None,
            }
        };
        let c = Config::from_lookup(env(
            "smtps://u:secret@mail.example:465",
            Some("Care <a@b.example>"),
        ))
        .unwrap();
        let smtp = c.smtp.unwrap();
        assert_eq!(smtp.server(), "smtps://mail.example:465");
        assert!(!format!("{smtp:?}").contains("secret"));
        let err = Config::from_lookup(env("smtps://u:secret@mail.example", None)).unwrap_err();
        assert_eq!(err.name, "AFTERCARE_SMTP_FROM");
        let err = Config::from_lookup(env("http://u:secret@x", Some("a@b.example"))).unwrap_err();
        assert!(!err.to_string().contains("secret"));
        let c = Config::from_lookup(|k| {
            (k == "AFTERCARE_PUBLIC_URL").then(|| "https://care.example/".into())
        })
        .unwrap();
        assert_eq!(c.public_url, "https://care.example");
    }
}
