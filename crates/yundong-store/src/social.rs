//! WeRun's social data: check-ins from `wx.shareToWeRun`, likes, per-friend hiding, and the ranking query.
//!
//! Visibility is one rule, written once in SQL here: a user `x` is visible to a viewer `v` when the two are friends
//! both ways, `x` does not hide from `v` (`friendships(user_id = x, friend_id = v).hidden = 0`), and `x` has WeRun on
//! and has joined the ranking. The ranking, likes and the detail page all use it.

use sqlx::Row;
use sqlx::any::AnyRow;
use yundong_proto::sport::{SportRecord, Unit};

use crate::{Result, Store, StoreError, UserRow, flag};

/// A confirmed `wx.shareToWeRun` call to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheckIn<'a> {
    pub user_id: i64,
    pub app_id: i64,
    /// `release`, `develop` or `trial`.
    pub env: &'a str,
    /// Whether it appears on the ranking and detail page.
    pub shown: bool,
    /// Local midnight of the day it was made.
    pub day: i64,
    pub created_at: i64,
    /// Validated, at least one.
    pub records: &'a [SportRecord],
    pub idempotency_key: Option<&'a str>,
}

/// A stored check-in, with the app it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInRow {
    pub id: i64,
    pub user_id: i64,
    pub app_id: i64,
    pub appid: String,
    pub app_name: String,
    pub env: String,
    pub shown: bool,
    pub day: i64,
    pub created_at: i64,
    pub records: Vec<SportRecord>,
}

/// A user on a viewer's ranking for one day, unordered: the caller ranks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankingRow {
    pub user_id: i64,
    pub nickname: String,
    /// The day's total (highest over sources), 0 without data.
    pub steps: i64,
    pub likes: i64,
    /// Whether the viewer liked this row.
    pub liked: bool,
    /// The first record of the user's latest shown check-in of the day.
    pub checkin: Option<SportRecord>,
}

/// A friend of a user, and whether the user hides their steps from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FriendRow {
    pub user_id: i64,
    pub nickname: String,
    pub hidden: bool,
}

const CHECK_IN_COLUMNS: &str = "c.id, c.user_id, c.app_id, a.appid, a.name AS app_name, c.env, c.shown, c.day, \
                                c.created_at, c.records";

fn check_in_row(r: &AnyRow) -> Result<CheckInRow> {
    let records: String = r.try_get("records")?;
    let records = serde_json::from_str(&records)
        .map_err(|_| StoreError::Invalid("a stored check-in's records are not valid JSON"))?;
    Ok(CheckInRow {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        app_id: r.try_get("app_id")?,
        appid: r.try_get("appid")?,
        app_name: r.try_get("app_name")?,
        env: r.try_get("env")?,
        shown: r.try_get::<i64, _>("shown")? != 0,
        day: r.try_get("day")?,
        created_at: r.try_get("created_at")?,
        records,
    })
}

/// Members of `$1`'s ranking for day `$2`: the viewer, and every friend visible to them. Steps are the day's
/// highest over sources; the check-in is the latest shown one of the day (newest `created_at`, then highest id).
const RANKING_SQL: &str = "
WITH members (uid) AS (
    SELECT $1
    UNION ALL
    SELECT f.friend_id FROM friendships f
    JOIN friendships r ON r.user_id = f.friend_id AND r.friend_id = f.user_id AND r.hidden = 0
    WHERE f.user_id = $1
)
SELECT u.id, u.nickname,
    COALESCE((SELECT MAX(d.steps) FROM daily_steps d WHERE d.user_id = u.id AND d.day = $2), 0) AS steps,
    (SELECT COUNT(*) FROM likes l WHERE l.target_id = u.id AND l.day = $2) AS likes,
    (SELECT COUNT(*) FROM likes l WHERE l.target_id = u.id AND l.day = $2 AND l.liker_id = $1) AS liked,
    c.first_type_id, c.first_unit, c.first_value
FROM members m
JOIN users u ON u.id = m.uid
LEFT JOIN check_ins c ON c.id = (
    SELECT c2.id FROM check_ins c2 WHERE c2.user_id = u.id AND c2.day = $2 AND c2.shown = 1
    ORDER BY c2.created_at DESC, c2.id DESC LIMIT 1
)
WHERE u.id = $1 OR (u.werun = 1 AND u.join_ranking = 1)";

impl Store {
    /// Record a check-in. With an idempotency key already used by this user for this app, nothing is stored and the
    /// first check-in is returned with `false`; the unique index makes this hold across nodes.
    pub async fn insert_check_in(&self, c: &NewCheckIn<'_>) -> Result<(CheckInRow, bool)> {
        let first = c
            .records
            .first()
            .ok_or(StoreError::Invalid("a check-in needs at least one record"))?;
        let records = serde_json::to_string(c.records)
            .map_err(|_| StoreError::Invalid("check-in records could not be encoded"))?;
        let inserted = sqlx::query(
            "INSERT INTO check_ins (user_id, app_id, env, shown, day, created_at, records, first_type_id, first_unit,
                 first_value, idempotency_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (user_id, app_id, idempotency_key) DO NOTHING
             RETURNING id",
        )
        .bind(c.user_id)
        .bind(c.app_id)
        .bind(c.env)
        .bind(flag(c.shown))
        .bind(c.day)
        .bind(c.created_at)
        .bind(&records)
        .bind(first.type_id)
        .bind(first.unit.field())
        .bind(first.value)
        .bind(c.idempotency_key)
        .fetch_optional(&self.pool)
        .await?;
        let created = inserted.is_some();
        let row = match (inserted, c.idempotency_key) {
            (Some(r), _) => self.check_in(r.try_get("id")?).await?,
            (None, Some(key)) => self.check_in_by_key(c.user_id, c.app_id, key).await?,
            (None, None) => None,
        };
        let row = row.ok_or(StoreError::Invalid("a stored check-in vanished"))?;
        Ok((row, created))
    }

    pub async fn check_in(&self, id: i64) -> Result<Option<CheckInRow>> {
        let sql = format!("SELECT {CHECK_IN_COLUMNS} FROM check_ins c JOIN apps a ON a.id = c.app_id WHERE c.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(check_in_row).transpose()
    }

    /// The check-in a user made for an app under an idempotency key.
    pub async fn check_in_by_key(&self, user_id: i64, app_id: i64, key: &str) -> Result<Option<CheckInRow>> {
        let sql = format!(
            "SELECT {CHECK_IN_COLUMNS} FROM check_ins c JOIN apps a ON a.id = c.app_id
             WHERE c.user_id = $1 AND c.app_id = $2 AND c.idempotency_key = $3"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(app_id)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(check_in_row).transpose()
    }

    /// Every check-in of a user, shown or not, newest first.
    pub async fn check_ins(&self, user_id: i64) -> Result<Vec<CheckInRow>> {
        let sql = format!(
            "SELECT {CHECK_IN_COLUMNS} FROM check_ins c JOIN apps a ON a.id = c.app_id WHERE c.user_id = $1
             ORDER BY c.created_at DESC, c.id DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(check_in_row).collect()
    }

    /// A user's shown check-ins made on days in `[first_day, last_day]`, newest first.
    pub async fn shown_check_ins(&self, user_id: i64, first_day: i64, last_day: i64) -> Result<Vec<CheckInRow>> {
        let sql = format!(
            "SELECT {CHECK_IN_COLUMNS} FROM check_ins c JOIN apps a ON a.id = c.app_id
             WHERE c.user_id = $1 AND c.day >= $2 AND c.day <= $3 AND c.shown = 1
             ORDER BY c.created_at DESC, c.id DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(first_day)
            .bind(last_day)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(check_in_row).collect()
    }

    /// The members of `viewer`'s ranking for `day` (the viewer and every friend visible to them), unordered.
    pub async fn ranking_rows(&self, viewer: i64, day: i64) -> Result<Vec<RankingRow>> {
        let rows = sqlx::query(RANKING_SQL)
            .bind(viewer)
            .bind(day)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let checkin = match (
                    r.try_get::<Option<i64>, _>("first_type_id")?,
                    r.try_get::<Option<String>, _>("first_unit")?,
                    r.try_get::<Option<i64>, _>("first_value")?,
                ) {
                    (Some(type_id), Some(unit), Some(value)) => {
                        Unit::from_field(&unit).map(|unit| SportRecord { type_id, unit, value })
                    }
                    _ => None,
                };
                Ok(RankingRow {
                    user_id: r.try_get("id")?,
                    nickname: r.try_get("nickname")?,
                    steps: r.try_get("steps")?,
                    likes: r.try_get("likes")?,
                    liked: r.try_get::<i64, _>("liked")? != 0,
                    checkin,
                })
            })
            .collect()
    }

    /// `target` as `viewer` may see them: a friend both ways who does not hide from the viewer, with WeRun on and in
    /// the ranking. `None` otherwise (also for the viewer themself: callers decide about self).
    pub async fn visible_friend(&self, viewer: i64, target: i64) -> Result<Option<UserRow>> {
        let row = sqlx::query(
            "SELECT u.id, u.nickname, u.werun, u.join_ranking FROM friendships f
             JOIN friendships r ON r.user_id = f.friend_id AND r.friend_id = f.user_id
             JOIN users u ON u.id = f.friend_id
             WHERE f.user_id = $1 AND f.friend_id = $2 AND r.hidden = 0 AND u.werun = 1 AND u.join_ranking = 1",
        )
        .bind(viewer)
        .bind(target)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(UserRow {
                id: r.try_get("id")?,
                nickname: r.try_get("nickname")?,
                werun: r.try_get::<i64, _>("werun")? != 0,
                join_ranking: r.try_get::<i64, _>("join_ranking")? != 0,
            })
        })
        .transpose()
    }

    /// Like (`Some(true)`), unlike (`Some(false)`) or toggle (`None`) `liker`'s like of `target` for `day`. Returns
    /// whether the like now exists and the row's like count for the day.
    pub async fn set_like(
        &self,
        liker: i64,
        target: i64,
        day: i64,
        liked: Option<bool>,
        now: i64,
    ) -> Result<(bool, i64)> {
        let mut tx = self.pool.begin().await?;
        let like = match liked {
            Some(v) => v,
            None => {
                let removed = sqlx::query("DELETE FROM likes WHERE target_id = $1 AND day = $2 AND liker_id = $3")
                    .bind(target)
                    .bind(day)
                    .bind(liker)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                removed == 0
            }
        };
        if like {
            sqlx::query(
                "INSERT INTO likes (target_id, day, liker_id, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (target_id, day, liker_id) DO NOTHING",
            )
            .bind(target)
            .bind(day)
            .bind(liker)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        } else if liked.is_some() {
            sqlx::query("DELETE FROM likes WHERE target_id = $1 AND day = $2 AND liker_id = $3")
                .bind(target)
                .bind(day)
                .bind(liker)
                .execute(&mut *tx)
                .await?;
        }
        let count = sqlx::query("SELECT COUNT(*) AS n FROM likes WHERE target_id = $1 AND day = $2")
            .bind(target)
            .bind(day)
            .fetch_one(&mut *tx)
            .await?;
        let count: i64 = count.try_get("n")?;
        tx.commit().await?;
        Ok((like, count))
    }

    /// Set whether `user_id` hides their steps from `friend_id`. False when the two are not friends.
    pub async fn set_hidden(&self, user_id: i64, friend_id: i64, hidden: bool) -> Result<bool> {
        let res = sqlx::query("UPDATE friendships SET hidden = $3 WHERE user_id = $1 AND friend_id = $2")
            .bind(user_id)
            .bind(friend_id)
            .bind(flag(hidden))
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected() > 0)
    }

    /// A user's friends, by id, each with whether the user hides from them.
    pub async fn friends(&self, user_id: i64) -> Result<Vec<FriendRow>> {
        let rows = sqlx::query(
            "SELECT f.friend_id, u.nickname, f.hidden FROM friendships f JOIN users u ON u.id = f.friend_id
             WHERE f.user_id = $1 ORDER BY f.friend_id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FriendRow {
                    user_id: r.try_get("friend_id")?,
                    nickname: r.try_get("nickname")?,
                    hidden: r.try_get::<i64, _>("hidden")? != 0,
                })
            })
            .collect()
    }
}
