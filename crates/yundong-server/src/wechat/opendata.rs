//! `POST /wxa/getopendata`: exchange cloudIDs for the open data they stand for (docs/WECHAT.md §1.6, docs/DESIGN.md
//! §5.8).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use yundong_proto::errcode::ErrCode;
use yundong_proto::wechat::{CLOUD_ID_EXPIRED, CLOUD_ID_INVALID, GetOpenDataResponse, OpenDataItem};

use super::app_for_token;
use crate::error::WxError;
use crate::extract::WxPost;
use crate::openapi::OpenDataAnswer;
use crate::state::AppState;
use yundong_core::opendata;

/// The most cloudIDs one call may exchange. A cloudID carries its data (≈ 1.7 KB for WeRun data), so this also keeps
/// a full request under the 64 KiB body limit.
pub const MAX_CLOUD_IDS: usize = 20;

/// `POST /wxa/getopendata?access_token=…` with `{"cloudid_list": [...]}`.
///
/// `access_token` is read from the query string, `cloudid_list` from the JSON body. Answers one `data_list` entry
/// per cloudID, in order. Each `json` is a string: `{"cloudID", "data"}` for a live
/// cloudID of this app, `{"cloudID", "errCode": -601006, "errMsg": "cloudID expired."}` after its 5 minutes, and
/// `{"cloudID", "errCode": -601007, "errMsg": "cloudID invalid."}` for one that is unknown or another app's.
#[utoipa::path(
    post, path = "/wxa/getopendata", tag = "wechat",
    params(("access_token" = String, Query)),
    request_body = yundong_proto::wechat::GetOpenDataRequest,
    responses((status = 200, description = "data_list, or errcode 40001/41001/42001/47001", body = OpenDataAnswer))
)]
pub async fn getopendata(
    State(state): State<AppState>,
    WxPost(params): WxPost,
) -> Result<Json<GetOpenDataResponse>, WxError> {
    let app = app_for_token(&state, &params).await?;
    let Some(Value::Array(list)) = params.body("cloudid_list") else {
        return Err(WxError::with(
            ErrCode::DataFormatError,
            "cloudid_list must be an array of strings",
        ));
    };
    if list.is_empty() || list.len() > MAX_CLOUD_IDS {
        return Err(WxError::with(
            ErrCode::DataFormatError,
            "cloudid_list must hold 1 to 20 cloudIDs",
        ));
    }
    let ids: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
    if ids.len() != list.len() {
        return Err(WxError::with(
            ErrCode::DataFormatError,
            "cloudid_list must be an array of strings",
        ));
    }
    let now = state.now();
    let mut data_list = Vec::with_capacity(ids.len());
    for id in ids {
        let content = opendata::open_cloud_id(&state.cloud_key, id).filter(|c| c.app_id == app.id);
        let json = match content {
            Some(c) if c.expires_at > now => {
                let data: Value = serde_json::from_str(&c.data).map_err(|_| ErrCode::SystemError)?;
                json!({"cloudID": id, "data": data})
            }
            Some(_) => json!({"cloudID": id, "errCode": CLOUD_ID_EXPIRED, "errMsg": "cloudID expired."}),
            None => json!({"cloudID": id, "errCode": CLOUD_ID_INVALID, "errMsg": "cloudID invalid."}),
        };
        data_list.push(OpenDataItem {
            cloud_id: id.to_owned(),
            json: json.to_string(),
        });
    }
    Ok(Json(GetOpenDataResponse {
        errcode: 0,
        errmsg: "ok".into(),
        data_list,
    }))
}
