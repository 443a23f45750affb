//! Wristbands: a user binds a device app's wristband, which lets that app write the user's steps with
//! `/hardware/bracelet/setstep` (if the app also holds the device capability). Unbinding withdraws it at once.

use axum::Json;
use axum::extract::State;
use yundong_proto::client::{DeviceBinding, DeviceRequest, DevicesResponse, ErrMsg, ok};

use super::app;
use crate::error::ClientError;
use crate::extract::{ClientJson, UserAuth};
use crate::state::AppState;
use yundong_proto::reason::Reason;

/// The user's bound wristbands.
#[utoipa::path(
    get, path = "/client/v1/devices", tag = "client", security(("user" = [])),
    responses((status = 200, body = DevicesResponse), (status = 401, body = ErrMsg))
)]
pub async fn list(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
) -> Result<Json<DevicesResponse>, ClientError> {
    const API: &str = "devices";
    let rows = state
        .store
        .device_bindings(user.id)
        .await
        .map_err(|e| ClientError::store(API, e))?;
    let mut devices = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(app) = state
            .app_by_id(row.app_id)
            .await
            .map_err(|e| ClientError::store(API, e))?
        {
            devices.push(DeviceBinding {
                appid: app.appid.clone(),
                name: app.name.clone(),
                bound_at: row.bound_at,
            });
        }
    }
    Ok(Json(DevicesResponse {
        err_msg: ok(API),
        devices,
    }))
}

/// Bind the device app's wristband. `bind:fail app has no device capability` when the app is not a device app;
/// binding twice is not an error.
#[utoipa::path(
    post, path = "/client/v1/devices/bind", tag = "client", security(("user" = [])),
    request_body = DeviceRequest,
    responses((status = 200, body = ErrMsg), (status = 400, body = ErrMsg), (status = 401, body = ErrMsg))
)]
pub async fn bind(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    ClientJson(req): ClientJson<DeviceRequest>,
) -> Result<Json<ErrMsg>, ClientError> {
    const API: &str = "bind";
    let app = app(&state, API, &req.appid).await?;
    if !app.device_steps {
        return Err(ClientError::reason(API, &Reason::NoDeviceCapability));
    }
    state
        .store
        .bind_device(user.id, app.id, state.now())
        .await
        .map_err(|e| ClientError::store(API, e))?;
    Ok(Json(ErrMsg { err_msg: ok(API) }))
}

/// Unbind the device app's wristband: from now on the app cannot write the user's steps. `unbind:fail not bound`
/// when it was not bound.
#[utoipa::path(
    post, path = "/client/v1/devices/unbind", tag = "client", security(("user" = [])),
    request_body = DeviceRequest,
    responses((status = 200, body = ErrMsg), (status = 400, body = ErrMsg), (status = 401, body = ErrMsg))
)]
pub async fn unbind(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    ClientJson(req): ClientJson<DeviceRequest>,
) -> Result<Json<ErrMsg>, ClientError> {
    const API: &str = "unbind";
    let app = app(&state, API, &req.appid).await?;
    let removed = state
        .store
        .unbind_device(user.id, app.id)
        .await
        .map_err(|e| ClientError::store(API, e))?;
    if !removed {
        return Err(ClientError::reason(API, &Reason::NotBound));
    }
    Ok(Json(ErrMsg { err_msg: ok(API) }))
}
