//! `/sns/jscode2session`, `/wxa/checksession`, `/wxa/resetusersessionkey` (docs/WECHAT.md §3.2, §3.5).

use axum::Json;
use axum::extract::State;
use yundong_proto::errcode::{ErrCode, OkBody};
use yundong_proto::wechat::{Code2SessionResponse, ResetSessionKeyResponse};

use super::{app_for_token, check_secret, known_app, user_for_openid};
use crate::error::WxError;
use crate::extract::WxParams;
use crate::openapi::{Code2SessionAnswer, OkAnswer, ResetAnswer};
use crate::state::AppState;
use yundong_core::sessions;
use yundong_store::{AppId, UserId};

/// `GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`: exchange a `wx.login` code for the
/// user's openid and a fresh session_key. Parameters are read from the query string only; a body is ignored.
///
/// Checks, in order: presence of `appid` (41002), `secret` (41004), `js_code` (41008); then `appid` (40013),
/// `secret` (40125), `grant_type` when given (40002); then the code (40029, 40163) and the rate (45011).
///
/// The code is single-use (40163), lives 5 minutes and belongs to one app (40029); each user may exchange 100 codes
/// a minute (45011). Every exchange rotates the session_key of that (app, user): only the newest is valid.
#[utoipa::path(
    method(get, post), path = "/sns/jscode2session", tag = "wechat",
    params(
        ("appid" = String, Query, description = "AppID"),
        ("secret" = String, Query, description = "AppSecret"),
        ("js_code" = String, Query, description = "code from wx.login"),
        ("grant_type" = Option<String>, Query, description = "authorization_code"),
    ),
    responses((status = 200, description = "openid and session_key, or errcode 41002/41004/41008/40013/40125/40002/40029/40163/45011", body = Code2SessionAnswer))
)]
pub async fn jscode2session(
    State(state): State<AppState>,
    params: WxParams,
) -> Result<Json<Code2SessionResponse>, WxError> {
    // All three are checked for presence before any is checked for validity.
    let appid = params.require("appid", ErrCode::AppidMissing)?;
    let secret = params.require("secret", ErrCode::AppsecretMissing)?;
    let code = params.require("js_code", ErrCode::CodeMissing)?;
    let app = known_app(&state, &params, &appid).await?;
    check_secret(&app, &secret)?;
    if params.get("grant_type").is_some_and(|g| g != "authorization_code") {
        return Err(ErrCode::InvalidGrantType.into());
    }
    let session = sessions::exchange(&state, &app, &code).await?;
    Ok(Json(Code2SessionResponse {
        openid: session.openid,
        session_key: session.session_key,
        unionid: session.unionid,
    }))
}

async fn verify_signature(
    state: &AppState,
    params: &WxParams,
    user_id: UserId,
    app_id: AppId,
) -> Result<String, WxError> {
    match params.get("sig_method").as_deref() {
        Some("hmac_sha256") => {}
        _ => return Err(ErrCode::InvalidSigMethod.into()),
    }
    let signature = params.get("signature").unwrap_or_default();
    sessions::verify_signature(state, user_id, app_id, &signature)
        .await?
        .ok_or_else(|| ErrCode::InvalidSignature.into())
}

/// `GET|POST /wxa/checksession`: is this the user's current, live session_key?
///
/// `signature` = hex(HMAC-SHA256(key = session_key's base64 text, message = "")), `sig_method` = `hmac_sha256`.
/// Parameters are read from the query string only; a body is ignored. Checks, in order: `access_token` (41001,
/// 40001, 42001), `openid` (41009, 40003), `sig_method` (87008), `signature` (87009). A successful check extends
/// the session's idle expiry.
#[utoipa::path(
    method(get, post), path = "/wxa/checksession", tag = "wechat",
    params(
        ("access_token" = String, Query), ("openid" = String, Query),
        ("signature" = String, Query), ("sig_method" = String, Query, description = "hmac_sha256"),
    ),
    responses((status = 200, description = "errcode 0, or 87009 invalid signature / 87008 invalid sig_method / 40003", body = OkAnswer))
)]
pub async fn checksession(State(state): State<AppState>, params: WxParams) -> Result<Json<OkBody>, WxError> {
    let app = app_for_token(&state, &params).await?;
    let (user_id, _) = user_for_openid(&state, &app, &params).await?;
    verify_signature(&state, &params, user_id, app.id).await?;
    sessions::touch(&state, user_id, app.id).await?;
    Ok(Json(OkBody::default()))
}

/// `GET|POST /wxa/resetusersessionkey`: replace the user's session_key; the new key keeps the old expiry.
///
/// Parameters and checks as `/wxa/checksession`, then the per-user reset rate (45011).
#[utoipa::path(
    method(get, post), path = "/wxa/resetusersessionkey", tag = "wechat",
    params(
        ("access_token" = String, Query), ("openid" = String, Query),
        ("signature" = String, Query), ("sig_method" = String, Query, description = "hmac_sha256"),
    ),
    responses((status = 200, description = "the new session_key, or 87009 / 87008 / 40003", body = ResetAnswer))
)]
pub async fn resetusersessionkey(
    State(state): State<AppState>,
    params: WxParams,
) -> Result<Json<ResetSessionKeyResponse>, WxError> {
    let app = app_for_token(&state, &params).await?;
    let (user_id, openid) = user_for_openid(&state, &app, &params).await?;
    let old_key = verify_signature(&state, &params, user_id, app.id).await?;
    let Some(new_key) = sessions::reset_key(&state, user_id, app.id, &old_key).await? else {
        // Another exchange or reset replaced the key between the check and the update.
        return Err(ErrCode::InvalidSignature.into());
    };
    Ok(Json(ResetSessionKeyResponse {
        errcode: 0,
        errmsg: "ok".into(),
        openid,
        session_key: new_key,
    }))
}
