use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::app::AppError;
use crate::auth::sha256_hex;
use crate::http::ApiError;
use crate::http::AppState;

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database answers.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if !state.db.ping().await {
        return Err(AppError::Unavailable.into());
    }
    Ok(HttpResponse::Ok().json(json!({"status": "ready", "database": state.db.backend()})))
}

pub const OPENAPI: &str = include_str!("../../openapi.yaml");

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml")
        .body(OPENAPI)
}

/// Prometheus metrics. With `AFTERCARE_METRICS_TOKEN` set, callers present it
/// as a bearer token; without one, only direct loopback connections may read
/// them (a request relayed by a proxy on the same host carries forwarding
/// headers and is refused, so a local proxy does not publish them).
pub async fn metrics(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    match &state.config.metrics_token {
        Some(expected) => {
            let presented = req
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            // Compared as digests so the time taken says nothing about the token.
            if sha256_hex(presented) != sha256_hex(expected) {
                return Err(AppError::Unauthorized(
                    "metrics need the bearer token set in AFTERCARE_METRICS_TOKEN",
                )
                .into());
            }
        }
        None => {
            let loopback = req.peer_addr().is_some_and(|a| a.ip().is_loopback());
            let relayed = ["forwarded", "x-forwarded-for", "x-real-ip"]
                .iter()
                .any(|h| req.headers().contains_key(*h));
            if !loopback || relayed {
                return Err(AppError::Forbidden(
                    "metrics are served to loopback only unless AFTERCARE_METRICS_TOKEN is set",
                )
                .into());
            }
        }
    }
    let max = state.config.pool_size;
    let pending = crate::app::outbox::pending(&state.db).await.ok();
    let (connections, idle) = state.db.pool_state();
    let body = state.metrics.render(&crate::metrics::DbSnapshot {
        connections,
        idle,
        max,
        outbox_pending: pending,
    });
    Ok(HttpResponse::Ok()
        .content_type(crate::metrics::CONTENT_TYPE)
        .body(body))
}
