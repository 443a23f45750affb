//! Cards: `shareMiniProgramMessage` into a conversation, opening a card (which may yield a shareTicket) and
//! `wx.getShareInfo`.

use crate::error::ClientError;
use crate::extract::{ClientJson, UserAuth};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::Value;
use yundong_core::share_cards;
use yundong_proto::client::{EncryptedDataResponse, ErrMsg, ok};
use yundong_proto::share::{
    GetShareInfoRequest, OpenShareRequest, OpenShareResponse, ShareMessageResponse, ShareMiniProgramMessageRequest,
};

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
    let message_id = share_cards::post_card(&state, &user, &sharer, &req)
        .await
        .map_err(|e| ClientError::core(API, e))?;
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
    let opened = share_cards::open_card(&state, &user, req.message_id)
        .await
        .map_err(|e| ClientError::core(API, e))?;
    Ok(Json(opened))
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
    let sealed = share_cards::share_info(&state, &user, &app, &req.share_ticket)
        .await
        .map_err(|e| ClientError::core(API, e))?;
    Ok(Json(EncryptedDataResponse {
        err_msg: ok(API),
        encrypted_data: sealed.encrypted_data(),
        iv: sealed.iv(),
        cloud_id: sealed.cloud_id(),
    }))
}
