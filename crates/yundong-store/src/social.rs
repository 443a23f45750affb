//! WeRun's social data: check-ins from `wx.shareToWeRun`, likes, per-friend hiding, and the ranking query.
//!
//! Visibility is one rule, written once in SQL here: a user `x` is visible to a viewer `v` when the two are friends
//! both ways, `x` does not hide from `v` (`friendships(user_id = x, friend_id = v).hidden = 0`), and `x` has WeRun on
//! and has joined the ranking. The ranking, likes and the detail page all use it.

use std::collections::HashSet;

use sqlx::Row;
use sqlx::any::AnyRow;
use yundong_proto::sport::{SportRecord, Unit};

use crate::durable::charge;
use crate::{AppId, Quota, UserId, durably};
use crate::{Result, Store, StoreError, UserRow, flag};

/// A confirmed `wx.shareToWeRun` call to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheckIn<'a> {
    pub user_id: UserId,
    pub app_id: AppId,
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
    pub user_id: UserId,
    pub app_id: AppId,
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
    pub user_id: UserId,
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
    pub user_id: UserId,
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

/// The members of `$1`'s ranking for day `$2`: the viewer, and every friend visible to them (module docs). A member's
/// steps are the day's highest over sources; their check-in is the latest shown one of the day (newest `created_at`,
/// then highest id).
const MEMBERS_SQL: &str = "
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
    (SELECT c2.id FROM check_ins c2 WHERE c2.user_id = u.id AND c2.day = $2 AND c2.shown = 1
     ORDER BY c2.created_at DESC, c2.id DESC LIMIT 1) AS check_in_id
FROM members m
JOIN users u ON u.id = m.uid
WHERE u.id = $1 OR (u.werun = 1 AND u.join_ranking = 1)";

/// Field and record separators of [`packed_ranking_sql`] (bound as `$3`, `$4`).
pub(crate) const US: char = '\u{1f}';
pub(crate) const RS: char = '\u{1e}';

/// The ranking as one text value, so that 10,000 members cross the driver as one row instead of 10,000 (each row
/// costs microseconds in sqlx's Any driver). A member is `id US steps US likes US type US unit US value US n US
/// nickname`, members are joined by RS; the check-in fields are empty without one, and `n` is the nickname's length
/// in characters (both engines' `LENGTH`), so any nickname reads back intact. `string_agg` is PostgreSQL's and
/// SQLite's (3.44+; the bundled one is newer).
fn packed_ranking_sql() -> String {
    format!(
        "SELECT (
             SELECT string_agg(
                 CAST(x.id AS TEXT) || $3 || CAST(x.steps AS TEXT) || $3 || CAST(x.likes AS TEXT) || $3 ||
                 COALESCE(CAST(c.first_type_id AS TEXT) || $3 || c.first_unit || $3 || CAST(c.first_value AS TEXT),
                          $3 || $3)
                 || $3 || CAST(LENGTH(x.nickname) AS TEXT) || $3 || x.nickname, $4)
             FROM ({MEMBERS_SQL}) x LEFT JOIN check_ins c ON c.id = x.check_in_id
         ) AS packed, ({LIKED_SQL_PACKED}) AS liked"
    )
}

/// The users `$1` liked on day `$2` (one index range, not a lookup per member).
const LIKED_SQL: &str = "SELECT l.target_id FROM likes l WHERE l.liker_id = $1 AND l.day = $2";
const LIKED_SQL_PACKED: &str =
    "SELECT string_agg(CAST(l.target_id AS TEXT), $3) FROM likes l WHERE l.liker_id = $1 AND l.day = $2";

/// The same members as rows (without `liked`): the reference for [`packed_ranking_sql`] and its fallback.
fn plain_ranking_sql() -> String {
    format!(
        "SELECT x.id, x.nickname, x.steps, x.likes, c.first_type_id, c.first_unit, c.first_value
         FROM ({MEMBERS_SQL}) x LEFT JOIN check_ins c ON c.id = x.check_in_id"
    )
}

pub(crate) fn check_in_of(type_id: Option<i64>, unit: Option<&str>, value: Option<i64>) -> Option<SportRecord> {
    match (type_id, unit.and_then(Unit::from_field), value) {
        (Some(type_id), Some(unit), Some(value)) => Some(SportRecord { type_id, unit, value }),
        _ => None,
    }
}

/// Read [`packed_ranking_sql`]'s text; `None` if it is not in that form.
fn unpack_ranking(text: &str) -> Option<Vec<RankingRow>> {
    let mut rows = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut fields = [""; 7];
        for field in &mut fields {
            let (value, tail) = rest.split_once(US)?;
            *field = value;
            rest = tail;
        }
        let [id, steps, likes, type_id, unit, value, len] = fields;
        let len: usize = len.parse().ok()?;
        let mut chars = rest.char_indices().skip(len);
        let end = match chars.next() {
            Some((i, c)) => (c == RS).then_some(i)?,
            None if rest.chars().count() == len => rest.len(),
            None => return None,
        };
        let int = |t: &str| t.parse::<i64>().ok();
        rows.push(RankingRow {
            user_id: UserId(int(id)?),
            nickname: rest[..end].to_owned(),
            steps: int(steps)?,
            likes: int(likes)?,
            liked: false,
            checkin: check_in_of(int(type_id), Some(unit), int(value)),
        });
        rest = &rest[end..];
        rest = rest.strip_prefix(RS).unwrap_or(rest);
    }
    Some(rows)
}

impl Store {
    /// Record a check-in. With an idempotency key already used by this user for this app, nothing is stored and the
    /// first check-in is returned with `false`; the unique index makes this hold across nodes.
    pub async fn insert_check_in(&self, c: &NewCheckIn<'_>, quotas: &[Quota]) -> Result<(CheckInRow, bool)> {
        let first = c
            .records
            .first()
            .ok_or(StoreError::Invalid("a check-in needs at least one record"))?;
        let records = serde_json::to_string(c.records)
            .map_err(|_| StoreError::Invalid("check-in records could not be encoded"))?;
        // A replay of a used key is answered before any quota is charged: it writes nothing.
        if let Some(key) = c.idempotency_key
            && let Some(row) = self.check_in_by_key(c.user_id, c.app_id, key).await?
        {
            return Ok((row, false));
        }
        self.precheck(quotas).await?;
        let inserted: Option<i64> = durably!(self, |conn| {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            charge(&mut tx, quotas).await?;
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
            .fetch_optional(&mut *tx)
            .await?;
            match inserted {
                Some(r) => {
                    tx.commit().await?;
                    Ok(Some(r.try_get("id")?))
                }
                // The same key won a race on another connection: nothing of ours is kept.
                None => {
                    tx.rollback().await?;
                    Ok(None)
                }
            }
        })?;
        let created = inserted.is_some();
        let row = match (inserted, c.idempotency_key) {
            (Some(id), _) => self.check_in(id).await?,
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
    pub async fn check_in_by_key(&self, user_id: UserId, app_id: AppId, key: &str) -> Result<Option<CheckInRow>> {
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
    pub async fn check_ins(&self, user_id: UserId) -> Result<Vec<CheckInRow>> {
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
    /// Up to `limit` shown check-ins of `user_id` in the days `[first_day, last_day]` with ids below `before`, newest
    /// first (ids grow with time).
    pub async fn shown_check_ins(
        &self,
        user_id: UserId,
        first_day: i64,
        last_day: i64,
        before: i64,
        limit: i64,
    ) -> Result<Vec<CheckInRow>> {
        let sql = format!(
            "SELECT {CHECK_IN_COLUMNS} FROM check_ins c JOIN apps a ON a.id = c.app_id
             WHERE c.user_id = $1 AND c.day >= $2 AND c.day <= $3 AND c.shown = 1 AND c.id < $4
             ORDER BY c.id DESC LIMIT $5"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(first_day)
            .bind(last_day)
            .bind(before)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(check_in_row).collect()
    }

    /// The members of `viewer`'s ranking for `day` (the viewer and every friend visible to them), unordered.
    pub async fn ranking_rows(&self, viewer: UserId, day: i64) -> Result<Vec<RankingRow>> {
        match self.ranking_rows_packed(viewer, day).await? {
            Some(rows) => Ok(rows),
            None => {
                // Only a nickname holding a NUL could do this (SQLite's LENGTH stops there); rows are always right.
                tracing::warn!(viewer = viewer.0, "packed ranking unreadable; reading rows");
                self.ranking_rows_plain(viewer, day).await
            }
        }
    }

    /// [`Store::ranking_rows`] in one statement that answers one row of two packed texts (the fast path); `None` if
    /// the text does not read back. Public so the suite can check the packing on every engine.
    pub async fn ranking_rows_packed(&self, viewer: UserId, day: i64) -> Result<Option<Vec<RankingRow>>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(packed_ranking_sql()))
            .bind(viewer)
            .bind(day)
            .bind(US.to_string())
            .bind(RS.to_string())
            .fetch_one(&self.pool)
            .await?;
        let packed: Option<String> = row.try_get("packed")?;
        let liked: Option<String> = row.try_get("liked")?;
        let liked: Option<HashSet<UserId>> = liked
            .as_deref()
            .unwrap_or("")
            .split(US)
            .filter(|t| !t.is_empty())
            .map(|t| t.parse().ok().map(UserId))
            .collect();
        let (Some(mut rows), Some(liked)) = (unpack_ranking(packed.as_deref().unwrap_or("")), liked) else {
            return Ok(None);
        };
        for row in &mut rows {
            row.liked = liked.contains(&row.user_id);
        }
        Ok(Some(rows))
    }

    /// [`Store::ranking_rows`] as one driver row per member, plus the viewer's likes: the reference for
    /// [`Store::ranking_rows_packed`], and its fallback.
    pub async fn ranking_rows_plain(&self, viewer: UserId, day: i64) -> Result<Vec<RankingRow>> {
        let liked = sqlx::query(LIKED_SQL)
            .bind(viewer)
            .bind(day)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.try_get::<UserId, _>("target_id"))
            .collect::<Result<HashSet<UserId>, _>>()?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(plain_ranking_sql()))
            .bind(viewer)
            .bind(day)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let user_id = r.try_get("id")?;
                Ok(RankingRow {
                    user_id,
                    nickname: r.try_get("nickname")?,
                    steps: r.try_get("steps")?,
                    likes: r.try_get("likes")?,
                    liked: liked.contains(&user_id),
                    checkin: check_in_of(
                        r.try_get("first_type_id")?,
                        r.try_get::<Option<String>, _>("first_unit")?.as_deref(),
                        r.try_get("first_value")?,
                    ),
                })
            })
            .collect()
    }

    /// `target` as `viewer` may see them: a friend both ways who does not hide from the viewer, with WeRun on and in
    /// the ranking. `None` otherwise (also for the viewer themself: callers decide about self).
    pub async fn visible_friend(&self, viewer: UserId, target: UserId) -> Result<Option<UserRow>> {
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
        liker: UserId,
        target: UserId,
        day: i64,
        liked: Option<bool>,
        now: i64,
    ) -> Result<(bool, i64)> {
        durably!(self, |conn| {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
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
        })
    }

    /// Who liked `target`'s row of `day`, earliest like first: (user id, nickname, when).
    pub async fn likers(&self, target: UserId, day: i64) -> Result<Vec<(UserId, String, i64)>> {
        let rows = sqlx::query(
            "SELECT l.liker_id, u.nickname, l.created_at FROM likes l JOIN users u ON u.id = l.liker_id
             WHERE l.target_id = $1 AND l.day = $2 ORDER BY l.created_at, l.liker_id",
        )
        .bind(target)
        .bind(day)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("liker_id")?, r.try_get("nickname")?, r.try_get("created_at")?)))
            .collect()
    }

    /// Set whether `user_id` hides their steps from `friend_id`. False when the two are not friends.
    pub async fn set_hidden(&self, user_id: UserId, friend_id: UserId, hidden: bool) -> Result<bool> {
        durably!(self, |conn| {
            let res = sqlx::query("UPDATE friendships SET hidden = $3 WHERE user_id = $1 AND friend_id = $2")
                .bind(user_id)
                .bind(friend_id)
                .bind(flag(hidden))
                .execute(&mut *conn)
                .await?;
            Ok(res.rows_affected() > 0)
        })
    }

    /// A user's friends, by id, each with whether the user hides from them.
    pub async fn friends(&self, user_id: UserId) -> Result<Vec<FriendRow>> {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::StepWrite;

    const DAY: i64 = 1_760_025_600;

    fn sorted(mut rows: Vec<RankingRow>) -> Vec<RankingRow> {
        rows.sort_by_key(|r| r.user_id);
        rows
    }

    #[tokio::test]
    async fn packed_ranking_reads_back_exactly_what_rows_say() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite:{}?mode=rwc", dir.path().join("t.sqlite").display()))
            .await
            .unwrap();
        let viewer = store.create_user("我", "h0", 0).await.unwrap().id;
        // Separators, multi-byte text, an empty name and a NUL (which SQLite's LENGTH stops at) all survive.
        let names = ["普通", "a\u{1f}b", "c\u{1e}d\u{1e}", "😀x", "", "e\u{1f}\u{1e}"];
        let mut ids = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let id = store.create_user(name, &format!("h{}", i + 1), 0).await.unwrap().id;
            store.add_friendship(viewer, id, 0).await.unwrap();
            ids.push(id);
        }
        let writes: Vec<StepWrite> = ids
            .iter()
            .enumerate()
            .map(|(i, &user_id)| StepWrite {
                user_id,
                day: DAY,
                source: crate::StepSource::Phone,
                steps: 1_000 * i as i64,
            })
            .collect();
        store.put_steps_batch(&writes).await.unwrap();
        let app = store
            .create_app(
                &crate::NewApp {
                    appid: "wx0123456789abcdef".into(),
                    secret_hash: "s".into(),
                    original_id: "gh_0123456789ab".into(),
                    name: "fit".into(),
                    category: None,
                    werun_share: true,
                    open_platform: None,
                    device_steps: false,
                },
                0,
            )
            .await
            .unwrap();
        let record = [SportRecord {
            type_id: 3001,
            unit: Unit::Distance,
            value: 42,
        }];
        for (i, shown) in [(1, true), (2, false)] {
            let c = NewCheckIn {
                user_id: ids[i],
                app_id: app.id,
                env: if shown { "release" } else { "develop" },
                shown,
                day: DAY,
                created_at: DAY + 5,
                records: &record,
                idempotency_key: None,
            };
            store.insert_check_in(&c, &[]).await.unwrap();
        }
        store.set_like(viewer, ids[0], DAY, None, 0).await.unwrap();
        store.set_like(ids[3], ids[0], DAY, None, 0).await.unwrap();

        let packed = sorted(store.ranking_rows(viewer, DAY).await.unwrap());
        let plain = sorted(store.ranking_rows_plain(viewer, DAY).await.unwrap());
        assert_eq!(packed, plain);
        assert_eq!(
            Some(packed.clone()),
            store.ranking_rows_packed(viewer, DAY).await.unwrap().map(sorted)
        );
        assert_eq!(packed.len(), names.len() + 1);
        let names_back: Vec<&str> = packed.iter().skip(1).map(|r| r.nickname.as_str()).collect();
        assert_eq!(names_back, names);
        assert_eq!((packed[1].likes, packed[1].liked), (2, true));
        assert_eq!(packed[2].checkin, Some(record[0]));
        assert_eq!(packed[3].checkin, None, "develop check-ins are not shown");

        // A NUL in a nickname makes SQLite's LENGTH short: the packed text no longer parses and rows are read instead.
        let nul = store.create_user("n\0ul", "h-nul", 0).await.unwrap().id;
        store.add_friendship(viewer, nul, 0).await.unwrap();
        let rows = store.ranking_rows(viewer, DAY).await.unwrap();
        assert!(rows.iter().any(|r| r.user_id == nul && r.nickname == "n\0ul"));
        assert!(rows.iter().any(|r| r.user_id == ids[0] && r.liked && r.likes == 2));
    }

    #[test]
    fn unpack_refuses_malformed_text() {
        let ok = "1\u{1f}5\u{1f}0\u{1f}\u{1f}\u{1f}\u{1f}2\u{1f}ab";
        assert_eq!(unpack_ranking(ok).map(|r| r.len()), Some(1));
        assert_eq!(unpack_ranking("").map(|r| r.len()), Some(0));
        for bad in [
            "1\u{1f}5\u{1f}0\u{1f}\u{1f}\u{1f}\u{1f}3\u{1f}ab",
            "1\u{1f}5\u{1f}0\u{1f}\u{1f}\u{1f}\u{1f}1\u{1f}ab",
            "x\u{1f}5\u{1f}0\u{1f}\u{1f}\u{1f}\u{1f}2\u{1f}ab",
            "1\u{1f}5\u{1f}0\u{1f}\u{1f}\u{1f}2\u{1f}ab",
            "garbage",
        ] {
            assert!(unpack_ranking(bad).is_none(), "{bad:?}");
        }
    }
}
