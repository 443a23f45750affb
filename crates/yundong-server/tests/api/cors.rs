//! `serve --cors-origin` (docs/API.md §2 "Calling from another origin"): the client API and the wx object's files answer
//! the listed origins, preflights included; other origins get no allow headers; the admin API, the WeChat-compatible
//! API and the pages never carry CORS headers; without the option nothing changes.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::json;
use yundong_testkit::{ADMIN_TOKEN, TestServer, test_config};

const PAGE: &str = "http://localhost:5173";
const OTHER: &str = "http://evil.test:5173";

async fn cors_server(origins: &[&str]) -> TestServer {
    TestServer::spawn_with(yundong_server::Config {
        cors_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
        ..test_config()
    })
    .await
}

/// A browser's preflight of a POST with a bearer token and a JSON body.
async fn preflight(s: &TestServer, path: &str, origin: &str) -> (StatusCode, HeaderMap) {
    let res = s
        .http
        .request(Method::OPTIONS, s.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization,content-type")
        .send()
        .await
        .unwrap();
    (res.status(), res.headers().clone())
}

async fn get_from(s: &TestServer, path: &str, origin: &str, bearer: Option<&str>) -> (StatusCode, HeaderMap) {
    let mut req = s.http.get(s.url(path)).header("Origin", origin);
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    (res.status(), res.headers().clone())
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).map(|v| v.to_str().unwrap())
}

fn no_cors_headers(h: &HeaderMap, what: &str) {
    for name in [
        "access-control-allow-origin",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-allow-credentials",
    ] {
        assert!(h.get(name).is_none(), "{what}: {name} = {:?}", h.get(name));
    }
}

#[tokio::test]
async fn a_listed_origin_may_call_the_client_api_after_its_preflight() {
    let s = cors_server(&[PAGE]).await;
    let app = s.app().await;
    let user = s.user("小明").await;

    let (status, h) = preflight(&s, "/client/v1/wx/login", PAGE).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(header(&h, "access-control-allow-origin"), Some(PAGE));
    let methods = header(&h, "access-control-allow-methods").unwrap();
    assert!(methods.contains("POST") && methods.contains("GET"), "{methods}");
    let allowed = header(&h, "access-control-allow-headers").unwrap().to_ascii_lowercase();
    assert!(
        allowed.contains("authorization") && allowed.contains("content-type"),
        "{allowed}"
    );
    let max_age: u32 = header(&h, "access-control-max-age").unwrap().parse().unwrap();
    assert!(max_age > 0);
    assert!(header(&h, "vary").unwrap().contains("Origin"));
    assert!(
        header(&h, "access-control-allow-credentials").is_none(),
        "bearer tokens, never cookies"
    );

    // The call itself: answered as usual, with the origin echoed.
    let res = s
        .http
        .post(s.url("/client/v1/wx/login"))
        .header("Origin", PAGE)
        .bearer_auth(&user.token)
        .json(&json!({"appid": app.appid}))
        .send()
        .await
        .unwrap();
    assert_eq!(header(res.headers(), "access-control-allow-origin"), Some(PAGE));
    assert!(
        res.headers()
            .get_all("vary")
            .iter()
            .any(|v| v.to_str().unwrap().contains("Origin"))
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["errMsg"], "login:ok", "{body}");

    // Failures carry it too (the page must be able to read errMsg).
    let (status, h) = get_from(&s, "/client/v1/wx/getSetting?appid=nope", PAGE, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(header(&h, "access-control-allow-origin"), Some(PAGE));

    // The wx object's files: loadable by the page (CORS for module scripts, CORP for classic ones and stylesheets).
    for path in ["/ui/wx.js", "/ui/wx.css"] {
        let (status, h) = get_from(&s, path, PAGE, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(header(&h, "access-control-allow-origin"), Some(PAGE), "{path}");
        assert_eq!(
            header(&h, "cross-origin-resource-policy"),
            Some("cross-origin"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn an_unlisted_origin_gets_no_allow_headers() {
    let s = cors_server(&[PAGE]).await;
    let user = s.user("u").await;
    let (status, h) = preflight(&s, "/client/v1/wx/login", OTHER).await;
    assert_ne!(status, StatusCode::NO_CONTENT);
    assert!(!status.is_success(), "{status}");
    no_cors_headers(&h, "preflight from an unlisted origin");
    // Not a prefix match, not another port or scheme.
    for origin in [
        "http://localhost:5173.evil.test",
        "http://localhost:5174",
        "https://localhost:5173",
        "null",
    ] {
        let (_, h) = get_from(&s, "/client/v1/werun/settings", origin, Some(&user.token)).await;
        no_cors_headers(&h, origin);
        let (status, _) = preflight(&s, "/client/v1/werun/settings", origin).await;
        assert!(!status.is_success(), "{origin}: {status}");
    }
    let (status, h) = get_from(&s, "/client/v1/werun/settings", OTHER, Some(&user.token)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the server still answers; the browser withholds it from the page"
    );
    no_cors_headers(&h, "GET from an unlisted origin");
    assert!(header(&h, "vary").unwrap_or("").contains("Origin"));
}

#[tokio::test]
async fn the_admin_api_the_wechat_api_and_the_pages_stay_same_origin() {
    for origins in [&[PAGE][..], &["*"][..]] {
        let s = cors_server(origins).await;
        for path in ["/admin/v1/apps", "/admin/v1/reset"] {
            let (status, h) = preflight(&s, path, PAGE).await;
            assert!(!status.is_success(), "{origins:?} {path}: {status}");
            no_cors_headers(&h, path);
        }
        // WeChat's paths answer every method 200 with an errcode (its wire format); without allow headers the
        // browser still refuses the call.
        for path in ["/sns/jscode2session", "/cgi-bin/token"] {
            let (_, h) = preflight(&s, path, PAGE).await;
            no_cors_headers(&h, path);
            let (_, h) = get_from(&s, path, PAGE, None).await;
            no_cors_headers(&h, path);
        }
        let res = s
            .http
            .get(s.url("/admin/v1/users"))
            .header("Origin", PAGE)
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        no_cors_headers(res.headers(), "admin GET");
        for path in [
            "/ui/",
            "/ui/ranking",
            "/ui/simulator",
            "/ui/yd.js",
            "/ui/style.css",
            "/healthz",
            "/openapi.json",
        ] {
            let (_, h) = get_from(&s, path, PAGE, None).await;
            no_cors_headers(&h, path);
            if path.starts_with("/ui/") {
                assert_eq!(
                    header(&h, "cross-origin-resource-policy"),
                    Some("same-origin"),
                    "{path}"
                );
            }
        }
    }
}

#[tokio::test]
async fn any_origin_in_test_mode_echoes_the_callers_origin() {
    let s = cors_server(&["*"]).await;
    for origin in [PAGE, OTHER] {
        let (status, h) = preflight(&s, "/client/v1/wx/getWeRunData", origin).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(header(&h, "access-control-allow-origin"), Some(origin));
    }
}

#[tokio::test]
async fn without_the_option_nothing_is_cross_origin() {
    let s = TestServer::spawn().await;
    let (status, h) = preflight(&s, "/client/v1/wx/login", PAGE).await;
    assert!(!status.is_success(), "{status}");
    no_cors_headers(&h, "preflight");
    let (_, h) = get_from(&s, "/ui/wx.js", PAGE, None).await;
    no_cors_headers(&h, "wx.js");
    assert_eq!(header(&h, "cross-origin-resource-policy"), Some("same-origin"));
}
