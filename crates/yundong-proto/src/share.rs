//! Share cards (docs/DESIGN.md §3.2, §5.12; docs/WECHAT.md §6): conversations, temp files, `shareMiniProgramMessage`,
//! opening a card and `wx.getShareInfo`. Also the pure rules a card's parameters must pass, so that the server, the SDK
//! and the pages agree on them.
//!
//! `wx.*` parameters keep WeChat's camelCase (`userName`, `imagePath`, `withShareTicket`, `shareTicket`); yundong's
//! own fields are snake_case (`conversation_id`, `message_id`, `created_at`). Every client answer carries `errMsg`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The largest image `POST /client/v1/files` accepts: the Open SDK's `hdImageData` cap (docs/WECHAT.md §6.1).
pub const MAX_IMAGE_BYTES: usize = 128 * 1024;
/// Open SDK caps on a card's texts (docs/WECHAT.md §6.1), in UTF-8 bytes.
pub const MAX_TITLE_BYTES: usize = 512;
pub const MAX_DESCRIPTION_BYTES: usize = 1024;
/// yundong's caps on texts WeChat does not bound (our choice), in bytes.
pub const MAX_PATH_BYTES: usize = 1024;
pub const MAX_URL_BYTES: usize = 2048;
/// Members of a group chat: 2 to 500 (WeChat's group size cap is 500).
pub const MIN_GROUP_MEMBERS: usize = 2;
pub const MAX_GROUP_MEMBERS: usize = 500;
/// The scheme of a temp file path: `wxfile://tmp_<32 hex>.<png|jpg>`.
pub const TEMP_FILE_SCHEME: &str = "wxfile://";

/// `wx.launch` scenes of a card opened from a chat (WeChat's scene values).
pub const SCENE_DIRECT_CARD: i64 = 1007;
pub const SCENE_GROUP_CARD: i64 = 1008;
pub const SCENE_CARD_WITH_SHARE_TICKET: i64 = 1044;

/// An image type a temp file may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
}

impl ImageKind {
    /// From a `Content-Type` header value: `image/png`, `image/jpeg` (or the common mislabel `image/jpg`),
    /// parameters and case ignored.
    pub fn from_content_type(value: &str) -> Option<ImageKind> {
        let mime = value.split(';').next().unwrap_or("").trim();
        if mime.eq_ignore_ascii_case("image/png") {
            Some(ImageKind::Png)
        } else if mime.eq_ignore_ascii_case("image/jpeg") || mime.eq_ignore_ascii_case("image/jpg") {
            Some(ImageKind::Jpeg)
        } else {
            None
        }
    }

    /// What the bytes are, by their magic number: PNG's 8-byte signature or JPEG's SOI marker `FF D8 FF`.
    pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else {
            None
        }
    }

    pub const fn mime(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
        }
    }

    /// The extension of the temp file name (WeChat names JPEG temp files `.jpg`).
    pub const fn extension(self) -> &'static str {
        match self {
            ImageKind::Png => "png",
            ImageKind::Jpeg => "jpg",
        }
    }

    pub fn from_mime(mime: &str) -> Option<ImageKind> {
        [ImageKind::Png, ImageKind::Jpeg].into_iter().find(|k| k.mime() == mime)
    }
}

/// Whether `name` is a temp file name yundong issues: `tmp_` + 32 lowercase hex digits + `.png` or `.jpg`.
pub fn is_temp_file_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("tmp_") else {
        return false;
    };
    let Some((stem, ext)) = rest.split_once('.') else {
        return false;
    };
    stem.len() == 32
        && stem.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && (ext == "png" || ext == "jpg")
}

/// The temp file name inside a `wxfile://` path, if the path has that shape.
pub fn temp_file_name(path: &str) -> Option<&str> {
    path.strip_prefix(TEMP_FILE_SCHEME)
        .filter(|name| is_temp_file_name(name))
}

/// A failed card parameter: which one, and why. `malformed` marks a body that is not the documented JSON (a missing
/// required field, a wrong JSON type), answered with HTTP 400; the rest are outcomes the `wx.*` call reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    pub param: &'static str,
    pub reason: String,
    pub malformed: bool,
}

impl ParamError {
    fn rule(param: &'static str, reason: impl Into<String>) -> Self {
        ParamError {
            param,
            reason: reason.into(),
            malformed: false,
        }
    }

    fn shape(param: &'static str, reason: impl Into<String>) -> Self {
        ParamError {
            param,
            reason: reason.into(),
            malformed: true,
        }
    }

    /// `invalid <param>: <reason>`, the text after `<api>:fail `.
    pub fn message(&self) -> String {
        format!("invalid {}: {}", self.param, self.reason)
    }
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

/// `shareMiniProgramMessage` (docs/WECHAT.md §6.1): share a mini-program card into a conversation the sender is a
/// member of.
///
/// The server reads the raw JSON with [`ShareMiniProgramMessageRequest::parse`] so that every failure names its
/// parameter; unknown fields (`success`, `fail`, … passed through by a JS shim) are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ShareMiniProgramMessageRequest {
    /// The conversation to post into (yundong's extension: WeChat's user picks it in a dialog).
    pub conversation_id: i64,
    /// The sharing app (yundong's extension: WeChat knows it from the Open SDK registration).
    pub appid: String,
    /// Original id (`gh_…`) of the mini program the card opens: the sharing app or one of its open platform.
    #[serde(rename = "userName")]
    pub user_name: String,
    /// Page path the card opens (required; a mini game may pass only a query such as `?foo=bar`).
    pub path: String,
    /// Card title, at most 512 bytes.
    #[serde(default)]
    pub title: Option<String>,
    /// Card description, at most 1024 bytes.
    #[serde(default)]
    pub description: Option<String>,
    /// Thumbnail: a `wxfile://` path the sender uploaded with `POST /client/v1/files`, or a code-package image path
    /// (`/pages/thumb.png`; the card then shows a placeholder, see `share_paths`); never a network URL.
    #[serde(rename = "imagePath")]
    pub image_path: String,
    /// Fallback web page for old clients: an http(s) URL, or a scheme-less one (`www.qq.com`) stored with `https://`.
    #[serde(rename = "webpageUrl")]
    pub webpage_url: String,
    /// When true, opening the card from a group yields a shareTicket. `"true"`/`"false"` strings are accepted:
    /// WeChat documents this parameter as a string (docs/WECHAT.md §6.1).
    #[serde(rename = "withShareTicket")]
    pub with_share_ticket: bool,
    /// 0 release, 1 development, 2 trial (体验版).
    #[serde(rename = "miniprogramType")]
    pub miniprogram_type: i64,
    /// 0 = chat. 1 (Moments) is not supported.
    pub scene: i64,
}

fn text<'a>(body: &'a Map<String, Value>, param: &'static str, required: bool) -> Result<Option<&'a str>, ParamError> {
    match body.get(param) {
        None | Some(Value::Null) if required => Err(ParamError::shape(param, "required")),
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(ParamError::shape(param, "must be a string")),
    }
}

fn integer(body: &Map<String, Value>, param: &'static str) -> Result<i64, ParamError> {
    match body.get(param) {
        None | Some(Value::Null) => Err(ParamError::shape(param, "required")),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| ParamError::shape(param, "must be an integer")),
        Some(_) => Err(ParamError::shape(param, "must be an integer")),
    }
}

fn no_controls(param: &'static str, value: &str) -> Result<(), ParamError> {
    if value.chars().any(char::is_control) {
        return Err(ParamError::rule(param, "must not contain control characters"));
    }
    Ok(())
}

/// Display text: no control characters and no invisible formatting characters (crate::text).
fn no_hidden(param: &'static str, value: &str) -> Result<(), ParamError> {
    if crate::text::find_hidden(value).is_some() {
        return Err(ParamError::rule(
            param,
            "must not contain control or invisible formatting characters",
        ));
    }
    Ok(())
}

fn at_most(param: &'static str, value: &str, max: usize) -> Result<(), ParamError> {
    if value.len() > max {
        return Err(ParamError::rule(
            param,
            format!("longer than {max} bytes ({} bytes)", value.len()),
        ));
    }
    Ok(())
}

/// An absolute `http://` or `https://` URL with a host, no spaces or control characters.
pub fn check_web_url(url: &str) -> Result<(), &'static str> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return Err("must be an http:// or https:// URL");
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return Err("must name a host");
    }
    Ok(())
}

impl ShareMiniProgramMessageRequest {
    /// Read a request body, checking only its shape (required fields, JSON types).
    pub fn parse(body: &Value) -> Result<Self, ParamError> {
        let Value::Object(body) = body else {
            return Err(ParamError::shape("request", "body must be a JSON object"));
        };
        let required = |p| text(body, p, true).map(|s| s.unwrap_or_default().to_owned());
        let conversation_id = integer(body, "conversation_id")?;
        let appid = required("appid")?;
        let user_name = required("userName")?;
        let path = required("path")?;
        let title = text(body, "title", false)?.map(str::to_owned);
        let description = text(body, "description", false)?.map(str::to_owned);
        let image_path = required("imagePath")?;
        let webpage_url = required("webpageUrl")?;
        // WeChat documents withShareTicket's type as "string" (docs/WECHAT.md §6.1, [W-miniapp-share]) while passing a
        // boolean works: both are accepted.
        let with_share_ticket = match body.get("withShareTicket") {
            None | Some(Value::Null) => {
                return Err(ParamError::shape("withShareTicket", "required"));
            }
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) if s == "true" => true,
            Some(Value::String(s)) if s == "false" => false,
            Some(_) => {
                return Err(ParamError::shape("withShareTicket", "must be a boolean"));
            }
        };
        let miniprogram_type = integer(body, "miniprogramType")?;
        let scene = integer(body, "scene")?;
        Ok(ShareMiniProgramMessageRequest {
            conversation_id,
            appid,
            user_name,
            path,
            title,
            description,
            image_path,
            webpage_url,
            with_share_ticket,
            miniprogram_type,
            scene,
        })
    }

    /// The value rules that need no storage (docs/DESIGN.md §5.12, docs/WECHAT.md §6.1), checked in parameter order.
    /// The server then checks the appid, membership, that `userName` is an app it may name, and that `imagePath` is the
    /// sender's.
    pub fn validate(&self) -> Result<(), ParamError> {
        if self.user_name.is_empty() {
            return Err(ParamError::rule("userName", "required"));
        }
        if crate::ids::is_appid(&self.user_name) {
            return Err(ParamError::rule(
                "userName",
                "must be the mini program's original id (gh_…), not its appid",
            ));
        }
        if !crate::ids::is_original_id(&self.user_name) {
            return Err(ParamError::rule(
                "userName",
                "must be a mini program's original id (gh_ + 12 hex digits)",
            ));
        }
        if self.path.is_empty() {
            return Err(ParamError::rule("path", "required"));
        }
        at_most("path", &self.path, MAX_PATH_BYTES)?;
        no_controls("path", &self.path)?;
        if let Some(title) = &self.title {
            at_most("title", title, MAX_TITLE_BYTES)?;
            no_hidden("title", title)?;
        }
        if let Some(description) = &self.description {
            at_most("description", description, MAX_DESCRIPTION_BYTES)?;
            if description
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            {
                return Err(ParamError::rule(
                    "description",
                    "must not contain control characters other than line breaks and tabs",
                ));
            }
        }
        crate::share_paths::image_source(&self.image_path).map_err(|r| ParamError::rule("imagePath", r))?;
        if self.webpage_url.is_empty() {
            return Err(ParamError::rule("webpageUrl", "required"));
        }
        at_most("webpageUrl", &self.webpage_url, MAX_URL_BYTES)?;
        crate::share_paths::web_url(&self.webpage_url).map_err(|r| ParamError::rule("webpageUrl", r))?;
        if !(0..=2).contains(&self.miniprogram_type) {
            return Err(ParamError::rule(
                "miniprogramType",
                "must be 0 (release), 1 (development) or 2 (trial)",
            ));
        }
        match self.scene {
            0 => {}
            1 => {
                return Err(ParamError::rule("scene", "1 (Moments) is not supported, only 0 (chat)"));
            }
            _ => return Err(ParamError::rule("scene", "must be 0 (chat)")),
        }
        Ok(())
    }
}

/// `shareMiniProgramMessage:ok` and the new card's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ShareMessageResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    pub message_id: i64,
}

/// `POST /client/v1/files` → `uploadFile:ok` and the temp file's path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UploadFileResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    /// `wxfile://tmp_<32 hex>.<png|jpg>`
    #[serde(rename = "tempFilePath")]
    pub temp_file_path: String,
    /// Size in bytes.
    pub size: i64,
    /// Unix seconds after which the file is gone unless a card uses it.
    pub expires_at: i64,
}

/// A member of a conversation, or the sender of a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Member {
    pub user_id: i64,
    pub nickname: String,
}

/// A conversation as a member sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Conversation {
    pub conversation_id: i64,
    /// `direct` (two friends) or `group`.
    pub kind: String,
    /// A group's name; absent for a direct chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Every member, by user id.
    pub members: Vec<Member>,
    pub created_at: i64,
    pub message_count: i64,
    /// When the latest card was posted; absent while there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message_at: Option<i64>,
}

/// `GET /client/v1/conversations`: the user's conversations, the most recently active first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ConversationsResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    pub conversations: Vec<Conversation>,
}

/// A mini-program card in a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ShareCard {
    pub message_id: i64,
    pub sender: Member,
    pub created_at: i64,
    /// The mini program the card opens.
    pub appid: String,
    pub app_name: String,
    #[serde(rename = "userName")]
    pub user_name: String,
    pub path: String,
    pub title: String,
    pub description: String,
    /// The thumbnail's temp file path (`wxfile://…`).
    #[serde(rename = "imagePath")]
    pub image_path: String,
    /// Where a member fetches the thumbnail: `/client/v1/files/tmp_….png` (bearer token needed).
    pub image_url: String,
    #[serde(rename = "webpageUrl")]
    pub webpage_url: String,
    #[serde(rename = "withShareTicket")]
    pub with_share_ticket: bool,
    #[serde(rename = "miniprogramType")]
    pub miniprogram_type: i64,
}

/// `GET /client/v1/conversations/{id}/messages`: the conversation and a page of its cards, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MessagesResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    pub conversation: Conversation,
    pub messages: Vec<ShareCard>,
    /// Pass as `before` to read the previous page; absent when this page reaches the first card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}

/// `GET /client/v1/conversations/{id}/messages?before=&limit=`: the newest page by default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct MessagesQuery {
    /// Only cards with a smaller `message_id` (the previous page's `next_before`).
    #[serde(default)]
    pub before: Option<i64>,
    /// Cards per page, 1–100; default 50.
    #[serde(default)]
    pub limit: Option<i64>,
}

/// Open a card from a chat, as a member taps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OpenShareRequest {
    pub message_id: i64,
}

/// What the mini program is launched with: the app, page, launch scene and, for a card with `withShareTicket`
/// opened from a group, a `shareTicket` for `wx.getShareInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OpenShareResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    pub appid: String,
    pub path: String,
    /// WeChat's launch scene: 1007 (card in a direct chat), 1008 (card in a group), 1044 (card with shareTicket).
    pub scene: i64,
    #[serde(rename = "miniprogramType")]
    pub miniprogram_type: i64,
    #[serde(rename = "shareTicket", default, skip_serializing_if = "Option::is_none")]
    pub share_ticket: Option<String>,
    /// Unix seconds after which the shareTicket no longer works; absent with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_ticket_expires_at: Option<i64>,
}

/// `wx.getShareInfo` (docs/WECHAT.md §6.2). The answer is [`crate::client::EncryptedDataResponse`]; the plaintext is
/// [`crate::werun::ShareInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct GetShareInfoRequest {
    pub appid: String,
    #[serde(rename = "shareTicket")]
    pub share_ticket: String,
}

/// A direct chat between two friends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreateConversationRequest {
    /// Exactly two user ids, who must be friends.
    pub members: Vec<i64>,
}

/// A group chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreateGroupRequest {
    /// 1–64 printable characters.
    pub name: String,
    /// 2–500 distinct user ids.
    pub members: Vec<i64>,
}

/// A conversation made (or found: a pair of friends has one direct chat).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ConversationCreated {
    pub conversation_id: i64,
    /// `direct` or `group`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Member user ids, ascending.
    pub members: Vec<i64>,
    /// False when the direct chat existed already.
    pub created: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid() -> Value {
        json!({
            "conversation_id": 1, "appid": "wx0123456789abcdef", "userName": "gh_0123456789ab",
            "path": "/pages/index?x=1", "title": "t", "description": "d",
            "imagePath": "wxfile://tmp_0123456789abcdef0123456789abcdef.png",
            "webpageUrl": "https://example.com/", "withShareTicket": true, "miniprogramType": 0, "scene": 0
        })
    }

    fn err(change: impl FnOnce(&mut Value)) -> ParamError {
        let mut v = valid();
        change(&mut v);
        match ShareMiniProgramMessageRequest::parse(&v) {
            Err(e) => e,
            Ok(req) => req.validate().expect_err("should fail"),
        }
    }

    #[test]
    fn a_valid_card_passes() {
        let req = ShareMiniProgramMessageRequest::parse(&valid()).expect("parses");
        assert_eq!(req.validate(), Ok(()));
        let mut v = valid();
        v["withShareTicket"] = json!("false");
        v["title"] = Value::Null;
        let req = ShareMiniProgramMessageRequest::parse(&v).expect("parses");
        assert!(!req.with_share_ticket);
        assert_eq!(req.title, None);
        assert_eq!(req.validate(), Ok(()));
    }

    #[test]
    fn each_rule_names_its_parameter() {
        type Change = Box<dyn FnOnce(&mut Value)>;
        let cases: Vec<(&str, bool, Change)> = vec![
            ("conversation_id", true, Box::new(|v| v["conversation_id"] = json!("1"))),
            ("appid", true, Box::new(|v| v["appid"] = Value::Null)),
            (
                "userName",
                false,
                Box::new(|v| v["userName"] = json!("wx0123456789abcdef")),
            ),
            ("userName", false, Box::new(|v| v["userName"] = json!("gh_xyz"))),
            ("path", false, Box::new(|v| v["path"] = json!(""))),
            (
                "path",
                true,
                Box::new(|v| {
                    v.as_object_mut().map(|o| o.remove("path"));
                }),
            ),
            ("title", false, Box::new(|v| v["title"] = json!("a".repeat(513)))),
            ("title", true, Box::new(|v| v["title"] = json!(5))),
            (
                "description",
                false,
                Box::new(|v| v["description"] = json!("文".repeat(342))),
            ),
            (
                "imagePath",
                false,
                Box::new(|v| v["imagePath"] = json!("https://x.test/a.png")),
            ),
            (
                "imagePath",
                false,
                Box::new(|v| v["imagePath"] = json!("wxfile://tmp_x.png")),
            ),
            ("imagePath", false, Box::new(|v| v["imagePath"] = json!("/img/a.gif"))),
            ("imagePath", false, Box::new(|v| v["imagePath"] = json!("/../a.png"))),
            ("webpageUrl", false, Box::new(|v| v["webpageUrl"] = json!("ftp://x"))),
            ("webpageUrl", false, Box::new(|v| v["webpageUrl"] = json!("https:///x"))),
            (
                "webpageUrl",
                false,
                Box::new(|v| v["webpageUrl"] = json!("https://a b")),
            ),
            ("withShareTicket", true, Box::new(|v| v["withShareTicket"] = json!(1))),
            ("miniprogramType", false, Box::new(|v| v["miniprogramType"] = json!(3))),
            ("miniprogramType", true, Box::new(|v| v["miniprogramType"] = json!(0.5))),
            ("scene", false, Box::new(|v| v["scene"] = json!(1))),
            ("scene", false, Box::new(|v| v["scene"] = json!(-1))),
        ];
        for (param, malformed, change) in cases {
            let e = err(change);
            assert_eq!((e.param, e.malformed), (param, malformed), "{e}");
            assert!(e.message().starts_with(&format!("invalid {param}: ")));
        }
    }

    #[test]
    fn byte_limits_are_inclusive() {
        let mut v = valid();
        v["title"] = json!("a".repeat(512));
        v["description"] = json!("a".repeat(1024));
        let req = ShareMiniProgramMessageRequest::parse(&v).expect("parses");
        assert_eq!(req.validate(), Ok(()));
        let e = err(|v| v["title"] = json!("标".repeat(171)));
        assert_eq!(e.message(), "invalid title: longer than 512 bytes (513 bytes)");
    }

    #[test]
    fn images_are_sniffed_and_named() {
        assert_eq!(ImageKind::sniff(b"\x89PNG\r\n\x1a\nrest"), Some(ImageKind::Png));
        assert_eq!(ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ImageKind::Jpeg));
        assert_eq!(ImageKind::sniff(b"GIF89a"), None);
        assert_eq!(ImageKind::sniff(b""), None);
        assert_eq!(
            ImageKind::from_content_type("Image/PNG; charset=binary"),
            Some(ImageKind::Png)
        );
        assert_eq!(ImageKind::from_content_type("image/gif"), None);
        assert!(is_temp_file_name("tmp_0123456789abcdef0123456789abcdef.jpg"));
        assert!(!is_temp_file_name("tmp_0123456789abcdef0123456789abcdeF.jpg"));
        assert!(!is_temp_file_name("tmp_0123456789abcdef0123456789abcdef.gif"));
        assert!(!is_temp_file_name("../tmp_0123456789abcdef0123456789abcdef.png"));
        assert_eq!(
            temp_file_name("wxfile://tmp_0123456789abcdef0123456789abcdef.png"),
            Some("tmp_0123456789abcdef0123456789abcdef.png")
        );
    }
}
