//! The scenario file's shape (YAML; JSON is YAML too). The JSON Schema that documents it is `schema.json` beside this
//! file, served at `GET /admin/v1/scenario/schema`; a test validates the shipped examples and every export against it.

use serde::{Deserialize, Serialize};

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A known world: apps, users and what they did, their friendships, likes and chats.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<App>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<User>,
    /// Pairs of user keys: mutual friends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub friends: Vec<[String; 2]>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub likes: Vec<Like>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
    /// Pairs of user keys (friends): direct chats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chats: Vec<[String; 2]>,
}

/// A mini program with fixed credentials (`secret` may be left out: then a new app gets a generated one, an
/// existing app keeps its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct App {
    pub appid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_id: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub werun_share: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_platform: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub device_steps: bool,
}

/// A platform user, named by `key` in the rest of the file and found again by it on the next apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub nickname: String,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub werun: bool,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub join_ranking: bool,
    /// Friends (keys) this user hides their steps from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hide: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Steps>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    /// Appids of device apps whose wristband the user bound.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub check_ins: Vec<CheckIn>,
}

/// Steps of a day: `days_ago` (0 = today on the deployment's clock) or `date` (`YYYY-MM-DD`, local), exactly one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Steps {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_ago: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub steps: i64,
    /// The device app (appid) that wrote these steps; absent: the phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub appid: String,
    pub scope: String,
    pub allow: bool,
}

/// A `wx.shareToWeRun` check-in: `recordList` in the call's own shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_ago: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The exact instant (RFC 3339), instead of a day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The app that checked in; may be left out when the file has exactly one app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// `release` (default: shown in the ranking), `develop` or `trial`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(rename = "recordList")]
    pub record_list: Vec<serde_json::Value>,
}

/// `by` liked `of`'s steps of a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Like {
    pub by: String,
    pub of: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_ago: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// A group chat, found again by its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub name: String,
    pub members: Vec<String>,
}
