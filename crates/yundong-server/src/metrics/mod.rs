//! Prometheus metrics of one node (docs/OPERATIONS.md lists every family).
//!
//! Each [`AppState`](crate::AppState) owns its own registry (no process-global recorder), so tests run several nodes
//! in one process and each node's `/metrics` shows only its own work. What changes per request is recorded through
//! handles resolved once per route ([`http`]); everything else (caches, change feed, pools, memory) is read from
//! counters the code keeps anyway, at scrape time ([`collect`]), so it costs nothing between scrapes.
//!
//! Labels carry only values from closed sets: surface, route template (never the raw path), HTTP status, WeChat
//! errcode, cache name, pool name. Never an id, token, appid or openid.

mod collect;
pub mod http;

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use yundong_store::Store;

use yundong_core::cache::Caches;

/// Buckets of every latency histogram, in seconds: 0.25 ms to about 16 s.
pub fn latency_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.000_25, 2.0, 17)
}

/// The step writer's measurements: one observation per committed batch.
#[derive(Clone, Debug)]
pub struct StepMetrics {
    pub batch_size: Histogram,
    pub commit_seconds: Histogram,
    pub failed_batches: Counter,
}

impl yundong_core::StepObserver for StepMetrics {
    fn committed(&self, size: usize, took: std::time::Duration) {
        self.batch_size.observe(size as f64);
        self.commit_seconds.observe(took.as_secs_f64());
    }

    fn failed(&self) {
        self.failed_batches.inc();
    }
}

impl Default for StepMetrics {
    fn default() -> Self {
        StepMetrics {
            batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 12)),
            commit_seconds: Histogram::new(latency_buckets()),
            failed_batches: Counter::default(),
        }
    }
}

/// A node's metrics: the registry and the handles recorded into.
pub struct Metrics {
    registry: Registry,
    pub http: Arc<http::HttpMetrics>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// Register every family: the HTTP and step-writer handles, and the collectors that read caches, the change
    /// feed, the pools and the process at scrape time.
    pub fn new(store: Store, caches: Arc<Caches>, steps: &StepMetrics) -> Metrics {
        let mut registry = Registry::with_prefix("yundong");
        let http = http::HttpMetrics::default();
        registry.register(
            "http_requests",
            "Requests answered, by surface, route template, HTTP status and WeChat errcode (WeChat-compatible API only)",
            http.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its response head, by surface and route template",
            http.durations.clone(),
        );
        registry.register(
            "step_batch_size",
            "Uploads committed together by the step writer, per transaction",
            steps.batch_size.clone(),
        );
        registry.register(
            "step_commit_duration_seconds",
            "Time to commit one step batch (durable before any upload in it is acknowledged)",
            steps.commit_seconds.clone(),
        );
        registry.register(
            "step_failed_batches",
            "Step batches whose transaction failed (none of their uploads was acknowledged)",
            steps.failed_batches.clone(),
        );
        registry.register_collector(Box::new(collect::Node { store, caches }));
        Metrics {
            registry,
            http: Arc::new(http),
        }
    }

    /// The registry in the OpenMetrics text format.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::with_capacity(16 * 1024);
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// The OpenMetrics text content type (Prometheus negotiates it).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `GET /metrics`: this node's metrics.
pub async fn metrics(axum::extract::State(state): axum::extract::State<crate::AppState>) -> Response {
    match state.metrics.render() {
        Ok(text) => ([(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))], text).into_response(),
        Err(_) => crate::error::ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "metrics could not be encoded",
        )
        .into_response(),
    }
}

/// The router serving only `/metrics`, for `--metrics-listen`.
pub fn router(state: crate::AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .fallback(crate::http::fallback)
        .with_state(state)
}
