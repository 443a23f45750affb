//! `POST /cgi-bin/openapi/rid/get`: the call that handed out a rid, from the request journal (docs/WECHAT.md).

use axum::Json;
use axum::extract::State;
use yundong_proto::errcode::ErrCode;
use yundong_proto::wechat::{RidRequest, RidResponse};

use super::app_for_token;
use crate::error::WxError;
use crate::extract::WxPost;
use crate::openapi::RidAnswer;
use crate::state::AppState;

/// A rid's shape: three groups of 8 lowercase hex digits joined by `-`.
fn is_rid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 3
        && groups
            .iter()
            .all(|g| g.len() == 8 && g.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// `POST /cgi-bin/openapi/rid/get?access_token=…` with `{"rid"}`.
///
/// Answers the call that handed out `rid`: when it arrived, how long it took, its URL parameters and body (secrets
/// masked as `***`), the answer and the caller's IP. Checks: the token (41001/40001/42001), `rid` present and
/// shaped like one (76002), journaled within the last 7 days and not pruned (76001), made by the calling app
/// (76003; a call no app could be told for, such as one with an unknown token, can be read by any app).
#[utoipa::path(
    post, path = "/cgi-bin/openapi/rid/get", tag = "wechat",
    params(("access_token" = String, Query)),
    responses((status = 200, description = "request, or errcode 41001/40001/42001/76001/76002/76003", body = RidAnswer))
)]
pub async fn rid_get(State(state): State<AppState>, WxPost(params): WxPost) -> Result<Json<RidResponse>, WxError> {
    let app = app_for_token(&state, &params).await?;
    let rid = params.body_text("rid").ok_or(ErrCode::RidIsError)?;
    if !is_rid(&rid) {
        return Err(ErrCode::RidIsError.into());
    }
    // What this node journaled before now is stored before it is looked for.
    state.journal.flush().await;
    let row = state
        .store
        .journal_by_rid(&rid)
        .await?
        .filter(|r| r.entry.at >= state.now() - state.config.journal_max_age)
        .ok_or(ErrCode::RidNotFound)?;
    if row.entry.appid.as_deref().is_some_and(|owner| owner != app.appid) {
        return Err(ErrCode::RidNoPermission.into());
    }
    let e = row.entry;
    Ok(Json(RidResponse {
        errcode: 0,
        errmsg: "ok".into(),
        request: RidRequest {
            invoke_time: e.at,
            cost_in_ms: e.latency_ms,
            request_url: e.query,
            request_body: e.body,
            response_body: e.response,
            client_ip: e.client_ip,
        },
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn rid_shape() {
        assert!(super::is_rid("61725984-6126f6f9-040f19c4"));
        for bad in [
            "",
            "61725984-6126f6f9",
            "61725984-6126f6f9-040f19c4-0",
            "6172598G-6126f6f9-040f19c4",
            "A1725984-6126f6f9-040f19c4",
        ] {
            assert!(!super::is_rid(bad), "{bad}");
        }
    }
}
