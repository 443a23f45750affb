//! `wx.shareToWeRun`: a mini program's sport check-in (docs/WECHAT.md §5, docs/DESIGN.md §5.10).

use axum::Json;
use axum::extract::State;
use yundong_proto::client::{ErrMsg, ok};
use yundong_proto::werun_social::{EnvVersion, RecordView, ShareToWeRunRequest, ShareToWeRunResponse};
use yundong_store::CheckInRow;

use super::app;
use crate::error::ClientError;
use crate::extract::{ClientJson, UserAuth};
use crate::state::AppState;
use yundong_core::checkins;

const API: &str = "shareToWeRun";

fn answer(state: &AppState, row: &CheckInRow) -> ShareToWeRunResponse {
    let env = EnvVersion::parse(&row.env).unwrap_or(if row.shown {
        EnvVersion::Release
    } else {
        EnvVersion::Develop
    });
    ShareToWeRunResponse {
        err_msg: ok(API),
        check_in_id: row.id,
        env_version: env,
        shown: row.shown,
        date: state.config.day_zone.format_date(row.day),
        created_at: row.created_at,
        record_list: row.records.iter().map(RecordView::from).collect(),
    }
}

/// `wx.shareToWeRun`: record a sport check-in for the signed-in user; `confirm` is their answer to the dialog.
///
/// Checks run in this order, and the first that fails answers (HTTP 200 unless noted); nothing is stored by a
/// failed or cancelled call:
///
/// 1. bearer token (401) and a well-formed JSON body with `appid` and `confirm` (400);
/// 2. `appid` names an app, else `fail invalid appid`;
/// 3. the app's category is exactly `体育-在线健身` and its werun_share switch is on, else `shareToWeRun: fail has no permission` (WeChat's exact text)
///    (WeChat checks the permission before it shows anything: `checkWxaSportRecord:fail`, docs/WECHAT.md §5.3);
/// 4. `envVersion` is absent, `release`, `develop` or `trial`, else `fail invalid envVersion …`;
/// 5. `recordList` is valid (docs/DESIGN.md §5.10), else `fail <message naming the record and field>`: a record the
///    dialog could not show is never put to the user;
/// 6. `idempotencyKey`, when given, is 1–128 characters without control characters;
/// 7. the dialog: `confirm: false` → `fail cancel`;
/// 8. storage: every confirmed call is a new check-in (WeChat never dedupes, docs/WECHAT.md §5.1), except that a key
///    this user already used with this app answers the first call's result, unchanged, and stores nothing. The key is
///    claimed only by a stored check-in, so a failed or cancelled call leaves it free.
///
/// `develop` and `trial` builds get `ok` and are stored with `shown: false`: they never reach the ranking or the
/// detail page (docs/WECHAT.md §5.1). The answer's `checkInId`, `shown`, `date` and `recordList` are yundong's
/// extension.
#[utoipa::path(
    post, path = "/client/v1/wx/shareToWeRun", tag = "client", security(("user" = [])),
    request_body = ShareToWeRunRequest,
    responses(
        (status = 200, description = "`shareToWeRun:ok` with the check-in, or `shareToWeRun: fail has no permission` / `fail cancel` / `fail invalid appid` / `fail invalid envVersion …` / `fail recordList[i].field …`", body = ShareToWeRunResponse),
        (status = 400, body = ErrMsg), (status = 401, body = ErrMsg),
        (status = 429, description = "over the user's check-in quota (service::quotas)", body = ErrMsg),
    )
)]
pub async fn share_to_werun(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    ClientJson(req): ClientJson<ShareToWeRunRequest>,
) -> Result<Json<ShareToWeRunResponse>, ClientError> {
    let app = app(&state, API, &req.appid).await?;
    let post = checkins::Post {
        env_version: req.env_version.as_deref(),
        record_list: &req.record_list,
        idempotency_key: req.idempotency_key.as_deref(),
        confirm: req.confirm,
    };
    let row = checkins::share(&state, user.id, &app, &post)
        .await
        .map_err(|e| ClientError::core(API, e))?;
    Ok(Json(answer(&state, &row)))
}
