//! Request parsing on arbitrary bytes: every request body type of the three APIs (serde, as the server's `ClientJson`
//! / `AdminJson` extractors read them, and `ShareMiniProgramMessageRequest::parse`, which reads raw JSON by hand), and
//! the text parsers that request parameters go through (dates, zones, identifier shapes, temp-file names, URLs,
//! content types, image magic bytes). Nothing may panic; what parses must serialise and parse back to itself; a date
//! that parses is a local midnight that formats back to the same text.
#![no_main]

use std::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use yundong_proto::day::DayZone;
use yundong_proto::share::{self, ImageKind, ShareMiniProgramMessageRequest};
use yundong_proto::werun_social::EnvVersion;
use yundong_proto::{admin, client, ids, wechat, werun_social};

/// `T` from `value`; if it parses, its JSON form must parse back to the same `T`.
fn round_trip<T: DeserializeOwned + Serialize + PartialEq + Debug>(value: &Value) -> Option<T> {
    let parsed = T::deserialize(value).ok()?;
    let again = serde_json::to_value(&parsed).expect("a parsed request serialises");
    assert_eq!(T::deserialize(&again).ok().as_ref(), Some(&parsed));
    Some(parsed)
}

fn bodies(v: &Value) {
    round_trip::<client::AppIdRequest>(v);
    round_trip::<client::AuthorizeRequest>(v);
    round_trip::<client::OpenSettingRequest>(v);
    round_trip::<client::StepsRequest>(v);
    round_trip::<client::GetWeRunDataRequest>(v);
    round_trip::<client::WeRunSettingsUpdate>(v);
    if let Some(req) = round_trip::<werun_social::ShareToWeRunRequest>(v) {
        let _ = yundong_proto::sport::validate_record_list(&req.record_list);
        if let Some(env) = req.env_version.as_deref().and_then(EnvVersion::parse) {
            assert_eq!(env.as_str(), req.env_version.as_deref().unwrap_or_default());
        }
    }
    round_trip::<werun_social::LikeRequest>(v);
    round_trip::<werun_social::HideRequest>(v);
    round_trip::<werun_social::RankingQuery>(v);
    round_trip::<werun_social::DetailQuery>(v);
    round_trip::<share::OpenShareRequest>(v);
    round_trip::<share::GetShareInfoRequest>(v);
    round_trip::<share::MessagesQuery>(v);
    round_trip::<share::CreateConversationRequest>(v);
    round_trip::<share::CreateGroupRequest>(v);
    round_trip::<wechat::StableTokenRequest>(v);
    round_trip::<wechat::GetOpenDataRequest>(v);
    round_trip::<admin::CreateAppRequest>(v);
    round_trip::<admin::CreateUserRequest>(v);
    round_trip::<admin::FriendshipRequest>(v);
    round_trip::<admin::ClockAdvanceRequest>(v);
    // Read by hand so that every failure names its parameter: a shape error or a rule error, never a panic.
    if let Ok(req) = ShareMiniProgramMessageRequest::parse(v)
        && req.validate().is_ok()
    {
        assert!(ids::is_original_id(&req.user_name));
        assert!(!req.path.is_empty() && share::check_web_url(&req.webpage_url).is_ok());
        assert!(share::temp_file_name(&req.image_path).is_some());
    }
}

fn strings(s: &str) {
    for zone in [
        DayZone::CHINA,
        DayZone::new(0).unwrap_or_default(),
        DayZone::new(-18 * 3600).unwrap_or_default(),
    ] {
        if let Some(day) = zone.parse_date(s) {
            assert_eq!(zone.day_start(day), day, "{s}");
            assert_eq!(zone.format_date(day), s);
        }
    }
    let _ = DayZone::parse(s);
    if ids::is_appid(s) || ids::is_original_id(s) || ids::is_openid(s) {
        assert!(s.is_ascii());
    }
    if let Some(name) = share::temp_file_name(s) {
        assert!(share::is_temp_file_name(name));
    }
    let _ = share::check_web_url(s);
    let _ = ImageKind::from_content_type(s);
    let _ = EnvVersion::parse(s);
}

fuzz_target!(|data: &[u8]| {
    let _ = ImageKind::sniff(data);
    strings(&String::from_utf8_lossy(data));
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    bodies(&value);
    if let Value::Object(map) = &value {
        for v in map.values() {
            match v {
                Value::String(s) => strings(s),
                other => bodies(other),
            }
        }
    }
});
