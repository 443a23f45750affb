//! Apps, users, friendships, per-app openids and per-platform unionids, grants.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::durably;
use crate::{AppId, Result, Store, UserId, flag};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApp {
    pub appid: String,
    pub secret_hash: String,
    pub original_id: String,
    pub name: String,
    pub category: Option<String>,
    pub werun_share: bool,
    pub open_platform: Option<String>,
    /// The device capability: may write users' steps with `/hardware/bracelet/setstep`.
    pub device_steps: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRow {
    pub id: AppId,
    pub appid: String,
    pub secret_hash: String,
    pub original_id: String,
    pub name: String,
    pub category: Option<String>,
    pub werun_share: bool,
    pub open_platform: Option<String>,
    pub device_steps: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: UserId,
    pub nickname: String,
    pub werun: bool,
    pub join_ranking: bool,
}

pub(crate) const APP_COLUMNS: &str =
    "id, appid, secret_hash, original_id, name, category, werun_share, open_platform, device_steps";

pub(crate) fn app_row(r: &AnyRow) -> Result<AppRow> {
    Ok(AppRow {
        id: r.try_get("id")?,
        appid: r.try_get("appid")?,
        secret_hash: r.try_get("secret_hash")?,
        original_id: r.try_get("original_id")?,
        name: r.try_get("name")?,
        category: r.try_get("category")?,
        werun_share: r.try_get::<i64, _>("werun_share")? != 0,
        open_platform: r.try_get("open_platform")?,
        device_steps: r.try_get::<i64, _>("device_steps")? != 0,
    })
}

fn user_row(r: &AnyRow) -> Result<UserRow> {
    Ok(UserRow {
        id: r.try_get("id")?,
        nickname: r.try_get("nickname")?,
        werun: r.try_get::<i64, _>("werun")? != 0,
        join_ranking: r.try_get::<i64, _>("join_ranking")? != 0,
    })
}

impl Store {
    pub async fn create_app(&self, app: &NewApp, now: i64) -> Result<AppRow> {
        durably!(self, |conn| {
            let row = sqlx::query(
                "INSERT INTO apps (appid, secret_hash, original_id, name, category, werun_share, open_platform, created_at,
                                   device_steps)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(&app.appid)
            .bind(&app.secret_hash)
            .bind(&app.original_id)
            .bind(&app.name)
            .bind(&app.category)
            .bind(flag(app.werun_share))
            .bind(&app.open_platform)
            .bind(now)
            .bind(flag(app.device_steps))
            .fetch_one(&mut *conn)
            .await?;
            Ok(AppRow {
                id: row.try_get("id")?,
                appid: app.appid.clone(),
                secret_hash: app.secret_hash.clone(),
                original_id: app.original_id.clone(),
                name: app.name.clone(),
                category: app.category.clone(),
                werun_share: app.werun_share,
                open_platform: app.open_platform.clone(),
                device_steps: app.device_steps,
            })
        })
    }

    /// Change an app's settings; `None` leaves one as it is. The app as it is now, `None` for an unknown appid.
    pub async fn update_app(&self, appid: &str, device_steps: Option<bool>) -> Result<Option<AppRow>> {
        durably!(self, |conn| {
            let sql = format!(
                "UPDATE apps SET device_steps = COALESCE($2, device_steps) WHERE appid = $1 RETURNING {APP_COLUMNS}"
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(appid)
                .bind(device_steps.map(flag))
                .fetch_optional(&mut *conn)
                .await?;
            row.as_ref().map(app_row).transpose()
        })
    }

    /// Replace an app's secret (given as its hash). False for an unknown appid.
    pub async fn reset_app_secret(&self, appid: &str, secret_hash: &str) -> Result<bool> {
        durably!(self, |conn| {
            let res = sqlx::query("UPDATE apps SET secret_hash = $2 WHERE appid = $1")
                .bind(appid)
                .bind(secret_hash)
                .execute(&mut *conn)
                .await?;
            Ok(res.rows_affected() > 0)
        })
    }

    /// Replace a user's client token (given as its hash). False for an unknown user.
    pub async fn reset_user_token(&self, user_id: UserId, token_hash: &str) -> Result<bool> {
        durably!(self, |conn| {
            let res = sqlx::query("UPDATE users SET token_hash = $2 WHERE id = $1")
                .bind(user_id)
                .bind(token_hash)
                .execute(&mut *conn)
                .await?;
            Ok(res.rows_affected() > 0)
        })
    }

    pub async fn app_by_appid(&self, appid: &str) -> Result<Option<AppRow>> {
        let sql = format!("SELECT {APP_COLUMNS} FROM apps WHERE appid = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(appid)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(app_row).transpose()
    }

    pub async fn app_by_id(&self, id: AppId) -> Result<Option<AppRow>> {
        let sql = format!("SELECT {APP_COLUMNS} FROM apps WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(app_row).transpose()
    }

    pub async fn list_apps(&self) -> Result<Vec<AppRow>> {
        let sql = format!("SELECT {APP_COLUMNS} FROM apps ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(app_row).collect()
    }

    pub async fn create_user(&self, nickname: &str, token_hash: &str, now: i64) -> Result<UserRow> {
        durably!(self, |conn| {
            let row = sqlx::query(
                "INSERT INTO users (nickname, token_hash, werun, join_ranking, created_at) VALUES ($1, $2, 1, 1, $3)
                 RETURNING id",
            )
            .bind(nickname)
            .bind(token_hash)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
            Ok(UserRow {
                id: row.try_get("id")?,
                nickname: nickname.to_owned(),
                werun: true,
                join_ranking: true,
            })
        })
    }

    pub async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<UserRow>> {
        let row = sqlx::query("SELECT id, nickname, werun, join_ranking FROM users WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_row).transpose()
    }

    pub async fn user_by_id(&self, id: UserId) -> Result<Option<UserRow>> {
        let row = sqlx::query("SELECT id, nickname, werun, join_ranking FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// Users with ids above `after`, in id order, at most `limit` of them (a page of the admin user list).
    pub async fn list_users(&self, after: UserId, limit: i64) -> Result<Vec<UserRow>> {
        let rows =
            sqlx::query("SELECT id, nickname, werun, join_ranking FROM users WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(user_row).collect()
    }

    /// How many users there are.
    pub async fn user_count(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Update a user's WeRun switches; `None` leaves a switch as it is.
    pub async fn update_werun_settings(
        &self,
        user_id: UserId,
        werun: Option<bool>,
        join_ranking: Option<bool>,
    ) -> Result<Option<UserRow>> {
        durably!(self, |conn| {
            let row = sqlx::query(
                "UPDATE users SET werun = COALESCE($2, werun), join_ranking = COALESCE($3, join_ranking) WHERE id = $1
                 RETURNING id, nickname, werun, join_ranking",
            )
            .bind(user_id)
            .bind(werun.map(flag))
            .bind(join_ranking.map(flag))
            .fetch_optional(&mut *conn)
            .await?;
            row.as_ref().map(user_row).transpose()
        })
    }

    /// Make `a` and `b` friends both ways; false when they already were.
    pub async fn add_friendship(&self, a: UserId, b: UserId, now: i64) -> Result<bool> {
        durably!(self, |conn| {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            let mut created = false;
            for (x, y) in [(a, b), (b, a)] {
                let res = sqlx::query(
                    "INSERT INTO friendships (user_id, friend_id, hidden, created_at) VALUES ($1, $2, 0, $3)
                     ON CONFLICT (user_id, friend_id) DO NOTHING",
                )
                .bind(x)
                .bind(y)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                created |= res.rows_affected() > 0;
            }
            tx.commit().await?;
            Ok(created)
        })
    }

    pub async fn friend_ids(&self, user_id: UserId) -> Result<Vec<UserId>> {
        let rows = sqlx::query("SELECT friend_id FROM friendships WHERE user_id = $1 ORDER BY friend_id")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("friend_id")?)).collect()
    }

    /// The openid of `user_id` under `app_id`, created from `candidate` the first time it is asked for.
    pub async fn openid_for(&self, user_id: UserId, app_id: AppId, candidate: &str) -> Result<String> {
        sqlx::query("INSERT INTO openids (app_id, user_id, openid) VALUES ($1, $2, $3) ON CONFLICT (app_id, user_id) DO NOTHING")
            .bind(app_id)
            .bind(user_id)
            .bind(candidate)
            .execute(&self.writer)
            .await?;
        let row = sqlx::query("SELECT openid FROM openids WHERE app_id = $1 AND user_id = $2")
            .bind(app_id)
            .bind(user_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("openid")?)
    }

    /// The user behind an openid, only if that openid belongs to `app_id`.
    pub async fn user_by_openid(&self, openid: &str, app_id: AppId) -> Result<Option<UserId>> {
        let row = sqlx::query("SELECT user_id FROM openids WHERE openid = $1 AND app_id = $2")
            .bind(openid)
            .bind(app_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(r.try_get("user_id")?)).transpose()
    }

    /// The unionid of `user_id` under an open platform, created from `candidate` the first time.
    pub async fn unionid_for(&self, open_platform: &str, user_id: UserId, candidate: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO unionids (open_platform, user_id, unionid) VALUES ($1, $2, $3)
             ON CONFLICT (open_platform, user_id) DO NOTHING",
        )
        .bind(open_platform)
        .bind(user_id)
        .bind(candidate)
        .execute(&self.writer)
        .await?;
        let row = sqlx::query("SELECT unionid FROM unionids WHERE open_platform = $1 AND user_id = $2")
            .bind(open_platform)
            .bind(user_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("unionid")?)
    }

    pub async fn set_grant(&self, user_id: UserId, app_id: AppId, scope: &str, allow: bool, now: i64) -> Result<()> {
        durably!(self, |conn| {
            sqlx::query(
                "INSERT INTO grants (user_id, app_id, scope, allow, updated_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (user_id, app_id, scope) DO UPDATE SET allow = excluded.allow, updated_at = excluded.updated_at",
            )
            .bind(user_id)
            .bind(app_id)
            .bind(scope)
            .bind(flag(allow))
            .bind(now)
            .execute(&mut *conn)
            .await?;
            Ok(())
        })
    }

    /// The scopes the user has decided for the app: `(scope, allowed)`.
    pub async fn grants(&self, user_id: UserId, app_id: AppId) -> Result<Vec<(String, bool)>> {
        let rows = sqlx::query("SELECT scope, allow FROM grants WHERE user_id = $1 AND app_id = $2 ORDER BY scope")
            .bind(user_id)
            .bind(app_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("scope")?, r.try_get::<i64, _>("allow")? != 0)))
            .collect()
    }

    pub async fn grant(&self, user_id: UserId, app_id: AppId, scope: &str) -> Result<Option<bool>> {
        let row = sqlx::query("SELECT allow FROM grants WHERE user_id = $1 AND app_id = $2 AND scope = $3")
            .bind(user_id)
            .bind(app_id)
            .bind(scope)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(r.try_get::<i64, _>("allow")? != 0)).transpose()
    }
}
