//! Rate limits as WeChat has them, configurable, counted in the database (so across nodes), and refusing without
//! changing anything.

use serde_json::json;
use yundong_proto::crypto::session_signature;
use yundong_server::Config;
use yundong_testkit::{TestServer, test_config};

use crate::support::errcode;

async fn align_to_minute(s: &TestServer) {
    let now = s.state.now();
    s.advance(60 - now.rem_euclid(60)).await;
}

#[tokio::test]
async fn login_codes_per_user_per_minute() {
    let s = TestServer::spawn_with(Config {
        login_codes_per_minute: 3,
        ..test_config()
    })
    .await;
    let app = s.app().await;
    let (u, w) = (s.user("u").await, s.user("w").await);
    align_to_minute(&s).await;
    for _ in 0..3 {
        s.login_code(&u.token, &app.appid).await;
    }
    let (status, v) = s
        .post_json("/client/v1/wx/login", Some(&u.token), &json!({"appid": app.appid}))
        .await;
    assert_eq!(
        (status, v["errMsg"].as_str()),
        (
            429,
            Some("login:fail too many requests: wx.login codes per user per minute")
        )
    );
    s.login_code(&w.token, &app.appid).await;
    s.advance(60).await;
    s.login_code(&u.token, &app.appid).await;
}

#[tokio::test]
async fn session_key_resets_per_user_per_minute() {
    let s = TestServer::spawn_with(Config {
        session_resets_per_minute: 2,
        ..test_config()
    })
    .await;
    let app = s.app().await;
    let user = s.user("u").await;
    let (openid, mut key) = s.session(&app, &user).await;
    let token = s.access_token(&app).await;
    align_to_minute(&s).await;
    let reset = |key: &str| {
        format!(
            "/wxa/resetusersessionkey?access_token={token}&openid={openid}&signature={}&sig_method=hmac_sha256",
            session_signature(key)
        )
    };
    for _ in 0..2 {
        let (_, v) = s.get_json(&reset(&key)).await;
        assert_eq!(errcode(&v), 0, "{v}");
        key = v["session_key"].as_str().unwrap().to_owned();
    }
    let (_, v) = s.get_json(&reset(&key)).await;
    assert_eq!(errcode(&v), 45011);
    // The refused reset changed nothing: the current key still checks out.
    let check = format!(
        "/wxa/checksession?access_token={token}&openid={openid}&signature={}&sig_method=hmac_sha256",
        session_signature(&key)
    );
    assert_eq!(errcode(&s.get_json(&check).await.1), 0);
}

#[tokio::test]
async fn stable_token_calls_per_app_per_minute() {
    let s = TestServer::spawn_with(Config {
        stable_token_per_minute: 3,
        ..test_config()
    })
    .await;
    let (a, b) = (s.app().await, s.app().await);
    align_to_minute(&s).await;
    let call = |app: &yundong_proto::admin::AppCreated| json!({"grant_type": "client_credential", "appid": app.appid, "secret": app.secret});
    for _ in 0..3 {
        assert_eq!(
            errcode(&s.post_json("/cgi-bin/stable_token", None, &call(&a)).await.1),
            0
        );
    }
    assert_eq!(
        errcode(&s.post_json("/cgi-bin/stable_token", None, &call(&a)).await.1),
        45011
    );
    assert_eq!(
        errcode(&s.post_json("/cgi-bin/stable_token", None, &call(&b)).await.1),
        0,
        "per app"
    );
}
