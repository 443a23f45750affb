//! The WeRun ranking, cover, likes, privacy switches and detail page (docs/DESIGN.md §5.11), through HTTP.

use serde_json::{Value, json};
use yundong_proto::admin::UserCreated;
use yundong_store::UserId;
use yundong_testkit::TestServer;

use crate::checkin::{check_in, fitness_app, share};

const DAY: i64 = 86_400;

async fn get(s: &TestServer, user: &UserCreated, path: &str) -> (u16, Value) {
    let res = s.http.get(s.url(path)).bearer_auth(&user.token).send().await.unwrap();
    yundong_testkit::parse(res).await
}

/// The viewer's ranking for a path's query (`""` = today); asserts `ranking:ok`.
async fn ranking_at(s: &TestServer, viewer: &UserCreated, query: &str) -> Value {
    let (status, v) = get(s, viewer, &format!("/client/v1/werun/ranking{query}")).await;
    assert_eq!((status, v["errMsg"].as_str()), (200, Some("ranking:ok")), "{v}");
    v
}

pub async fn ranking(s: &TestServer, viewer: &UserCreated) -> Value {
    ranking_at(s, viewer, "").await
}

/// `(user_id, steps, rank)` of each row.
fn rows(v: &Value) -> Vec<(i64, i64, i64)> {
    v["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["user_id"].as_i64().unwrap(),
                r["steps"].as_i64().unwrap(),
                r["rank"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn ids(v: &Value) -> Vec<i64> {
    rows(v).into_iter().map(|r| r.0).collect()
}

pub fn row(v: &Value, user_id: i64) -> Value {
    v["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user_id"] == user_id)
        .cloned()
        .unwrap_or(Value::Null)
}

async fn steps(s: &TestServer, user: &UserCreated, n: i64) {
    let v = s.steps(&user.token, n, None).await;
    assert_eq!(v["errMsg"], "steps:ok", "{v}");
}

async fn settings(s: &TestServer, user: &UserCreated, body: Value) {
    let (_, v) = s.post_json("/client/v1/werun/settings", Some(&user.token), &body).await;
    assert_eq!(v["errMsg"], "settings:ok", "{v}");
}

async fn hide(s: &TestServer, user: &UserCreated, from: i64, hidden: bool) -> Value {
    s.post_json(
        "/client/v1/werun/hide",
        Some(&user.token),
        &json!({"user_id": from, "hidden": hidden}),
    )
    .await
    .1
}

async fn like(s: &TestServer, user: &UserCreated, body: Value) -> Value {
    let (status, v) = s.post_json("/client/v1/werun/like", Some(&user.token), &body).await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn detail(s: &TestServer, viewer: &UserCreated, query: &str) -> Value {
    get(s, viewer, &format!("/client/v1/werun/detail{query}")).await.1
}

fn date(s: &TestServer, days_ago: i64) -> String {
    let zone = s.state.config.day_zone;
    zone.format_date(zone.day_start(s.state.now()) - days_ago * DAY)
}

/// A viewer `v` and friends `a`, `b`, `c` (mutual, with `v` only).
async fn circle(s: &TestServer) -> (UserCreated, UserCreated, UserCreated, UserCreated) {
    let v = s.user("viewer").await;
    let a = s.user("alice").await;
    let b = s.user("bob").await;
    let c = s.user("carol").await;
    for f in [&a, &b, &c] {
        s.befriend(v.user_id, f.user_id).await;
    }
    (v, a, b, c)
}

#[tokio::test]
async fn ranking_orders_by_steps_with_deterministic_ties_and_only_friends() {
    let s = TestServer::spawn().await;
    let (v, a, b, c) = circle(&s).await;
    let d = s.user("dave").await;
    s.befriend(v.user_id, d.user_id).await;
    let stranger = s.user("stranger").await;
    let fof = s.user("friend of alice").await;
    s.befriend(a.user_id, fof.user_id).await;
    steps(&s, &v, 5_000).await;
    steps(&s, &a, 8_000).await;
    steps(&s, &b, 5_000).await;
    steps(&s, &c, 12_000).await;
    steps(&s, &stranger, 90_000).await;
    steps(&s, &fof, 90_000).await;
    // d has no steps today: a row with 0.
    let r = ranking(&s, &v).await;
    // Equal steps share a rank and are ordered by user id (v was created before b).
    assert_eq!(
        rows(&r),
        vec![
            (c.user_id, 12_000, 1),
            (a.user_id, 8_000, 2),
            (v.user_id, 5_000, 3),
            (b.user_id, 5_000, 3),
            (d.user_id, 0, 5)
        ]
    );
    assert_eq!(r["my_rank"], 3);
    assert_eq!(r["join_ranking"], true);
    assert_eq!(
        r["cover"],
        json!({"user_id": c.user_id, "nickname": "carol", "steps": 12_000})
    );
    assert_eq!(r["date"], date(&s, 0).as_str());
    let ts = r["timestamp"].as_i64().unwrap();
    assert_eq!((ts + 8 * 3600) % DAY, 0, "the day's UTC+8 midnight");
    let first = &r["ranking"][0];
    assert_eq!(first["nickname"], "carol");
    assert_eq!(
        (first["likes"].as_i64(), first["liked"].as_bool()),
        (Some(0), Some(false))
    );
    assert!(first["checkin"].is_null());
    // Tie order is the same whoever asks and however often.
    assert_eq!(ids(&ranking(&s, &v).await), ids(&r));
    // Another viewer sees their own circle: alice sees v, and her friend fof, but not b, c or d.
    let ra = ranking(&s, &a).await;
    assert_eq!(ids(&ra), vec![fof.user_id, a.user_id, v.user_id]);
    assert_eq!(ra["cover"]["user_id"], fof.user_id);
}

#[tokio::test]
async fn the_day_total_is_the_highest_over_sources() {
    let s = TestServer::spawn().await;
    let (v, a, _, _) = circle(&s).await;
    steps(&s, &a, 5_000).await;
    // A band reports through setstep for the same day.
    let band = s.device_app("band").await;
    s.bind_device(&a, &band).await;
    let (openid, _) = s.session(&band, &a).await;
    let token = s.access_token(&band).await;
    let path = format!(
        "/hardware/bracelet/setstep?access_token={token}&openid={openid}&timestamp={}&step=7000",
        s.state.now()
    );
    let (_, w) = s.get_json(&path).await;
    assert_eq!(w["errcode"], 0, "{w}");
    assert_eq!(row(&ranking(&s, &v).await, a.user_id)["steps"], 7_000);
    steps(&s, &a, 9_000).await;
    assert_eq!(row(&ranking(&s, &v).await, a.user_id)["steps"], 9_000);
    // The phone lowering its own report does not lower the band's.
    steps(&s, &a, 100).await;
    assert_eq!(row(&ranking(&s, &v).await, a.user_id)["steps"], 7_000);
}

#[tokio::test]
async fn the_cover_is_each_viewers_first_row_and_absent_without_steps() {
    let s = TestServer::spawn().await;
    let (v, a, b, _) = circle(&s).await;
    let r = ranking(&s, &v).await;
    assert!(r["cover"].is_null(), "{r}");
    assert_eq!(rows(&r).iter().map(|r| r.2).collect::<Vec<_>>(), vec![1, 1, 1, 1]);
    steps(&s, &v, 3_000).await;
    assert_eq!(ranking(&s, &v).await["cover"]["user_id"], v.user_id);
    steps(&s, &a, 4_000).await;
    assert_eq!(ranking(&s, &v).await["cover"]["user_id"], a.user_id);
    // A tie at the top: the lower user id holds the cover.
    steps(&s, &b, 4_000).await;
    assert_eq!(ranking(&s, &v).await["cover"]["user_id"], a.user_id.min(b.user_id));
    // b's ranking has only b and v: v leads there.
    steps(&s, &v, 6_000).await;
    assert_eq!(
        ranking(&s, &b).await["cover"],
        json!({"user_id": v.user_id, "nickname": "viewer", "steps": 6_000})
    );
}

#[tokio::test]
async fn a_friend_leaving_the_ranking_disappears_at_once_and_comes_back() {
    let s = TestServer::spawn().await;
    let (v, a, _, _) = circle(&s).await;
    steps(&s, &a, 10_000).await;
    assert!(ids(&ranking(&s, &v).await).contains(&a.user_id));
    settings(&s, &a, json!({"join_ranking": false})).await;
    let r = ranking(&s, &v).await;
    assert!(!ids(&r).contains(&a.user_id));
    assert_ne!(r["cover"]["user_id"], a.user_id);
    assert_eq!(
        like(&s, &v, json!({"user_id": a.user_id})).await["errMsg"],
        "like:fail not in your ranking"
    );
    assert_eq!(
        detail(&s, &v, &format!("?user_id={}", a.user_id)).await,
        json!({"errMsg": "detail:fail not visible"})
    );
    // a, who left, still sees their own row (and their friends).
    let ra = ranking(&s, &a).await;
    assert_eq!(ra["join_ranking"], false);
    assert_eq!(ids(&ra), vec![a.user_id, v.user_id]);
    assert_eq!(ra["my_rank"], 1);
    assert_eq!(ra["cover"]["user_id"], a.user_id);
    assert_eq!(detail(&s, &a, "").await["errMsg"], "detail:ok");
    settings(&s, &a, json!({"join_ranking": true})).await;
    assert_eq!(row(&ranking(&s, &v).await, a.user_id)["steps"], 10_000);
}

#[tokio::test]
async fn werun_off_removes_a_user_everywhere_at_once() {
    let s = TestServer::spawn().await;
    let (v, a, _, _) = circle(&s).await;
    steps(&s, &a, 10_000).await;
    settings(&s, &a, json!({"werun": false})).await;
    // Off for a: gone from v's ranking, no detail, no likes…
    assert!(!ids(&ranking(&s, &v).await).contains(&a.user_id));
    assert_eq!(
        detail(&s, &v, &format!("?user_id={}", a.user_id)).await["errMsg"],
        "detail:fail not visible"
    );
    assert_eq!(
        like(&s, &v, json!({"user_id": a.user_id})).await["errMsg"],
        "like:fail not in your ranking"
    );
    // …and a has no WeRun: not even their own ranking, detail or likes.
    let (status, r) = get(&s, &a, "/client/v1/werun/ranking").await;
    assert_eq!((status, r), (200, json!({"errMsg": "ranking:fail werun off"})));
    assert_eq!(detail(&s, &a, "").await, json!({"errMsg": "detail:fail werun off"}));
    assert_eq!(
        like(&s, &a, json!({"user_id": v.user_id})).await,
        json!({"errMsg": "like:fail werun off"})
    );
    settings(&s, &a, json!({"werun": true})).await;
    assert_eq!(row(&ranking(&s, &v).await, a.user_id)["steps"], 10_000);
    assert_eq!(ranking(&s, &a).await["my_rank"], 1);
}

#[tokio::test]
async fn hiding_from_one_friend_hides_from_that_friend_only_at_once() {
    let s = TestServer::spawn().await;
    let (v, a, b, _) = circle(&s).await;
    s.befriend(a.user_id, b.user_id).await;
    steps(&s, &a, 10_000).await;
    assert_eq!(
        hide(&s, &a, v.user_id, true).await,
        json!({"errMsg": "hide:ok", "user_id": v.user_id, "hidden": true})
    );
    // v no longer sees a; b still does; a still sees v (hiding is one way).
    assert!(!ids(&ranking(&s, &v).await).contains(&a.user_id));
    assert_eq!(row(&ranking(&s, &b).await, a.user_id)["steps"], 10_000);
    assert!(ids(&ranking(&s, &a).await).contains(&v.user_id));
    assert_eq!(
        detail(&s, &v, &format!("?user_id={}", a.user_id)).await["errMsg"],
        "detail:fail not visible"
    );
    assert_eq!(
        detail(&s, &b, &format!("?user_id={}", a.user_id)).await["errMsg"],
        "detail:ok"
    );
    assert_eq!(
        like(&s, &v, json!({"user_id": a.user_id})).await["errMsg"],
        "like:fail not in your ranking"
    );
    assert_eq!(like(&s, &b, json!({"user_id": a.user_id})).await["errMsg"], "like:ok");
    // The privacy page lists the flag.
    let (_, f) = get(&s, &a, "/client/v1/werun/friends").await;
    assert_eq!(f["errMsg"], "friends:ok");
    let flags: Vec<(i64, bool)> = f["friends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["user_id"].as_i64().unwrap(), x["hidden"].as_bool().unwrap()))
        .collect();
    assert_eq!(flags, vec![(v.user_id, true), (b.user_id, false)]);
    // Shown again.
    assert_eq!(hide(&s, &a, v.user_id, false).await["hidden"], false);
    assert_eq!(row(&ranking(&s, &v).await, a.user_id)["steps"], 10_000);
    // Only friends can be hidden from.
    let stranger = s.user("stranger").await;
    assert_eq!(
        hide(&s, &a, stranger.user_id, true).await,
        json!({"errMsg": "hide:fail not a friend"})
    );
    assert_eq!(
        hide(&s, &a, a.user_id, true).await,
        json!({"errMsg": "hide:fail not a friend"})
    );
    let (status, e) = s
        .post_json(
            "/client/v1/werun/hide",
            Some(&a.token),
            &json!({"user_id": "x", "hidden": true}),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(e["errMsg"].as_str().unwrap().starts_with("hide:fail invalid request"));
}

#[tokio::test]
async fn rows_show_the_first_record_of_the_latest_shown_check_in_of_the_day() {
    let s = TestServer::spawn().await;
    let (v, a, b, _) = circle(&s).await;
    let app = fitness_app(&s).await;
    check_in(&s, &a, &app, json!([{"typeId": 3001, "distance": 3000}])).await;
    s.advance(60).await;
    check_in(
        &s,
        &a,
        &app,
        json!([{"typeId": 4001, "number": 500}, {"typeId": 3001, "distance": 1}]),
    )
    .await;
    s.advance(60).await;
    // Later develop and trial check-ins are never shown.
    for env in ["develop", "trial"] {
        let body = json!({"appid": app.appid, "envVersion": env, "recordList": [{"typeId": 2001, "time": 60}], "confirm": true});
        assert_eq!(share(&s, &a, body).await.1["errMsg"], "shareToWeRun:ok");
    }
    let r = ranking(&s, &v).await;
    assert_eq!(
        row(&r, a.user_id)["checkin"],
        json!({"typeId": 4001, "name": "跳绳", "unit": "number", "value": 500})
    );
    assert!(row(&r, b.user_id)["checkin"].is_null());
    // Only develop check-ins: nothing shown.
    let body = json!({"appid": app.appid, "envVersion": "develop", "recordList": [{"typeId": 2001, "time": 60}], "confirm": true});
    share(&s, &b, body).await;
    assert!(row(&ranking(&s, &v).await, b.user_id)["checkin"].is_null());
    // Tomorrow, today's check-ins belong to yesterday's ranking.
    s.advance(DAY).await;
    assert!(row(&ranking(&s, &v).await, a.user_id)["checkin"].is_null());
    let y = ranking_at(&s, &v, &format!("?date={}", date(&s, 1))).await;
    assert_eq!(row(&y, a.user_id)["checkin"]["value"], 500);
}

#[tokio::test]
async fn likes_toggle_once_per_liker_target_and_day() {
    let s = TestServer::spawn().await;
    let (v, a, b, _) = circle(&s).await;
    s.befriend(a.user_id, b.user_id).await;
    let today = date(&s, 0);
    let l = like(&s, &v, json!({"user_id": a.user_id})).await;
    assert_eq!(
        l,
        json!({"errMsg": "like:ok", "user_id": a.user_id, "date": today, "liked": true, "likes": 1})
    );
    let l = like(&s, &b, json!({"user_id": a.user_id})).await;
    assert_eq!((l["liked"].as_bool(), l["likes"].as_i64()), (Some(true), Some(2)));
    // The row shows the count from everyone and whether this viewer liked it.
    let r = ranking(&s, &v).await;
    assert_eq!(
        (
            row(&r, a.user_id)["likes"].as_i64(),
            row(&r, a.user_id)["liked"].as_bool()
        ),
        (Some(2), Some(true))
    );
    assert_eq!(row(&r, b.user_id)["liked"], false);
    let ra = ranking(&s, &a).await;
    assert_eq!(
        (
            row(&ra, a.user_id)["likes"].as_i64(),
            row(&ra, a.user_id)["liked"].as_bool()
        ),
        (Some(2), Some(false))
    );
    // Toggling again removes v's like.
    let l = like(&s, &v, json!({"user_id": a.user_id})).await;
    assert_eq!((l["liked"].as_bool(), l["likes"].as_i64()), (Some(false), Some(1)));
    assert_eq!(row(&ranking(&s, &v).await, a.user_id)["liked"], false);
    // Setting is idempotent.
    for _ in 0..2 {
        let l = like(&s, &v, json!({"user_id": a.user_id, "liked": true})).await;
        assert_eq!((l["liked"].as_bool(), l["likes"].as_i64()), (Some(true), Some(2)));
    }
    let l = like(&s, &v, json!({"user_id": a.user_id, "liked": false})).await;
    assert_eq!((l["liked"].as_bool(), l["likes"].as_i64()), (Some(false), Some(1)));
    let l = like(&s, &v, json!({"user_id": a.user_id, "liked": false})).await;
    assert_eq!((l["liked"].as_bool(), l["likes"].as_i64()), (Some(false), Some(1)));
    // Another day is another like.
    let yesterday = date(&s, 1);
    let l = like(&s, &v, json!({"user_id": a.user_id, "date": yesterday})).await;
    assert_eq!(
        (l["date"].as_str(), l["liked"].as_bool(), l["likes"].as_i64()),
        (Some(yesterday.as_str()), Some(true), Some(1))
    );
    let y = ranking_at(&s, &v, &format!("?date={yesterday}")).await;
    assert_eq!(
        (
            row(&y, a.user_id)["likes"].as_i64(),
            row(&y, a.user_id)["liked"].as_bool()
        ),
        (Some(1), Some(true))
    );
    assert_eq!(row(&ranking(&s, &v).await, a.user_id)["likes"], 1);
    // Refusals, each a clear errMsg and no change.
    let stranger = s.user("stranger").await;
    for (body, reason) in [
        (json!({"user_id": v.user_id}), "cannot like yourself"),
        (json!({"user_id": stranger.user_id}), "not in your ranking"),
        (json!({"user_id": 999_999}), "not in your ranking"),
        (
            json!({"user_id": a.user_id, "date": "yesterday"}),
            "date must be YYYY-MM-DD",
        ),
        (
            json!({"user_id": a.user_id, "date": date(&s, 31)}),
            "date must be within the last 31 days",
        ),
        (
            json!({"user_id": a.user_id, "date": date(&s, -1)}),
            "date must be within the last 31 days",
        ),
    ] {
        assert_eq!(
            like(&s, &v, body).await,
            json!({"errMsg": format!("like:fail {reason}")})
        );
    }
    assert_eq!(
        like(&s, &stranger, json!({"user_id": a.user_id})).await["errMsg"],
        "like:fail not in your ranking"
    );
    assert_eq!(row(&ranking(&s, &v).await, a.user_id)["likes"], 1);
    let (status, e) = s
        .post_json("/client/v1/werun/like", Some(&v.token), &json!({"date": today}))
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(e["errMsg"].as_str().unwrap().starts_with("like:fail invalid request"));
}

#[tokio::test]
async fn ranking_of_a_past_day_and_date_validation() {
    let s = TestServer::spawn().await;
    let (v, a, _, _) = circle(&s).await;
    let ten_ago = date(&s, 10);
    assert_eq!(s.steps(&a.token, 4_321, Some(&ten_ago)).await["errMsg"], "steps:ok");
    steps(&s, &a, 100).await;
    let r = ranking_at(&s, &v, &format!("?date={ten_ago}")).await;
    assert_eq!(r["date"], ten_ago.as_str());
    assert_eq!(row(&r, a.user_id)["steps"], 4_321);
    assert_eq!(
        ranking_at(&s, &v, &format!("?date={}", date(&s, 30))).await["ranking"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(row(&ranking(&s, &v).await, a.user_id)["steps"], 100);
    for (q, reason) in [
        (
            format!("?date={}", date(&s, 31)),
            "date must be within the last 31 days",
        ),
        (
            format!("?date={}", date(&s, -1)),
            "date must be within the last 31 days",
        ),
        ("?date=2024-02-30".to_owned(), "date must be YYYY-MM-DD"),
        ("?date=20240101".to_owned(), "date must be YYYY-MM-DD"),
        ("?date=".to_owned(), "date must be YYYY-MM-DD"),
    ] {
        let (status, e) = get(&s, &v, &format!("/client/v1/werun/ranking{q}")).await;
        assert_eq!(
            (status, e),
            (200, json!({"errMsg": format!("ranking:fail {reason}")})),
            "{q}"
        );
    }
}

#[tokio::test]
async fn detail_shows_31_days_and_shown_check_ins_to_self_and_visible_friends() {
    let s = TestServer::spawn().await;
    let (v, a, _, _) = circle(&s).await;
    let app = fitness_app(&s).await;
    assert_eq!(
        s.steps(&a.token, 2_000, Some(&date(&s, 30))).await["errMsg"],
        "steps:ok"
    );
    assert_eq!(s.steps(&a.token, 3_000, Some(&date(&s, 5))).await["errMsg"], "steps:ok");
    steps(&s, &a, 4_000).await;
    let first = check_in(
        &s,
        &a,
        &app,
        json!([{"typeId": 3001, "distance": 5000}, {"typeId": 2001, "time": 20}]),
    )
    .await;
    s.advance(30).await;
    let second = check_in(&s, &a, &app, json!([{"typeId": 4002, "number": 40}])).await;
    let body = json!({"appid": app.appid, "envVersion": "trial", "recordList": [{"typeId": 2001, "time": 60}], "confirm": true});
    share(&s, &a, body).await;

    let d = detail(&s, &v, &format!("?user_id={}", a.user_id)).await;
    assert_eq!(d["errMsg"], "detail:ok", "{d}");
    assert_eq!(
        (d["user_id"].as_i64(), d["nickname"].as_str()),
        (Some(a.user_id), Some("alice"))
    );
    let days = d["days"].as_array().unwrap();
    assert_eq!(days.len(), 31);
    let zone = s.state.config.day_zone;
    let today = zone.day_start(s.state.now());
    for (i, day) in days.iter().enumerate() {
        let ts = today - (30 - i as i64) * DAY;
        assert_eq!(day["timestamp"], ts, "ascending UTC+8 midnights");
        assert_eq!(day["date"], zone.format_date(ts).as_str());
        let want = match 30 - i {
            30 => 2_000,
            5 => 3_000,
            0 => 4_000,
            _ => 0,
        };
        assert_eq!(day["step"], want, "day {i}");
    }
    let checkins = d["checkins"].as_array().unwrap();
    assert_eq!(checkins.len(), 2, "trial check-ins are not shown: {d}");
    assert_eq!(checkins[0]["id"], second["checkInId"]);
    assert_eq!(checkins[1]["id"], first["checkInId"]);
    assert_eq!(checkins[0]["appid"], app.appid.as_str());
    assert_eq!(checkins[0]["app_name"], "fit");
    assert_eq!(checkins[0]["date"], zone.format_date(today).as_str());
    assert_eq!(checkins[1]["created_at"], first["createdAt"]);
    assert_eq!(
        checkins[1]["records"],
        json!([{"typeId": 3001, "name": "跑步", "unit": "distance", "value": 5000}, {"typeId": 2001, "name": "瑜伽", "unit": "time", "value": 20}])
    );
    // Oneself: by default and by id; identical.
    let mine = detail(&s, &a, "").await;
    assert_eq!(mine, detail(&s, &a, &format!("?user_id={}", a.user_id)).await);
    assert_eq!(mine["checkins"].as_array().unwrap().len(), 2);
    let own = detail(&s, &v, "").await;
    assert_eq!(own["user_id"], v.user_id);
    assert!(own["days"].as_array().unwrap().iter().all(|d| d["step"] == 0));
    assert_eq!(own["checkins"], json!([]));
    // Check-ins older than the window drop out.
    s.advance(31 * DAY).await;
    assert_eq!(detail(&s, &a, "").await["checkins"], json!([]));
}

#[tokio::test]
async fn detail_is_refused_with_no_data_for_anyone_not_visible() {
    let s = TestServer::spawn().await;
    let (v, _, _, _) = circle(&s).await;
    let stranger = s.user("stranger").await;
    steps(&s, &stranger, 5_000).await;
    for q in [
        format!("?user_id={}", stranger.user_id),
        "?user_id=999999".to_owned(),
        "?user_id=-1".to_owned(),
    ] {
        let (status, d) = get(&s, &v, &format!("/client/v1/werun/detail{q}")).await;
        assert_eq!((status, d), (200, json!({"errMsg": "detail:fail not visible"})), "{q}");
    }
    let (status, d) = get(&s, &v, "/client/v1/werun/detail?user_id=abc").await;
    assert_eq!(status, 400, "{d}");
    assert!(d["errMsg"].as_str().unwrap().starts_with("detail:fail invalid request"));
}

#[tokio::test]
async fn social_endpoints_need_a_user_token() {
    let s = TestServer::spawn().await;
    for path in [
        "/client/v1/werun/ranking",
        "/client/v1/werun/detail",
        "/client/v1/werun/friends",
    ] {
        let (status, v) = s.get_json(path).await;
        assert_eq!(status, 401, "{path}: {v}");
        assert!(v["errMsg"].as_str().unwrap().contains(":fail unauthorized"), "{v}");
    }
    for path in ["/client/v1/werun/like", "/client/v1/werun/hide"] {
        let (status, v) = s.post_json(path, None, &json!({"user_id": 1, "hidden": true})).await;
        assert_eq!(status, 401, "{path}: {v}");
    }
}

#[tokio::test]
async fn the_packed_ranking_reads_back_exactly_on_this_engine() {
    let s = TestServer::spawn().await;
    let (v, a, b, _) = circle(&s).await;
    let app = fitness_app(&s).await;
    steps(&s, &a, 1_234).await;
    check_in(&s, &b, &app, json!([{"typeId": 2006, "calorie": 321}])).await;
    like(&s, &v, json!({"user_id": a.user_id})).await;
    // Names the API would refuse (separators) are written to the store directly: the packing must survive them.
    let store = &s.state.store;
    for (i, name) in ["😀 emoji", "a\u{1f}b", "c\u{1e}d\u{1e}", "", "名字 with spaces"]
        .iter()
        .enumerate()
    {
        let u = store.create_user(name, &format!("odd-{i}"), 0).await.unwrap();
        store.add_friendship(UserId(v.user_id), u.id, 0).await.unwrap();
    }
    let day = s.state.config.day_zone.day_start(s.state.now());
    let by_id = |mut rows: Vec<yundong_store::RankingRow>| {
        rows.sort_by_key(|r| r.user_id);
        rows
    };
    let packed = store
        .ranking_rows_packed(UserId(v.user_id), day)
        .await
        .unwrap()
        .expect("the packed text reads back");
    let plain = store.ranking_rows_plain(UserId(v.user_id), day).await.unwrap();
    assert_eq!(packed.len(), 9);
    assert_eq!(by_id(packed), by_id(plain));
    let r = ranking(&s, &v).await;
    assert_eq!(row(&r, a.user_id)["liked"], true);
    assert_eq!(row(&r, b.user_id)["checkin"]["name"], "打羽毛球");
    assert!(
        r["ranking"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["nickname"] == "c\u{1e}d\u{1e}")
    );
}

#[tokio::test]
async fn the_social_endpoints_and_their_shapes_are_in_the_openapi_document() {
    let s = TestServer::spawn().await;
    let (status, doc) = s.get_json("/openapi.json").await;
    assert_eq!(status, 200);
    for (path, method) in [
        ("/client/v1/wx/shareToWeRun", "post"),
        ("/client/v1/werun/ranking", "get"),
        ("/client/v1/werun/like", "post"),
        ("/client/v1/werun/hide", "post"),
        ("/client/v1/werun/friends", "get"),
        ("/client/v1/werun/detail", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing from /openapi.json"
        );
    }
    let schemas = &doc["components"]["schemas"];
    for name in [
        "ShareToWeRunRequest",
        "ShareToWeRunResponse",
        "RecordInput",
        "RecordView",
        "RankingResponse",
        "RankingEntry",
        "Cover",
        "LikeResponse",
        "DetailResponse",
        "DayStep",
        "CheckInView",
        "FriendsResponse",
    ] {
        assert!(schemas[name].is_object(), "schema {name} missing");
    }
    // recordList is documented as records, though the server reads it raw to name the wrong field.
    let record_list = &schemas["ShareToWeRunRequest"]["properties"]["recordList"];
    assert_eq!(record_list["type"], "array", "{record_list}");
}
