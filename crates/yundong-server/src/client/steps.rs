//! The phone's step sensor.

use axum::Json;
use axum::extract::State;
use yundong_proto::client::{ErrMsg, StepsRequest, StepsResponse, ok};

use crate::error::ClientError;
use crate::extract::{ClientJson, SignedIn};
use crate::state::AppState;
use yundong_core::steps;
use yundong_store::StepSource;

/// Upload the phone's absolute step total for a local day (`date` = `YYYY-MM-DD`, default today).
///
/// A later upload for the same day replaces the phone's earlier one; the day's total is the highest over the phone
/// and every device app, capped at 98,800. Any day of the 31-day window may be written, never a future one.
#[utoipa::path(
    post, path = "/client/v1/steps", tag = "client", security(("user" = [])),
    request_body = StepsRequest,
    responses(
        (status = 200, description = "`steps:ok` with what was kept, or `steps:fail <reason>`", body = StepsResponse),
        (status = 400, body = ErrMsg), (status = 401, body = ErrMsg),
    )
)]
pub async fn upload_steps(
    State(state): State<AppState>,
    SignedIn(user_id): SignedIn,
    ClientJson(req): ClientJson<StepsRequest>,
) -> Result<Json<StepsResponse>, ClientError> {
    const API: &str = "steps";
    if req.source.as_deref().is_some_and(|s| s != "phone") {
        return Err(ClientError::fail(
            API,
            "source must be \"phone\" (devices report through /hardware/bracelet/setstep)",
        ));
    }
    let zone = state.config.day_zone;
    let day = match &req.date {
        None => zone.day_start(state.now()),
        Some(date) => zone
            .parse_date(date)
            .ok_or_else(|| ClientError::fail(API, "date must be YYYY-MM-DD"))?,
    };
    match steps::record(&state, user_id, day, StepSource::Phone, req.steps).await {
        Ok(r) => Ok(Json(StepsResponse {
            err_msg: ok(API),
            date: zone.format_date(day),
            timestamp: day,
            step: r.step,
            total: r.total,
        })),
        Err(e) => Err(ClientError::core(API, e)),
    }
}
