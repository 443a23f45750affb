//! Cross-cutting HTTP: middleware (request ids, tracing without query strings, body limit, panic guard), the
//! fallbacks that answer unknown paths in the right wire format, and `/healthz`.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yundong_proto::errcode::ErrCode;

use crate::error::{ApiError, WxError};
use crate::metrics::http::MetricsLayer;
use crate::state::AppState;

use crate::journal::layer::is_wechat_path;

pub async fn fallback(uri: Uri) -> Response {
    if is_wechat_path(uri.path()) {
        WxError::new(ErrCode::InvalidUrl).into_response()
    } else {
        ApiError::not_found("no such path").into_response()
    }
}

pub async fn method_not_allowed(uri: Uri) -> Response {
    if is_wechat_path(uri.path()) {
        WxError::new(ErrCode::RequirePost).into_response()
    } else {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "method not allowed on this path",
        )
        .into_response()
    }
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
}

/// Liveness: answers while the process serves requests; touches nothing else.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

pub fn health_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz))
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error").into_response()
}

/// The span of a request: method and route template only. Query strings carry secrets (`secret`, `js_code`,
/// `access_token`, `signature`) and are never recorded.
fn make_span(req: &Request) -> Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    tracing::info_span!("request", method = %req.method(), route, status = tracing::field::Empty)
}

fn on_response<B>(res: &axum::http::Response<B>, latency: Duration, span: &Span) {
    span.record("status", res.status().as_u16());
    tracing::debug!(latency_us = latency.as_micros() as u64, "response");
}

/// `metrics`, when on, is outermost: it counts every answer as sent (panics caught, body limits applied) and times
/// all of it. It is one more layer of the same stack, so it adds no boxed future per request.
pub fn layers(router: Router, body_limit: usize, metrics: Option<MetricsLayer>) -> Router {
    router.layer(
        ServiceBuilder::new()
            .option_layer(metrics)
            .layer(SetSensitiveRequestHeadersLayer::new([
                header::AUTHORIZATION,
                header::COOKIE,
            ]))
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(make_span)
                    .on_request(())
                    .on_response(on_response),
            )
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(DefaultBodyLimit::max(body_limit)),
    )
}
