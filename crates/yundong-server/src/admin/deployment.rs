//! The deployment's clock and reset (issue 13): one clock for every node (its offset is stored in the database and
//! followed through the change feed), moved only on servers started with `--dev-clock` or `--test-mode`; reset only
//! on those too.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use time::format_description::well_known::Rfc3339;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yundong_proto::admin::{AdminError, ClockAdvanceRequest, ClockResponse};
use yundong_proto::control::{ClockSetRequest, ResetKeep, ResetRequest, ResetResponse};

use crate::error::ApiError;
use crate::extract::{AdminAuth, AdminJson};
use crate::state::AppState;
use yundong_core::Clock;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_clock))
        .routes(routes!(advance_clock))
        .routes(routes!(set_clock))
        .routes(routes!(reset))
}

/// Apply every change up to now (this node's clock and caches included) before answering.
async fn follow(state: &AppState) -> Result<(), ApiError> {
    state.cache.feed.sync_now().await?;
    Ok(())
}

fn clock(state: &AppState) -> ClockResponse {
    ClockResponse {
        now: state.now(),
        offset_seconds: state.clock.offset(),
    }
}

fn movable(state: &AppState) -> Result<(), ApiError> {
    if state.config.shared_clock() {
        Ok(())
    } else {
        Err(ApiError::not_found(
            "the clock can be moved only on a server started with --dev-clock or --test-mode",
        ))
    }
}

/// The deployment's clock: Unix seconds and the offset from system time (the same on every node of a deployment
/// started with `--dev-clock` or `--test-mode`; 0 elsewhere).
#[utoipa::path(
    get, path = "/admin/v1/clock", tag = "admin", security(("admin" = [])),
    responses((status = 200, body = ClockResponse), (status = 401, body = AdminError))
)]
pub async fn get_clock(State(state): State<AppState>, _: AdminAuth) -> Result<Json<ClockResponse>, ApiError> {
    follow(&state).await?;
    Ok(Json(clock(&state)))
}

/// Move the deployment's clock forward by `seconds`, to test expiry without waiting. Only on a server started with
/// `--dev-clock` or `--test-mode`; every node of the deployment follows.
#[utoipa::path(
    post, path = "/admin/v1/clock/advance", tag = "admin", security(("admin" = [])),
    request_body = ClockAdvanceRequest,
    responses(
        (status = 200, body = ClockResponse), (status = 400, body = AdminError),
        (status = 401, body = AdminError),
        (status = 404, description = "not started with --dev-clock or --test-mode", body = AdminError),
    )
)]
pub async fn advance_clock(
    State(state): State<AppState>,
    _: AdminAuth,
    AdminJson(req): AdminJson<ClockAdvanceRequest>,
) -> Result<Json<ClockResponse>, ApiError> {
    movable(&state)?;
    if !(0..=366 * 86_400).contains(&req.seconds) {
        return Err(ApiError::invalid(
            "seconds must be between 0 and 31622400 (the clock only moves forward)",
        ));
    }
    state.store.advance_clock(req.seconds).await?;
    follow(&state).await?;
    Ok(Json(clock(&state)))
}

/// Move the deployment's clock forward to `at` (RFC 3339). Earlier than the clock's now is a 400: the clock only
/// moves forward (a reset rewinds it).
#[utoipa::path(
    post, path = "/admin/v1/clock/set", tag = "admin", security(("admin" = [])),
    request_body = ClockSetRequest,
    responses(
        (status = 200, body = ClockResponse), (status = 400, body = AdminError),
        (status = 401, body = AdminError),
        (status = 404, description = "not started with --dev-clock or --test-mode", body = AdminError),
    )
)]
pub async fn set_clock(
    State(state): State<AppState>,
    _: AdminAuth,
    AdminJson(req): AdminJson<ClockSetRequest>,
) -> Result<Json<ClockResponse>, ApiError> {
    movable(&state)?;
    let at = time::OffsetDateTime::parse(&req.at, &Rfc3339)
        .map_err(|_| ApiError::invalid(format!("at must be an RFC 3339 instant, got {:?}", req.at)))?
        .unix_timestamp();
    follow(&state).await?;
    let now = state.now();
    let system = Clock::system_now();
    if at < now || (at - system) > 100 * 366 * 86_400 {
        return Err(ApiError::invalid(format!(
            "the clock only moves forward: at must be between the deployment's now ({now}) and 100 years from \
             system time, got {at}"
        )));
    }
    if state.store.set_clock_forward(at - system).await?.is_none() {
        return Err(ApiError::invalid(
            "the clock only moves forward: another call moved it past at meanwhile",
        ));
    }
    follow(&state).await?;
    Ok(Json(clock(&state)))
}

/// Empty the deployment: users and all they did, chats, sessions, codes, counters, the request journal and the fault
/// rules; `{"keep": "apps"}` keeps the apps with their secrets and access tokens. The clock goes back to system time.
/// Every node drops its cached copies at once (the reset appends an "everyone" event to the change feed). Only on a
/// server started with `--test-mode` or `--dev-clock`.
#[utoipa::path(
    post, path = "/admin/v1/reset", tag = "admin", security(("admin" = [])),
    request_body = ResetRequest,
    responses(
        (status = 200, body = ResetResponse), (status = 400, body = AdminError), (status = 401, body = AdminError),
        (status = 403, description = "not started with --test-mode or --dev-clock", body = AdminError),
    )
)]
pub async fn reset(
    State(state): State<AppState>,
    _: AdminAuth,
    AdminJson(req): AdminJson<ResetRequest>,
) -> Result<Json<ResetResponse>, ApiError> {
    if !state.config.shared_clock() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "reset empties the deployment: it is allowed only on a server started with --test-mode or --dev-clock",
        ));
    }
    let keep_apps = req.keep == Some(ResetKeep::Apps);
    // The calls this node answered before the reset are stored first, so the reset deletes them too: otherwise the
    // writer would store them after it, and a test's journal would start with the previous test's calls.
    state.journal.flush().await;
    let removed = state.store.reset(keep_apps).await?;
    // The fault rules went with the rest (Store::reset): every node's copy follows through the change feed.
    follow(&state).await?;
    Ok(Json(ResetResponse {
        apps_removed: removed.apps,
        users_removed: removed.users,
        kept_apps: keep_apps,
        now: state.now(),
        offset_seconds: state.clock.offset(),
    }))
}
