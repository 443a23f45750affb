//! The user's decisions on an app's scopes (`scope.werun`, `scope.userInfo` …): `wx.authorize`, `wx.getSetting`,
//! `wx.openSetting`. As in WeChat, a scope decided once is not asked again: only the settings page changes it, and
//! only for scopes the app has asked for before.

use std::collections::BTreeMap;

use yundong_proto::client::KNOWN_SCOPES;
use yundong_proto::reason::Reason;
use yundong_store::{AppId, UserId};

use crate::Core;
use crate::error::{Error, Result};

/// The user's answer to the authorization dialog for `scope`: the first answer is kept; a later call gets the kept
/// one. `Ok` when the scope is allowed, `auth deny` when it is denied.
pub async fn authorize(core: &Core, user: UserId, app: AppId, scope: &str, allow: bool) -> Result<()> {
    if !KNOWN_SCOPES.contains(&scope) {
        return Err(Error::Refused(Reason::InvalidScope));
    }
    let allowed = match core.store.grant(user, app, scope).await? {
        Some(allowed) => allowed,
        None => {
            core.store.set_grant(user, app, scope, allow, core.now()).await?;
            allow
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::Refused(Reason::AuthDeny))
    }
}

/// The scopes the user has decided for the app: `true` allowed, `false` denied, absent undecided.
pub async fn settings(core: &Core, user: UserId, app: AppId) -> Result<BTreeMap<String, bool>> {
    Ok(core.store.grants(user, app).await?.into_iter().collect())
}

/// The settings page: change decided scopes. A scope the app never asked for is refused, and nothing changes.
pub async fn change(core: &Core, user: UserId, app: AppId, changes: &BTreeMap<String, bool>) -> Result<()> {
    let decided = core.store.grants(user, app).await?;
    if let Some(scope) = changes.keys().find(|s| !decided.iter().any(|(d, _)| d == *s)) {
        return Err(Error::invalid(format!("{scope} was never requested by this app")));
    }
    let now = core.now();
    for (scope, allow) in changes {
        core.store.set_grant(user, app, scope, *allow, now).await?;
    }
    Ok(())
}
