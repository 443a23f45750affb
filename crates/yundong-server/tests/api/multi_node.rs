//! Several `yundong serve` nodes on one database behave as one server (issue 6): a code is exchanged at most once
//! across nodes, rate limits count across nodes, tokens supersede across nodes, one stable token at a time, and a
//! step written through one node is read through another. On SQLite the nodes share one file; on PostgreSQL, one
//! database.

use std::sync::Arc;

use serde_json::json;
use yundong_testkit::TestServer;

use crate::support::{decrypt_answer, errcode};

async fn nodes(n: usize) -> Vec<Arc<TestServer>> {
    let first = TestServer::spawn().await;
    let mut all = Vec::new();
    for _ in 1..n {
        all.push(Arc::new(first.spawn_node().await));
    }
    all.insert(0, Arc::new(first));
    all
}

#[tokio::test]
async fn a_code_is_exchanged_once_across_nodes() {
    let ns = nodes(3).await;
    let app = Arc::new(ns[0].app().await);
    let user = ns[0].user("u").await;
    for round in 0..5 {
        let code = ns[round % 3].login_code(&user.token, &app.appid).await;
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let (node, app, code) = (ns[i % 3].clone(), app.clone(), code.clone());
                tokio::spawn(async move { errcode(&node.code2session(&app, &code).await) })
            })
            .collect();
        let mut codes = Vec::new();
        for t in tasks {
            codes.push(t.await.unwrap());
        }
        assert_eq!(codes.iter().filter(|&&c| c == 0).count(), 1, "round {round}: {codes:?}");
        assert!(codes.iter().all(|&c| c == 0 || c == 40163), "{codes:?}");
    }
}

#[tokio::test]
async fn the_exchange_rate_limit_counts_across_nodes() {
    let ns = nodes(2).await;
    let app = ns[0].app().await;
    let user = ns[0].user("u").await;
    let now = ns[0].state.now();
    let to_next_minute = 60 - now.rem_euclid(60);
    // One clock for the deployment: moved once, through one node, both follow.
    ns[1].advance(to_next_minute).await;
    for i in 0..100 {
        let node = &ns[i % 2];
        let code = node.login_code(&user.token, &app.appid).await;
        assert_eq!(errcode(&node.code2session(&app, &code).await), 0, "exchange {i}");
    }
    for node in &ns {
        let code = node.login_code(&user.token, &app.appid).await;
        assert_eq!(errcode(&node.code2session(&app, &code).await), 45011);
    }
}

#[tokio::test]
async fn tokens_supersede_across_nodes_and_stable_is_one_token() {
    let ns = nodes(2).await;
    let app = Arc::new(ns[0].app().await);
    let t1 = ns[0].access_token(&app).await;
    let _t2 = ns[1].access_token(&app).await;
    let check = |node: &TestServer, t: &str| {
        format!(
            "{}/wxa/checksession?access_token={t}&openid=oX&signature=x&sig_method=hmac_sha256",
            node.base
        )
    };
    ns[0].advance(301).await;
    for n in &ns {
        let v = n.http.get(check(n, &t1)).send().await.unwrap().json().await.unwrap();
        assert_eq!(errcode(&v), 40001, "superseded on every node");
    }
    // Concurrent stable_token calls on both nodes agree on one token.
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let (node, app) = (ns[i % 2].clone(), app.clone());
            tokio::spawn(async move {
                let body = json!({"grant_type": "client_credential", "appid": app.appid, "secret": app.secret});
                node.post_json("/cgi-bin/stable_token", None, &body).await.1["access_token"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap());
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
}

#[tokio::test]
async fn steps_written_through_one_node_are_read_through_another() {
    let ns = nodes(2).await;
    let app = ns[0].app().await;
    let users: Vec<_> = futures_join(&ns[0], 20).await;
    let tasks: Vec<_> = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let (node, token) = (ns[i % 2].clone(), u.token.clone());
            tokio::spawn(async move { node.steps(&token, 1000 + i as i64, None).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap()["errMsg"], "steps:ok");
    }
    for (i, u) in users.iter().enumerate() {
        let reader = &ns[(i + 1) % 2];
        let (_, key) = reader.session(&app, u).await;
        let v = reader.werun(&u.token, &app.appid).await;
        let data = decrypt_answer(&key, &v);
        assert_eq!(data["stepInfoList"][30]["step"], 1000 + i as i64);
    }
}

async fn futures_join(node: &TestServer, n: usize) -> Vec<yundong_proto::admin::UserCreated> {
    let mut users = Vec::new();
    for i in 0..n {
        users.push(node.user(&format!("user{i}")).await);
    }
    users
}
