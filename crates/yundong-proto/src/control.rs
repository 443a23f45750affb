//! Admin wire types of the test-double controls (issue 13): the deployment's clock and reset.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// `POST /admin/v1/clock/set`: move the deployment's clock forward to `at` (RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClockSetRequest {
    pub at: String,
}

/// `POST /admin/v1/reset`: `{"keep": "apps"}` keeps the apps and their credentials; `{}` empties everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep: Option<ResetKeep>,
}

/// What a reset keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ResetKeep {
    Apps,
}

/// What a reset removed, and the clock after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ResetResponse {
    pub apps_removed: u64,
    pub users_removed: u64,
    pub kept_apps: bool,
    pub now: i64,
    pub offset_seconds: i64,
}

/// What applying a scenario file did. Credentials appear only when this apply generated them (shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ScenarioApplied {
    pub apps: Vec<AppliedApp>,
    pub users: Vec<AppliedUser>,
    /// Check-ins added (those already there are not added again).
    pub check_ins_added: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AppliedApp {
    pub appid: String,
    pub created: bool,
    /// The generated secret of an app this apply created without one in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AppliedUser {
    pub key: String,
    pub user_id: i64,
    pub created: bool,
    /// The generated token of a user this apply created without one in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}
