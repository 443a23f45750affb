//! SECURITY.md's guarantees from the adversarial review (issue #11): device steps need the capability and a binding,
//! credentials can be replaced and the old ones stop at once on every node, wrong admin tokens are limited, stored
//! content has per-user quotas that hold under concurrency, display text cannot hide characters, and card ids are
//! no oracle.

use serde_json::{Value, json};
use yundong_proto::admin::{AppCreated, UserCreated};
use yundong_testkit::{ADMIN_TOKEN, TestServer, parse, test_config};

use crate::checkin::{fitness_app, share as share_to_werun};
use crate::share::{png, upload};
use crate::support::errcode;

fn setstep(token: &str, openid: &str, now: i64, step: i64) -> String {
    format!("/hardware/bracelet/setstep?access_token={token}&openid={openid}&timestamp={now}&step={step}")
}

/// Today's total for `user` as the ranking shows it to themselves.
async fn own_steps(s: &TestServer, user: &UserCreated) -> i64 {
    let (_, v) = s.http_get("/client/v1/werun/ranking", Some(&user.token)).await;
    v["ranking"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["user_id"] == user.user_id))
        .map_or(0, |r| r["steps"].as_i64().unwrap_or(0))
}

async fn admin_send(s: &TestServer, method: reqwest::Method, path: &str, token: &str, body: Value) -> (u16, Value) {
    let res = s
        .http
        .request(method, s.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    parse(res).await
}

#[tokio::test]
async fn setstep_needs_the_device_capability_and_the_users_binding() {
    let s = TestServer::spawn().await;
    let user = s.user("u").await;
    s.steps(&user.token, 3_000, None).await;
    let now = s.state.now();

    // An ordinary mini program: 48001 even for a user who allowed it everything.
    let mini = s.app().await;
    let (openid, _) = s.session(&mini, &user).await;
    let token = s.access_token(&mini).await;
    let (_, v) = s.get_json(&setstep(&token, &openid, now, 98_800)).await;
    assert_eq!(errcode(&v), 48001, "{v}");
    assert!(v["errmsg"].as_str().unwrap().starts_with("api unauthorized"), "{v}");
    assert_eq!(own_steps(&s, &user).await, 3_000, "nothing written");

    // A device app, but the user never bound its wristband: 48001, nothing written.
    let band = s.device_app("band").await;
    let (band_openid, _) = s.session(&band, &user).await;
    let band_token = s.access_token(&band).await;
    let (_, v) = s.get_json(&setstep(&band_token, &band_openid, now, 98_800)).await;
    assert_eq!(errcode(&v), 48001, "{v}");
    assert_eq!(own_steps(&s, &user).await, 3_000, "nothing written");

    // Bound: allowed. Listed on the user's side with the app's name.
    s.bind_device(&user, &band).await;
    let (_, v) = s.get_json(&setstep(&band_token, &band_openid, now, 7_000)).await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert_eq!(own_steps(&s, &user).await, 7_000);
    let (_, v) = s.http_get("/client/v1/devices", Some(&user.token)).await;
    assert_eq!(v["errMsg"], "devices:ok");
    assert_eq!(v["devices"][0]["appid"], band.appid.as_str());
    assert_eq!(v["devices"][0]["name"], "band");

    // Binding an app without the capability is refused; unbinding withdraws the right at once.
    let (_, v) = s
        .post_json(
            "/client/v1/devices/bind",
            Some(&user.token),
            &json!({"appid": mini.appid}),
        )
        .await;
    assert_eq!(v["errMsg"], "bind:fail app has no device capability");
    let (_, v) = s
        .post_json(
            "/client/v1/devices/unbind",
            Some(&user.token),
            &json!({"appid": band.appid}),
        )
        .await;
    assert_eq!(v["errMsg"], "unbind:ok");
    let (_, v) = s.get_json(&setstep(&band_token, &band_openid, now, 9_000)).await;
    assert_eq!(errcode(&v), 48001, "{v}");
    let (_, v) = s
        .post_json(
            "/client/v1/devices/unbind",
            Some(&user.token),
            &json!({"appid": band.appid}),
        )
        .await;
    assert_eq!(v["errMsg"], "unbind:fail not bound");
    assert_eq!(own_steps(&s, &user).await, 7_000);
}

#[tokio::test]
async fn withdrawing_the_device_capability_takes_effect_on_every_node() {
    let s = TestServer::spawn().await;
    let other = s.spawn_node().await;
    let user = s.user("u").await;
    let band = s.device_app("band").await;
    s.bind_device(&user, &band).await;
    let (openid, _) = s.session(&band, &user).await;
    let token = s.access_token(&band).await;
    let now = s.state.now();
    // The other node caches the app while it may call.
    let (_, v) = other.get_json(&setstep(&token, &openid, now, 1_000)).await;
    assert_eq!(errcode(&v), 0, "{v}");
    let path = format!("/admin/v1/apps/{}", band.appid);
    let (status, v) = admin_send(
        &s,
        reqwest::Method::PATCH,
        &path,
        ADMIN_TOKEN,
        json!({"device_steps": false}),
    )
    .await;
    assert_eq!((status, &v["device_steps"]), (200, &json!(false)), "{v}");
    let (_, v) = other.get_json(&setstep(&token, &openid, now, 2_000)).await;
    assert_eq!(errcode(&v), 48001, "{v}");
    // Unknown apps and unknown fields are admin errors.
    let (status, _) = admin_send(
        &s,
        reqwest::Method::PATCH,
        "/admin/v1/apps/wx0000000000000000",
        ADMIN_TOKEN,
        json!({"device_steps": true}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = admin_send(&s, reqwest::Method::PATCH, &path, ADMIN_TOKEN, json!({"secret": "x"})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_reset_user_token_stops_working_at_once_on_every_node() {
    let s = TestServer::spawn().await;
    let other = s.spawn_node().await;
    let user = s.user("u").await;
    // Both nodes have the token cached (the upload and getWeRunData paths keep token → user in memory).
    for node in [&s, &other] {
        let v = node.steps(&user.token, 1_000, None).await;
        assert_eq!(v["errMsg"], "steps:ok", "{v}");
    }
    let reset: Value = s
        .admin(&format!("/admin/v1/users/{}/token", user.user_id), json!({}))
        .await;
    let new_token = reset["token"].as_str().unwrap();
    assert_ne!(new_token, user.token);
    for node in [&s, &other] {
        let (status, v) = node
            .post_json("/client/v1/steps", Some(&user.token), &json!({"steps": 2_000}))
            .await;
        assert_eq!(status, 401, "the old token on {}: {v}", node.base);
        let (status, _) = node
            .post_json("/client/v1/steps", Some(new_token), &json!({"steps": 2_000}))
            .await;
        assert_eq!(status, 200);
    }
    let (status, _) = s
        .post_json("/admin/v1/users/999999/token", Some(ADMIN_TOKEN), &json!({}))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_reset_app_secret_stops_working_at_once_on_every_node() {
    let s = TestServer::spawn().await;
    let other = s.spawn_node().await;
    let app = s.app().await;
    let user = s.user("u").await;
    // Both nodes hold the app (with its secret's hash) in memory.
    for node in [&s, &other] {
        node.access_token(&app).await;
    }
    let reset: Value = s
        .admin(&format!("/admin/v1/apps/{}/secret", app.appid), json!({}))
        .await;
    let fresh = AppCreated {
        secret: reset["secret"].as_str().unwrap().to_owned(),
        ..app.clone()
    };
    assert_ne!(fresh.secret, app.secret);
    for node in [&s, &other] {
        let code = node.login_code(&user.token, &app.appid).await;
        assert_eq!(
            errcode(&node.code2session(&app, &code).await),
            40125,
            "old secret on {}",
            node.base
        );
        // The refused exchange did not consume the code.
        let v = node.code2session(&fresh, &code).await;
        assert!(v["session_key"].is_string(), "{v}");
        let path = format!(
            "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
            app.appid, app.secret
        );
        assert_eq!(errcode(&node.get_json(&path).await.1), 40125);
        node.access_token(&fresh).await;
    }
}

#[tokio::test]
async fn wrong_admin_tokens_are_limited_per_address() {
    let s = TestServer::spawn().await;
    let wrong = "x".repeat(40);
    for _ in 0..yundong_server::admin_auth::FAILURE_BURST {
        let (status, _) = s
            .post_json("/admin/v1/users", Some(&wrong), &json!({"nickname": "a"}))
            .await;
        assert_eq!(status, 401);
    }
    // Locked out now, even with the right token: guessing cannot go on.
    let (status, v) = s
        .post_json("/admin/v1/users", Some(ADMIN_TOKEN), &json!({"nickname": "a"}))
        .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (429, Some("too_many_requests")),
        "{v}"
    );
    // Missing tokens guess nothing and are not counted (a fresh server).
    let s = TestServer::spawn().await;
    for _ in 0..30 {
        let (status, _) = s.post_json("/admin/v1/users", None, &json!({"nickname": "a"})).await;
        assert_eq!(status, 401);
    }
    let (status, _) = s
        .post_json("/admin/v1/users", Some(ADMIN_TOKEN), &json!({"nickname": "a"}))
        .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn check_ins_are_limited_per_user_and_a_refused_one_stores_nothing() {
    let mut config = test_config();
    config.check_ins_per_minute = 3;
    let s = TestServer::spawn_with(config).await;
    let app = fitness_app(&s).await;
    let user = s.user("u").await;
    let record = json!([{"typeId": 3001, "distance": 1000}]);
    let body = json!({"appid": app.appid, "recordList": record, "confirm": true});
    for _ in 0..3 {
        let (status, v) = share_to_werun(&s, &user, body.clone()).await;
        assert_eq!((status, v["errMsg"].as_str()), (200, Some("shareToWeRun:ok")), "{v}");
    }
    let (status, v) = share_to_werun(&s, &user, body.clone()).await;
    assert_eq!(status, 429, "{v}");
    assert_eq!(
        v["errMsg"],
        "shareToWeRun:fail too many requests: at most 3 check-ins per minute"
    );
    let (_, detail) = s.http_get("/client/v1/werun/detail", Some(&user.token)).await;
    assert_eq!(
        detail["checkins"].as_array().unwrap().len(),
        3,
        "the refused one was not stored"
    );
    // A new minute, a new allowance; another user was never limited.
    s.advance(60).await;
    let (status, _) = share_to_werun(&s, &user, body.clone()).await;
    assert_eq!(status, 200);
    let other = s.user("o").await;
    assert_eq!(share_to_werun(&s, &other, body).await.0, 200);
}

#[tokio::test]
async fn share_cards_are_limited_per_user() {
    let mut config = test_config();
    config.share_cards_per_minute = 2;
    let s = TestServer::spawn_with(config).await;
    let app = s.app().await;
    let (a, b) = (s.user("a").await, s.user("b").await);
    s.befriend(a.user_id, b.user_id).await;
    let chat: Value = s
        .admin("/admin/v1/conversations", json!({"members": [a.user_id, b.user_id]}))
        .await;
    let mut answers = Vec::new();
    for _ in 0..3 {
        let (_, file) = upload(&s, Some(&a.token), "image/png", png(100)).await;
        let body = json!({
            "conversation_id": chat["conversation_id"], "appid": app.appid, "userName": app.original_id,
            "path": "/pages/index", "title": "跑步", "imagePath": file["tempFilePath"],
            "webpageUrl": "https://example.com", "withShareTicket": false, "miniprogramType": 0, "scene": 0,
        });
        answers.push(
            s.post_json("/client/v1/wx/shareMiniProgramMessage", Some(&a.token), &body)
                .await,
        );
    }
    assert_eq!(answers[0].0, 200, "{:?}", answers[0]);
    assert_eq!(answers[1].0, 200, "{:?}", answers[1]);
    assert_eq!(answers[2].0, 429, "{:?}", answers[2]);
    assert_eq!(
        answers[2].1["errMsg"],
        "shareMiniProgramMessage:fail too many requests: at most 2 share cards per minute"
    );
    let (_, v) = s
        .http_get(
            &format!("/client/v1/conversations/{}/messages", chat["conversation_id"]),
            Some(&b.token),
        )
        .await;
    assert_eq!(
        v["messages"].as_array().map(Vec::len),
        Some(2),
        "the refused card was not stored: {v}"
    );
}

#[tokio::test]
async fn the_detail_page_pages_its_check_ins() {
    let mut config = test_config();
    config.check_ins_per_minute = 1_000;
    let s = TestServer::spawn_with(config).await;
    let app = fitness_app(&s).await;
    let user = s.user("u").await;
    for i in 1..=25 {
        let body = json!({"appid": app.appid, "recordList": [{"typeId": 3001, "distance": i * 100}], "confirm": true});
        assert_eq!(share_to_werun(&s, &user, body).await.0, 200);
    }
    let (_, first) = s.http_get("/client/v1/werun/detail", Some(&user.token)).await;
    let page = first["checkins"].as_array().unwrap();
    assert_eq!(page.len(), 20, "the default page");
    let next = first["checkins_next"].as_i64().expect("a next page");
    let (_, second) = s
        .http_get(
            &format!("/client/v1/werun/detail?checkins_cursor={next}"),
            Some(&user.token),
        )
        .await;
    let rest = second["checkins"].as_array().unwrap();
    assert_eq!(rest.len(), 5);
    assert!(second.get("checkins_next").is_none(), "{second}");
    let mut ids: Vec<i64> = page.iter().chain(rest).map(|c| c["id"].as_i64().unwrap()).collect();
    let before = ids.clone();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    assert_eq!((ids.len(), &ids), (25, &before), "all 25, newest first, none twice");
    let (_, v) = s
        .http_get("/client/v1/werun/detail?checkins_limit=101", Some(&user.token))
        .await;
    assert!(
        v["errMsg"]
            .as_str()
            .unwrap()
            .starts_with("detail:fail invalid checkins_limit"),
        "{v}"
    );
}

/// The unused-temp-file limit (50) holds when 80 uploads race, on both engines: exactly 50 are accepted.
#[tokio::test]
async fn temp_file_quota_holds_under_concurrent_uploads() {
    let s = TestServer::spawn().await;
    let other = s.spawn_node().await;
    let user = s.user("u").await;
    let png = png(200);
    let mut uploads = tokio::task::JoinSet::new();
    for i in 0..80 {
        let node = if i % 2 == 0 { &s } else { &other };
        let req = node
            .http
            .post(node.url("/client/v1/files"))
            .bearer_auth(&user.token)
            .header("content-type", "image/png")
            .body(png.clone());
        uploads.spawn(async move { parse(req.send().await.unwrap()).await.0 });
    }
    let statuses = uploads.join_all().await;
    let accepted = statuses.iter().filter(|&&st| st == 200).count();
    let refused = statuses.iter().filter(|&&st| st == 429).count();
    assert_eq!((accepted, refused), (50, 30), "{statuses:?}");
}

/// Image bytes per day are limited per user.
#[tokio::test]
async fn image_bytes_are_limited_per_day() {
    let mut config = test_config();
    config.image_bytes_per_day = 1_000;
    let s = TestServer::spawn_with(config).await;
    let user = s.user("u").await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let (status, v) = upload(&s, Some(&user.token), "image/png", png(400)).await;
        statuses.push((status, v["errMsg"].as_str().unwrap_or("").to_owned()));
    }
    assert_eq!(statuses[0].0, 200);
    assert_eq!(statuses[1].0, 200);
    assert_eq!(
        statuses[2],
        (
            429,
            "uploadFile:fail too many requests: at most 1000 image bytes per day".to_owned()
        )
    );
}

#[tokio::test]
async fn display_text_with_invisible_characters_is_refused() {
    let s = TestServer::spawn().await;
    for nickname in ["alice\u{200b}", "\u{feff}bob", "a\u{202e}b", "x\u{2066}y"] {
        let (status, v) = s
            .post_json("/admin/v1/users", Some(ADMIN_TOKEN), &json!({"nickname": nickname}))
            .await;
        assert_eq!(status, 400, "{nickname:?}: {v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("invisible"), "{v}");
    }
    let (status, _) = s
        .post_json("/admin/v1/apps", Some(ADMIN_TOKEN), &json!({"name": "fit\u{200d}"}))
        .await;
    assert_eq!(status, 400);
    let a = s.user("a").await;
    let b = s.user("b").await;
    let (status, _) = s
        .post_json(
            "/admin/v1/groups",
            Some(ADMIN_TOKEN),
            &json!({"name": "跑团\u{200b}", "members": [a.user_id, b.user_id]}),
        )
        .await;
    assert_eq!(status, 400);
    // Emoji written with joiners are text, not hidden characters.
    let (status, v) = s
        .post_json(
            "/admin/v1/users",
            Some(ADMIN_TOKEN),
            &json!({"nickname": "跑者🏃\u{200d}♂\u{fe0f}"}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
}

#[tokio::test]
async fn docs_pages_carry_a_content_security_policy_and_frame_protection() {
    let s = TestServer::spawn().await;
    for path in ["/docs/", "/docs/swagger-initializer.js"] {
        let res = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-content-type-options"], "nosniff");
    }
}
