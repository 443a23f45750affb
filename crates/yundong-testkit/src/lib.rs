//! A live yundong server for tests: real HTTP on a random port, a real database.
//!
//! The backend comes from the environment: with `YUNDONG_TEST_POSTGRES` set to a server URL
//! (`postgres://postgres@127.0.0.1:5432/postgres`) every [`TestServer`] gets a fresh database `yd_test_<random>` on
//! it; otherwise a fresh SQLite file in a temporary directory. `scripts/test` runs the suites both ways.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use yundong_proto::admin::{AppCreated, UserCreated};
use yundong_server::{AppState, Config};
use yundong_store::Store;

pub const ADMIN_TOKEN: &str = "yda_test_admin_token_0123456789abcdef";

/// Environment variable naming the PostgreSQL server to create test databases on.
pub const POSTGRES_ENV: &str = "YUNDONG_TEST_POSTGRES";

/// A running server. Dropping it stops the server.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub state: AppState,
    pub http: reqwest::Client,
    /// The database URL, for starting more nodes on the same database.
    pub database_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    _dir: Option<Arc<tempfile::TempDir>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).unwrap();
    hex::encode(b)
}

/// Whether the suites run on PostgreSQL in this process.
pub fn on_postgres() -> bool {
    std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty())
}

/// A fresh, empty database URL: a new PostgreSQL database when [`POSTGRES_ENV`] is set, else a new SQLite file.
pub async fn fresh_database() -> (String, Option<Arc<tempfile::TempDir>>) {
    match std::env::var(POSTGRES_ENV).ok().filter(|v| !v.is_empty()) {
        Some(server) => {
            let name = format!("yd_test_{}", random_hex(8));
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&server)
                .await
                .expect("connect to PostgreSQL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let (prefix, _) = server.rsplit_once('/').expect("postgres URL with a database name");
            (format!("{prefix}/{name}"), None)
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite:{}?mode=rwc", dir.path().join("yundong.sqlite").display());
            (url, Some(Arc::new(dir)))
        }
    }
}

/// The config tests run with: the dev clock on, WeChat's limits otherwise.
pub fn test_config() -> Config {
    Config {
        dev_clock: true,
        ..Config::default()
    }
}

impl TestServer {
    /// A server with [`test_config`] on a fresh database.
    pub async fn spawn() -> TestServer {
        TestServer::spawn_with(test_config()).await
    }

    pub async fn spawn_with(config: Config) -> TestServer {
        let (url, dir) = fresh_database().await;
        TestServer::start(url, dir, config).await
    }

    /// Another node on this server's database (same admin token and clock, its own port).
    pub async fn spawn_node(&self) -> TestServer {
        TestServer::start(
            self.database_url.clone(),
            self._dir.clone(),
            (*self.state.config).clone(),
        )
        .await
    }

    /// A server on an existing database `url` (its migrations are run first), with [`test_config`].
    pub async fn spawn_on(url: &str) -> TestServer {
        TestServer::start(url.to_owned(), None, test_config()).await
    }

    async fn start(url: String, dir: Option<Arc<tempfile::TempDir>>, config: Config) -> TestServer {
        let store = Store::connect(&url).await.expect("open store");
        let (state, _) = AppState::open(store, config, Some(ADMIN_TOKEN))
            .await
            .expect("server state");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let serve_state = state.clone();
        tokio::spawn(async move {
            yundong_server::serve(listener, serve_state, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        TestServer {
            base,
            state,
            http: reqwest::Client::new(),
            database_url: url,
            shutdown: Some(tx),
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GET `path` (with its query) and parse the JSON answer; asserts `application/json`.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let res = self.http.get(self.url(path)).send().await.unwrap();
        parse(res).await
    }

    /// GET with an optional bearer token.
    pub async fn http_get(&self, path: &str, bearer: Option<&str>) -> (u16, Value) {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        parse(req.send().await.unwrap()).await
    }

    /// POST a JSON body, with an optional bearer token.
    pub async fn post_json(&self, path: &str, bearer: Option<&str>, body: &Value) -> (u16, Value) {
        let mut req = self.http.post(self.url(path)).json(body);
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        parse(req.send().await.unwrap()).await
    }

    /// POST raw bytes with a content type, with an optional bearer token.
    pub async fn post_raw(&self, path: &str, bearer: Option<&str>, body: Vec<u8>) -> (u16, Value) {
        let mut req = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        parse(req.send().await.unwrap()).await
    }

    pub async fn admin<T: DeserializeOwned>(&self, path: &str, body: Value) -> T {
        let (status, v) = self.post_json(path, Some(ADMIN_TOKEN), &body).await;
        assert!(status == 200 || status == 201, "admin {path} answered {status}: {v}");
        serde_json::from_value(v).unwrap()
    }

    pub async fn create_app(&self, body: Value) -> AppCreated {
        self.admin("/admin/v1/apps", body).await
    }

    /// An app with only a name.
    pub async fn app(&self) -> AppCreated {
        self.create_app(json!({"name": "test app"})).await
    }

    /// A device app (with the device capability, so it may call `/hardware/bracelet/setstep`).
    pub async fn device_app(&self, name: &str) -> AppCreated {
        self.create_app(json!({"name": name, "device_steps": true})).await
    }

    /// `user` binds `app`'s wristband (`POST /client/v1/devices/bind`).
    pub async fn bind_device(&self, user: &UserCreated, app: &AppCreated) {
        let (status, v) = self
            .post_json(
                "/client/v1/devices/bind",
                Some(&user.token),
                &json!({"appid": app.appid}),
            )
            .await;
        assert_eq!((status, v["errMsg"].as_str()), (200, Some("bind:ok")), "{v}");
    }

    pub async fn user(&self, nickname: &str) -> UserCreated {
        self.admin("/admin/v1/users", json!({"nickname": nickname})).await
    }

    pub async fn befriend(&self, a: i64, b: i64) {
        let _: Value = self.admin("/admin/v1/friendships", json!({"a": a, "b": b})).await;
    }

    /// Move the deployment's clock forward (every node on this database follows).
    pub async fn advance(&self, seconds: i64) {
        let _: Value = self.admin("/admin/v1/clock/advance", json!({"seconds": seconds})).await;
    }

    /// `wx.login` as `user` for `appid`: the code.
    pub async fn login_code(&self, user_token: &str, appid: &str) -> String {
        let (status, v) = self
            .post_json("/client/v1/wx/login", Some(user_token), &json!({"appid": appid}))
            .await;
        assert_eq!((status, v["errMsg"].as_str()), (200, Some("login:ok")), "{v}");
        v["code"].as_str().unwrap().to_owned()
    }

    /// `/sns/jscode2session` with the app's credentials.
    pub async fn code2session(&self, app: &AppCreated, code: &str) -> Value {
        let path = format!(
            "/sns/jscode2session?appid={}&secret={}&js_code={code}&grant_type=authorization_code",
            app.appid, app.secret
        );
        self.get_json(&path).await.1
    }

    /// Log `user` in to `app` (wx.login + jscode2session): `(openid, session_key)`.
    pub async fn session(&self, app: &AppCreated, user: &UserCreated) -> (String, String) {
        let code = self.login_code(&user.token, &app.appid).await;
        let v = self.code2session(app, &code).await;
        (
            v["openid"].as_str().expect("openid").to_owned(),
            v["session_key"].as_str().expect("session_key").to_owned(),
        )
    }

    /// A `/cgi-bin/token` access token for `app`.
    pub async fn access_token(&self, app: &AppCreated) -> String {
        let path = format!(
            "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
            app.appid, app.secret
        );
        let (_, v) = self.get_json(&path).await;
        v["access_token"].as_str().expect("access_token").to_owned()
    }

    /// Upload the phone's steps for a date (`None`: today).
    pub async fn steps(&self, user_token: &str, steps: i64, date: Option<&str>) -> Value {
        let mut body = json!({"steps": steps});
        if let Some(d) = date {
            body["date"] = json!(d);
        }
        self.post_json("/client/v1/steps", Some(user_token), &body).await.1
    }

    /// `wx.getWeRunData`, answering the dialog with `allow` if it is shown.
    pub async fn werun(&self, user_token: &str, appid: &str) -> Value {
        self.post_json(
            "/client/v1/wx/getWeRunData",
            Some(user_token),
            &json!({"appid": appid, "allow": true}),
        )
        .await
        .1
    }
}

/// Status and JSON body of a response; every answer of every surface must be JSON.
pub async fn parse(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = res.text().await.unwrap();
    assert!(
        ctype.starts_with("application/json"),
        "status {status}, content-type {ctype:?}, body {text:?}"
    );
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")),
    )
}
