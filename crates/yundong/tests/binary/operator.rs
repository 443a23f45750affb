//! What an operator gets from the binary (SECURITY.md): weak admin tokens refused at start, a generated token kept
//! in a 0600 file rather than in logs, a private data directory and database file, `admin-token reset` live on a
//! running server, and a listener that a flood of silent connections cannot hold for long even with 1,024 files.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::process::{ADMIN, Server, post};

fn yundong() -> Command {
    Command::new(env!("CARGO_BIN_EXE_yundong"))
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn weak_or_unusable_admin_tokens_refuse_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}?mode=rwc", dir.path().join("y.sqlite").display());
    for (token, says) in [
        ("a", "at least 32 characters"),
        (" 0123456789abcdef0123456789abcdef0123", "whitespace"),
        ("0123456789abcdef0123456789abcdef0123\n", "whitespace"),
    ] {
        let out = yundong()
            .args(["serve", "--listen", "127.0.0.1:0", "--database", &db])
            .env("YUNDONG_ADMIN_TOKEN", token)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{token:?} started a server");
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one clear line: {err}");
        assert!(
            lines[0].contains("YUNDONG_ADMIN_TOKEN") && lines[0].contains(says),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_generated_admin_token_is_kept_private_and_a_reset_reaches_the_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut cmd = yundong();
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(&data)
        .env_remove("YUNDONG_ADMIN_TOKEN")
        .env_remove("YUNDONG_DATABASE_URL");
    let server = Server::start_command(cmd);
    // The token is in a file only its owner can read; the data directory and database are private too.
    let token_file = data.join("admin-token");
    assert_eq!(mode(&token_file), 0o600);
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("yundong.sqlite")), 0o600);
    let token = std::fs::read_to_string(&token_file).unwrap().trim().to_owned();
    assert!(token.len() >= 32);
    let http = reqwest::Client::new();
    let created = post(
        &http,
        format!("{}/admin/v1/users", server.base),
        Some(&token),
        json!({"nickname": "a"}),
    )
    .await;
    assert!(created["token"].is_string(), "{created}");

    // `admin-token reset` on the same database: the running server takes the new token at once.
    let out = yundong()
        .args(["admin-token", "reset"])
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let new_token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_ne!(new_token, token);
    let res = http
        .post(format!("{}/admin/v1/users", server.base))
        .bearer_auth(&token)
        .json(&json!({"nickname": "b"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the old admin token still works");
    let created = post(
        &http,
        format!("{}/admin/v1/users", server.base),
        Some(&new_token),
        json!({"nickname": "c"}),
    )
    .await;
    assert!(created["token"].is_string(), "{created}");

    let output = server.stop();
    // Logs keep stdout and stderr: the token is in neither (stdout is not a terminal here).
    assert!(
        !output.contains(&token),
        "the generated admin token was printed: {output}"
    );
    assert!(output.contains("admin-token (mode 0600)"), "{output}");
}

/// With a hard limit of 1,024 open files, 1,100 silent connections deny a new client for about the header timeout
/// (10 s by default), not for ever.
#[tokio::test]
async fn a_silent_flood_under_1024_open_files_delays_a_new_client_only_briefly() {
    let _ = rlimit::increase_nofile_limit(4096);
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}?mode=rwc", dir.path().join("y.sqlite").display());
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "ulimit -n 1024 && exec '{}' serve --listen 127.0.0.1:0 --database '{db}'",
            env!("CARGO_BIN_EXE_yundong")
        ))
        .env("YUNDONG_ADMIN_TOKEN", ADMIN);
    let server = Server::start_command(cmd);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut flood = Vec::new();
    for _ in 0..1_100 {
        match tokio::net::TcpStream::connect(&addr).await {
            Ok(c) => flood.push(c),
            Err(_) => break,
        }
    }
    assert!(flood.len() > 1_024, "only {} connections opened", flood.len());
    let started = Instant::now();
    let res = tokio::time::timeout(
        Duration::from_secs(30),
        reqwest::get(format!("{}/healthz", server.base)),
    )
    .await
    .expect("a new client is served while the flood's sockets stay open")
    .unwrap();
    assert_eq!(res.status(), 200);
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(25), "waited {waited:?}");
    drop(flood);
    server.stop();
}

fn cli_json(args: &[&str], db: &str) -> serde_json::Value {
    let out = yundong()
        .args(args)
        .args(["--json", "--database", db])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_cli_grants_the_device_capability_and_resets_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}?mode=rwc", dir.path().join("y.sqlite").display());
    // Admin commands need a database that exists: `demo` makes one.
    cli_json(&["demo", "--users", "1"], &db);
    let app = cli_json(&["app", "create", "--name", "band", "--device-steps"], &db);
    assert_eq!(app["device_steps"], true);
    let appid = app["appid"].as_str().unwrap();
    let set = cli_json(&["app", "set", appid, "--device-steps", "false"], &db);
    assert_eq!(set["device_steps"], false);
    let listed = cli_json(&["app", "list"], &db);
    let band = listed.as_array().unwrap().iter().find(|a| a["appid"] == appid).unwrap();
    assert_eq!(band["device_steps"], false);
    let reset = cli_json(&["app", "reset-secret", appid], &db);
    assert_eq!(reset["appid"], appid);
    assert_eq!(reset["secret"].as_str().unwrap().len(), 32);
    assert_ne!(reset["secret"], app["secret"]);
    let user = cli_json(&["user", "create", "--nickname", "u"], &db);
    let id = user["user_id"].as_i64().unwrap().to_string();
    let token = cli_json(&["user", "reset-token", &id], &db);
    assert_ne!(token["token"], user["token"]);
    // Unknown ones are errors, not silent successes.
    let out = yundong()
        .args(["user", "reset-token", "999", "--database", &db])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user 999"));
}

/// The server raises its own open-file soft limit to the hard limit at start (SECURITY.md, "Slow and hostile clients").
#[test]
fn the_open_file_soft_limit_is_raised_to_the_hard_limit() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}?mode=rwc", dir.path().join("y.sqlite").display());
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "ulimit -Sn 256 && ulimit -Hn 4096 && exec '{}' serve --listen 127.0.0.1:0 --database '{db}'",
            env!("CARGO_BIN_EXE_yundong")
        ))
        .env("YUNDONG_ADMIN_TOKEN", ADMIN);
    let server = Server::start_command(cmd);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.child.id())).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .to_owned();
    server.stop();
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&fields[3..5], &["4096", "4096"], "{line}");
}
