//! wx.login → jscode2session → getWeRunData → decrypt, and every jscode2session rule (docs/WECHAT.md §3.2,
//! docs/DESIGN.md §5.5–5.6).

use serde_json::{Value, json};
use yundong_proto::ids;
use yundong_testkit::TestServer;

use crate::support::{cst_midnight, decrypt_answer, errcode, try_decrypt};

#[tokio::test]
async fn full_flow_decrypts_to_exactly_31_days() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let user = s.user("小明").await;
    let now = s.state.now();
    let today = cst_midnight(now);
    // Today, yesterday and the first day of the window carry steps; everything else is zero-filled.
    let dates: Vec<String> = [0, 1, 30]
        .iter()
        .map(|d| s.state.config.day_zone.format_date(today - d * 86_400))
        .collect();
    for (date, steps) in dates.iter().zip([8000, 12000, 3000]) {
        let v = s.steps(&user.token, steps, Some(date)).await;
        assert_eq!(v["errMsg"], "steps:ok", "{v}");
    }
    let (openid, session_key) = s.session(&app, &user).await;
    assert!(ids::is_openid(&openid), "{openid}");
    let v = s.werun(&user.token, &app.appid).await;
    assert_eq!(v["errMsg"], "getWeRunData:ok");
    assert!(v["cloudID"].as_str().is_some_and(|c| !c.is_empty()));
    let data = decrypt_answer(&session_key, &v);
    let list = data["stepInfoList"].as_array().unwrap();
    assert_eq!(list.len(), 31);
    for (i, e) in list.iter().enumerate() {
        assert_eq!(
            e["timestamp"].as_i64().unwrap(),
            today - (30 - i as i64) * 86_400,
            "entry {i}"
        );
        assert_eq!(e.as_object().unwrap().len(), 2);
    }
    let steps: Vec<i64> = list.iter().map(|e| e["step"].as_i64().unwrap()).collect();
    let mut expected = vec![0; 31];
    expected[30] = 8000;
    expected[29] = 12000;
    expected[0] = 3000;
    assert_eq!(steps, expected);
    assert_eq!(data["watermark"]["appid"], app.appid.as_str());
    let ts = data["watermark"]["timestamp"].as_i64().unwrap();
    assert!((ts - now).abs() <= 5);
}

#[tokio::test]
async fn codes_are_single_use_and_rotate_the_session_key() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let user = s.user("u").await;
    let code = s.login_code(&user.token, &app.appid).await;
    let first = s.code2session(&app, &code).await;
    assert_eq!(errcode(&first), 0);
    let again = s.code2session(&app, &code).await;
    assert_eq!(errcode(&again), 40163);
    assert!(again["errmsg"].as_str().unwrap().starts_with("code been used, rid: "));

    // A second login rotates the key: data now decrypts only with the new key, and the openid stays.
    let (openid2, key2) = s.session(&app, &user).await;
    assert_eq!(openid2, first["openid"]);
    let key1 = first["session_key"].as_str().unwrap();
    assert_ne!(key1, key2);
    let v = s.werun(&user.token, &app.appid).await;
    let (iv, data) = (v["iv"].as_str().unwrap(), v["encryptedData"].as_str().unwrap());
    assert!(try_decrypt(&key2, iv, data).is_ok());
    assert!(
        try_decrypt(key1, iv, data).is_err(),
        "the superseded key must not decrypt new data"
    );
}

#[tokio::test]
async fn codes_expire_after_five_minutes() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let user = s.user("u").await;
    let fresh = s.login_code(&user.token, &app.appid).await;
    let stale = s.login_code(&user.token, &app.appid).await;
    // Margins of 10 s either side: real time passes between requests too.
    s.advance(290).await;
    assert_eq!(errcode(&s.code2session(&app, &fresh).await), 0);
    s.advance(11).await;
    assert_eq!(errcode(&s.code2session(&app, &stale).await), 40029);
}

#[tokio::test]
async fn codes_are_bound_to_their_app() {
    let s = TestServer::spawn().await;
    let (a, b) = (s.app().await, s.app().await);
    let user = s.user("u").await;
    let code = s.login_code(&user.token, &a.appid).await;
    assert_eq!(errcode(&s.code2session(&b, &code).await), 40029);
    // The failed attempt through the other app did not consume it.
    assert_eq!(errcode(&s.code2session(&a, &code).await), 0);
    assert_eq!(
        errcode(&s.code2session(&a, "0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d").await),
        40029
    );
}

#[tokio::test]
async fn parameter_errors_in_wechat_order() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let q = |qs: &str| format!("/sns/jscode2session?{qs}");
    let cases = [
        (q("secret=x&js_code=c&grant_type=authorization_code"), 41002),
        (q(&format!("appid={}&js_code=c", app.appid)), 41004),
        (q(&format!("appid={}&secret={}", app.appid, app.secret)), 41008),
        (q(&format!("appid=&secret={}&js_code=c", app.secret)), 41002),
        (q("appid=wx0000000000000000&secret=x&js_code=c"), 40013),
        (
            q(&format!(
                "appid={}&secret=00000000000000000000000000000000&js_code=c",
                app.appid
            )),
            40125,
        ),
        (
            q(&format!(
                "appid={}&secret={}&js_code=c&grant_type=client_credential",
                app.appid, app.secret
            )),
            40002,
        ),
    ];
    for (path, code) in cases {
        let (status, v) = s.get_json(&path).await;
        assert_eq!((status, errcode(&v)), (200, code), "{path}: {v}");
    }
}

#[tokio::test]
async fn extra_parameters_are_ignored_and_only_the_query_counts() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let user = s.user("u").await;
    // wechatpy appends access_token to jscode2session.
    let code = s.login_code(&user.token, &app.appid).await;
    let path = format!(
        "/sns/jscode2session?appid={}&secret={}&js_code={code}&grant_type=authorization_code&access_token=whatever&x=1",
        app.appid, app.secret
    );
    let (_, v) = s.get_json(&path).await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert!(v.get("unionid").is_none(), "no unionid without an open platform");
    // POST with the parameters in a JSON body: WeChat reads the query only, so they are missing.
    let code = s.login_code(&user.token, &app.appid).await;
    let body = json!({"appid": app.appid, "secret": app.secret, "js_code": code, "grant_type": "authorization_code"});
    let (_, v) = s.post_json("/sns/jscode2session", None, &body).await;
    assert_eq!(errcode(&v), 41002, "{v}");
    // POST with the query complete and a body of garbage: the body is never read.
    let path = format!(
        "/sns/jscode2session?appid={}&secret={}&js_code={code}&grant_type=authorization_code",
        app.appid, app.secret
    );
    let (_, v) = s.post_raw(&path, None, b"\xff{garbage".to_vec()).await;
    assert_eq!(errcode(&v), 0, "{v}");
}

#[tokio::test]
async fn openid_is_per_app_and_user_unionid_per_platform() {
    let s = TestServer::spawn().await;
    let a = s.create_app(json!({"name": "a", "open_platform": "acme"})).await;
    let b = s.create_app(json!({"name": "b", "open_platform": "acme"})).await;
    let c = s.create_app(json!({"name": "c", "open_platform": "other"})).await;
    let (u, w) = (s.user("u").await, s.user("w").await);
    let mut seen: Vec<Value> = Vec::new();
    for app in [&a, &b, &c] {
        for user in [&u, &w] {
            let code = s.login_code(&user.token, &app.appid).await;
            let v = s.code2session(app, &code).await;
            assert_eq!(errcode(&v), 0);
            seen.push(v);
        }
    }
    let openids: std::collections::HashSet<&str> = seen.iter().map(|v| v["openid"].as_str().unwrap()).collect();
    assert_eq!(openids.len(), 6, "openid differs per (app, user)");
    // Same user, same platform → same unionid; another platform → another unionid; users differ.
    assert_eq!(seen[0]["unionid"], seen[2]["unionid"]);
    assert_ne!(seen[0]["unionid"], seen[4]["unionid"]);
    assert_ne!(seen[0]["unionid"], seen[1]["unionid"]);
    // Stable: logging in again gives the same openid.
    let code = s.login_code(&u.token, &a.appid).await;
    assert_eq!(s.code2session(&a, &code).await["openid"], seen[0]["openid"]);
}

#[tokio::test]
async fn exchanges_are_limited_to_100_per_user_per_minute() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let (u, other) = (s.user("u").await, s.user("other").await);
    // Align to the start of a minute so the window does not roll over mid-test.
    let now = s.state.now();
    s.advance(60 - now.rem_euclid(60)).await;
    for i in 0..100 {
        let code = s.login_code(&u.token, &app.appid).await;
        assert_eq!(errcode(&s.code2session(&app, &code).await), 0, "exchange {i}");
    }
    let code = s.login_code(&u.token, &app.appid).await;
    assert_eq!(errcode(&s.code2session(&app, &code).await), 45011);
    // Another user is not affected; the refused code was not consumed and works in the next minute.
    let oc = s.login_code(&other.token, &app.appid).await;
    assert_eq!(errcode(&s.code2session(&app, &oc).await), 0);
    s.advance(60).await;
    assert_eq!(errcode(&s.code2session(&app, &code).await), 0);
}

#[tokio::test]
async fn a_code_is_exchanged_once_under_concurrency() {
    let s = std::sync::Arc::new(TestServer::spawn().await);
    let app = std::sync::Arc::new(s.app().await);
    let user = s.user("u").await;
    let code = s.login_code(&user.token, &app.appid).await;
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (s, app, code) = (s.clone(), app.clone(), code.clone());
            tokio::spawn(async move { errcode(&s.code2session(&app, &code).await) })
        })
        .collect();
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    codes.sort();
    assert_eq!(codes[0], 0);
    assert!(codes[1..].iter().all(|&c| c == 40163), "{codes:?}");
}
