//! The WeChat-compatible server API (docs/DESIGN.md §3.1): WeChat's paths, parameters, bodies and errcodes, so that
//! mini-program back ends and their SDKs work against yundong unchanged.

mod opendata;
mod quota;
mod rid;
mod session;
mod setstep;
mod token;

use std::sync::Arc;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yundong_proto::errcode::ErrCode;
use yundong_store::{AppRow, UserId};

use crate::error::WxError;
use crate::extract::WxParams;
use crate::state::AppState;
use yundong_core::secrets;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(session::jscode2session))
        .routes(routes!(session::checksession))
        .routes(routes!(session::resetusersessionkey))
        .routes(routes!(token::token))
        .routes(routes!(token::stable_token))
        .routes(routes!(opendata::getopendata))
        .routes(routes!(setstep::setstep))
        .routes(routes!(quota::clear_quota))
        .routes(routes!(quota::clear_quota_v2))
        .routes(routes!(quota::quota_get))
        .routes(routes!(rid::rid_get))
}

/// Every WeChat-compatible path yundong serves (what `/cgi-bin/openapi/quota/get` knows).
pub(crate) const PATHS: [&str; 11] = [
    "/sns/jscode2session",
    "/wxa/checksession",
    "/wxa/resetusersessionkey",
    "/cgi-bin/token",
    "/cgi-bin/stable_token",
    "/wxa/getopendata",
    "/hardware/bracelet/setstep",
    "/cgi-bin/clear_quota",
    "/cgi-bin/clear_quota/v2",
    "/cgi-bin/openapi/quota/get",
    "/cgi-bin/openapi/rid/get",
];

/// The app an `access_token` query parameter stands for: 41001 when missing, 40001 when unknown or superseded past
/// its overlap, 42001 when it ran out on its own.
pub(crate) async fn app_for_token(state: &AppState, params: &WxParams) -> Result<Arc<AppRow>, WxError> {
    let token = params.require("access_token", ErrCode::AccessTokenMissing)?;
    let row = state
        .store
        .token_by_hash(&secrets::hash(&token))
        .await?
        .ok_or(ErrCode::InvalidCredential)?;
    let app = state.app_by_id(row.app_id).await?.ok_or(ErrCode::InvalidCredential)?;
    params.note_app(&app.appid);
    let now = state.now();
    if now >= row.valid_until {
        return Err(if row.valid_until < row.expires_at {
            ErrCode::InvalidCredential
        } else {
            ErrCode::AccessTokenExpired
        }
        .into());
    }
    Ok(app)
}

/// The app named by `appid`: 40013 unless it has an appid's shape and exists. Noted for the journal.
pub(crate) async fn known_app(state: &AppState, params: &WxParams, appid: &str) -> Result<Arc<AppRow>, WxError> {
    // Shapes are checked before any lookup: PostgreSQL cannot compare a text holding NUL.
    if !yundong_proto::ids::is_appid(appid) {
        return Err(ErrCode::InvalidAppid.into());
    }
    let app = state.app_by_appid(appid).await?.ok_or(ErrCode::InvalidAppid)?;
    params.note_app(&app.appid);
    Ok(app)
}

/// 40125 unless `secret` is `app`'s AppSecret (compared as hashes, in constant time).
pub(crate) fn check_secret(app: &AppRow, secret: &str) -> Result<(), WxError> {
    if yundong_proto::crypto::ct_eq(secrets::hash(secret).as_bytes(), app.secret_hash.as_bytes()) {
        Ok(())
    } else {
        Err(ErrCode::InvalidAppsecret.into())
    }
}

/// The user behind the `openid` query parameter under `app`: 41009 when missing, 40003 when not an openid of this
/// app.
pub(crate) async fn user_for_openid(
    state: &AppState,
    app: &AppRow,
    params: &WxParams,
) -> Result<(UserId, String), WxError> {
    let openid = params.require("openid", ErrCode::OpenidMissing)?;
    if !yundong_proto::ids::is_openid(&openid) {
        return Err(ErrCode::InvalidOpenid.into());
    }
    let user = state
        .store
        .user_by_openid(&openid, app.id)
        .await?
        .ok_or(ErrCode::InvalidOpenid)?;
    Ok((user, openid))
}
