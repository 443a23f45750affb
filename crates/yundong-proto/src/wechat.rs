//! Success bodies of the WeChat-compatible server API (docs/DESIGN.md §3.1). Failures are
//! [`crate::errcode::ErrorBody`].

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// `GET /sns/jscode2session` on success. `unionid` only when the app is bound to an open platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Code2SessionResponse {
    pub openid: String,
    pub session_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
}

/// `GET /cgi-bin/token` and `POST /cgi-bin/stable_token` on success. `expires_in` is a JSON number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AccessTokenResponse {
    pub access_token: String,
    pub expires_in: i64,
}

/// `POST /cgi-bin/stable_token` request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StableTokenRequest {
    pub grant_type: String,
    pub appid: String,
    pub secret: String,
    #[serde(default)]
    pub force_refresh: bool,
}

/// `/wxa/resetusersessionkey` on success.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ResetSessionKeyResponse {
    pub errcode: i32,
    pub errmsg: String,
    pub openid: String,
    pub session_key: String,
}

/// `POST /wxa/getopendata` request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct GetOpenDataRequest {
    pub cloudid_list: Vec<String>,
}

/// One entry of `data_list`: `json` is a JSON *string* holding `{"cloudID", "data"}` (docs/DESIGN.md §5.8), or
/// `{"cloudID", "errCode", "errMsg"}` for an expired or unknown cloudID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OpenDataItem {
    pub cloud_id: String,
    pub json: String,
}

/// `POST /wxa/getopendata` on success: one entry per requested cloudID, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct GetOpenDataResponse {
    pub errcode: i32,
    pub errmsg: String,
    pub data_list: Vec<OpenDataItem>,
}

/// The errCode WeChat's cloud functions put in place of the data of an expired cloudID (docs/WECHAT.md §1.6).
pub const CLOUD_ID_EXPIRED: i64 = -601006;
/// Our errCode for a cloudID that never existed or belongs to another app (WeChat's is undocumented).
pub const CLOUD_ID_INVALID: i64 = -601007;

/// `POST /cgi-bin/openapi/quota/get` on success: an API's daily quota for the calling app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct QuotaResponse {
    pub errcode: i32,
    pub errmsg: String,
    pub quota: Quota,
    /// The per-app call-rate limit, for the APIs yundong limits per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
}

/// `quota` of [`QuotaResponse`]: calls allowed today, made today, left today (0, 0, 0 when not counted daily).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Quota {
    pub daily_limit: i64,
    pub used: i64,
    pub remain: i64,
}

/// `rate_limit` of [`QuotaResponse`]: `call_count` calls per `refresh_second` seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RateLimit {
    pub call_count: i64,
    pub refresh_second: i64,
}

/// `POST /cgi-bin/openapi/rid/get` on success: the call that handed out the rid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RidResponse {
    pub errcode: i32,
    pub errmsg: String,
    pub request: RidRequest,
}

/// `request` of [`RidResponse`]. Secrets in the URL parameters and bodies are masked as `***`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RidRequest {
    /// Unix seconds when the call arrived.
    pub invoke_time: i64,
    pub cost_in_ms: i64,
    /// The call's URL parameters (the query string).
    pub request_url: String,
    pub request_body: String,
    pub response_body: String,
    pub client_ip: String,
}
