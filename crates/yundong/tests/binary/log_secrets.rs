//! Secrets never reach the logs: a full flow against the real binary at the most verbose log level, in both log
//! formats, then every secret the flow saw is searched for in everything the process printed.

use serde_json::json;

use crate::process::{ADMIN, Server, get, post};

/// Run every operation that handles a secret; return the secrets seen.
async fn full_flow(base: &str) -> Vec<String> {
    let http = reqwest::Client::new();
    let app = post(
        &http,
        format!("{base}/admin/v1/apps"),
        Some(ADMIN),
        json!({"name": "log test", "device_steps": true}),
    )
    .await;
    let user = post(
        &http,
        format!("{base}/admin/v1/users"),
        Some(ADMIN),
        json!({"nickname": "u"}),
    )
    .await;
    let (appid, secret, token) = (
        app["appid"].as_str().unwrap(),
        app["secret"].as_str().unwrap(),
        user["token"].as_str().unwrap(),
    );
    post(
        &http,
        format!("{base}/client/v1/steps"),
        Some(token),
        json!({"steps": 4242}),
    )
    .await;
    post(
        &http,
        format!("{base}/client/v1/devices/bind"),
        Some(token),
        json!({"appid": appid}),
    )
    .await;
    let code = post(
        &http,
        format!("{base}/client/v1/wx/login"),
        Some(token),
        json!({"appid": appid}),
    )
    .await;
    let code = code["code"].as_str().unwrap().to_owned();
    let sess = get(
        &http,
        format!("{base}/sns/jscode2session?appid={appid}&secret={secret}&js_code={code}&grant_type=authorization_code"),
    )
    .await;
    let (openid, key) = (
        sess["openid"].as_str().unwrap(),
        sess["session_key"].as_str().unwrap().to_owned(),
    );
    let werun = post(
        &http,
        format!("{base}/client/v1/wx/getWeRunData"),
        Some(token),
        json!({"appid": appid, "allow": true}),
    )
    .await;
    let at = get(
        &http,
        format!("{base}/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret}"),
    )
    .await;
    let at = at["access_token"].as_str().unwrap().to_owned();
    let body = json!({"grant_type": "client_credential", "appid": appid, "secret": secret});
    let st = post(&http, format!("{base}/cgi-bin/stable_token"), None, body).await;
    let sig = yundong_proto::crypto::session_signature(&key);
    let check = get(
        &http,
        format!("{base}/wxa/checksession?access_token={at}&openid={openid}&signature={sig}&sig_method=hmac_sha256"),
    )
    .await;
    assert_eq!(check["errcode"], 0);
    let reset = get(
        &http,
        format!(
            "{base}/wxa/resetusersessionkey?access_token={at}&openid={openid}&signature={sig}&sig_method=hmac_sha256"
        ),
    )
    .await;
    let cloud = werun["cloudID"].as_str().unwrap().to_owned();
    let od = post(
        &http,
        format!("{base}/wxa/getopendata?access_token={at}"),
        None,
        json!({"cloudid_list": [cloud]}),
    )
    .await;
    assert_eq!(od["errcode"], 0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let set = get(
        &http,
        format!("{base}/hardware/bracelet/setstep?access_token={at}&openid={openid}&timestamp={now}&step=10"),
    )
    .await;
    assert_eq!(set["errcode"], 0, "{set}");
    // Failures log too: a wrong secret and a reused code.
    get(
        &http,
        format!("{base}/sns/jscode2session?appid={appid}&secret={secret}&js_code={code}&grant_type=authorization_code"),
    )
    .await;
    vec![
        ADMIN.to_owned(),
        secret.to_owned(),
        token.to_owned(),
        code,
        key,
        reset["session_key"].as_str().unwrap().to_owned(),
        werun["encryptedData"].as_str().unwrap().to_owned(),
        werun["iv"].as_str().unwrap().to_owned(),
        cloud,
        at,
        st["access_token"].as_str().unwrap().to_owned(),
        sig,
    ]
}

async fn scan(format: &str) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}?mode=rwc", dir.path().join("y.sqlite").display());
    let server = Server::start(&db, &[("YUNDONG_LOG", "trace"), ("YUNDONG_LOG_FORMAT", format)]);
    let secrets = full_flow(&server.base).await;
    let logs = server.stop();
    assert!(
        logs.len() > 1000,
        "trace logging produced output ({} bytes)",
        logs.len()
    );
    for secret in secrets {
        assert!(secret.len() >= 16, "a real secret: {secret}");
        assert!(!logs.contains(&secret), "a secret reached the {format} logs: {secret}");
    }
}

#[tokio::test]
async fn no_secret_reaches_pretty_logs() {
    scan("pretty").await;
}

#[tokio::test]
async fn no_secret_reaches_json_logs() {
    scan("json").await;
}
