//! What a new user meets in the first hour (issue 15): database URLs, admin commands in the wrong directory, the
//! start-up banner and its errors, `/`, the demo run twice, `user list`, `decrypt` in a pipe, help texts.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::process::{ADMIN, Server, post};

fn yundong(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yundong"))
        .args(args)
        .current_dir(dir)
        .env_remove("YUNDONG_DATABASE_URL")
        .env_remove("YUNDONG_DATA_DIR")
        .env("YUNDONG_ADMIN_TOKEN", ADMIN)
        .output()
        .unwrap()
}

/// Start `serve` in `dir` with `args`, wait for the banner to finish (its last line is printed before serving), stop
/// it, and return stdout and stderr.
fn serve_briefly(dir: &Path, args: &[&str]) -> (String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yundong"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .current_dir(dir)
        .env_remove("YUNDONG_DATABASE_URL")
        .env_remove("YUNDONG_DATA_DIR")
        .env("YUNDONG_ADMIN_TOKEN", ADMIN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut out = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut line = String::new();
    while Instant::now() < deadline {
        line.clear();
        if stdout.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        out.push_str(&line);
        if line.contains("API docs:") {
            // The demo lines follow the docs line; give them a moment, then stop.
            std::thread::sleep(Duration::from_millis(300));
            break;
        }
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = stdout.read_to_string(&mut out);
    let mut err = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut err);
    let _ = child.wait();
    (out, err)
}

#[test]
fn every_sqlite_url_form_creates_a_new_database() {
    let dir = tempfile::tempdir().unwrap();
    let abs = dir.path().join("abs/one.sqlite");
    let forms = [
        ("sqlite:plain.sqlite".to_owned(), dir.path().join("plain.sqlite")),
        (
            "sqlite://slashes/two.sqlite".to_owned(),
            dir.path().join("slashes/two.sqlite"),
        ),
        (format!("sqlite://{}", abs.display()), abs.clone()),
        (
            format!("sqlite:{}?cache=shared", dir.path().join("q.sqlite").display()),
            dir.path().join("q.sqlite"),
        ),
    ];
    for (url, file) in forms {
        let (out, err) = serve_briefly(dir.path(), &["--database", &url]);
        assert!(out.contains("serving on"), "{url}: {out}\n{err}");
        assert!(file.is_file(), "{url} made {}", file.display());
    }
}

#[test]
fn start_up_errors_are_one_line_that_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the database file should be.
    std::fs::create_dir(dir.path().join("is-a-dir")).unwrap();
    let out = yundong(dir.path(), &["serve", "--database", "sqlite:is-a-dir"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: cannot open database sqlite:is-a-dir"), "{err}");
    assert_eq!(err.matches("unable to open database file").count(), 1, "{err}");
    assert!(err.contains("; check that the path is a file you can write"), "{err}");

    // A PostgreSQL server that is not there: the same single line, after the connection attempts give up.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("postgres://someone:hunter2@127.0.0.1:{port}/db");
    let out = yundong(dir.path(), &["serve", "--database", &url]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "error: cannot open database postgres://someone:***@127.0.0.1:{port}/db: "
        )),
        "{err}"
    );
    assert!(err.contains("refused or unreachable"), "{err}");
    assert!(
        err.contains("check that PostgreSQL is running at that address"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");

    // An address in use.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = yundong(dir.path(), &["serve", "--listen", &addr]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with(&format!("error: cannot listen on {addr}: ")), "{err}");
    assert!(err.contains("Pick another address with --listen"), "{err}");
}

#[test]
fn admin_commands_do_not_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["app", "list"][..],
        &["user", "list"],
        &["user", "create", "--nickname", "x"],
        &["friend", "add", "1", "2"],
        &["app", "list", "--database", "sqlite:elsewhere.sqlite"],
    ] {
        let out = yundong(dir.path(), args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.starts_with("error: no database at "), "{args:?}: {err}");
        assert!(err.contains("run `yundong serve` once to create it"), "{err}");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing created: {left:?}");
}

#[tokio::test]
async fn the_banner_names_the_pages_and_slash_leads_there_and_logs_have_no_colour() {
    let (db, _dir) = yundong_testkit::fresh_database().await;
    let server = Server::start(&db, &[("YUNDONG_LOG", "debug")]);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = http.get(format!("{}/", server.base)).send().await.unwrap();
    assert_eq!(res.status(), 307);
    assert_eq!(res.headers()["location"], "/ui/");
    let output = server.stop();
    assert!(
        output.contains(&format!(
            "  pages:      {}/ui/",
            output.split("serving on ").nth(1).unwrap().lines().next().unwrap()
        )),
        "{output}"
    );
    // stderr is a pipe here, not a terminal: plain text.
    assert!(output.contains("shutting down"), "{output}");
    assert!(!output.contains('\u{1b}'), "no ANSI escapes in a pipe: {output:?}");
}

#[tokio::test]
async fn user_list_pages_through_users_on_the_cli_and_the_admin_api() {
    let (db, _dir) = yundong_testkit::fresh_database().await;
    // Made (and migrated) the way `serve` would have made it.
    yundong_store::Store::connect(&db).await.unwrap().close().await;
    let here = std::env::temp_dir();
    for name in ["甲", "乙", "丙"] {
        let out = yundong(&here, &["user", "create", "--nickname", name, "--database", &db]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = yundong(&here, &["user", "list", "--limit", "2", "--json", "--database", &db]);
    let page: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page["total"], 3);
    assert_eq!(page["users"].as_array().unwrap().len(), 2);
    assert_eq!(page["users"][0]["nickname"], "甲");
    assert_eq!(page["next_after"], 2);
    assert!(page["users"][0].get("token").is_none());
    let out = yundong(&here, &["user", "list", "--limit", "2", "--database", &db]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("next page: yundong user list --after 2"), "{text}");
    let out = yundong(&here, &["user", "list", "--after", "2", "--json", "--database", &db]);
    let page: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page["users"][0]["nickname"], "丙");
    assert!(page.get("next_after").is_none(), "{page}");

    let server = Server::start(&db, &[]);
    let http = reqwest::Client::new();
    let get = |q: &str| {
        http.get(format!("{}/admin/v1/users{q}", server.base))
            .bearer_auth(ADMIN)
            .send()
    };
    let res = get("?limit=1&after=1").await.unwrap();
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    assert_eq!(
        page["users"],
        json!([{"user_id": 2, "nickname": "乙", "werun": true, "join_ranking": true}])
    );
    assert_eq!(page["next_after"], 2);
    assert_eq!(page["total"], 3);
    for bad in ["?limit=0", "?limit=1001", "?after=-1", "?limit=x"] {
        let res = get(bad).await.unwrap();
        assert_eq!(res.status(), 400, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_request", "{bad}: {body}");
    }
    let res = http
        .get(format!("{}/admin/v1/users", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    server.stop();
}

#[tokio::test]
async fn a_second_demo_is_refused_unless_appended_and_a_second_serve_demo_says_how_to_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = serve_briefly(dir.path(), &["--demo"]);
    assert!(out.contains("sign in as:"), "{out}");
    assert!(out.contains("chats: group \"跑团 (demo)\""), "{out}");
    let (again, _) = serve_briefly(dir.path(), &["--demo"]);
    assert!(again.contains("demo data:  seeded before (30 users)"), "{again}");
    assert!(again.contains("list users: yundong user list"), "{again}");

    let out = yundong(dir.path(), &["demo", "--users", "5"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("the database has 30 users already"), "{err}");
    assert!(err.contains("pass --append"), "{err}");
    let out = yundong(dir.path(), &["user", "list", "--json"]);
    let page: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page["total"], 30, "nothing added");

    let out = yundong(dir.path(), &["demo", "--users", "5", "--append", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = yundong(dir.path(), &["user", "list", "--json"]);
    let page: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page["total"], 35);
}

#[tokio::test]
async fn the_demo_seeds_chats_with_cards() {
    let (db, _dir) = yundong_testkit::fresh_database().await;
    let out = Command::new(env!("CARGO_BIN_EXE_yundong"))
        .args(["demo", "--users", "20", "--json", "--database", &db])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let server = Server::start(&db, &[]);
    let http = reqwest::Client::new();
    for (who, kinds) in [(0, vec!["group", "direct"]), (1, vec!["group", "direct"])] {
        let token = summary["tokens"][who][2].as_str().unwrap();
        let v: Value = http
            .get(format!("{}/client/v1/conversations", server.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let conversations = v["conversations"].as_array().unwrap();
        let mut got: Vec<&str> = conversations.iter().map(|c| c["kind"].as_str().unwrap()).collect();
        got.sort_unstable();
        let mut want = kinds.clone();
        want.sort_unstable();
        assert_eq!(got, want, "{v}");
        for c in conversations {
            let id = c["conversation_id"].as_i64().unwrap();
            let m: Value = http
                .get(format!("{}/client/v1/conversations/{id}/messages", server.base))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let cards = m["messages"].as_array().unwrap();
            assert_eq!(cards.len(), 1, "{m}");
            assert_eq!(cards[0]["appid"], summary["appid"], "{m}");
        }
    }
    // A user outside the group sees no chats at all.
    let body = json!({"nickname": "outsider"});
    let v = post(&http, format!("{}/admin/v1/users", server.base), Some(ADMIN), body).await;
    let outsider = v["token"].as_str().unwrap();
    let v: Value = http
        .get(format!("{}/client/v1/conversations", server.base))
        .bearer_auth(outsider)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["conversations"], json!([]), "{v}");
    server.stop();
}

fn sealed_payload() -> (String, String, String) {
    use yundong_proto::crypto;
    let key = [7u8; 16];
    let iv = [0x5au8; 16];
    let days: Vec<Value> = (0..31)
        .map(|i| json!({"timestamp": 1_700_000_000 + i * 86_400, "step": 1000 + i}))
        .collect();
    let plain = json!({"stepInfoList": days, "watermark": {"timestamp": 1_700_000_000, "appid": "wx0123456789abcdef"}});
    let data = crypto::encrypt(&key, &iv, plain.to_string().as_bytes());
    (crypto::encode_b64(&key), crypto::encode_b64(&iv), data)
}

#[test]
fn decrypt_into_a_closed_pipe_exits_quietly_and_names_a_wrong_iv() {
    let (key, iv, data) = sealed_payload();
    let args = ["decrypt", "--session-key", &key, "--iv", &iv, "--encrypted-data", &data];
    for _ in 0..5 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_yundong"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // `| head -0`: the reader is gone before anything is written.
        drop(child.stdout.take());
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "{status}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }

    let wrong_iv = yundong_proto::crypto::encode_b64(&[0x11u8; 16]);
    let out = Command::new(env!("CARGO_BIN_EXE_yundong"))
        .args([
            "decrypt",
            "--session-key",
            &key,
            "--iv",
            &wrong_iv,
            "--encrypted-data",
            &data,
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.starts_with("cannot decrypt: the iv is wrong"), "{err}");
}

/// The subcommands a `--help` text lists (not `help` itself).
fn subcommands(help: &str) -> Vec<String> {
    help.split("Commands:\n")
        .nth(1)
        .map(|rest| {
            rest.lines()
                .take_while(|l| l.starts_with("  "))
                .filter_map(|l| l.split_whitespace().next())
                .filter(|c| *c != "help")
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Every argument and option of every subcommand, found by walking `--help` from the top, says what it is.
#[test]
fn every_argument_has_help_text() {
    let mut queue: Vec<Vec<String>> = vec![Vec::new()];
    let mut leaves = 0;
    while let Some(cmd) = queue.pop() {
        let out = Command::new(env!("CARGO_BIN_EXE_yundong"))
            .args(&cmd)
            .arg("--help")
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{cmd:?}");
        let subs = subcommands(&help);
        for sub in &subs {
            let mut next = cmd.clone();
            next.push(sub.clone());
            queue.push(next);
        }
        if subs.is_empty() {
            leaves += 1;
        }
        let mut in_args = false;
        let lines: Vec<&str> = help.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if *line == "Arguments:" || *line == "Options:" {
                in_args = true;
                continue;
            }
            if *line == "Commands:" {
                in_args = false;
                continue;
            }
            let t = line.trim_start();
            // A possible value's line (`- realistic: …`) is its own help, not an argument.
            let is_arg = |t: &str| (t.starts_with('-') && !t.starts_with("- ")) || t.starts_with('<');
            if in_args && is_arg(t) {
                // "  --json  Print the result as JSON", or (clap's long layout) the words on the next, deeper line.
                let same_line = t.split_once("  ").is_some_and(|(_, d)| !d.trim().is_empty());
                let indent = line.len() - t.len();
                let next_line = lines.get(i + 1).is_some_and(|n| {
                    let nt = n.trim_start();
                    !nt.is_empty() && !is_arg(nt) && n.len() - nt.len() > indent
                });
                assert!(same_line || next_line, "{cmd:?}: no help for `{t}`\n{help}");
            }
        }
    }
    assert!(leaves >= 11, "walked {leaves} commands");
}
