//! `wx.login`, the authorization dialog, `wx.getSetting` and `wx.openSetting`.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;
use yundong_proto::client::{
    AppIdRequest, AuthorizeRequest, ErrMsg, LoginResponse, OpenSettingRequest, SettingResponse, ok,
};

use super::app;
use crate::error::ClientError;
use crate::extract::{ClientJson, UserAuth};
use crate::state::AppState;
use yundong_core::{grants, sessions};
use yundong_store::{AppId, UserId};

/// `wx.login`: a code for the app's back end to exchange at `/sns/jscode2session` within 5 minutes, once.
#[utoipa::path(
    post, path = "/client/v1/wx/login", tag = "client", security(("user" = [])),
    request_body = AppIdRequest,
    responses(
        (status = 200, description = "`login:ok` with a code, or `login:fail invalid appid`", body = LoginResponse),
        (status = 400, body = ErrMsg), (status = 401, body = ErrMsg),
        (status = 429, description = "more wx.login codes a minute than allowed", body = ErrMsg),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    ClientJson(req): ClientJson<AppIdRequest>,
) -> Result<Json<LoginResponse>, ClientError> {
    const API: &str = "login";
    let app = app(&state, API, &req.appid).await?;
    let code = sessions::issue_code(&state, user.id, app.id)
        .await
        .map_err(|e| ClientError::core(API, e))?;
    Ok(Json(LoginResponse { err_msg: ok(API), code }))
}

/// The user's answer to the authorization dialog (`wx.authorize`).
///
/// As in WeChat, a scope the user denied is not asked again: the call fails with `auth deny` until the user allows
/// it in the settings page (`wx/openSetting`).
#[utoipa::path(
    post, path = "/client/v1/wx/authorize", tag = "client", security(("user" = [])),
    request_body = AuthorizeRequest,
    responses(
        (status = 200, description = "`authorize:ok`, `authorize:fail auth deny` or `authorize:fail invalid scope`", body = ErrMsg),
        (status = 400, body = ErrMsg), (status = 401, body = ErrMsg),
    )
)]
pub async fn authorize(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    ClientJson(req): ClientJson<AuthorizeRequest>,
) -> Result<Json<ErrMsg>, ClientError> {
    const API: &str = "authorize";
    let app = app(&state, API, &req.appid).await?;
    grants::authorize(&state, user.id, app.id, &req.scope, req.allow)
        .await
        .map_err(|e| ClientError::core(API, e))?;
    Ok(Json(ErrMsg { err_msg: ok(API) }))
}

/// `?appid=`: a query parameter (without `parameter_in`, the document would call it a path parameter).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppIdQuery {
    pub appid: String,
}

async fn settings(state: &AppState, api: &str, user: UserId, app: AppId) -> Result<Json<SettingResponse>, ClientError> {
    let auth_setting = grants::settings(state, user, app)
        .await
        .map_err(|e| ClientError::core(api, e))?;
    Ok(Json(SettingResponse {
        err_msg: ok(api),
        auth_setting,
    }))
}

/// `wx.getSetting`: the scopes the user has decided for the app (`true` allowed, `false` denied, absent undecided).
#[utoipa::path(
    get, path = "/client/v1/wx/getSetting", tag = "client", security(("user" = [])),
    params(AppIdQuery),
    responses((status = 200, body = SettingResponse), (status = 400, body = ErrMsg), (status = 401, body = ErrMsg))
)]
pub async fn get_setting(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    query: Result<Query<AppIdQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SettingResponse>, ClientError> {
    const API: &str = "getSetting";
    let Ok(Query(q)) = query else {
        return Err(ClientError::status(
            axum::http::StatusCode::BAD_REQUEST,
            API,
            "invalid request: appid is required",
        ));
    };
    let app = app(&state, API, &q.appid).await?;
    settings(&state, API, user.id, app.id).await
}

/// `wx.openSetting`: the user changes scopes in the settings page. Only scopes the app has asked for before are
/// listed there, so only those can be changed.
#[utoipa::path(
    post, path = "/client/v1/wx/openSetting", tag = "client", security(("user" = [])),
    request_body = OpenSettingRequest,
    responses((status = 200, body = SettingResponse), (status = 400, body = ErrMsg), (status = 401, body = ErrMsg))
)]
pub async fn open_setting(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    ClientJson(req): ClientJson<OpenSettingRequest>,
) -> Result<Json<SettingResponse>, ClientError> {
    const API: &str = "openSetting";
    let app = app(&state, API, &req.appid).await?;
    grants::change(&state, user.id, app.id, &req.auth_setting)
        .await
        .map_err(|e| ClientError::core(API, e))?;
    settings(&state, API, user.id, app.id).await
}
