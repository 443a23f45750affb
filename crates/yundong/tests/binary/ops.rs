//! Operating the binary (issue 18): `yundong backup` while the server writes, `yundong restore` into an empty
//! database (every table compared), secrets still hashed in the copy, mode 0600; `--metrics-listen` and
//! `--no-metrics`.

use std::collections::BTreeMap;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Row as _;
use yundong_store::{Backend, Store};

use crate::process::{ADMIN, Server, get, post};

fn yundong(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yundong"))
        .args(args)
        .output()
        .expect("run yundong")
}

async fn yundong_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        yundong(&args)
    })
    .await
    .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every table (sqlx's bookkeeping included) as sorted rows of text, read the engine's own way.
async fn dump(url: &str) -> BTreeMap<String, Vec<String>> {
    let store = Store::connect_unmigrated(url).await.unwrap();
    let mut tables = store.tables().await.unwrap();
    tables.push("_sqlx_migrations".into());
    let backend = store.backend();
    store.close().await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let mut out = BTreeMap::new();
    for t in tables {
        let sql = match backend {
            Backend::Postgres => format!("SELECT (t.*)::text AS r FROM {t} t"),
            Backend::Sqlite => {
                let cols: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT name FROM pragma_table_info('{t}') ORDER BY cid"
                )))
                .fetch_all(&pool)
                .await
                .unwrap()
                .iter()
                .map(|r| format!("quote({})", r.get::<String, _>(0)))
                .collect();
                format!("SELECT {} AS r FROM {t}", cols.join(" || '|' || "))
            }
        };
        let mut rows: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("r"))
            .collect();
        rows.sort();
        out.insert(t, rows);
    }
    pool.close().await;
    out
}

struct Populated {
    appid: String,
    secret: String,
    tokens: Vec<String>,
}

/// An app, three friends with steps over several days, a session, an access token, getWeRunData and a like.
async fn populate(base: &str) -> Populated {
    let http = reqwest::Client::new();
    let app = post(
        &http,
        format!("{base}/admin/v1/apps"),
        Some(ADMIN),
        json!({"name": "backup"}),
    )
    .await;
    let (appid, secret) = (
        app["appid"].as_str().unwrap().to_owned(),
        app["secret"].as_str().unwrap().to_owned(),
    );
    let mut users = Vec::new();
    for i in 0..3 {
        let u = post(
            &http,
            format!("{base}/admin/v1/users"),
            Some(ADMIN),
            json!({"nickname": format!("b{i}")}),
        )
        .await;
        users.push((u["user_id"].as_i64().unwrap(), u["token"].as_str().unwrap().to_owned()));
    }
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        let body = json!({"a": users[a].0, "b": users[b].0});
        post(&http, format!("{base}/admin/v1/friendships"), Some(ADMIN), body).await;
    }
    let today = yundong_proto::day::DayZone::CHINA.format_date(now());
    let yesterday = yundong_proto::day::DayZone::CHINA.format_date(now() - 86_400);
    for (i, (_, token)) in users.iter().enumerate() {
        for date in [&today, &yesterday] {
            let body = json!({"steps": 1_000 * (i as i64 + 1), "date": date});
            let v = post(&http, format!("{base}/client/v1/steps"), Some(token), body).await;
            assert_eq!(v["errMsg"], "steps:ok", "{v}");
        }
    }
    let token = &users[0].1;
    let code = post(
        &http,
        format!("{base}/client/v1/wx/login"),
        Some(token),
        json!({"appid": appid}),
    )
    .await;
    let code = code["code"].as_str().unwrap();
    let s = get(
        &http,
        format!("{base}/sns/jscode2session?appid={appid}&secret={secret}&js_code={code}&grant_type=authorization_code"),
    )
    .await;
    assert!(s["openid"].is_string(), "{s}");
    let t = get(
        &http,
        format!("{base}/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret}"),
    )
    .await;
    assert!(t["access_token"].is_string(), "{t}");
    let w = post(
        &http,
        format!("{base}/client/v1/wx/getWeRunData"),
        Some(token),
        json!({"appid": appid, "allow": true}),
    )
    .await;
    assert!(w["encryptedData"].is_string(), "{w}");
    let like = post(
        &http,
        format!("{base}/client/v1/werun/like"),
        Some(token),
        json!({"user_id": users[1].0}),
    )
    .await;
    assert!(like["errMsg"].as_str().unwrap().starts_with("like:"), "{like}");
    Populated {
        appid,
        secret,
        tokens: users.into_iter().map(|u| u.1).collect(),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn backup_while_serving_and_restore_into_an_empty_database() {
    let (db, _dir) = yundong_testkit::fresh_database().await;
    let server = Server::start(&db, &[]);
    let data = populate(&server.base).await;
    let work = tempfile::tempdir().unwrap();

    // Backup 1 while uploads keep coming in.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (base, token, stop) = (server.base.clone(), data.tokens[2].clone(), stop.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut n = 0i64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let v = post(
                    &http,
                    format!("{base}/client/v1/steps"),
                    Some(&token),
                    json!({"steps": n}),
                )
                .await;
                assert_eq!(v["errMsg"], "steps:ok", "{v}");
            }
            n
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let b1 = work.path().join("during-writes.backup");
    let out = yundong_async(vec![
        "backup".into(),
        "--to".into(),
        b1.display().to_string(),
        "--database".into(),
        db.clone(),
    ])
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, Ordering::Relaxed);
    let uploads = writer.await.unwrap();
    assert!(uploads > 1, "uploads ran during the backup");
    #[cfg(unix)]
    assert_eq!(mode(&b1), 0o600, "the copy is private to its owner");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["bytes"].as_u64().unwrap() > 0, "{report}");

    // Backup 2, quiet: restored, every table must equal the source's.
    let b2 = work.path().join("quiet.backup");
    let out = yundong(&["backup", "--to", b2.to_str().unwrap(), "--database", &db]);
    assert!(out.status.success(), "{}", stderr(&out));
    let again = yundong(&["backup", "--to", b2.to_str().unwrap(), "--database", &db]);
    assert!(!again.status.success(), "an existing file is never overwritten");
    assert!(stderr(&again).contains("must not exist"), "{}", stderr(&again));
    let source = dump(&db).await;

    let (target, _target_dir) = yundong_testkit::fresh_database().await;
    let out = yundong(&["restore", b2.to_str().unwrap(), "--database", &target]);
    assert!(out.status.success(), "{}", stderr(&out));
    let restored = dump(&target).await;
    assert_eq!(restored.keys().collect::<Vec<_>>(), source.keys().collect::<Vec<_>>());
    for (table, rows) in &source {
        assert_eq!(&restored[table], rows, "table {table} differs after the round trip");
    }
    assert!(
        restored["daily_steps"].len() >= 6 && restored["sessions"].len() == 1,
        "{restored:?}"
    );

    // A non-empty database is refused, and left as it was.
    let out = yundong(&["restore", b2.to_str().unwrap(), "--database", &target]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
    assert_eq!(dump(&target).await, restored);

    // Secrets stay hashed: no plaintext secret or token in any cell of the copy (nor in its bytes, on SQLite).
    let secret_hash = hex::encode(yundong_proto::crypto::sha256(data.secret.as_bytes()));
    let all: String = restored.values().flatten().cloned().collect::<Vec<_>>().join("\n");
    for plain in [data.secret.as_str(), ADMIN]
        .into_iter()
        .chain(data.tokens.iter().map(String::as_str))
    {
        assert!(!all.contains(plain), "a plaintext secret in the copy");
    }
    assert!(all.contains(&secret_hash), "the secret's hash is kept");
    if db.starts_with("sqlite:") {
        let bytes = std::fs::read(&b2).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&data.secret) && !text.contains(ADMIN));
        #[cfg(unix)]
        assert_eq!(
            mode(std::path::Path::new(
                target.trim_start_matches("sqlite:").split('?').next().unwrap()
            )),
            0o600
        );
    }

    // The copy taken during writes restores too, whole: it serves, and the app's secret works on it.
    let (third, _third_dir) = yundong_testkit::fresh_database().await;
    let out = yundong(&["restore", b1.to_str().unwrap(), "--database", &third]);
    assert!(out.status.success(), "{}", stderr(&out));
    let during = dump(&third).await;
    for table in [
        "apps",
        "users",
        "friendships",
        "sessions",
        "openids",
        "grants",
        "settings",
        "likes",
    ] {
        assert_eq!(during[table], source[table], "{table}");
    }
    server.stop();
    let restored_server = Server::start(&third, &[]);
    let http = reqwest::Client::new();
    let base = &restored_server.base;
    let t = get(
        &http,
        format!(
            "{base}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
            data.appid, data.secret
        ),
    )
    .await;
    assert!(t["access_token"].is_string(), "{t}");
    let r = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    restored_server.stop();
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_backup() {
    let work = tempfile::tempdir().unwrap();
    let junk = work.path().join("junk");
    std::fs::write(&junk, b"not a backup at all").unwrap();
    let (target, _dir) = yundong_testkit::fresh_database().await;
    let out = yundong(&["restore", junk.to_str().unwrap(), "--database", &target]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not a yundong backup"), "{}", stderr(&out));
    let empty = yundong(&[
        "backup",
        "--to",
        work.path().join("b").to_str().unwrap(),
        "--database",
        &target,
    ]);
    // A fresh PostgreSQL database exists but holds no tables; a fresh SQLite path does not exist at all.
    assert!(
        !empty.status.success()
            && (stderr(&empty).contains("nothing to back up") || stderr(&empty).contains("no database at")),
        "{}",
        stderr(&empty)
    );
}

#[tokio::test]
async fn metrics_move_to_their_own_listener_or_off() {
    let (db, _dir) = yundong_testkit::fresh_database().await;
    // A free port for the metrics listener (the server prints its main address only).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let server = Server::start(&db, &[("YUNDONG_METRICS_LISTEN", listen.as_str())]);
    let http = reqwest::Client::new();
    let at = format!("http://{listen}/metrics");
    assert!(!at.starts_with(&server.base), "{at} is its own listener");
    http.get(format!("{}/healthz", server.base)).send().await.unwrap();
    let res = http.get(&at).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(
        text.contains(r#"yundong_http_requests_total{surface="other",route="/healthz",status="200",errcode=""} 1"#),
        "{text}"
    );
    let main = http.get(format!("{}/metrics", server.base)).send().await.unwrap();
    assert_eq!(main.status(), 404, "not on the main listener");
    server.stop();

    let server = Server::start(&db, &[("YUNDONG_NO_METRICS", "true")]);
    let res = http.get(format!("{}/metrics", server.base)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        http.get(format!("{}/readyz", server.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    server.stop();
}
