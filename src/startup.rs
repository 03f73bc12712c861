//! Builds the application: database, secrets, HTTP server. Tests bind port 0.

use std::net::TcpListener;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, App, HttpMessage, HttpServer};
use base64::Engine;
use tracing_actix_web::{RequestId, TracingLogger};

use crate::api;
use crate::api::extract::BODY_LIMIT;
use crate::auth::TokenKeys;
use crate::config::Config;
use crate::db::{Db, DbSetupError};
use crate::error::ApiError;
use crate::store::{protocols, settings};

/// What every request handler can reach.
pub struct AppState {
    pub db: Db,
    pub keys: TokenKeys,
    pub config: Config,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DbSetupError),
    #[error("cannot load secrets: {0}")]
    Secrets(String),
    #[error("cannot listen: {0}")]
    Bind(#[from] std::io::Error),
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

/// The access-token key: from the environment, or generated once and kept in
/// the database so every process agrees.
fn token_keys(db: &Db, config: &Config) -> Result<TokenKeys, StartupError> {
    let secret = match &config.jwt_secret {
        Some(s) => s.clone(),
        None => {
            let mut conn = db
                .conn()
                .map_err(|e| StartupError::Secrets(e.to_string()))?;
            let stored = settings::get_or_create(&mut conn, "jwt_secret", || {
                base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())
            })
            .map_err(|e| StartupError::Secrets(e.to_string()))?;
            base64::engine::general_purpose::STANDARD
                .decode(stored)
                .map_err(|e| StartupError::Secrets(format!("stored jwt_secret: {e}")))?
        }
    };
    Ok(TokenKeys::new(&secret, config.access_token_ttl))
}

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    job_interval: std::time::Duration,
}

impl Application {
    pub fn build(config: Config) -> Result<Self, StartupError> {
        let db = open_database(&config)?;
        let keys = token_keys(&db, &config)?;
        let listener = TcpListener::bind(&config.bind)?;
        let port = listener.local_addr()?.port();
        let job_interval = config.job_interval;
        let state = web::Data::new(AppState {
            db: db.clone(),
            keys,
            config,
        });
        let server = run(listener, state)?;
        Ok(Self {
            port,
            server,
            db,
            job_interval,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until stopped, running the background jobs alongside.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let jobs = tokio::spawn(crate::jobs::run(self.db, self.job_interval));
        let result = self.server.await;
        jobs.abort();
        result
    }
}

fn run(listener: TcpListener, state: web::Data<AppState>) -> Result<Server, std::io::Error> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(BODY_LIMIT))
            .app_data(web::QueryConfig::default().error_handler(|e, _| {
                ApiError::BadRequest(format!("invalid query string: {e}")).into()
            }))
            .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into()))
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Cache-Control", "no-store"))
                    .add(("Referrer-Policy", "no-referrer"))
                    .add(("X-Frame-Options", "DENY"))
                    .add((
                        "Content-Security-Policy",
                        "default-src 'none'; frame-ancestors 'none'",
                    )),
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
            .wrap(TracingLogger::default())
            .configure(api::configure)
            .default_service(web::to(api::fallback))
    })
    .listen(listener)?
    .run();
    Ok(server)
}
