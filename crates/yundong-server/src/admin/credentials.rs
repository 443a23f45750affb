//! Replacing credentials: an app's secret and a user's client token. The old credential stops working on every node
//! as soon as the answer is sent (the change feed carries the change; see `state`).

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yundong_proto::admin::{AdminError, AppInfo, SecretReset, TokenReset, UpdateAppRequest};

use crate::error::ApiError;
use crate::extract::{AdminAuth, AdminJson};
use crate::state::AppState;
use yundong_core::accounts;
use yundong_store::UserId;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(update_app))
        .routes(routes!(reset_app_secret))
        .routes(routes!(reset_user_token))
}

fn path<T>(p: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    p.map(|Path(v)| v)
        .map_err(|e| ApiError::invalid(format!("invalid path: {}", e.body_text())))
}

/// Change an app's settings: `device_steps` grants or withdraws the device capability
/// (`/hardware/bracelet/setstep`).
#[utoipa::path(
    patch, path = "/admin/v1/apps/{appid}", tag = "admin", security(("admin" = [])),
    params(("appid" = String, Path)),
    request_body = UpdateAppRequest,
    responses(
        (status = 200, body = AppInfo), (status = 400, body = AdminError), (status = 401, body = AdminError),
        (status = 404, body = AdminError),
    )
)]
pub async fn update_app(
    State(state): State<AppState>,
    _: AdminAuth,
    appid: Result<Path<String>, PathRejection>,
    AdminJson(req): AdminJson<UpdateAppRequest>,
) -> Result<Json<AppInfo>, ApiError> {
    let appid = path(appid)?;
    Ok(Json(accounts::update_app(&state.store, &appid, &req).await?))
}

/// Give an app a new AppSecret, as WeChat's "reset AppSecret" does. The new secret is shown only in this answer;
/// the old one is refused from now on (`/sns/jscode2session`, `/cgi-bin/token`, `/cgi-bin/stable_token`). Access
/// tokens already issued run out as usual.
#[utoipa::path(
    post, path = "/admin/v1/apps/{appid}/secret", tag = "admin", security(("admin" = [])),
    params(("appid" = String, Path)),
    responses(
        (status = 200, body = SecretReset), (status = 400, body = AdminError), (status = 401, body = AdminError),
        (status = 404, body = AdminError),
    )
)]
pub async fn reset_app_secret(
    State(state): State<AppState>,
    _: AdminAuth,
    appid: Result<Path<String>, PathRejection>,
) -> Result<Json<SecretReset>, ApiError> {
    let appid = path(appid)?;
    Ok(Json(accounts::reset_app_secret(&state.store, &appid).await?))
}

/// Give a user a new client token (for a lost or leaked one). The new token is shown only in this answer; the old
/// one is refused from now on.
#[utoipa::path(
    post, path = "/admin/v1/users/{user_id}/token", tag = "admin", security(("admin" = [])),
    params(("user_id" = i64, Path)),
    responses(
        (status = 200, body = TokenReset), (status = 400, body = AdminError), (status = 401, body = AdminError),
        (status = 404, body = AdminError),
    )
)]
pub async fn reset_user_token(
    State(state): State<AppState>,
    _: AdminAuth,
    user_id: Result<Path<i64>, PathRejection>,
) -> Result<Json<TokenReset>, ApiError> {
    let user_id = path(user_id)?;
    Ok(Json(accounts::reset_user_token(&state.store, UserId(user_id)).await?))
}
