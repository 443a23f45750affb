//! "Acknowledged means on disk" for what a user cannot redo (SECURITY.md, "Durability"): on SQLite such writes are
//! committed with `synchronous=FULL`, so the server calls fsync/fdatasync before it answers. Watched from outside
//! with strace (Debian's `strace`, in the base image), attached to the running binary: each durable write costs at
//! least one sync call before its answer, while redo-able writes (`wx.login` codes) cost none.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::process::{ADMIN, Server, post};

struct Trace {
    child: Child,
    out: std::path::PathBuf,
}

impl Trace {
    fn attach(pid: u32, out: std::path::PathBuf) -> Trace {
        let child = Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=fsync,fdatasync", "-o"])
            .arg(&out)
            .args(["-p", &pid.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("strace (Debian's strace package) is needed for this test");
        std::thread::sleep(Duration::from_millis(700));
        Trace { child, out }
    }

    /// Sync calls seen so far.
    fn syncs(&self) -> usize {
        std::thread::sleep(Duration::from_millis(150));
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("fsync(") || l.contains("fdatasync("))
            .count()
    }
}

impl Drop for Trace {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn writes_users_cannot_redo_are_synced_before_they_are_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}?mode=rwc", dir.path().join("y.sqlite").display());
    let server = Server::start(&db, &[]);
    let base = server.base.clone();
    let http = reqwest::Client::new();
    let app: Value = post(
        &http,
        format!("{base}/admin/v1/apps"),
        Some(ADMIN),
        json!({"name": "fit", "category": "体育-在线健身", "werun_share": true}),
    )
    .await;
    let appid = app["appid"].as_str().unwrap().to_owned();
    let mut users = Vec::new();
    for name in ["a", "b"] {
        let u: Value = post(
            &http,
            format!("{base}/admin/v1/users"),
            Some(ADMIN),
            json!({"nickname": name}),
        )
        .await;
        users.push((u["user_id"].as_i64().unwrap(), u["token"].as_str().unwrap().to_owned()));
    }
    let ((a_id, a), (b_id, _)) = (users[0].clone(), users[1].clone());
    post(
        &http,
        format!("{base}/admin/v1/friendships"),
        Some(ADMIN),
        json!({"a": a_id, "b": b_id}),
    )
    .await;

    let trace = Trace::attach(server.child.id(), dir.path().join("strace.out"));
    // Redo-able: login codes. No sync for any of them.
    let before = trace.syncs();
    for _ in 0..10 {
        let v = post(
            &http,
            format!("{base}/client/v1/wx/login"),
            Some(&a),
            json!({"appid": appid}),
        )
        .await;
        assert_eq!(v["errMsg"], "login:ok");
    }
    assert_eq!(trace.syncs(), before, "wx.login codes are not synced one by one");

    // Durable: each of these is synced before its answer.
    let durable: Vec<(&str, String, Option<&str>, Value)> = vec![
        (
            "check-in",
            format!("{base}/client/v1/wx/shareToWeRun"),
            Some(&a),
            json!({"appid": appid, "recordList": [{"typeId": 3001, "distance": 1000}], "confirm": true}),
        ),
        (
            "consent",
            format!("{base}/client/v1/wx/authorize"),
            Some(&a),
            json!({"appid": appid, "scope": "scope.werun", "allow": true}),
        ),
        (
            "hide",
            format!("{base}/client/v1/werun/hide"),
            Some(&a),
            json!({"user_id": b_id, "hidden": true}),
        ),
        (
            "like",
            format!("{base}/client/v1/werun/like"),
            Some(&a),
            json!({"user_id": b_id}),
        ),
        (
            "new app",
            format!("{base}/admin/v1/apps"),
            Some(ADMIN),
            json!({"name": "another"}),
        ),
        (
            "token reset",
            format!("{base}/admin/v1/users/{b_id}/token"),
            Some(ADMIN),
            json!({}),
        ),
    ];
    for (what, url, token, body) in durable {
        let before = trace.syncs();
        let v = post(&http, url, token, body).await;
        assert!(
            v.get("error").is_none() && !v["errMsg"].as_str().unwrap_or("").contains(":fail"),
            "{what}: {v}"
        );
        assert!(trace.syncs() > before, "{what} was acknowledged without a sync");
    }
    drop(trace);
    server.stop();
}
