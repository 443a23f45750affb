//! The paged ranking (issue 17): pages built from each node's in-memory index of ranking inputs must add up to the
//! SQL reference (`service::ranking::ranking`), row for row, under churn on another node and with large friend lists;
//! bad `limit` and `cursor` get the client API's errMsg; a page at 10,000 friends stays under 16 KB.

use serde_json::{Value, json};
use yundong_core::ranking;
use yundong_proto::admin::UserCreated;
use yundong_store::{BulkTable, StepSource, StepWrite, UserId, Val};
use yundong_testkit::TestServer;

/// First id of bulk-loaded friends (far above what the tests create one by one).
const BULK: i64 = 5_000_000;

async fn get(s: &TestServer, user: &UserCreated, query: &str) -> (u16, Value) {
    let path = format!("/client/v1/werun/ranking{query}");
    let res = s.http.get(s.url(&path)).bearer_auth(&user.token).send().await.unwrap();
    yundong_testkit::parse(res).await
}

/// Every page of the viewer's ranking, `limit` rows at a time: (all rows, the first page, the largest page's bytes).
async fn all_pages(s: &TestServer, viewer: &UserCreated, limit: i64) -> (Vec<Value>, Value, usize) {
    let (mut rows, mut first, mut largest) = (Vec::new(), Value::Null, 0);
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            None => format!("?limit={limit}"),
            Some(c) => format!("?limit={limit}&cursor={c}"),
        };
        let path = format!("/client/v1/werun/ranking{query}");
        let res = s
            .http
            .get(s.url(&path))
            .bearer_auth(&viewer.token)
            .send()
            .await
            .unwrap();
        let bytes = res.bytes().await.unwrap();
        largest = largest.max(bytes.len());
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["errMsg"], "ranking:ok", "{v}");
        let page = v["ranking"].as_array().unwrap();
        assert!(page.len() as i64 <= limit);
        rows.extend(page.iter().cloned());
        if first.is_null() {
            first = v.clone();
        }
        match v["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(page.len() as i64, limit, "only the last page is short");
                cursor = Some(c.to_owned());
            }
            None => break,
        }
    }
    (rows, first, largest)
}

/// The SQL reference for the viewer's whole ranking today, as JSON.
async fn reference(s: &TestServer, viewer: i64) -> Value {
    let store = &s.state.store;
    let zone = s.state.config.day_zone;
    let day = zone.day_start(s.state.now());
    let user = store.user_by_id(UserId(viewer)).await.unwrap().unwrap();
    let answer = ranking::ranking(store, zone, &user, day).await.ok().unwrap();
    serde_json::to_value(answer).unwrap()
}

/// Pages walked on `s` equal the reference row for row, and the head fields agree.
async fn assert_pages_match(s: &TestServer, viewer: &UserCreated, limit: i64, when: &str) {
    let (rows, first, _) = all_pages(s, viewer, limit).await;
    let want = reference(s, viewer.user_id).await;
    let want_rows = want["ranking"].as_array().unwrap();
    assert_eq!(rows.len(), want_rows.len(), "{when}: row count");
    for (got, want) in rows.iter().zip(want_rows) {
        assert_eq!(got, want, "{when}");
    }
    for field in ["cover", "my_rank", "total", "join_ranking", "date", "me"] {
        assert_eq!(first[field], want[field], "{when}: {field}");
    }
}

/// `n` users with ids from `first`, friends both ways with `viewer`, loaded in bulk (as `yundong demo` does).
async fn bulk_friends(s: &TestServer, viewer: i64, first: i64, n: i64) -> Vec<i64> {
    let ids: Vec<i64> = (first..first + n).collect();
    let store = &s.state.store;
    let users: Vec<Vec<Val>> = ids
        .iter()
        .map(|&id| {
            vec![
                Val::Int(id),
                Val::Text(format!("好友{id}")),
                Val::Text(format!("bulk-h{id}")),
                Val::Int(1),
                Val::Int(1),
                Val::Int(0),
            ]
        })
        .collect();
    store.bulk_insert(BulkTable::Users, &users).await.unwrap();
    let pair = |x: i64, y: i64| vec![Val::Int(x), Val::Int(y), Val::Int(0), Val::Int(0)];
    let friendships: Vec<Vec<Val>> = ids
        .iter()
        .flat_map(|&id| [pair(viewer, id), pair(id, viewer)])
        .collect();
    store.bulk_insert(BulkTable::Friendships, &friendships).await.unwrap();
    ids
}

/// Two nodes of one deployment, and a viewer with `n` bulk-loaded friends whose steps are written.
async fn two_nodes_and_a_viewer(n: i64) -> (TestServer, TestServer, UserCreated, Vec<i64>) {
    let a = TestServer::spawn().await;
    let b = a.spawn_node().await;
    let viewer = a.user("viewer").await;
    let ids = bulk_friends(&a, viewer.user_id, BULK, n).await;
    write_steps(&a, &ids, 0).await;
    (a, b, viewer, ids)
}

fn today(s: &TestServer) -> i64 {
    s.state.config.day_zone.day_start(s.state.now())
}

/// Steps for `ids` written straight to the database (as the CLI or another process would), with many ties.
async fn write_steps(s: &TestServer, ids: &[i64], seed: i64) {
    let day = today(s);
    let writes: Vec<StepWrite> = ids
        .iter()
        .map(|&user_id| StepWrite {
            user_id: UserId(user_id),
            day,
            source: StepSource::Phone,
            steps: ((user_id * 7_919 + seed * 104_729) % 40) * 500,
        })
        .collect();
    s.state.store.put_steps_batch(&writes).await.unwrap();
}

#[tokio::test]
async fn pages_add_up_to_the_whole_ranking_with_ties_and_the_viewer_row() {
    let s = TestServer::spawn().await;
    let viewer = s.user("viewer").await;
    let ids = bulk_friends(&s, viewer.user_id, BULK, 420).await;
    write_steps(&s, &ids, 1).await;
    s.steps(&viewer.token, 7_000, None).await;
    // Some friends leave, switch off, or hide from the viewer; the viewer likes a few.
    let store = &s.state.store;
    store
        .set_hidden(UserId(ids[3]), UserId(viewer.user_id), true)
        .await
        .unwrap();
    let f = s.user("liked friend").await;
    s.befriend(viewer.user_id, f.user_id).await;
    s.steps(&f.token, 12_345, None).await;
    let (_, liked) = s
        .post_json(
            "/client/v1/werun/like",
            Some(&viewer.token),
            &json!({"user_id": f.user_id}),
        )
        .await;
    assert_eq!(liked["errMsg"], "like:ok", "{liked}");
    for limit in [1, 37, 50, 200] {
        assert_pages_match(&s, &viewer, limit, &format!("limit {limit}")).await;
    }
    // The default page: 50 rows, ranked from 1, with the viewer's own row and the count of the whole ranking.
    let (status, v) = get(&s, &viewer, "").await;
    assert_eq!(status, 200);
    assert_eq!(v["ranking"].as_array().unwrap().len(), 50);
    assert_eq!(v["ranking"][0]["rank"], 1);
    assert_eq!(
        v["total"],
        420 - 1 + 2,
        "420 friends, one hiding, plus the liked friend and the viewer"
    );
    assert_eq!(v["me"]["user_id"], viewer.user_id);
    assert_eq!(v["me"]["steps"], 7_000);
    assert_eq!(v["me"]["rank"], v["my_rank"]);
    assert!(v["next_cursor"].is_string());
    assert!(!v["ranking"].as_array().unwrap().iter().any(|r| r["user_id"] == ids[3]));
}

#[tokio::test]
async fn bad_limits_and_cursors_get_an_errmsg_and_change_nothing() {
    let s = TestServer::spawn().await;
    let viewer = s.user("viewer").await;
    bulk_friends(&s, viewer.user_id, BULK, 5).await;
    let (_, ok) = get(&s, &viewer, "?limit=2").await;
    let cursor = ok["next_cursor"].as_str().unwrap().to_owned();
    let yesterday = s.state.config.day_zone.format_date(today(&s) - 86_400);
    for (query, reason) in [
        ("?limit=0".to_owned(), "invalid limit: must be 1 to 200"),
        ("?limit=201".to_owned(), "invalid limit: must be 1 to 200"),
        ("?cursor=garbage".to_owned(), "invalid cursor"),
        ("?cursor=r1.0.0.1".to_owned(), "invalid cursor"),
        (format!("?cursor={cursor}x"), "invalid cursor"),
        // A cursor of today's ranking does not page another day's.
        (format!("?date={yesterday}&cursor={cursor}"), "invalid cursor"),
    ] {
        let (status, v) = get(&s, &viewer, &query).await;
        assert_eq!(
            (status, v["errMsg"].as_str()),
            (200, Some(format!("ranking:fail {reason}").as_str())),
            "{query}"
        );
        assert_eq!(
            v.as_object().map(|o| o.len()),
            Some(1),
            "{query}: nothing but the errMsg: {v}"
        );
    }
    let (status, v) = get(&s, &viewer, "?limit=abc").await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["errMsg"]
            .as_str()
            .unwrap()
            .starts_with("ranking:fail invalid request"),
        "{v}"
    );
    let (_, again) = get(&s, &viewer, "?limit=2").await;
    assert_eq!(again, ok, "nothing changed");
    let (_, next) = get(&s, &viewer, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(next["ranking"].as_array().unwrap().len(), 2);
    assert_ne!(next["ranking"][0], ok["ranking"][0]);
}

/// Writes through one node and straight into the database while another node serves pages: every page that node
/// serves after a write is acknowledged equals the SQL reference at that moment.
#[tokio::test]
async fn pages_on_one_node_follow_writes_made_on_another_under_churn() {
    let (a, b, viewer, ids) = two_nodes_and_a_viewer(2_500).await;
    let mut friends = Vec::new();
    for i in 0..4 {
        let f = a.user(&format!("f{i}")).await;
        a.befriend(viewer.user_id, f.user_id).await;
        friends.push(f);
    }
    assert_pages_match(&b, &viewer, 200, "start").await;
    let store = &a.state.store;
    for round in 1..=8_i64 {
        // A slice of friends walk (straight in the database), one uploads through node a, one likes the viewer,
        // one toggles hiding, one toggles the ranking switch.
        let k = (round * 97) as usize % (ids.len() - 50);
        write_steps(&a, &ids[k..k + 50], round).await;
        let f = &friends[round as usize % friends.len()];
        a.steps(&f.token, 1_000 * round, None).await;
        let like = json!({"user_id": viewer.user_id});
        a.post_json("/client/v1/werun/like", Some(&f.token), &like).await;
        let like = json!({"user_id": f.user_id});
        a.post_json("/client/v1/werun/like", Some(&viewer.token), &like).await;
        let hidden = round % 2 == 1;
        let hide = json!({"user_id": viewer.user_id, "hidden": hidden});
        a.post_json("/client/v1/werun/hide", Some(&friends[0].token), &hide)
            .await;
        store
            .set_hidden(UserId(ids[round as usize]), UserId(viewer.user_id), hidden)
            .await
            .unwrap();
        let join = json!({"join_ranking": !hidden});
        a.post_json("/client/v1/werun/settings", Some(&friends[1].token), &join)
            .await;
        assert_pages_match(&b, &viewer, 200, &format!("round {round} on b")).await;
        assert_pages_match(&a, &viewer, 150, &format!("round {round} on a")).await;
    }
    let (hits, _) = b.state.cache.rankings.counts();
    assert_pages_match(&b, &viewer, 200, "quiet").await;
    assert!(
        b.state.cache.rankings.counts().0 > hits,
        "unchanged pages are served from the cache"
    );
    let counts = b.state.cache.day_totals.stats();
    assert!(
        counts.rows_reused > counts.rows_loaded,
        "rows are reused across rounds, not all reloaded: {counts:?}"
    );
}

#[tokio::test]
async fn a_page_at_ten_thousand_friends_stays_under_16_kb() {
    let s = TestServer::spawn().await;
    let viewer = s.user("viewer").await;
    let ids = bulk_friends(&s, viewer.user_id, BULK, 10_000).await;
    write_steps(&s, &ids, 3).await;
    let (status, v) = get(&s, &viewer, "").await;
    assert_eq!(status, 200);
    assert_eq!(v["total"], 10_001);
    // The largest pages: the default and the maximum limit (whose bytes are bounded by 200 rows, not 16 KB).
    let res = s
        .http
        .get(s.url("/client/v1/werun/ranking"))
        .bearer_auth(&viewer.token)
        .send()
        .await
        .unwrap();
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.len() < 16 * 1024, "default page: {} bytes", bytes.len());
    assert_pages_match(&s, &viewer, 200, "10,000 friends").await;
}

/// Step writes reach another node's held rows as the values the change feed carries (migration 0010): a rise is
/// applied in place without reading the row again; a fall, a second source below the highest, or another change of
/// the same user in the same read makes the node read the row. Every page still equals the SQL reference.
#[tokio::test]
async fn step_values_in_the_feed_update_held_rows_without_a_read() {
    let (a, b, viewer, ids) = two_nodes_and_a_viewer(300).await;
    assert_pages_match(&b, &viewer, 200, "start").await;
    let store = &a.state.store;
    let day = today(&a);
    let app = a.app().await;
    let device = StepSource::Device(store.app_by_appid(&app.appid).await.unwrap().unwrap().id);
    let put = |user: i64, source: StepSource, steps: i64| StepWrite {
        user_id: UserId(user),
        day,
        source,
        steps,
    };
    let index = || b.state.cache.day_totals.stats();

    let before = index();
    let rises: Vec<StepWrite> = ids[..40]
        .iter()
        .map(|&u| put(u, StepSource::Phone, 30_000 + u % 7))
        .collect();
    store.put_steps_batch(&rises).await.unwrap();
    assert_pages_match(&b, &viewer, 200, "rises").await;
    let after = index();
    assert_eq!(after.rows_loaded, before.rows_loaded, "rises read nothing: {after:?}");
    assert!(after.rows_patched >= before.rows_patched + 40, "{after:?}");

    // A device source below the phone's total leaves the total where it is: the node must not take the lower value.
    let before = index();
    let lower: Vec<StepWrite> = ids[..10].iter().map(|&u| put(u, device, 100)).collect();
    store.put_steps_batch(&lower).await.unwrap();
    assert_pages_match(&b, &viewer, 200, "a lower second source").await;
    assert!(index().rows_loaded >= before.rows_loaded + 10, "{:?}", index());

    // A device source above the phone's total is the new total, read from the feed again.
    let higher: Vec<StepWrite> = ids[..10].iter().map(|&u| put(u, device, 50_000 + u % 3)).collect();
    store.put_steps_batch(&higher).await.unwrap();
    assert_pages_match(&b, &viewer, 200, "a higher second source").await;

    // The phone falls below the device: the total stays the device's. Then both fall.
    let falls: Vec<StepWrite> = ids[..10].iter().map(|&u| put(u, StepSource::Phone, 10)).collect();
    store.put_steps_batch(&falls).await.unwrap();
    assert_pages_match(&b, &viewer, 200, "the phone falls").await;
    let falls: Vec<StepWrite> = ids[..10].iter().map(|&u| put(u, device, 20)).collect();
    store.put_steps_batch(&falls).await.unwrap();
    assert_pages_match(&b, &viewer, 200, "both fall").await;

    // A rise and a like of the same user land in one read of the feed: the like count must not be lost.
    let target = UserId(ids[100]);
    store
        .put_steps_batch(&[put(ids[100], StepSource::Phone, 60_000)])
        .await
        .unwrap();
    store
        .set_like(UserId(viewer.user_id), target, day, Some(true), a.state.now())
        .await
        .unwrap();
    assert_pages_match(&b, &viewer, 200, "a rise and a like in one read").await;
    let (_, page) = get(&b, &viewer, "?limit=1").await;
    assert_eq!(page["ranking"][0]["user_id"], target.0, "{page}");
    assert_eq!(page["ranking"][0]["likes"], 1, "{page}");

    // The viewer's own rise keeps their side (friends, likes given): only their row moves.
    let before = index();
    store
        .put_steps_batch(&[put(viewer.user_id, StepSource::Phone, 70_000)])
        .await
        .unwrap();
    assert_pages_match(&b, &viewer, 200, "the viewer walks").await;
    let after = index();
    assert_eq!(after.viewers_loaded, before.viewers_loaded, "{after:?}");
    assert_eq!(after.rows_loaded, before.rows_loaded, "{after:?}");
}
