//! Fault rules (docs/API.md §3, faults): a matching call is answered with WeChat's error body (or the client API's
//! `errMsg`), delayed, or dropped, before its handler runs, so it changes nothing; `times` holds across nodes; a
//! seeded probability gives the same hits and misses on every run.

use serde_json::{Value, json};
use yundong_proto::faults::seeded_hit;
use yundong_testkit::{ADMIN_TOKEN, TestServer};

use crate::support::errcode;

pub async fn add_fault(s: &TestServer, rule: Value) -> Value {
    let (status, v) = s.post_json("/admin/v1/faults", Some(ADMIN_TOKEN), &rule).await;
    assert_eq!(status, 201, "{v}");
    v
}

async fn faults(s: &TestServer) -> Value {
    let (status, v) = s.http_get("/admin/v1/faults", Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 200, "{v}");
    v["faults"].clone()
}

async fn delete(s: &TestServer, path: &str) -> (u16, Value) {
    let res = s
        .http
        .delete(s.url(path))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    yundong_testkit::parse(res).await
}

fn token_path(app: &yundong_proto::admin::AppCreated) -> String {
    format!(
        "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        app.appid, app.secret
    )
}

/// The journal entries of this server, oldest first.
pub async fn journal(s: &TestServer, query: &str) -> Vec<Value> {
    let (status, v) = s
        .http_get(&format!("/admin/v1/requests?{query}"), Some(ADMIN_TOKEN))
        .await;
    assert_eq!(status, 200, "{v}");
    v["requests"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_faulted_jscode2session_does_not_consume_the_code() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let user = s.user("u").await;
    let rule = add_fault(&s, json!({"path": "/sns/jscode2session", "errcode": -1, "times": 1})).await;
    let fault_id = rule["fault_id"].as_str().unwrap().to_owned();
    assert_eq!(
        (
            rule["errcode"].as_i64(),
            rule["http_status"].as_i64(),
            rule["times"].as_i64()
        ),
        (Some(-1), Some(200), Some(1)),
        "{rule}"
    );
    let code = s.login_code(&user.token, &app.appid).await;
    let failed = s.code2session(&app, &code).await;
    assert_eq!(errcode(&failed), -1, "{failed}");
    let errmsg = failed["errmsg"].as_str().unwrap();
    assert!(
        errmsg.starts_with("system error, rid: "),
        "the /sns family's rid suffix: {errmsg}"
    );
    // The back end's retry succeeds with the same code: the faulted call never reached the handler.
    let ok = s.code2session(&app, &code).await;
    assert!(ok["session_key"].is_string(), "{ok}");
    let listed = faults(&s).await;
    assert_eq!(listed[0]["fault_id"], fault_id.as_str());
    assert_eq!(
        (listed[0]["hits"].as_i64(), listed[0]["remaining"].as_i64()),
        (Some(1), Some(0))
    );
    let calls = journal(&s, "path=/sns/jscode2session").await;
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0]["fault_id"], fault_id.as_str());
    assert_eq!(calls[0]["errcode"], -1);
    assert_eq!(calls[0]["appid"], app.appid.as_str());
    assert!(
        calls[0]["rid"].as_str().is_some_and(|r| errmsg.ends_with(r)),
        "{}",
        calls[0]
    );
    assert!(calls[1]["fault_id"].is_null());
}

#[tokio::test]
async fn errmsg_http_status_and_family_follow_the_rule() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    add_fault(
        &s,
        json!({"path": "/cgi-bin/token", "errcode": 45009, "http_status": 503, "times": 1}),
    )
    .await;
    let (status, v) = s.get_json(&token_path(&app)).await;
    assert_eq!((status, errcode(&v)), (503, 45009), "{v}");
    let errmsg = v["errmsg"].as_str().unwrap();
    assert!(
        errmsg.starts_with("reach max api daily quota limit rid: "),
        "catalog text, /cgi-bin form: {errmsg}"
    );
    add_fault(
        &s,
        json!({"path": "/cgi-bin/token", "errcode": 40164, "errmsg": "invalid ip 1.2.3.4", "times": 1}),
    )
    .await;
    let (status, v) = s.get_json(&token_path(&app)).await;
    assert_eq!((status, v["errcode"].as_i64()), (200, Some(40164)), "{v}");
    assert!(
        v["errmsg"].as_str().unwrap().starts_with("invalid ip 1.2.3.4 rid: "),
        "{v}"
    );
    let (_, v) = s.get_json(&token_path(&app)).await;
    assert!(v["access_token"].is_string(), "both rules used up: {v}");
}

#[tokio::test]
async fn appid_narrows_a_rule_to_one_app_however_the_call_names_it() {
    let s = TestServer::spawn().await;
    let (a, b) = (s.app().await, s.app().await);
    let token_a = s.access_token(&a).await;
    let token_b = s.access_token(&b).await;
    add_fault(
        &s,
        json!({"path": "/cgi-bin/token", "appid": a.appid, "errcode": 45011}),
    )
    .await;
    add_fault(
        &s,
        json!({"path": "/cgi-bin/openapi/quota/get", "appid": a.appid, "errcode": 40001}),
    )
    .await;
    assert_eq!(errcode(&s.get_json(&token_path(&a)).await.1), 45011);
    assert!(s.get_json(&token_path(&b)).await.1["access_token"].is_string());
    // By access_token: the app is the token's.
    let s = &s;
    let quota = |t: String| async move {
        s.post_json(
            &format!("/cgi-bin/openapi/quota/get?access_token={t}"),
            None,
            &json!({"cgi_path": "/cgi-bin/token"}),
        )
        .await
        .1
    };
    assert_eq!(errcode(&quota(token_a).await), 40001);
    assert_eq!(errcode(&quota(token_b).await), 0);
}

#[tokio::test]
async fn drop_closes_the_connection_without_an_answer() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let rule = add_fault(&s, json!({"path": "/cgi-bin/token", "drop": true, "times": 1})).await;
    let err = s
        .http
        .get(s.url(&token_path(&app)))
        .send()
        .await
        .expect_err("no answer");
    assert!(!err.is_timeout() && !err.is_status(), "{err:?}");
    assert!(s.get_json(&token_path(&app)).await.1["access_token"].is_string());
    let calls = journal(&s, "path=/cgi-bin/token").await;
    assert_eq!(
        (calls[0]["status"].as_i64(), &calls[0]["fault_id"]),
        (Some(0), &rule["fault_id"])
    );
    assert_eq!(calls[1]["status"], 200);
}

#[tokio::test]
async fn a_delay_alone_slows_the_call_which_is_then_served() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let rule = add_fault(&s, json!({"path": "/cgi-bin/token", "delay_ms": 400, "times": 1})).await;
    assert!(rule["errcode"].is_null(), "{rule}");
    let started = std::time::Instant::now();
    assert!(s.get_json(&token_path(&app)).await.1["access_token"].is_string());
    assert!(started.elapsed() >= std::time::Duration::from_millis(400));
    let calls = journal(&s, "path=/cgi-bin/token").await;
    assert_eq!(calls[0]["fault_id"], rule["fault_id"]);
    assert!(calls[0]["latency_ms"].as_i64().unwrap() >= 400, "{}", calls[0]);
}

#[tokio::test]
async fn a_seeded_probability_repeats_its_hits_and_misses() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let mut runs = Vec::new();
    for _ in 0..2 {
        let rule = add_fault(
            &s,
            json!({"path": "/cgi-bin/token", "errcode": -1, "probability": 0.5, "seed": 7}),
        )
        .await;
        let mut seen = Vec::new();
        for _ in 0..24 {
            seen.push(errcode(&s.get_json(&token_path(&app)).await.1) == -1);
        }
        let (status, _) = delete(&s, &format!("/admin/v1/faults/{}", rule["fault_id"].as_str().unwrap())).await;
        assert_eq!(status, 200);
        runs.push(seen);
    }
    assert_eq!(runs[0], runs[1], "the same seed, the same sequence");
    let expected: Vec<bool> = (1..=24).map(|n| seeded_hit(7, n, 0.5)).collect();
    assert_eq!(runs[0], expected);
    assert!(expected.contains(&true) && expected.contains(&false));
}

/// `times` is charged in the database: N hits across nodes, however the calls are spread and interleaved; a rule
/// added through one node answers the very next call on another.
#[tokio::test]
async fn times_fire_exactly_n_times_across_nodes() {
    let a = TestServer::spawn().await;
    let b = a.spawn_node().await;
    let app = a.app().await;
    assert!(
        b.get_json(&token_path(&app)).await.1["access_token"].is_string(),
        "b has read the (empty) rules"
    );
    add_fault(&a, json!({"path": "/cgi-bin/token", "errcode": 45009, "times": 5})).await;
    assert_eq!(
        errcode(&b.get_json(&token_path(&app)).await.1),
        45009,
        "b sees the new rule at once"
    );
    let path = token_path(&app);
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..24 {
        let node = if i % 2 == 0 { &a } else { &b };
        let (http, url) = (node.http.clone(), node.url(&path));
        calls.spawn(async move { errcode(&http.get(url).send().await.unwrap().json::<Value>().await.unwrap()) });
    }
    let codes = calls.join_all().await;
    assert_eq!(codes.iter().filter(|&&c| c == 45009).count(), 4, "{codes:?}");
    let listed = faults(&b).await;
    assert_eq!(
        (listed[0]["hits"].as_i64(), listed[0]["remaining"].as_i64()),
        (Some(5), Some(0))
    );
    // Removal through one node shows on the other at once.
    add_fault(&b, json!({"path": "/cgi-bin/token", "errcode": -1})).await;
    assert_eq!(errcode(&a.get_json(&path).await.1), -1);
    let (status, v) = delete(&b, "/admin/v1/faults").await;
    assert_eq!((status, v["removed"].as_u64()), (200, Some(2)), "{v}");
    assert!(a.get_json(&path).await.1["access_token"].is_string());
}

#[tokio::test]
async fn client_api_paths_fail_in_the_client_form_and_change_nothing() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let user = s.user("u").await;
    add_fault(&s, json!({"path": "/client/v1/steps", "errcode": -1, "times": 1})).await;
    add_fault(
        &s,
        json!({"path": "/client/v1/wx/getWeRunData", "errcode": 45011, "http_status": 503, "times": 1}),
    )
    .await;
    let v = s.steps(&user.token, 4321, None).await;
    assert_eq!(v, json!({"errMsg": "steps:fail system error"}));
    let (status, v) = s
        .post_json(
            "/client/v1/wx/getWeRunData",
            Some(&user.token),
            &json!({"appid": app.appid, "allow": true}),
        )
        .await;
    assert_eq!(status, 503);
    assert_eq!(
        v["errMsg"],
        "getWeRunData:fail api minute-quota reach limit mustslower retry next minute"
    );
    // The faulted upload stored nothing: today's total is the next upload's.
    s.steps(&user.token, 1000, None).await;
    let (_, detail) = s.http_get("/client/v1/werun/detail", Some(&user.token)).await;
    assert!(!detail.to_string().contains("4321"), "{detail}");
    // Faulted client calls are journaled even without --journal-client; the others are not.
    let calls = journal(&s, "").await;
    let client: Vec<_> = calls
        .iter()
        .filter(|c| c["path"].as_str().unwrap().starts_with("/client/"))
        .collect();
    assert_eq!(client.len(), 2, "{client:?}");
    assert!(client.iter().all(|c| c["fault_id"].is_string()));
    assert_eq!(client[1]["appid"], app.appid.as_str());
}

#[tokio::test]
async fn bad_rules_are_refused_and_nothing_is_stored() {
    let s = TestServer::spawn().await;
    for bad in [
        json!({"path": "/admin/v1/apps"}),
        json!({"path": "/sns/no/such/path"}),
        json!({"path": "/sns/jscode2session", "delay_ms": 30001}),
        json!({"path": "/sns/jscode2session", "probability": -0.1}),
        json!({"path": "/sns/jscode2session", "times": 0}),
        json!({"path": "/sns/jscode2session", "drop": true, "errcode": -1}),
        json!({"path": "/sns/jscode2session", "errcode": 99999}),
        json!({"path": "/sns/jscode2session", "unknown": 1}),
        json!({"errcode": -1}),
    ] {
        let (status, v) = s.post_json("/admin/v1/faults", Some(ADMIN_TOKEN), &bad).await;
        assert_eq!(
            (status, v["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "{bad}: {v}"
        );
    }
    assert_eq!(faults(&s).await, json!([]));
    let (status, _) = s
        .post_json("/admin/v1/faults", None, &json!({"path": "/sns/jscode2session"}))
        .await;
    assert_eq!(status, 401);
    assert_eq!(delete(&s, "/admin/v1/faults/f999").await.0, 404);
    assert_eq!(delete(&s, "/admin/v1/faults/999").await.0, 400);
    let (_, doc) = s.get_json("/openapi.json").await;
    for p in [
        "/admin/v1/faults",
        "/admin/v1/faults/{fault_id}",
        "/admin/v1/requests",
        "/admin/v1/requests/stream",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} documented");
    }
}
