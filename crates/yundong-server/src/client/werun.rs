//! `wx.getWeRunData` and the user's WeRun switches.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use yundong_proto::client::{
    EncryptedDataResponse, ErrMsg, GetWeRunDataRequest, WeRunSettings, WeRunSettingsResponse, WeRunSettingsUpdate, ok,
};

use super::app;
use crate::error::ClientError;
use crate::extract::{ClientJson, SignedIn, UserAuth};
use crate::state::AppState;
use yundong_core::werun;

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
    SignedIn(user_id): SignedIn,
    ClientJson(req): ClientJson<GetWeRunDataRequest>,
) -> Result<Response, ClientError> {
    const API: &str = "getWeRunData";
    let app = app(&state, API, &req.appid).await?;
    let sealed = werun::data(&state, user_id, &app, req.allow)
        .await
        .map_err(|e| ClientError::core(API, e))?;
    let json = sealed.response_json("getWeRunData:ok");
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
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
    let updated = werun::update_settings(&state, user.id, req.werun, req.join_ranking)
        .await
        .map_err(|e| ClientError::core(API, e))?;
    Ok(Json(WeRunSettingsResponse {
        err_msg: ok(API),
        settings: WeRunSettings {
            werun: updated.werun,
            join_ranking: updated.join_ranking,
        },
    }))
}
