//! `yundong faults …` and `yundong requests` on the database a running server uses: a rule added by the CLI
//! answers the server's very next call; the journal the server writes is read (and followed) by the CLI.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use crate::process::{ADMIN, Server, post};

fn yundong(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yundong")).args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[tokio::test]
async fn faults_and_requests_from_the_command_line() {
    let (db, _dir) = yundong_testkit::fresh_database().await;
    let server = Server::start(&db, &[]);
    let http = reqwest::Client::new();
    let app = post(
        &http,
        format!("{}/admin/v1/apps", server.base),
        Some(ADMIN),
        json!({"name": "cli"}),
    )
    .await;
    let token_url = format!(
        "{}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        server.base,
        app["appid"].as_str().unwrap(),
        app["secret"].as_str().unwrap()
    );

    let added: Value = serde_json::from_str(&stdout(&yundong(&[
        "faults",
        "add",
        "/cgi-bin/token",
        "--errcode",
        "45009",
        "--times",
        "1",
        "--json",
        "--database",
        &db,
    ])))
    .unwrap();
    let fault_id = added["fault_id"].as_str().unwrap().to_owned();
    let v: Value = http.get(&token_url).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        v["errcode"], 45009,
        "the running server answers the CLI's rule at once: {v}"
    );
    let v: Value = http.get(&token_url).send().await.unwrap().json().await.unwrap();
    assert!(v["access_token"].is_string(), "{v}");

    let listed: Value =
        serde_json::from_str(&stdout(&yundong(&["faults", "list", "--json", "--database", &db]))).unwrap();
    assert_eq!(listed["faults"][0]["fault_id"], fault_id.as_str());
    assert_eq!(
        (
            listed["faults"][0]["hits"].as_i64(),
            listed["faults"][0]["remaining"].as_i64()
        ),
        (Some(1), Some(0))
    );
    let human = stdout(&yundong(&["faults", "list", "--database", &db]));
    assert!(
        human.contains(&fault_id) && human.contains("errcode 45009") && human.contains("1 hits"),
        "{human}"
    );

    // Bad input: a clear error, nothing stored.
    let out = yundong(&["faults", "add", "/admin/v1/apps", "--database", &db]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("path must be"), "{out:?}");
    let out = yundong(&[
        "faults",
        "add",
        "/sns/jscode2session",
        "--errcode",
        "-1",
        "--drop",
        "--database",
        &db,
    ]);
    assert!(!out.status.success());

    // The journal: the faulted call, then the served one; secrets masked.
    let lines = stdout(&yundong(&[
        "requests",
        "--path",
        "/cgi-bin/token",
        "--json",
        "--database",
        &db,
    ]));
    let calls: Vec<Value> = lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(calls.len(), 2, "{lines}");
    assert_eq!(calls[0]["fault_id"], fault_id.as_str());
    assert!(calls[1]["fault_id"].is_null());
    assert!(!lines.contains(app["secret"].as_str().unwrap()), "{lines}");
    let human = stdout(&yundong(&["requests", "--database", &db]));
    assert!(
        human.contains("GET /cgi-bin/token?") && human.contains(&format!("fault {fault_id}")),
        "{human}"
    );

    // --follow prints calls as the server journals them.
    let mut follow = Command::new(env!("CARGO_BIN_EXE_yundong"))
        .args(["requests", "--follow", "--json", "--database", &db])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(follow.stdout.take().unwrap());
    // The follower starts from the journal's end as it finds it, which under load may be after a first call: the
    // call is repeated until the follower prints one (at most a minute), so a slow start cannot hang the test.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
    });
    let mut line = None;
    for _ in 0..120 {
        let bad: Value = http
            .get(format!(
                "{}/sns/jscode2session?appid=wx0&secret=s&js_code=c",
                server.base
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(bad["errcode"], 40013, "{bad}");
        if let Ok(l) = rx.recv_timeout(std::time::Duration::from_millis(500)) {
            line = Some(l);
            break;
        }
    }
    let line = line.expect("--follow printed a journaled call within a minute");
    let _ = follow.kill();
    let _ = follow.wait();
    let followed: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        (followed["path"].as_str(), followed["errcode"].as_i64()),
        (Some("/sns/jscode2session"), Some(40013))
    );

    // rm and clear.
    stdout(&yundong(&["faults", "rm", &fault_id, "--database", &db]));
    let out = yundong(&["faults", "rm", &fault_id, "--database", &db]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no fault rule"));
    stdout(&yundong(&[
        "faults",
        "add",
        "/cgi-bin/token",
        "--errcode",
        "-1",
        "--database",
        &db,
    ]));
    let v: Value = http.get(&token_url).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["errcode"], -1);
    assert!(stdout(&yundong(&["faults", "clear", "--database", &db])).contains("removed 1"));
    let v: Value = http.get(&token_url).send().await.unwrap().json().await.unwrap();
    assert!(v["access_token"].is_string(), "{v}");
    server.stop();
}
