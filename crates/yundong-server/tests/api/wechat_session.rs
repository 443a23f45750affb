//! `/wxa/checksession` and `/wxa/resetusersessionkey`, and the session_key's life (docs/WECHAT.md §3.5, docs/DESIGN.md
//! §5.5).

use serde_json::json;
use yundong_proto::crypto::{session_signature, session_signature_raw_key};
use yundong_testkit::TestServer;

use crate::support::{b64, errcode};

fn check_path(token: &str, openid: &str, sig: &str) -> String {
    format!("/wxa/checksession?access_token={token}&openid={openid}&signature={sig}&sig_method=hmac_sha256")
}

#[tokio::test]
async fn checksession_accepts_only_the_current_key() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let user = s.user("u").await;
    let token = s.access_token(&app).await;
    let (openid, key1) = s.session(&app, &user).await;
    let (_, v) = s
        .get_json(&check_path(&token, &openid, &session_signature(&key1)))
        .await;
    assert_eq!(v, json!({"errcode": 0, "errmsg": "ok"}));
    // Keyed with the 16 decoded bytes instead of the base64 text: WeChat answers 87009, and so do we.
    let raw = session_signature_raw_key(&b64(&key1));
    assert_eq!(errcode(&s.get_json(&check_path(&token, &openid, &raw)).await.1), 87009);
    let (_, key2) = s.session(&app, &user).await;
    assert_eq!(
        errcode(
            &s.get_json(&check_path(&token, &openid, &session_signature(&key1)))
                .await
                .1
        ),
        87009
    );
    assert_eq!(
        errcode(
            &s.get_json(&check_path(&token, &openid, &session_signature(&key2)))
                .await
                .1
        ),
        0
    );
    let wrong_method = format!(
        "/wxa/checksession?access_token={token}&openid={openid}&signature={}&sig_method=md5",
        session_signature(&key2)
    );
    assert_eq!(errcode(&s.get_json(&wrong_method).await.1), 87008);
    assert_eq!(errcode(&s.get_json(&check_path(&token, "oNOPE", "x")).await.1), 40003);
    let (_, v) = s
        .get_json(&format!(
            "/wxa/checksession?access_token={token}&signature=x&sig_method=hmac_sha256"
        ))
        .await;
    assert_eq!(errcode(&v), 41009);
    // Parameters are read from the query string only: in a JSON body they are missing.
    let body = json!({"openid": openid, "signature": session_signature(&key2), "sig_method": "hmac_sha256"});
    let (_, v) = s
        .post_json(&format!("/wxa/checksession?access_token={token}"), None, &body)
        .await;
    assert_eq!(errcode(&v), 41009, "{v}");
}

#[tokio::test]
async fn idle_expiry_is_three_days_and_use_extends_it() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let (u, w) = (s.user("u").await, s.user("w").await);
    let (openid_u, key_u) = s.session(&app, &u).await;
    let (openid_w, key_w) = s.session(&app, &w).await;
    s.advance(2 * 86_400).await;
    let token = s.access_token(&app).await;
    // u uses the key (check extends it); w stays idle.
    assert_eq!(
        errcode(
            &s.get_json(&check_path(&token, &openid_u, &session_signature(&key_u)))
                .await
                .1
        ),
        0
    );
    s.advance(86_400 + 1).await;
    let token = s.access_token(&app).await;
    assert_eq!(
        errcode(
            &s.get_json(&check_path(&token, &openid_u, &session_signature(&key_u)))
                .await
                .1
        ),
        0
    );
    assert_eq!(
        errcode(
            &s.get_json(&check_path(&token, &openid_w, &session_signature(&key_w)))
                .await
                .1
        ),
        87009
    );
    // An expired session gives no data either: the user must log in again.
    let v = s.werun(&w.token, &app.appid).await;
    assert_eq!(v["errMsg"], "getWeRunData:fail need login");
}

#[tokio::test]
async fn reset_issues_a_new_key_that_keeps_the_old_expiry() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let user = s.user("u").await;
    let (openid, key1) = s.session(&app, &user).await;
    s.advance(2 * 86_400).await;
    let token = s.access_token(&app).await;
    let path = format!(
        "/wxa/resetusersessionkey?access_token={token}&openid={openid}&signature={}&sig_method=hmac_sha256",
        session_signature(&key1)
    );
    let (_, v) = s.get_json(&path).await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert_eq!(v["errmsg"], "ok");
    assert_eq!(v["openid"], openid.as_str());
    let key2 = v["session_key"].as_str().unwrap().to_owned();
    assert_eq!(key2.len(), 24);
    assert_ne!(key1, key2);
    // The old key is dead, and a second reset with it fails.
    assert_eq!(errcode(&s.get_json(&path).await.1), 87009);
    assert_eq!(
        errcode(
            &s.get_json(&check_path(&token, &openid, &session_signature(&key1)))
                .await
                .1
        ),
        87009
    );
    // The new key expires when the old one would have: 3 days after login, not 3 days after the reset.
    s.advance(86_400 + 1).await;
    let token = s.access_token(&app).await;
    assert_eq!(
        errcode(
            &s.get_json(&check_path(&token, &openid, &session_signature(&key2)))
                .await
                .1
        ),
        87009
    );
}
