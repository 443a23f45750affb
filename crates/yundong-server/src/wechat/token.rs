//! `/cgi-bin/token` and `/cgi-bin/stable_token` (spec §3.3, §3.4, DESIGN §5.7).

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use yundong_proto::errcode::ErrCode;
use yundong_proto::wechat::AccessTokenResponse;

use super::app_with_secret;
use crate::error::WxError;
use crate::extract::WxParams;
use crate::openapi::TokenAnswer;
use crate::secrets;
use crate::state::AppState;

fn check_grant_type(params: &WxParams) -> Result<(), WxError> {
    match params.get("grant_type").as_deref() {
        Some("client_credential") => Ok(()),
        _ => Err(ErrCode::InvalidGrantType.into()),
    }
}

/// `GET /cgi-bin/token` (also `POST` with a JSON body): a new access token, valid 7200 s.
///
/// Each call supersedes the app's previous `/cgi-bin/token` token, which keeps working for 5 more minutes. Stable
/// tokens are a separate family and are not affected. More than 2000 calls a day per app answer 45009.
#[utoipa::path(
    method(get, post), path = "/cgi-bin/token", tag = "wechat",
    params(
        ("grant_type" = String, Query, description = "client_credential"),
        ("appid" = String, Query), ("secret" = String, Query),
    ),
    responses((status = 200, description = "access_token and expires_in, or errcode 40002/40013/40125/41002/41004/45009", body = TokenAnswer))
)]
pub async fn token(State(state): State<AppState>, params: WxParams) -> Result<Json<AccessTokenResponse>, WxError> {
    check_grant_type(&params)?;
    let (app, _) = app_with_secret(&state, &params).await?;
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
/// Normal mode returns the same token while it is valid, and a new one from 5 minutes before its expiry (the old one
/// still runs out on its own). `force_refresh: true` ends the previous stable token at once and issues a new one, at
/// most 20 times a day (45009) and 30 s apart (45011).
#[utoipa::path(
    post, path = "/cgi-bin/stable_token", tag = "wechat",
    request_body = yundong_proto::wechat::StableTokenRequest,
    responses((status = 200, description = "access_token and expires_in, or errcode 40002/40013/40125/41002/41004/45009/45011/43002", body = TokenAnswer))
)]
pub async fn stable_token(
    State(state): State<AppState>,
    method: Method,
    params: WxParams,
) -> Result<Json<AccessTokenResponse>, WxError> {
    if method != Method::POST {
        return Err(ErrCode::RequirePost.into());
    }
    if !params.has_body() {
        return Err(ErrCode::EmptyPostData.into());
    }
    check_grant_type(&params)?;
    let (app, secret) = app_with_secret(&state, &params).await?;
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
        if force {
            let since = cfg.day_zone.day_start(now);
            let (count, last) = state.store.forced_stable_refreshes(app.id, since).await?;
            if count >= cfg.stable_force_daily {
                return Err(ErrCode::DailyQuota.into());
            }
            if last.is_some_and(|last| now - last < cfg.stable_force_gap) {
                return Err(WxError::with(
                    ErrCode::MinuteQuota,
                    "force_refresh calls must be 30 seconds apart",
                ));
            }
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
