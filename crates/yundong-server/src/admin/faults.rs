//! `/admin/v1/faults`: fault rules (see `crate::faults`), shared by every node of the deployment.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yundong_proto::admin::AdminError;
use yundong_proto::faults::{FaultList, FaultRequest, FaultRule, FaultStatus, Removed, parse_fault_id};
use yundong_store::NewFault;

use crate::error::ApiError;
use crate::extract::{AdminAuth, AdminJson};
use crate::faults::rule_of;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_fault, list_faults, clear_faults))
        .routes(routes!(remove_fault))
}

/// A seed for a rule that names none: random, and shown in the answer so the run can be repeated.
fn random_seed() -> i64 {
    let mut b = [0u8; 8];
    let _ = getrandom::fill(&mut b);
    (u64::from_le_bytes(b) >> 12) as i64
}

/// Add a fault rule: calls to `path` (by `appid`, when given) wait `delay_ms`, then are dropped (`drop`) or answered
/// `http_status` with WeChat's error body for `errcode` (client API paths: `{"errMsg"}`), with `probability`
/// (seeded by `seed`), on the next `times` matching calls only when given. A faulted call never reaches its handler.
#[utoipa::path(
    post, path = "/admin/v1/faults", tag = "admin", security(("admin" = [])),
    request_body = FaultRequest,
    responses((status = 201, body = FaultRule), (status = 400, body = AdminError), (status = 401, body = AdminError))
)]
pub async fn add_fault(
    State(state): State<AppState>,
    _: AdminAuth,
    AdminJson(req): AdminJson<FaultRequest>,
) -> Result<(StatusCode, Json<FaultRule>), ApiError> {
    let mut rule = req.validate(random_seed()).map_err(ApiError::invalid)?;
    if crate::journal::layer::is_wechat_path(&rule.path) && !crate::wechat::PATHS.contains(&rule.path.as_str()) {
        return Err(ApiError::invalid(format!(
            "yundong does not serve {} (it answers 40066 invalid url); faultable WeChat paths: {}",
            rule.path,
            crate::wechat::PATHS.join(", ")
        )));
    }
    let new = NewFault {
        path: rule.path.clone(),
        appid: rule.appid.clone(),
        errcode: rule.errcode,
        errmsg: rule.errmsg.clone(),
        http_status: rule.http_status,
        delay_ms: rule.delay_ms,
        drop: rule.drop,
        probability: rule.probability,
        seed: rule.seed,
        times: rule.times,
    };
    let id = state.store.add_fault(&new, state.now()).await?;
    rule.fault_id = yundong_proto::faults::fault_id(id);
    Ok((StatusCode::CREATED, Json(rule)))
}

/// The fault rules, oldest first, with how often each matched and fired and how many hits it has left.
#[utoipa::path(
    get, path = "/admin/v1/faults", tag = "admin", security(("admin" = [])),
    responses((status = 200, body = FaultList), (status = 401, body = AdminError))
)]
pub async fn list_faults(State(state): State<AppState>, _: AdminAuth) -> Result<Json<FaultList>, ApiError> {
    let faults = state
        .store
        .faults()
        .await?
        .iter()
        .map(|row| FaultStatus {
            rule: rule_of(row),
            hits: row.hits,
            remaining: row.remaining,
            matched: row.matched,
        })
        .collect();
    Ok(Json(FaultList { faults }))
}

/// Remove every fault rule.
#[utoipa::path(
    delete, path = "/admin/v1/faults", tag = "admin", security(("admin" = [])),
    responses((status = 200, body = Removed), (status = 401, body = AdminError))
)]
pub async fn clear_faults(State(state): State<AppState>, _: AdminAuth) -> Result<Json<Removed>, ApiError> {
    Ok(Json(Removed {
        removed: crate::faults::clear(&state).await?,
    }))
}

/// Remove one fault rule.
#[utoipa::path(
    delete, path = "/admin/v1/faults/{fault_id}", tag = "admin", security(("admin" = [])),
    params(("fault_id" = String, Path)),
    responses(
        (status = 200, body = Removed), (status = 400, body = AdminError), (status = 401, body = AdminError),
        (status = 404, body = AdminError),
    )
)]
pub async fn remove_fault(
    State(state): State<AppState>,
    _: AdminAuth,
    fault_id: Result<Path<String>, PathRejection>,
) -> Result<Json<Removed>, ApiError> {
    let Path(fault_id) = fault_id.map_err(|e| ApiError::invalid(format!("invalid path: {}", e.body_text())))?;
    let id = parse_fault_id(&fault_id).ok_or_else(|| ApiError::invalid("fault_id must look like f12"))?;
    if !state.store.remove_fault(id).await? {
        return Err(ApiError::not_found(format!("no fault rule {fault_id}")));
    }
    Ok(Json(Removed { removed: 1 }))
}
