//! Reset and one clock for the deployment (issue 13): a reset empties the deployment (apps kept on request),
//! clears the journal and rewinds the clock, only on a test-mode or dev-clock server; every node's caches follow at
//! once; the clock's offset is the deployment's, so two nodes agree and expiry on one node follows a move on another.

use std::time::Duration;

use serde_json::{Value, json};
use yundong_server::Config;
use yundong_testkit::{ADMIN_TOKEN, TestServer, test_config};

use crate::scenario::{APPID, HONG, MING, SECRET, SMALL, apply_ok, client_get, export_json, ranking};
use crate::support::errcode;

async fn reset(s: &TestServer, body: Value) -> (u16, Value) {
    s.post_json("/admin/v1/reset", Some(ADMIN_TOKEN), &body).await
}

async fn clock(s: &TestServer) -> Value {
    let (status, v) = s.http_get("/admin/v1/clock", Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn token_errcode(s: &TestServer) -> i64 {
    let (_, v) = s
        .get_json(&format!(
            "/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}"
        ))
        .await;
    errcode(&v)
}

#[tokio::test]
async fn reset_is_refused_without_test_mode_or_dev_clock_and_changes_nothing() {
    let s = TestServer::spawn_with(Config::default()).await;
    apply_ok(&s, SMALL).await;
    let (status, v) = reset(&s, json!({})).await;
    assert_eq!(status, 403, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("--test-mode"), "{v}");
    assert_eq!(s.state.store.user_count().await.unwrap(), 3);
    for (path, body) in [
        ("/admin/v1/clock/advance", json!({"seconds": 60})),
        ("/admin/v1/clock/set", json!({"at": "2099-01-01T00:00:00Z"})),
    ] {
        let (status, v) = s.post_json(path, Some(ADMIN_TOKEN), &body).await;
        assert_eq!(status, 404, "{path}: {v}");
    }
    assert_eq!(clock(&s).await["offset_seconds"], 0);
    // --test-mode alone allows it.
    let t = TestServer::spawn_with(Config {
        test_mode: true,
        ..Config::default()
    })
    .await;
    apply_ok(&t, SMALL).await;
    assert_eq!(reset(&t, json!({})).await.0, 200);
}

#[tokio::test]
async fn reset_empties_the_deployment_clears_the_journal_and_rewinds_the_clock() {
    let s = TestServer::spawn().await;
    apply_ok(&s, SMALL).await;
    assert_eq!(token_errcode(&s).await, 0);
    let (status, _) = s
        .post_json("/admin/v1/clock/advance", Some(ADMIN_TOKEN), &json!({"seconds": 7200}))
        .await;
    assert_eq!(status, 200);
    // The journal holds the token call (written off the request path: wait for it).
    let mut journaled = false;
    for _ in 0..100 {
        if !s.state.store.journal_after(0, 10).await.unwrap().is_empty() {
            journaled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(journaled);
    // A fault rule that would answer every token call with -1: cleared by the reset.
    let (status, v) = s
        .post_json(
            "/admin/v1/faults",
            Some(ADMIN_TOKEN),
            &json!({"path": "/sns/jscode2session", "errcode": -1}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    let (status, v) = reset(&s, json!({})).await;
    assert_eq!(status, 200, "{v}");
    let (_, faults) = s.http_get("/admin/v1/faults", Some(ADMIN_TOKEN)).await;
    assert_eq!(faults["faults"], json!([]), "the reset clears the fault rules");
    assert_eq!(
        (
            v["users_removed"].as_i64(),
            v["apps_removed"].as_i64(),
            v["offset_seconds"].as_i64()
        ),
        (Some(3), Some(1), Some(0))
    );
    assert_eq!(s.state.store.user_count().await.unwrap(), 0);
    assert!(s.state.store.list_apps().await.unwrap().is_empty());
    assert!(
        s.state.store.journal_after(0, 10).await.unwrap().is_empty(),
        "the journal is cleared"
    );
    assert_eq!(clock(&s).await["offset_seconds"], 0);
    assert_eq!(token_errcode(&s).await, 40013, "the app is gone");
    let (status, _) = client_get(&s, MING, "/client/v1/werun/ranking").await;
    assert_eq!(status, 401, "ming's token is gone");
    assert_eq!(export_json(&s).await, json!({}));
    // The same scenario applies again from scratch with the same ids.
    let again = apply_ok(&s, SMALL).await;
    assert_eq!(again["users"][0]["user_id"], 1);
    assert_eq!(again["users"][0]["created"], true);
}

#[tokio::test]
async fn reset_right_after_a_call_leaves_no_journal_entry_behind() {
    // A test fixture resets right after the previous test's last call, while that call's entry may still wait in
    // the writer's queue: the reset stores it first and deletes it with the rest, so it never lands afterwards.
    let s = TestServer::spawn().await;
    apply_ok(&s, SMALL).await;
    for round in 0..5 {
        assert_eq!(token_errcode(&s).await, 0, "round {round}");
        let (status, v) = reset(&s, json!({"keep": "apps"})).await;
        assert_eq!(status, 200, "{v}");
        tokio::time::sleep(Duration::from_millis(60)).await; // past the writer's 20 ms gathering pause
        let (_, listed) = s.http_get("/admin/v1/requests", Some(ADMIN_TOKEN)).await;
        assert_eq!(
            listed["requests"],
            json!([]),
            "round {round}: the call before the reset is gone"
        );
    }
}

#[tokio::test]
async fn reset_keeping_apps_keeps_their_credentials_and_access_tokens() {
    let s = TestServer::spawn().await;
    apply_ok(&s, SMALL).await;
    let (_, t) = s
        .get_json(&format!(
            "/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}"
        ))
        .await;
    let access_token = t["access_token"].as_str().unwrap().to_owned();
    let (status, v) = reset(&s, json!({"keep": "apps"})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (v["kept_apps"].as_bool(), v["apps_removed"].as_i64()),
        (Some(true), Some(0))
    );
    assert_eq!(s.state.store.user_count().await.unwrap(), 0);
    assert_eq!(token_errcode(&s).await, 0, "the fixed secret still works");
    let (_, rid) = s
        .post_json(
            &format!("/cgi-bin/openapi/rid/get?access_token={access_token}"),
            None,
            &json!({"rid": "0-0-0"}),
        )
        .await;
    assert_ne!(
        errcode(&rid),
        40001,
        "the access token issued before the reset is still valid: {rid}"
    );
    let (status, v) = reset(&s, json!({"keep": "users"})).await;
    assert_eq!(status, 400, "{v}");
    // The scenario applies on top: the app is found again, users are new.
    let again = apply_ok(&s, SMALL).await;
    assert_eq!(again["apps"][0]["created"], false);
    assert_eq!(again["users"][2]["user_id"], 3);
}

#[tokio::test]
async fn every_node_drops_its_cached_copies_at_once_after_a_reset() {
    let a = TestServer::spawn().await;
    let b = a.spawn_node().await;
    apply_ok(&a, SMALL).await;
    // Node b caches ming's token, the app, and ming's ranking.
    assert_eq!(ranking(&b, MING).await, vec![(2, 9100), (1, 8000)]);
    assert_eq!(token_errcode(&b).await, 0);
    let (status, v) = reset(&a, json!({})).await;
    assert_eq!(status, 200, "{v}");
    // At once, on b: the token, the app and the ranking are gone.
    let (status, _) = client_get(&b, MING, "/client/v1/werun/ranking").await;
    assert_eq!(status, 401);
    assert_eq!(token_errcode(&b).await, 40013);
    // A different world under the same credentials: b answers from it, not from its old copies.
    let other = SMALL.replace("{days_ago: 0, steps: 9100}", "{days_ago: 0, steps: 100}");
    apply_ok(&a, &other).await;
    assert_eq!(ranking(&b, MING).await, vec![(1, 8000), (2, 100)]);
    assert_eq!(ranking(&b, HONG).await, vec![(1, 8000), (2, 100)]);
}

#[tokio::test]
async fn two_nodes_share_one_clock() {
    let a = TestServer::spawn().await;
    let b = a.spawn_node().await;
    let (status, v) = a
        .post_json("/admin/v1/clock/advance", Some(ADMIN_TOKEN), &json!({"seconds": 3600}))
        .await;
    assert_eq!((status, v["offset_seconds"].as_i64()), (200, Some(3600)), "{v}");
    let seen = clock(&b).await;
    assert_eq!(seen["offset_seconds"], 3600, "b follows a's move: {seen}");
    assert!((seen["now"].as_i64().unwrap() - v["now"].as_i64().unwrap()).abs() <= 2);
    // clock/set moves forward to an instant; both nodes agree; earlier is a 400 and changes nothing.
    let target = v["now"].as_i64().unwrap() + 2 * 86_400;
    let at = time::OffsetDateTime::from_unix_timestamp(target)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (status, set) = b
        .post_json("/admin/v1/clock/set", Some(ADMIN_TOKEN), &json!({"at": at}))
        .await;
    assert_eq!(status, 200, "{set}");
    assert!((set["now"].as_i64().unwrap() - target).abs() <= 1, "{set}");
    let on_a = clock(&a).await;
    assert_eq!(on_a["offset_seconds"], set["offset_seconds"]);
    let (status, v) = a
        .post_json(
            "/admin/v1/clock/set",
            Some(ADMIN_TOKEN),
            &json!({"at": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("only moves forward"),
        "{v}"
    );
    let (status, _) = a
        .post_json("/admin/v1/clock/set", Some(ADMIN_TOKEN), &json!({"at": "tomorrow"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(clock(&b).await["offset_seconds"], set["offset_seconds"]);
    // A reset through b rewinds a's clock too.
    assert_eq!(reset(&b, json!({})).await.0, 200);
    assert_eq!(clock(&a).await["offset_seconds"], 0);
}

#[tokio::test]
async fn expiry_on_one_node_follows_the_clock_moved_through_another() {
    let a = TestServer::spawn().await;
    let b = a.spawn_node().await;
    apply_ok(&a, SMALL).await;
    // A login code made on b, the clock moved past its 5 minutes through a: b refuses the code (40163 is WeChat's
    // answer for a code no longer valid).
    let code = b.login_code(MING, APPID).await;
    let (status, _) = a
        .post_json("/admin/v1/clock/advance", Some(ADMIN_TOKEN), &json!({"seconds": 301}))
        .await;
    assert_eq!(status, 200);
    let v = b
        .get_json(&format!(
            "/sns/jscode2session?appid={APPID}&secret={SECRET}&js_code={code}&grant_type=authorization_code"
        ))
        .await
        .1;
    assert_ne!(errcode(&v), 0, "the code expired on b's clock too: {v}");
    // And a fresh code on b still works.
    let code = b.login_code(MING, APPID).await;
    let v = b
        .get_json(&format!(
            "/sns/jscode2session?appid={APPID}&secret={SECRET}&js_code={code}&grant_type=authorization_code"
        ))
        .await
        .1;
    assert_eq!(errcode(&v), 0, "{v}");
    let _ = test_config();
}
