//! The admin API (docs/DESIGN.md §3.3): apps, users, friendships and the dev clock. Errors are
//! `{"error": {"code", "message"}}` with a matching HTTP status.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The category that may use `wx.shareToWeRun` (docs/WECHAT.md §5.1).
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

/// A page of `GET /admin/v1/users`: users with ids above `after` (default 0), `limit` of them (1–1000, default 100).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct UserListQuery {
    /// Only users with a larger `user_id` (the previous page's `next_after`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(minimum = 0))]
    pub after: Option<i64>,
    /// Users per page, 1–1000; default 100.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    pub limit: Option<i64>,
}

/// A platform user as listed (tokens are kept as hashes and never listed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UserSummary {
    pub user_id: i64,
    pub nickname: String,
    /// WeRun switched on.
    pub werun: bool,
    /// Shown on friends' rankings.
    pub join_ranking: bool,
}

/// One page of users, in id order. `next_after` (absent on the last page) is the `after` of the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UserList {
    /// All users, on every page.
    pub total: i64,
    pub users: Vec<UserSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_after: Option<i64>,
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
