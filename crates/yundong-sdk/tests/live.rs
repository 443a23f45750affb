//! The SDK against a real yundong server (yundong-testkit: real HTTP on 127.0.0.1:0, a fresh SQLite file), plus
//! wiremock for the answers the server cannot give on demand (`mock`). One test binary, several modules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "live/mock.rs"]
mod mock;
#[path = "live/support.rs"]
mod support;

use std::sync::Arc;

use support::Recorder;
use yundong_proto::admin::{AppCreated, UserCreated};
use yundong_proto::day::DayZone;
use yundong_sdk::{
    ApiCode, Client, DecryptError, Decryptor, ErrCode, Error, MemoryTokenStore, OpenDataContent, OpenDataError,
    TokenKind,
};
use yundong_testkit::TestServer;

fn client(server: &TestServer, app: &AppCreated, recorder: &Arc<Recorder>) -> Client {
    Client::builder(&app.appid, &app.secret)
        .base_url(&server.base)
        .shared_transport(recorder.clone())
        .build()
        .unwrap()
}

fn client_with(server: &TestServer, app: &AppCreated, recorder: &Arc<Recorder>, kind: TokenKind) -> Client {
    Client::builder(&app.appid, &app.secret)
        .base_url(&server.base)
        .shared_transport(recorder.clone())
        .token_kind(kind)
        .build()
        .unwrap()
}

/// A server with one app and one user logged in through the SDK: `(server, app, user, client, recorder, openid,
/// session_key)`.
struct World {
    server: TestServer,
    app: AppCreated,
    user: UserCreated,
    client: Client,
    recorder: Arc<Recorder>,
    openid: String,
    session_key: String,
}

async fn world() -> World {
    let server = TestServer::spawn().await;
    // A device app, so that setstep is allowed for the user, who bound its wristband.
    let app = server.device_app("test app").await;
    let user = server.user("小明").await;
    server.bind_device(&user, &app).await;
    let recorder = Recorder::new();
    let client = client(&server, &app, &recorder);
    let code = server.login_code(&user.token, &app.appid).await;
    let session = client.code2session(&code).await.unwrap();
    World {
        openid: session.openid,
        session_key: session.session_key,
        server,
        app,
        user,
        client,
        recorder,
    }
}

/// `wx.getWeRunData` as the user: `(encryptedData, iv, cloudID)`.
async fn werun(w: &World) -> (String, String, String) {
    let v = w.server.werun(&w.user.token, &w.app.appid).await;
    assert_eq!(v["errMsg"], "getWeRunData:ok", "{v}");
    let s = |k: &str| v[k].as_str().unwrap().to_owned();
    (s("encryptedData"), s("iv"), s("cloudID"))
}

fn now() -> i64 {
    yundong_sdk::Clock::now(&yundong_sdk::SystemClock)
}

#[tokio::test]
async fn code2session_fetches_no_token_and_its_errors_are_typed() {
    let w = world().await;
    assert!(yundong_proto::ids::is_openid(&w.openid));
    assert_eq!(w.session_key.len(), 24);
    assert_eq!(w.recorder.count("/sns/jscode2session"), 1);
    assert_eq!(w.recorder.token_requests(), 0, "code2session must not fetch a token");

    // 40163: the same code twice.
    let code = w.server.login_code(&w.user.token, &w.app.appid).await;
    w.client.code2session(&code).await.unwrap();
    let e = w.client.code2session(&code).await.unwrap_err();
    assert!(e.is(ErrCode::CodeBeenUsed), "{e}");
    assert!(
        matches!(&e, Error::Api { code: ApiCode::Known(ErrCode::CodeBeenUsed), errmsg } if errmsg.contains("rid: "))
    );
    // 40029: a code that never was.
    let e = w.client.code2session("no-such-code").await.unwrap_err();
    assert_eq!(e.api_code(), Some(ApiCode::Known(ErrCode::InvalidCode)));
    // 40125: the wrong secret.
    let wrong = Client::builder(&w.app.appid, "0".repeat(32))
        .base_url(&w.server.base)
        .build()
        .unwrap();
    let code = w.server.login_code(&w.user.token, &w.app.appid).await;
    let e = wrong.code2session(&code).await.unwrap_err();
    assert_eq!(e.errcode(), Some(40125));
    assert!(e.is(ErrCode::InvalidAppsecret));
    // None of these were retried.
    assert_eq!(w.recorder.count("/sns/jscode2session"), 4);
}

#[tokio::test]
async fn real_getwerundata_decrypts_to_31_days() {
    let w = world().await;
    w.server.steps(&w.user.token, 12_345, None).await;
    let (data, iv, _) = werun(&w).await;
    let steps = w.client.decrypt_werun(&w.session_key, &iv, &data).unwrap();
    assert_eq!(steps.step_info_list.len(), 31);
    assert_eq!(steps.watermark.appid, w.app.appid);
    assert!((steps.watermark.timestamp - now()).abs() < 60);
    let window = DayZone::CHINA.window(now());
    let days: Vec<i64> = steps.step_info_list.iter().map(|s| s.timestamp).collect();
    assert_eq!(days, window.to_vec(), "31 UTC+8 midnights, ascending, ending today");
    assert_eq!(steps.today(), Some(12_345));
    assert_eq!(steps.last_n_days(7).len(), 7);
    assert_eq!(steps.total_last_n_days(31), 12_345);

    // The watermark is checked: another app's decryptor refuses the data.
    let other = Decryptor::new("wx0000000000000000");
    assert!(matches!(
        other.decrypt_werun(&w.session_key, &iv, &data),
        Err(OpenDataError::AppIdMismatch { .. })
    ));
    // An iv mangled in transit ('+' → ' ') still works.
    let mangled = iv.replace('+', " ");
    assert!(w.client.decrypt_werun(&w.session_key, &mangled, &data).is_ok());
    // A wrong-length iv is named as such.
    assert!(matches!(
        w.client.decrypt_werun(&w.session_key, "AAAA", &data),
        Err(Error::OpenData(OpenDataError::Decrypt(DecryptError::BadIvLength(3))))
    ));
}

#[tokio::test]
async fn a_stale_session_key_is_diagnosed_through_checksession() {
    let w = world().await;
    let (_, iv1, _) = werun(&w).await;
    // The mini program logs in again: code2session rotates the key, and new data is encrypted under it, while
    // this back end still holds the old key.
    let code = w.server.login_code(&w.user.token, &w.app.appid).await;
    let fresh = w.client.code2session(&code).await.unwrap();
    assert_ne!(fresh.session_key, w.session_key);
    let (data2, iv2, _) = werun(&w).await;
    let e = w
        .client
        .decrypt_werun_for(&w.openid, &w.session_key, &iv2, &data2)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::StaleSessionKey { .. }), "{e}");
    // With the current key but another call's iv, the key is fine: the decryption error stands.
    let e = w
        .client
        .decrypt_werun_for(&w.openid, &fresh.session_key, &iv1, &data2)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::OpenData(_)), "{e}");
    let ok = w
        .client
        .decrypt_werun_for(&w.openid, &fresh.session_key, &iv2, &data2)
        .await
        .unwrap();
    assert_eq!(ok.step_info_list.len(), 31);
}

#[tokio::test]
async fn twenty_concurrent_callers_make_one_token_request() {
    let w = world().await;
    let normal = client_with(&w.server, &w.app, &w.recorder, TokenKind::Normal);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let c = normal.clone();
            tokio::spawn(async move { c.access_token().await })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap().unwrap());
    }
    // Every /cgi-bin/token call issues a new token: one token for all means one call.
    assert!(tokens.iter().all(|t| *t == tokens[0]), "callers got different tokens");
    assert_eq!(w.recorder.count("/cgi-bin/token"), 1);
    // It is cached, and it works.
    assert_eq!(normal.access_token().await.unwrap(), tokens[0]);
    normal.check_session(&w.openid, &w.session_key).await.unwrap();
    assert_eq!(w.recorder.count("/cgi-bin/token"), 1);

    // The same through 20 calls that need a token, on a fresh client.
    let recorder = Recorder::new();
    let fresh = client_with(&w.server, &w.app, &recorder, TokenKind::Normal);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let c = fresh.clone();
            let (openid, key) = (w.openid.clone(), w.session_key.clone());
            tokio::spawn(async move { c.check_session(&openid, &key).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(recorder.count("/cgi-bin/token"), 1);
    assert_eq!(recorder.count("/wxa/checksession"), 20);
}

#[tokio::test]
async fn stable_token_is_the_default_and_survives_a_forced_refresh_elsewhere() {
    let w = world().await;
    assert_eq!(w.client.token_kind(), TokenKind::Stable);
    let t1 = w.client.access_token().await.unwrap();
    assert_eq!(w.recorder.count("/cgi-bin/stable_token"), 1);
    assert_eq!(w.recorder.count("/cgi-bin/token"), 0);
    // Another process (its own store) gets the same stable token.
    let other_recorder = Recorder::new();
    let other = client(&w.server, &w.app, &other_recorder);
    assert_eq!(other.access_token().await.unwrap(), t1);
    // It forces a refresh: t1 dies at once.
    let t2 = other.force_refresh().await.unwrap();
    assert_ne!(t1, t2);
    // Our cached t1 now answers 40001: expired compare-then-expire, refreshed, retried once, fine.
    w.client.set_step(&w.openid, now(), 1_000).await.unwrap();
    assert_eq!(w.client.access_token().await.unwrap(), t2);
    assert_eq!(w.recorder.count("/cgi-bin/stable_token"), 2);
    assert_eq!(w.recorder.count("/hardware/bracelet/setstep"), 2);
    // A second forced refresh within 30 s does not refresh (WeChat's documentation): the current token comes back.
    assert_eq!(other.force_refresh().await.unwrap(), t2);
    assert_eq!(other_recorder.count("/cgi-bin/stable_token"), 3);
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once() {
    let w = world().await;
    let normal = client_with(&w.server, &w.app, &w.recorder, TokenKind::Normal);
    let t1 = normal.access_token().await.unwrap();
    // The server's clock passes the token's 7200 s; the SDK's does not know.
    w.server.advance(7_300).await;
    normal.check_session(&w.openid, &w.session_key).await.unwrap();
    let t2 = normal.access_token().await.unwrap();
    assert_ne!(t1, t2);
    assert_eq!(w.recorder.count("/cgi-bin/token"), 2);
    assert_eq!(w.recorder.count("/wxa/checksession"), 2);
}

#[tokio::test]
async fn clients_sharing_a_store_share_the_token() {
    let w = world().await;
    let store = Arc::new(MemoryTokenStore::new());
    let (ra, rb) = (Recorder::new(), Recorder::new());
    let build = |r: &Arc<Recorder>| {
        Client::builder(&w.app.appid, &w.app.secret)
            .base_url(&w.server.base)
            .shared_transport(r.clone())
            .token_store(store.clone())
            .token_kind(TokenKind::Normal)
            .build()
            .unwrap()
    };
    let (a, b) = (build(&ra), build(&rb));
    let t = a.access_token().await.unwrap();
    assert_eq!(b.access_token().await.unwrap(), t);
    b.check_session(&w.openid, &w.session_key).await.unwrap();
    assert_eq!((ra.token_requests(), rb.token_requests()), (1, 0));
}

#[tokio::test]
async fn checksession_and_reset() {
    let w = world().await;
    w.client.check_session(&w.openid, &w.session_key).await.unwrap();
    let reset = w.client.reset_session_key(&w.openid, &w.session_key).await.unwrap();
    assert_eq!(reset.openid, w.openid);
    assert_ne!(reset.session_key, w.session_key);
    // The old key is dead, the new one lives.
    let e = w.client.check_session(&w.openid, &w.session_key).await.unwrap_err();
    assert!(e.is_invalid_signature() && e.is(ErrCode::InvalidSignature), "{e}");
    w.client.check_session(&w.openid, &reset.session_key).await.unwrap();
    let e = w.client.reset_session_key(&w.openid, &w.session_key).await.unwrap_err();
    assert_eq!(e.errcode(), Some(87009));
    // An openid of nobody: 40003.
    let e = w
        .client
        .check_session("oNobodyNobodyNobodyNobody000", &reset.session_key)
        .await
        .unwrap_err();
    assert!(e.is(ErrCode::InvalidOpenid), "{e}");
    // Data encrypted now decrypts with the new key.
    let (data, iv, _) = werun(&w).await;
    assert!(w.client.decrypt_werun(&reset.session_key, &iv, &data).is_ok());
    assert_eq!(w.recorder.token_requests(), 1);
}

#[tokio::test]
async fn setstep_reads_back_through_getwerundata() {
    let w = world().await;
    w.server.steps(&w.user.token, 1_000, None).await;
    w.client.set_step(&w.openid, now(), 23_456).await.unwrap();
    // Yesterday, from the same device.
    w.client.set_step(&w.openid, now() - 86_400, 7_777).await.unwrap();
    let (data, iv, _) = werun(&w).await;
    let steps = w.client.decrypt_werun(&w.session_key, &iv, &data).unwrap();
    assert_eq!(steps.today(), Some(23_456), "the day's total is the highest source");
    let week = steps.last_n_days(2);
    assert_eq!((week[0].step, week[1].step), (7_777, 23_456));
    // A later report for the same day replaces the device's total.
    w.client.set_step(&w.openid, now(), 23_000).await.unwrap();
    let (data, iv, _) = werun(&w).await;
    assert_eq!(
        w.client.decrypt_werun(&w.session_key, &iv, &data).unwrap().today(),
        Some(23_000)
    );
    // The future is refused with a typed error; so is a stranger's openid.
    let e = w.client.set_step(&w.openid, now() + 86_400, 1).await.unwrap_err();
    assert!(e.is(ErrCode::InvalidArgs), "{e}");
    let e = w
        .client
        .set_step("oNobodyNobodyNobodyNobody000", now(), 1)
        .await
        .unwrap_err();
    assert!(e.is(ErrCode::InvalidOpenid), "{e}");
}

#[tokio::test]
async fn getopendata_through_the_cloud_id() {
    let w = world().await;
    w.server.steps(&w.user.token, 4_321, None).await;
    let (data, iv, cloud_id) = werun(&w).await;
    let decrypted = w.client.decrypt_werun(&w.session_key, &iv, &data).unwrap();
    let via_cloud = w.client.werun_by_cloud_id(&cloud_id).await.unwrap();
    assert_eq!(via_cloud, decrypted);
    assert_eq!(via_cloud.step_info_list.len(), 31);
    assert_eq!(via_cloud.today(), Some(4_321));

    let entries = w
        .client
        .get_open_data(&[cloud_id.as_str(), "no-such-cloud-id"])
        .await
        .unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].cloud_id, cloud_id);
    assert!(matches!(entries[0].content, OpenDataContent::Data(_)));
    assert!(matches!(
        entries[1].content,
        OpenDataContent::Error {
            err_code: yundong_proto::wechat::CLOUD_ID_INVALID,
            ..
        }
    ));
    // After 5 minutes the cloudID is expired.
    w.server.advance(301).await;
    let e = w.client.werun_by_cloud_id(&cloud_id).await.unwrap_err();
    assert!(
        matches!(
            &e,
            Error::CloudId {
                err_code: yundong_proto::wechat::CLOUD_ID_EXPIRED,
                ..
            }
        ),
        "{e}"
    );
    // Another app cannot exchange this app's cloudID.
    let other = w.server.app().await;
    let other_client = client(&w.server, &other, &w.recorder);
    let (_, _, cloud_id) = werun(&w).await;
    let e = other_client.werun_by_cloud_id(&cloud_id).await.unwrap_err();
    assert!(matches!(
        e,
        Error::CloudId {
            err_code: yundong_proto::wechat::CLOUD_ID_INVALID,
            ..
        }
    ));
}

#[tokio::test]
async fn no_request_leaves_the_base_url() {
    let w = world().await;
    let (data, iv, cloud_id) = werun(&w).await;
    w.client.decrypt_werun(&w.session_key, &iv, &data).unwrap();
    w.client.check_session(&w.openid, &w.session_key).await.unwrap();
    w.client.set_step(&w.openid, now(), 10).await.unwrap();
    w.client.werun_by_cloud_id(&cloud_id).await.unwrap();
    let reset = w.client.reset_session_key(&w.openid, &w.session_key).await.unwrap();
    w.client.check_session(&w.openid, &reset.session_key).await.unwrap();
    let normal = client_with(&w.server, &w.app, &w.recorder, TokenKind::Normal);
    normal.access_token().await.unwrap();
    w.client.force_refresh().await.unwrap();
    // Any other API through the same plumbing.
    let signature = yundong_proto::crypto::session_signature(&reset.session_key);
    let ok: serde_json::Value = w
        .client
        .call(
            "/wxa/checksession",
            &[
                ("openid", &w.openid),
                ("signature", &signature),
                ("sig_method", "hmac_sha256"),
            ],
            None,
        )
        .await
        .unwrap();
    assert_eq!(ok["errcode"], 0);

    let requests = w.recorder.requests();
    assert!(requests.len() >= 10, "{requests:?}");
    let prefix = format!("{}/", w.server.base);
    for r in &requests {
        assert!(r.url.starts_with(&prefix), "{} left {}", r.url, w.server.base);
        assert!(!r.url[prefix.len()..].contains("://"), "{}", r.url);
    }
    for path in [
        "/sns/jscode2session",
        "/cgi-bin/stable_token",
        "/cgi-bin/token",
        "/wxa/checksession",
        "/wxa/resetusersessionkey",
        "/hardware/bracelet/setstep",
        "/wxa/getopendata",
    ] {
        assert!(w.recorder.count(path) > 0, "{path} was not exercised");
    }
    // A path that would leave the base URL is refused before any request.
    let before = w.recorder.requests().len();
    let e = w
        .client
        .call::<serde_json::Value>("https://example.invalid/x", &[], None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)));
    assert_eq!(w.recorder.requests().len(), before);
}

/// The only absolute URL in the SDK's source is the default base URL.
#[test]
fn the_source_holds_one_absolute_url() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines().take_while(|l| l.trim() != "#[cfg(test)]") {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue; // docs show base URLs as examples
            }
            let mut rest = code;
            while let Some(i) = rest.find("://") {
                let after = &rest[i + 3..];
                if after.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                    found.push(format!("{}: {}", path.display(), line.trim()));
                }
                rest = after;
            }
        }
    }
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("DEFAULT_BASE_URL"), "{found:#?}");
}
