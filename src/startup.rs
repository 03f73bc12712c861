//! Builds the application: database, secrets, HTTP server. Tests bind port 0.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, App, HttpMessage, HttpServer};
use base64::Engine;
use tracing_actix_web::{RequestId, TracingLogger};

use crate::api;
use crate::app::AppError;
use crate::auth::TokenKeys;
use crate::config::Config;
use crate::console;
use crate::db::{Db, DbSetupError};
use crate::http::connections::{ConnectionCaps, ConnectionSlot};
use crate::http::limits::{AuthLimits, SyncPushLimits};
use crate::http::{is_https, ApiError, AppState, BODY_LIMIT};
use crate::jobs::dispatcher::{AlertTransports, Dispatcher, DispatcherConfig};
use crate::media::MediaStore;
use crate::metrics::{Metrics, PushOutcomes};
use crate::notify::email::Mailer;
use crate::notify::webhook::WebhookSender;
use crate::push::apns::{ApnsSender, ApnsSettings};
use crate::push::fcm::FcmSender;
use crate::push::provider::Providers;
use crate::push::transport::PushSender;
use crate::push::vapid::VapidKeys;
use crate::secrets::SecretsKey;
use crate::store::{protocols, settings};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DbSetupError),
    #[error("cannot load secrets: {0}")]
    Secrets(String),
    #[error("cannot listen: {0}")]
    Bind(#[from] std::io::Error),
    #[error("configuration: {0}")]
    Config(String),
}

/// Opens the database and applies migrations.
pub fn open_database(config: &Config) -> Result<Db, StartupError> {
    let db = Db::new(
        config.database.clone(),
        config.pool_size,
        config.pool_timeout,
    );
    db.migrate()?;
    let mut conn = db
        .conn()
        .map_err(|e| DbSetupError::Connect(e.to_string()))?;
    protocols::seed_default(&mut conn).map_err(|e| DbSetupError::Migrate(e.to_string()))?;
    Ok(db)
}

/// The access-token key: from the environment, or generated once and kept
/// (sealed) in the database so every process agrees.
fn token_keys(db: &Db, config: &Config) -> Result<TokenKeys, StartupError> {
    let secret = match &config.jwt_secret {
        Some(s) => s.clone(),
        None => {
            let stored = stored_secret(db, config, "jwt_secret", || {
                base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())
            })?;
            base64::engine::general_purpose::STANDARD
                .decode(stored)
                .map_err(|e| StartupError::Secrets(format!("stored jwt_secret: {e}")))?
        }
    };
    Ok(TokenKeys::new(&secret, config.access_token_ttl))
}

/// The key that seals stored secrets: `AFTERCARE_SECRETS_KEY`, or the key
/// file, generated (with a warning) on first start.
pub fn secrets_key(config: &Config) -> Result<SecretsKey, StartupError> {
    if let Some(k) = &config.secrets_key {
        return Ok(k.clone());
    }
    let path = &config.secrets_key_file;
    let (key, created) = SecretsKey::load_or_create(path).map_err(StartupError::Secrets)?;
    if created {
        tracing::warn!(
            path = %path.display(),
            "AFTERCARE_SECRETS_KEY is unset: generated a secrets key file; keep it apart from database copies and backups, and give every process the same key"
        );
    }
    Ok(key)
}

/// A secret kept in the database, sealed with the secrets key: read, or
/// first stored from `make()`. A value stored in plain text by an older
/// version is sealed in place.
fn stored_secret(
    db: &Db,
    config: &Config,
    name: &str,
    make: impl FnOnce() -> String,
) -> Result<String, StartupError> {
    let key = secrets_key(config)?;
    let mut conn = db
        .conn()
        .map_err(|e| StartupError::Secrets(e.to_string()))?;
    let stored = settings::get_or_create(&mut conn, name, || key.seal(name, &make()))
        .map_err(|e| StartupError::Secrets(e.to_string()))?;
    if SecretsKey::is_sealed(&stored) {
        return key.open(name, &stored).map_err(StartupError::Secrets);
    }
    settings::replace(&mut conn, name, &stored, &key.seal(name, &stored))
        .map_err(|e| StartupError::Secrets(e.to_string()))?;
    tracing::info!(
        setting = name,
        "sealed a secret the database kept in plain text"
    );
    Ok(stored)
}

pub struct Application {
    port: u16,
    server: Server,
    background: Background,
    state: web::Data<AppState>,
}

/// The work every process does besides HTTP: the reminder dispatcher and
/// periodic jobs. `aftercare worker` runs only this.
pub struct Background {
    db: Db,
    media: MediaStore,
    media_grace: std::time::Duration,
    job_interval: std::time::Duration,
    escalate_after: std::time::Duration,
    dispatcher: Dispatcher,
}

/// The SMTP mailer, or `None` (said in the log) when e-mail is not set up.
fn mailer(config: &Config) -> Result<Option<Mailer>, StartupError> {
    let Some(smtp) = &config.smtp else {
        tracing::info!("alert e-mail is off: AFTERCARE_SMTP_URL is not set");
        return Ok(None);
    };
    let mailer =
        Mailer::new(&smtp.url, &smtp.from, config.push_timeout).map_err(StartupError::Config)?;
    tracing::info!(server = %smtp.server(), "alert e-mail goes out through SMTP");
    Ok(Some(mailer))
}

/// The FCM sender, or `None` (said in the log) when FCM is not set up.
fn fcm(config: &Config) -> Result<Option<FcmSender>, StartupError> {
    let Some(c) = &config.fcm else {
        tracing::info!("FCM is off: AFTERCARE_FCM_CREDENTIALS is not set");
        return Ok(None);
    };
    let sender = FcmSender::from_file(&c.credentials, &c.endpoint, config.push_timeout)
        .map_err(|e| StartupError::Config(format!("AFTERCARE_FCM_CREDENTIALS: {e}")))?;
    tracing::info!(endpoint = %c.endpoint, "FCM pushes go out");
    Ok(Some(sender))
}

/// The APNs sender, or `None` (said in the log) when APNs is not set up.
fn apns(config: &Config) -> Result<Option<ApnsSender>, StartupError> {
    let Some(c) = &config.apns else {
        tracing::info!("APNs is off: AFTERCARE_APNS_KEY is not set");
        return Ok(None);
    };
    let sender = ApnsSender::new(ApnsSettings {
        key_path: &c.key,
        key_id: &c.key_id,
        team_id: &c.team_id,
        topic: &c.topic,
        production_endpoint: &c.endpoint,
        sandbox_endpoint: &c.sandbox_endpoint,
        extra_root: c.ca.as_deref(),
        timeout: config.push_timeout,
    })
    .map_err(|e| StartupError::Config(format!("APNs: {e}")))?;
    tracing::info!(endpoint = %c.endpoint, topic = %c.topic, "APNs pushes go out");
    Ok(Some(sender))
}

impl Background {
    /// `outcomes` counts what the dispatcher's pushes came to.
    pub fn build(db: Db, config: &Config, outcomes: PushOutcomes) -> Result<Self, StartupError> {
        let vapid = vapid_keys(&db, config)?;
        let sender = PushSender::new(vapid, config.vapid_subject.clone(), config.push_timeout)
            .allow_insecure(config.push_allow_insecure);
        let providers = Providers {
            web_push: sender,
            fcm: fcm(config)?,
            apns: apns(config)?,
        };
        let dispatcher = Dispatcher::new(
            db.clone(),
            providers,
            DispatcherConfig {
                tick: config.scheduler_tick,
                retry_base: config.push_retry_base,
                max_attempts: config.push_max_attempts,
                lease: std::time::Duration::from_secs(60).max(config.push_timeout * 3),
                batch: 64,
            },
            outcomes,
            AlertTransports {
                mailer: mailer(config)?,
                webhooks: WebhookSender::new(config.push_timeout, config.push_allow_insecure),
                public_url: config.public_url.clone(),
            },
        );
        Ok(Self {
            db,
            media: media_store(config)?,
            media_grace: config.media.sweep_grace,
            job_interval: config.job_interval,
            escalate_after: config.escalate_after,
            dispatcher,
        })
    }

    /// Runs the dispatcher and the periodic jobs until the future is dropped.
    pub async fn run(self, stop: tokio::sync::watch::Receiver<bool>) {
        let jobs = tokio::spawn(crate::jobs::run(
            self.db,
            self.job_interval,
            self.escalate_after,
            crate::jobs::MediaSweep {
                media: self.media,
                grace: self.media_grace,
            },
        ));
        self.dispatcher.run(stop).await;
        jobs.abort();
    }
}

/// The photo store the configuration names.
pub fn media_store(config: &Config) -> Result<MediaStore, StartupError> {
    MediaStore::open(&config.media.location).map_err(StartupError::Config)
}

/// The VAPID key pair: from the environment, or generated once and kept
/// (sealed) in the database so every process signs with the same key.
pub fn vapid_keys(db: &Db, config: &Config) -> Result<VapidKeys, StartupError> {
    let encoded = match &config.vapid_private_key {
        Some(k) => k.clone(),
        None => stored_secret(db, config, "vapid_private_key", || {
            VapidKeys::generate().to_base64()
        })?,
    };
    VapidKeys::from_base64(&encoded)
        .map_err(|e| StartupError::Secrets(format!("VAPID private key: {e}")))
}

impl Application {
    pub fn build(config: Config) -> Result<Self, StartupError> {
        let db = open_database(&config)?;
        let keys = token_keys(&db, &config)?;
        let listener = TcpListener::bind(&config.bind)?;
        let port = listener.local_addr()?.port();
        let mut metrics = Metrics::new();
        metrics.register_db(db.stats());
        let metrics = Arc::new(metrics);
        let background = Background::build(db.clone(), &config, metrics.push_outcomes())?;
        let vapid_public_key = vapid_keys(&db, &config)?.public_key();
        let limits = AuthLimits::new(&db, config.auth_limit_account, config.auth_limit_address);
        let sync_pushes = SyncPushLimits::new(config.sync_push_limit);
        let media = media_store(&config)?;
        tracing::info!(store = %media.describe(), "photos are stored in the media store");
        let state = web::Data::new(AppState {
            media,
            db,
            keys,
            config,
            vapid_public_key,
            limits,
            sync_pushes,
            metrics,
            generations: Default::default(),
        });
        let server = run(listener, state.clone())?;
        Ok(Self {
            port,
            server,
            background,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until stopped, running the background work alongside.
    /// On SIGTERM/SIGINT actix stops accepting connections and drains the
    /// requests in flight; then the dispatcher finishes its pass and stops.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let background = tokio::spawn(self.background.run(stopped));
        let state = self.state.clone();
        // Forgets attempt budgets that are full again, so memory stays bounded.
        let sweeper = tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                if let Err(e) = state.limits.forget_idle().await {
                    tracing::warn!(error = ?e, "forgetting idle attempt budgets failed");
                }
                state.sync_pushes.forget_idle();
            }
        });
        let result = self.server.await;
        sweeper.abort();
        let _ = stop.send(true);
        if tokio::time::timeout(std::time::Duration::from_secs(30), background)
            .await
            .is_err()
        {
            tracing::warn!("dispatcher did not stop within 30 s");
        }
        tracing::info!("stopped");
        result
    }
}

/// Two years, the usual preload value.
const HSTS: &str = "max-age=63072000; includeSubDomains";

fn run(listener: TcpListener, state: web::Data<AppState>) -> Result<Server, std::io::Error> {
    let caps = ConnectionCaps::new(
        state.config.max_connections as usize,
        state.config.max_connections_per_address as usize,
    );
    let server = HttpServer::new(move || {
        let metrics = state.metrics.clone();
        // Either setting says a TLS-terminating proxy sets X-Forwarded-Proto.
        let trust_proxy = state.config.trust_proxy;
        let body_deadline = state.config.body_deadline;
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(BODY_LIMIT))
            .app_data(web::QueryConfig::default().error_handler(|e, _| {
                ApiError::BadRequest(format!("invalid query string: {e}")).into()
            }))
            .app_data(
                web::PathConfig::default()
                    .error_handler(|_, _| ApiError::from(AppError::NotFound).into()),
            )
            // Innermost: every body is read under a deadline.
            .wrap_fn(move |mut req, srv| {
                let declared = req
                    .headers()
                    .get(actix_web::http::header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                let limit = crate::http::deadline::for_length(body_deadline, declared);
                let payload = req.take_payload();
                req.set_payload(crate::http::deadline::with_deadline(payload, limit));
                srv.call(req)
            })
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Cache-Control", "no-store"))
                    .add(("Referrer-Policy", "no-referrer"))
                    .add(("X-Frame-Options", "DENY"))
                    .add((
                        "Content-Security-Policy",
                        "default-src 'none'; frame-ancestors 'none'",
                    ))
                    .add(("Cross-Origin-Resource-Policy", "same-origin")),
            )
            // Echo the request id so a client report can be matched to the logs.
            .wrap_fn(|req, srv| {
                let id = req.extensions().get::<RequestId>().copied();
                let fut = srv.call(req);
                async move {
                    let mut res = fut.await?;
                    if let Some(id) = id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok())
                    {
                        res.headers_mut()
                            .insert(HeaderName::from_static("x-request-id"), id);
                    }
                    Ok(res)
                }
            })
            // A connection over a cap gets 503 and is closed.
            .wrap_fn(|req, srv| {
                let over = req
                    .conn_data::<ConnectionSlot>()
                    .is_some_and(ConnectionSlot::over);
                let fut: std::pin::Pin<Box<dyn std::future::Future<Output = _>>> = if over {
                    let res = req.error_response(ApiError::TooManyConnections);
                    Box::pin(async move { Ok(res) })
                } else {
                    let call = srv.call(req);
                    Box::pin(async move { call.await.map(|r| r.map_into_boxed_body()) })
                };
                fut
            })
            .wrap(TracingLogger::<crate::http::request_log::RedactedRootSpan>::new())
            // Outermost: counts every response, errors and 404s included, and
            // adds HSTS only when a trusted proxy says the client used https
            // (HSTS over plain http is ignored by browsers, and would pin
            // https on a host that may not serve it).
            .wrap_fn(move |req, srv| {
                let started = std::time::Instant::now();
                let https = is_https(req.request(), trust_proxy);
                let metrics = metrics.clone();
                let in_flight = metrics.request_started();
                let fut = srv.call(req);
                async move {
                    let _in_flight = in_flight;
                    let mut res = fut.await?;
                    if https {
                        res.headers_mut().insert(
                            header::STRICT_TRANSPORT_SECURITY,
                            HeaderValue::from_static(HSTS),
                        );
                    }
                    let req = res.request();
                    metrics.observe_request(
                        req.match_pattern().as_deref(),
                        req.method().as_str(),
                        res.status().as_u16(),
                        started.elapsed(),
                    );
                    Ok(res)
                }
            })
            // Before the API: its HTML pages set their own CSP and 404 page.
            .configure(console::configure)
            .configure(api::configure)
            .default_service(web::to(api::fallback))
    })
    .on_connect(move |conn, data| {
        let address = conn
            .downcast_ref::<actix_web::rt::net::TcpStream>()
            .and_then(|s| s.peer_addr().ok())
            .map(|a| a.ip());
        data.insert(caps.open(address));
    })
    .listen(listener)?
    .shutdown_timeout(30)
    .run();
    Ok(server)
}
