//! The request journal and `/cgi-bin/openapi/rid/get` (docs/WECHAT.md §12): every rid handed out can
//! be looked up by its app for 7 days, secrets masked; the journal is bounded by age and by size.

use serde_json::{Value, json};
use yundong_proto::crypto::session_signature;
use yundong_proto::errcode::ErrCode;
use yundong_testkit::{TestServer, test_config};

use crate::support::{errcode, rid_of};

async fn rid_get(s: &TestServer, token: &str, rid: &str) -> Value {
    s.post_json(
        &format!("/cgi-bin/openapi/rid/get?access_token={token}"),
        None,
        &json!({"rid": rid}),
    )
    .await
    .1
}

#[tokio::test]
async fn rid_get_answers_the_call_with_secrets_masked() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let token = s.access_token(&app).await;
    let before = s.state.now();
    let path = format!(
        "/sns/jscode2session?appid={}&secret={}&js_code=some-code-123&grant_type=authorization_code",
        app.appid, app.secret
    );
    let failed = s.get_json(&path).await.1;
    assert_eq!(errcode(&failed), 40029);
    let rid = rid_of(&failed);
    let v = rid_get(&s, &token, &rid).await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert_eq!(v["errmsg"], "ok");
    let r = &v["request"];
    let invoke = r["invoke_time"].as_i64().unwrap();
    assert!((before..=before + 5).contains(&invoke), "{r}");
    assert!(r["cost_in_ms"].as_i64().unwrap() >= 0);
    assert_eq!(
        r["request_url"],
        format!(
            "appid={}&secret=***&js_code=***&grant_type=authorization_code",
            app.appid
        )
    );
    assert_eq!(r["request_body"], "");
    let answered: Value = serde_json::from_str(r["response_body"].as_str().unwrap()).unwrap();
    assert_eq!(answered, failed, "the response body as answered");
    assert_eq!(r["client_ip"], "127.0.0.1");
    let text = v.to_string();
    assert!(!text.contains(&app.secret) && !text.contains("some-code-123"), "{text}");
}

/// No secret of any kind is stored in clear, whatever the API and wherever it was sent (query, JSON body, answer).
#[tokio::test]
async fn no_secret_reaches_the_journal() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let user = s.user("u").await;
    let token = s.access_token(&app).await;
    let code = s.login_code(&user.token, &app.appid).await;
    let session = s.code2session(&app, &code).await;
    let key = session["session_key"].as_str().unwrap().to_owned();
    let openid = session["openid"].as_str().unwrap().to_owned();
    let sig = session_signature(&key);
    let stable = s
        .post_json(
            "/cgi-bin/stable_token",
            None,
            &json!({"grant_type": "client_credential", "appid": app.appid, "secret": app.secret}),
        )
        .await
        .1;
    let stable_token = stable["access_token"].as_str().unwrap().to_owned();
    let reset = s
        .get_json(&format!(
            "/wxa/resetusersessionkey?access_token={token}&openid={openid}&signature={sig}&sig_method=hmac_sha256"
        ))
        .await
        .1;
    let new_key = reset["session_key"].as_str().unwrap().to_owned();
    // A form body carrying a secret to a GET-style API (ignored by the API, still journaled masked).
    s.post_raw(
        "/cgi-bin/token",
        None,
        format!("appid={}&secret={}", app.appid, app.secret).into_bytes(),
    )
    .await;
    s.state.journal.flush().await;
    let rows = s.state.store.journal_after(0, 1_000).await.unwrap();
    assert!(rows.len() >= 5, "{}", rows.len());
    let secrets = [&app.secret, &token, &code, &key, &sig, &stable_token, &new_key];
    for row in &rows {
        let e = &row.entry;
        for text in [&e.query, &e.body, &e.response] {
            for secret in secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "a secret in {} {}: {text}",
                    e.method,
                    e.path
                );
            }
        }
    }
    let token_row = rows
        .iter()
        .find(|r| r.entry.path == "/cgi-bin/token" && r.entry.method == "GET")
        .unwrap();
    assert!(
        token_row.entry.response.contains(r#""access_token":"***""#),
        "{}",
        token_row.entry.response
    );
    assert_eq!(token_row.entry.appid.as_deref(), Some(app.appid.as_str()));
}

#[tokio::test]
async fn rids_are_kept_seven_days_and_only_their_app_reads_them() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let other = s.app().await;
    let v = s.get_json(&format!("/cgi-bin/token?appid={}", app.appid)).await.1;
    let rid = rid_of(&v);
    // Another app may not read it.
    let their_token = s.access_token(&other).await;
    assert_eq!(
        errcode(&rid_get(&s, &their_token, &rid).await),
        ErrCode::RidNoPermission.code() as i64
    );
    // A call no app could be told for (an unknown token) can be read by any app.
    let orphan = rid_of(&s.get_json("/wxa/checksession?access_token=86_unknown").await.1);
    assert_eq!(errcode(&rid_get(&s, &their_token, &orphan).await), 0);
    // 7 days later it is still there (tokens are refreshed as a back end would).
    s.advance(7 * 86_400 - 10).await;
    let token = s.access_token(&app).await;
    assert_eq!(errcode(&rid_get(&s, &token, &rid).await), 0);
    s.advance(11).await;
    assert_eq!(
        errcode(&rid_get(&s, &token, &rid).await),
        ErrCode::RidNotFound.code() as i64
    );
}

#[tokio::test]
async fn the_journal_keeps_its_size_cap() {
    let s = TestServer::spawn_with(yundong_server::Config {
        journal_size: 5,
        ..test_config()
    })
    .await;
    let app = s.app().await;
    let token = s.access_token(&app).await;
    let mut rids = Vec::new();
    for _ in 0..20 {
        rids.push(rid_of(&s.get_json("/cgi-bin/token?appid=wx0000000000000000").await.1));
    }
    assert_eq!(
        errcode(&rid_get(&s, &token, &rids[0]).await),
        ErrCode::RidNotFound.code() as i64
    );
    assert_eq!(errcode(&rid_get(&s, &token, &rids[19]).await), 0);
    s.state.journal.flush().await;
    let kept = s.state.store.journal_after(0, 1_000).await.unwrap();
    assert!(kept.len() <= 5, "{} rows", kept.len());
}

#[tokio::test]
async fn a_journal_of_size_zero_records_nothing() {
    let s = TestServer::spawn_with(yundong_server::Config {
        journal_size: 0,
        ..test_config()
    })
    .await;
    let app = s.app().await;
    let token = s.access_token(&app).await;
    let v = s.get_json("/cgi-bin/token?appid=wx0000000000000000").await.1;
    assert_eq!(errcode(&v), 40013, "the family's form still applies: {v}");
    assert_eq!(
        errcode(&rid_get(&s, &token, &rid_of(&v)).await),
        ErrCode::RidNotFound.code() as i64
    );
    let v = s
        .get_json("/sns/jscode2session?appid=wx0000000000000000&secret=x&js_code=y")
        .await
        .1;
    assert!(v["errmsg"].as_str().unwrap().contains(", rid: "), "{v}");
    assert!(s.state.store.journal_after(0, 10).await.unwrap().is_empty());
}

/// The journal is one table for the deployment: a rid handed out by one node is found through another.
#[tokio::test]
async fn rids_are_found_across_nodes() {
    let a = TestServer::spawn().await;
    let b = a.spawn_node().await;
    let app = a.app().await;
    let v = a.get_json(&format!("/cgi-bin/token?appid={}", app.appid)).await.1;
    let rid = rid_of(&v);
    let token = b.access_token(&app).await;
    // Node a writes its batch off the request path: give it a moment, as a developer reading their logs would.
    let mut found = Value::Null;
    for _ in 0..50 {
        found = rid_get(&b, &token, &rid).await;
        if errcode(&found) == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(errcode(&found), 0, "{found}");
    assert_eq!(found["request"]["request_url"], format!("appid={}", app.appid));
}

/// A burst stores every entry, in batches of any size (the store writes them in statements of 64, 16, 4 and 1 rows).
#[tokio::test]
async fn a_burst_is_journaled_whole() {
    let s = TestServer::spawn().await;
    let tasks: Vec<_> = (0..300)
        .map(|_| {
            let (http, url) = (s.http.clone(), s.url("/cgi-bin/token?appid=wx0000000000000000"));
            tokio::spawn(async move { http.get(url).send().await.unwrap().json::<Value>().await.unwrap() })
        })
        .collect();
    let mut rids = Vec::new();
    for t in tasks {
        rids.push(rid_of(&t.await.unwrap()));
    }
    s.state.journal.flush().await;
    let rows = s.state.store.journal_after(0, 10_000).await.unwrap();
    let mut stored: Vec<String> = rows.iter().filter_map(|r| r.entry.rid.clone()).collect();
    rids.sort();
    stored.sort();
    assert_eq!(stored, rids, "every answered rid is stored once");
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids ascend");
    assert!(
        rows.iter()
            .all(|r| r.entry.errcode == Some(40013) && r.entry.status == 200)
    );
}

/// Pruning by age drops the rows older than the bound (the oldest ids), keeps the rest, and then the size cap keeps
/// the newest rows.
#[tokio::test]
async fn pruning_drops_rows_past_the_age_bound_then_past_the_cap() {
    let s = TestServer::spawn().await;
    let store = &s.state.store;
    store.clear_journal().await.unwrap();
    // Within the last day, so the node's own janitor (7 days) leaves them alone.
    let base = s.state.now() - 1_000;
    let entry = |at: i64| yundong_store::JournalEntry {
        at: base + at,
        method: "GET".into(),
        path: "/cgi-bin/token".into(),
        ..Default::default()
    };
    store
        .append_journal(&[100, 200, 300, 400, 500].map(entry))
        .await
        .unwrap();
    let ats = || async {
        let rows = store.journal_after(0, 100).await.unwrap();
        rows.into_iter().map(|r| r.entry.at - base).collect::<Vec<_>>()
    };
    assert_eq!(store.prune_journal(base + 250, 100).await.unwrap(), 2);
    assert_eq!(ats().await, [300, 400, 500]);
    assert_eq!(
        store.prune_journal(base + 250, 100).await.unwrap(),
        0,
        "nothing more is old"
    );
    assert_eq!(store.prune_journal(base + 250, 1).await.unwrap(), 2);
    assert_eq!(ats().await, [500]);
    assert_eq!(store.prune_journal(base + 1_000, 100).await.unwrap(), 1, "all too old");
    assert!(ats().await.is_empty());
}
