//! Start `yundong serve` as a child process on a free port and capture everything it prints.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const ADMIN: &str = "yda_binary_test_admin_token_0123456789";

pub struct Server {
    pub child: Child,
    pub base: String,
    pub output: Arc<Mutex<String>>,
}

impl Server {
    /// Start the binary on `database` with extra environment, and wait until it serves.
    pub fn start(database: &str, env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_yundong"));
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            database,
            "--dev-clock",
        ])
        .env("YUNDONG_ADMIN_TOKEN", ADMIN);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Server::start_command(cmd)
    }

    /// Start `cmd` (a `yundong serve` command line, perhaps behind a shell), capturing what it prints, and wait
    /// until it serves.
    pub fn start_command(mut cmd: Command) -> Server {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start yundong");
        let output = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut buf = String::new();
            let _ = BufReader::new(stderr).read_to_string(&mut buf);
            sink.lock().unwrap().push_str(&buf);
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut base = None;
        let mut line = String::new();
        while base.is_none() && Instant::now() < deadline {
            line.clear();
            if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            output.lock().unwrap().push_str(&line);
            if let Some(rest) = line.split("serving on ").nth(1) {
                base = Some(rest.trim().to_owned());
            }
        }
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut buf = String::new();
            let _ = stdout.read_to_string(&mut buf);
            sink.lock().unwrap().push_str(&buf);
        });
        let base = base.unwrap_or_else(|| panic!("server did not start: {}", output.lock().unwrap()));
        Server { child, base, output }
    }

    /// SIGTERM, and wait for a graceful exit.
    pub fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "graceful shutdown exits 0, got {status}");
        std::thread::sleep(Duration::from_millis(100));
        self.output.lock().unwrap().clone()
    }

    /// SIGKILL: no chance to flush or finish anything.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    /// A test that fails before stopping its server must not leave the process behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// POST a JSON body (with an optional bearer token) and parse the JSON answer.
pub async fn post(http: &reqwest::Client, url: String, bearer: Option<&str>, body: Value) -> Value {
    let mut req = http.post(url).json(&body);
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().json().await.unwrap()
}

/// GET and parse the JSON answer.
pub async fn get(http: &reqwest::Client, url: String) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}
