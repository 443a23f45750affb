//! README.md's "Five minutes with it", run line by line as a new user would paste it into a shell.
//!
//! The lines are taken from the README itself, so the README cannot drift from what works. Two things differ from a
//! fresh machine, both outside the lines: `cargo build --release` is not run (the binary under test is linked at
//! `target/release/yundong` in a scratch directory instead), and the server's address `127.0.0.1:8080` becomes a
//! free port (`YUNDONG_LISTEN` and the `B=` line), so parallel test runs do not collide.

use std::process::Command;

const README: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"));

/// The first ```sh block after the "Five minutes with it" heading.
fn walkthrough() -> Vec<String> {
    let section = README
        .split("## Five minutes with it")
        .nth(1)
        .expect("README has the walkthrough section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("the section has a sh block");
    block.lines().map(str::to_owned).collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let lines = walkthrough();
    assert_eq!(
        lines[0], "cargo build --release -p yundong",
        "the walkthrough starts by building the release binary"
    );
    assert!(
        lines.iter().all(|l| !l.contains('<') || l.contains("<<")),
        "no placeholders to fill in by hand: {lines:?}"
    );
    assert!(
        lines.iter().all(|l| !l.contains("cargo run")),
        "no second (debug) build"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("target/release")).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_yundong"), dir.path().join("target/release/yundong")).unwrap();
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let mut script = String::from("trap 'kill $SERVER 2>/dev/null' EXIT\n");
    for line in &lines[1..] {
        script.push_str(&line.replace("127.0.0.1:8080", &address));
        script.push('\n');
    }
    let out = Command::new("timeout")
        .args(["120", "bash", "-c", &script])
        .current_dir(dir.path())
        .env("YUNDONG_LISTEN", &address)
        .env_remove("YUNDONG_ADMIN_TOKEN")
        .env_remove("YUNDONG_DATABASE_URL")
        .env_remove("YUNDONG_DATA_DIR")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}\n{stdout}\n{stderr}", out.status);
    // The decrypted payload: 31 days, today's 12345 last, the app's watermark.
    // decrypt's pretty JSON is the last thing printed (the server's banner shares stdout, earlier).
    let start = stdout
        .rfind("\n{\n")
        .unwrap_or_else(|| panic!("no decrypted JSON: {stdout}"));
    let value: serde_json::Value =
        serde_json::from_str(stdout[start..].trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let days = value["stepInfoList"].as_array().unwrap();
    assert_eq!(days.len(), 31, "{value}");
    assert_eq!(days[30]["step"], 12345, "{value}");
    let app_line = stdout.lines().find(|l| l.starts_with("{\"appid\"")).unwrap();
    let app: serde_json::Value = serde_json::from_str(app_line).unwrap();
    assert_eq!(value["watermark"]["appid"], app["appid"], "{value}");
    assert!(stdout.contains("\"openid\""), "jscode2session answered: {stdout}");
}
