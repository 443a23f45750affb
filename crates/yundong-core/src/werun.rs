//! `wx.getWeRunData`'s rule: WeRun on for the user (else `device not support`, WeChat's text), `scope.werun`
//! allowed (denied: `auth deny`; undecided: the dialog's answer `allow`, none: `authorize no response`), a live
//! session with the app (else `need login`); then the last 31 days of steps, sealed under the session_key. The gate
//! (switch, grant, session, days) is cached per node and kept true by the change feed.

use std::sync::Arc;

use yundong_proto::client::SCOPE_WERUN;
use yundong_proto::reason::Reason;
use yundong_store::{AppId, AppRow, Gate, SESSION_TOUCH_STEP, StoreError, UserId, UserRow};

use crate::Core;
use crate::cache::{Entry, Loaded};
use crate::error::{Error, Result};
use crate::opendata::{self, Sealed};

/// The user's 31 days of steps for `app`, sealed for its back end. `allow` is the user's answer to the
/// authorization dialog, used only while the scope is undecided (and then remembered).
pub async fn data(core: &Core, user_id: UserId, app: &AppRow, allow: Option<bool>) -> Result<Sealed> {
    let now = core.now();
    let window = core.config.day_zone.window(now);
    let (first_day, last_day) = (window[0], window[window.len() - 1]);
    let gate = cached_gate(core, user_id, app.id, first_day, last_day).await?;
    let Some(gate) = &gate.value else {
        return Err(Reason::UnknownUser.into());
    };
    if !gate.werun {
        return Err(Reason::DeviceNotSupport.into());
    }
    match (gate.grant, allow) {
        (Some(true), _) => {}
        (Some(false), _) => return Err(Reason::AuthDeny.into()),
        (None, Some(allow)) => {
            core.store.set_grant(user_id, app.id, SCOPE_WERUN, allow, now).await?;
            if !allow {
                return Err(Reason::AuthDeny.into());
            }
        }
        (None, None) => return Err(Reason::AuthorizeNoResponse.into()),
    }
    let Some(session) = gate.session.as_ref().filter(|s| s.expires_at > now) else {
        return Err(Reason::NeedLogin.into());
    };
    let data = opendata::werun_data(app, &window, &gate.days, now);
    let sealed = opendata::seal_werun(core, app, &session.session_key, &data).ok_or(Reason::NeedLogin)?;
    let expires_at = now + core.config.session_ttl;
    if session.expires_at < expires_at - SESSION_TOUCH_STEP {
        core.store.touch_session(user_id, app.id, now, expires_at).await?;
    }
    Ok(sealed)
}

/// The gate of `user_id` for `app_id` over the window `[first_day, last_day]`: from this node's cache when nothing it
/// depends on changed since it was read (the feed is synced first, by `get_or_load`), else from the database.
async fn cached_gate(
    core: &Core,
    user_id: UserId,
    app_id: AppId,
    first_day: i64,
    last_day: i64,
) -> Result<Arc<Entry<Option<Gate>>>, StoreError> {
    let cache = &core.cache;
    let load = || async move {
        let gate = core
            .store
            .gate(user_id, app_id, SCOPE_WERUN, first_day, last_day)
            .await?;
        let cost = 256 + gate.as_ref().map_or(0, |g| g.days.len() * 16);
        Ok::<_, StoreError>(Loaded {
            value: gate,
            deps: vec![user_id],
            cost,
        })
    };
    cache
        .gates
        .get_or_load(&cache.feed, (user_id, app_id, first_day), load)
        .await
}

/// Change the user's WeRun switches; the switches after the change.
pub async fn update_settings(
    core: &Core,
    user_id: UserId,
    werun: Option<bool>,
    join_ranking: Option<bool>,
) -> Result<UserRow> {
    core.store
        .update_werun_settings(user_id, werun, join_ranking)
        .await?
        .ok_or(Error::Refused(Reason::UnknownUser))
}
