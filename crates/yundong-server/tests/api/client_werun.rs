//! The client API for login, authorization, steps and getWeRunData (docs/DESIGN.md §3.2, §5.1–5.2, §5.9).

use serde_json::json;
use yundong_testkit::TestServer;

use crate::support::{cst_midnight, decrypt, decrypt_answer, try_decrypt};

#[tokio::test]
async fn authorization_dialog_settings_and_denial() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let user = s.user("u").await;
    s.session(&app, &user).await;
    let t = Some(user.token.as_str());
    let setting = format!("/client/v1/wx/getSetting?appid={}", app.appid);
    let (_, v) = s.http_get(&setting, t).await;
    assert_eq!(v, json!({"errMsg": "getSetting:ok", "authSetting": {}}));
    // Undecided, no answer to the dialog.
    let (_, v) = s
        .post_json("/client/v1/wx/getWeRunData", t, &json!({"appid": app.appid}))
        .await;
    assert_eq!(v["errMsg"], "getWeRunData:fail authorize no response");
    // The user denies: denial sticks, even if authorize is asked again with allow.
    let (_, v) = s
        .post_json(
            "/client/v1/wx/authorize",
            t,
            &json!({"appid": app.appid, "scope": "scope.werun", "allow": false}),
        )
        .await;
    assert_eq!(v["errMsg"], "authorize:fail auth deny");
    let (_, v) = s
        .post_json(
            "/client/v1/wx/authorize",
            t,
            &json!({"appid": app.appid, "scope": "scope.werun", "allow": true}),
        )
        .await;
    assert_eq!(v["errMsg"], "authorize:fail auth deny");
    let v = s.werun(&user.token, &app.appid).await;
    assert_eq!(v, json!({"errMsg": "getWeRunData:fail auth deny"}), "no data on denial");
    assert_eq!(
        s.http_get(&setting, t).await.1["authSetting"],
        json!({"scope.werun": false})
    );
    // Only the settings page brings it back, and only for scopes asked before.
    let (_, v) = s
        .post_json(
            "/client/v1/wx/openSetting",
            t,
            &json!({"appid": app.appid, "authSetting": {"scope.camera": true}}),
        )
        .await;
    assert!(v["errMsg"].as_str().unwrap().starts_with("openSetting:fail"), "{v}");
    let (_, v) = s
        .post_json(
            "/client/v1/wx/openSetting",
            t,
            &json!({"appid": app.appid, "authSetting": {"scope.werun": true}}),
        )
        .await;
    assert_eq!(
        v,
        json!({"errMsg": "openSetting:ok", "authSetting": {"scope.werun": true}})
    );
    assert_eq!(s.werun(&user.token, &app.appid).await["errMsg"], "getWeRunData:ok");
    let (_, v) = s
        .post_json(
            "/client/v1/wx/authorize",
            t,
            &json!({"appid": app.appid, "scope": "scope.nope", "allow": true}),
        )
        .await;
    assert_eq!(v["errMsg"], "authorize:fail invalid scope");
}

#[tokio::test]
async fn werun_off_login_needed_and_unknown_app() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let user = s.user("u").await;
    let t = Some(user.token.as_str());
    assert_eq!(
        s.werun(&user.token, &app.appid).await["errMsg"],
        "getWeRunData:fail need login"
    );
    s.session(&app, &user).await;
    let (_, v) = s
        .post_json("/client/v1/werun/settings", t, &json!({"werun": false}))
        .await;
    assert_eq!(
        v,
        json!({"errMsg": "settings:ok", "werun": false, "join_ranking": true})
    );
    assert_eq!(
        s.werun(&user.token, &app.appid).await["errMsg"],
        "getWeRunData: fail device not support"
    );
    s.post_json("/client/v1/werun/settings", t, &json!({"werun": true}))
        .await;
    assert_eq!(s.werun(&user.token, &app.appid).await["errMsg"], "getWeRunData:ok");
    assert_eq!(
        s.werun(&user.token, "wx0000000000000000").await["errMsg"],
        "getWeRunData:fail invalid appid"
    );
    let (_, v) = s
        .post_json("/client/v1/wx/login", t, &json!({"appid": "wx0000000000000000"}))
        .await;
    assert_eq!(v["errMsg"], "login:fail invalid appid");
}

#[tokio::test]
async fn a_user_can_only_act_as_themself() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let (alice, bob) = (s.user("alice").await, s.user("bob").await);
    s.steps(&alice.token, 7777, None).await;
    let (_, alice_key) = s.session(&app, &alice).await;
    // No token, a bogus token, a malformed header: nothing.
    for auth in [None, Some("ydu_nope")] {
        let (status, v) = s
            .post_json(
                "/client/v1/wx/getWeRunData",
                auth,
                &json!({"appid": app.appid, "allow": true}),
            )
            .await;
        assert_eq!(status, 401, "{v}");
        assert!(
            v["errMsg"]
                .as_str()
                .unwrap()
                .starts_with("getWeRunData:fail unauthorized")
        );
        assert!(v.get("encryptedData").is_none());
    }
    // Bob's token gets Bob's data (none, he never logged in), never Alice's.
    assert_eq!(
        s.werun(&bob.token, &app.appid).await["errMsg"],
        "getWeRunData:fail need login"
    );
    let (_, bob_key) = s.session(&app, &bob).await;
    let v = s.werun(&bob.token, &app.appid).await;
    let (iv, data) = (v["iv"].as_str().unwrap(), v["encryptedData"].as_str().unwrap());
    assert!(try_decrypt(&alice_key, iv, data).is_err());
    let bob_data = decrypt(&bob_key, iv, data);
    assert_eq!(bob_data["stepInfoList"][30]["step"], 0);
    // A code Bob got cannot be spent as Alice: it belongs to Bob.
    let code = s.login_code(&bob.token, &app.appid).await;
    let v = s.code2session(&app, &code).await;
    let (bob_openid, _) = s.session(&app, &bob).await;
    assert_eq!(v["openid"], bob_openid.as_str());
}

#[tokio::test]
async fn steps_validation_and_replacement() {
    let s = TestServer::spawn().await;
    let user = s.user("u").await;
    let zone = s.state.config.day_zone;
    let today = cst_midnight(s.state.now());
    let date = |days_ago: i64| zone.format_date(today - days_ago * 86_400);
    let v = s.steps(&user.token, 5000, None).await;
    assert_eq!(
        v,
        json!({"errMsg": "steps:ok", "date": date(0), "timestamp": today, "step": 5000, "total": 5000})
    );
    // Later uploads replace (absolute totals), even lower ones; the cap applies.
    assert_eq!(s.steps(&user.token, 4000, None).await["total"], 4000);
    let v = s.steps(&user.token, 120_000, Some(&date(30))).await;
    assert_eq!((v["step"].as_i64(), v["total"].as_i64()), (Some(98_800), Some(98_800)));
    for (body, msg) in [
        (
            json!({"steps": 1, "date": date(31)}),
            "steps:fail the day is outside the 31-day window",
        ),
        (
            json!({"steps": 1, "date": zone.format_date(today + 86_400)}),
            "steps:fail the day is in the future",
        ),
        (json!({"steps": -1}), "steps:fail step must not be negative"),
        (
            json!({"steps": 1, "date": "2026/01/01"}),
            "steps:fail date must be YYYY-MM-DD",
        ),
    ] {
        let (status, v) = s.post_json("/client/v1/steps", Some(&user.token), &body).await;
        assert_eq!((status, v["errMsg"].as_str()), (200, Some(msg)), "{body}");
    }
    let (_, v) = s
        .post_json(
            "/client/v1/steps",
            Some(&user.token),
            &json!({"steps": 1, "source": "band"}),
        )
        .await;
    assert!(v["errMsg"].as_str().unwrap().starts_with("steps:fail source"));
    for body in [json!({"steps": 1.5}), json!({"steps": "100"}), json!({}), json!("x")] {
        let (status, v) = s.post_json("/client/v1/steps", Some(&user.token), &body).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            v["errMsg"].as_str().unwrap().starts_with("steps:fail invalid request"),
            "{v}"
        );
    }
    // None of the refused uploads changed today's total.
    assert_eq!(s.steps(&user.token, 4000, None).await["total"], 4000);
}

#[tokio::test]
async fn days_roll_over_at_utc8_midnight() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let user = s.user("u").await;
    // Move to 23:59:50 China time (15:59:50 UTC).
    let now = s.state.now();
    let next_midnight = cst_midnight(now) + 86_400;
    s.advance(next_midnight - 10 - now).await;
    let before = s.steps(&user.token, 6000, None).await;
    assert_eq!(before["timestamp"], next_midnight - 86_400);
    s.advance(20).await;
    let after = s.steps(&user.token, 100, None).await;
    assert_eq!(after["timestamp"], next_midnight);
    let (_, key) = s.session(&app, &user).await;
    let v = s.werun(&user.token, &app.appid).await;
    let data = decrypt_answer(&key, &v);
    let list = data["stepInfoList"].as_array().unwrap();
    assert_eq!(list[30]["timestamp"], next_midnight);
    assert_eq!(
        (list[29]["step"].as_i64(), list[30]["step"].as_i64()),
        (Some(6000), Some(100))
    );
    // Every timestamp is a China midnight, i.e. 16:00 UTC.
    assert!(
        list.iter()
            .all(|e| e["timestamp"].as_i64().unwrap().rem_euclid(86_400) == 16 * 3600)
    );
}
