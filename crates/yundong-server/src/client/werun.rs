//! `wx.getWeRunData` and the user's WeRun switches.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use yundong_proto::client::{
    EncryptedDataResponse, ErrMsg, GetWeRunDataRequest, SCOPE_WERUN, WeRunSettings, WeRunSettingsResponse,
    WeRunSettingsUpdate, ok,
};

use std::sync::Arc;

use yundong_store::{Gate, SESSION_TOUCH_STEP, StoreError};

use super::app;
use crate::error::ClientError;
use crate::extract::{ClientJson, UserAuth, UserId};
use crate::state::AppState;
use yundong_core::cache::{Entry, Loaded};
use yundong_core::opendata;

/// `wx.getWeRunData`: the user's last 31 days of steps, encrypted for the app's back end.
///
/// Needs WeRun on for the user (else `getWeRunData: fail device not support`, WeChat's exact text), `scope.werun` allowed (denied: `fail auth deny`;
/// undecided: the dialog is shown and `allow` is the user's answer, absent means no answer:
/// `fail authorize no response`), and a live session from `wx.login` + jscode2session (else `fail need login`).
/// `encryptedData` is AES-128-CBC under the session_key with the returned `iv`; the plaintext is
/// `{"stepInfoList": [31 × {"timestamp", "step"}], "watermark": {"timestamp", "appid"}}`.
#[utoipa::path(
    post, path = "/client/v1/wx/getWeRunData", tag = "client", security(("user" = [])),
    request_body = GetWeRunDataRequest,
    responses(
        (status = 200, description = "`getWeRunData:ok` with encryptedData, iv and cloudID, or `getWeRunData:fail <reason>`", body = EncryptedDataResponse),
        (status = 400, body = ErrMsg), (status = 401, body = ErrMsg),
    )
)]
pub async fn get_werun_data(
    State(state): State<AppState>,
    UserId(user_id): UserId,
    ClientJson(req): ClientJson<GetWeRunDataRequest>,
) -> Result<Response, ClientError> {
    const API: &str = "getWeRunData";
    let store_err = |e| ClientError::store(API, e);
    let app = app(&state, API, &req.appid).await?;
    let now = state.now();
    let window = state.config.day_zone.window(now);
    let (first_day, last_day) = (window[0], window[window.len() - 1]);
    let gate = cached_gate(&state, user_id, app.id, first_day, last_day)
        .await
        .map_err(store_err)?;
    let Some(gate) = &gate.value else {
        return Err(ClientError::status(
            axum::http::StatusCode::UNAUTHORIZED,
            API,
            "unauthorized: unknown user",
        ));
    };
    if !gate.werun {
        return Err(ClientError::exact(yundong_proto::client::WERUN_DEVICE_NOT_SUPPORT));
    }
    let (grant, session, gate_days) = (gate.grant, gate.session.as_ref(), &gate.days);
    match grant {
        Some(true) => {}
        Some(false) => return Err(ClientError::fail(API, "auth deny")),
        None => match req.allow {
            Some(allow) => {
                state
                    .store
                    .set_grant(user_id, app.id, SCOPE_WERUN, allow, state.now())
                    .await
                    .map_err(store_err)?;
                if !allow {
                    return Err(ClientError::fail(API, "auth deny"));
                }
            }
            None => return Err(ClientError::fail(API, "authorize no response")),
        },
    }
    let Some(session) = session.filter(|s| s.expires_at > now) else {
        return Err(ClientError::fail(API, "need login"));
    };
    let data = opendata::werun_data(&app, &window, gate_days, now);
    let sealed = opendata::seal_werun(&state, &app, &session.session_key, &data)
        .ok_or_else(|| ClientError::fail(API, "need login"))?;
    let expires_at = now + state.config.session_ttl;
    if session.expires_at < expires_at - SESSION_TOUCH_STEP {
        state
            .store
            .touch_session(app.id, user_id, now, expires_at)
            .await
            .map_err(store_err)?;
    }
    let json = sealed.response_json("getWeRunData:ok");
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// The gate of `user_id` for `app_id` over the window `[first_day, last_day]`: from this node's cache when nothing it
/// depends on changed since it was read (the feed is synced first, by `get_or_load`), else from the database.
async fn cached_gate(
    state: &AppState,
    user_id: i64,
    app_id: i64,
    first_day: i64,
    last_day: i64,
) -> Result<Arc<Entry<Option<Gate>>>, StoreError> {
    let cache = &state.cache;
    let load = || async move {
        let gate = state
            .store
            .gate(user_id, app_id, SCOPE_WERUN, first_day, last_day)
            .await?;
        let cost = 256 + gate.as_ref().map_or(0, |g| g.days.len() * 16);
        Ok::<_, StoreError>(Loaded {
            value: gate,
            deps: vec![user_id],
            cost,
        })
    };
    cache
        .gates
        .get_or_load(&cache.feed, (user_id, app_id, first_day), load)
        .await
}

/// The user's WeRun switches.
#[utoipa::path(
    get, path = "/client/v1/werun/settings", tag = "client", security(("user" = [])),
    responses((status = 200, body = WeRunSettingsResponse), (status = 401, body = ErrMsg))
)]
pub async fn get_settings(UserAuth(user): UserAuth) -> Json<WeRunSettingsResponse> {
    Json(WeRunSettingsResponse {
        err_msg: ok("settings"),
        settings: WeRunSettings {
            werun: user.werun,
            join_ranking: user.join_ranking,
        },
    })
}

/// Change the user's WeRun switches: `werun` off makes every app's getWeRunData fail with `device not support`.
#[utoipa::path(
    post, path = "/client/v1/werun/settings", tag = "client", security(("user" = [])),
    request_body = WeRunSettingsUpdate,
    responses((status = 200, body = WeRunSettingsResponse), (status = 400, body = ErrMsg), (status = 401, body = ErrMsg))
)]
pub async fn update_settings(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    ClientJson(req): ClientJson<WeRunSettingsUpdate>,
) -> Result<Json<WeRunSettingsResponse>, ClientError> {
    const API: &str = "settings";
    let updated = state
        .store
        .update_werun_settings(user.id, req.werun, req.join_ranking)
        .await
        .map_err(|e| ClientError::store(API, e))?
        .ok_or_else(|| ClientError::fail(API, "unknown user"))?;
    Ok(Json(WeRunSettingsResponse {
        err_msg: ok(API),
        settings: WeRunSettings {
            werun: updated.werun,
            join_ranking: updated.join_ranking,
        },
    }))
}
