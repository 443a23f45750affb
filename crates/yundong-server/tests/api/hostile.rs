//! Regressions from the hostile-input work (hostile/schemathesis.sh, fuzz/, the property tests): each test pins one
//! problem that was found, and the OpenAPI document's promises that schemathesis checks answers against.

use serde_json::{Value, json};
use yundong_testkit::TestServer;

use crate::support::errcode;

/// `setstep` with the most negative timestamp, behind a valid access_token and openid: the day arithmetic
/// overflowed (a panic, so a 500 in debug builds). Now it is a day outside the window, as any other old timestamp.
#[tokio::test]
async fn setstep_with_extreme_timestamps_is_40097_not_a_panic() {
    let s = TestServer::spawn().await;
    let app = s.device_app("band").await;
    let user = s.user("u").await;
    s.bind_device(&user, &app).await;
    let (openid, _) = s.session(&app, &user).await;
    let token = s.access_token(&app).await;
    for timestamp in [i64::MIN, i64::MIN + 1, -1] {
        let path =
            format!("/hardware/bracelet/setstep?access_token={token}&openid={openid}&timestamp={timestamp}&step=1");
        let (status, v) = s.get_json(&path).await;
        assert_eq!((status, errcode(&v)), (200, 40097), "{timestamp}: {v}");
    }
    let path = format!(
        "/hardware/bracelet/setstep?access_token={token}&openid={openid}&timestamp={}&step=1",
        i64::MAX
    );
    let (status, v) = s.get_json(&path).await;
    assert_eq!((status, errcode(&v)), (200, 40097), "{v}");
    // Nothing was recorded.
    let (_, d) = s.http_get("/client/v1/werun/detail", Some(&user.token)).await;
    let days = d["days"].as_array().expect("days");
    assert_eq!(days.len(), 31, "{d}");
    assert!(days.iter().all(|day| day["step"] == 0), "{d}");
}

/// A date is `YYYY-MM-DD` in ASCII digits: `str::parse` alone took `2026-+1-+5` for January 5.
#[tokio::test]
async fn dates_with_signs_are_refused() {
    let s = TestServer::spawn().await;
    let user = s.user("u").await;
    for date in ["2026-+1-+5", "+026-01-05", "2026-01-+5"] {
        let v = s.steps(&user.token, 100, Some(date)).await;
        assert_eq!(v["errMsg"], "steps:fail date must be YYYY-MM-DD", "{date}: {v}");
        let (status, v) = s
            .http_get(
                &format!("/client/v1/werun/ranking?date={}", date.replace('+', "%2B")),
                Some(&user.token),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["errMsg"], "ranking:fail date must be YYYY-MM-DD", "{date}: {v}");
    }
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.push((method.clone(), path.clone(), op));
            }
        }
    }
    out
}

/// What schemathesis found the document to get wrong, pinned: parameters live where the server reads them, a
/// client-API 200 may be `{"errMsg": "<api>:fail …"}`, and a WeChat errcode body satisfies its answer's `anyOf`.
#[tokio::test]
async fn openapi_document_describes_what_the_server_answers() {
    let s = TestServer::spawn().await;
    let (status, doc) = s.get_json("/openapi.json").await;
    assert_eq!(status, 200);
    let ops = operations(&doc);
    assert!(ops.len() >= 40, "{} operations", ops.len());
    for (method, path, op) in &ops {
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "path" {
                let name = p["name"].as_str().expect("name");
                assert!(
                    path.contains(&format!("{{{name}}}")),
                    "{method} {path}: path parameter {name} not in the path"
                );
            }
        }
        let tags = op["tags"].as_array().expect("tags");
        let ok = &op["responses"]["200"]["content"]["application/json"]["schema"];
        if tags.contains(&json!("client")) && !ok.is_null() && ok["$ref"] != "#/components/schemas/ErrMsg" {
            let any: Vec<&Value> = ok["anyOf"].as_array().into_iter().flatten().collect();
            assert!(
                any.contains(&&json!({"$ref": "#/components/schemas/ErrMsg"})),
                "{method} {path}: a client 200 may be an errMsg failure: {ok}"
            );
        }
    }
    let get_setting = ops
        .iter()
        .find(|(m, p, _)| m == "get" && p == "/client/v1/wx/getSetting")
        .expect("getSetting");
    assert_eq!(get_setting.2["parameters"][0]["in"], "query");
    // Every client and admin operation that reads a body documents the 413 it answers for one over the limit, and
    // answers it, in its surface's format.
    let user = s.user("big").await;
    let big = vec![b' '; 70 * 1024];
    for (method, path, op) in &ops {
        let tags = op["tags"].as_array().expect("tags");
        let (token, client) = if tags.contains(&json!("client")) {
            (user.token.as_str(), true)
        } else if tags.contains(&json!("admin")) {
            (yundong_testkit::ADMIN_TOKEN, false)
        } else {
            continue;
        };
        // Uploads and scenario files have larger limits of their own (tested in share.rs and scenario.rs).
        if op["requestBody"].is_null() || path == "/client/v1/files" || path == "/admin/v1/scenario" {
            continue;
        }
        assert!(op["responses"]["413"].is_object(), "{method} {path}: 413 undocumented");
        let http_method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
        // Path parameters take a real value, so the request reaches the handler's body limit.
        let app_path = path.replace("{appid}", &s.app().await.appid);
        let res = reqwest::Client::new()
            .request(http_method, s.url(&app_path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .expect("send");
        let (status, v) = yundong_testkit::parse(res).await;
        assert_eq!(status, 413, "{path}: {v}");
        let shaped = if client {
            v["errMsg"].is_string()
        } else {
            v["error"]["code"] == "payload_too_large"
        };
        assert!(shaped, "{path}: {v}");
    }
    for name in [
        "OkAnswer",
        "TokenAnswer",
        "Code2SessionAnswer",
        "ResetAnswer",
        "OpenDataAnswer",
    ] {
        let schema = &doc["components"]["schemas"][name];
        assert!(
            schema["anyOf"].is_array() && schema["oneOf"].is_null(),
            "{name}: {schema}"
        );
    }
}
