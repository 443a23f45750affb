//! The client API: what the WeChat app does for a signed-in user (docs/DESIGN.md §3.2). Field names follow the `wx.*`
//! API each call stands for, and every answer carries an `errMsg` in WeChat's form (`getWeRunData:ok`, `…:fail …`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The scope that guards `wx.getWeRunData`.
pub const SCOPE_WERUN: &str = "scope.werun";

/// Scopes a user can be asked about. yundong gates WeRun on `scope.werun`; the others are remembered for apps that
/// ask for them.
pub const KNOWN_SCOPES: [&str; 8] = [
    SCOPE_WERUN,
    "scope.userInfo",
    "scope.userLocation",
    "scope.userFuzzyLocation",
    "scope.record",
    "scope.writePhotosAlbum",
    "scope.camera",
    "scope.bluetooth",
];

/// The body of every client answer that carries nothing but its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrMsg {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AppIdRequest {
    pub appid: String,
}

/// `wx.login` → `{errMsg: "login:ok", code}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LoginResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    pub code: String,
}

/// The user's answer to an authorization dialog for `scope`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuthorizeRequest {
    pub appid: String,
    pub scope: String,
    pub allow: bool,
}

/// `wx.openSetting`: the user flips scopes in the settings page, the only way back from a denial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OpenSettingRequest {
    pub appid: String,
    #[serde(rename = "authSetting")]
    pub auth_setting: BTreeMap<String, bool>,
}

/// `wx.getSetting` / `wx.openSetting` → the decided scopes; an undecided scope is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SettingResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    #[serde(rename = "authSetting")]
    pub auth_setting: BTreeMap<String, bool>,
}

/// The phone's step sensor: the absolute total for a local day (`YYYY-MM-DD`, default today).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StepsRequest {
    pub steps: i64,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
}

/// What was stored (`step`, after the daily cap) and the day's total over all sources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StepsResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    pub date: String,
    pub timestamp: i64,
    pub step: i64,
    pub total: i64,
}

/// `wx.getWeRunData`. `allow` is the user's answer if the authorization dialog is shown (scope undecided).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct GetWeRunDataRequest {
    pub appid: String,
    #[serde(default)]
    pub allow: Option<bool>,
}

/// Encrypted open data as `wx.getWeRunData` / `wx.getShareInfo` return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EncryptedDataResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    #[serde(rename = "encryptedData")]
    pub encrypted_data: String,
    pub iv: String,
    #[serde(rename = "cloudID")]
    pub cloud_id: String,
}

/// A user's WeRun switches. `werun` off makes getWeRunData answer `fail device not support`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WeRunSettings {
    pub werun: bool,
    pub join_ranking: bool,
}

/// A partial update of [`WeRunSettings`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WeRunSettingsUpdate {
    #[serde(default)]
    pub werun: Option<bool>,
    #[serde(default)]
    pub join_ranking: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WeRunSettingsResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    #[serde(flatten)]
    pub settings: WeRunSettings,
}

/// A mini program of this deployment, as a signed-in user may see it (the simulator's app picker). No secret: secrets
/// are kept as hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AppView {
    pub appid: String,
    pub name: String,
    /// `gh_…`, the `userName` of its share cards.
    pub original_id: String,
    /// May use `wx.shareToWeRun`.
    pub werun_share: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AppsResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    /// In the order they were registered.
    pub apps: Vec<AppView>,
}

/// `<api>:ok`.
pub fn ok(api: &str) -> String {
    format!("{api}:ok")
}

/// `<api>:fail <reason>` (the reasons' catalog is [`crate::reason::Reason`]).
pub fn fail(api: &str, reason: &str) -> String {
    format!("{api}:fail {reason}")
}

/// `POST /client/v1/devices/bind` and `/unbind`: the device app (by appid) whose wristband the user binds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DeviceRequest {
    pub appid: String,
}

/// A wristband the user bound: the device app and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DeviceBinding {
    pub appid: String,
    /// The app's name, as the pages show it.
    pub name: String,
    /// Unix seconds.
    pub bound_at: i64,
}

/// The user's bound wristbands, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DevicesResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    pub devices: Vec<DeviceBinding>,
}
