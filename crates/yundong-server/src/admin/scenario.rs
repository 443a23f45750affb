//! Scenario files over the admin API (issue 13): apply (`POST`, the file as the body, YAML or JSON), export (`GET`,
//! JSON, or YAML with `?format=yaml`) and the file's JSON Schema. The work is `yundong_core::scenario`'s.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yundong_proto::admin::AdminError;

use crate::error::ApiError;
use crate::extract::AdminAuth;
use crate::state::AppState;
use yundong_core::scenario::{self, MAX_FILE_BYTES};
use yundong_proto::control::ScenarioApplied;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(apply_scenario, export_scenario))
        .layer(DefaultBodyLimit::max(MAX_FILE_BYTES))
        .routes(routes!(scenario_schema))
}

/// Apply a scenario file (the request body, YAML or JSON; its JSON Schema is at `/admin/v1/scenario/schema`). All of
/// it or, on any error, nothing. Idempotent: applying the same file again changes nothing and keeps every id.
/// Credentials generated for apps and users the file creates without fixed ones are in this answer only.
#[utoipa::path(
    post, path = "/admin/v1/scenario", tag = "admin", security(("admin" = [])),
    request_body(content = serde_json::Value, content_type = "application/yaml",
        description = "a scenario file (YAML; JSON is accepted too)"),
    responses(
        (status = 200, body = ScenarioApplied), (status = 400, body = AdminError), (status = 401, body = AdminError),
        (status = 413, body = AdminError),
    )
)]
pub async fn apply_scenario(
    State(state): State<AppState>,
    _: AdminAuth,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ScenarioApplied>, ApiError> {
    let body = body.map_err(|_| {
        ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("a scenario file is at most {MAX_FILE_BYTES} bytes"),
        )
    })?;
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::invalid("a scenario file is UTF-8 text"))?;
    let parsed = scenario::parse(text)?;
    let config = &state.config;
    let applied = scenario::apply(
        &state.store,
        &parsed,
        state.now(),
        config.day_zone,
        config.daily_step_cap,
    )
    .await?;
    Ok(Json(applied))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `json` (default) or `yaml` (the text `yundong scenario export` writes).
    pub format: Option<String>,
}

/// The current state as a scenario file. Secrets and tokens are never exported (they are stored as hashes):
/// applying the export keeps existing credentials and generates new ones for what it creates.
#[utoipa::path(
    get, path = "/admin/v1/scenario", tag = "admin", security(("admin" = [])),
    params(ExportQuery),
    responses(
        (status = 200, description = "the scenario (JSON; `?format=yaml`: YAML text)", body = serde_json::Value),
        (status = 400, body = AdminError), (status = 401, body = AdminError),
    )
)]
pub async fn export_scenario(
    State(state): State<AppState>,
    _: AdminAuth,
    q: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::invalid(format!("invalid query: {}", e.body_text())))?;
    let world = scenario::export(&state.store, state.config.day_zone).await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(world).into_response()),
        Some("yaml") => Ok((
            [(header::CONTENT_TYPE, "application/yaml; charset=utf-8")],
            scenario::to_yaml(&world)?,
        )
            .into_response()),
        Some(other) => Err(ApiError::invalid(format!("format must be json or yaml, got {other:?}"))),
    }
}

/// The JSON Schema (2020-12) of scenario files.
#[utoipa::path(
    get, path = "/admin/v1/scenario/schema", tag = "admin", security(("admin" = [])),
    responses((status = 200, body = serde_json::Value), (status = 401, body = AdminError))
)]
pub async fn scenario_schema(_: AdminAuth) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], scenario::SCHEMA).into_response()
}
