//! `/readyz`: whether this node can serve, i.e. the database answers and its schema is current. A load balancer sends
//! traffic only to ready nodes; `/healthz` stays the cheap liveness check that touches nothing.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The longest a readiness check waits for the database before answering 503.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    status: &'static str,
    /// Why not: `database_unreachable`, `migrations_pending` or `migrations_modified`.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    /// A sentence for the operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// The newest migration this binary carries, and the newest applied to the database (when it answered).
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_binary: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_database: Option<i64>,
}

fn not_ready(reason: &'static str, message: String, schema: Option<(i64, i64)>) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(Readiness {
            status: "not_ready",
            reason: Some(reason),
            message: Some(message),
            schema_binary: schema.map(|s| s.0),
            schema_database: schema.map(|s| s.1),
        }),
    )
        .into_response()
}

/// Readiness: 200 when the database answers and every migration this binary carries is applied; 503 with the
/// reason otherwise.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, body = Readiness, description = "Ready to serve"),
    (status = 503, body = Readiness, description = "Not ready: the reason says why"),
))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let check = async {
        state.store.ping().await?;
        state.store.schema_status().await
    };
    let status = match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(status)) => status,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            return not_ready("database_unreachable", "the database does not answer".into(), None);
        }
        Err(_) => {
            return not_ready(
                "database_unreachable",
                format!("the database did not answer within {} s", CHECK_TIMEOUT.as_secs()),
                None,
            );
        }
    };
    let schema = Some((status.binary, status.database));
    if !status.modified.is_empty() {
        return not_ready(
            "migrations_modified",
            format!("applied migrations differ from this binary's: {:?}", status.modified),
            schema,
        );
    }
    if !status.pending.is_empty() {
        return not_ready(
            "migrations_pending",
            format!("migrations not applied yet: {:?}", status.pending),
            schema,
        );
    }
    (
        StatusCode::OK,
        Json(Readiness {
            status: "ready",
            reason: None,
            message: None,
            schema_binary: schema.map(|s| s.0),
            schema_database: schema.map(|s| s.1),
        }),
    )
        .into_response()
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(readyz))
}
