//! The decrypted open-data payloads: WeRun steps and share info, each with its watermark (docs/WECHAT.md §1.4, §6.2).

use serde::{Deserialize, Serialize};

/// One day of WeRun steps: `timestamp` is local midnight of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepInfo {
    pub timestamp: i64,
    pub step: i64,
}

/// `{"timestamp", "appid"}`: when the data was produced, and for which mini program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watermark {
    pub timestamp: i64,
    pub appid: String,
}

/// The plaintext of `wx.getWeRunData`'s `encryptedData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeRunData {
    #[serde(rename = "stepInfoList")]
    pub step_info_list: Vec<StepInfo>,
    pub watermark: Watermark,
}

/// The plaintext of `wx.getShareInfo`'s `encryptedData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareInfo {
    #[serde(rename = "openGId")]
    pub open_gid: String,
    pub watermark: Watermark,
}
