//! The admin API (DESIGN §3.3): apps, users, friendships and the dev clock. Errors are
//! `{"error": {"code", "message"}}` with a matching HTTP status.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The category that may use `wx.shareToWeRun` (spec §5.1).
pub const CATEGORY_FITNESS: &str = "体育-在线健身";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreateAppRequest {
    pub name: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub werun_share: Option<bool>,
    /// An open-platform account id; apps of one open platform share a user's unionid.
    #[serde(default)]
    pub open_platform: Option<String>,
    /// The device capability: the app may write the steps of users who bound its wristband, with
    /// `/hardware/bracelet/setstep`. Off by default.
    #[serde(default)]
    pub device_steps: Option<bool>,
}

/// A change to an app's settings; absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateAppRequest {
    #[serde(default)]
    pub device_steps: Option<bool>,
}

/// An app as it is now (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AppInfo {
    pub appid: String,
    pub original_id: String,
    pub name: String,
    pub category: Option<String>,
    pub werun_share: bool,
    pub open_platform: Option<String>,
    pub device_steps: bool,
}

/// An app's new secret, shown only here; the old one stopped working when this was answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SecretReset {
    pub appid: String,
    pub secret: String,
}

/// A user's new client token, shown only here; the old one stopped working when this was answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TokenReset {
    pub user_id: i64,
    pub token: String,
}

/// A new app. `secret` is shown only here: yundong keeps its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AppCreated {
    pub appid: String,
    pub secret: String,
    pub original_id: String,
    pub name: String,
    pub category: Option<String>,
    pub werun_share: bool,
    pub open_platform: Option<String>,
    #[serde(default)]
    pub device_steps: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreateUserRequest {
    pub nickname: String,
}

/// A new platform user. `token` is the user's client bearer token, shown only here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UserCreated {
    pub user_id: i64,
    pub nickname: String,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FriendshipRequest {
    pub a: i64,
    pub b: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FriendshipCreated {
    pub a: i64,
    pub b: i64,
    /// False when the two were friends already.
    pub created: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ClockAdvanceRequest {
    pub seconds: i64,
}

/// The server's clock after a change: Unix seconds and the total dev offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ClockResponse {
    pub now: i64,
    pub offset_seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AdminErrorDetail {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AdminError {
    pub error: AdminErrorDetail,
}
