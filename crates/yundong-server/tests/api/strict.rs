//! The golden suite of "production rejects this": one case per rule of docs/WECHAT.md §10 and per errcode of
//! the catalog, each citing its source by the key docs/WECHAT.md §13 lists. Every case checks the HTTP status
//! (200), the errcode, and the errmsg byte for byte: WeChat's text, then the family's rid suffix.

use serde_json::{Value, json};
use yundong_proto::crypto::{hmac_sha256, session_signature, session_signature_raw_key};
use yundong_proto::errcode::ErrCode;
use yundong_testkit::{TestServer, test_config};

use crate::support::b64;

/// Assert that `v` is WeChat's answer `code` on a path of the family `sns` (`, rid: `) or not (` rid: `).
#[track_caller]
fn assert_rejects(v: &Value, code: ErrCode, sns: bool, case: &str) {
    assert_eq!(v["errcode"].as_i64(), Some(i64::from(code.code())), "{case}: {v}");
    let msg = v["errmsg"]
        .as_str()
        .unwrap_or_else(|| panic!("{case}: no errmsg in {v}"));
    let sep = if sns { ", rid: " } else { " rid: " };
    let rid = msg
        .strip_prefix(code.message())
        .and_then(|rest| rest.strip_prefix(sep))
        .unwrap_or_else(|| {
            panic!(
                "{case}: errmsg must be {:?} + {sep:?} + rid, got {msg:?}",
                code.message()
            )
        });
    let groups: Vec<&str> = rid.split('-').collect();
    assert!(
        groups.len() == 3
            && groups
                .iter()
                .all(|g| g.len() == 8 && g.bytes().all(|b| b.is_ascii_hexdigit())),
        "{case}: rid {rid:?}"
    );
    assert_eq!(
        v.as_object().map(|o| o.len()),
        Some(2),
        "{case}: an error body is errcode + errmsg only: {v}"
    );
}

async fn get(s: &TestServer, path: &str) -> Value {
    let (status, v) = s.get_json(path).await;
    assert_eq!(status, 200, "{path}: WeChat answers errors with HTTP 200: {v}");
    v
}

async fn post(s: &TestServer, path: &str, body: &Value) -> Value {
    let (status, v) = s.post_json(path, None, body).await;
    assert_eq!(status, 200, "{path}: WeChat answers errors with HTTP 200: {v}");
    v
}

async fn post_raw(s: &TestServer, path: &str, body: &[u8]) -> Value {
    let (status, v) = s.post_raw(path, None, body.to_vec()).await;
    assert_eq!(status, 200, "{path}: WeChat answers errors with HTTP 200: {v}");
    v
}

/// Codes in the catalog that yundong never answers by itself, and why; every other code has a case below.
const NEVER_ANSWERED: [(i32, &str); 5] = [
    (
        40014,
        "[W-errcodes] known to clients (treated like 40001); yundong answers 40001 for every bad token",
    ),
    (40164, "[W-errcodes] yundong has no IP whitelist"),
    (40226, "[W-code2session] yundong blocks no users"),
    (40243, "[W-token] yundong freezes no AppSecret"),
    (
        -1,
        "[W-token] answered only when the database fails: see database_failure_is_system_error",
    ),
];

/// Every errcode of the catalog that yundong answers, triggered as a back end would trigger it.
#[tokio::test]
async fn every_catalog_errcode_is_answered_as_wechat_answers_it() {
    let s = TestServer::spawn_with(yundong_server::Config {
        token_daily_quota: 1,
        code_exchanges_per_minute: 1,
        quota_clears_per_month: 0,
        ..test_config()
    })
    .await;
    let app = s.app().await;
    let other = s.app().await;
    let user = s.user("u").await;
    let (a, sec) = (&app.appid, &app.secret);
    let token = s.access_token(&app).await; // the one /cgi-bin/token call of the day
    let (openid, key) = s.session(&app, &user).await; // the one exchange of the minute
    let sig = session_signature(&key);
    let mut seen = std::collections::BTreeSet::new();
    let mut check = |v: Value, code: ErrCode, sns: bool, case: &str| {
        assert_rejects(&v, code, sns, case);
        seen.insert(code.code());
    };

    // [W-token] [W-errcodes] /cgi-bin/token
    check(
        get(&s, "/cgi-bin/token?grant_type=client_credential&secret=x").await,
        ErrCode::AppidMissing,
        false,
        "41002",
    );
    check(
        get(&s, "/cgi-bin/token?appid=wx0000000000000000").await,
        ErrCode::InvalidAppid,
        false,
        "40013",
    );
    check(
        get(&s, &format!("/cgi-bin/token?appid={a}&secret={sec}")).await,
        ErrCode::InvalidGrantType,
        false,
        "40002",
    );
    check(
        get(&s, &format!("/cgi-bin/token?grant_type=client_credential&appid={a}")).await,
        ErrCode::AppsecretMissing,
        false,
        "41004",
    );
    check(
        get(
            &s,
            &format!(
                "/cgi-bin/token?grant_type=client_credential&appid={a}&secret={}",
                other.secret
            ),
        )
        .await,
        ErrCode::InvalidAppsecret,
        false,
        "40125 [C-40125]",
    );
    check(
        get(
            &s,
            &format!("/cgi-bin/token?grant_type=client_credential&appid={a}&secret={sec}"),
        )
        .await,
        ErrCode::DailyQuota,
        false,
        "45009",
    );
    // [W-stable] /cgi-bin/stable_token
    check(
        get(&s, "/cgi-bin/stable_token").await,
        ErrCode::RequirePost,
        false,
        "43002",
    );
    check(
        post_raw(&s, "/cgi-bin/stable_token", b"").await,
        ErrCode::EmptyPostData,
        false,
        "44002",
    );
    check(
        post_raw(&s, "/cgi-bin/stable_token", b"{oops").await,
        ErrCode::DataFormatError,
        false,
        "47001",
    );
    let stable = json!({"grant_type": "client_credential", "appid": a, "secret": sec, "force_refresh": "maybe"});
    check(
        post(&s, "/cgi-bin/stable_token", &stable).await,
        ErrCode::InvalidArgs,
        false,
        "40097",
    );
    // [W-code2session] [C-40029] [C-40163] [B-41002] /sns/jscode2session
    let sns = |q: &str| format!("/sns/jscode2session?{q}");
    check(
        get(&s, &sns("secret=x&js_code=y")).await,
        ErrCode::AppidMissing,
        true,
        "41002 (sns)",
    );
    check(
        get(&s, &sns(&format!("appid={a}&secret={sec}"))).await,
        ErrCode::CodeMissing,
        true,
        "41008",
    );
    check(
        get(&s, &sns(&format!("appid={a}&secret={sec}&js_code=nope"))).await,
        ErrCode::InvalidCode,
        true,
        "40029",
    );
    let code = s.login_code(&user.token, a).await;
    check(
        get(&s, &sns(&format!("appid={a}&secret={sec}&js_code={code}"))).await,
        ErrCode::MinuteQuota,
        true,
        "45011",
    );
    // The first exchange's code, presented again.
    s.advance(60).await;
    let code = s.login_code(&user.token, a).await;
    assert_eq!(
        get(&s, &sns(&format!("appid={a}&secret={sec}&js_code={code}"))).await["errcode"],
        Value::Null
    );
    check(
        get(&s, &sns(&format!("appid={a}&secret={sec}&js_code={code}"))).await,
        ErrCode::CodeBeenUsed,
        true,
        "40163",
    );
    // The exchange above rotated the session_key; the next minute allows one more exchange.
    s.advance(60).await;
    let (_, key) = s.session(&app, &user).await;
    let sig_now = session_signature(&key);
    // [W-checksession] [W-errcodes] /wxa/checksession
    let check_path = |q: &str| format!("/wxa/checksession?{q}");
    check(
        get(&s, &check_path("openid=o")).await,
        ErrCode::AccessTokenMissing,
        false,
        "41001",
    );
    check(
        get(&s, &check_path("access_token=86_nope&openid=o")).await,
        ErrCode::InvalidCredential,
        false,
        "40001",
    );
    check(
        get(&s, &check_path(&format!("access_token={token}"))).await,
        ErrCode::OpenidMissing,
        false,
        "41009",
    );
    check(
        get(&s, &check_path(&format!("access_token={token}&openid=oNOPE"))).await,
        ErrCode::InvalidOpenid,
        false,
        "40003",
    );
    check(
        get(
            &s,
            &check_path(&format!(
                "access_token={token}&openid={openid}&signature={sig_now}&sig_method=md5"
            )),
        )
        .await,
        ErrCode::InvalidSigMethod,
        false,
        "87008",
    );
    check(
        get(
            &s,
            &check_path(&format!(
                "access_token={token}&openid={openid}&signature={sig}&sig_method=hmac_sha256"
            )),
        )
        .await,
        ErrCode::InvalidSignature,
        false,
        "87009 (a superseded key)",
    );
    // [W-errcodes] unknown paths under each family; [C-40066] paths are case-sensitive.
    for path in [
        "/cgi-bin/nope",
        "/wxa/nope",
        "/hardware/nope",
        "/device/getqrcode",
        "/sns/jsCode2Session",
    ] {
        check(
            get(&s, path).await,
            ErrCode::InvalidUrl,
            path.starts_with("/sns/"),
            path,
        );
    }
    // [W-clear] [W-clear2] (no clears allowed this month in this world)
    check(
        post(
            &s,
            &format!("/cgi-bin/clear_quota?access_token={token}"),
            &json!({"appid": a}),
        )
        .await,
        ErrCode::ClearQuotaLimit,
        false,
        "48006",
    );
    // [W-quota]
    let quota = format!("/cgi-bin/openapi/quota/get?access_token={token}");
    check(
        post(&s, &quota, &json!({"cgi_path": "/cgi-bin/message/custom/send"})).await,
        ErrCode::CgiPathNotFound,
        false,
        "76021",
    );
    check(
        post(&s, &quota, &json!({"cgi_path": "/sns/jscode2session"})).await,
        ErrCode::CgiPathNoPermission,
        false,
        "76022",
    );
    // [W-rid] [C-rid]
    let rid = format!("/cgi-bin/openapi/rid/get?access_token={token}");
    check(
        post(&s, &rid, &json!({"rid": "not-a-rid"})).await,
        ErrCode::RidIsError,
        false,
        "76002",
    );
    check(
        post(&s, &rid, &json!({"rid": "00000000-00000000-00000000"})).await,
        ErrCode::RidNotFound,
        false,
        "76001",
    );
    let v = get(&s, &format!("/cgi-bin/token?appid={}", other.appid)).await;
    let their_rid = crate::support::rid_of(&v);
    check(
        post(&s, &rid, &json!({"rid": their_rid})).await,
        ErrCode::RidNoPermission,
        false,
        "76003",
    );
    // [W-errcodes] 48001: setstep from an app without the device capability (docs/API.md, setstep).
    check(
        get(
            &s,
            &format!(
                "/hardware/bracelet/setstep?access_token={token}&openid={openid}&timestamp={}&step=1",
                s.state.now()
            ),
        )
        .await,
        ErrCode::ApiUnauthorized,
        false,
        "48001",
    );
    // [W-errcodes] 42001: a token that ran out on its own.
    s.advance(7_201).await;
    check(
        get(&s, &check_path(&format!("access_token={token}&openid={openid}"))).await,
        ErrCode::AccessTokenExpired,
        false,
        "42001",
    );

    for e in ErrCode::ALL {
        let never = NEVER_ANSWERED.iter().any(|(c, _)| *c == e.code());
        assert!(
            seen.contains(&e.code()) != never,
            "errcode {} must have a case here or be listed (with its reason) in NEVER_ANSWERED, not both",
            e.code()
        );
    }
}

/// [W-token] -1 `system error`: what a back end sees when yundong's database is gone.
#[tokio::test]
async fn database_failure_is_system_error() {
    let s = TestServer::spawn().await;
    s.state.store.close().await;
    let v = get(
        &s,
        "/cgi-bin/token?grant_type=client_credential&appid=wx0123456789abcdef&secret=x",
    )
    .await;
    assert_rejects(&v, ErrCode::SystemError, false, "-1");
}

/// Rule 1 [W-code2session] [W-token] [W-checksession] [W-reset] [B-41002]: the GET-style APIs read the query string
/// only. Parameters in a JSON or form body are missing; the body is never parsed, so garbage beside a complete query
/// does not matter.
#[tokio::test]
async fn get_style_apis_read_the_query_only() {
    let s = TestServer::spawn().await;
    // A device app whose wristband the user bound, so setstep's complete query succeeds.
    let app = s.device_app("test app").await;
    let user = s.user("u").await;
    s.bind_device(&user, &app).await;
    let token = s.access_token(&app).await;
    let (openid, key) = s.session(&app, &user).await;
    let (a, sec) = (&app.appid, &app.secret);
    let sig = session_signature(&key);
    let now = s.state.now();
    let form = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    };
    // (path without parameters, the parameters, the errcode when they are only in a body, whether /sns)
    let code = s.login_code(&user.token, a).await;
    let cases: Vec<GetStyleCase> = vec![
        (
            "/cgi-bin/token",
            vec![
                ("grant_type", "client_credential".into()),
                ("appid", a.clone()),
                ("secret", sec.clone()),
            ],
            ErrCode::AppidMissing,
            false,
        ),
        (
            "/wxa/checksession",
            vec![
                ("access_token", token.clone()),
                ("openid", openid.clone()),
                ("signature", sig.clone()),
                ("sig_method", "hmac_sha256".into()),
            ],
            ErrCode::AccessTokenMissing,
            false,
        ),
        (
            "/hardware/bracelet/setstep",
            vec![
                ("access_token", token.clone()),
                ("openid", openid.clone()),
                ("timestamp", now.to_string()),
                ("step", "1234".into()),
            ],
            ErrCode::AccessTokenMissing,
            false,
        ),
        // Last: its success rotates the session_key the checksession case signs.
        (
            "/sns/jscode2session",
            vec![
                ("appid", a.clone()),
                ("secret", sec.clone()),
                ("js_code", code.clone()),
                ("grant_type", "authorization_code".into()),
            ],
            ErrCode::AppidMissing,
            true,
        ),
    ];
    for (path, params, missing, sns) in &cases {
        let body: serde_json::Map<String, Value> = params.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
        assert_rejects(
            &post(&s, path, &Value::Object(body)).await,
            *missing,
            *sns,
            &format!("{path} JSON body"),
        );
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let form_body = form(&pairs);
        assert_rejects(
            &post_raw(&s, path, form_body.as_bytes()).await,
            *missing,
            *sns,
            &format!("{path} form body"),
        );
    }
    // Complete queries with a garbage body succeed (the code was not consumed by the refused calls above).
    for (path, params, _, _) in &cases {
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let v = post_raw(&s, &format!("{path}?{}", form(&pairs)), b"\xff\x00{not json").await;
        assert!(v.get("errcode").is_none_or(|c| c == 0), "{path}: {v}");
    }
    // resetusersessionkey last: it changes the key.
    let (_, key) = s.session(&app, &user).await;
    let q = format!(
        "access_token={token}&openid={openid}&signature={}&sig_method=hmac_sha256",
        session_signature(&key)
    );
    let body: Value = serde_urlencoded_pairs(&q);
    assert_rejects(
        &post(&s, "/wxa/resetusersessionkey", &body).await,
        ErrCode::AccessTokenMissing,
        false,
        "reset JSON body",
    );
    let v = post_raw(&s, &format!("/wxa/resetusersessionkey?{q}"), b"garbage").await;
    assert_eq!(v["errcode"], 0, "{v}");
}

/// (path, its parameters, the errcode when they are only in a body, whether the path is `/sns`).
type GetStyleCase = (&'static str, Vec<(&'static str, String)>, ErrCode, bool);

fn serde_urlencoded_pairs(q: &str) -> Value {
    Value::Object(
        q.split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_owned(), json!(v)))
            .collect(),
    )
}

/// Rule 1, the POST side [W-stable] [W-rid] [W-quota]: `access_token` is read from the query string, the rest from
/// the JSON body; `/cgi-bin/stable_token` reads its body only.
#[tokio::test]
async fn post_apis_read_the_token_from_the_query_and_the_rest_from_the_body() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let token = s.access_token(&app).await;
    // appid and secret in the query of stable_token do not count.
    let v = post(
        &s,
        &format!("/cgi-bin/stable_token?appid={}&secret={}", app.appid, app.secret),
        &json!({"grant_type": "client_credential"}),
    )
    .await;
    assert_rejects(&v, ErrCode::AppidMissing, false, "stable_token query");
    // access_token in a body does not count.
    let v = post(
        &s,
        "/cgi-bin/openapi/quota/get",
        &json!({"access_token": token, "cgi_path": "/cgi-bin/token"}),
    )
    .await;
    assert_rejects(&v, ErrCode::AccessTokenMissing, false, "quota/get body token");
    let v = post(
        &s,
        &format!("/cgi-bin/openapi/quota/get?access_token={token}&cgi_path=/cgi-bin/token"),
        &json!({}),
    )
    .await;
    assert_rejects(&v, ErrCode::CgiPathNotFound, false, "quota/get cgi_path in the query");
}

/// Rule 2 [W-signature] [W-checksession]: the signature is keyed with the session_key's base64 text, as WeChat's
/// documented example shows; keyed with the decoded bytes it is 87009.
#[tokio::test]
async fn signatures_are_keyed_with_the_session_key_text() {
    // WeChat's example: hmac_sha256('{"foo":"bar"}', 'o0q0otL8aEzpcZL/FT9WsQ==') = 654571f7…
    let example = hmac_sha256(b"o0q0otL8aEzpcZL/FT9WsQ==", br#"{"foo":"bar"}"#);
    assert_eq!(
        hex::encode(example),
        "654571f79995b2ce1e149e53c0a33dc39c0a74090db514261454e8dbe432aa0b"
    );
    let decoded = hmac_sha256(&b64("o0q0otL8aEzpcZL/FT9WsQ=="), br#"{"foo":"bar"}"#);
    assert_ne!(
        hex::encode(decoded),
        hex::encode(example),
        "the decoded-bytes key gives another signature"
    );

    let s = TestServer::spawn().await;
    let app = s.app().await;
    let user = s.user("u").await;
    let token = s.access_token(&app).await;
    let (openid, key) = s.session(&app, &user).await;
    let path = |sig: &str, api: &str| {
        format!("/wxa/{api}?access_token={token}&openid={openid}&signature={sig}&sig_method=hmac_sha256")
    };
    let raw = session_signature_raw_key(&b64(&key));
    for api in ["checksession", "resetusersessionkey"] {
        assert_rejects(&get(&s, &path(&raw, api)).await, ErrCode::InvalidSignature, false, api);
    }
    assert_eq!(
        get(&s, &path(&session_signature(&key), "checksession")).await["errcode"],
        0
    );
}

/// Rule 3 [C-rid] [C-40164] [C-40029]: `/sns/*` errmsgs end `, rid: …`; the other families ` rid: …`; errmsg is
/// WeChat's text only (yundong's detail of a refused step goes to the log and journal).
#[tokio::test]
async fn rid_suffix_per_family_and_no_details_in_errmsg() {
    let s = TestServer::spawn().await;
    let app = s.device_app("test app").await;
    let user = s.user("u").await;
    s.bind_device(&user, &app).await;
    let token = s.access_token(&app).await;
    let (openid, _) = s.session(&app, &user).await;
    let v = get(
        &s,
        &format!(
            "/sns/jscode2session?appid={}&secret={}&js_code=x",
            app.appid, app.secret
        ),
    )
    .await;
    assert_rejects(&v, ErrCode::InvalidCode, true, "sns");
    let v = get(&s, "/cgi-bin/token?appid=wx0000000000000000").await;
    assert_rejects(&v, ErrCode::InvalidAppid, false, "cgi-bin");
    let v = get(&s, "/wxa/getopendata").await;
    assert_rejects(&v, ErrCode::RequirePost, false, "wxa");
    let now = s.state.now();
    let v = get(
        &s,
        &format!("/hardware/bracelet/setstep?access_token={token}&openid={openid}&timestamp={now}&step=-5"),
    )
    .await;
    assert_rejects(&v, ErrCode::InvalidArgs, false, "setstep with a negative step");
}

/// Rule 4 [W-token]: `/cgi-bin/token` checks appid before grant_type, and secret after both.
#[tokio::test]
async fn token_checks_appid_then_grant_type_then_secret() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let a = &app.appid;
    for (q, code) in [
        ("appid=wx0000000000000000".to_owned(), ErrCode::InvalidAppid),
        (
            "appid=wx0000000000000000&grant_type=nope".to_owned(),
            ErrCode::InvalidAppid,
        ),
        ("grant_type=nope".to_owned(), ErrCode::AppidMissing),
        (format!("appid={a}&secret=0"), ErrCode::InvalidGrantType),
        (
            format!("appid={a}&grant_type=client_credential&secret=0"),
            ErrCode::InvalidAppsecret,
        ),
    ] {
        assert_rejects(&get(&s, &format!("/cgi-bin/token?{q}")).await, code, false, &q);
    }
}

/// Rule 5 [W-stable]: a second forced refresh within 30 s does not fail and does not refresh.
#[tokio::test]
async fn a_forced_stable_token_within_30_s_is_the_current_token() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let body =
        json!({"grant_type": "client_credential", "appid": app.appid, "secret": app.secret, "force_refresh": true});
    let first = post(&s, "/cgi-bin/stable_token", &body).await;
    s.advance(10).await;
    let second = post(&s, "/cgi-bin/stable_token", &body).await;
    assert_eq!(second["access_token"], first["access_token"], "{second}");
    // Answered as normal mode: the remaining life (the real clock may tick between the calls).
    let left = second["expires_in"].as_i64().unwrap();
    assert!((7185..=7190).contains(&left), "{second}");
    s.advance(21).await;
    let third = post(&s, "/cgi-bin/stable_token", &body).await;
    assert_ne!(
        third["access_token"], first["access_token"],
        "30 s later a force refreshes again"
    );
}

/// Rule 6 [W-errcodes]: unknown paths and wrong methods under WeChat's families answer HTTP 200 with an errcode body,
/// never the admin API's 404/405.
#[tokio::test]
async fn unknown_wechat_paths_answer_errcodes() {
    let s = TestServer::spawn().await;
    for path in [
        "/cgi-bin/menu/create",
        "/wxa/msg_sec_check",
        "/sns/oauth2/access_token",
        "/device/transmsg",
        "/hardware/x",
    ] {
        assert_rejects(
            &post(&s, path, &json!({})).await,
            ErrCode::InvalidUrl,
            path.starts_with("/sns/"),
            path,
        );
    }
    assert_rejects(
        &get(&s, "/cgi-bin/openapi/rid/get").await,
        ErrCode::RequirePost,
        false,
        "GET rid/get",
    );
}
