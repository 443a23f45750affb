//! The CPU instructions recording metrics adds per request, counted, not timed (bench/http/metrics-instructions.sh
//! runs this under `valgrind --tool=callgrind`, with metrics on and off, at two request counts, and takes the
//! difference, so setup cancels out).
//!
//!     cargo run --release --example metrics_cost -- on|off ROUNDS [healthz]
//!
//! Each round sends, through the real router in process: `/healthz`, a getWeRunData (auth, feed sync, gate, AES,
//! cloudID), a ranking, a durable step upload and a WeChat error (`/cgi-bin/token` with a wrong secret, errcode
//! 40125); with `healthz`, only `/healthz` (the cheapest route: what remains is the metrics layer's own cost). In
//! process, so no HTTP client or kernel work is counted: the ratio it gives is an upper bound of the
//! share metrics take of a request's CPU over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use yundong_server::{AppState, Config};
use yundong_store::Store;

const ADMIN: &str = "yda_metrics_cost";

async fn call(router: &axum::Router, method: &str, uri: &str, bearer: Option<&str>, body: Option<Value>) -> Value {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = bearer {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    let res = router.clone().oneshot(req).await.unwrap();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let metrics = match args.next().as_deref() {
        Some("on") => true,
        Some("off") => false,
        _ => panic!("usage: metrics_cost on|off ROUNDS [healthz]"),
    };
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).expect("ROUNDS");
    let healthz_only = args.next().as_deref() == Some("healthz");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}?mode=rwc", dir.path().join("cost.sqlite").display());
        let store = Store::connect(&url).await.unwrap();
        let config = Config {
            metrics,
            ..Config::default()
        };
        let hash = yundong_core::secrets::hash(ADMIN);
        let state = AppState::new(
            store,
            config,
            yundong_server::state::AdminToken::Fixed(hash.into()),
            [7; 32],
        );
        let router = yundong_server::router(state);
        let app = call(
            &router,
            "POST",
            "/admin/v1/apps",
            Some(ADMIN),
            Some(json!({"name": "cost"})),
        )
        .await;
        let (appid, secret) = (
            app["appid"].as_str().unwrap().to_owned(),
            app["secret"].as_str().unwrap().to_owned(),
        );
        let a = call(
            &router,
            "POST",
            "/admin/v1/users",
            Some(ADMIN),
            Some(json!({"nickname": "a"})),
        )
        .await;
        let b = call(
            &router,
            "POST",
            "/admin/v1/users",
            Some(ADMIN),
            Some(json!({"nickname": "b"})),
        )
        .await;
        let token = a["token"].as_str().unwrap().to_owned();
        let friends = json!({"a": a["user_id"], "b": b["user_id"]});
        call(&router, "POST", "/admin/v1/friendships", Some(ADMIN), Some(friends)).await;
        let code = call(
            &router,
            "POST",
            "/client/v1/wx/login",
            Some(&token),
            Some(json!({"appid": appid})),
        )
        .await;
        let code = code["code"].as_str().unwrap();
        let exchange =
            format!("/sns/jscode2session?appid={appid}&secret={secret}&js_code={code}&grant_type=authorization_code");
        assert!(call(&router, "GET", &exchange, None, None).await["openid"].is_string());
        let werun = json!({"appid": appid, "allow": true});
        let bad = format!("/cgi-bin/token?grant_type=client_credential&appid={appid}&secret=wrong");
        for i in 0..rounds {
            call(&router, "GET", "/healthz", None, None).await;
            if healthz_only {
                continue;
            }
            let w = call(
                &router,
                "POST",
                "/client/v1/wx/getWeRunData",
                Some(&token),
                Some(werun.clone()),
            )
            .await;
            assert!(w["encryptedData"].is_string(), "{w}");
            call(&router, "GET", "/client/v1/werun/ranking", Some(&token), None).await;
            let steps = json!({"steps": 1_000 + i});
            call(&router, "POST", "/client/v1/steps", Some(&token), Some(steps)).await;
            assert_eq!(call(&router, "GET", &bad, None, None).await["errcode"], 40125);
        }
    });
}
