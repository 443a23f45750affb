//! SIGKILL during concurrent step uploads and check-ins: after a restart every acknowledged write is there, and
//! nothing is half-written (each stored step value is exactly one that was sent; each check-in has its whole record
//! list). Repeated several times on the same database; on PostgreSQL too when `YUNDONG_TEST_POSTGRES` is set.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::process::{ADMIN, Server, get, post};

const USERS: usize = 6;

/// The test hammers check-ins far past the per-user quota (SECURITY.md): lift it, the subject here is durability.
const UNLIMITED: &[(&str, &str)] = &[
    ("YUNDONG_CHECK_INS_PER_MINUTE", "1000000"),
    ("YUNDONG_CHECK_INS_PER_DAY", "1000000"),
];

/// The fitness app the users check in with (only that category may call shareToWeRun).
async fn create_fitness_app(base: &str) -> String {
    let http = reqwest::Client::new();
    let body = json!({"name": "crash fitness", "category": "体育-在线健身", "werun_share": true});
    let app = post(&http, format!("{base}/admin/v1/apps"), Some(ADMIN), body).await;
    app["appid"].as_str().unwrap().to_owned()
}

async fn create_users(base: &str) -> Vec<String> {
    let http = reqwest::Client::new();
    let mut tokens = Vec::new();
    for i in 0..USERS {
        let body = json!({"nickname": format!("crash{i}")});
        let v = post(&http, format!("{base}/admin/v1/users"), Some(ADMIN), body).await;
        tokens.push(v["token"].as_str().unwrap().to_owned());
    }
    tokens
}

/// What the uploaders saw: per (user, date) the last acknowledged value, and per user the one upload in flight
/// when the server died (each user uploads sequentially), which may or may not have committed.
#[derive(Default)]
struct Seen {
    acked: HashMap<(usize, String), i64>,
    in_flight: HashMap<usize, (String, i64)>,
    /// Acknowledged check-in ids per user, with the record value sent.
    check_ins: HashMap<usize, Vec<(i64, i64)>>,
}

/// Upload steps and check in until the server dies.
async fn upload_until_killed(base: String, appid: String, tokens: Vec<String>, round: i64, seen: Arc<Mutex<Seen>>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for (u, token) in tokens.clone().into_iter().enumerate() {
        let (http, base, appid, seen) = (http.clone(), base.clone(), appid.clone(), seen.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..10_000i64 {
                let minutes = 1 + (round * 31 + i) % 1440;
                let records = json!([{"typeId": 3001, "time": minutes}, {"typeId": 4001, "number": 1 + i % 9_999}]);
                let key = format!("r{round}-u{u}-{i}");
                let body = json!({"appid": appid, "confirm": true, "idempotencyKey": key, "recordList": records});
                let url = format!("{base}/client/v1/wx/shareToWeRun");
                let Ok(res) = http.post(url).bearer_auth(&token).json(&body).send().await else {
                    return;
                };
                let Ok(v) = res.json::<Value>().await else { return };
                if v["errMsg"] == "shareToWeRun:ok" {
                    let id = v["checkInId"].as_i64().unwrap();
                    seen.lock().unwrap().check_ins.entry(u).or_default().push((id, minutes));
                }
            }
        }));
    }
    for (u, token) in tokens.into_iter().enumerate() {
        let (http, base, seen) = (http.clone(), base.clone(), seen.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..10_000i64 {
                let date = yundong_proto::day::DayZone::CHINA.format_date(now() - (i % 30) * 86_400);
                let steps = (round * 7_919 + i * 13) % 98_800;
                seen.lock().unwrap().in_flight.insert(u, (date.clone(), steps));
                let body = json!({"steps": steps, "date": date});
                let res = http
                    .post(format!("{base}/client/v1/steps"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                let Ok(res) = res else { return };
                let Ok(v) = res.json::<Value>().await else { return };
                if v["errMsg"] == "steps:ok" {
                    let mut seen = seen.lock().unwrap();
                    seen.acked.insert((u, date), steps);
                    seen.in_flight.remove(&u);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn acknowledged_uploads_survive_sigkill() {
    let (db, _dir) = yundong_testkit::fresh_database().await;
    let server = Server::start(&db, UNLIMITED);
    let tokens = create_users(&server.base).await;
    let appid = create_fitness_app(&server.base).await;
    server.stop();
    for round in 1..=3 {
        let server = Server::start(&db, UNLIMITED);
        let seen = Arc::new(Mutex::new(Seen::default()));
        let uploads = tokio::spawn(upload_until_killed(
            server.base.clone(),
            appid.clone(),
            tokens.clone(),
            round,
            seen.clone(),
        ));
        // Kill once enough writes were acknowledged (on a loaded machine that can take longer than usual).
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        tokio::time::sleep(Duration::from_millis(300)).await;
        while std::time::Instant::now() < deadline {
            {
                let seen = seen.lock().unwrap();
                let check_ins: usize = seen.check_ins.values().map(Vec::len).sum();
                if seen.acked.len() > 20 && check_ins > 10 {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server.kill();
        let _ = uploads.await;
        let seen = std::mem::take(&mut *seen.lock().unwrap());
        assert!(
            seen.acked.len() > 10,
            "round {round}: uploads were acknowledged before the kill ({})",
            seen.acked.len()
        );
        let acked_check_ins: usize = seen.check_ins.values().map(Vec::len).sum();
        assert!(
            acked_check_ins > 5,
            "round {round}: check-ins were acknowledged before the kill ({acked_check_ins})"
        );

        // Restart on the same database and read every user's days back through the API.
        let server = Server::start(&db, UNLIMITED);
        for (u, token) in tokens.iter().enumerate() {
            let stored = read_check_ins(&server.base, token).await;
            for (id, minutes) in seen.check_ins.get(&u).into_iter().flatten() {
                let records = stored
                    .get(id)
                    .unwrap_or_else(|| panic!("round {round}: acknowledged check-in {id} lost"));
                assert_eq!(records.len(), 2, "round {round}: check-in {id} is whole");
                assert_eq!(
                    (records[0]["typeId"].as_i64(), records[0]["value"].as_i64()),
                    (Some(3001), Some(*minutes))
                );
            }
            for (id, records) in &stored {
                assert_eq!(records.len(), 2, "round {round}: no half-written check-in ({id})");
            }
            let days = read_days(&server.base, token).await;
            for ((_, date), steps) in seen.acked.iter().filter(|((au, _), _)| *au == u) {
                let stored = days.get(date).copied().unwrap_or(-1);
                let in_flight = seen.in_flight.get(&u).filter(|(d, _)| d == date).map(|(_, s)| *s);
                assert!(
                    stored == *steps || Some(stored) == in_flight,
                    "round {round}: user {u} {date}: acknowledged {steps}, in flight {in_flight:?}, stored {stored}"
                );
            }
        }
        server.stop();
    }
}

/// A user's stored check-ins (id → records), through the detail API, page by page.
async fn read_check_ins(base: &str, token: &str) -> HashMap<i64, Vec<Value>> {
    let http = reqwest::Client::new();
    let mut all = HashMap::new();
    let mut cursor: Option<i64> = None;
    loop {
        let mut url = format!("{base}/client/v1/werun/detail?checkins_limit=100");
        if let Some(c) = cursor {
            url.push_str(&format!("&checkins_cursor={c}"));
        }
        let v: Value = http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["errMsg"], "detail:ok", "{v}");
        for c in v["checkins"].as_array().unwrap() {
            all.insert(c["id"].as_i64().unwrap(), c["records"].as_array().unwrap().clone());
        }
        match v["checkins_next"].as_i64() {
            Some(next) => cursor = Some(next),
            None => return all,
        }
    }
}

/// A user's stored day totals, through the client API (a fresh app, login, exchange, getWeRunData, decrypt).
async fn read_days(base: &str, token: &str) -> HashMap<String, i64> {
    let http = reqwest::Client::new();
    let app = post(
        &http,
        format!("{base}/admin/v1/apps"),
        Some(ADMIN),
        json!({"name": "reader"}),
    )
    .await;
    let (appid, secret) = (app["appid"].as_str().unwrap(), app["secret"].as_str().unwrap());
    let code = post(
        &http,
        format!("{base}/client/v1/wx/login"),
        Some(token),
        json!({"appid": appid}),
    )
    .await;
    let code = code["code"].as_str().unwrap();
    let sess = get(
        &http,
        format!("{base}/sns/jscode2session?appid={appid}&secret={secret}&js_code={code}&grant_type=authorization_code"),
    )
    .await;
    let body = json!({"appid": appid, "allow": true});
    let v = post(&http, format!("{base}/client/v1/wx/getWeRunData"), Some(token), body).await;
    let plain = yundong_proto::crypto::decrypt(
        sess["session_key"].as_str().unwrap(),
        v["iv"].as_str().unwrap(),
        v["encryptedData"].as_str().unwrap(),
    )
    .unwrap();
    let data: yundong_proto::werun::WeRunData = serde_json::from_slice(&plain).unwrap();
    data.step_info_list
        .iter()
        .map(|s| (yundong_proto::day::DayZone::CHINA.format_date(s.timestamp), s.step))
        .collect()
}
