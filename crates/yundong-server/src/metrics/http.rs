//! Request metrics: a tower layer that counts each answer by surface, route template, status and WeChat errcode, and
//! times it.
//!
//! Per request it allocates nothing: the route template (axum's [`MatchedPath`]) is resolved once per route to a
//! shared handle holding the interned label and the route's histogram; the counter is found in its family by a label
//! set built from that handle and two integers.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use tower::{Layer, Service};

/// Set on a response by the WeChat-compatible API's error type: the errcode it answered.
#[derive(Debug, Clone, Copy)]
pub struct WxErrcode(pub i32);

/// The route label of requests that matched no route: never the raw path (unbounded, may carry secrets).
pub const UNMATCHED: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub surface: &'static str,
    pub route: Arc<str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub surface: &'static str,
    pub route: Arc<str>,
    pub status: u16,
    /// The WeChat errcode (0 on success) on the WeChat-compatible API; empty on the other surfaces.
    pub errcode: Option<i32>,
}

type Durations = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn new_histogram() -> Histogram {
    Histogram::new(super::latency_buckets())
}

/// A route's pre-resolved handles.
struct RouteHandle {
    surface: &'static str,
    route: Arc<str>,
    duration: Histogram,
    /// The route's counters by (status, errcode) seen so far: a handful, found by a linear scan of two integers
    /// instead of hashing the whole label set in the family on every request.
    counters: RwLock<Vec<(u16, Option<i32>, Counter)>>,
}

pub struct HttpMetrics {
    pub(super) requests: Family<RequestLabels, Counter>,
    pub(super) durations: Durations,
    routes: RwLock<HashMap<Arc<str>, Arc<RouteHandle>>>,
    /// Per surface (in [`SURFACES`] order), for requests that matched no route; made on first use.
    unmatched: [OnceLock<Arc<RouteHandle>>; SURFACES.len()],
}

impl Default for HttpMetrics {
    fn default() -> Self {
        HttpMetrics {
            requests: Family::default(),
            durations: Durations::new_with_constructor(new_histogram),
            routes: RwLock::default(),
            unmatched: Default::default(),
        }
    }
}

fn handle(durations: &Durations, surface: &'static str, route: Arc<str>) -> Arc<RouteHandle> {
    let duration = durations
        .get_or_create_owned(&RouteLabels {
            surface,
            route: route.clone(),
        })
        .clone();
    Arc::new(RouteHandle {
        surface,
        route,
        duration,
        counters: RwLock::default(),
    })
}

const SURFACES: [&str; 5] = ["wechat", "client", "admin", "ui", "other"];

/// The surface a path belongs to (the same families the fallbacks use).
pub fn surface(path: &str) -> &'static str {
    if ["/sns/", "/cgi-bin/", "/wxa/", "/hardware/"]
        .iter()
        .any(|p| path.starts_with(p))
    {
        "wechat"
    } else if path.starts_with("/client/") {
        "client"
    } else if path.starts_with("/admin/") {
        "admin"
    } else if path == "/ui" || path.starts_with("/ui/") {
        "ui"
    } else {
        "other"
    }
}

impl HttpMetrics {
    fn route<B>(&self, req: &Request<B>) -> Arc<RouteHandle> {
        let Some(path) = req.extensions().get::<MatchedPath>().map(MatchedPath::as_str) else {
            let surface = surface(req.uri().path());
            let i = SURFACES.iter().position(|s| *s == surface).unwrap_or(0);
            return self.unmatched[i]
                .get_or_init(|| handle(&self.durations, surface, Arc::from(UNMATCHED)))
                .clone();
        };
        if let Some(h) = self.routes.read().ok().and_then(|m| m.get(path).cloned()) {
            return h;
        }
        // First request on this route (route templates are a closed set, so this map stays small).
        let h = handle(&self.durations, surface(path), Arc::from(path));
        if let Ok(mut m) = self.routes.write() {
            m.insert(h.route.clone(), h.clone());
        }
        h
    }

    fn record<B>(&self, route: &RouteHandle, res: &Response<B>, started: Instant) {
        route.duration.observe(started.elapsed().as_secs_f64());
        let errcode = (route.surface == "wechat").then(|| res.extensions().get::<WxErrcode>().map_or(0, |c| c.0));
        let status = res.status().as_u16();
        let counted = route.counters.read().ok().and_then(|counters| {
            counters
                .iter()
                .find(|(s, e, _)| *s == status && *e == errcode)
                .map(|(_, _, c)| c.inc())
        });
        if counted.is_some() {
            return;
        }
        // First answer with this status and errcode on this route: registered in the family, then kept here.
        let counter = self.requests.get_or_create_owned(&RequestLabels {
            surface: route.surface,
            route: route.route.clone(),
            status,
            errcode,
        });
        counter.inc();
        if let Ok(mut counters) = route.counters.write()
            && !counters.iter().any(|(s, e, _)| *s == status && *e == errcode)
        {
            counters.push((status, errcode, counter));
        }
    }
}

/// Records every request through it into [`HttpMetrics`].
#[derive(Clone)]
pub struct MetricsLayer(pub Arc<HttpMetrics>);

impl<S> Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MetricsService {
            inner,
            metrics: self.0.clone(),
        }
    }
}

#[derive(Clone)]
pub struct MetricsService<S> {
    inner: S,
    metrics: Arc<HttpMetrics>,
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for MetricsService<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>>,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = MetricsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        let route = self.metrics.route(&req);
        MetricsFuture {
            inner: self.inner.call(req),
            metrics: self.metrics.clone(),
            route,
            started: Instant::now(),
        }
    }
}

pin_project_lite::pin_project! {
    pub struct MetricsFuture<F> {
        #[pin]
        inner: F,
        metrics: Arc<HttpMetrics>,
        route: Arc<RouteHandle>,
        started: Instant,
    }
}

impl<F, B, E> Future for MetricsFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let res = std::task::ready!(this.inner.poll(cx));
        if let Ok(res) = &res {
            this.metrics.record(this.route, res, *this.started);
        }
        Poll::Ready(res)
    }
}

#[cfg(test)]
mod tests {
    use super::surface;

    #[test]
    fn surfaces_come_from_the_path_family() {
        assert_eq!(surface("/sns/jscode2session"), "wechat");
        assert_eq!(surface("/cgi-bin/token"), "wechat");
        assert_eq!(surface("/client/v1/steps"), "client");
        assert_eq!(surface("/admin/v1/apps"), "admin");
        assert_eq!(surface("/ui/wx.js"), "ui");
        assert_eq!(surface("/uix"), "other");
        assert_eq!(surface("/healthz"), "other");
    }
}
