//! Hostile and malformed input on every surface: a clear error in that surface's format, never a 500, and nothing
//! changed.

use serde_json::json;
use yundong_testkit::{ADMIN_TOKEN, TestServer};

use crate::support::errcode;

#[tokio::test]
async fn wechat_surface_answers_errcodes_for_garbage() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let token = s.access_token(&app).await;
    let big = vec![b' '; 70 * 1024]
        .into_iter()
        .chain(b"{}".iter().copied())
        .collect::<Vec<u8>>();
    let bodies: Vec<Vec<u8>> = vec![
        b"{".to_vec(),
        b"[1,2]".to_vec(),
        b"\"str\"".to_vec(),
        vec![0xff, 0xfe],
        big,
    ];
    // The POST APIs read a JSON body: anything else is 47001.
    for path in [
        "/cgi-bin/stable_token",
        &format!("/wxa/getopendata?access_token={token}"),
    ] {
        for body in &bodies {
            let (status, v) = s.post_raw(path, None, body.clone()).await;
            assert_eq!((status, errcode(&v)), (200, 47001), "{path}: {v}");
        }
    }
    // The GET-style APIs never read a body: whatever it holds, the (empty) query decides.
    for path in ["/cgi-bin/token", "/sns/jscode2session"] {
        for body in &bodies {
            let (status, v) = s.post_raw(path, None, body.clone()).await;
            assert_eq!((status, errcode(&v)), (200, 41002), "{path}: {v}");
        }
    }
    // A stray '%' is taken literally (as form decoders do): the appid is then simply unknown.
    let (status, v) = s.get_json("/sns/jscode2session?appid=%zz&secret=x&js_code=y").await;
    assert_eq!((status, errcode(&v)), (200, 40013), "{v}");
    let (status, v) = s.get_json("/sns/jsCode2session").await;
    assert_eq!((status, errcode(&v)), (200, 40066), "paths are case-sensitive: {v}");
    let (status, v) = s.get_json("/wxa/getopendata").await;
    assert_eq!((status, errcode(&v)), (200, 43002), "{v}");
}

#[tokio::test]
async fn client_surface_answers_errmsg_for_garbage_and_changes_nothing() {
    let s = TestServer::spawn().await;
    let user = s.user("u").await;
    s.steps(&user.token, 1234, None).await;
    let t = Some(user.token.as_str());
    for (body, status) in [
        (b"{".to_vec(), 400),
        (b"null".to_vec(), 400),
        (br#"{"steps": 99999999999999999999}"#.to_vec(), 400),
        (br#"{"steps": 1, "date": 5}"#.to_vec(), 400),
        (vec![b' '; 70 * 1024], 413),
    ] {
        let (got, v) = s.post_raw("/client/v1/steps", t, body).await;
        assert_eq!(got, status, "{v}");
        assert!(v["errMsg"].as_str().unwrap().starts_with("steps:fail"), "{v}");
    }
    for path in [
        "/client/v1/wx/login",
        "/client/v1/wx/getWeRunData",
        "/client/v1/wx/authorize",
    ] {
        let (status, v) = s.post_raw(path, t, br#"{"appid": 1}"#.to_vec()).await;
        assert_eq!(status, 400, "{path}: {v}");
        let (status, v) = s.post_json(path, None, &json!({"appid": "x"})).await;
        assert_eq!(status, 401, "{path}: {v}");
        assert!(v["errMsg"].as_str().unwrap().contains(":fail unauthorized"));
    }
    let (status, v) = s.http_get("/client/v1/wx/getSetting", t).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(s.steps(&user.token, 1234, None).await["total"], 1234, "nothing changed");
    // Odd authorization headers.
    let res = s
        .http
        .post(s.url("/client/v1/steps"))
        .header("authorization", "Basic abc")
        .json(&json!({"steps": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let res = s
        .http
        .post(s.url("/client/v1/steps"))
        .header("authorization", "Bearer ")
        .json(&json!({"steps": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
}

#[tokio::test]
async fn admin_surface_answers_json_errors() {
    let s = TestServer::spawn().await;
    let (status, v) = s.post_json("/admin/v1/apps", None, &json!({"name": "x"})).await;
    assert_eq!((status, v["error"]["code"].as_str()), (401, Some("unauthorized")));
    let (status, v) = s
        .post_json("/admin/v1/apps", Some("yda_wrong"), &json!({"name": "x"}))
        .await;
    assert_eq!((status, v["error"]["code"].as_str()), (401, Some("unauthorized")));
    let a = Some(ADMIN_TOKEN);
    for (path, body, status) in [
        ("/admin/v1/apps", json!({}), 400),
        ("/admin/v1/apps", json!({"name": ""}), 400),
        ("/admin/v1/apps", json!({"name": "x".repeat(65)}), 400),
        (
            "/admin/v1/apps",
            json!({"name": "x", "open_platform": "has space"}),
            400,
        ),
        ("/admin/v1/apps", json!({"name": "x", "werun_share": "yes"}), 400),
        ("/admin/v1/users", json!({"nickname": "\u{0007}bell"}), 400),
        ("/admin/v1/friendships", json!({"a": 1, "b": 1}), 400),
        ("/admin/v1/friendships", json!({"a": 1, "b": 999}), 404),
        ("/admin/v1/clock/advance", json!({"seconds": -5}), 400),
    ] {
        let (got, v) = s.post_json(path, a, &body).await;
        assert_eq!(got, status, "{path} {body}: {v}");
        assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (status, _) = s.post_raw("/admin/v1/users", a, vec![b'x'; 70 * 1024]).await;
    assert_eq!(status, 413);
    let (status, v) = s.get_json("/no/such/path").await;
    assert_eq!((status, v["error"]["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn nul_bytes_and_odd_text_never_reach_the_database_as_lookups() {
    // PostgreSQL cannot even compare a text holding NUL: these must be refused by shape, not by a failing query.
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let user = s.user("u").await;
    let t = Some(user.token.as_str());
    for path in ["/client/v1/wx/login", "/client/v1/wx/getWeRunData"] {
        let (status, v) = s
            .post_json(path, t, &json!({"appid": "wx\u{0}0000000000000000", "allow": true}))
            .await;
        assert_eq!(status, 200, "{path}: {v}");
        assert!(v["errMsg"].as_str().unwrap().ends_with(":fail invalid appid"), "{v}");
    }
    let (_, v) = s.get_json("/sns/jscode2session?appid=wx%00&secret=x&js_code=y").await;
    assert_eq!(errcode(&v), 40013);
    let token = s.access_token(&s.device_app("band").await).await;
    let (_, v) = s
        .get_json(&format!(
            "/hardware/bracelet/setstep?access_token={token}&openid=o%00&timestamp=1&step=1"
        ))
        .await;
    assert_eq!(errcode(&v), 40003);
    let (_, v) = s
        .get_json(&format!(
            "/cgi-bin/token?grant_type=client_credential&appid=%00&secret={}",
            app.secret
        ))
        .await;
    assert_eq!(errcode(&v), 40013);
}
