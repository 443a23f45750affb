//! The admin journal (docs/API.md §3, request journal): `GET /admin/v1/requests` reads "what happened since" an id,
//! filtered, secrets masked; `DELETE` empties it; the SSE stream carries calls answered by any node;
//! `--journal-client` adds client API calls.

use std::time::Duration;

use serde_json::{Value, json};
use yundong_testkit::{ADMIN_TOKEN, TestServer, test_config};

use crate::faults::journal;
use crate::support::errcode;

#[tokio::test]
async fn requests_since_an_id_filtered_oldest_first_secrets_masked() {
    let s = TestServer::spawn().await;
    let (a, b) = (s.app().await, s.app().await);
    let user = s.user("u").await;
    let (_, session_key) = s.session(&a, &user).await;
    let token_b = s.access_token(&b).await;
    let bad = s
        .get_json(&format!(
            "/sns/jscode2session?appid={}&secret={}&js_code=nope-123&grant_type=authorization_code",
            a.appid, a.secret
        ))
        .await
        .1;
    assert_eq!(errcode(&bad), 40029);

    let all = journal(&s, "").await;
    assert_eq!(all.len(), 3, "{all:?}");
    let ids: Vec<i64> = all.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first: {ids:?}");
    let first = &all[0];
    for field in [
        "id",
        "at",
        "method",
        "path",
        "appid",
        "query",
        "body",
        "status",
        "errcode",
        "errmsg",
        "rid",
        "latency_ms",
        "fault_id",
        "response",
    ] {
        assert!(first.get(field).is_some(), "{field} in {first}");
    }
    assert_eq!(
        (first["method"].as_str(), first["path"].as_str()),
        (Some("GET"), Some("/sns/jscode2session"))
    );
    assert_eq!(first["appid"], a.appid.as_str());
    assert!(
        first["query"].as_str().unwrap().contains("secret=***&js_code=***"),
        "{first}"
    );
    let text = serde_json::to_string(&all).unwrap();
    for secret in [&a.secret, &b.secret, &session_key, &token_b, &"nope-123".to_owned()] {
        assert!(!text.contains(secret.as_str()), "{secret} leaked: {text}");
    }
    assert!(
        first["response"].as_str().unwrap().contains(r#""session_key":"***""#),
        "{first}"
    );

    // Since an id; filters; limit.
    let since = journal(&s, &format!("after={}", ids[0])).await;
    assert_eq!(since.len(), 2);
    assert_eq!(journal(&s, &format!("appid={}", b.appid)).await.len(), 1);
    let failed = journal(&s, "errcode=40029").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["rid"].as_str(), Some(crate::support::rid_of(&bad).as_str()));
    assert_eq!(journal(&s, "path=/cgi-bin/token").await.len(), 1);
    assert_eq!(journal(&s, "limit=1").await[0]["id"].as_i64(), Some(ids[0]));
    for bad in ["limit=0", "limit=1001", "after=x"] {
        let (status, v) = s
            .http_get(&format!("/admin/v1/requests?{bad}"), Some(ADMIN_TOKEN))
            .await;
        assert_eq!(status, 400, "{bad}: {v}");
    }
    assert_eq!(s.http_get("/admin/v1/requests", None).await.0, 401);

    // DELETE empties it (and rid/get forgets).
    let res = s
        .http
        .delete(s.url("/admin/v1/requests"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(journal(&s, "").await, Vec::<Value>::new());
}

#[tokio::test]
async fn client_calls_are_journaled_with_journal_client_only() {
    let off = TestServer::spawn().await;
    let on = TestServer::spawn_with(yundong_server::Config {
        journal_client: true,
        ..test_config()
    })
    .await;
    for s in [&off, &on] {
        let app = s.app().await;
        let user = s.user("u").await;
        s.session(&app, &user).await;
        s.steps(&user.token, 1234, None).await;
        let v = s.werun(&user.token, &app.appid).await;
        assert!(v["encryptedData"].is_string(), "{v}");
    }
    let client = |calls: Vec<Value>| -> Vec<Value> {
        calls
            .into_iter()
            .filter(|c| c["path"].as_str().unwrap().starts_with("/client/"))
            .collect()
    };
    assert_eq!(journal(&off, "").await.len(), 1, "only jscode2session");
    assert!(client(journal(&off, "").await).is_empty());
    let calls = client(journal(&on, "").await);
    let paths: Vec<&str> = calls.iter().map(|c| c["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        ["/client/v1/wx/login", "/client/v1/steps", "/client/v1/wx/getWeRunData"]
    );
    assert!(
        calls[0]["response"].as_str().unwrap().contains(r#""code":"***""#),
        "{}",
        calls[0]
    );
    let werun = &calls[2];
    assert_eq!(werun["status"], 200);
    assert!(werun["appid"].is_string());
    let response = werun["response"].as_str().unwrap();
    assert!(
        response.contains(r#""encryptedData":"***""#),
        "encrypted payloads are masked: {response}"
    );
}

/// Read SSE events from `res` until one names `path`: its data.
async fn next_event_for(res: &mut reqwest::Response, path: &str) -> Value {
    let mut buf = String::new();
    loop {
        let chunk = tokio::time::timeout(Duration::from_secs(10), res.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("the stream stays open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if !event.contains("event: request") {
                continue;
            }
            let data = event.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
            let v: Value = serde_json::from_str(data).unwrap();
            let id = event.lines().find_map(|l| l.strip_prefix("id: ")).unwrap();
            assert_eq!(v["id"].to_string(), id);
            if v["path"] == path {
                return v;
            }
        }
    }
}

#[tokio::test]
async fn the_stream_carries_calls_answered_by_any_node() {
    let a = TestServer::spawn().await;
    let b = a.spawn_node().await;
    let app = a.app().await;
    a.access_token(&app).await;
    let mut res = a
        .http
        .get(a.url("/admin/v1/requests/stream"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    // Only calls from now on: the earlier /cgi-bin/token is not replayed. A call through the other node arrives.
    let (_, v) = b
        .post_json(
            &format!("/cgi-bin/openapi/quota/get?access_token={}", "bad"),
            None,
            &json!({"cgi_path": "/cgi-bin/token"}),
        )
        .await;
    assert_eq!(errcode(&v), 40001);
    let event = next_event_for(&mut res, "/cgi-bin/openapi/quota/get").await;
    assert_eq!(event["errcode"], 40001);
    assert_eq!(event["query"], "access_token=***");
    // Resuming after an id replays what followed it.
    let first = journal(&a, "").await[0]["id"].as_i64().unwrap();
    let mut again = a
        .http
        .get(a.url(&format!(
            "/admin/v1/requests/stream?after={first}&path=/cgi-bin/openapi/quota/get"
        )))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        next_event_for(&mut again, "/cgi-bin/openapi/quota/get").await["id"],
        event["id"]
    );
    let (status, _) = a.http_get("/admin/v1/requests/stream", None).await;
    assert_eq!(status, 401);
}
