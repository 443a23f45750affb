//! Recording a request's metrics allocates nothing (issue 18: metrics stay off the hot path's allocations).
//!
//! Its own test binary, because it installs a counting global allocator (dhat in testing mode). The same requests
//! go through the real router twice, with metrics on and off, and the heap blocks allocated per request are
//! compared. In process (`tower::ServiceExt::oneshot`), so that no HTTP client's allocations blur the count.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt as _;
use yundong_server::{AppState, Config};
use yundong_store::Store;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const REQUESTS: u64 = 500;

/// Heap blocks allocated per request through `router` over `REQUESTS` requests of each path (after a warm-up).
async fn blocks_per_request(router: &axum::Router, paths: &[&str]) -> f64 {
    let send = |path: &str| {
        let router = router.clone();
        let req = Request::get(path).body(Body::empty()).unwrap();
        async move {
            let res = router.oneshot(req).await.unwrap();
            axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        }
    };
    for path in paths {
        for _ in 0..10 {
            send(path).await;
        }
    }
    let before = dhat::HeapStats::get().total_blocks;
    for path in paths {
        for _ in 0..REQUESTS {
            send(path).await;
        }
    }
    (dhat::HeapStats::get().total_blocks - before) as f64 / (REQUESTS * paths.len() as u64) as f64
}

#[test]
fn recording_a_request_allocates_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}?mode=rwc", dir.path().join("a.sqlite").display());
        let store = Store::connect(&url).await.unwrap();
        // A matched route, an unmatched path in the WeChat family (errcode label) and one outside it.
        let paths = ["/healthz", "/sns/no/such/path", "/nowhere"];
        let mut per_request = Vec::new();
        for metrics in [true, false] {
            let config = Config {
                metrics,
                ..Config::default()
            };
            let state = AppState::new(
                store.clone(),
                config,
                yundong_server::state::AdminToken::Stored,
                [0; 32],
            );
            let router = yundong_server::router(state);
            per_request.push(blocks_per_request(&router, &paths).await);
        }
        let (on, off) = (per_request[0], per_request[1]);
        eprintln!("heap blocks per request: metrics on {on:.2}, off {off:.2}");
        assert!(off > 0.0, "the measurement sees the router's own allocations");
        assert_eq!(on, off, "metrics on {on} vs off {off} blocks per request");
    });
}
