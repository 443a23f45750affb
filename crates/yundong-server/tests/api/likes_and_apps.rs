//! Who liked me (`GET /client/v1/werun/likes`) and the deployment's apps for a signed-in user (`GET /client/v1/apps`).

use serde_json::json;
use yundong_testkit::TestServer;

#[tokio::test]
async fn likes_lists_who_liked_my_row_and_only_mine() {
    let s = TestServer::spawn().await;
    let (me, a, b) = (s.user("我").await, s.user("甲").await, s.user("乙").await);
    s.befriend(me.user_id, a.user_id).await;
    s.befriend(me.user_id, b.user_id).await;
    let (status, v) = s.http_get("/client/v1/werun/likes", Some(&me.token)).await;
    assert_eq!(status, 200);
    assert_eq!(v["errMsg"], "likes:ok");
    assert_eq!(v["likers"], json!([]));

    for liker in [&b, &a] {
        let (_, v) = s
            .post_json(
                "/client/v1/werun/like",
                Some(&liker.token),
                &json!({"user_id": me.user_id, "liked": true}),
            )
            .await;
        assert_eq!(v["errMsg"], "like:ok", "{v}");
    }
    let (_, v) = s.http_get("/client/v1/werun/likes", Some(&me.token)).await;
    let names: Vec<&str> = v["likers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["nickname"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{v}");
    assert!(names.contains(&"甲") && names.contains(&"乙"), "{v}");
    assert_eq!(
        v["date"],
        s.http_get("/client/v1/werun/ranking", Some(&me.token)).await.1["date"]
    );
    // 甲's own likers are not mine: nobody liked 甲.
    let (_, v) = s.http_get("/client/v1/werun/likes", Some(&a.token)).await;
    assert_eq!(v["likers"], json!([]));

    // An unlike removes the liker; another day has its own list.
    s.post_json(
        "/client/v1/werun/like",
        Some(&b.token),
        &json!({"user_id": me.user_id, "liked": false}),
    )
    .await;
    let (_, v) = s.http_get("/client/v1/werun/likes", Some(&me.token)).await;
    assert_eq!(v["likers"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["likers"][0]["user_id"], a.user_id);
    assert!(v["likers"][0]["liked_at"].as_i64().unwrap() > 0);

    for (q, reason) in [
        ("?date=2001-01-01", "likes:fail date must be within the last 31 days"),
        ("?date=x", "likes:fail date must be YYYY-MM-DD"),
    ] {
        let (status, v) = s.http_get(&format!("/client/v1/werun/likes{q}"), Some(&me.token)).await;
        assert_eq!((status, v["errMsg"].as_str().unwrap()), (200, reason), "{q}");
    }
    let (status, _) = s.http_get("/client/v1/werun/likes", None).await;
    assert_eq!(status, 401);
    s.post_json("/client/v1/werun/settings", Some(&me.token), &json!({"werun": false}))
        .await;
    let (_, v) = s.http_get("/client/v1/werun/likes", Some(&me.token)).await;
    assert_eq!(v["errMsg"], "likes:fail werun off");
}

#[tokio::test]
async fn apps_lists_the_deployments_apps_without_secrets() {
    let s = TestServer::spawn().await;
    let user = s.user("看客").await;
    let (_, v) = s.http_get("/client/v1/apps", Some(&user.token)).await;
    assert_eq!(v, json!({"errMsg": "apps:ok", "apps": []}));
    let one = s.create_app(json!({"name": "步数挑战"})).await;
    let two = s
        .create_app(json!({"name": "跑步", "category": "体育-在线健身", "werun_share": true}))
        .await;
    let (status, v) = s.http_get("/client/v1/apps", Some(&user.token)).await;
    assert_eq!(status, 200);
    assert_eq!(
        v["apps"],
        json!([
            {"appid": one.appid, "name": "步数挑战", "original_id": one.original_id, "werun_share": false},
            {"appid": two.appid, "name": "跑步", "original_id": two.original_id, "werun_share": true},
        ])
    );
    assert!(!v.to_string().contains(&one.secret) && !v.to_string().contains(&two.secret));
    let (status, v) = s.http_get("/client/v1/apps", Some("ydu_not_a_token")).await;
    assert_eq!(status, 401, "{v}");
}
