//! `/cgi-bin/token` and `/cgi-bin/stable_token` (docs/WECHAT.md §3.3, §3.4, docs/DESIGN.md §5.7).

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use yundong_proto::errcode::ErrCode;
use yundong_proto::wechat::AccessTokenResponse;

use super::{check_secret, known_app};
use crate::error::WxError;
use crate::extract::{WxParams, WxPost};
use crate::openapi::TokenAnswer;
use crate::state::AppState;
use yundong_core::tokens;

fn check_grant_type(grant_type: Option<String>) -> Result<(), WxError> {
    match grant_type.as_deref() {
        Some("client_credential") => Ok(()),
        _ => Err(ErrCode::InvalidGrantType.into()),
    }
}

/// The app and its secret, checked in WeChat's order: `appid` (41002 missing, 40013 unknown), then `grant_type`
/// (40002), then `secret` (41004 missing, 40125 wrong). `field` reads a parameter where the API reads it.
async fn app_and_secret(
    state: &AppState,
    params: &WxParams,
    field: impl Fn(&str) -> Option<String>,
) -> Result<(std::sync::Arc<yundong_store::AppRow>, String), WxError> {
    let appid = field("appid").ok_or(ErrCode::AppidMissing)?;
    let app = known_app(state, params, &appid).await?;
    check_grant_type(field("grant_type"))?;
    let secret = field("secret").ok_or(ErrCode::AppsecretMissing)?;
    check_secret(&app, &secret)?;
    Ok((app, secret))
}

/// `GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=…`: a new access token, valid 7200 s.
///
/// Parameters are read from the query string only (a `POST` is answered like a `GET`; its body is ignored, so
/// parameters sent only in a body are missing: 41002). Each call supersedes the app's previous `/cgi-bin/token` token, which keeps working for 5 more minutes. Stable
/// tokens are a separate family and are not affected. More than 2000 calls a day per app answer 45009.
#[utoipa::path(
    method(get, post), path = "/cgi-bin/token", tag = "wechat",
    params(
        ("grant_type" = String, Query, description = "client_credential"),
        ("appid" = String, Query), ("secret" = String, Query),
    ),
    responses((status = 200, description = "access_token and expires_in, or errcode 41002/40013/40002/41004/40125/45009", body = TokenAnswer))
)]
pub async fn token(State(state): State<AppState>, params: WxParams) -> Result<Json<AccessTokenResponse>, WxError> {
    let (app, _) = app_and_secret(&state, &params, |name| params.get(name)).await?;
    Ok(Json(tokens::issue(&state, &app).await?))
}

/// `POST /cgi-bin/stable_token`: the app's stable access token.
///
/// Parameters are read from the JSON body only. Normal mode returns the same token while it is valid, and a new one
/// from 5 minutes before its expiry (the old one still runs out on its own). `force_refresh: true` ends the previous
/// stable token at once and issues a new one, at most 20 times a day (45009); a forced call within 30 s of the
/// previous forced refresh does not refresh and is answered as normal mode would answer it (WeChat's documentation).
/// Checks: 43002 not POST, 44002 no body, 47001 not a JSON object, then as `/cgi-bin/token` (41002, 40013, 40002,
/// 41004, 40125), 40097 `force_refresh` not a boolean, 45011 per-minute limit, 45009.
#[utoipa::path(
    post, path = "/cgi-bin/stable_token", tag = "wechat",
    request_body = yundong_proto::wechat::StableTokenRequest,
    responses((status = 200, description = "access_token and expires_in, or errcode 43002/44002/47001/41002/40013/40002/41004/40125/40097/45011/45009", body = TokenAnswer))
)]
pub async fn stable_token(
    State(state): State<AppState>,
    method: Method,
    WxPost(params): WxPost,
) -> Result<Json<AccessTokenResponse>, WxError> {
    if method != Method::POST {
        return Err(ErrCode::RequirePost.into());
    }
    if !params.has_body() {
        return Err(ErrCode::EmptyPostData.into());
    }
    let (app, secret) = app_and_secret(&state, &params, |name| params.body_text(name)).await?;
    let force = match params.body("force_refresh") {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(_) => {
            return Err(WxError::with(ErrCode::InvalidArgs, "force_refresh must be a boolean"));
        }
    };
    Ok(Json(tokens::stable(&state, &app, &secret, force).await?))
}
