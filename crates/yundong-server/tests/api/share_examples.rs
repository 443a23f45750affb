//! WeChat's own example of `wx.miniapp.shareMiniProgramMessage` (docs/WECHAT.md §6.1 and §10.8) passes
//! a code-package image (`imagePath: '/pages/thumb.png'`) and a scheme-less `webpageUrl: 'www.qq.com'`: both are
//! accepted, the card shows yundong's placeholder thumbnail and reads back `https://www.qq.com`. What no code
//! package can hold, and network images, are still refused and store nothing.

use serde_json::{Value, json};
use yundong_testkit::TestServer;

use crate::share::{png, upload};

const PLACEHOLDER: &[u8] = include_bytes!("../../../yundong-core/assets/package-thumb.png");

/// WeChat's documented example, with the original id in place of its placeholder text `'小程序原始id'`, plus
/// yundong's `appid` and `conversation_id` (WeChat's user picks the chat in a dialog).
fn example(conversation_id: i64, appid: &str, original_id: &str) -> Value {
    json!({
        "conversation_id": conversation_id, "appid": appid,
        "userName": original_id,
        "path": "pages/index/index",
        "title": "xxxx",
        "imagePath": "/pages/thumb.png",
        "webpageUrl": "www.qq.com",
        "withShareTicket": true,
        "miniprogramType": 0,
        "scene": 0
    })
}

async fn messages(s: &TestServer, conversation: i64, token: &str) -> Vec<Value> {
    let (status, v) = s
        .http_get(
            &format!("/client/v1/conversations/{conversation}/messages"),
            Some(token),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    v["messages"].as_array().unwrap().clone()
}

async fn fetch(s: &TestServer, token: &str, url: &str) -> (u16, String, Vec<u8>) {
    let res = s.http.get(s.url(url)).bearer_auth(token).send().await.unwrap();
    let status = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, ctype, res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn wechats_example_card_succeeds_with_a_placeholder_thumbnail_and_https_url() {
    let s = TestServer::spawn().await;
    let app = s.create_app(json!({"name": "多端应用"})).await;
    let (a, b, outsider) = (s.user("甲").await, s.user("乙").await, s.user("外人").await);
    let v: Value = s
        .admin(
            "/admin/v1/groups",
            json!({"name": "跑团", "members": [a.user_id, b.user_id]}),
        )
        .await;
    let group = v["conversation_id"].as_i64().unwrap();

    // The sender already holds the most unused temp files allowed: the placeholder is not one of them.
    for _ in 0..50 {
        let (status, v) = upload(&s, Some(&a.token), "image/png", png(64)).await;
        assert_eq!(status, 200, "{v}");
    }
    let (status, v) = upload(&s, Some(&a.token), "image/png", png(64)).await;
    assert_eq!(status, 429, "{v}");

    let (status, v) = s
        .post_json(
            "/client/v1/wx/shareMiniProgramMessage",
            Some(&a.token),
            &example(group, &app.appid, &app.original_id),
        )
        .await;
    assert_eq!(
        (status, v["errMsg"].as_str()),
        (200, Some("shareMiniProgramMessage:ok")),
        "{v}"
    );
    let id = v["message_id"].as_i64().unwrap();

    let cards = messages(&s, group, &b.token).await;
    assert_eq!(cards.len(), 1);
    let card = &cards[0];
    assert_eq!(card["message_id"], id);
    assert_eq!(card["webpageUrl"], "https://www.qq.com");
    assert_eq!(card["path"], "pages/index/index");
    assert_eq!(card["title"], "xxxx");
    let image_path = card["imagePath"].as_str().unwrap();
    let name = image_path
        .strip_prefix("wxfile://tmp_")
        .expect("a temp file of its own");
    assert!(name.ends_with(".png"), "{image_path}");
    let url = card["image_url"].as_str().unwrap();
    // Members see the placeholder (the sender and the other member); an outsider does not.
    for token in [&a.token, &b.token] {
        let (status, ctype, bytes) = fetch(&s, token, url).await;
        assert_eq!((status, ctype.as_str()), (200, "image/png"));
        assert_eq!(bytes, PLACEHOLDER);
    }
    assert_eq!(fetch(&s, &outsider.token, url).await.0, 404);

    // Two cards from the same package path: each carries a thumbnail file of its own.
    let (_, v) = s
        .post_json(
            "/client/v1/wx/shareMiniProgramMessage",
            Some(&a.token),
            &example(group, &app.appid, &app.original_id),
        )
        .await;
    assert_eq!(v["errMsg"], "shareMiniProgramMessage:ok", "{v}");
    let cards = messages(&s, group, &a.token).await;
    assert_eq!(cards.len(), 2);
    assert_ne!(cards[0]["imagePath"], cards[1]["imagePath"]);
}

#[tokio::test]
async fn what_no_code_package_holds_is_refused_and_stores_nothing() {
    let s = TestServer::spawn().await;
    let app = s.create_app(json!({"name": "多端应用"})).await;
    let (a, b) = (s.user("甲").await, s.user("乙").await);
    let v: Value = s
        .admin(
            "/admin/v1/groups",
            json!({"name": "跑团", "members": [a.user_id, b.user_id]}),
        )
        .await;
    let group = v["conversation_id"].as_i64().unwrap();
    let cases = [
        (
            "imagePath",
            json!("https://www.qq.com/thumb.png"),
            "invalid imagePath: network images are not supported: pass a code-package path or a wxfile:// path from uploadFile",
        ),
        (
            "imagePath",
            json!("/pages/thumb.gif"),
            "invalid imagePath: a code-package thumbnail must be a .png, .jpg or .jpeg file",
        ),
        (
            "imagePath",
            json!("/pages/../../thumb.png"),
            "invalid imagePath: the path climbs above the code package's root",
        ),
        (
            "imagePath",
            json!("file:///pages/thumb.png"),
            "invalid imagePath: only code-package paths and wxfile:// temp files are supported",
        ),
        (
            "webpageUrl",
            json!("javascript:alert(1)"),
            "invalid webpageUrl: must be an http:// or https:// URL, or a host name such as www.qq.com",
        ),
        (
            "webpageUrl",
            json!("ftp://www.qq.com"),
            "invalid webpageUrl: must be an http:// or https:// URL",
        ),
    ];
    for (param, value, reason) in cases {
        let mut body = example(group, &app.appid, &app.original_id);
        body[param] = value.clone();
        let (status, v) = s
            .post_json("/client/v1/wx/shareMiniProgramMessage", Some(&a.token), &body)
            .await;
        assert_eq!(
            (status, v),
            (200, json!({"errMsg": format!("shareMiniProgramMessage:fail {reason}")})),
            "{param} = {value}"
        );
    }
    // A non-member sharing WeChat's example is refused; no card was posted by any of this.
    let c = s.user("丙").await;
    let (_, v) = s
        .post_json(
            "/client/v1/wx/shareMiniProgramMessage",
            Some(&c.token),
            &example(group, &app.appid, &app.original_id),
        )
        .await;
    assert_eq!(
        v["errMsg"],
        "shareMiniProgramMessage:fail invalid conversation_id: not a member of this conversation"
    );
    assert!(messages(&s, group, &a.token).await.is_empty());
}
