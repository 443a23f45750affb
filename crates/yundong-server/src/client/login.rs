//! `wx.login`, the authorization dialog, `wx.getSetting` and `wx.openSetting`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;
use yundong_proto::client::{
    AppIdRequest, AuthorizeRequest, ErrMsg, KNOWN_SCOPES, LoginResponse, OpenSettingRequest, SettingResponse, ok,
};

use super::app;
use crate::error::ClientError;
use crate::extract::{ClientJson, UserAuth};
use crate::state::AppState;
use yundong_core::secrets;
use yundong_proto::reason::Reason;

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
    let limit = state.config.login_codes_per_minute;
    if !state
        .within_minute_limit(&format!("login:{}", user.id), limit)
        .await
        .map_err(|e| ClientError::store(API, e))?
    {
        return Err(ClientError::status(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            API,
            "too many requests",
        ));
    }
    let code = secrets::login_code();
    let expires_at = state.now() + state.config.code_ttl;
    state
        .store
        .insert_login_code(&secrets::hash(&code), app.id, user.id, expires_at)
        .await
        .map_err(|e| ClientError::store(API, e))?;
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
    if !KNOWN_SCOPES.contains(&req.scope.as_str()) {
        return Err(ClientError::reason(API, &Reason::InvalidScope));
    }
    let store = &state.store;
    let decided = store
        .grant(user.id, app.id, &req.scope)
        .await
        .map_err(|e| ClientError::store(API, e))?;
    let allowed = match decided {
        Some(allowed) => allowed,
        None => {
            store
                .set_grant(user.id, app.id, &req.scope, req.allow, state.now())
                .await
                .map_err(|e| ClientError::store(API, e))?;
            req.allow
        }
    };
    if allowed {
        Ok(Json(ErrMsg { err_msg: ok(API) }))
    } else {
        Err(ClientError::reason(API, &Reason::AuthDeny))
    }
}

/// `?appid=`: a query parameter (without `parameter_in`, the document would call it a path parameter).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppIdQuery {
    pub appid: String,
}

async fn settings(
    state: &AppState,
    api: &str,
    user_id: i64,
    app_id: i64,
) -> Result<Json<SettingResponse>, ClientError> {
    let grants = state
        .store
        .grants(user_id, app_id)
        .await
        .map_err(|e| ClientError::store(api, e))?;
    Ok(Json(SettingResponse {
        err_msg: ok(api),
        auth_setting: grants.into_iter().collect::<BTreeMap<_, _>>(),
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
    let decided = state
        .store
        .grants(user.id, app.id)
        .await
        .map_err(|e| ClientError::store(API, e))?;
    for scope in req.auth_setting.keys() {
        if !decided.iter().any(|(s, _)| s == scope) {
            return Err(ClientError::fail(
                API,
                format!("{scope} was never requested by this app"),
            ));
        }
    }
    let now = state.now();
    for (scope, allow) in &req.auth_setting {
        state
            .store
            .set_grant(user.id, app.id, scope, *allow, now)
            .await
            .map_err(|e| ClientError::store(API, e))?;
    }
    settings(&state, API, user.id, app.id).await
}
