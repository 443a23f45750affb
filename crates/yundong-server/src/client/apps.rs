//! The deployment's mini programs, for a signed-in user to pick one to open (the simulator's app picker).

use axum::Json;
use axum::extract::State;
use yundong_proto::client::{AppView, AppsResponse, ErrMsg, ok};

use crate::error::ClientError;
use crate::extract::SignedIn;
use crate::state::AppState;

/// Every mini program of this deployment: appid, name, original id and whether it may use `wx.shareToWeRun`. Never
/// a secret (only hashes are kept). WeChat has no such call: it stands for the app list a user finds in WeChat.
#[utoipa::path(
    get, path = "/client/v1/apps", tag = "client", security(("user" = [])),
    responses((status = 200, description = "`apps:ok`", body = AppsResponse), (status = 401, body = ErrMsg))
)]
pub async fn list_apps(
    State(state): State<AppState>,
    SignedIn(_viewer): SignedIn,
) -> Result<Json<AppsResponse>, ClientError> {
    const API: &str = "apps";
    let apps = state
        .store
        .list_apps()
        .await
        .map_err(|e| ClientError::store(API, e))?
        .into_iter()
        .map(|a| AppView {
            appid: a.appid,
            name: a.name,
            original_id: a.original_id,
            werun_share: a.werun_share,
        })
        .collect();
    Ok(Json(AppsResponse { err_msg: ok(API), apps }))
}
