//! Share cards (docs/DESIGN.md §3.2, §5.12; docs/WECHAT.md §6): temp files, `shareMiniProgramMessage`, reading
//! conversations and their cards, opening a card (which may yield a shareTicket) and `wx.getShareInfo`.
//!
//! Membership rules everything: only members read a conversation, post into it, open its cards or see the images its
//! cards show. A shareTicket is issued only for a card with `withShareTicket` opened from a group, and works only for
//! its opener, with the app the card opens, for [`SHARE_TICKET_TTL`] seconds.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;
use yundong_proto::client::{EncryptedDataResponse, ErrMsg, ok};
use yundong_proto::share::{
    Conversation, ConversationsResponse, GetShareInfoRequest, ImageKind, MAX_IMAGE_BYTES, Member, MessagesQuery,
    MessagesResponse, OpenShareRequest, OpenShareResponse, SCENE_CARD_WITH_SHARE_TICKET, SCENE_DIRECT_CARD,
    SCENE_GROUP_CARD, ShareCard, ShareMessageResponse, ShareMiniProgramMessageRequest, TEMP_FILE_SCHEME,
    UploadFileResponse, is_temp_file_name,
};
use yundong_proto::share_paths::{ImageSource, image_source, web_url};
use yundong_proto::werun::{ShareInfo, Watermark};
use yundong_store::{
    ConversationRow, KIND_GROUP, NewShareMessage, NewTempFile, ShareMessageRow, ShareTicketRow, StoreError,
};

use crate::error::ClientError;
use crate::extract::{ClientJson, UserAuth};
use crate::state::AppState;
use yundong_core::opendata;
use yundong_core::quotas;
use yundong_core::secrets;
use yundong_core::share::{self, DEFAULT_PAGE, MAX_PAGE, MAX_UNUSED_TEMP_FILES, SHARE_TICKET_TTL, TEMP_FILE_TTL};
use yundong_proto::reason::Reason;

/// The largest body the upload route reads: the image cap plus headroom, so that a slightly larger file still gets
/// an answer naming its size. Everything else keeps the server's default limit.
const UPLOAD_BODY_LIMIT: usize = MAX_IMAGE_BYTES + 64 * 1024;

/// The thumbnail of a card whose `imagePath` is a code-package path (`/pages/thumb.png`): yundong holds no code
/// package, so such a card shows this 200×160 PNG (5:4, a grey picture icon).
pub const PACKAGE_THUMBNAIL: &[u8] = include_bytes!("../../assets/package-thumb.png");

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_file).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)))
        .routes(routes!(download_file))
        .routes(routes!(share_mini_program_message))
        .routes(routes!(list_conversations))
        .routes(routes!(list_messages))
        .routes(routes!(open_card))
        .routes(routes!(get_share_info))
}

fn store(api: &'static str) -> impl Fn(StoreError) -> ClientError {
    move |e| ClientError::store(api, e)
}

/// The bearer check under this call's API name (the path's last segment is a file name or `files`).
fn authed(api: &str, auth: Result<UserAuth, ClientError>) -> Result<UserAuth, ClientError> {
    auth.map_err(|e| {
        let reason = e.err_msg.split_once(":fail ").map_or(e.err_msg.as_str(), |(_, r)| r);
        ClientError::status(e.status, api, reason)
    })
}

/// Upload an image, as `wx.chooseImage` leaves one in the app's temp files: the body is the raw PNG or JPEG
/// (`Content-Type: image/png` or `image/jpeg`, which must match the file's magic bytes), at most 128 KB.
///
/// The answer's `tempFilePath` (`wxfile://tmp_….png|jpg`) belongs to the uploader. An unused temp file lives
/// 2 hours; one a card shows lives as long as the card. A user holds at most 50 unused temp files at once.
#[utoipa::path(
    post, path = "/client/v1/files", tag = "client", security(("user" = [])),
    request_body(description = "The image's bytes", content(("image/png"), ("image/jpeg"))),
    responses(
        (status = 200, description = "`uploadFile:ok`", body = UploadFileResponse),
        (status = 400, description = "empty body", body = ErrMsg),
        (status = 401, body = ErrMsg),
        (status = 413, description = "over 128 KB", body = ErrMsg),
        (status = 415, description = "not a PNG or JPEG, or Content-Type does not match the bytes", body = ErrMsg),
        (status = 429, description = "too many unused temp files, or over the day's image bytes", body = ErrMsg),
    )
)]
pub async fn upload_file(
    State(state): State<AppState>,
    auth: Result<UserAuth, ClientError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<UploadFileResponse>, ClientError> {
    const API: &str = "uploadFile";
    let UserAuth(user) = authed(API, auth)?;
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(ImageKind::from_content_type)
        .ok_or_else(|| {
            ClientError::status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                API,
                "invalid Content-Type: must be image/png or image/jpeg",
            )
        })?;
    let too_large = |what: String| {
        ClientError::status(
            StatusCode::PAYLOAD_TOO_LARGE,
            API,
            format!("file too large: {what}, at most {MAX_IMAGE_BYTES} bytes (128 KB)"),
        )
    };
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(format!("more than {UPLOAD_BODY_LIMIT} bytes"))
        } else {
            ClientError::status(StatusCode::BAD_REQUEST, API, "request body unreadable")
        }
    })?;
    if bytes.is_empty() {
        return Err(ClientError::status(
            StatusCode::BAD_REQUEST,
            API,
            Reason::EmptyFile.text(),
        ));
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(too_large(format!("{} bytes", bytes.len())));
    }
    let actual = ImageKind::sniff(&bytes).ok_or_else(|| {
        ClientError::status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            API,
            "not a PNG or JPEG image (by its magic bytes)",
        )
    })?;
    if actual != declared {
        return Err(ClientError::status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            API,
            format!(
                "Content-Type {} does not match the file, which is {}",
                declared.mime(),
                actual.mime()
            ),
        ));
    }
    let now = state.now();
    let name = share::temp_file_name(actual);
    let expires_at = now + TEMP_FILE_TTL;
    let file = NewTempFile {
        name: &name,
        owner_id: user.id,
        mime: actual.mime(),
        data: &bytes,
        created_at: now,
        expires_at,
    };
    if !state
        .store
        .put_temp_file(
            &file,
            MAX_UNUSED_TEMP_FILES,
            &quotas::image_bytes(&state.config, user.id, now, bytes.len() as i64),
        )
        .await
        .map_err(store(API))?
    {
        return Err(ClientError::status(
            StatusCode::TOO_MANY_REQUESTS,
            API,
            format!(
                "too many temp files: at most {MAX_UNUSED_TEMP_FILES} unused ones at a time, each lives {TEMP_FILE_TTL} s"
            ),
        ));
    }
    Ok(Json(UploadFileResponse {
        err_msg: ok(API),
        temp_file_path: share::temp_file_path(&name),
        size: bytes.len() as i64,
        expires_at,
    }))
}

/// Fetch an image for display: its owner while it lives, or any member of a conversation with a card showing it.
/// Anyone else, an expired file and an unknown name all get the same 404.
#[utoipa::path(
    get, path = "/client/v1/files/{name}", tag = "client", security(("user" = [])),
    params(("name" = String, Path, description = "The temp file name, `tmp_<32 hex>.png|jpg` (a `wxfile://` prefix is accepted)")),
    responses(
        (status = 200, description = "The image", content(("image/png"), ("image/jpeg"))),
        (status = 401, body = ErrMsg),
        (status = 404, description = "`downloadFile:fail file not found`", body = ErrMsg),
    )
)]
pub async fn download_file(
    State(state): State<AppState>,
    auth: Result<UserAuth, ClientError>,
    name: Result<Path<String>, PathRejection>,
) -> Result<Response, ClientError> {
    const API: &str = "downloadFile";
    let UserAuth(user) = authed(API, auth)?;
    let not_found = || ClientError::status(StatusCode::NOT_FOUND, API, Reason::FileNotFound.text());
    let Ok(Path(name)) = name else {
        return Err(not_found());
    };
    let name = name.strip_prefix(TEMP_FILE_SCHEME).unwrap_or(&name);
    if !is_temp_file_name(name) {
        return Err(not_found());
    }
    let (mime, data) = state
        .store
        .temp_file_for(name, user.id, state.now())
        .await
        .map_err(store(API))?
        .ok_or_else(not_found)?;
    let content_type = ImageKind::from_mime(&mime).map_or("application/octet-stream", ImageKind::mime);
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, max-age=86400, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        data,
    )
        .into_response())
}

/// `shareMiniProgramMessage` (docs/WECHAT.md §6.1, docs/DESIGN.md §5.12): post a mini-program card into a conversation
/// the sender is a member of.
///
/// A body that is not the documented JSON (a required field missing, a wrong type) is a 400; every other rule is
/// `shareMiniProgramMessage:fail invalid <parameter>: <reason>` (HTTP 200), checked in this order: `userName` is an
/// original id (`gh_…`, not an appid), `path` present (≤ 1024 bytes), `title` ≤ 512 bytes, `description` ≤ 1024
/// bytes, `imagePath` a `wxfile://` temp path or a code-package image path (a network URL fails), `webpageUrl` an
/// http(s) URL or a scheme-less one (stored with `https://`), `miniprogramType` 0/1/2, `scene` 0 (1, Moments, is not
/// supported); then `appid` names an app, `userName` is that app or an app of its open platform, the sender is a
/// member of `conversation_id`, and a `wxfile://` `imagePath` is a live temp file of theirs. A code-package path
/// (`/pages/thumb.png`) gives the card a placeholder thumbnail: yundong holds no code package.
#[utoipa::path(
    post, path = "/client/v1/wx/shareMiniProgramMessage", tag = "client", security(("user" = [])),
    request_body = ShareMiniProgramMessageRequest,
    responses(
        (status = 200, description = "`shareMiniProgramMessage:ok` with the card's id, or `shareMiniProgramMessage:fail <reason>`", body = ShareMessageResponse),
        (status = 400, body = ErrMsg), (status = 401, body = ErrMsg),
        (status = 429, description = "over the user's share-card quota (service::quotas)", body = ErrMsg),
    )
)]
pub async fn share_mini_program_message(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    ClientJson(body): ClientJson<Value>,
) -> Result<Json<ShareMessageResponse>, ClientError> {
    const API: &str = "shareMiniProgramMessage";
    let req = ShareMiniProgramMessageRequest::parse(&body).map_err(|e| {
        if e.malformed {
            ClientError::status(StatusCode::BAD_REQUEST, API, e.message())
        } else {
            ClientError::fail(API, e.message())
        }
    })?;
    req.validate().map_err(|e| ClientError::fail(API, e.message()))?;
    let sharer = super::app(&state, API, &req.appid).await?;
    let target = state
        .store
        .app_by_original_id(&req.user_name)
        .await
        .map_err(store(API))?
        .ok_or_else(|| ClientError::fail(API, "invalid userName: no mini program has this original id"))?;
    let same_platform = sharer.open_platform.is_some() && sharer.open_platform == target.open_platform;
    if target.id != sharer.id && !same_platform {
        return Err(ClientError::fail(
            API,
            "invalid userName: must be the sharing app's original id or one of an app of its open platform",
        ));
    }
    if !state
        .store
        .is_member(req.conversation_id, user.id)
        .await
        .map_err(store(API))?
    {
        return Err(ClientError::fail(
            API,
            "invalid conversation_id: not a member of this conversation",
        ));
    }
    let now = state.now();
    let expired = || {
        ClientError::fail(
            API,
            format!("invalid imagePath: the temp file expired (an unused temp file lives {TEMP_FILE_TTL} s)"),
        )
    };
    // Both were checked by validate(); the errors cannot occur here.
    let webpage_url =
        web_url(&req.webpage_url).map_err(|r| ClientError::fail(API, format!("invalid webpageUrl: {r}")))?;
    let source =
        image_source(&req.image_path).map_err(|r| ClientError::fail(API, format!("invalid imagePath: {r}")))?;
    let placeholder_name = share::temp_file_name(ImageKind::Png);
    let image_name = match source {
        ImageSource::Temp(name) => {
            match state.store.temp_file_meta(name).await.map_err(store(API))? {
                Some(f) if f.owner_id == user.id => {
                    if !f.used && f.expires_at <= now {
                        return Err(expired());
                    }
                }
                _ => {
                    return Err(ClientError::fail(
                        API,
                        "invalid imagePath: not a temp file of yours (upload the image with POST /client/v1/files)",
                    ));
                }
            }
            name
        }
        ImageSource::Package(_) => placeholder_name.as_str(),
    };
    let message = NewShareMessage {
        conversation_id: req.conversation_id,
        sender_id: user.id,
        share_app_id: sharer.id,
        app_id: target.id,
        path: &req.path,
        title: req.title.as_deref().unwrap_or(""),
        description: req.description.as_deref().unwrap_or(""),
        image_name,
        webpage_url: &webpage_url,
        with_share_ticket: req.with_share_ticket,
        miniprogram_type: req.miniprogram_type,
        created_at: now,
    };
    let quotas = quotas::share_card(&state.config, user.id, now);
    let message_id = match source {
        ImageSource::Temp(_) => state
            .store
            .create_share_message(&message, &quotas)
            .await
            .map_err(store(API))?
            .ok_or_else(expired)?,
        // yundong holds no code package: the card carries a placeholder thumbnail of its own (docs/API.md §2).
        ImageSource::Package(_) => {
            let file = NewTempFile {
                name: image_name,
                owner_id: user.id,
                mime: ImageKind::Png.mime(),
                data: PACKAGE_THUMBNAIL,
                created_at: now,
                expires_at: now + TEMP_FILE_TTL,
            };
            state
                .store
                .create_share_message_with_image(&file, &message, &quotas)
                .await
                .map_err(store(API))?
        }
    };
    Ok(Json(ShareMessageResponse {
        err_msg: ok(API),
        message_id,
    }))
}

fn conversation(c: ConversationRow) -> Conversation {
    Conversation {
        conversation_id: c.id,
        name: c.name,
        kind: c.kind,
        members: c
            .members
            .into_iter()
            .map(|m| Member {
                user_id: m.user_id,
                nickname: m.nickname,
            })
            .collect(),
        created_at: c.created_at,
        message_count: c.message_count,
        last_message_at: c.last_message_at,
    }
}

fn card(m: ShareMessageRow) -> ShareCard {
    ShareCard {
        message_id: m.id,
        sender: Member {
            user_id: m.sender_id,
            nickname: m.sender_nickname,
        },
        created_at: m.created_at,
        appid: m.appid,
        app_name: m.app_name,
        user_name: m.original_id,
        path: m.path,
        title: m.title,
        description: m.description,
        image_path: share::temp_file_path(&m.image_name),
        image_url: share::temp_file_url(&m.image_name),
        webpage_url: m.webpage_url,
        with_share_ticket: m.with_share_ticket,
        miniprogram_type: m.miniprogram_type,
    }
}

/// The user's conversations (direct chats and groups), the most recently active first, with their members.
#[utoipa::path(
    get, path = "/client/v1/conversations", tag = "client", security(("user" = [])),
    responses((status = 200, description = "`conversations:ok`", body = ConversationsResponse), (status = 401, body = ErrMsg))
)]
pub async fn list_conversations(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
) -> Result<Json<ConversationsResponse>, ClientError> {
    const API: &str = "conversations";
    let rows = state.store.conversations_of(user.id).await.map_err(store(API))?;
    Ok(Json(ConversationsResponse {
        err_msg: ok(API),
        conversations: rows.into_iter().map(conversation).collect(),
    }))
}

/// A page of a conversation's cards, oldest first (the newest page unless `before` is given), for members only:
/// anyone else gets `messages:fail not a member of this conversation` and nothing else.
#[utoipa::path(
    get, path = "/client/v1/conversations/{id}/messages", tag = "client", security(("user" = [])),
    params(("id" = i64, Path, description = "conversation_id"), MessagesQuery),
    responses(
        (status = 200, description = "`messages:ok`, or `messages:fail not a member of this conversation` / `fail invalid limit: …`", body = MessagesResponse),
        (status = 400, body = ErrMsg), (status = 401, body = ErrMsg),
    )
)]
pub async fn list_messages(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    id: Result<Path<String>, PathRejection>,
    q: Result<Query<MessagesQuery>, QueryRejection>,
) -> Result<Json<MessagesResponse>, ClientError> {
    const API: &str = "messages";
    let Some(id) = id.ok().and_then(|Path(id)| id.parse::<i64>().ok()) else {
        return Err(ClientError::status(
            StatusCode::BAD_REQUEST,
            API,
            "invalid request: the conversation id must be an integer",
        ));
    };
    let Ok(Query(q)) = q else {
        return Err(ClientError::status(
            StatusCode::BAD_REQUEST,
            API,
            "invalid request: before and limit must be integers",
        ));
    };
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ClientError::fail(
            API,
            format!("invalid limit: must be 1 to {MAX_PAGE}"),
        ));
    }
    let Some(conv) = state.store.conversation_for(id, user.id).await.map_err(store(API))? else {
        return Err(ClientError::reason(API, &Reason::NotAMember));
    };
    let mut rows = state
        .store
        .share_messages(id, q.before.unwrap_or(i64::MAX), limit + 1)
        .await
        .map_err(store(API))?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_before = more.then(|| rows.last().map(|m| m.id)).flatten();
    rows.reverse();
    Ok(Json(MessagesResponse {
        err_msg: ok(API),
        conversation: conversation(conv),
        messages: rows.into_iter().map(card).collect(),
        next_before,
    }))
}

/// Open a card, as a member taps it in a chat: the mini program to launch, its page and launch scene. A card with
/// `withShareTicket` opened from a group also yields a `shareTicket` for `wx.getShareInfo`, bound to this user and
/// the app the card opens, valid 1 hour; direct chats never yield one (docs/DESIGN.md §5.12).
#[utoipa::path(
    post, path = "/client/v1/share/open", tag = "client", security(("user" = [])),
    request_body = OpenShareRequest,
    responses(
        (status = 200, description = "`open:ok`, or `open:fail no such message` (also for a card of a conversation the user is not in)", body = OpenShareResponse),
        (status = 400, body = ErrMsg), (status = 401, body = ErrMsg),
    )
)]
pub async fn open_card(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    ClientJson(req): ClientJson<OpenShareRequest>,
) -> Result<Json<OpenShareResponse>, ClientError> {
    const API: &str = "open";
    let message = state
        .store
        .share_message(req.message_id)
        .await
        .map_err(store(API))?
        .ok_or_else(|| ClientError::reason(API, &Reason::NoSuchMessage))?;
    if !state
        .store
        .is_member(message.conversation_id, user.id)
        .await
        .map_err(store(API))?
    {
        // The same answer as for an unknown id: a non-member learns nothing about which ids exist.
        return Err(ClientError::reason(API, &Reason::NoSuchMessage));
    }
    let group = message.conversation_kind == KIND_GROUP;
    let (share_ticket, share_ticket_expires_at, scene) = if group && message.with_share_ticket {
        let now = state.now();
        let ticket = share::share_ticket();
        let row = ShareTicketRow {
            message_id: message.id,
            conversation_id: message.conversation_id,
            user_id: user.id,
            app_id: message.app_id,
            issued_at: now,
            expires_at: now + SHARE_TICKET_TTL,
        };
        state
            .store
            .put_share_ticket(&secrets::hash(&ticket), &row)
            .await
            .map_err(store(API))?;
        (Some(ticket), Some(row.expires_at), SCENE_CARD_WITH_SHARE_TICKET)
    } else if group {
        (None, None, SCENE_GROUP_CARD)
    } else {
        (None, None, SCENE_DIRECT_CARD)
    };
    Ok(Json(OpenShareResponse {
        err_msg: ok(API),
        appid: message.appid,
        path: message.path,
        scene,
        miniprogram_type: message.miniprogram_type,
        share_ticket,
        share_ticket_expires_at,
    }))
}

/// `wx.getShareInfo` (docs/WECHAT.md §6.2): the group behind a shareTicket, encrypted for the app's back end.
///
/// The ticket must be one this user got by opening a card of `appid` from a group, less than an hour ago (else
/// `getShareInfo:fail invalid shareTicket[: issued to another user | issued for another app]` or
/// `fail shareTicket expired`), and the user needs a live session with the app (`fail need login`). The plaintext is
/// `{"openGId", "watermark": {"timestamp", "appid"}}` under the current session_key; `openGId` is stable per (group,
/// app) and differs across apps.
#[utoipa::path(
    post, path = "/client/v1/wx/getShareInfo", tag = "client", security(("user" = [])),
    request_body = GetShareInfoRequest,
    responses(
        (status = 200, description = "`getShareInfo:ok` with encryptedData, iv and cloudID, or `getShareInfo:fail <reason>`", body = EncryptedDataResponse),
        (status = 400, body = ErrMsg), (status = 401, body = ErrMsg),
    )
)]
pub async fn get_share_info(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    ClientJson(req): ClientJson<GetShareInfoRequest>,
) -> Result<Json<EncryptedDataResponse>, ClientError> {
    const API: &str = "getShareInfo";
    let app = super::app(&state, API, &req.appid).await?;
    let invalid = |why: &str| ClientError::fail(API, format!("invalid shareTicket{why}"));
    let ticket = state
        .store
        .share_ticket(&secrets::hash(req.share_ticket.trim()))
        .await
        .map_err(store(API))?
        .ok_or_else(|| invalid(""))?;
    if ticket.user_id != user.id {
        return Err(invalid(": issued to another user"));
    }
    if ticket.app_id != app.id {
        return Err(invalid(": issued for another app"));
    }
    let now = state.now();
    if ticket.expires_at <= now {
        return Err(ClientError::reason(API, &Reason::ShareTicketExpired));
    }
    if !state
        .store
        .is_member(ticket.conversation_id, user.id)
        .await
        .map_err(store(API))?
    {
        return Err(invalid(": not a member of the group"));
    }
    let Some(session) = state
        .store
        .session(app.id, user.id)
        .await
        .map_err(store(API))?
        .filter(|s| s.expires_at > now)
    else {
        return Err(ClientError::reason(API, &Reason::NeedLogin));
    };
    let open_gid = state
        .store
        .open_gid_for(ticket.conversation_id, app.id, &share::open_gid())
        .await
        .map_err(store(API))?;
    let info = ShareInfo {
        open_gid,
        watermark: Watermark {
            timestamp: now,
            appid: app.appid.clone(),
        },
    };
    let sealed = opendata::seal(&state, &app, &session.session_key, &info)
        .ok_or_else(|| ClientError::reason(API, &Reason::NeedLogin))?;
    state
        .store
        .touch_session(app.id, user.id, now, now + state.config.session_ttl)
        .await
        .map_err(store(API))?;
    Ok(Json(EncryptedDataResponse {
        err_msg: ok(API),
        encrypted_data: sealed.encrypted_data(),
        iv: sealed.iv(),
        cloud_id: sealed.cloud_id(),
    }))
}
