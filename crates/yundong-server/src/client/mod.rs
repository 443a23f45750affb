//! The client API (docs/DESIGN.md §3.2): what the WeChat app does on behalf of a signed-in platform user. Each call
//! stands for a `wx.*` API and answers with its `errMsg`.

mod apps;
mod checkin;
mod devices;
mod login;
mod ranking;
mod share;
mod steps;
mod werun;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yundong_store::AppRow;

use crate::error::ClientError;
use crate::state::AppState;
use yundong_proto::reason::Reason;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(share::routes())
        .routes(routes!(apps::list_apps))
        .routes(routes!(login::login))
        .routes(routes!(devices::list))
        .routes(routes!(devices::bind))
        .routes(routes!(devices::unbind))
        .routes(routes!(login::authorize))
        .routes(routes!(login::get_setting))
        .routes(routes!(login::open_setting))
        .routes(routes!(steps::upload_steps))
        .routes(routes!(werun::get_werun_data))
        .routes(routes!(werun::get_settings, werun::update_settings))
        .routes(routes!(checkin::share_to_werun))
        .routes(routes!(ranking::get_ranking))
        .routes(routes!(ranking::like))
        .routes(routes!(ranking::likes))
        .routes(routes!(ranking::hide))
        .routes(routes!(ranking::friends))
        .routes(routes!(ranking::detail))
}

/// The app a client call names, or `<api>:fail invalid appid`. Anything not shaped like an appid is refused before
/// the lookup (PostgreSQL cannot even compare a text holding NUL, and no appid looks otherwise).
pub(crate) async fn app(state: &AppState, api: &str, appid: &str) -> Result<std::sync::Arc<AppRow>, ClientError> {
    if !yundong_proto::ids::is_appid(appid) {
        return Err(ClientError::reason(api, &Reason::InvalidAppid));
    }
    match state.app_by_appid(appid).await {
        Ok(Some(app)) => Ok(app),
        Ok(None) => Err(ClientError::reason(api, &Reason::InvalidAppid)),
        Err(e) => Err(ClientError::store(api, e)),
    }
}
