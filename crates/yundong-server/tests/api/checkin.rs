//! `wx.shareToWeRun` (docs/WECHAT.md §5, docs/DESIGN.md §5.10): permission, every record rule, cancel, builds,
//! idempotency, and the order in which the checks answer. "Nothing stored" is checked in the database behind the
//! server.

use serde_json::{Value, json};
use yundong_proto::admin::{AppCreated, CATEGORY_FITNESS, UserCreated};
use yundong_store::UserId;
use yundong_testkit::TestServer;

pub const SHARE: &str = "/client/v1/wx/shareToWeRun";

/// An app allowed to call shareToWeRun.
pub async fn fitness_app(s: &TestServer) -> AppCreated {
    s.create_app(json!({"name": "fit", "category": CATEGORY_FITNESS, "werun_share": true}))
        .await
}

/// A confirmed release check-in of `records`; asserts `ok`.
pub async fn check_in(s: &TestServer, user: &UserCreated, app: &AppCreated, records: Value) -> Value {
    let (status, v) = share(
        s,
        user,
        json!({"appid": app.appid, "recordList": records, "confirm": true}),
    )
    .await;
    assert_eq!((status, v["errMsg"].as_str()), (200, Some("shareToWeRun:ok")), "{v}");
    v
}

pub async fn share(s: &TestServer, user: &UserCreated, body: Value) -> (u16, Value) {
    s.post_json(SHARE, Some(&user.token), &body).await
}

async fn stored(s: &TestServer, user: &UserCreated) -> usize {
    s.state.store.check_ins(UserId(user.user_id)).await.unwrap().len()
}

/// `shareToWeRun:fail <reason>` with HTTP 200, and nothing stored for the user.
async fn assert_fails(s: &TestServer, user: &UserCreated, body: Value, reason: &str) {
    let before = stored(s, user).await;
    let (status, v) = share(s, user, body.clone()).await;
    assert_eq!(status, 200, "{body} → {v}");
    // WeChat writes this one failure with a space after the colon; the others as `<api>:fail <reason>`.
    let expected = if reason == "has no permission" {
        "shareToWeRun: fail has no permission".to_owned()
    } else {
        format!("shareToWeRun:fail {reason}")
    };
    assert_eq!(v, json!({"errMsg": expected}), "{body}");
    assert_eq!(stored(s, user).await, before, "a failed call stored something: {body}");
}

#[tokio::test]
async fn a_confirmed_release_check_in_is_stored_and_answered() {
    let s = TestServer::spawn().await;
    let app = fitness_app(&s).await;
    let u = s.user("runner").await;
    let v = check_in(
        &s,
        &u,
        &app,
        json!([{"typeId": 3001, "distance": 5000}, {"typeId": 4001, "number": 300}]),
    )
    .await;
    let today = s.state.config.day_zone.format_date(s.state.now());
    assert!(v["checkInId"].as_i64().unwrap() > 0);
    assert_eq!(v["envVersion"], "release");
    assert_eq!(v["shown"], true);
    assert_eq!(v["date"], today.as_str());
    assert!((v["createdAt"].as_i64().unwrap() - s.state.now()).abs() <= 5);
    assert_eq!(
        v["recordList"],
        json!([
            {"typeId": 3001, "name": "跑步", "unit": "distance", "value": 5000},
            {"typeId": 4001, "name": "跳绳", "unit": "number", "value": 300},
        ])
    );
    let rows = s.state.store.check_ins(UserId(u.user_id)).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].env.as_str(), rows[0].shown, rows[0].appid.as_str()),
        ("release", true, app.appid.as_str())
    );
    assert_eq!(rows[0].records.len(), 2);
}

#[tokio::test]
async fn every_record_rule_fails_naming_record_and_field_and_stores_nothing() {
    let s = TestServer::spawn().await;
    let app = fitness_app(&s).await;
    let u = s.user("runner").await;
    let ok = json!({"typeId": 1001, "time": 30});
    let cases: Vec<(Value, &str)> = vec![
        // the list itself
        (Value::Null, "recordList must be an array of 1 to 10 records, got null"),
        (
            json!("x"),
            "recordList must be an array of 1 to 10 records, got a string",
        ),
        (
            json!({"typeId": 1001, "time": 3}),
            "recordList must be an array of 1 to 10 records, got an object",
        ),
        (json!([]), "recordList must hold 1 to 10 records, got 0"),
        (
            Value::Array(vec![ok.clone(); 11]),
            "recordList must hold 1 to 10 records, got 11",
        ),
        (json!([ok, 5]), "recordList[1] must be an object, got 5"),
        // typeId
        (json!([{"time": 3}]), "recordList[0].typeId is required"),
        (json!([{"typeId": null, "time": 3}]), "recordList[0].typeId is required"),
        (
            json!([{"typeId": "1001", "time": 3}]),
            "recordList[0].typeId must be an integer sport type id, got a string",
        ),
        (
            json!([{"typeId": 1001.5, "time": 3}]),
            "recordList[0].typeId must be an integer sport type id, got 1001.5",
        ),
        (
            json!([{"typeId": 5001, "time": 3}]),
            "recordList[0].typeId: unknown sport type 5001",
        ),
        (
            json!([{"typeId": -1, "time": 3}]),
            "recordList[0].typeId: unknown sport type -1",
        ),
        // exactly one unit, allowed for the type
        (
            json!([{"typeId": 3001}]),
            "recordList[0]: one unit is required: 跑步 (3001) takes time, distance or calorie",
        ),
        (
            json!([{"typeId": 3001, "time": null}]),
            "recordList[0]: one unit is required: 跑步 (3001) takes time, distance or calorie",
        ),
        (
            json!([{"typeId": 3001, "time": 3, "calorie": 5}]),
            "recordList[0]: only one unit per record, got time and calorie",
        ),
        (
            json!([ok, {"typeId": 4001, "distance": 100}]),
            "recordList[1].distance: 跳绳 (4001) takes number or calorie",
        ),
        (
            json!([{"typeId": 4002, "time": 10}]),
            "recordList[0].time: 俯卧撑 (4002) takes number or calorie",
        ),
        (
            json!([{"typeId": 2004, "number": 10}]),
            "recordList[0].number: 踢足球 (2004) takes time or calorie",
        ),
        (
            json!([{"typeId": 1001, "distance": 10}]),
            "recordList[0].distance: 锻炼 (1001) takes time or calorie",
        ),
        // integers only, within range
        (
            json!([{"typeId": 1001, "time": 1.5}]),
            "recordList[0].time must be an integer from 1 to 1440 (minutes), got 1.5",
        ),
        (
            json!([{"typeId": 1001, "time": "30"}]),
            "recordList[0].time must be an integer from 1 to 1440 (minutes), got a string",
        ),
        (
            json!([{"typeId": 1001, "time": true}]),
            "recordList[0].time must be an integer from 1 to 1440 (minutes), got true",
        ),
        (
            json!([{"typeId": 1001, "time": [30]}]),
            "recordList[0].time must be an integer from 1 to 1440 (minutes), got an array",
        ),
        (
            json!([{"typeId": 1001, "time": -5}]),
            "recordList[0].time must be an integer from 1 to 1440 (minutes), got -5",
        ),
        (
            json!([{"typeId": 1001, "time": 0}]),
            "recordList[0].time must be an integer from 1 to 1440 (minutes), got 0",
        ),
        (
            json!([{"typeId": 1001, "time": 1441}]),
            "recordList[0].time must be an integer from 1 to 1440 (minutes), got 1441",
        ),
        (
            json!([{"typeId": 3001, "distance": 100001}]),
            "recordList[0].distance must be an integer from 1 to 100000 (metres), got 100001",
        ),
        (
            json!([{"typeId": 3001, "distance": -1}]),
            "recordList[0].distance must be an integer from 1 to 100000 (metres), got -1",
        ),
        (
            json!([{"typeId": 2001, "calorie": 10001}]),
            "recordList[0].calorie must be an integer from 1 to 10000 (kcal), got 10001",
        ),
        (
            json!([{"typeId": 2001, "calorie": 0.5}]),
            "recordList[0].calorie must be an integer from 1 to 10000 (kcal), got 0.5",
        ),
        (
            json!([{"typeId": 4003, "number": 10001}]),
            "recordList[0].number must be an integer from 1 to 10000 (count), got 10001",
        ),
        (
            json!([{"typeId": 4003, "number": 0}]),
            "recordList[0].number must be an integer from 1 to 10000 (count), got 0",
        ),
    ];
    for (records, reason) in cases {
        assert_fails(
            &s,
            &u,
            json!({"appid": app.appid, "recordList": records, "confirm": true}),
            reason,
        )
        .await;
    }
    // An absent recordList is the same as null.
    assert_fails(
        &s,
        &u,
        json!({"appid": app.appid, "confirm": true}),
        "recordList must be an array of 1 to 10 records, got null",
    )
    .await;
    // A bad record anywhere refuses the whole call: the valid records before it are not stored either.
    assert_eq!(stored(&s, &u).await, 0);
}

#[tokio::test]
async fn boundary_values_and_whole_floats_are_accepted() {
    let s = TestServer::spawn().await;
    let app = fitness_app(&s).await;
    let u = s.user("runner").await;
    let records = json!([
        {"typeId": 1001, "time": 1}, {"typeId": 1002, "time": 1440},
        {"typeId": 3003, "distance": 1}, {"typeId": 3004, "distance": 100000},
        {"typeId": 2008, "calorie": 1}, {"typeId": 3005, "calorie": 10000},
        {"typeId": 4001, "number": 1}, {"typeId": 4002, "number": 10000},
        // JavaScript numbers: 30.0 is the integer 30; an unknown key (the undocumented `url`) is ignored.
        {"typeId": 2003, "time": 30.0, "url": "/pages/x"},
        {"typeId": 3002, "distance": 1e3},
    ]);
    let v = check_in(&s, &u, &app, records).await;
    let values: Vec<i64> = v["recordList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_i64().unwrap())
        .collect();
    assert_eq!(values, vec![1, 1440, 1, 100000, 1, 10000, 1, 10000, 30, 1000]);
    assert_eq!(stored(&s, &u).await, 1);
}

#[tokio::test]
async fn only_fitness_apps_with_the_switch_on_may_share() {
    let s = TestServer::spawn().await;
    let u = s.user("runner").await;
    let records = json!([{"typeId": 3001, "distance": 5000}]);
    for body in [
        json!({"name": "plain"}),
        json!({"name": "no switch", "category": CATEGORY_FITNESS}),
        json!({"name": "switch off", "category": CATEGORY_FITNESS, "werun_share": false}),
        json!({"name": "other category", "category": "体育-体育赛事", "werun_share": true}),
        json!({"name": "parent category", "category": "体育", "werun_share": true}),
        json!({"name": "no category", "werun_share": true}),
    ] {
        let app = s.create_app(body.clone()).await;
        assert_fails(
            &s,
            &u,
            json!({"appid": app.appid, "recordList": records, "confirm": true}),
            "has no permission",
        )
        .await;
    }
    let app = fitness_app(&s).await;
    check_in(&s, &u, &app, records).await;
    assert_fails(
        &s,
        &u,
        json!({"appid": "wx0000000000000000", "recordList": [{"typeId": 3001, "distance": 5}], "confirm": true}),
        "invalid appid",
    )
    .await;
}

#[tokio::test]
async fn cancel_stores_nothing() {
    let s = TestServer::spawn().await;
    let app = fitness_app(&s).await;
    let u = s.user("runner").await;
    let body = json!({"appid": app.appid, "recordList": [{"typeId": 3001, "distance": 5000}], "confirm": false});
    assert_fails(&s, &u, body.clone(), "cancel").await;
    // A cancelled call does not claim its idempotency key.
    let mut keyed = body;
    keyed["idempotencyKey"] = json!("k-1");
    assert_fails(&s, &u, keyed.clone(), "cancel").await;
    keyed["confirm"] = json!(true);
    let (_, v) = share(&s, &u, keyed).await;
    assert_eq!(v["errMsg"], "shareToWeRun:ok");
    assert_eq!(stored(&s, &u).await, 1);
}

#[tokio::test]
async fn malformed_requests_are_400_and_unauthenticated_401() {
    let s = TestServer::spawn().await;
    let app = fitness_app(&s).await;
    let u = s.user("runner").await;
    let records = json!([{"typeId": 3001, "distance": 5000}]);
    // confirm is the user's answer and must be given.
    let (status, v) = share(&s, &u, json!({"appid": app.appid, "recordList": records})).await;
    assert_eq!(status, 400);
    assert!(
        v["errMsg"]
            .as_str()
            .unwrap()
            .starts_with("shareToWeRun:fail invalid request"),
        "{v}"
    );
    let (status, v) = share(
        &s,
        &u,
        json!({"appid": app.appid, "recordList": records, "confirm": "yes"}),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    let (status, v) = s.post_raw(SHARE, Some(&u.token), b"{not json".to_vec()).await;
    assert_eq!(status, 400, "{v}");
    let (status, v) = s
        .post_json(
            SHARE,
            None,
            &json!({"appid": app.appid, "recordList": records, "confirm": true}),
        )
        .await;
    assert_eq!(status, 401, "{v}");
    assert!(
        v["errMsg"]
            .as_str()
            .unwrap()
            .starts_with("shareToWeRun:fail unauthorized")
    );
    let (status, _) = s
        .post_json(
            SHARE,
            Some("nope"),
            &json!({"appid": app.appid, "recordList": records, "confirm": true}),
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(stored(&s, &u).await, 0);
}

#[tokio::test]
async fn develop_and_trial_builds_succeed_are_stored_and_never_shown() {
    let s = TestServer::spawn().await;
    let app = fitness_app(&s).await;
    let u = s.user("runner").await;
    for env in ["develop", "trial"] {
        let (status, v) = share(
            &s,
            &u,
            json!({"appid": app.appid, "envVersion": env, "recordList": [{"typeId": 3001, "distance": 5000}], "confirm": true}),
        )
        .await;
        assert_eq!((status, v["errMsg"].as_str()), (200, Some("shareToWeRun:ok")), "{v}");
        assert_eq!(
            (v["envVersion"].as_str(), v["shown"].as_bool()),
            (Some(env), Some(false))
        );
    }
    let (_, v) = share(
        &s,
        &u,
        json!({"appid": app.appid, "envVersion": "release", "recordList": [{"typeId": 4001, "number": 50}], "confirm": true}),
    )
    .await;
    assert_eq!(
        (v["envVersion"].as_str(), v["shown"].as_bool()),
        (Some("release"), Some(true))
    );
    let rows = s.state.store.check_ins(UserId(u.user_id)).await.unwrap();
    let envs: Vec<(&str, bool)> = rows.iter().map(|r| (r.env.as_str(), r.shown)).collect();
    assert_eq!(envs, vec![("release", true), ("trial", false), ("develop", false)]);
    for bad in ["Release", "", "production"] {
        assert_fails(
            &s,
            &u,
            json!({"appid": app.appid, "envVersion": bad, "recordList": [{"typeId": 3001, "distance": 5}], "confirm": true}),
            "invalid envVersion: must be release, develop or trial",
        )
        .await;
    }
}

#[tokio::test]
async fn every_confirmed_call_is_recorded() {
    let s = TestServer::spawn().await;
    let app = fitness_app(&s).await;
    let u = s.user("runner").await;
    let records = json!([{"typeId": 3001, "distance": 5000}]);
    let a = check_in(&s, &u, &app, records.clone()).await;
    let b = check_in(&s, &u, &app, records).await;
    assert_ne!(a["checkInId"], b["checkInId"]);
    assert_eq!(stored(&s, &u).await, 2);
}

#[tokio::test]
async fn a_repeated_idempotency_key_answers_the_first_result() {
    let s = TestServer::spawn().await;
    let app = fitness_app(&s).await;
    let other_app = fitness_app(&s).await;
    let u = s.user("runner").await;
    let w = s.user("walker").await;
    let body = |appid: &str, key: &str, records: Value| json!({"appid": appid, "recordList": records, "confirm": true, "idempotencyKey": key});
    let first = share(
        &s,
        &u,
        body(&app.appid, "run-1", json!([{"typeId": 3001, "distance": 5000}])),
    )
    .await
    .1;
    assert_eq!(first["errMsg"], "shareToWeRun:ok");
    s.advance(120).await;
    // A retry, even with another payload, answers the first result unchanged and stores nothing.
    let again = share(
        &s,
        &u,
        body(&app.appid, "run-1", json!([{"typeId": 4001, "number": 9}])),
    )
    .await
    .1;
    assert_eq!(again, first);
    assert_eq!(stored(&s, &u).await, 1);
    // Keys are per user and app; another key is another check-in.
    let other = share(
        &s,
        &u,
        body(&other_app.appid, "run-1", json!([{"typeId": 3001, "distance": 1}])),
    )
    .await
    .1;
    assert_ne!(other["checkInId"], first["checkInId"]);
    let fresh = share(
        &s,
        &u,
        body(&app.appid, "run-2", json!([{"typeId": 3001, "distance": 1}])),
    )
    .await
    .1;
    assert_ne!(fresh["checkInId"], first["checkInId"]);
    assert_eq!(stored(&s, &u).await, 3);
    let theirs = share(
        &s,
        &w,
        body(&app.appid, "run-1", json!([{"typeId": 3001, "distance": 1}])),
    )
    .await
    .1;
    assert_eq!(theirs["errMsg"], "shareToWeRun:ok");
    assert_eq!(stored(&s, &w).await, 1);
    // Key shape.
    for bad in [String::new(), "x".repeat(129), "a\nb".to_owned()] {
        assert_fails(
            &s,
            &u,
            body(&app.appid, &bad, json!([{"typeId": 3001, "distance": 1}])),
            "invalid idempotencyKey: must be 1 to 128 characters without control characters",
        )
        .await;
    }
    let long = "键".repeat(128);
    let v = share(
        &s,
        &u,
        body(&app.appid, &long, json!([{"typeId": 3001, "distance": 1}])),
    )
    .await
    .1;
    assert_eq!(v["errMsg"], "shareToWeRun:ok");
}

#[tokio::test]
async fn concurrent_retries_on_two_nodes_store_one_check_in() {
    let s = TestServer::spawn().await;
    let node = s.spawn_node().await;
    let app = fitness_app(&s).await;
    let u = s.user("runner").await;
    let body = json!({"appid": app.appid, "recordList": [{"typeId": 3001, "distance": 42}], "confirm": true, "idempotencyKey": "once"});
    let mut calls = Vec::new();
    for i in 0..8 {
        let url = if i % 2 == 0 { s.url(SHARE) } else { node.url(SHARE) };
        let (http, token, body) = (s.http.clone(), u.token.clone(), body.clone());
        calls.push(tokio::spawn(async move {
            let res = http.post(url).bearer_auth(token).json(&body).send().await.unwrap();
            yundong_testkit::parse(res).await
        }));
    }
    let mut ids = Vec::new();
    for call in calls {
        let (status, v) = call.await.unwrap();
        assert_eq!((status, v["errMsg"].as_str()), (200, Some("shareToWeRun:ok")), "{v}");
        ids.push(v["checkInId"].as_i64().unwrap());
    }
    assert!(ids.iter().all(|&id| id == ids[0]), "{ids:?}");
    assert_eq!(stored(&s, &u).await, 1);
}

#[tokio::test]
async fn checks_answer_in_the_documented_order() {
    let s = TestServer::spawn().await;
    let fit = fitness_app(&s).await;
    let plain = s.app().await;
    let u = s.user("runner").await;
    let bad_records = json!([{"typeId": 4001, "distance": 1}]);
    // permission before envVersion, records and the dialog
    assert_fails(
        &s,
        &u,
        json!({"appid": plain.appid, "envVersion": "x", "recordList": bad_records, "confirm": false, "idempotencyKey": ""}),
        "has no permission",
    )
    .await;
    // envVersion before records
    assert_fails(
        &s,
        &u,
        json!({"appid": fit.appid, "envVersion": "x", "recordList": bad_records, "confirm": false}),
        "invalid envVersion: must be release, develop or trial",
    )
    .await;
    // records before the key and the dialog
    assert_fails(
        &s,
        &u,
        json!({"appid": fit.appid, "recordList": bad_records, "confirm": false, "idempotencyKey": ""}),
        "recordList[0].distance: 跳绳 (4001) takes number or calorie",
    )
    .await;
    // the key before the dialog
    assert_fails(
        &s,
        &u,
        json!({"appid": fit.appid, "recordList": [{"typeId": 4001, "number": 1}], "confirm": false, "idempotencyKey": ""}),
        "invalid idempotencyKey: must be 1 to 128 characters without control characters",
    )
    .await;
    // the dialog before the replay: cancelling a retry answers cancel
    let ok = json!({"appid": fit.appid, "recordList": [{"typeId": 4001, "number": 1}], "confirm": true, "idempotencyKey": "k"});
    assert_eq!(share(&s, &u, ok.clone()).await.1["errMsg"], "shareToWeRun:ok");
    let mut cancelled = ok;
    cancelled["confirm"] = json!(false);
    assert_fails(&s, &u, cancelled, "cancel").await;
}
