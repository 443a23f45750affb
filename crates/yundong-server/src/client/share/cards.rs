//! Cards: `shareMiniProgramMessage` into a conversation, opening a card (which may yield a shareTicket) and
//! `wx.getShareInfo`.

use super::{PACKAGE_THUMBNAIL, store};
use crate::error::ClientError;
use crate::extract::{ClientJson, UserAuth};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::Value;
use yundong_core::opendata;
use yundong_core::quotas;
use yundong_core::secrets;
use yundong_core::share::{self, SHARE_TICKET_TTL, TEMP_FILE_TTL};
use yundong_proto::client::{EncryptedDataResponse, ErrMsg, ok};
use yundong_proto::reason::Reason;
use yundong_proto::share::{
    GetShareInfoRequest, ImageKind, OpenShareRequest, OpenShareResponse, SCENE_CARD_WITH_SHARE_TICKET,
    SCENE_DIRECT_CARD, SCENE_GROUP_CARD, ShareMessageResponse, ShareMiniProgramMessageRequest,
};
use yundong_proto::share_paths::{ImageSource, image_source, web_url};
use yundong_proto::werun::{ShareInfo, Watermark};
use yundong_store::{KIND_GROUP, NewShareMessage, NewTempFile, ShareTicketRow};

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
    let sharer = crate::client::app(&state, API, &req.appid).await?;
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
    let app = crate::client::app(&state, API, &req.appid).await?;
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
