//! `/hardware/bracelet/setstep`: a device app reports a user's absolute step total for a day (docs/WECHAT.md §4.1).

use axum::Json;
use axum::extract::State;
use yundong_proto::errcode::{ErrCode, OkBody};

use super::{app_for_token, user_for_openid};
use crate::error::WxError;
use crate::extract::WxParams;
use crate::openapi::OkAnswer;
use crate::state::AppState;
use yundong_core::steps;
use yundong_store::StepSource;

fn integer(params: &WxParams, name: &str) -> Result<i64, WxError> {
    let text = params
        .get(name)
        .ok_or_else(|| WxError::with(ErrCode::InvalidArgs, format!("{name} is required")))?;
    text.parse::<i64>()
        .map_err(|_| WxError::with(ErrCode::DataFormatError, format!("{name} must be an integer")))
}

/// `GET|POST /hardware/bracelet/setstep?access_token&openid&timestamp&step`.
///
/// Only an app with the device capability (`device_steps`, set by the admin) may call it, and only for users who
/// bound its wristband (`POST /client/v1/devices/bind`); otherwise 48001 and nothing is written. Parameters are read
/// from the query string only; a body is ignored.
///
/// `step` is the device's absolute total for the local day containing `timestamp`; a later report from the same app
/// for that day replaces it. The day's total is the highest over all sources, capped at 98,800. The day must lie in
/// the 31-day window and `timestamp` may not be in the future.
#[utoipa::path(
    method(get, post), path = "/hardware/bracelet/setstep", tag = "wechat",
    params(
        ("access_token" = String, Query), ("openid" = String, Query),
        ("timestamp" = i64, Query, description = "Unix seconds of the reading"),
        ("step" = i64, Query, description = "absolute total for that day"),
    ),
    responses((status = 200, description = "errcode 0, or 48001/40003/40097/47001/40001/41001/42001", body = OkAnswer))
)]
pub async fn setstep(State(state): State<AppState>, params: WxParams) -> Result<Json<OkBody>, WxError> {
    let app = app_for_token(&state, &params).await?;
    // WeChat answers 48001 `api unauthorized` to an account without the API's capability (the hardware platform's
    // device function): checked before anything about the call itself.
    if !app.device_steps {
        return Err(WxError::with(
            ErrCode::ApiUnauthorized,
            "the app has no device capability",
        ));
    }
    let (user_id, _) = user_for_openid(&state, &app, &params).await?;
    // A device account acts only for users who bound its device.
    if !state.store.device_bound(user_id, app.id).await? {
        return Err(WxError::with(
            ErrCode::ApiUnauthorized,
            "the user has not bound this app's device",
        ));
    }
    let timestamp = integer(&params, "timestamp")?;
    let step = integer(&params, "step")?;
    let now = state.now();
    if timestamp > now + steps::CLOCK_SKEW {
        return Err(WxError::with(ErrCode::InvalidArgs, "timestamp is in the future"));
    }
    let day = state.config.day_zone.day_start(timestamp);
    steps::record(&state, user_id, day, StepSource::Device(app.id), step).await?;
    Ok(Json(OkBody::default()))
}
