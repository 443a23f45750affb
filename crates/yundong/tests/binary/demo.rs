//! `yundong demo` seeds a consistent data set that the server then serves.

use std::process::Command;

use serde_json::{Value, json};

use crate::process::{Server, post};

#[tokio::test]
async fn demo_seeds_users_friends_steps_and_a_working_app() {
    let (db, _dir) = yundong_testkit::fresh_database().await;
    let out = Command::new(env!("CARGO_BIN_EXE_yundong"))
        .args(["demo", "--users", "300", "--friends", "10", "--json", "--database", &db])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["users"], 300);
    let token = summary["tokens"][0][2].as_str().unwrap().to_owned();
    let star = yundong_store::UserId(summary["tokens"][0][0].as_i64().unwrap());

    let store = yundong_store::Store::connect(&db).await.unwrap();
    let friends = store.friend_ids(star).await.unwrap();
    assert!(
        friends.len() >= 200,
        "the first user has the 200-friend star: {}",
        friends.len()
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let window = yundong_proto::day::DayZone::CHINA.window(now);
    let totals = store.day_totals(star, window[0], window[30]).await.unwrap();
    assert!(
        totals.len() >= 20 && totals.iter().all(|t| (0..=98_800).contains(&t.steps)),
        "{totals:?}"
    );

    if yundong_testkit::on_postgres() {
        // The planner has statistics for what was just loaded (Store::refresh_statistics), not only once autovacuum
        // gets to it.
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(&db).await.unwrap();
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM pg_stat_user_tables
             WHERE relname IN ('users', 'friendships', 'daily_steps') AND last_analyze IS NOT NULL",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(sqlx::Row::get::<i64, _>(&row, "n"), 3, "demo leaves fresh statistics");
    }

    // The server serves it: the printed token signs in, the demo app logs in, and new users get fresh ids.
    let server = Server::start(&db, &[]);
    let http = reqwest::Client::new();
    let body = json!({"appid": summary["appid"]});
    let v = post(&http, format!("{}/client/v1/wx/login", server.base), Some(&token), body).await;
    assert_eq!(v["errMsg"], "login:ok", "{v}");
    let body = json!({"nickname": "after demo"});
    let v = post(
        &http,
        format!("{}/admin/v1/users", server.base),
        Some(crate::process::ADMIN),
        body,
    )
    .await;
    assert_eq!(v["user_id"], 301, "{v}");
    server.stop();
}
