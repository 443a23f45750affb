//! Test helpers: a transport that records every request before sending it, and a settable clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use yundong_sdk::http::BoxFuture;
use yundong_sdk::{HttpRequest, HttpResponse, HttpTransport, ReqwestTransport, TransportError};

/// Forwards to reqwest and remembers what was sent.
pub struct Recorder {
    inner: ReqwestTransport,
    log: Mutex<Vec<HttpRequest>>,
}

impl Recorder {
    pub fn new() -> Arc<Recorder> {
        Arc::new(Recorder {
            inner: ReqwestTransport::new().unwrap(),
            log: Mutex::new(Vec::new()),
        })
    }

    pub fn requests(&self) -> Vec<HttpRequest> {
        self.log.lock().unwrap().clone()
    }

    /// How many requests went to a URL ending with `path`.
    pub fn count(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.url.ends_with(path)).count()
    }

    /// Requests to either access-token endpoint.
    pub fn token_requests(&self) -> usize {
        self.count("/cgi-bin/token") + self.count("/cgi-bin/stable_token")
    }
}

impl HttpTransport for Recorder {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        self.log.lock().unwrap().push(request.clone());
        self.inner.send(request)
    }
}

/// A clock the test moves by hand.
#[derive(Clone, Default)]
pub struct TestClock(pub Arc<AtomicI64>);

impl TestClock {
    pub fn at(now: i64) -> TestClock {
        TestClock(Arc::new(AtomicI64::new(now)))
    }

    pub fn set(&self, now: i64) {
        self.0.store(now, Ordering::SeqCst);
    }
}

impl yundong_sdk::Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
