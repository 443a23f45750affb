//! `wx.shareToWeRun`: a fitness mini program's sport check-in. Allowed to apps with the WeRun share capability in
//! the fitness category (else `has no permission`, WeChat's text); the record list follows WeChat's sport types and
//! units (`yundong_proto::sport`); `develop` and `trial` check-ins are stored but not shown to friends; an
//! idempotency key makes a retried post return the first check-in; the user's check-in quotas are charged in the
//! writing transaction.

use yundong_proto::admin::CATEGORY_FITNESS;
use yundong_proto::reason::Reason;
use yundong_proto::sport::validate_record_list;
use yundong_proto::werun_social::EnvVersion;
use yundong_store::{AppRow, CheckInRow, NewCheckIn, UserId};

use crate::Core;
use crate::error::{Error, Result};
use crate::quotas;

/// The longest idempotency key, in characters.
pub const MAX_IDEMPOTENCY_KEY: usize = 128;

/// A check-in as the mini program posts it.
pub struct Post<'a> {
    pub env_version: Option<&'a str>,
    pub record_list: &'a serde_json::Value,
    pub idempotency_key: Option<&'a str>,
    /// The user's answer to the confirmation sheet.
    pub confirm: bool,
}

/// Whether `app` may post check-ins to WeRun: category exactly `体育-在线健身` and the switch on (docs/WECHAT.md §5.1).
pub fn may_share(app: &AppRow) -> bool {
    app.werun_share && app.category.as_deref() == Some(CATEGORY_FITNESS)
}

/// Store the check-in (or, for a repeated idempotency key, find the first one).
pub async fn share(core: &Core, user_id: UserId, app: &AppRow, post: &Post<'_>) -> Result<CheckInRow> {
    if !may_share(app) {
        return Err(Reason::NoPermission.into());
    }
    let env = match post.env_version {
        None => EnvVersion::Release,
        Some(text) => {
            EnvVersion::parse(text).ok_or(Error::invalid("invalid envVersion: must be release, develop or trial"))?
        }
    };
    let records = validate_record_list(post.record_list).map_err(|e| Error::invalid(e.message().to_owned()))?;
    if let Some(key) = post.idempotency_key {
        let n = key.chars().count();
        if n == 0 || n > MAX_IDEMPOTENCY_KEY || key.chars().any(char::is_control) {
            return Err(Error::invalid(
                "invalid idempotencyKey: must be 1 to 128 characters without control characters",
            ));
        }
    }
    if !post.confirm {
        return Err(Reason::Cancel.into());
    }
    let now = core.now();
    let check_in = NewCheckIn {
        user_id,
        app_id: app.id,
        env: env.as_str(),
        shown: env.shown(),
        day: core.config.day_zone.day_start(now),
        created_at: now,
        records: &records,
        idempotency_key: post.idempotency_key,
    };
    let (row, _created) = core
        .store
        .insert_check_in(&check_in, &quotas::check_in(&core.config, user_id, now))
        .await?;
    Ok(row)
}
