//! Share cards (docs/DESIGN.md §3.2–3.3, §5.12; docs/WECHAT.md §6): conversations, temp files, shareMiniProgramMessage,
//! opening cards, shareTickets and getShareInfo with its openGId.

use serde_json::{Value, json};
use yundong_proto::admin::{AppCreated, UserCreated};
use yundong_testkit::{ADMIN_TOKEN, TestServer, parse};

use crate::support::{decrypt, decrypt_answer, try_decrypt};

/// A PNG-shaped body of `len` bytes (magic and IHDR; the server checks no more).
pub fn png(len: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.resize(len, 7);
    v
}

fn jpeg(len: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];
    v.resize(len, 9);
    v
}

/// Apps a1, a2 of one open platform and a3 of none; users a, b (friends), c (in the group), d (outsider); the group
/// {a, b, c} and the direct chat {a, b}.
struct World {
    s: TestServer,
    a1: AppCreated,
    a2: AppCreated,
    a3: AppCreated,
    a: UserCreated,
    b: UserCreated,
    c: UserCreated,
    d: UserCreated,
    group: i64,
    direct: i64,
}

async fn world() -> World {
    let s = TestServer::spawn().await;
    let a1 = s.create_app(json!({"name": "跑步", "open_platform": "acme"})).await;
    let a2 = s.create_app(json!({"name": "骑行", "open_platform": "acme"})).await;
    let a3 = s.create_app(json!({"name": "其他"})).await;
    let (a, b, c, d) = (
        s.user("甲").await,
        s.user("乙").await,
        s.user("丙").await,
        s.user("丁").await,
    );
    s.befriend(a.user_id, b.user_id).await;
    let v: Value = s
        .admin(
            "/admin/v1/groups",
            json!({"name": "跑团", "members": [a.user_id, b.user_id, c.user_id]}),
        )
        .await;
    let group = v["conversation_id"].as_i64().unwrap();
    let v: Value = s
        .admin("/admin/v1/conversations", json!({"members": [a.user_id, b.user_id]}))
        .await;
    let direct = v["conversation_id"].as_i64().unwrap();
    World {
        s,
        a1,
        a2,
        a3,
        a,
        b,
        c,
        d,
        group,
        direct,
    }
}

/// `POST /client/v1/files` with a content type: status and answer.
pub async fn upload(s: &TestServer, token: Option<&str>, ctype: &str, body: Vec<u8>) -> (u16, Value) {
    let mut req = s
        .http
        .post(s.url("/client/v1/files"))
        .header("content-type", ctype)
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    parse(req.send().await.unwrap()).await
}

/// Upload a small PNG as `token`: its `wxfile://` path.
async fn image(s: &TestServer, token: &str) -> String {
    let (status, v) = upload(s, Some(token), "image/png", png(100)).await;
    assert_eq!((status, v["errMsg"].as_str()), (200, Some("uploadFile:ok")), "{v}");
    v["tempFilePath"].as_str().unwrap().to_owned()
}

/// GET a file as `token`: status, content type and bytes.
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

fn card(conversation_id: i64, appid: &str, user_name: &str, image: &str) -> Value {
    json!({
        "conversation_id": conversation_id, "appid": appid, "userName": user_name,
        "path": "/pages/run/index?from=share", "title": "一起跑步", "description": "今天 10000 步",
        "imagePath": image, "webpageUrl": "https://example.com/run", "withShareTicket": true,
        "miniprogramType": 0, "scene": 0
    })
}

async fn share(s: &TestServer, token: &str, body: &Value) -> (u16, Value) {
    s.post_json("/client/v1/wx/shareMiniProgramMessage", Some(token), body)
        .await
}

/// Share `body` and return the card's id.
async fn shared(s: &TestServer, token: &str, body: &Value) -> i64 {
    let (status, v) = share(s, token, body).await;
    assert_eq!(
        (status, v["errMsg"].as_str()),
        (200, Some("shareMiniProgramMessage:ok")),
        "{v}"
    );
    v["message_id"].as_i64().unwrap()
}

async fn open(s: &TestServer, token: &str, message_id: i64) -> Value {
    s.post_json("/client/v1/share/open", Some(token), &json!({"message_id": message_id}))
        .await
        .1
}

async fn share_info(s: &TestServer, token: &str, appid: &str, ticket: &str) -> Value {
    s.post_json(
        "/client/v1/wx/getShareInfo",
        Some(token),
        &json!({"appid": appid, "shareTicket": ticket}),
    )
    .await
    .1
}

/// Open a card as `user` and return its shareTicket (asserting there is one).
async fn ticket(s: &TestServer, user: &UserCreated, message_id: i64) -> String {
    let v = open(s, &user.token, message_id).await;
    assert_eq!(v["errMsg"], "open:ok", "{v}");
    v["shareTicket"].as_str().expect("a shareTicket").to_owned()
}

/// getShareInfo as `user` for `app` (logging in first), decrypted: the openGId.
async fn open_gid(s: &TestServer, app: &AppCreated, user: &UserCreated, ticket: &str) -> String {
    let (_, key) = s.session(app, user).await;
    let v = share_info(s, &user.token, &app.appid, ticket).await;
    assert_eq!(v["errMsg"], "getShareInfo:ok", "{v}");
    let plain = decrypt_answer(&key, &v);
    plain["openGId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn admin_makes_direct_chats_between_friends_and_groups() {
    let w = world().await;
    let s = &w.s;
    let t = Some(ADMIN_TOKEN);
    let (a, b, c) = (w.a.user_id, w.b.user_id, w.c.user_id);
    // The pair's direct chat exists: asking again, either way round, finds it.
    let (status, v) = s
        .post_json("/admin/v1/conversations", t, &json!({"members": [b, a]}))
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v,
        json!({"conversation_id": w.direct, "kind": "direct", "members": [a.min(b), a.max(b)], "created": false})
    );
    for (body, status, code) in [
        (json!({"members": [a, c]}), 400, "invalid_request"),
        (json!({"members": [a]}), 400, "invalid_request"),
        (json!({"members": [a, b, c]}), 400, "invalid_request"),
        (json!({"members": [a, a]}), 400, "invalid_request"),
        (json!({"members": [a, 9999]}), 404, "not_found"),
        (json!({"members": "1,2"}), 400, "invalid_request"),
    ] {
        let (st, v) = s.post_json("/admin/v1/conversations", t, &body).await;
        assert_eq!((st, v["error"]["code"].as_str()), (status, Some(code)), "{body}: {v}");
    }
    let (_, v) = s
        .post_json("/admin/v1/conversations", t, &json!({"members": [a, c]}))
        .await;
    assert!(v["error"]["message"].as_str().unwrap().contains("not friends"), "{v}");

    let (status, v) = s
        .post_json("/admin/v1/groups", t, &json!({"name": " 夜跑 ", "members": [c, a]}))
        .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["kind"], "group");
    assert_eq!(v["name"], "夜跑");
    assert_eq!(v["members"], json!([a.min(c), a.max(c)]));
    assert_ne!(v["conversation_id"], json!(w.group));
    for (body, status) in [
        (json!({"name": "", "members": [a, b]}), 400),
        (json!({"name": "x".repeat(65), "members": [a, b]}), 400),
        (json!({"name": "g", "members": [a]}), 400),
        (json!({"name": "g", "members": [a, b, a]}), 400),
        (json!({"name": "g", "members": (1..=501).collect::<Vec<i64>>()}), 400),
        (json!({"name": "g", "members": [a, 9999]}), 404),
        (json!({"members": [a, b]}), 400),
    ] {
        let (st, v) = s.post_json("/admin/v1/groups", t, &body).await;
        assert_eq!(st, status, "{body}: {v}");
    }
    let (st, _) = s
        .post_json("/admin/v1/groups", None, &json!({"name": "g", "members": [a, b]}))
        .await;
    assert_eq!(st, 401);
}

#[tokio::test]
async fn uploads_check_type_magic_and_size() {
    let w = world().await;
    let s = &w.s;
    let t = Some(w.a.token.as_str());
    let (status, v) = upload(s, t, "image/png", png(1000)).await;
    assert_eq!(status, 200, "{v}");
    let path = v["tempFilePath"].as_str().unwrap();
    let name = path.strip_prefix("wxfile://tmp_").unwrap();
    let (stem, ext) = name.split_once('.').unwrap();
    assert_eq!(ext, "png");
    assert!(
        stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit()),
        "{path}"
    );
    assert_eq!(v["size"], 1000);
    let (status, v) = upload(s, t, "image/jpeg", jpeg(2000)).await;
    assert_eq!(status, 200, "{v}");
    assert!(v["tempFilePath"].as_str().unwrap().ends_with(".jpg"), "{v}");
    assert_ne!(v["tempFilePath"].as_str(), Some(path), "names are fresh");

    // Exactly 128 KB passes (more than the server's default 64 KiB body limit); a byte more does not.
    let (status, v) = upload(s, t, "image/jpeg", jpeg(128 * 1024)).await;
    assert_eq!((status, v["errMsg"].as_str()), (200, Some("uploadFile:ok")), "{v}");
    let (status, v) = upload(s, t, "image/png", png(128 * 1024 + 1)).await;
    assert_eq!(
        (status, v["errMsg"].as_str()),
        (
            413,
            Some("uploadFile:fail file too large: 131073 bytes, at most 131072 bytes (128 KB)")
        )
    );
    let (status, v) = upload(s, t, "image/png", png(1024 * 1024)).await;
    assert_eq!(status, 413);
    assert!(
        v["errMsg"]
            .as_str()
            .unwrap()
            .starts_with("uploadFile:fail file too large: more than"),
        "{v}"
    );

    for (ctype, body, status, msg) in [
        (
            "text/plain",
            png(100),
            415,
            "uploadFile:fail invalid Content-Type: must be image/png or image/jpeg",
        ),
        (
            "image/gif",
            b"GIF89a....".to_vec(),
            415,
            "uploadFile:fail invalid Content-Type: must be image/png or image/jpeg",
        ),
        (
            "image/png",
            b"GIF89a....".to_vec(),
            415,
            "uploadFile:fail not a PNG or JPEG image (by its magic bytes)",
        ),
        (
            "image/png",
            jpeg(100),
            415,
            "uploadFile:fail Content-Type image/png does not match the file, which is image/jpeg",
        ),
        (
            "image/jpeg",
            png(100),
            415,
            "uploadFile:fail Content-Type image/jpeg does not match the file, which is image/png",
        ),
        ("image/png", Vec::new(), 400, "uploadFile:fail empty file"),
    ] {
        let (st, v) = upload(s, t, ctype, body).await;
        assert_eq!((st, v["errMsg"].as_str()), (status, Some(msg)), "{ctype}");
    }
    let (status, v) = upload(s, None, "image/png", png(100)).await;
    assert_eq!(status, 401);
    assert!(
        v["errMsg"]
            .as_str()
            .unwrap()
            .starts_with("uploadFile:fail unauthorized"),
        "{v}"
    );
}

#[tokio::test]
async fn temp_files_are_private_until_a_card_shows_them_and_expire_unused() {
    let w = world().await;
    let s = &w.s;
    let bytes = png(500);
    let (_, v) = upload(s, Some(&w.a.token), "image/png", bytes.clone()).await;
    let path = v["tempFilePath"].as_str().unwrap().to_owned();
    let name = path.strip_prefix("wxfile://").unwrap();
    let url = format!("/client/v1/files/{name}");
    assert_eq!(
        fetch(s, &w.a.token, &url).await,
        (200, "image/png".to_owned(), bytes.clone())
    );
    for who in [&w.b, &w.c, &w.d] {
        let (status, _, body) = fetch(s, &who.token, &url).await;
        assert_eq!(status, 404, "another user cannot see an unshared temp file");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v, json!({"errMsg": "downloadFile:fail file not found"}));
    }
    let (status, _, _) = fetch(s, &w.a.token, "/client/v1/files/..%2Fetc%2Fpasswd").await;
    assert_eq!(status, 404);
    let (status, _, _) = fetch(
        s,
        &w.a.token,
        "/client/v1/files/tmp_00000000000000000000000000000000.png",
    )
    .await;
    assert_eq!(status, 404);
    let res = s.http.get(s.url(&url)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);

    // Shown on a group card: every member sees it, nobody else does; it outlives the temp-file life.
    let unused = image(s, &w.a.token).await;
    shared(s, &w.a.token, &card(w.group, &w.a1.appid, &w.a1.original_id, &path)).await;
    for who in [&w.a, &w.b, &w.c] {
        assert_eq!(fetch(s, &who.token, &url).await.0, 200);
    }
    assert_eq!(fetch(s, &w.d.token, &url).await.0, 404);
    s.advance(2 * 3600 + 1).await;
    assert_eq!(
        fetch(s, &w.b.token, &url).await.0,
        200,
        "a card's image lives with the card"
    );
    // An unused temp file is gone after 2 hours: unreadable and unusable.
    let unused_url = format!("/client/v1/files/{}", unused.strip_prefix("wxfile://").unwrap());
    assert_eq!(fetch(s, &w.a.token, &unused_url).await.0, 404);
    let (_, v) = share(s, &w.a.token, &card(w.group, &w.a1.appid, &w.a1.original_id, &unused)).await;
    assert_eq!(
        v,
        json!({"errMsg": "shareMiniProgramMessage:fail invalid imagePath: the temp file expired (an unused temp file lives 7200 s)"})
    );
    // A used image may be reused for another card later.
    shared(s, &w.a.token, &card(w.direct, &w.a1.appid, &w.a1.original_id, &path)).await;
}

#[tokio::test]
async fn share_validates_every_parameter_and_names_it() {
    let w = world().await;
    let s = &w.s;
    let img = image(s, &w.a.token).await;
    let b_img = image(s, &w.b.token).await;
    let ok = card(w.group, &w.a1.appid, &w.a1.original_id, &img);
    let fail = |m: &str| json!({"errMsg": format!("shareMiniProgramMessage:fail {m}")});
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "userName",
            json!(w.a1.appid),
            "invalid userName: must be the mini program's original id (gh_…), not its appid",
        ),
        (
            "userName",
            json!("gh_123"),
            "invalid userName: must be a mini program's original id (gh_ + 12 hex digits)",
        ),
        ("userName", json!(""), "invalid userName: required"),
        (
            "userName",
            json!("gh_0123456789ab"),
            "invalid userName: no mini program has this original id",
        ),
        (
            "userName",
            json!(w.a3.original_id),
            "invalid userName: must be the sharing app's original id or one of an app of its open platform",
        ),
        ("path", json!(""), "invalid path: required"),
        (
            "path",
            json!("/p?".to_owned() + &"x".repeat(1022)),
            "invalid path: longer than 1024 bytes (1025 bytes)",
        ),
        (
            "title",
            json!("跑".repeat(171)),
            "invalid title: longer than 512 bytes (513 bytes)",
        ),
        (
            "title",
            json!("a\nb"),
            "invalid title: must not contain control or invisible formatting characters",
        ),
        (
            "description",
            json!("d".repeat(1025)),
            "invalid description: longer than 1024 bytes (1025 bytes)",
        ),
        (
            "imagePath",
            json!("https://example.com/a.png"),
            "invalid imagePath: network images are not supported: pass a code-package path or a wxfile:// path from uploadFile",
        ),
        (
            "imagePath",
            json!("HTTP://example.com/a.png"),
            "invalid imagePath: network images are not supported: pass a code-package path or a wxfile:// path from uploadFile",
        ),
        (
            "imagePath",
            json!("/images/a.gif"),
            "invalid imagePath: a code-package thumbnail must be a .png, .jpg or .jpeg file",
        ),
        (
            "imagePath",
            json!("/../a.png"),
            "invalid imagePath: the path climbs above the code package's root",
        ),
        (
            "imagePath",
            json!("data:image/png;base64,iVBORw0KGgo="),
            "invalid imagePath: only code-package paths and wxfile:// temp files are supported",
        ),
        (
            "imagePath",
            json!("wxfile://usr/a.png"),
            "invalid imagePath: must be a wxfile://tmp_….png|jpg path returned by uploadFile",
        ),
        (
            "imagePath",
            json!("wxfile://tmp_0123456789abcdef0123456789abcdef.png"),
            "invalid imagePath: not a temp file of yours (upload the image with POST /client/v1/files)",
        ),
        (
            "imagePath",
            json!(b_img),
            "invalid imagePath: not a temp file of yours (upload the image with POST /client/v1/files)",
        ),
        ("webpageUrl", json!(""), "invalid webpageUrl: required"),
        (
            "webpageUrl",
            json!("exa_mple.com"),
            "invalid webpageUrl: must be an http:// or https:// URL, or a host name such as www.qq.com",
        ),
        (
            "webpageUrl",
            json!("javascript:alert(1)"),
            "invalid webpageUrl: must be an http:// or https:// URL, or a host name such as www.qq.com",
        ),
        ("webpageUrl", json!("https://"), "invalid webpageUrl: must name a host"),
        (
            "webpageUrl",
            json!("https://exa mple.com"),
            "invalid webpageUrl: must not contain spaces or control characters",
        ),
        (
            "miniprogramType",
            json!(3),
            "invalid miniprogramType: must be 0 (release), 1 (development) or 2 (trial)",
        ),
        (
            "miniprogramType",
            json!(-1),
            "invalid miniprogramType: must be 0 (release), 1 (development) or 2 (trial)",
        ),
        (
            "scene",
            json!(1),
            "invalid scene: 1 (Moments) is not supported, only 0 (chat)",
        ),
        ("scene", json!(2), "invalid scene: must be 0 (chat)"),
        ("appid", json!("wx0000000000000000"), "invalid appid"),
        ("appid", json!("wx\u{0}"), "invalid appid"),
        (
            "description",
            json!("a\u{0}b"),
            "invalid description: must not contain control characters other than line breaks and tabs",
        ),
        (
            "conversation_id",
            json!(w.group + 1000),
            "invalid conversation_id: not a member of this conversation",
        ),
    ];
    for (param, value, msg) in cases {
        let mut body = ok.clone();
        body[param] = value;
        let (status, v) = share(s, &w.a.token, &body).await;
        assert_eq!((status, &v), (200, &fail(msg)), "{param}");
    }
    // Malformed bodies: 400, still naming the parameter.
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "withShareTicket",
            json!(1),
            "invalid withShareTicket: must be a boolean",
        ),
        ("withShareTicket", Value::Null, "invalid withShareTicket: required"),
        (
            "miniprogramType",
            json!("0"),
            "invalid miniprogramType: must be an integer",
        ),
        ("scene", json!(0.5), "invalid scene: must be an integer"),
        ("title", json!(12), "invalid title: must be a string"),
        (
            "conversation_id",
            json!("1"),
            "invalid conversation_id: must be an integer",
        ),
        ("imagePath", Value::Null, "invalid imagePath: required"),
        ("webpageUrl", Value::Null, "invalid webpageUrl: required"),
        ("path", Value::Null, "invalid path: required"),
        ("userName", Value::Null, "invalid userName: required"),
    ];
    for (param, value, msg) in cases {
        let mut body = ok.clone();
        body[param] = value;
        let (status, v) = share(s, &w.a.token, &body).await;
        assert_eq!((status, &v), (400, &fail(msg)), "{param}");
    }
    let (status, v) = share(s, &w.a.token, &json!([1])).await;
    assert_eq!(
        (status, &v),
        (400, &fail("invalid request: body must be a JSON object"))
    );
    let (status, v) = s
        .post_raw("/client/v1/wx/shareMiniProgramMessage", Some(&w.a.token), b"{".to_vec())
        .await;
    assert_eq!(status, 400, "{v}");
    // Nothing was posted by any of that.
    let (_, v) = s
        .http_get(
            &format!("/client/v1/conversations/{}/messages", w.group),
            Some(&w.a.token),
        )
        .await;
    assert_eq!(v["messages"], json!([]));

    // Boundaries and leniencies that pass: 512/1024 bytes, no title or description, a sibling app of the open
    // platform, "true" as a string (WeChat documents withShareTicket as a string), trial builds, a query-only path.
    let mut body = ok.clone();
    body["title"] = json!("t".repeat(512));
    body["description"] = json!("d".repeat(1024));
    shared(s, &w.a.token, &body).await;
    let mut body = ok.clone();
    body.as_object_mut().unwrap().remove("title");
    body["description"] = Value::Null;
    body["userName"] = json!(w.a2.original_id);
    body["withShareTicket"] = json!("true");
    body["miniprogramType"] = json!(2);
    body["path"] = json!("?foo=bar");
    body["webpageUrl"] = json!("HTTP://example.com:8080");
    body["success"] = json!("ignored");
    shared(s, &w.a.token, &body).await;
    let (_, v) = s
        .http_get(
            &format!("/client/v1/conversations/{}/messages", w.group),
            Some(&w.a.token),
        )
        .await;
    let last = &v["messages"][1];
    assert_eq!(
        (
            &last["title"],
            &last["description"],
            &last["appid"],
            &last["withShareTicket"],
            &last["miniprogramType"]
        ),
        (&json!(""), &json!(""), &json!(w.a2.appid), &json!(true), &json!(2)),
        "{last}"
    );
    let (status, v) = s.post_json("/client/v1/wx/shareMiniProgramMessage", None, &ok).await;
    assert_eq!(status, 401, "{v}");
}

#[tokio::test]
async fn only_members_share_read_and_open() {
    let w = world().await;
    let s = &w.s;
    let d_img = image(s, &w.d.token).await;
    let (_, v) = share(s, &w.d.token, &card(w.group, &w.a1.appid, &w.a1.original_id, &d_img)).await;
    assert_eq!(
        v,
        json!({"errMsg": "shareMiniProgramMessage:fail invalid conversation_id: not a member of this conversation"})
    );
    let c_img = image(s, &w.c.token).await;
    let (_, v) = share(s, &w.c.token, &card(w.direct, &w.a1.appid, &w.a1.original_id, &c_img)).await;
    assert_eq!(
        v["errMsg"],
        "shareMiniProgramMessage:fail invalid conversation_id: not a member of this conversation"
    );
    let img = image(s, &w.a.token).await;
    let in_group = shared(s, &w.a.token, &card(w.group, &w.a1.appid, &w.a1.original_id, &img)).await;
    let in_direct = shared(s, &w.a.token, &card(w.direct, &w.a1.appid, &w.a1.original_id, &img)).await;

    // Listing: each user sees exactly their conversations, the most recently active first.
    let ids = |v: &Value| -> Vec<i64> {
        v["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["conversation_id"].as_i64().unwrap())
            .collect()
    };
    let (_, v) = s.http_get("/client/v1/conversations", Some(&w.a.token)).await;
    assert_eq!(v["errMsg"], "conversations:ok");
    assert_eq!(ids(&v), vec![w.direct, w.group]);
    let group = &v["conversations"][1];
    assert_eq!(
        (&group["kind"], &group["name"], &group["message_count"]),
        (&json!("group"), &json!("跑团"), &json!(1))
    );
    assert_eq!(
        group["members"],
        json!([
            {"user_id": w.a.user_id, "nickname": "甲"},
            {"user_id": w.b.user_id, "nickname": "乙"},
            {"user_id": w.c.user_id, "nickname": "丙"},
        ])
    );
    assert!(v["conversations"][0].get("name").is_none(), "a direct chat has no name");
    let (_, v) = s.http_get("/client/v1/conversations", Some(&w.c.token)).await;
    assert_eq!(ids(&v), vec![w.group]);
    let (_, v) = s.http_get("/client/v1/conversations", Some(&w.d.token)).await;
    assert_eq!(v, json!({"errMsg": "conversations:ok", "conversations": []}));

    // Reading cards: members only; others get a failure and no data.
    for (who, conv) in [(&w.d, w.group), (&w.c, w.direct), (&w.a, 987_654)] {
        let (status, v) = s
            .http_get(&format!("/client/v1/conversations/{conv}/messages"), Some(&who.token))
            .await;
        assert_eq!(
            (status, v),
            (
                200,
                json!({"errMsg": "messages:fail not a member of this conversation"})
            )
        );
    }
    let (status, v) = s
        .http_get("/client/v1/conversations/abc/messages", Some(&w.a.token))
        .await;
    assert_eq!(status, 400, "{v}");
    let (status, v) = s
        .http_get(
            &format!("/client/v1/conversations/{}/messages?limit=x", w.group),
            Some(&w.a.token),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    let (_, v) = s
        .http_get(
            &format!("/client/v1/conversations/{}/messages?limit=0", w.group),
            Some(&w.a.token),
        )
        .await;
    assert_eq!(v, json!({"errMsg": "messages:fail invalid limit: must be 1 to 100"}));

    // Opening: members only, and a non-member gets the answer of an unknown id (no oracle of which ids exist).
    for (who, id) in [(&w.d, in_group), (&w.c, in_direct)] {
        assert_eq!(
            open(s, &who.token, id).await,
            json!({"errMsg": "open:fail no such message"})
        );
    }
    assert_eq!(
        open(s, &w.a.token, 987_654).await,
        json!({"errMsg": "open:fail no such message"})
    );
    let (status, _) = s
        .post_json("/client/v1/share/open", Some(&w.a.token), &json!({"message_id": "1"}))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn cards_read_back_with_sender_app_and_pages() {
    let w = world().await;
    let s = &w.s;
    let img = image(s, &w.b.token).await;
    let name = img.strip_prefix("wxfile://").unwrap().to_owned();
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut body = card(w.group, &w.a1.appid, &w.a1.original_id, &img);
        body["title"] = json!(format!("card {i}"));
        ids.push(shared(s, &w.b.token, &body).await);
    }
    let now = s.state.now();
    let url = format!("/client/v1/conversations/{}/messages", w.group);
    let (_, v) = s.http_get(&url, Some(&w.c.token)).await;
    assert_eq!(v["errMsg"], "messages:ok");
    assert_eq!(v["conversation"]["conversation_id"], w.group);
    assert!(v.get("next_before").is_none(), "{v}");
    let first = &v["messages"][0];
    let created_at = first["created_at"].as_i64().unwrap();
    assert!((now - 5..=now).contains(&created_at));
    assert_eq!(
        *first,
        json!({
            "message_id": ids[0], "sender": {"user_id": w.b.user_id, "nickname": "乙"}, "created_at": created_at,
            "appid": w.a1.appid, "app_name": "跑步", "userName": w.a1.original_id,
            "path": "/pages/run/index?from=share", "title": "card 0", "description": "今天 10000 步",
            "imagePath": img, "image_url": format!("/client/v1/files/{name}"),
            "webpageUrl": "https://example.com/run", "withShareTicket": true, "miniprogramType": 0
        })
    );
    // Pages: newest first page, oldest first within it; `next_before` walks back.
    let titles = |v: &Value| -> Vec<String> {
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, v) = s.http_get(&format!("{url}?limit=2"), Some(&w.a.token)).await;
    assert_eq!(titles(&v), ["card 3", "card 4"]);
    assert_eq!(v["next_before"], ids[3]);
    // The newest card's time: the seconds may tick between the first card and the last.
    let newest_at = v["messages"][1]["created_at"].as_i64().unwrap();
    let (_, v) = s
        .http_get(&format!("{url}?limit=2&before={}", ids[3]), Some(&w.a.token))
        .await;
    assert_eq!(titles(&v), ["card 1", "card 2"]);
    let (_, v) = s
        .http_get(&format!("{url}?limit=2&before={}", ids[1]), Some(&w.a.token))
        .await;
    assert_eq!(titles(&v), ["card 0"]);
    assert!(v.get("next_before").is_none());
    let (_, v) = s.http_get("/client/v1/conversations", Some(&w.c.token)).await;
    assert_eq!(v["conversations"][0]["message_count"], 5);
    assert_eq!(v["conversations"][0]["last_message_at"], newest_at);
    assert!(newest_at >= created_at);
}

#[tokio::test]
async fn share_tickets_come_only_from_group_cards_with_share_ticket() {
    let w = world().await;
    let s = &w.s;
    let img = image(s, &w.a.token).await;
    let with = card(w.group, &w.a1.appid, &w.a1.original_id, &img);
    let mut without = with.clone();
    without["withShareTicket"] = json!(false);
    let mut direct = with.clone();
    direct["conversation_id"] = json!(w.direct);
    let group_with = shared(s, &w.a.token, &with).await;
    let group_without = shared(s, &w.a.token, &without).await;
    let direct_with = shared(s, &w.a.token, &direct).await;

    for who in [&w.a, &w.b, &w.c] {
        let v = open(s, &who.token, group_with).await;
        assert_eq!(
            (
                &v["errMsg"],
                &v["appid"],
                &v["path"],
                &v["scene"],
                &v["miniprogramType"]
            ),
            (
                &json!("open:ok"),
                &json!(w.a1.appid),
                &json!("/pages/run/index?from=share"),
                &json!(1044),
                &json!(0)
            ),
            "{v}"
        );
        let t = v["shareTicket"].as_str().unwrap();
        assert!(t.len() == 36 && t.matches('-').count() == 4, "{t}");
        let expires = v["share_ticket_expires_at"].as_i64().unwrap();
        let now = s.state.now();
        assert!((now + 3595..=now + 3600).contains(&expires), "a ticket lives an hour");
    }
    assert_ne!(
        ticket(s, &w.b, group_with).await,
        ticket(s, &w.b, group_with).await,
        "each open is a new ticket"
    );
    let v = open(s, &w.b.token, group_without).await;
    assert_eq!(
        v,
        json!({"errMsg": "open:ok", "appid": w.a1.appid, "path": "/pages/run/index?from=share", "scene": 1008, "miniprogramType": 0})
    );
    for who in [&w.a, &w.b] {
        let v = open(s, &who.token, direct_with).await;
        assert_eq!(
            v,
            json!({"errMsg": "open:ok", "appid": w.a1.appid, "path": "/pages/run/index?from=share", "scene": 1007, "miniprogramType": 0}),
            "never a ticket from a direct chat"
        );
    }
}

#[tokio::test]
async fn share_tickets_are_bound_to_opener_and_app_and_expire() {
    let w = world().await;
    let s = &w.s;
    let img = image(s, &w.a.token).await;
    let id = shared(s, &w.a.token, &card(w.group, &w.a1.appid, &w.a1.original_id, &img)).await;
    let t = ticket(s, &w.b, id).await;
    for who in [&w.b, &w.c, &w.d] {
        s.session(&w.a1, who).await;
        s.session(&w.a2, who).await;
    }
    let fail = |m: &str| json!({"errMsg": format!("getShareInfo:fail {m}")});
    assert_eq!(
        share_info(s, &w.c.token, &w.a1.appid, &t).await,
        fail("invalid shareTicket: issued to another user")
    );
    assert_eq!(
        share_info(s, &w.d.token, &w.a1.appid, &t).await,
        fail("invalid shareTicket: issued to another user")
    );
    assert_eq!(
        share_info(s, &w.b.token, &w.a2.appid, &t).await,
        fail("invalid shareTicket: issued for another app")
    );
    assert_eq!(
        share_info(s, &w.b.token, "wx0000000000000000", &t).await,
        fail("invalid appid")
    );
    assert_eq!(share_info(s, &w.b.token, "wx\u{0}", &t).await, fail("invalid appid"));
    // Forged: a well-shaped ticket nobody issued, a changed one, an empty one.
    let mut forged = t.clone();
    forged.replace_range(..1, if t.starts_with('0') { "1" } else { "0" });
    for bad in ["3f2504e0-4f89-41d3-9a0c-0305e82c3301", forged.as_str(), ""] {
        assert_eq!(
            share_info(s, &w.b.token, &w.a1.appid, bad).await,
            fail("invalid shareTicket"),
            "{bad:?}"
        );
    }
    let (status, _) = s
        .post_json(
            "/client/v1/wx/getShareInfo",
            Some(&w.b.token),
            &json!({"appid": w.a1.appid}),
        )
        .await;
    assert_eq!(status, 400);
    // The rightful use works, repeatedly, until the ticket's hour is over.
    let v = share_info(s, &w.b.token, &w.a1.appid, &t).await;
    assert_eq!(v["errMsg"], "getShareInfo:ok", "{v}");
    s.advance(3590).await;
    assert_eq!(
        share_info(s, &w.b.token, &w.a1.appid, &t).await["errMsg"],
        "getShareInfo:ok"
    );
    s.advance(10).await;
    assert_eq!(
        share_info(s, &w.b.token, &w.a1.appid, &t).await,
        fail("shareTicket expired")
    );
    // A fresh open gives a working ticket again; without a live session the call needs login.
    let t2 = ticket(s, &w.b, id).await;
    s.advance(3 * 86_400 + 1).await;
    assert_eq!(
        share_info(s, &w.b.token, &w.a1.appid, &t2).await,
        fail("shareTicket expired")
    );
    let t3 = ticket(s, &w.b, id).await;
    assert_eq!(share_info(s, &w.b.token, &w.a1.appid, &t3).await, fail("need login"));
    let fresh = s.user("戊").await;
    assert_eq!(
        share_info(s, &fresh.token, &w.a1.appid, &t3).await,
        fail("invalid shareTicket: issued to another user")
    );
}

#[tokio::test]
async fn share_info_decrypts_to_a_stable_per_app_open_gid_and_its_cloud_id_exchanges() {
    let w = world().await;
    let s = &w.s;
    let img = image(s, &w.a.token).await;
    let for_a1 = shared(s, &w.a.token, &card(w.group, &w.a1.appid, &w.a1.original_id, &img)).await;
    let for_a1_again = shared(s, &w.a.token, &card(w.group, &w.a1.appid, &w.a1.original_id, &img)).await;
    let for_a2 = shared(s, &w.a.token, &card(w.group, &w.a1.appid, &w.a2.original_id, &img)).await;
    let t = ticket(s, &w.b, for_a1).await;
    let (_, key) = s.session(&w.a1, &w.b).await;
    let v = share_info(s, &w.b.token, &w.a1.appid, &t).await;
    assert_eq!(v["errMsg"], "getShareInfo:ok", "{v}");
    let (iv, data) = (v["iv"].as_str().unwrap(), v["encryptedData"].as_str().unwrap());
    assert_eq!(iv.len(), 24);
    let plain = decrypt(&key, iv, data);
    let gid = plain["openGId"].as_str().unwrap().to_owned();
    assert!(
        gid.len() == 29
            && gid.starts_with("tG")
            && gid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{gid}"
    );
    let now = s.state.now();
    assert_eq!(
        plain,
        json!({"openGId": gid, "watermark": {"timestamp": plain["watermark"]["timestamp"], "appid": w.a1.appid}})
    );
    assert!((now - 5..=now).contains(&plain["watermark"]["timestamp"].as_i64().unwrap()));

    // The cloudID stands for the same plaintext at /wxa/getopendata, for the app's back end only.
    let cloud_id = v["cloudID"].as_str().unwrap();
    let token = s.access_token(&w.a1).await;
    let (_, res) = s
        .post_json(
            &format!("/wxa/getopendata?access_token={token}"),
            None,
            &json!({"cloudid_list": [cloud_id]}),
        )
        .await;
    assert_eq!(res["errcode"], 0, "{res}");
    let j: Value = serde_json::from_str(res["data_list"][0]["json"].as_str().unwrap()).unwrap();
    assert_eq!((&j["cloudID"], &j["data"]), (&json!(cloud_id), &plain));
    let other = s.access_token(&w.a2).await;
    let (_, res) = s
        .post_json(
            &format!("/wxa/getopendata?access_token={other}"),
            None,
            &json!({"cloudid_list": [cloud_id]}),
        )
        .await;
    let j: Value = serde_json::from_str(res["data_list"][0]["json"].as_str().unwrap()).unwrap();
    assert_eq!(j["errCode"], -601007);

    // Stable per (group, app): other members, other cards, later calls all see the same openGId.
    assert_eq!(open_gid(s, &w.a1, &w.c, &ticket(s, &w.c, for_a1).await).await, gid);
    assert_eq!(
        open_gid(s, &w.a1, &w.a, &ticket(s, &w.a, for_a1_again).await).await,
        gid
    );
    assert_eq!(open_gid(s, &w.a1, &w.b, &t).await, gid);
    // Another app of the same platform sees the same group under another openGId.
    let gid2 = open_gid(s, &w.a2, &w.b, &ticket(s, &w.b, for_a2).await).await;
    assert_ne!(gid2, gid);
    assert_eq!(open_gid(s, &w.a2, &w.c, &ticket(s, &w.c, for_a2).await).await, gid2);
    // Another group, same app: another openGId.
    let v: Value = s
        .admin(
            "/admin/v1/groups",
            json!({"name": "另一个群", "members": [w.a.user_id, w.b.user_id]}),
        )
        .await;
    let other_group = v["conversation_id"].as_i64().unwrap();
    let id = shared(s, &w.a.token, &card(other_group, &w.a1.appid, &w.a1.original_id, &img)).await;
    let gid3 = open_gid(s, &w.a1, &w.b, &ticket(s, &w.b, id).await).await;
    assert!(gid3 != gid && gid3 != gid2);
    // The key in force is the latest session_key: an earlier one no longer decrypts.
    let t = ticket(s, &w.b, for_a1).await;
    let (_, old_key) = s.session(&w.a1, &w.b).await;
    let (_, new_key) = s.session(&w.a1, &w.b).await;
    let v = share_info(s, &w.b.token, &w.a1.appid, &t).await;
    let (iv, data) = (v["iv"].as_str().unwrap(), v["encryptedData"].as_str().unwrap());
    assert_eq!(decrypt(&new_key, iv, data)["openGId"], gid);
    assert_ne!(old_key, new_key);
    assert!(try_decrypt(&old_key, iv, data).is_err());
}

#[tokio::test]
async fn every_share_operation_is_documented() {
    let s = TestServer::spawn().await;
    let (_, doc) = s.get_json("/openapi.json").await;
    let paths = &doc["paths"];
    for (path, method) in [
        ("/client/v1/files", "post"),
        ("/client/v1/files/{name}", "get"),
        ("/client/v1/wx/shareMiniProgramMessage", "post"),
        ("/client/v1/conversations", "get"),
        ("/client/v1/conversations/{id}/messages", "get"),
        ("/client/v1/share/open", "post"),
        ("/client/v1/wx/getShareInfo", "post"),
        ("/admin/v1/conversations", "post"),
        ("/admin/v1/groups", "post"),
    ] {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} missing from /openapi.json"
        );
    }
    let upload = &paths["/client/v1/files"]["post"]["requestBody"]["content"];
    assert!(
        upload["image/png"].is_object() && upload["image/jpeg"].is_object(),
        "{upload}"
    );
    let schemas = &doc["components"]["schemas"];
    for name in [
        "ShareMiniProgramMessageRequest",
        "ShareCard",
        "OpenShareResponse",
        "GetShareInfoRequest",
    ] {
        assert!(schemas[name].is_object(), "{name} schema");
    }
}
