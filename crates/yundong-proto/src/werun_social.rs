//! The WeRun social surface of the client API (docs/DESIGN.md §3.2, §5.10–5.11): `wx.shareToWeRun` check-ins, the daily
//! friends ranking with its cover and likes, per-friend hiding, and the detail page.
//!
//! `wx.*` calls keep WeChat's camelCase (`recordList`, `envVersion`); yundong's own `werun/*` calls use snake_case
//! like the settings call (`user_id`, `join_ranking`). Every answer carries `errMsg`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sport::{SportRecord, Unit};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The build that calls `wx.shareToWeRun`: only `release` check-ins are shown on the ranking and detail page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum EnvVersion {
    Release,
    Develop,
    Trial,
}

impl EnvVersion {
    pub const fn as_str(self) -> &'static str {
        match self {
            EnvVersion::Release => "release",
            EnvVersion::Develop => "develop",
            EnvVersion::Trial => "trial",
        }
    }

    pub fn parse(text: &str) -> Option<EnvVersion> {
        [EnvVersion::Release, EnvVersion::Develop, EnvVersion::Trial]
            .into_iter()
            .find(|e| e.as_str() == text)
    }

    /// Whether check-ins from this build appear in WeRun (docs/WECHAT.md §5.1: dev and trial builds succeed, show
    /// nothing).
    pub const fn shown(self) -> bool {
        matches!(self, EnvVersion::Release)
    }
}

/// One `recordList` entry as a mini program passes it (documentation only: the server reads the raw JSON so that
/// a wrong entry gets a message naming its index and field). Exactly one unit per record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RecordInput {
    #[serde(rename = "typeId")]
    pub type_id: i64,
    /// Minutes, 1–1440.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<i64>,
    /// Metres, 1–100000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance: Option<i64>,
    /// Kilocalories, 1–10000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calorie: Option<i64>,
    /// Count, 1–10000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<i64>,
}

/// `wx.shareToWeRun`. `confirm` is the user's answer to the confirmation dialog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ShareToWeRunRequest {
    pub appid: String,
    /// `release` (default), `develop` or `trial`.
    #[serde(rename = "envVersion", default)]
    pub env_version: Option<String>,
    /// 1–10 records.
    #[serde(rename = "recordList", default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<RecordInput>))]
    pub record_list: Value,
    pub confirm: bool,
    /// yundong's extension: a retry with the same key (per user and app) answers the first call's result instead
    /// of recording the check-in again. 1–128 printable characters.
    #[serde(rename = "idempotencyKey", default)]
    pub idempotency_key: Option<String>,
}

/// A record as yundong answers it: the catalog name, the unit it was given in and the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RecordView {
    #[serde(rename = "typeId")]
    pub type_id: i64,
    /// The sport's Chinese name (`跑步`).
    pub name: String,
    pub unit: Unit,
    pub value: i64,
}

impl From<&SportRecord> for RecordView {
    fn from(r: &SportRecord) -> Self {
        RecordView {
            type_id: r.type_id,
            name: r.name().to_owned(),
            unit: r.unit,
            value: r.value,
        }
    }
}

/// `shareToWeRun:ok`, with what was recorded (yundong's extension: WeChat answers only `errMsg`). A retry with a
/// used `idempotencyKey` answers exactly this body again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ShareToWeRunResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    #[serde(rename = "checkInId")]
    pub check_in_id: i64,
    #[serde(rename = "envVersion")]
    pub env_version: EnvVersion,
    /// Whether the check-in appears on the ranking and detail page (release builds only).
    pub shown: bool,
    /// The local day of the check-in, `YYYY-MM-DD`.
    pub date: String,
    /// Unix seconds.
    #[serde(rename = "createdAt")]
    pub created_at: i64,
    #[serde(rename = "recordList")]
    pub record_list: Vec<RecordView>,
}

/// `GET /client/v1/werun/ranking?date=YYYY-MM-DD&limit=50&cursor=…` (default today, the first 50 rows).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct RankingQuery {
    /// A local day within the 31-day window, `YYYY-MM-DD`; default today.
    #[serde(default)]
    pub date: Option<String>,
    /// Rows per page, 1 to [`RANKING_PAGE_MAX`]; default [`RANKING_PAGE_DEFAULT`].
    #[serde(default)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page (opaque); absent for the first page.
    #[serde(default)]
    pub cursor: Option<String>,
}

pub const RANKING_PAGE_DEFAULT: i64 = 50;
pub const RANKING_PAGE_MAX: i64 = 200;

/// One row of the ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RankingEntry {
    pub user_id: i64,
    pub nickname: String,
    /// The day's total: the highest over the user's sources.
    pub steps: i64,
    /// 1-based; users with equal steps share a rank (1, 1, 3).
    pub rank: i64,
    /// Likes this row has received for the day, from anyone.
    pub likes: i64,
    /// Whether the viewer has liked this row for the day.
    pub liked: bool,
    /// The first record of the user's latest shown (release) check-in of the day, if any.
    pub checkin: Option<RecordView>,
}

/// The day's leader, whose picture the viewer's ranking shows ("XXX占领了封面").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Cover {
    pub user_id: i64,
    pub nickname: String,
    pub steps: i64,
}

/// The viewer's friends ranking for a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RankingResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Local midnight of the day, Unix seconds.
    pub timestamp: i64,
    /// The viewer's own switch: false means friends don't see the viewer, though the viewer still does.
    pub join_ranking: bool,
    /// The viewer's rank on their own ranking.
    pub my_rank: i64,
    /// The first row, or null when nobody on the ranking has a step that day.
    pub cover: Option<Cover>,
    /// One page of rows: steps descending; equal steps by user_id ascending. The first page starts at rank 1.
    pub ranking: Vec<RankingEntry>,
    /// The viewer's own row (also on whichever page holds it).
    pub me: RankingEntry,
    /// Rows on the whole ranking (the viewer included).
    pub total: i64,
    /// Pass as `cursor` for the rows after this page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Like or unlike a ranking row. Without `liked` the like is toggled; with it, set (a retry-safe form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LikeRequest {
    pub user_id: i64,
    /// `YYYY-MM-DD` within the 31-day window; default today.
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub liked: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LikeResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    pub user_id: i64,
    pub date: String,
    /// Whether the viewer now likes the row.
    pub liked: bool,
    /// The row's like count for the day, after the change.
    pub likes: i64,
}

/// `GET /client/v1/werun/likes?date=YYYY-MM-DD` (default today): who liked the viewer's own row that day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct LikesQuery {
    /// A local day within the 31-day window, `YYYY-MM-DD`; default today.
    #[serde(default)]
    pub date: Option<String>,
}

/// Someone who liked the viewer's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Liker {
    pub user_id: i64,
    pub nickname: String,
    /// When they liked it (Unix seconds).
    pub liked_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LikesResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    pub date: String,
    /// Earliest like first.
    pub likers: Vec<Liker>,
}

/// Hide (or show again) one's own steps from one friend. Takes effect at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HideRequest {
    pub user_id: i64,
    pub hidden: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HideResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    pub user_id: i64,
    pub hidden: bool,
}

/// A friend, and whether the viewer hides their own steps from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FriendEntry {
    pub user_id: i64,
    pub nickname: String,
    pub hidden: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FriendsResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    pub friends: Vec<FriendEntry>,
}

/// `GET /client/v1/werun/detail?user_id=` (default the viewer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct DetailQuery {
    #[serde(default)]
    pub user_id: Option<i64>,
    /// Check-ins per page, 1–100 (default 20).
    #[serde(default)]
    pub checkins_limit: Option<i64>,
    /// The page of check-ins after this cursor (`checkins_next` of the previous page).
    #[serde(default)]
    pub checkins_cursor: Option<i64>,
}

/// Check-ins per detail page by default, and at most.
pub const DETAIL_CHECKINS_DEFAULT: i64 = 20;
pub const DETAIL_CHECKINS_MAX: i64 = 100;

/// One day of the detail page's chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DayStep {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Local midnight (UTC+8 by default), Unix seconds.
    pub timestamp: i64,
    pub step: i64,
}

/// A shown check-in on the detail page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CheckInView {
    pub id: i64,
    /// The mini program it came from.
    pub appid: String,
    pub app_name: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Unix seconds.
    pub created_at: i64,
    pub records: Vec<RecordView>,
}

/// A user's detail page: 31 days of steps and their shown check-ins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DetailResponse {
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    pub user_id: i64,
    pub nickname: String,
    /// 31 entries, ascending, zero-filled; the last is today.
    pub days: Vec<DayStep>,
    /// Shown (release) check-ins of the window, newest first: one page (`checkins_limit`).
    pub checkins: Vec<CheckInView>,
    /// The cursor of the next page of check-ins, absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkins_next: Option<i64>,
}
