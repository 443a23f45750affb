//! `/cgi-bin/token` and `/cgi-bin/stable_token` (spec §3.3, §3.4, DESIGN §5.7).

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
use yundong_core::secrets;

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
    let now = state.now();
    let day = state.config.day_zone.day_start(now);
    if state.store.bump_counter(&format!("token:{}", app.id), day).await? > state.config.token_daily_quota {
        return Err(ErrCode::DailyQuota.into());
    }
    let token = secrets::access_token();
    let cfg = &state.config;
    state
        .store
        .issue_normal_token(
            app.id,
            &secrets::hash(&token),
            "-",
            now,
            cfg.token_ttl,
            cfg.token_overlap,
        )
        .await?;
    Ok(Json(AccessTokenResponse {
        access_token: token,
        expires_in: cfg.token_ttl,
    }))
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
    let cfg = &state.config;
    if !state
        .within_minute_limit(&format!("stable:{}", app.id), cfg.stable_token_per_minute)
        .await?
    {
        return Err(ErrCode::MinuteQuota.into());
    }
    // A lost compare-and-set means another node issued a token in between; read again and reconsider.
    for _ in 0..5 {
        let now = state.now();
        let (generation, latest) = state.store.latest_stable_token(app.id).await?;
        let mut force = force;
        if force {
            let since = cfg.day_zone.day_start(now);
            let (count, last) = state.store.forced_stable_refreshes(app.id, since).await?;
            if count >= cfg.stable_force_daily {
                return Err(ErrCode::DailyQuota.into());
            }
            // Within 30 s of the last forced refresh, a forced call does not refresh: normal mode answers it.
            if last.is_some_and(|last| now - last < cfg.stable_force_gap) {
                force = false;
            }
        }
        if !force
            && let Some(t) = &latest
            && now < t.valid_until
            && now < t.expires_at - cfg.token_overlap
        {
            let token = secrets::stable_token(&secret, &app.appid, &t.nonce);
            return Ok(Json(AccessTokenResponse {
                access_token: token,
                expires_in: t.expires_at - now,
            }));
        }
        let nonce = secrets::nonce();
        let token = secrets::stable_token(&secret, &app.appid, &nonce);
        let hash = secrets::hash(&token);
        if state
            .store
            .issue_stable_token(app.id, &hash, &nonce, force, now, cfg.token_ttl, generation)
            .await?
        {
            return Ok(Json(AccessTokenResponse {
                access_token: token,
                expires_in: cfg.token_ttl,
            }));
        }
    }
    Err(ErrCode::SystemError.into())
}
