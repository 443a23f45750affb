//! Upgrades (issue 18): a database made by the previous release (its schema kept as a fixture in
//! tests/fixtures/release-0.1.0), holding data written the way that release stored it, is opened by the current
//! binary, whose migrations (whatever it carries) upgrade it, and everything reads back through the APIs.

use std::path::PathBuf;

use serde_json::json;
use sqlx::Row as _;
use yundong_proto::day::DayZone;
use yundong_testkit::{TestServer, fresh_database, on_postgres};

use crate::support::decrypt_answer;

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const APPID: &str = "wx00000000000000a1";
const TOKEN_A: &str = "ydu_release_0_1_0_user_a";
const TOKEN_B: &str = "ydu_release_0_1_0_user_b";
const SESSION_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZg==";
const OPENID: &str = "oRelease010AAAAAAAAAAAAAAAAA";

fn sha256_hex(s: &str) -> String {
    hex::encode(yundong_proto::crypto::sha256(s.as_bytes()))
}

fn fixture() -> PathBuf {
    let engine = if on_postgres() { "postgres" } else { "sqlite" };
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/release-0.1.0/{engine}"))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A database with release 0.1.0's schema and data written as 0.1.0 wrote it; returns (url, user ids a and b).
async fn previous_release_database() -> (String, Option<std::sync::Arc<tempfile::TempDir>>, i64, i64) {
    let (url, dir) = fresh_database().await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let migrator = sqlx::migrate::Migrator::new(fixture()).await.unwrap();
    assert_eq!(migrator.iter().map(|m| m.version).max(), Some(5));
    migrator.run(&pool).await.unwrap();

    let now = now();
    let today = DayZone::CHINA.day_start(now);
    let q = |sql: &'static str| sqlx::query(sql);
    q("INSERT INTO settings (key, value) VALUES ('admin_token_hash', $1)")
        .bind(sha256_hex(yundong_testkit::ADMIN_TOKEN))
        .execute(&pool)
        .await
        .unwrap();
    q(
        "INSERT INTO apps (appid, secret_hash, original_id, name, category, werun_share, created_at) \
       VALUES ($1, $2, 'gh_0123456789ab', 'release 0.1.0 app', NULL, 0, $3)",
    )
    .bind(APPID)
    .bind(sha256_hex(SECRET))
    .bind(now - 86_400)
    .execute(&pool)
    .await
    .unwrap();
    let app_id: i64 = q("SELECT id FROM apps WHERE appid = $1")
        .bind(APPID)
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    let mut ids = Vec::new();
    for (nick, token) in [("a", TOKEN_A), ("b", TOKEN_B)] {
        q("INSERT INTO users (nickname, token_hash, werun, join_ranking, created_at) VALUES ($1, $2, 1, 1, $3)")
            .bind(nick)
            .bind(sha256_hex(token))
            .bind(now - 86_400)
            .execute(&pool)
            .await
            .unwrap();
        let id: i64 = q("SELECT id FROM users WHERE token_hash = $1")
            .bind(sha256_hex(token))
            .fetch_one(&pool)
            .await
            .unwrap()
            .get(0);
        ids.push(id);
    }
    let (a, b) = (ids[0], ids[1]);
    for (x, y) in [(a, b), (b, a)] {
        q("INSERT INTO friendships (user_id, friend_id, hidden, created_at) VALUES ($1, $2, 0, $3)")
            .bind(x)
            .bind(y)
            .bind(now - 3_600)
            .execute(&pool)
            .await
            .unwrap();
    }
    q("INSERT INTO openids (app_id, user_id, openid) VALUES ($1, $2, $3)")
        .bind(app_id)
        .bind(a)
        .bind(OPENID)
        .execute(&pool)
        .await
        .unwrap();
    q("INSERT INTO sessions (app_id, user_id, session_key, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(app_id)
        .bind(a)
        .bind(SESSION_KEY)
        .bind(now + 86_400)
        .execute(&pool)
        .await
        .unwrap();
    q("INSERT INTO grants (user_id, app_id, scope, allow, updated_at) VALUES ($1, $2, 'scope.werun', 1, $3)")
        .bind(a)
        .bind(app_id)
        .bind(now - 60)
        .execute(&pool)
        .await
        .unwrap();
    for (user, day, steps) in [(a, today, 7_001), (a, today - 86_400, 6_002), (b, today, 9_003)] {
        q("INSERT INTO daily_steps (user_id, day, source, steps) VALUES ($1, $2, 0, $3)")
            .bind(user)
            .bind(day)
            .bind(steps)
            .execute(&pool)
            .await
            .unwrap();
    }
    q("INSERT INTO likes (target_id, day, liker_id, created_at) VALUES ($1, $2, $3, $4)")
        .bind(b)
        .bind(today)
        .bind(a)
        .bind(now - 30)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    (url, dir, a, b)
}

#[tokio::test]
async fn the_previous_releases_database_upgrades_and_reads_back() {
    let (url, _dir, a, b) = previous_release_database().await;
    // The current binary opens it: its migrations (0006 and later, whatever it carries) run now.
    let s = TestServer::spawn_on(&url).await;
    let (status, ready) = s.get_json("/readyz").await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(
        ready["schema_database"], ready["schema_binary"],
        "upgraded to what the binary carries"
    );

    // The app's secret still works (stored as its hash).
    let (_, token) = s
        .get_json(&format!(
            "/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}"
        ))
        .await;
    assert!(token["access_token"].is_string(), "{token}");
    // The admin token hash is in force.
    let (status, _) = s
        .post_json(
            "/admin/v1/users",
            Some(yundong_testkit::ADMIN_TOKEN),
            &json!({"nickname": "new"}),
        )
        .await;
    assert_eq!(status, 201);

    // The ranking: both users' steps, b's like.
    let (status, r) = s.http_get("/client/v1/werun/ranking", Some(TOKEN_A)).await;
    assert_eq!(status, 200, "{r}");
    let row = |id: i64| {
        r["rows"]
            .as_array()
            .or_else(|| r["ranking"].as_array())
            .and_then(|rows| rows.iter().find(|x| x["user_id"] == id).cloned())
            .unwrap_or_else(|| panic!("no row for {id} in {r}"))
    };
    assert_eq!(row(a)["steps"], 7_001);
    assert_eq!(row(b)["steps"], 9_003);
    assert_eq!(row(b)["likes"], 1, "{r}");

    // getWeRunData under the stored session_key: the stored days come back, decryptable by the app.
    let v = s.werun(TOKEN_A, APPID).await;
    let data = decrypt_answer(SESSION_KEY, &v);
    let list = data["stepInfoList"].as_array().unwrap();
    assert_eq!(list.len(), 31);
    assert_eq!(list[30]["step"], 7_001, "{data}");
    assert_eq!(list[29]["step"], 6_002);
    assert_eq!(data["watermark"]["appid"], APPID);

    // New writes land beside the old rows (ids and sequences carried on).
    let c = s.user("c").await;
    assert!(c.user_id > b.max(a), "{} after {a}, {b}", c.user_id);
    s.befriend(a, c.user_id).await;
    s.steps(&c.token, 1_234, None).await;
    let (_, r) = s.http_get("/client/v1/werun/ranking", Some(TOKEN_A)).await;
    assert!(r.to_string().contains("1234"), "{r}");
    let openid = s.session(&s.app().await, &c).await.0;
    assert!(!openid.is_empty());
}

/// A binary older than the schema (a rolling upgrade has moved the database on) refuses to start instead of running
/// on a schema it does not know.
#[tokio::test]
async fn a_binary_older_than_the_schema_refuses_to_start() {
    let s = TestServer::spawn().await;
    let pool = sqlx::AnyPool::connect(&s.database_url).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         SELECT 99999, 'from a newer release', installed_on, success, checksum, execution_time \
         FROM _sqlx_migrations WHERE version = 1",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let err = yundong_store::Store::connect(&s.database_url).await.unwrap_err();
    assert!(err.to_string().contains("99999"), "{err}");
    // A node already running on it stays ready: the newer migration only added to the schema.
    let (status, v) = s.get_json("/readyz").await;
    assert_eq!((status, v["schema_database"].as_i64()), (200, Some(99_999)), "{v}");
}
