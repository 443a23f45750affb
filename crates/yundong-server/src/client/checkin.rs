//! `wx.shareToWeRun`: a mini program's sport check-in (spec §5, DESIGN §5.10).

use axum::Json;
use axum::extract::State;
use yundong_proto::admin::CATEGORY_FITNESS;
use yundong_proto::client::{ErrMsg, ok};
use yundong_proto::sport::validate_record_list;
use yundong_proto::werun_social::{EnvVersion, RecordView, ShareToWeRunRequest, ShareToWeRunResponse};
use yundong_store::{AppRow, CheckInRow, NewCheckIn};

use super::app;
use crate::error::ClientError;
use crate::extract::{ClientJson, UserAuth};
use crate::state::AppState;
use yundong_core::quotas;

const API: &str = "shareToWeRun";

/// The longest `idempotencyKey` accepted, in characters.
pub const MAX_IDEMPOTENCY_KEY: usize = 128;

/// Whether an app may call `wx.shareToWeRun`: category exactly `体育-在线健身` and the switch on (spec §5.1).
fn may_share(app: &AppRow) -> bool {
    app.werun_share && app.category.as_deref() == Some(CATEGORY_FITNESS)
}

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
///    (WeChat checks the permission before it shows anything: `checkWxaSportRecord:fail`, spec §5.3);
/// 4. `envVersion` is absent, `release`, `develop` or `trial`, else `fail invalid envVersion …`;
/// 5. `recordList` is valid (DESIGN §5.10), else `fail <message naming the record and field>`: a record the dialog
///    could not show is never put to the user;
/// 6. `idempotencyKey`, when given, is 1–128 characters without control characters;
/// 7. the dialog: `confirm: false` → `fail cancel`;
/// 8. storage: every confirmed call is a new check-in (WeChat never dedupes, spec §5.1), except that a key this user
///    already used with this app answers the first call's result, unchanged, and stores nothing. The key is claimed
///    only by a stored check-in, so a failed or cancelled call leaves it free.
///
/// `develop` and `trial` builds get `ok` and are stored with `shown: false`: they never reach the ranking or the
/// detail page (spec §5.1). The answer's `checkInId`, `shown`, `date` and `recordList` are yundong's extension.
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
    if !may_share(&app) {
        return Err(ClientError::exact(yundong_proto::client::SHARE_TO_WERUN_NO_PERMISSION));
    }
    let env = match req.env_version.as_deref() {
        None => EnvVersion::Release,
        Some(text) => EnvVersion::parse(text)
            .ok_or_else(|| ClientError::fail(API, "invalid envVersion: must be release, develop or trial"))?,
    };
    let records = validate_record_list(&req.record_list).map_err(|e| ClientError::fail(API, e.message()))?;
    if let Some(key) = &req.idempotency_key {
        let n = key.chars().count();
        if n == 0 || n > MAX_IDEMPOTENCY_KEY || key.chars().any(char::is_control) {
            return Err(ClientError::fail(
                API,
                "invalid idempotencyKey: must be 1 to 128 characters without control characters",
            ));
        }
    }
    if !req.confirm {
        return Err(ClientError::fail(API, "cancel"));
    }
    let now = state.now();
    let check_in = NewCheckIn {
        user_id: user.id,
        app_id: app.id,
        env: env.as_str(),
        shown: env.shown(),
        day: state.config.day_zone.day_start(now),
        created_at: now,
        records: &records,
        idempotency_key: req.idempotency_key.as_deref(),
    };
    let (row, _created) = state
        .store
        .insert_check_in(&check_in, &quotas::check_in(&state.config, user.id, now))
        .await
        .map_err(|e| ClientError::store(API, e))?;
    Ok(Json(answer(&state, &row)))
}
