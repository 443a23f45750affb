//! The admin API, the dev clock, and the API documents.

use serde_json::{Value, json};
use yundong_proto::ids;
use yundong_store::UserId;
use yundong_testkit::{ADMIN_TOKEN, TestServer, test_config};

#[tokio::test]
async fn apps_users_and_friendships() {
    let s = TestServer::spawn().await;
    let app = s
        .create_app(
            json!({"name": "步数挑战", "category": "体育-在线健身", "werun_share": true, "open_platform": "acme"}),
        )
        .await;
    assert!(
        ids::is_appid(&app.appid) && ids::is_original_id(&app.original_id),
        "{app:?}"
    );
    assert!(app.secret.len() == 32 && app.secret.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        (app.category.as_deref(), app.werun_share),
        (Some("体育-在线健身"), true)
    );
    let (a, b) = (s.user("甲").await, s.user("乙").await);
    assert_ne!(a.user_id, b.user_id);
    assert!(a.token.starts_with("ydu_"));
    let (status, v) = s
        .post_json(
            "/admin/v1/friendships",
            Some(ADMIN_TOKEN),
            &json!({"a": a.user_id, "b": b.user_id}),
        )
        .await;
    assert_eq!((status, v["created"].as_bool()), (201, Some(true)));
    let (status, v) = s
        .post_json(
            "/admin/v1/friendships",
            Some(ADMIN_TOKEN),
            &json!({"a": b.user_id, "b": a.user_id}),
        )
        .await;
    assert_eq!((status, v["created"].as_bool()), (200, Some(false)));
    assert_eq!(
        s.state.store.friend_ids(UserId(a.user_id)).await.unwrap(),
        vec![UserId(b.user_id)]
    );
    // Secrets are kept only as hashes.
    let row = s.state.store.app_by_appid(&app.appid).await.unwrap().unwrap();
    assert_ne!(row.secret_hash, app.secret);
    assert_eq!(row.secret_hash.len(), 64);
}

#[tokio::test]
async fn dev_clock_moves_only_forward_and_only_when_enabled() {
    let s = TestServer::spawn().await;
    let (_, before) = s.http_get("/admin/v1/clock", Some(ADMIN_TOKEN)).await;
    let v: Value = s.admin("/admin/v1/clock/advance", json!({"seconds": 3600})).await;
    assert!(v["now"].as_i64().unwrap() >= before["now"].as_i64().unwrap() + 3600);
    assert_eq!(v["offset_seconds"], 3600);
    let off = TestServer::spawn_with(yundong_server::Config {
        dev_clock: false,
        ..test_config()
    })
    .await;
    let (status, v) = off
        .post_json("/admin/v1/clock/advance", Some(ADMIN_TOKEN), &json!({"seconds": 1}))
        .await;
    assert_eq!((status, v["error"]["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn openapi_documents_every_operation_and_swagger_is_served() {
    let s = TestServer::spawn().await;
    let (status, doc) = s.get_json("/openapi.json").await;
    assert_eq!(status, 200);
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/sns/jscode2session", "get"),
        ("/cgi-bin/token", "get"),
        ("/cgi-bin/token", "post"),
        ("/cgi-bin/stable_token", "post"),
        ("/wxa/checksession", "get"),
        ("/wxa/checksession", "post"),
        ("/wxa/resetusersessionkey", "get"),
        ("/wxa/getopendata", "post"),
        ("/hardware/bracelet/setstep", "get"),
        ("/client/v1/wx/login", "post"),
        ("/client/v1/wx/authorize", "post"),
        ("/client/v1/wx/getSetting", "get"),
        ("/client/v1/steps", "post"),
        ("/client/v1/wx/getWeRunData", "post"),
        ("/admin/v1/apps", "post"),
        ("/admin/v1/users", "post"),
        ("/admin/v1/friendships", "post"),
        ("/admin/v1/clock/advance", "post"),
        ("/healthz", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from /openapi.json"
        );
    }
    let res = s.http.get(s.url("/docs/")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("swagger") && !html.contains("cdn."),
        "Swagger UI is vendored"
    );
}
