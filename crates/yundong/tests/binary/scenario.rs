//! The scenario, reset and clock commands of the real binary (issue 13): `yundong scenario apply|export` is
//! idempotent and round-trips byte for byte, `yundong serve --scenario` serves the file's fixed credentials, and a
//! reset or clock move made by the CLI reaches a running server at once.

use std::process::Command;

use serde_json::{Value, json};

use crate::process::{ADMIN, Server, post};

const SMALL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/small.yaml");
const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/demo.yaml");

fn yundong(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_yundong")).args(args).output().unwrap()
}

fn ok_json(args: &[&str]) -> Value {
    let out = yundong(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn scenario_apply_is_idempotent_and_export_apply_export_is_byte_identical() {
    let (db, _dir) = yundong_testkit::fresh_database().await;
    let first = ok_json(&["scenario", "apply", DEMO, "--json", "--database", &db]);
    assert_eq!(first["users"].as_array().unwrap().len(), 30);
    assert_eq!(first["users"][0]["created"], true);
    let second = ok_json(&["scenario", "apply", DEMO, "--json", "--database", &db]);
    assert!(
        second["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["created"] == false && u.get("token").is_none())
    );
    assert_eq!(second["check_ins_added"], 0);
    let files = tempfile::tempdir().unwrap();
    let (one, two) = (files.path().join("one.yaml"), files.path().join("two.yaml"));
    let out = yundong(&["scenario", "export", "-o", one.to_str().unwrap(), "--database", &db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (db2, _dir2) = yundong_testkit::fresh_database().await;
    ok_json(&["scenario", "apply", one.to_str().unwrap(), "--json", "--database", &db2]);
    let out = yundong(&["scenario", "export", "-o", two.to_str().unwrap(), "--database", &db2]);
    assert!(out.status.success());
    let (a, b) = (std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    assert!(!a.is_empty());
    assert_eq!(a, b, "export -> apply -> export gives the same file");
    // Export to standard output is the same text.
    let out = yundong(&["scenario", "export", "--database", &db2]);
    assert_eq!(out.stdout, b);
    // A broken file: a clear error naming the file, exit 1, nothing changed.
    let bad = files.path().join("bad.yaml");
    std::fs::write(&bad, "users: [{key: x, nickname: 甲, token: short}]\n").unwrap();
    let out = yundong(&["scenario", "apply", bad.to_str().unwrap(), "--database", &db2]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.yaml") && err.contains("token must be 32 to 128"),
        "{err}"
    );
}

#[tokio::test]
async fn serve_with_a_scenario_serves_its_credentials_and_follows_cli_resets_and_clock_moves() {
    let (db, _dir) = yundong_testkit::fresh_database().await;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yundong"));
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database",
        &db,
        "--test-mode",
        "--scenario",
        SMALL,
    ])
    .env("YUNDONG_ADMIN_TOKEN", ADMIN);
    let server = Server::start_command(cmd);
    let http = reqwest::Client::new();
    let token_url = format!(
        "{}/cgi-bin/token?grant_type=client_credential&appid=wx0123456789abcdef&secret=0123456789abcdef0123456789abcdef",
        server.base
    );
    let v: Value = http.get(&token_url).send().await.unwrap().json().await.unwrap();
    assert!(v["access_token"].is_string(), "{v}");
    // The CLI moves the deployment's clock; the running server follows.
    let moved = ok_json(&["clock", "advance", "3600", "--json", "--database", &db]);
    assert_eq!(moved["offset_seconds"], 3600);
    let clock: Value = http
        .get(format!("{}/admin/v1/clock", server.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clock["offset_seconds"], 3600, "{clock}");
    let shown = ok_json(&["clock", "show", "--json", "--database", &db]);
    assert_eq!(shown["offset_seconds"], 3600);
    let out = yundong(&["clock", "set", "2001-01-01T00:00:00Z", "--database", &db]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("only moves forward"));
    // A reset needs --yes; then the server forgets the app at once, and the clock is back.
    let out = yundong(&["reset", "--database", &db]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--yes"));
    let reset = ok_json(&["reset", "--yes", "--json", "--database", &db]);
    assert_eq!(
        (reset["users_removed"].as_i64(), reset["apps_removed"].as_i64()),
        (Some(3), Some(1))
    );
    let v: Value = http.get(&token_url).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["errcode"], 40013, "{v}");
    let v = post(
        &http,
        format!("{}/admin/v1/reset", server.base),
        Some(ADMIN),
        json!({"keep": "apps"}),
    )
    .await;
    assert_eq!(v["offset_seconds"], 0, "{v}");
    let printed = server.stop();
    assert!(
        printed.contains("scenario:   scenario applied: 1 apps (1 new), 3 users (3 new)"),
        "{printed}"
    );
    assert!(
        !printed.contains("0123456789abcdef0123456789abcdef"),
        "a fixed secret is never printed"
    );
}
