//! The request span every log line of a request carries. Like
//! tracing-actix-web's default, except that the query string keeps its
//! values only for parameters known to be harmless: others (an endpoint, a
//! search, a code someone pasted) are logged as `name=~`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::field::Empty;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

/// Query parameters whose values say nothing about a person or a secret.
const HARMLESS: [&str; 8] = [
    "last_pulled_at",
    "schema_version",
    "limit",
    "offset",
    "before",
    "status",
    "severity",
    "page",
];

/// `path?query` with the values of other parameters replaced by `~`.
pub fn redacted_target(path: &str, query: Option<&str>) -> String {
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return path.to_string();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if HARMLESS.contains(&name) => format!("{name}={value}"),
            Some((name, _)) => format!("{}=~", short(name)),
            None => short(pair).to_string(),
        })
        .collect();
    format!("{path}?{}", params.join("&"))
}

/// A name is the client's text too: bounded.
fn short(name: &str) -> &str {
    match name.char_indices().nth(32) {
        Some((i, _)) => &name[..i],
        None => name,
    }
}

pub struct RedactedRootSpan;

impl RootSpanBuilder for RedactedRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let uri = request.uri();
        let target = redacted_target(uri.path(), uri.query());

        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let client_ip = request
            .connection_info()
            .realip_remote_addr()
            .unwrap_or("")
            .to_string();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            // Recorded when the request ends: before routing, finding the
            // pattern means matching the path against every route again.
            http.route = Empty,
            http.target = %target,
            http.client_ip = %client_ip,
            http.status_code = Empty,
            otel.kind = "server",
            otel.status_code = Empty,
            request_id = %request_id,
            exception.message = Empty,
            exception.details = Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        if let Ok(res) = outcome {
            // After routing this is a lookup of the matched resource.
            let route = res.request().match_pattern();
            span.record("http.route", route.as_deref().unwrap_or("default"));
        }
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::redacted_target;

    #[test]
    fn only_harmless_values_are_kept() {
        assert_eq!(redacted_target("/v1/sync", None), "/v1/sync");
        assert_eq!(
            redacted_target("/v1/sync", Some("last_pulled_at=17&migration=%7B%7D")),
            "/v1/sync?last_pulled_at=17&migration=~"
        );
        assert_eq!(
            redacted_target("/console/patients", Some("q=Ay%C5%9Fe&limit=20&flag")),
            "/console/patients?q=~&limit=20&flag"
        );
    }
}
