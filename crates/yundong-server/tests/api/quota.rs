//! `/cgi-bin/clear_quota`, `/cgi-bin/clear_quota/v2` and `/cgi-bin/openapi/quota/get` (docs/WECHAT.md §11).

use serde_json::{Value, json};
use yundong_proto::errcode::ErrCode;
use yundong_testkit::{TestServer, test_config};

use crate::support::errcode;

async fn quota(s: &TestServer, token: &str, cgi_path: &str) -> Value {
    s.post_json(
        &format!("/cgi-bin/openapi/quota/get?access_token={token}"),
        None,
        &json!({"cgi_path": cgi_path}),
    )
    .await
    .1
}

fn code(e: ErrCode) -> i64 {
    i64::from(e.code())
}

#[tokio::test]
async fn quota_get_counts_token_calls_and_clear_quota_resets_them() {
    let s = TestServer::spawn_with(yundong_server::Config {
        token_daily_quota: 3,
        ..test_config()
    })
    .await;
    let app = s.app().await;
    let other = s.app().await;
    let _ = s.access_token(&app).await;
    let token = s.access_token(&app).await;
    let v = quota(&s, &token, "/cgi-bin/token").await;
    assert_eq!(
        v,
        json!({"errcode": 0, "errmsg": "ok", "quota": {"daily_limit": 3, "used": 2, "remain": 1}})
    );
    let v = quota(&s, &token, "/cgi-bin/stable_token").await;
    assert_eq!(v["quota"], json!({"daily_limit": 0, "used": 0, "remain": 0}));
    assert_eq!(v["rate_limit"], json!({"call_count": 10_000, "refresh_second": 60}));
    assert_eq!(quota(&s, &token, "/wxa/checksession").await["quota"]["daily_limit"], 0);
    let token = s.access_token(&app).await;
    let path = format!(
        "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        app.appid, app.secret
    );
    assert_eq!(errcode(&s.get_json(&path).await.1), 45009);
    assert_eq!(quota(&s, &token, "/cgi-bin/token").await["quota"]["remain"], 0);
    // Clearing needs the token's own appid.
    let clear = format!("/cgi-bin/clear_quota?access_token={token}");
    let v = s.post_json(&clear, None, &json!({"appid": other.appid})).await.1;
    assert_eq!(errcode(&v), code(ErrCode::InvalidAppid));
    let v = s.post_json(&clear, None, &json!({})).await.1;
    assert_eq!(errcode(&v), code(ErrCode::AppidMissing));
    let v = s.post_json(&clear, None, &json!({"appid": app.appid})).await.1;
    assert_eq!(v, json!({"errcode": 0, "errmsg": "ok"}));
    assert_eq!(quota(&s, &token, "/cgi-bin/token").await["quota"]["used"], 0);
    assert_eq!(
        errcode(&s.get_json(&path).await.1),
        0,
        "a cleared quota admits calls again"
    );
    // Only the app's counters were cleared: the other app is untouched, and GET is refused.
    assert_eq!(errcode(&s.get_json(&clear).await.1), code(ErrCode::RequirePost));
}

#[tokio::test]
async fn ten_clears_a_month_across_both_versions() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let token = s.access_token(&app).await;
    let v2 = format!("/cgi-bin/clear_quota/v2?appid={}&appsecret={}", app.appid, app.secret);
    // Checks of v2, in order.
    for (q, e) in [
        ("appsecret=x".to_owned(), ErrCode::AppidMissing),
        ("appid=wx0000000000000000&appsecret=x".to_owned(), ErrCode::InvalidAppid),
        (format!("appid={}", app.appid), ErrCode::AppsecretMissing),
        (format!("appid={}&appsecret=0", app.appid), ErrCode::InvalidAppsecret),
    ] {
        let v = s
            .post_raw(&format!("/cgi-bin/clear_quota/v2?{q}"), None, Vec::new())
            .await
            .1;
        assert_eq!(errcode(&v), code(e), "{q}: {v}");
    }
    // The newer page lists appid/appsecret as body fields: a JSON body is read when the query lacks them.
    let body = json!({"appid": app.appid, "appsecret": app.secret});
    assert_eq!(errcode(&s.post_json("/cgi-bin/clear_quota/v2", None, &body).await.1), 0);
    for i in 1..10 {
        let v = if i % 2 == 0 {
            s.post_raw(&v2, None, Vec::new()).await.1
        } else {
            s.post_json(
                &format!("/cgi-bin/clear_quota?access_token={token}"),
                None,
                &json!({"appid": app.appid}),
            )
            .await
            .1
        };
        assert_eq!(errcode(&v), 0, "clear {i}: {v}");
    }
    let v = s.post_raw(&v2, None, Vec::new()).await.1;
    assert_eq!(errcode(&v), code(ErrCode::ClearQuotaLimit), "{v}");
    // A new month brings 10 more (the test clock starts at the real time; 32 days is always a new month).
    s.advance(32 * 86_400).await;
    assert_eq!(errcode(&s.post_raw(&v2, None, Vec::new()).await.1), 0);
}
