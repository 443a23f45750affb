//! Each node caches rankings and getWeRunData gates; a change made anywhere (through another node, or straight in
//! the database as the CLI does) shows in the very next answer of every node. Each case first proves the reader's
//! answer came from its cache, then changes something elsewhere and proves the reader reloaded and shows it.

use serde_json::{Value, json};
use yundong_proto::admin::UserCreated;
use yundong_store::{BulkTable, StepSource, UserId, Val};
use yundong_testkit::TestServer;

use crate::checkin::{check_in, fitness_app};
use crate::ranking::{ranking, row};
use crate::support::{decrypt_answer, errcode};

async fn two_nodes() -> (TestServer, TestServer) {
    let a = TestServer::spawn().await;
    let b = a.spawn_node().await;
    (a, b)
}

/// Read the ranking twice on `reader`: the second answer must be a cache hit equal to the first.
async fn cached_ranking(reader: &TestServer, viewer: &UserCreated) -> Value {
    let first = ranking(reader, viewer).await;
    let (hits, _) = reader.state.cache.rankings.counts();
    let again = ranking(reader, viewer).await;
    assert_eq!(
        reader.state.cache.rankings.counts().0,
        hits + 1,
        "the repeat is served from the cache"
    );
    assert_eq!(first, again);
    again
}

/// The next ranking on `reader` after a change: a miss (reloaded), returned for the caller's assertions.
async fn reloaded_ranking(reader: &TestServer, viewer: &UserCreated, change: &str) -> Value {
    let (_, misses) = reader.state.cache.rankings.counts();
    let v = ranking(reader, viewer).await;
    assert_eq!(reader.state.cache.rankings.counts().1, misses + 1, "{change}: reloaded");
    v
}

#[tokio::test]
async fn ranking_changes_made_elsewhere_show_at_once() {
    let (a, b) = two_nodes().await;
    let viewer = a.user("viewer").await;
    let f1 = a.user("f1").await;
    let f2 = a.user("f2").await;
    for f in [&f1, &f2] {
        a.befriend(viewer.user_id, f.user_id).await;
    }
    a.steps(&f1.token, 1_000, None).await;
    let v = cached_ranking(&b, &viewer).await;
    assert_eq!(row(&v, f1.user_id)["steps"], 1_000);

    // Steps through the other node.
    a.steps(&f1.token, 5_000, None).await;
    let v = reloaded_ranking(&b, &viewer, "steps").await;
    assert_eq!(row(&v, f1.user_id)["steps"], 5_000);
    assert_eq!(v["cover"]["user_id"], f1.user_id);

    // A friend hides from the viewer, then shows again.
    let hide = |hidden: bool| json!({"user_id": viewer.user_id, "hidden": hidden});
    a.post_json("/client/v1/werun/hide", Some(&f2.token), &hide(true)).await;
    cached_ranking(&b, &viewer).await;
    a.post_json("/client/v1/werun/hide", Some(&f2.token), &hide(false))
        .await;
    let v = reloaded_ranking(&b, &viewer, "unhide").await;
    assert!(!row(&v, f2.user_id).is_null());

    // A friend leaves the ranking.
    let leave = json!({"join_ranking": false});
    a.post_json("/client/v1/werun/settings", Some(&f1.token), &leave).await;
    let v = reloaded_ranking(&b, &viewer, "leave").await;
    assert!(row(&v, f1.user_id).is_null());
    assert_eq!(v["cover"], Value::Null, "nobody left with steps");

    // The viewer likes a friend through the other node.
    cached_ranking(&b, &viewer).await;
    let like = json!({"user_id": f2.user_id});
    let (_, liked) = a.post_json("/client/v1/werun/like", Some(&viewer.token), &like).await;
    assert_eq!(liked["errMsg"], "like:ok", "{liked}");
    let v = reloaded_ranking(&b, &viewer, "like").await;
    assert_eq!(
        (
            row(&v, f2.user_id)["likes"].clone(),
            row(&v, f2.user_id)["liked"].clone()
        ),
        (json!(1), json!(true))
    );

    // A check-in through the other node.
    let app = fitness_app(&a).await;
    check_in(&a, &f2, &app, json!([{"typeId": 3001, "distance": 1200}])).await;
    let v = reloaded_ranking(&b, &viewer, "check-in").await;
    assert_eq!(row(&v, f2.user_id)["checkin"]["typeId"], 3001, "{v}");

    // A friendship written straight into the database (as the CLI does), not through any server.
    let f3 = a.user("f3").await;
    cached_ranking(&b, &viewer).await;
    a.state
        .store
        .add_friendship(UserId(viewer.user_id), UserId(f3.user_id), 0)
        .await
        .unwrap();
    let v = reloaded_ranking(&b, &viewer, "friendship").await;
    assert!(!row(&v, f3.user_id).is_null());

    // A bulk load (demo seeding) turns the row triggers off and tells every node to forget everything.
    let f4 = a.user("f4").await;
    cached_ranking(&b, &viewer).await;
    let pair = |x: i64, y: i64| vec![Val::Int(x), Val::Int(y), Val::Int(0), Val::Int(0)];
    let rows = vec![pair(viewer.user_id, f4.user_id), pair(f4.user_id, viewer.user_id)];
    a.state.store.bulk_insert(BulkTable::Friendships, &rows).await.unwrap();
    let v = reloaded_ranking(&b, &viewer, "bulk load").await;
    assert!(!row(&v, f4.user_id).is_null());

    // A friend switching WeRun off.
    let off = json!({"werun": false});
    a.post_json("/client/v1/werun/settings", Some(&f3.token), &off).await;
    let v = reloaded_ranking(&b, &viewer, "werun off").await;
    assert!(row(&v, f3.user_id).is_null());
}

/// getWeRunData on `reader`, decrypted with `key`, twice: the repeat must be a gate cache hit.
async fn cached_werun(reader: &TestServer, user: &UserCreated, appid: &str, key: &str) -> Value {
    let v = reader.werun(&user.token, appid).await;
    let (hits, _) = reader.state.cache.gates.counts();
    let again = reader.werun(&user.token, appid).await;
    assert_eq!(
        reader.state.cache.gates.counts().0,
        hits + 1,
        "served from the cache: {again}"
    );
    let d1 = decrypt_answer(key, &v);
    let d2 = decrypt_answer(key, &again);
    assert_eq!(d1["stepInfoList"], d2["stepInfoList"]);
    d2
}

#[tokio::test]
async fn getwerundata_changes_made_elsewhere_show_at_once() {
    let (a, b) = two_nodes().await;
    let app = a.app().await;
    let user = a.user("u").await;
    let (openid, key1) = a.session(&app, &user).await;
    let allow = json!({"appid": app.appid, "scope": "scope.werun", "allow": true});
    a.post_json("/client/v1/wx/authorize", Some(&user.token), &allow).await;
    a.steps(&user.token, 700, None).await;
    let d = cached_werun(&b, &user, &app.appid, &key1).await;
    assert_eq!(d["stepInfoList"][30]["step"], 700);

    // Steps through the other node.
    a.steps(&user.token, 8_000, None).await;
    let v = b.werun(&user.token, &app.appid).await;
    let d = decrypt_answer(&key1, &v);
    assert_eq!(d["stepInfoList"][30]["step"], 8_000);

    // A new session (wx.login + jscode2session) through the other node: the reader encrypts under the new key.
    cached_werun(&b, &user, &app.appid, &key1).await;
    let (_, key2) = a.session(&app, &user).await;
    assert_ne!(key1, key2);
    let v = b.werun(&user.token, &app.appid).await;
    decrypt_answer(&key2, &v);

    // resetusersessionkey through the other node.
    cached_werun(&b, &user, &app.appid, &key2).await;
    let token = a.access_token(&app).await;
    let path = format!(
        "/wxa/resetusersessionkey?access_token={token}&openid={openid}&signature={}&sig_method=hmac_sha256",
        yundong_proto::crypto::session_signature(&key2)
    );
    let (_, reset) = a.get_json(&path).await;
    assert_eq!(errcode(&reset), 0, "{reset}");
    let key3 = reset["session_key"].as_str().unwrap();
    let v = b.werun(&user.token, &app.appid).await;
    decrypt_answer(key3, &v);

    // WeRun switched off through the other node.
    cached_werun(&b, &user, &app.appid, key3).await;
    let off = json!({"werun": false});
    a.post_json("/client/v1/werun/settings", Some(&user.token), &off).await;
    assert_eq!(
        b.werun(&user.token, &app.appid).await["errMsg"],
        "getWeRunData: fail device not support"
    );
}

#[tokio::test]
async fn the_change_feed_reads_every_committed_change_and_prunes() {
    let s = TestServer::spawn().await;
    let store = &s.state.store;
    let mut feed = store.feed_reader();
    let start = feed.read().await.unwrap();
    assert!(start.users.is_empty(), "a first read only finds the position");
    let u = s.user("u").await;
    let f = s.user("f").await;
    s.befriend(u.user_id, f.user_id).await;
    s.steps(&u.token, 10, None).await;
    let next = feed.read().await.unwrap();
    let users = |c: &yundong_store::Changes| c.users.clone();
    for id in [u.user_id, f.user_id] {
        assert!(users(&next).contains(&UserId(id)), "{id} in {:?}", users(&next));
    }
    // Pruning everything read so far leaves later events readable.
    while store.prune_changes(next.top_id, 2).await.unwrap() > 0 {}
    s.steps(&f.token, 10, None).await;
    let after = feed.read().await.unwrap();
    assert!(users(&after).contains(&UserId(f.user_id)));
    assert!(!users(&after).contains(&UserId(u.user_id)), "{:?}", users(&after));
    // Each change is reported once: a read with nothing new reports nobody (on PostgreSQL too, where events whose
    // transaction is above the horizon are read again by the engine).
    let again = feed.read().await.unwrap();
    assert!(again.users.is_empty(), "{:?}", again.users);
}

#[tokio::test]
async fn a_burst_of_misses_loads_once() {
    let s = std::sync::Arc::new(TestServer::spawn().await);
    let viewer = std::sync::Arc::new(s.user("viewer").await);
    for i in 0..20 {
        let f = s.user(&format!("f{i}")).await;
        s.befriend(viewer.user_id, f.user_id).await;
    }
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (s, viewer) = (s.clone(), viewer.clone());
            tokio::spawn(async move { ranking(&s, &viewer).await })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(answers[0]["ranking"].as_array().unwrap().len(), 21);
    assert_eq!(s.state.cache.rankings.counts(), (15, 1), "one load, fifteen shared");
}

fn quick_feed(max_gap_ms: u64, retain_ms: u64) -> yundong_server::Config {
    yundong_server::Config {
        feed_max_gap: std::time::Duration::from_millis(max_gap_ms),
        feed_retain: std::time::Duration::from_millis(retain_ms),
        ..yundong_testkit::test_config()
    }
}

#[tokio::test]
async fn a_node_that_stopped_reading_the_feed_forgets_its_cache() {
    let s = TestServer::spawn_with(quick_feed(300, 60_000)).await;
    let viewer = s.user("viewer").await;
    let f = s.user("f").await;
    s.befriend(viewer.user_id, f.user_id).await;
    s.steps(&f.token, 100, None).await;
    cached_ranking(&s, &viewer).await;
    // A change whose event is pruned (as another node would after its retention) before this node reads it.
    let day = row(&ranking(&s, &viewer).await, f.user_id);
    assert_eq!(day["steps"], 100);
    let today = yundong_proto::day::DayZone::CHINA.day_start(s.state.now());
    let write = yundong_store::StepWrite {
        user_id: UserId(f.user_id),
        day: today,
        source: StepSource::Phone,
        steps: 4_321,
    };
    s.state.store.put_steps_batch(&[write]).await.unwrap();
    while s.state.store.prune_changes(i64::MAX, 10_000).await.unwrap() > 0 {}
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let v = reloaded_ranking(&s, &viewer, "after a gap").await;
    assert_eq!(
        row(&v, f.user_id)["steps"],
        4_321,
        "the gap made the node forget, so it reloaded"
    );
}

#[tokio::test]
async fn nodes_prune_the_feed_after_its_retention() {
    let s = TestServer::spawn_with(quick_feed(60_000, 400)).await;
    let viewer = s.user("viewer").await;
    ranking(&s, &viewer).await;
    for i in 0..5 {
        s.steps(&viewer.token, 100 + i, None).await;
    }
    ranking(&s, &viewer).await;
    let before = s.state.store.change_count().await.unwrap();
    assert!(before >= 5, "{before}");
    // Keep reading: once the samples are older than the retention, the node prunes what it had seen.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        ranking(&s, &viewer).await;
        if s.state.store.change_count().await.unwrap() == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never pruned");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Later changes still arrive.
    s.steps(&viewer.token, 9_999, None).await;
    assert_eq!(row(&ranking(&s, &viewer).await, viewer.user_id)["steps"], 9_999);
}

#[tokio::test]
async fn concurrent_writers_each_read_their_own_write_on_another_node() {
    let (a, b) = two_nodes().await;
    let (a, b) = (std::sync::Arc::new(a), std::sync::Arc::new(b));
    let mut users = Vec::new();
    for i in 0..32 {
        users.push(std::sync::Arc::new(a.user(&format!("u{i}")).await));
    }
    for round in 1..=3 {
        let tasks: Vec<_> = users
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let (a, b, u) = (a.clone(), b.clone(), u.clone());
                tokio::spawn(async move {
                    let steps = (round * 1_000 + i) as i64;
                    assert_eq!(a.steps(&u.token, steps, None).await["errMsg"], "steps:ok");
                    let v = ranking(&b, &u).await;
                    assert_eq!(row(&v, u.user_id)["steps"], steps, "round {round}, user {i}");
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    }
}
