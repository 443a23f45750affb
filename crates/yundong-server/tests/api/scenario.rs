//! Scenario files (issue 13): applied over the admin API with fixed credentials that then work, idempotent (same
//! state, same ids), exported byte for byte back, documented by a JSON Schema that the shipped examples and every
//! export satisfy, and refused with a clear error (changing nothing) when a credential is malformed or collides.

use serde_json::{Value, json};
use yundong_testkit::{ADMIN_TOKEN, TestServer};

use crate::support::errcode;

pub const SMALL: &str = include_str!("../../../../scenarios/small.yaml");
pub const DEMO: &str = include_str!("../../../../scenarios/demo.yaml");
pub const APPID: &str = "wx0123456789abcdef";
pub const SECRET: &str = "0123456789abcdef0123456789abcdef";
pub const MING: &str = "ydu_ming_0123456789abcdefghijklmnopqrstuv";
pub const HONG: &str = "ydu_hong_0123456789abcdefghijklmnopqrstuv";

/// POST a scenario file (text); the status and JSON answer.
pub async fn apply(s: &TestServer, text: &str) -> (u16, Value) {
    let res = s
        .http
        .post(s.url("/admin/v1/scenario"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/yaml")
        .body(text.to_owned())
        .send()
        .await
        .unwrap();
    yundong_testkit::parse(res).await
}

pub async fn apply_ok(s: &TestServer, text: &str) -> Value {
    let (status, v) = apply(s, text).await;
    assert_eq!(status, 200, "{v}");
    v
}

/// The export as YAML text.
pub async fn export_yaml(s: &TestServer) -> String {
    let res = s
        .http
        .get(s.url("/admin/v1/scenario?format=yaml"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/yaml")
    );
    res.text().await.unwrap()
}

pub async fn export_json(s: &TestServer) -> Value {
    let (status, v) = s.http_get("/admin/v1/scenario", Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 200, "{v}");
    v
}

/// A client GET with a user's token.
pub async fn client_get(s: &TestServer, token: &str, path: &str) -> (u16, Value) {
    let res = s.http.get(s.url(path)).bearer_auth(token).send().await.unwrap();
    yundong_testkit::parse(res).await
}

/// `(user_id, steps)` of today's ranking rows as `token` sees them.
pub async fn ranking(s: &TestServer, token: &str) -> Vec<(i64, i64)> {
    let (status, v) = client_get(s, token, "/client/v1/werun/ranking").await;
    assert_eq!(status, 200, "{v}");
    v["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["user_id"].as_i64().unwrap(), r["steps"].as_i64().unwrap()))
        .collect()
}

async fn user_count(s: &TestServer) -> i64 {
    s.state.store.user_count().await.unwrap()
}

#[tokio::test]
async fn fixed_credentials_of_a_scenario_work_on_every_surface() {
    let s = TestServer::spawn().await;
    let v = apply_ok(&s, SMALL).await;
    assert_eq!(v["apps"][0]["created"], true);
    assert!(
        v["apps"][0].get("secret").is_none(),
        "a fixed secret is not echoed: {v}"
    );
    assert_eq!(
        v["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["user_id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    // The app's fixed secret works at /cgi-bin/token and jscode2session; ming's fixed token signs in.
    let (_, t) = s
        .get_json(&format!(
            "/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}"
        ))
        .await;
    assert!(t["access_token"].is_string(), "{t}");
    let code = s.login_code(MING, APPID).await;
    let session = s
        .get_json(&format!(
            "/sns/jscode2session?appid={APPID}&secret={SECRET}&js_code={code}&grant_type=authorization_code"
        ))
        .await
        .1;
    assert_eq!(errcode(&session), 0, "{session}");
    // The world is as described: ming sees hong (9100) and himself (8000) today; gang left the ranking.
    let rows = ranking(&s, MING).await;
    assert_eq!(rows, vec![(2, 9100), (1, 8000)], "{rows:?}");
    // getWeRunData with the fixed grant: today's 8000 steps, under the session's key.
    let data = s.werun(MING, APPID).await;
    assert_eq!(data["errMsg"], "getWeRunData:ok", "{data}");
    let key = session["session_key"].as_str().unwrap();
    let plain = crate::support::decrypt_answer(key, &data);
    let list = plain["stepInfoList"].as_array().unwrap();
    assert_eq!(list.last().unwrap()["step"], 8000, "{plain}");
    assert_eq!(list[list.len() - 2]["step"], 12000);
}

#[tokio::test]
async fn applying_twice_gives_the_same_state_and_ids() {
    let s = TestServer::spawn().await;
    let first = apply_ok(&s, SMALL).await;
    let before = export_json(&s).await;
    let second = apply_ok(&s, SMALL).await;
    assert_eq!(export_json(&s).await, before);
    assert_eq!(second["check_ins_added"], 0);
    for (a, b) in first["users"]
        .as_array()
        .unwrap()
        .iter()
        .zip(second["users"].as_array().unwrap())
    {
        assert_eq!(a["user_id"], b["user_id"]);
        assert_eq!(b["created"], false);
    }
    assert_eq!(second["apps"][0]["created"], false);
    assert_eq!(user_count(&s).await, 3);
    // The demo world too, including its generated credentials: kept, not replaced.
    let d1 = apply_ok(&s, DEMO).await;
    let tokens: Vec<&Value> = d1["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u.get("token").is_some())
        .collect();
    assert_eq!(tokens.len(), 27, "users without a fixed token get one, shown once");
    let token = tokens[0]["token"].as_str().unwrap().to_owned();
    let d2 = apply_ok(&s, DEMO).await;
    assert!(d2["users"].as_array().unwrap().iter().all(|u| u.get("token").is_none()));
    assert_eq!(
        d1["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| &u["user_id"])
            .collect::<Vec<_>>(),
        d2["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| &u["user_id"])
            .collect::<Vec<_>>()
    );
    let (status, _) = client_get(&s, &token, "/client/v1/werun/ranking").await;
    assert_eq!(status, 200, "the token generated by the first apply still works");
}

#[tokio::test]
async fn export_then_apply_on_an_empty_database_then_export_gives_the_same_file() {
    let a = TestServer::spawn().await;
    apply_ok(&a, DEMO).await;
    // Data made outside any scenario is exported too (its users get keys user<id>).
    let extra = a.user("路人").await;
    a.befriend(extra.user_id, 1).await;
    a.steps(&extra.token, 4321, None).await;
    let first = export_yaml(&a).await;
    assert!(
        first.contains("key: user31") && first.contains("steps: 4321"),
        "{first}"
    );
    let body: Vec<&str> = first.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(
        body.iter().all(|l| !l.contains("secret:") && !l.contains("token:")),
        "no credential is exported"
    );
    let b = TestServer::spawn().await;
    apply_ok(&b, &first).await;
    let second = export_yaml(&b).await;
    assert_eq!(first, second, "export -> apply -> export is byte-identical");
    // JSON export (the default) is the same world.
    let parsed: Value = serde_yaml_ng::from_str(&first).unwrap();
    assert_eq!(export_json(&b).await, parsed);
}

#[tokio::test]
async fn the_schema_validates_the_shipped_examples_and_exports_and_refuses_typos() {
    let s = TestServer::spawn().await;
    let (status, schema) = s.http_get("/admin/v1/scenario/schema", Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 200);
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    for (name, text) in [("small.yaml", SMALL), ("demo.yaml", DEMO)] {
        let doc: Value = serde_yaml_ng::from_str(text).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    apply_ok(&s, DEMO).await;
    let exported = export_json(&s).await;
    assert!(
        validator.is_valid(&exported),
        "{:?}",
        validator.iter_errors(&exported).next().map(|e| e.to_string())
    );
    // A typo is refused by the schema and by the server alike.
    let typo = SMALL.replace("join_ranking: false", "join_rankng: false");
    let doc: Value = serde_yaml_ng::from_str(&typo).unwrap();
    assert!(!validator.is_valid(&doc));
    let s2 = TestServer::spawn().await;
    let (status, v) = apply(&s2, &typo).await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("join_rankng"), "{v}");
    // The schema needs the admin token like the rest of the admin API.
    let (status, _) = s.http_get("/admin/v1/scenario/schema", None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn malformed_credentials_are_refused_with_a_clear_error_and_change_nothing() {
    let s = TestServer::spawn().await;
    let cases = [
        (
            SMALL.replace("appid: wx0123456789abcdef\n", "appid: wx0123\n"),
            "appid must be wx + 16",
        ),
        (
            SMALL.replace(SECRET, "0123456789ABCDEF0123456789ABCDEF"),
            "secret must be 32 lowercase hex",
        ),
        (
            SMALL.replace("gh_0123456789ab", "gh_0123"),
            "original_id must be gh_ + 12",
        ),
        (SMALL.replace(MING, "short"), "token must be 32 to 128 URL-safe"),
        (SMALL.replace(HONG, MING), "is another user's too"),
        (
            SMALL.replace("[[ming, hong], [ming, gang]", "[[ming, nobody], [ming, gang]"),
            "no user with key \"nobody\"",
        ),
        (
            SMALL.replace("days_ago: 3, steps: 10400", "days_ago: 3, steps: 100000"),
            "steps must be 0 to 98800",
        ),
        (SMALL.replace("distance: 5000", "distance: 0"), "recordList[0].distance"),
        (
            SMALL.replace("chats: [[ming, hong]]", "chats: [[ming, ming]]"),
            "only friends have a direct chat",
        ),
        ("apps: {}".to_owned(), "not a scenario file"),
        ("{\"users\": [{\"key\": \"a\"}]}".to_owned(), "missing field `nickname`"),
    ];
    for (text, expected) in cases {
        let (status, v) = apply(&s, &text).await;
        assert_eq!(status, 400, "{expected}: {v}");
        assert_eq!(v["error"]["code"], "invalid_request");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{expected:?} not in {message:?}");
    }
    assert_eq!(user_count(&s).await, 0);
    assert!(s.state.store.list_apps().await.unwrap().is_empty());
}

#[tokio::test]
async fn credentials_that_collide_with_other_data_are_refused_and_the_apply_changes_nothing() {
    let s = TestServer::spawn().await;
    apply_ok(&s, SMALL).await;
    let before = export_json(&s).await;
    // The appid exists with another secret.
    let other_secret = SMALL.replace(SECRET, "fedcba9876543210fedcba9876543210");
    let (status, v) = apply(&s, &other_secret).await;
    assert_eq!(status, 400);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("exists with a different secret"),
        "{v}"
    );
    // A user's token belongs to a user made through the admin API.
    let stranger = s.user("陌生人").await;
    let stolen = SMALL
        .replace(MING, &stranger.token)
        .replace("nickname: 小明", "nickname: 小明二");
    let (status, v) = apply(&s, &stolen).await;
    assert_eq!(status, 400);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("belongs to another user"),
        "{v}"
    );
    // Another app already has the original id; the first app of this file is not created either (all or nothing).
    let clash = "apps:\n  - {appid: wx1111111111111111, name: 新应用}\n  - {appid: wx2222222222222222, name: 撞号, original_id: gh_0123456789ab}\n";
    let (status, v) = apply(&s, clash).await;
    assert_eq!(status, 400);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("belongs to another app"),
        "{v}"
    );
    let mut after = export_json(&s).await;
    // The stranger (user 4) is the only difference: made by the admin API above.
    after["users"].as_array_mut().unwrap().retain(|u| u["key"] != "user4");
    assert_eq!(after, before);
    // Nickname changes of an existing user are applied (users are found by key, not recreated).
    let renamed = apply_ok(&s, &SMALL.replace("nickname: 小明", "nickname: 明明")).await;
    assert_eq!(renamed["users"][0]["user_id"], 1);
    assert_eq!(export_json(&s).await["users"][0]["nickname"], "明明");
}

#[tokio::test]
async fn the_scenario_endpoints_need_the_admin_token_and_are_in_the_openapi_document() {
    let s = TestServer::spawn().await;
    let res = s
        .http
        .post(s.url("/admin/v1/scenario"))
        .body(SMALL)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(user_count(&s).await, 0);
    let (_, doc) = s.get_json("/openapi.json").await;
    for path in [
        "/admin/v1/scenario",
        "/admin/v1/scenario/schema",
        "/admin/v1/reset",
        "/admin/v1/clock/set",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} in /openapi.json");
    }
    let (status, v) = s.http_get("/admin/v1/scenario?format=xml", Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 400, "{v}");
    let (status, v) = apply(&s, "\u{0}\u{1}: [").await;
    assert_eq!(status, 400, "{v}");
    // A file of up to 32 MiB is read (far above the API's 64 KiB); beyond, a 413 in the admin format.
    let (status, v) = apply(&s, &format!("# {}\n", "x".repeat(100 * 1024))).await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = apply(&s, &"#".repeat(33 << 20)).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (413, Some("payload_too_large")),
        "{v}"
    );
    let _ = json!({});
}
