//! `serve --cors-origin` on the real binary: `*` is refused at start unless the server is a test double
//! (`--dev-clock`, `--test-mode`), malformed origins are refused with a line that says what an origin looks like, and
//! the origins given by flag or by `YUNDONG_CORS_ORIGIN` (comma-separated) are the ones answered.

use std::process::Command;

use crate::process::{ADMIN, Server};

fn serve_fails(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yundong"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .args(args)
        .env_remove("YUNDONG_DATABASE_URL")
        .env_remove("YUNDONG_CORS_ORIGIN")
        .env("YUNDONG_ADMIN_TOKEN", ADMIN);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "{args:?} {env:?} started");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

#[test]
fn any_origin_is_refused_outside_test_mode_and_malformed_origins_always() {
    let dir = tempfile::tempdir().unwrap();
    for (args, env) in [
        (&["--cors-origin", "*"][..], &[][..]),
        (
            &["--cors-origin", "http://localhost:5173", "--cors-origin", "*"][..],
            &[][..],
        ),
        (&[][..], &[("YUNDONG_CORS_ORIGIN", "http://localhost:5173,*")][..]),
    ] {
        let err = serve_fails(dir.path(), args, env);
        assert!(err.starts_with("error: --cors-origin '*'"), "{err}");
        assert!(err.contains("only together with --dev-clock or --test-mode"), "{err}");
    }
    // Refused before anything is created.
    assert!(!dir.path().join("yundong.sqlite").exists());
    for bad in ["localhost:5173", "http://localhost:5173/app", "file://x"] {
        let err = serve_fails(dir.path(), &["--test-mode", "--cors-origin", bad], &[]);
        assert!(err.contains("is not an origin"), "{bad}: {err}");
        assert!(err.contains("e.g. http://localhost:5173"), "{bad}: {err}");
    }
}

async fn allow_origin(http: &reqwest::Client, base: &str, origin: &str) -> Option<String> {
    let res = http
        .request(reqwest::Method::OPTIONS, format!("{base}/client/v1/wx/login"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    res.headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn origins_come_from_flags_or_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("a.sqlite").display());
    let http = reqwest::Client::new();

    // `*` with --dev-clock (Server::start passes it): any origin is echoed.
    let s = Server::start(&db, &[("YUNDONG_CORS_ORIGIN", "*")]);
    assert_eq!(
        allow_origin(&http, &s.base, "http://anything.test:1").await.as_deref(),
        Some("http://anything.test:1")
    );
    let out = s.stop();
    assert!(out.contains("CORS:"), "the banner says so: {out}");

    // A list in the variable, normalized as browsers send origins.
    let s = Server::start(
        &db,
        &[("YUNDONG_CORS_ORIGIN", "HTTP://LocalHost:5173/,http://127.0.0.1:4000")],
    );
    assert_eq!(
        allow_origin(&http, &s.base, "http://localhost:5173").await.as_deref(),
        Some("http://localhost:5173")
    );
    assert_eq!(
        allow_origin(&http, &s.base, "http://127.0.0.1:4000").await.as_deref(),
        Some("http://127.0.0.1:4000")
    );
    assert_eq!(allow_origin(&http, &s.base, "http://127.0.0.1:4001").await, None);
    let out = s.stop();
    assert!(!out.contains("unknown YUNDONG_ variable"), "{out}");

    // Without the option: nothing is cross-origin, and the banner says nothing about it.
    let s = Server::start(&db, &[]);
    assert_eq!(allow_origin(&http, &s.base, "http://localhost:5173").await, None);
    assert!(!s.stop().contains("CORS:"));
}
