//! Prometheus metrics (OpenMetrics text): requests and latency per route
//! pattern, method and status; database pool use; outbox depth; push outcomes;
//! refused sign-in and enrolment attempts.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The matched route pattern (`/v1/treatments/{id}`), never the raw path,
    /// so ids do not multiply series; unmatched paths share one value.
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LimitLabels {
    pub endpoint: &'static str,
    pub budget: &'static str,
}

type HistogramFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    in_flight: Gauge,
    limited: Family<LimitLabels, Counter>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    outbox_pending: Gauge,
    database_up: Gauge,
    push_outcomes: PushOutcomes,
}

/// One request in [`Metrics::request_started`]'s gauge.
pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// What the scrape handler reads from the database side.
pub struct DbSnapshot {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
    /// `None` when the database did not answer.
    pub outbox_pending: Option<i64>,
}

fn latency_histogram() -> Histogram {
    // 1 ms to ~16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// What became of a push attempt, as counted in `aftercare_push_outcomes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    Retried,
    Failed,
    Stale,
    SubscriptionRemoved,
}

impl Outcome {
    const ALL: [Outcome; 5] = [
        Outcome::Sent,
        Outcome::Retried,
        Outcome::Failed,
        Outcome::Stale,
        Outcome::SubscriptionRemoved,
    ];

    /// The `outcome` label value.
    fn label(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Retried => "retried",
            Outcome::Failed => "failed",
            Outcome::Stale => "stale",
            Outcome::SubscriptionRemoved => "subscription_removed",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
    /// `webpush`, `fcm` or `apns`; `none` for reminders that went stale
    /// before they were fanned out to any device.
    provider: &'static str,
}

/// The `provider` label values.
pub const PROVIDERS: [&str; 3] = ["webpush", "fcm", "apns"];

/// Push outcome counters (`aftercare_push_outcomes`), handed to the
/// dispatcher. Cheap to clone; clones count into the same series. Every
/// outcome is exported from the start, at 0.
#[derive(Clone, Debug)]
pub struct PushOutcomes {
    family: Family<OutcomeLabels, Counter>,
}

impl Default for PushOutcomes {
    /// Counters registered nowhere (a process that serves no metrics).
    fn default() -> Self {
        let family = Family::<OutcomeLabels, Counter>::default();
        for provider in PROVIDERS {
            for outcome in Outcome::ALL {
                let _ = family.get_or_create(&OutcomeLabels {
                    outcome: outcome.label(),
                    provider,
                });
            }
        }
        let _ = family.get_or_create(&OutcomeLabels {
            outcome: Outcome::Stale.label(),
            provider: "none",
        });
        Self { family }
    }
}

impl PushOutcomes {
    /// Counts one attempt through `provider` (a [`PROVIDERS`] value).
    pub fn count(&self, provider: &'static str, outcome: Outcome) {
        self.add(provider, outcome, 1);
    }

    /// Counts `n` attempts.
    pub fn add(&self, provider: &'static str, outcome: Outcome, n: u64) {
        self.family
            .get_or_create(&OutcomeLabels {
                outcome: outcome.label(),
                provider,
            })
            .inc_by(n);
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let limited = Family::<LimitLabels, Counter>::default();
        let in_flight = Gauge::default();
        let (pool_connections, pool_idle, pool_max, outbox_pending, database_up) =
            Default::default();
        registry.register(
            "aftercare_http_requests",
            "HTTP requests by route pattern, method and status.",
            requests.clone(),
        );
        registry.register(
            "aftercare_http_request_duration_seconds",
            "HTTP request latency by route pattern, method and status.",
            latency.clone(),
        );
        registry.register(
            "aftercare_http_requests_in_flight",
            "HTTP requests this process has read and not yet answered.",
            Gauge::clone(&in_flight),
        );
        registry.register(
            "aftercare_auth_rate_limited",
            "Sign-in and enrolment attempts refused with 429, by endpoint and exhausted budget.",
            limited.clone(),
        );
        registry.register(
            "aftercare_db_pool_connections",
            "Open database connections in this process's pool.",
            Gauge::clone(&pool_connections),
        );
        registry.register(
            "aftercare_db_pool_idle_connections",
            "Idle database connections in this process's pool.",
            Gauge::clone(&pool_idle),
        );
        registry.register(
            "aftercare_db_pool_max_connections",
            "Configured size of this process's pool.",
            Gauge::clone(&pool_max),
        );
        registry.register(
            "aftercare_push_outbox_pending",
            "Push jobs waiting to be sent (whole database).",
            Gauge::clone(&outbox_pending),
        );
        registry.register(
            "aftercare_database_up",
            "1 when the database answered the last scrape.",
            Gauge::clone(&database_up),
        );
        let push_outcomes = PushOutcomes::default();
        // The registry adds the help text's final period.
        registry.register(
            "aftercare_push_outcomes",
            "Push attempts by outcome and provider (webpush, fcm, apns), in this process",
            push_outcomes.family.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            in_flight,
            limited,
            pool_connections,
            pool_idle,
            pool_max,
            outbox_pending,
            database_up,
            push_outcomes,
        }
    }

    /// Exports the database's phase histograms and statement counters.
    pub fn register_db(&mut self, stats: crate::db::timing::DbStats) {
        self.registry.register(
            "aftercare_db_phase_seconds",
            "Time units of database work spent per phase: queued for a thread, waiting for the SQLite writer or a pooled connection, in statements (commit included), in the process between statements, in the commit",
            stats.phases,
        );
        self.registry.register(
            "aftercare_db_statements",
            "Statements run, by kind of work (read or write)",
            stats.statements,
        );
        self.registry.register(
            "aftercare_db_statements_prepared",
            "Statements prepared because the connection's statement cache did not hold them, by kind of work",
            stats.prepared,
        );
    }

    /// The push outcome counters, for the dispatcher.
    pub fn push_outcomes(&self) -> PushOutcomes {
        self.push_outcomes.clone()
    }

    /// Counts a request as in flight until the guard is dropped (answered,
    /// failed or abandoned).
    pub fn request_started(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(Gauge::clone(&self.in_flight))
    }

    pub fn observe_request(&self, route: Option<&str>, method: &str, status: u16, took: Duration) {
        // Methods are client-chosen tokens: only the standard ones become labels.
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
            _ => "other",
        };
        let labels = RequestLabels {
            route: route.unwrap_or("unmatched").to_string(),
            method: method.to_string(),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    pub fn rate_limited(&self, endpoint: &'static str, budget: &'static str) {
        self.limited
            .get_or_create(&LimitLabels { endpoint, budget })
            .inc();
    }

    /// The whole exposition, with the database figures of this scrape.
    pub fn render(&self, db: &DbSnapshot) -> String {
        self.pool_connections.set(db.connections.into());
        self.pool_idle.set(db.idle.into());
        self.pool_max.set(db.max.into());
        self.database_up.set(db.outbox_pending.is_some().into());
        if let Some(n) = db.outbox_pending {
            self.outbox_pending.set(n);
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// Shared between the request middleware and the handlers.
pub type SharedMetrics = Arc<Metrics>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_requests_by_pattern_and_push_outcomes() {
        let m = Metrics::new();
        m.observe_request(
            Some("/v1/treatments/{id}"),
            "GET",
            200,
            Duration::from_millis(3),
        );
        m.observe_request(None, "BREW", 404, Duration::from_millis(1));
        m.rate_limited("login", "address");
        let text = m.render(&DbSnapshot {
            connections: 2,
            idle: 1,
            max: 8,
            outbox_pending: Some(5),
        });
        assert!(text.contains(
            r#"aftercare_http_requests_total{route="/v1/treatments/{id}",method="GET",status="200"} 1"#
        ), "{text}");
        assert!(text.contains(r#"route="unmatched",method="other",status="404""#));
        assert!(text.contains("aftercare_http_request_duration_seconds_bucket{"));
        assert!(text.contains("aftercare_db_pool_max_connections 8"));
        assert!(text.contains("aftercare_push_outbox_pending 5"));
        for provider in PROVIDERS {
            for outcome in ["sent", "retried", "failed", "stale", "subscription_removed"] {
                let line = format!(
                    "aftercare_push_outcomes_total{{outcome=\"{outcome}\",provider=\"{provider}\"}} 0\n"
                );
                assert!(text.contains(&line), "{line} in {text}");
            }
        }
        assert!(text
            .contains(r#"aftercare_auth_rate_limited_total{endpoint="login",budget="address"} 1"#));
        assert!(text.trim_end().ends_with("# EOF"));
    }

    #[test]
    fn push_outcomes_keep_their_name_and_labels() {
        let m = Metrics::new();
        let outcomes = m.push_outcomes();
        outcomes.count("webpush", Outcome::Sent);
        outcomes.clone().count("webpush", Outcome::Sent);
        outcomes.count("apns", Outcome::Sent);
        outcomes.add("none", Outcome::Stale, 3);
        outcomes.add("fcm", Outcome::Stale, 0);
        outcomes.count("fcm", Outcome::SubscriptionRemoved);
        let text = m.render(&DbSnapshot {
            connections: 0,
            idle: 0,
            max: 1,
            outbox_pending: None,
        });
        // Last before EOF, as when a collector rendered it; the order of the
        // series within the family is the family's own.
        let start = text
            .find("# HELP aftercare_push_outcomes ")
            .unwrap_or_else(|| panic!("no push outcomes in {text}"));
        let mut lines: Vec<&str> = text[start..].lines().collect();
        assert_eq!(lines.pop(), Some("# EOF"));
        lines[2..].sort_unstable();
        assert_eq!(
            lines,
            [
                "# HELP aftercare_push_outcomes Push attempts by outcome and provider (webpush, fcm, apns), in this process.",
                "# TYPE aftercare_push_outcomes counter",
                r#"aftercare_push_outcomes_total{outcome="failed",provider="apns"} 0"#,
                r#"aftercare_push_outcomes_total{outcome="failed",provider="fcm"} 0"#,
                r#"aftercare_push_outcomes_total{outcome="failed",provider="webpush"} 0"#,
                r#"aftercare_push_outcomes_total{outcome="retried",provider="apns"} 0"#,
                r#"aftercare_push_outcomes_total{outcome="retried",provider="fcm"} 0"#,
                r#"aftercare_push_outcomes_total{outcome="retried",provider="webpush"} 0"#,
                r#"aftercare_push_outcomes_total{outcome="sent",provider="apns"} 1"#,
                r#"aftercare_push_outcomes_total{outcome="sent",provider="fcm"} 0"#,
                r#"aftercare_push_outcomes_total{outcome="sent",provider="webpush"} 2"#,
                r#"aftercare_push_outcomes_total{outcome="stale",provider="apns"} 0"#,
                r#"aftercare_push_outcomes_total{outcome="stale",provider="fcm"} 0"#,
                r#"aftercare_push_outcomes_total{outcome="stale",provider="none"} 3"#,
                r#"aftercare_push_outcomes_total{outcome="stale",provider="webpush"} 0"#,
                r#"aftercare_push_outcomes_total{outcome="subscription_removed",provider="apns"} 0"#,
                r#"aftercare_push_outcomes_total{outcome="subscription_removed",provider="fcm"} 1"#,
                r#"aftercare_push_outcomes_total{outcome="subscription_removed",provider="webpush"} 0"#,
            ]
        );
        // Another registry's counters are its own.
        assert!(Metrics::new()
            .render(&DbSnapshot {
                connections: 0,
                idle: 0,
                max: 1,
                outbox_pending: None,
            })
            .contains(r#"aftercare_push_outcomes_total{outcome="sent",provider="webpush"} 0"#));
    }
}
