//! The three error surfaces, each in its own wire format:
//! - WeChat API: HTTP 200 + `{"errcode", "errmsg": "<WeChat's text> rid: …"}` (WeChat's convention, kept on
//!   purpose: clients branch on errcode and some throw on any non-2xx status); `/sns/*` writes `…, rid: …`;
//! - client API: `{"errMsg": "<api>:fail <reason>"}`, HTTP 200 for outcomes a `wx.*` call reports, 4xx for requests
//!   that are malformed or unauthenticated;
//! - admin API: `{"error": {"code", "message"}}` with a matching HTTP status.
//!
//! Storage failures are logged here, once, and never echoed to the caller.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use yundong_proto::admin::{AdminError, AdminErrorDetail};
use yundong_proto::client::ErrMsg;
use yundong_proto::errcode::{ErrCode, ErrorBody, Family};
use yundong_proto::reason::Reason;
use yundong_store::StoreError;

use yundong_core::secrets;

/// A WeChat-API failure.
#[derive(Debug)]
pub struct WxError {
    pub code: ErrCode,
    pub detail: Option<String>,
}

impl WxError {
    pub fn new(code: ErrCode) -> Self {
        WxError { code, detail: None }
    }

    pub fn with(code: ErrCode, detail: impl Into<String>) -> Self {
        WxError {
            code,
            detail: Some(detail.into()),
        }
    }
}

impl From<ErrCode> for WxError {
    fn from(code: ErrCode) -> Self {
        WxError::new(code)
    }
}

/// The WeChat-compatible API's reading of every domain refusal (the one place it is decided).
impl From<yundong_core::Error> for WxError {
    fn from(e: yundong_core::Error) -> Self {
        use yundong_core::Error as E;
        match e {
            E::Invalid(text) | E::NotFound(text) => WxError::with(ErrCode::InvalidArgs, text),
            // Client-API refusals do not arise on this surface; should one, it is an argument WeChat would refuse.
            E::Refused(reason) => WxError::with(ErrCode::InvalidArgs, reason.text()),
            E::CodeInvalid => WxError::new(ErrCode::InvalidCode),
            E::CodeUsed => WxError::new(ErrCode::CodeBeenUsed),
            E::MinuteLimit(what) => WxError::with(ErrCode::MinuteQuota, what),
            E::DailyQuota => WxError::new(ErrCode::DailyQuota),
            E::Busy => WxError::with(ErrCode::SystemError, "concurrent updates, try again"),
            E::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for WxError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "storage failure");
        WxError::new(ErrCode::SystemError)
    }
}

/// What a WeChat-API failure answered, attached to its response: the journal layer renders the errmsg in the
/// path's family (`/sns/*` with a comma) and records the code, the rid and yundong's own detail.
#[derive(Debug, Clone)]
pub struct WxFailure {
    pub code: ErrCode,
    pub detail: Option<String>,
    pub rid: String,
}

impl WxFailure {
    /// The response for this failure on a path of `family`.
    pub fn response(&self, family: Family) -> Response {
        let mut res = (StatusCode::OK, Json(ErrorBody::new(self.code, family, &self.rid))).into_response();
        res.extensions_mut().insert(self.clone());
        res
    }
}

impl IntoResponse for WxError {
    fn into_response(self) -> Response {
        let code = self.code.code();
        let failure = WxFailure {
            code: self.code,
            detail: self.detail,
            rid: secrets::rid(),
        };
        // The detail is ours, not WeChat's: it goes to the log and the journal, never into errmsg.
        tracing::debug!(errcode = code, rid = %failure.rid, detail = failure.detail.as_deref(), "wechat api error");
        let mut res = failure.response(Family::Other);
        res.extensions_mut().insert(crate::metrics::http::WxErrcode(code));
        res
    }
}

/// A client-API failure: `{"errMsg": "<api>:fail <reason>"}`.
#[derive(Debug)]
pub struct ClientError {
    pub status: StatusCode,
    pub err_msg: String,
}

impl ClientError {
    /// An outcome the `wx.*` call itself reports (HTTP 200).
    pub fn fail(api: &str, reason: impl AsRef<str>) -> Self {
        ClientError {
            status: StatusCode::OK,
            err_msg: yundong_proto::client::fail(api, reason.as_ref()),
        }
    }

    /// A request that cannot be served as sent.
    pub fn status(status: StatusCode, api: &str, reason: impl AsRef<str>) -> Self {
        ClientError {
            status,
            err_msg: yundong_proto::client::fail(api, reason.as_ref()),
        }
    }

    /// A refusal from the client API's reason catalog (HTTP 200: the `wx.*` call reports it).
    pub fn reason(api: &str, reason: &Reason) -> Self {
        ClientError {
            status: StatusCode::OK,
            err_msg: reason.err_msg(api),
        }
    }

    /// The client API's reading of every domain refusal (the one place it is decided).
    pub fn core(api: &str, e: yundong_core::Error) -> Self {
        use yundong_core::Error as E;
        match e {
            E::Refused(Reason::UnknownUser) => {
                ClientError::status(StatusCode::UNAUTHORIZED, api, "unauthorized: unknown user")
            }
            E::Refused(Reason::SystemError) => {
                ClientError::status(StatusCode::SERVICE_UNAVAILABLE, api, Reason::SystemError.text())
            }
            E::Refused(reason) => ClientError::reason(api, &reason),
            E::Invalid(text) | E::NotFound(text) => ClientError::fail(api, text),
            E::CodeInvalid | E::CodeUsed => ClientError::fail(api, "invalid code"),
            E::MinuteLimit(what) => {
                ClientError::status(StatusCode::TOO_MANY_REQUESTS, api, format!("too many requests: {what}"))
            }
            E::DailyQuota => ClientError::status(StatusCode::TOO_MANY_REQUESTS, api, "too many requests"),
            E::Busy => ClientError::status(StatusCode::SERVICE_UNAVAILABLE, api, "busy, try again"),
            E::Store(e) => ClientError::store(api, e),
        }
    }

    pub fn store(api: &str, e: StoreError) -> Self {
        if let StoreError::QuotaExceeded { what, limit } = e {
            return ClientError::status(
                StatusCode::TOO_MANY_REQUESTS,
                api,
                format!("too many requests: at most {limit} {what}"),
            );
        }
        tracing::error!(error = %e, api, "storage failure");
        ClientError::status(StatusCode::SERVICE_UNAVAILABLE, api, "system error")
    }
}

impl IntoResponse for ClientError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrMsg { err_msg: self.err_msg })).into_response()
    }
}

/// An admin-API failure.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

/// The admin API's reading of every domain refusal (the one place it is decided).
impl From<yundong_core::Error> for ApiError {
    fn from(e: yundong_core::Error) -> Self {
        use yundong_core::Error as E;
        match e {
            E::Invalid(text) => ApiError::invalid(text),
            E::NotFound(text) => ApiError::not_found(text),
            E::Refused(reason) => ApiError::invalid(reason.text()),
            E::CodeInvalid | E::CodeUsed => ApiError::invalid(e.to_string()),
            E::MinuteLimit(_) | E::DailyQuota => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", e.to_string())
            }
            E::Busy => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", e.to_string()),
            E::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "storage failure");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database is unavailable",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = AdminError {
            error: AdminErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}
