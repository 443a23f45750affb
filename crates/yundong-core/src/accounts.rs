//! Creating apps, users and friendships: shared by the admin API and the CLI, so both validate the same way.

use yundong_proto::admin::{
    AppCreated, AppInfo, CreateAppRequest, SecretReset, TokenReset, UpdateAppRequest, UserCreated, UserList,
    UserListQuery, UserSummary,
};
use yundong_store::{AppRow, NewApp, Store, UserId};

use crate::error::{Error, Result};
use crate::secrets;

/// Display text: 1 to `max_chars` characters, none of them control or invisible formatting characters.
pub fn check_text(field: &str, value: &str, max_chars: usize) -> Result<()> {
    match yundong_proto::text::display_text_problem(value, max_chars) {
        Some(problem) => Err(Error::invalid(format!("{field} {problem}"))),
        None => Ok(()),
    }
}

/// Register a mini program: a fresh appid, secret and original id. The secret is returned once and kept as a hash.
pub async fn create_app(store: &Store, req: &CreateAppRequest, now: i64) -> Result<AppCreated> {
    check_text("name", &req.name, 64)?;
    if let Some(c) = &req.category {
        check_text("category", c, 64)?;
    }
    if let Some(p) = &req.open_platform
        && (p.is_empty() || p.len() > 64 || !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    {
        return Err(Error::invalid("open_platform must be 1 to 64 of [A-Za-z0-9_-]"));
    }
    let secret = secrets::app_secret();
    let app = NewApp {
        appid: secrets::appid(),
        secret_hash: secrets::hash(&secret),
        original_id: secrets::original_id(),
        name: req.name.trim().to_owned(),
        category: req.category.as_ref().map(|c| c.trim().to_owned()),
        werun_share: req.werun_share.unwrap_or(false),
        open_platform: req.open_platform.clone(),
        device_steps: req.device_steps.unwrap_or(false),
    };
    let row = store.create_app(&app, now).await?;
    Ok(AppCreated {
        appid: row.appid,
        secret,
        original_id: row.original_id,
        name: row.name,
        category: row.category,
        werun_share: row.werun_share,
        open_platform: row.open_platform,
        device_steps: row.device_steps,
    })
}

/// An app's public settings.
pub fn app_info(row: &AppRow) -> AppInfo {
    AppInfo {
        appid: row.appid.clone(),
        original_id: row.original_id.clone(),
        name: row.name.clone(),
        category: row.category.clone(),
        werun_share: row.werun_share,
        open_platform: row.open_platform.clone(),
        device_steps: row.device_steps,
    }
}

fn no_app(appid: &str) -> Error {
    Error::not_found(format!("no app {appid}"))
}

/// Change an app's settings (the device capability).
pub async fn update_app(store: &Store, appid: &str, req: &UpdateAppRequest) -> Result<AppInfo> {
    if !yundong_proto::ids::is_appid(appid) {
        return Err(no_app(appid));
    }
    let row = store
        .update_app(appid, req.device_steps)
        .await?
        .ok_or_else(|| no_app(appid))?;
    Ok(app_info(&row))
}

/// Give an app a new secret (returned once, kept as a hash). The old secret stops working at once on every node:
/// the change feed tells each node to drop its copy of the app.
pub async fn reset_app_secret(store: &Store, appid: &str) -> Result<SecretReset> {
    if !yundong_proto::ids::is_appid(appid) {
        return Err(no_app(appid));
    }
    let secret = secrets::app_secret();
    if !store.reset_app_secret(appid, &secrets::hash(&secret)).await? {
        return Err(no_app(appid));
    }
    Ok(SecretReset {
        appid: appid.to_owned(),
        secret,
    })
}

/// Give a user a new client token (returned once, kept as a hash). The old token stops working at once on every node.
pub async fn reset_user_token(store: &Store, user_id: UserId) -> Result<TokenReset> {
    let token = secrets::user_token();
    if !store.reset_user_token(user_id, &secrets::hash(&token)).await? {
        return Err(Error::not_found(format!("no user {user_id}")));
    }
    Ok(TokenReset {
        user_id: user_id.0,
        token,
    })
}

/// Register a platform user with a fresh client bearer token (returned once, kept as a hash).
pub async fn create_user(store: &Store, nickname: &str, now: i64) -> Result<UserCreated> {
    check_text("nickname", nickname, 32)?;
    let token = secrets::user_token();
    let row = store.create_user(nickname.trim(), &secrets::hash(&token), now).await?;
    Ok(UserCreated {
        user_id: row.id.0,
        nickname: row.nickname,
        token,
    })
}

/// Make two existing, different users friends (both ways). False when they already were.
pub async fn befriend(store: &Store, a: UserId, b: UserId, now: i64) -> Result<bool> {
    if a == b {
        return Err(Error::invalid("a user cannot befriend themselves"));
    }
    for id in [a, b] {
        if store.user_by_id(id).await?.is_none() {
            return Err(Error::not_found(format!("no user {id}")));
        }
    }
    Ok(store.add_friendship(a, b, now).await?)
}

/// A page of users (`after` exclusive, `limit` 1–1000, default 100): shared by `GET /admin/v1/users` and
/// `yundong user list`.
pub async fn list_users(store: &Store, q: &UserListQuery) -> Result<UserList> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1_000).contains(&limit) {
        return Err(Error::invalid("limit must be between 1 and 1000"));
    }
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(Error::invalid("after must be a user_id (0 or more)"));
    }
    // One more than asked tells whether another page follows.
    let mut rows = store.list_users(UserId(after), limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_after = if more { rows.last().map(|r| r.id.0) } else { None };
    Ok(UserList {
        total: store.user_count().await?,
        users: rows
            .into_iter()
            .map(|r| UserSummary {
                user_id: r.id.0,
                nickname: r.nickname,
                werun: r.werun,
                join_ranking: r.join_ranking,
            })
            .collect(),
        next_after,
    })
}
