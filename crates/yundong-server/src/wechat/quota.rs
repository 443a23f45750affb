//! WeChat's API-management tools back ends call around the other APIs: `/cgi-bin/clear_quota`,
//! `/cgi-bin/clear_quota/v2` and `/cgi-bin/openapi/quota/get` (docs/WECHAT.md §11).

use axum::Json;
use axum::extract::State;
use yundong_proto::errcode::{ErrCode, OkBody};
use yundong_proto::wechat::{Quota, QuotaResponse, RateLimit};

use super::{app_for_token, check_secret, known_app};
use crate::error::WxError;
use crate::extract::WxPost;
use crate::openapi::{OkAnswer, QuotaAnswer};
use crate::state::AppState;
use yundong_store::AppId;

/// The start of the calendar month (in the deployment's day zone) holding `now`.
fn month_start(state: &AppState, now: i64) -> i64 {
    let zone = state.config.day_zone;
    let date = zone.format_date(now);
    zone.parse_date(&format!("{}-01", &date[..7]))
        .unwrap_or_else(|| zone.day_start(now))
}

/// Clear `app_id`'s counters, unless it used up this month's clears (48006).
async fn clear(state: &AppState, app_id: AppId) -> Result<Json<OkBody>, WxError> {
    let now = state.now();
    let since = month_start(state, now);
    if !state
        .store
        .record_quota_clear(app_id, since, now, state.config.quota_clears_per_month)
        .await?
    {
        return Err(ErrCode::ClearQuotaLimit.into());
    }
    state.store.clear_app_counters(app_id).await?;
    Ok(Json(OkBody::default()))
}

/// `POST /cgi-bin/clear_quota?access_token=…` with `{"appid"}`: reset the app's daily API call counters.
///
/// Checks: the token (41001/40001/42001), `appid` in the body (41002), `appid` is the token's app (40013), this
/// month's clears (10 with `/v2`, 48006).
#[utoipa::path(
    post, path = "/cgi-bin/clear_quota", tag = "wechat",
    params(("access_token" = String, Query)),
    responses((status = 200, description = "errcode 0, or 41001/40001/42001/41002/40013/48006", body = OkAnswer))
)]
pub async fn clear_quota(State(state): State<AppState>, WxPost(params): WxPost) -> Result<Json<OkBody>, WxError> {
    let app = app_for_token(&state, &params).await?;
    let appid = params.body_require("appid", ErrCode::AppidMissing)?;
    if appid != app.appid {
        return Err(WxError::with(
            ErrCode::InvalidAppid,
            "appid is not the access_token's app",
        ));
    }
    clear(&state, app.id).await
}

/// `POST /cgi-bin/clear_quota/v2?appid=…&appsecret=…`: the same with the AppSecret, for when the token quota itself is
/// spent. `appid` and `appsecret` are URL parameters (WeChat's example; its newer page lists them as body fields, so a
/// JSON body is read when the query lacks them).
///
/// Checks: `appid` (41002 missing, 40013 unknown), `appsecret` (41004 missing, 40125 wrong), this month's clears
/// (48006).
#[utoipa::path(
    post, path = "/cgi-bin/clear_quota/v2", tag = "wechat",
    params(("appid" = String, Query), ("appsecret" = String, Query)),
    responses((status = 200, description = "errcode 0, or 41002/40013/41004/40125/48006", body = OkAnswer))
)]
pub async fn clear_quota_v2(State(state): State<AppState>, WxPost(params): WxPost) -> Result<Json<OkBody>, WxError> {
    let field = |name: &str| params.get(name).or_else(|| params.body_text(name));
    let appid = field("appid").ok_or(ErrCode::AppidMissing)?;
    let app = known_app(&state, &params, &appid).await?;
    let secret = field("appsecret").ok_or(ErrCode::AppsecretMissing)?;
    check_secret(&app, &secret)?;
    clear(&state, app.id).await
}

/// `POST /cgi-bin/openapi/quota/get?access_token=…` with `{"cgi_path"}`: the calling app's daily quota of an API.
///
/// yundong counts `/cgi-bin/token` per day (`daily_limit` 2000) and `/cgi-bin/stable_token` per minute
/// (`rate_limit`); its other APIs answer zeros, as WeChat does for APIs without a daily quota. `/sns/*` paths answer
/// 76022 (WeChat: not supported for them); paths yundong does not serve answer 76021.
#[utoipa::path(
    post, path = "/cgi-bin/openapi/quota/get", tag = "wechat",
    params(("access_token" = String, Query)),
    responses((status = 200, description = "quota, or errcode 41001/40001/42001/76021/76022", body = QuotaAnswer))
)]
pub async fn quota_get(State(state): State<AppState>, WxPost(params): WxPost) -> Result<Json<QuotaResponse>, WxError> {
    let app = app_for_token(&state, &params).await?;
    let path = params.body_text("cgi_path").ok_or(ErrCode::CgiPathNotFound)?;
    let cfg = &state.config;
    let zero = Quota {
        daily_limit: 0,
        used: 0,
        remain: 0,
    };
    let (quota, rate_limit) = match path.as_str() {
        p if p.starts_with("/sns/") && super::PATHS.contains(&p) => return Err(ErrCode::CgiPathNoPermission.into()),
        "/cgi-bin/token" => {
            let day = cfg.day_zone.day_start(state.now());
            let used = state.store.counter(&format!("token:{}", app.id), day).await?;
            let quota = Quota {
                daily_limit: cfg.token_daily_quota,
                used,
                remain: (cfg.token_daily_quota - used).max(0),
            };
            (quota, None)
        }
        "/cgi-bin/stable_token" => (
            zero,
            Some(RateLimit {
                call_count: cfg.stable_token_per_minute,
                refresh_second: 60,
            }),
        ),
        p if super::PATHS.contains(&p) => (zero, None),
        _ => return Err(ErrCode::CgiPathNotFound.into()),
    };
    Ok(Json(QuotaResponse {
        errcode: 0,
        errmsg: "ok".into(),
        quota,
        rate_limit,
    }))
}
