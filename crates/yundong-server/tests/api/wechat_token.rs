//! `/cgi-bin/token` and `/cgi-bin/stable_token`: supersede with overlap, expiry, stable-token rules, isolation of the
//! two families (docs/WECHAT.md §3.3–3.4, docs/DESIGN.md §5.7).

use serde_json::{Value, json};
use yundong_proto::admin::AppCreated;
use yundong_testkit::{TestServer, test_config};

use crate::support::errcode;

/// The errcode a WeChat call authenticated by `token` gets: 40003 means the token was accepted (the openid is bogus).
async fn token_state(s: &TestServer, token: &str) -> i64 {
    let path = format!("/wxa/checksession?access_token={token}&openid=oBOGUS&signature=x&sig_method=hmac_sha256");
    match errcode(&s.get_json(&path).await.1) {
        40003 => 0,
        code => code,
    }
}

async fn stable(s: &TestServer, app: &AppCreated, force: bool) -> Value {
    let body =
        json!({"grant_type": "client_credential", "appid": app.appid, "secret": app.secret, "force_refresh": force});
    s.post_json("/cgi-bin/stable_token", None, &body).await.1
}

#[tokio::test]
async fn token_supersedes_with_a_five_minute_overlap_then_expires() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let path = format!(
        "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        app.appid, app.secret
    );
    let (status, v) = s.get_json(&path).await;
    assert_eq!(status, 200);
    assert_eq!(v["expires_in"], json!(7200), "expires_in is a JSON number");
    assert!(v.get("errcode").is_none());
    let t1 = v["access_token"].as_str().unwrap().to_owned();
    assert_eq!(token_state(&s, &t1).await, 0, "a fresh token is never 40001/42001");
    let t2 = s.access_token(&app).await;
    assert_ne!(t1, t2);
    s.advance(290).await;
    assert_eq!(token_state(&s, &t1).await, 0, "old token works during the overlap");
    s.advance(11).await;
    assert_eq!(token_state(&s, &t1).await, 40001, "superseded after 5 minutes");
    assert_eq!(token_state(&s, &t2).await, 0);
    s.advance(7200 - 300).await;
    assert_eq!(token_state(&s, &t2).await, 42001, "expired on its own");
    assert_eq!(token_state(&s, "86_not_a_token").await, 40001);
    let (_, v) = s.get_json("/wxa/checksession?openid=o").await;
    assert_eq!(errcode(&v), 41001);
}

#[tokio::test]
async fn token_reads_the_query_only_and_checks_credentials() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let body = json!({"grant_type": "client_credential", "appid": app.appid, "secret": app.secret});
    let (_, v) = s.post_json("/cgi-bin/token", None, &body).await;
    assert_eq!(errcode(&v), 41002, "parameters in a JSON body are missing: {v}");
    let cases = [
        ("grant_type=client_credential&secret=x".to_owned(), 41002),
        (format!("grant_type=client_credential&appid={}", app.appid), 41004),
        (
            format!("grant_type=nope&appid={}&secret={}", app.appid, app.secret),
            40002,
        ),
        (format!("appid={}&secret={}", app.appid, app.secret), 40002),
        (
            "grant_type=client_credential&appid=wx0000000000000000&secret=x".to_owned(),
            40013,
        ),
        (
            format!("grant_type=client_credential&appid={}&secret=0", app.appid),
            40125,
        ),
    ];
    for (q, code) in cases {
        let (status, v) = s.get_json(&format!("/cgi-bin/token?{q}")).await;
        assert_eq!((status, errcode(&v)), (200, code), "{q}: {v}");
    }
}

#[tokio::test]
async fn token_daily_quota_answers_45009() {
    let s = TestServer::spawn_with(yundong_server::Config {
        token_daily_quota: 3,
        ..test_config()
    })
    .await;
    let app = s.app().await;
    for _ in 0..3 {
        s.access_token(&app).await;
    }
    let path = format!(
        "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        app.appid, app.secret
    );
    assert_eq!(errcode(&s.get_json(&path).await.1), 45009);
}

#[tokio::test]
async fn stable_token_is_the_same_while_valid_and_rotates_five_minutes_early() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let first = stable(&s, &app, false).await;
    let t1 = first["access_token"].as_str().unwrap().to_owned();
    assert_eq!(first["expires_in"], 7200);
    s.advance(100).await;
    let again = stable(&s, &app, false).await;
    assert_eq!(again["access_token"], t1.as_str());
    let left = again["expires_in"].as_i64().unwrap();
    assert!((7090..=7100).contains(&left), "remaining life, got {left}");
    s.advance(7200 - 100 - 295).await;
    let rotated = stable(&s, &app, false).await;
    let t2 = rotated["access_token"].as_str().unwrap().to_owned();
    assert_ne!(t1, t2, "rotated 5 minutes before expiry");
    assert_eq!(
        token_state(&s, &t1).await,
        0,
        "the old stable token runs out on its own"
    );
    s.advance(300).await;
    assert_eq!(token_state(&s, &t1).await, 42001);
    assert_eq!(token_state(&s, &t2).await, 0);
}

#[tokio::test]
async fn force_refresh_invalidates_at_once_and_is_limited() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let t1 = stable(&s, &app, false).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let forced = stable(&s, &app, true).await;
    let t2 = forced["access_token"].as_str().unwrap().to_owned();
    assert_ne!(t1, t2);
    assert_eq!(token_state(&s, &t1).await, 40001);
    assert_eq!(token_state(&s, &t2).await, 0);
    // Normal mode now returns the forced token.
    assert_eq!(stable(&s, &app, false).await["access_token"], t2.as_str());
    // Within 30 seconds a forced call does not refresh: it is answered as normal mode would (WeChat's docs).
    let too_soon = stable(&s, &app, true).await;
    assert_eq!(too_soon["access_token"], t2.as_str(), "{too_soon}");
    assert_eq!(token_state(&s, &t2).await, 0, "a force within 30 s changes nothing");
    // 20 a day (the first force above counts).
    for i in 1..20 {
        s.advance(30).await;
        let v = stable(&s, &app, true).await;
        assert_eq!(errcode(&v), 0, "force {i}: {v}");
    }
    s.advance(30).await;
    assert_eq!(errcode(&stable(&s, &app, true).await), 45009);
}

#[tokio::test]
async fn the_two_families_never_invalidate_each_other() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let st = stable(&s, &app, false).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let normal = s.access_token(&app).await;
    s.advance(301).await;
    s.access_token(&app).await;
    s.access_token(&app).await;
    assert_eq!(
        token_state(&s, &st).await,
        0,
        "issuing normal tokens leaves the stable token alone"
    );
    s.advance(31).await;
    let forced = stable(&s, &app, true).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let n2 = s.access_token(&app).await;
    let _ = stable(&s, &app, false).await;
    s.advance(300).await;
    assert_eq!(token_state(&s, &forced).await, 0);
    assert_eq!(token_state(&s, &n2).await, 0);
    assert_eq!(
        token_state(&s, &normal).await,
        40001,
        "superseded by the normal family only"
    );
}

#[tokio::test]
async fn stable_token_wants_post_with_a_json_body() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let (status, v) = s.get_json(&format!("/cgi-bin/stable_token?appid={}", app.appid)).await;
    assert_eq!((status, errcode(&v)), (200, 43002));
    let (_, v) = s.post_raw("/cgi-bin/stable_token", None, Vec::new()).await;
    assert_eq!(errcode(&v), 44002);
    let body = json!({"grant_type": "client_credential", "appid": app.appid, "secret": app.secret, "force_refresh": 3});
    assert_eq!(
        errcode(&s.post_json("/cgi-bin/stable_token", None, &body).await.1),
        40097
    );
    let body = json!({"grant_type": "client_credential", "appid": app.appid, "secret": "bad"});
    assert_eq!(
        errcode(&s.post_json("/cgi-bin/stable_token", None, &body).await.1),
        40125
    );
}

#[tokio::test]
async fn tokens_of_one_app_cannot_reach_another_apps_users() {
    let s = TestServer::spawn().await;
    let (a, b) = (s.app().await, s.app().await);
    let user = s.user("u").await;
    let (openid_a, key) = s.session(&a, &user).await;
    let sig = yundong_proto::crypto::session_signature(&key);
    let token_b = s.access_token(&b).await;
    let path =
        format!("/wxa/checksession?access_token={token_b}&openid={openid_a}&signature={sig}&sig_method=hmac_sha256");
    assert_eq!(errcode(&s.get_json(&path).await.1), 40003);
}
