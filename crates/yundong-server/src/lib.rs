//! The yundong HTTP server: the WeChat-compatible API, the client API and the admin API on one axum router.
//!
//! [`router`] builds the whole application from an [`AppState`]; [`serve`] runs it on a bound listener until a
//! shutdown future resolves. Tests bind `127.0.0.1:0` and call [`serve`] directly.

pub mod admin;
pub mod admin_auth;
pub mod client;
pub mod cors;
pub mod error;
pub mod extract;
pub mod faults;
mod http;
pub mod journal;
pub mod listener;
pub mod metrics;
pub mod openapi;
mod ready;
pub mod state;
pub mod ui;
pub mod wechat;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;
use yundong_core::secrets;
use yundong_store::{Store, StoreError};

pub use state::AppState;
pub use yundong_core::{Config, Core, Limits};

/// The whole application, with its OpenAPI document at `/openapi.json` and Swagger UI at `/docs/`.
pub fn router(state: AppState) -> Router {
    let (api, mut doc) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(wechat::routes())
        .merge(client::routes())
        .merge(admin::routes())
        .merge(http::health_routes())
        .merge(ready::routes())
        .split_for_parts();
    openapi::finish(&mut doc);
    let body_limit = state.config.body_limit;
    let metrics = state.config.metrics.then(|| state.metrics.http.clone());
    let mut api = api.merge(ui::docs_headers(
        SwaggerUi::new("/docs").url("/openapi.json", doc).into(),
    ));
    if metrics.is_some() && state.config.metrics_on_main_listener {
        api = api.route("/metrics", axum::routing::get(metrics::metrics));
    }
    let mut app = api
        .merge(ui::routes())
        .fallback(http::fallback)
        .method_not_allowed_fallback(http::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            journal::layer::wechat,
        ));
    // Outside the journal: a preflight is answered here, never faulted or journaled.
    if let Some(cors) = cors::Cors::new(&state.config.cors_origins) {
        app = app.layer(axum::middleware::from_fn_with_state(cors, cors::layer));
    }
    http::layers(
        app.with_state(state),
        body_limit,
        metrics.map(metrics::http::MetricsLayer),
    )
}

/// The admin token's hash in force: `YUNDONG_ADMIN_TOKEN` when given, else the one generated at first start. The
/// plaintext of a newly generated token is returned so the caller can print it once.
pub async fn admin_token(store: &Store, from_env: Option<&str>) -> Result<(String, Option<String>), StoreError> {
    if let Some(token) = from_env.filter(|t| !t.is_empty()) {
        if admin_auth::token_problem(token).is_some() {
            return Err(StoreError::Invalid(
                "YUNDONG_ADMIN_TOKEN must be at least 32 characters, without surrounding whitespace",
            ));
        }
        return Ok((secrets::hash(token), None));
    }
    if let Some(hash) = store.setting("admin_token_hash").await? {
        return Ok((hash, None));
    }
    let token = secrets::admin_token();
    let stored = store
        .setting_or_insert("admin_token_hash", &secrets::hash(&token))
        .await?;
    // Another node may have generated one first: then that one is in force and ours was never valid.
    let fresh = (stored == secrets::hash(&token)).then_some(token);
    Ok((stored, fresh))
}

/// Serve `state` on `listener` until `shutdown` resolves, then finish in-flight requests (within the configured
/// grace period; see [`listener`]). Also runs the janitor that
/// drops expired codes, cloudIDs, counters and tokens.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let janitor = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let now = state.now();
                if let Err(e) = state.store.purge_expired(now).await {
                    tracing::warn!(error = %e, "janitor could not purge expired rows");
                }
                if let Err(e) = state.store.purge_expired_share(now - 86_400).await {
                    tracing::warn!(error = %e, "janitor could not purge expired share files and tickets");
                }
                if let Err(e) = state
                    .store
                    .prune_journal(now - state.config.journal_max_age, state.config.journal_size)
                    .await
                {
                    tracing::warn!(error = %e, "janitor could not prune the request journal");
                }
            }
        })
    };
    let limits = state.config.limits.clone();
    let caches = state.cache.clone();
    let app = router(state);
    let result = listener::run(listener, app, limits, Some(caches), shutdown).await;
    janitor.abort();
    result
}
