//! Answers a real server does not give on demand, from wiremock: `-1` busy, 42001 on a token the SDK thinks is
//! fresh, quotas, a token refreshed by another process, a store lock held elsewhere, HTTP 5xx.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};
use yundong_sdk::http::BoxFuture;
use yundong_sdk::{
    CachedToken, Client, ErrCode, Error, MemoryTokenStore, OpenDataContent, RetryPolicy, TokenKind, TokenStore,
    TokenStoreError,
};

use crate::support::TestClock;

const APPID: &str = "wx0123456789abcdef";
const OPENID: &str = "oAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const KEY: &str = "HyVFkGl5F5OQWJZZaNzBBg==";

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    }
}

fn client(server: &MockServer) -> Client {
    Client::builder(APPID, "secret")
        .base_url(server.uri())
        .retry(fast_retry())
        .build()
        .unwrap()
}

fn wx_error(code: i32, msg: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"errcode": code, "errmsg": format!("{msg}, rid: 0-0-0")}))
}

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"errcode": 0, "errmsg": "ok"}))
}

/// Hands out `T1`, `T2`, … on each call.
struct TokenSequence(AtomicUsize);

impl Respond for TokenSequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(json!({"access_token": format!("T{n}"), "expires_in": 7200}))
    }
}

async fn mount_tokens(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .respond_with(TokenSequence(AtomicUsize::new(0)))
        .mount(server)
        .await;
}

async fn count(server: &MockServer, p: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == p)
        .count()
}

#[tokio::test]
async fn busy_is_retried_with_a_bound() {
    let server = MockServer::start().await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(wx_error(-1, "system error"))
        .mount(&server)
        .await;
    let e = client(&server).code2session("code").await.unwrap_err();
    assert!(e.is_system_error(), "{e}");
    assert_eq!(count(&server, "/sns/jscode2session").await, 3, "1 try + 2 retries");

    let none = Client::builder(APPID, "secret")
        .base_url(server.uri())
        .retry(RetryPolicy::NONE)
        .build()
        .unwrap();
    assert!(none.code2session("code").await.unwrap_err().is_system_error());
    assert_eq!(count(&server, "/sns/jscode2session").await, 4);
}

#[tokio::test]
async fn busy_then_fine() {
    let server = MockServer::start().await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(wx_error(-1, "system error"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"openid": OPENID, "session_key": KEY})))
        .mount(&server)
        .await;
    let s = client(&server).code2session("code").await.unwrap();
    assert_eq!(
        (s.openid.as_str(), s.session_key.as_str(), s.unionid),
        (OPENID, KEY, None)
    );
    assert_eq!(count(&server, "/sns/jscode2session").await, 3);
}

#[tokio::test]
async fn busy_token_endpoint_is_retried_too() {
    let server = MockServer::start().await;
    Mock::given(path("/cgi-bin/stable_token"))
        .respond_with(wx_error(-1, "system error"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_tokens(&server).await;
    assert_eq!(client(&server).access_token().await.unwrap(), "T1");
    assert_eq!(count(&server, "/cgi-bin/stable_token").await, 2);
}

#[tokio::test]
async fn token_expired_42001_is_refreshed_and_retried_once() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(path("/wxa/checksession"))
        .and(query_param("access_token", "T1"))
        .respond_with(wx_error(42001, "access_token expired"))
        .mount(&server)
        .await;
    Mock::given(path("/wxa/checksession"))
        .and(query_param("access_token", "T2"))
        .respond_with(ok())
        .mount(&server)
        .await;
    let c = client(&server);
    c.check_session(OPENID, KEY).await.unwrap();
    assert_eq!(count(&server, "/cgi-bin/stable_token").await, 2);
    assert_eq!(count(&server, "/wxa/checksession").await, 2);
    assert_eq!(c.access_token().await.unwrap(), "T2");
}

#[tokio::test]
async fn a_token_refused_twice_is_not_a_loop() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(path("/wxa/checksession"))
        .respond_with(wx_error(42001, "access_token expired"))
        .mount(&server)
        .await;
    let e = client(&server).check_session(OPENID, KEY).await.unwrap_err();
    assert!(e.is_token_rejected() && e.is(ErrCode::AccessTokenExpired), "{e}");
    assert_eq!(count(&server, "/cgi-bin/stable_token").await, 2);
    assert_eq!(count(&server, "/wxa/checksession").await, 2);
}

#[tokio::test]
async fn a_server_handing_back_the_refused_token_gets_no_retry() {
    let server = MockServer::start().await;
    Mock::given(path("/cgi-bin/stable_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "SAME", "expires_in": 7200})))
        .mount(&server)
        .await;
    Mock::given(path("/wxa/checksession"))
        .respond_with(wx_error(40001, "invalid credential"))
        .mount(&server)
        .await;
    let e = client(&server).check_session(OPENID, KEY).await.unwrap_err();
    assert!(e.is(ErrCode::InvalidCredential), "{e}");
    assert_eq!(count(&server, "/wxa/checksession").await, 1);
}

#[tokio::test]
async fn quotas_are_never_retried() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(path("/hardware/bracelet/setstep"))
        .respond_with(wx_error(45009, "reach max api daily quota limit"))
        .mount(&server)
        .await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(wx_error(
            45011,
            "api minute-quota reach limit mustslower retry next minute",
        ))
        .mount(&server)
        .await;
    let c = client(&server);
    let e = c.set_step(OPENID, 1_795_190_400, 10).await.unwrap_err();
    assert!(e.is_rate_limited() && e.is(ErrCode::DailyQuota), "{e}");
    assert_eq!(count(&server, "/hardware/bracelet/setstep").await, 1);
    let e = c.code2session("code").await.unwrap_err();
    assert!(e.is_rate_limited() && e.is(ErrCode::MinuteQuota), "{e}");
    assert_eq!(count(&server, "/sns/jscode2session").await, 1);

    // On the token endpoint too.
    let quota = MockServer::start().await;
    Mock::given(path("/cgi-bin/stable_token"))
        .respond_with(wx_error(45009, "reach max api daily quota limit"))
        .mount(&quota)
        .await;
    let e = client(&quota).access_token().await.unwrap_err();
    assert!(e.is(ErrCode::DailyQuota));
    assert_eq!(count(&quota, "/cgi-bin/stable_token").await, 1);
}

#[tokio::test]
async fn unknown_errcodes_are_kept() {
    let server = MockServer::start().await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(wx_error(61451, "invalid parameter"))
        .mount(&server)
        .await;
    let e = client(&server).code2session("code").await.unwrap_err();
    assert_eq!(e.api_code(), Some(yundong_sdk::ApiCode::Unknown(61451)));
    assert!(e.to_string().contains("61451") && e.to_string().contains("invalid parameter"));
}

#[tokio::test]
async fn bad_gateway_is_retried_for_idempotent_calls() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(path("/hardware/bracelet/setstep"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/hardware/bracelet/setstep"))
        .respond_with(ok())
        .mount(&server)
        .await;
    client(&server).set_step(OPENID, 1, 1).await.unwrap();
    assert_eq!(count(&server, "/hardware/bracelet/setstep").await, 2);
}

/// A store where another process swaps in a new token just after ours was refused.
struct RefreshedElsewhere {
    inner: MemoryTokenStore,
}

impl TokenStore for RefreshedElsewhere {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<CachedToken>, TokenStoreError>> {
        self.inner.load(key)
    }
    fn save<'a>(&'a self, key: &'a str, token: CachedToken) -> BoxFuture<'a, Result<(), TokenStoreError>> {
        self.inner.save(key, token)
    }
    fn expire_if<'a>(&'a self, key: &'a str, stale: &'a str) -> BoxFuture<'a, Result<bool, TokenStoreError>> {
        Box::pin(async move {
            let fresh = CachedToken::new("OTHER".into(), 1_800_000_000, 7200, Duration::from_secs(300));
            self.inner.save(key, fresh).await?;
            self.inner.expire_if(key, stale).await
        })
    }
}

#[tokio::test]
async fn compare_then_expire_keeps_a_token_refreshed_by_another_process() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(path("/wxa/checksession"))
        .and(query_param("access_token", "T1"))
        .respond_with(wx_error(40001, "invalid credential"))
        .mount(&server)
        .await;
    Mock::given(path("/wxa/checksession"))
        .and(query_param("access_token", "OTHER"))
        .respond_with(ok())
        .mount(&server)
        .await;
    let store = Arc::new(RefreshedElsewhere {
        inner: MemoryTokenStore::new(),
    });
    let c = Client::builder(APPID, "secret")
        .base_url(server.uri())
        .clock(|| 1_800_000_100_i64)
        .token_store(store.clone())
        .build()
        .unwrap();
    c.check_session(OPENID, KEY).await.unwrap();
    // T1 fetched once; "OTHER" was used as found, not thrown away and refetched.
    assert_eq!(count(&server, "/cgi-bin/stable_token").await, 1);
    let key = format!("{APPID}:stable");
    assert_eq!(store.load(&key).await.unwrap().unwrap().access_token, "OTHER");
}

/// A shared store whose refresh lock is held by another process, which saves a token a moment later.
struct LockedElsewhere {
    inner: Arc<MemoryTokenStore>,
}

impl TokenStore for LockedElsewhere {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<CachedToken>, TokenStoreError>> {
        self.inner.load(key)
    }
    fn save<'a>(&'a self, key: &'a str, token: CachedToken) -> BoxFuture<'a, Result<(), TokenStoreError>> {
        self.inner.save(key, token)
    }
    fn expire_if<'a>(&'a self, key: &'a str, stale: &'a str) -> BoxFuture<'a, Result<bool, TokenStoreError>> {
        self.inner.expire_if(key, stale)
    }
    fn try_lock_refresh<'a>(&'a self, _: &'a str, _: Duration) -> BoxFuture<'a, Result<bool, TokenStoreError>> {
        Box::pin(async { Ok(false) })
    }
}

#[tokio::test]
async fn a_refresh_locked_by_another_process_is_waited_for() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    let shared = Arc::new(MemoryTokenStore::new());
    let clock = TestClock::at(1_800_000_000);
    let c = Client::builder(APPID, "secret")
        .base_url(server.uri())
        .clock(clock.clone())
        .token_store(Arc::new(LockedElsewhere { inner: shared.clone() }))
        .build()
        .unwrap();
    let writer = shared.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(120)).await;
        let t = CachedToken::new("FROM-OTHER".into(), 1_800_000_000, 7200, Duration::from_secs(300));
        writer.save(&format!("{APPID}:stable"), t).await.unwrap();
    });
    assert_eq!(c.access_token().await.unwrap(), "FROM-OTHER");
    assert_eq!(count(&server, "/cgi-bin/stable_token").await, 0);

    // If the other process never delivers, the wait is bounded and we refresh ourselves.
    let lonely = Client::builder(APPID, "secret")
        .base_url(server.uri())
        .lock_wait(Duration::from_millis(100))
        .token_store(Arc::new(LockedElsewhere {
            inner: Arc::new(MemoryTokenStore::new()),
        }))
        .build()
        .unwrap();
    assert_eq!(lonely.access_token().await.unwrap(), "T1");
}

#[tokio::test]
async fn tokens_are_refreshed_ahead_of_expiry_and_kept_when_refresh_fails() {
    let server = MockServer::start().await;
    Mock::given(path("/cgi-bin/token"))
        .respond_with(TokenSequence(AtomicUsize::new(0)))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/cgi-bin/token"))
        .respond_with(wx_error(45009, "reach max api daily quota limit"))
        .mount(&server)
        .await;
    let t0 = 1_800_000_000;
    let clock = TestClock::at(t0);
    let c = Client::builder(APPID, "secret")
        .base_url(server.uri())
        .token_kind(TokenKind::Normal)
        .clock(clock.clone())
        .build()
        .unwrap();
    assert_eq!(c.access_token().await.unwrap(), "T1");
    clock.set(t0 + 6_899);
    assert_eq!(c.access_token().await.unwrap(), "T1", "fresh until 300 s before expiry");
    clock.set(t0 + 6_900);
    assert_eq!(c.access_token().await.unwrap(), "T2", "refreshed ahead of expiry");
    assert_eq!(count(&server, "/cgi-bin/token").await, 2);
    // T2's refresh fails (45009): the still-valid T2 is kept, and not re-requested on every call.
    clock.set(t0 + 6_900 + 6_900);
    assert_eq!(c.access_token().await.unwrap(), "T2");
    assert_eq!(c.access_token().await.unwrap(), "T2");
    assert_eq!(count(&server, "/cgi-bin/token").await, 3);
    // Once it is about to expire, the failure surfaces.
    clock.set(t0 + 6_900 + 7_190);
    let e = c.access_token().await.unwrap_err();
    assert!(e.is(ErrCode::DailyQuota), "{e}");
}

#[tokio::test]
async fn concurrent_callers_share_one_slow_refresh() {
    let server = MockServer::start().await;
    Mock::given(path("/cgi-bin/stable_token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "SLOW", "expires_in": 7200}))
                .set_delay(Duration::from_millis(200)),
        )
        .mount(&server)
        .await;
    let c = client(&server);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.access_token().await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), "SLOW");
    }
    assert_eq!(count(&server, "/cgi-bin/stable_token").await, 1);
    // The stable-token request is the documented JSON body.
    let req = &server.received_requests().await.unwrap()[0];
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        body,
        json!({"grant_type": "client_credential", "appid": APPID, "secret": "secret", "force_refresh": false})
    );
}

#[tokio::test]
async fn getopendata_json_as_an_object_and_expires_in_missing() {
    let server = MockServer::start().await;
    Mock::given(path("/cgi-bin/stable_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "T"})))
        .mount(&server)
        .await;
    let data = json!({"stepInfoList": [{"timestamp": 1_795_190_400, "step": 5}],
                      "watermark": {"timestamp": 1_795_200_000, "appid": APPID}});
    Mock::given(method("POST"))
        .and(path("/wxa/getopendata"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errcode": 0, "errmsg": "ok",
            "data_list": [
                {"cloud_id": "c1", "json": {"cloudID": "c1", "data": data}},
                {"cloud_id": "c2", "json": "{\"cloudID\":\"c2\",\"errCode\":-601006,\"errMsg\":\"cloudID expired.\"}"},
            ],
        })))
        .mount(&server)
        .await;
    let c = client(&server);
    let entries = c.get_open_data(&["c1", "c2"]).await.unwrap();
    assert_eq!(entries[0].content, OpenDataContent::Data(data));
    assert!(matches!(
        entries[1].content,
        OpenDataContent::Error { err_code: -601006, .. }
    ));
    let steps = c.werun_by_cloud_id("c1").await.unwrap();
    assert_eq!(steps.today(), Some(5));
    assert!(matches!(c.werun_by_cloud_id("c2").await, Err(Error::CloudId { .. })));
    let req = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.url.path() == "/wxa/getopendata")
        .unwrap();
    assert_eq!(req.url.query_pairs().find(|(k, _)| k == "access_token").unwrap().1, "T");
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body, json!({"cloudid_list": ["c1", "c2"]}));
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    // Nothing listens on the discard port of loopback.
    let c = Client::builder(APPID, "secret")
        .base_url("http://127.0.0.1:9")
        .retry(fast_retry())
        .build()
        .unwrap();
    let e = c.code2session("code").await.unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e}");
    assert!(!e.to_string().contains("secret"), "{e}");
}
