//! The inputs of a ranking, read per user rather than per viewer, for a node's in-memory index (the server's
//! `cache/day_totals.rs`): each user's row of a day (switches, nickname, day total, like count, check-in head) and each
//! viewer's side (who is visible to them, whom they liked). The rules are the ranking query's (`social.rs`): a
//! ranking built from these inputs equals [`Store::ranking_rows`].

use sqlx::Row;
use yundong_proto::sport::SportRecord;

use crate::social::{RS, US, check_in_of};
use crate::{Backend, Result, Store, UserId};

/// One user's inputs to every ranking of one day they are on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDayRow {
    pub user_id: UserId,
    pub nickname: String,
    pub werun: bool,
    pub join_ranking: bool,
    /// The day's total (highest over sources), 0 without data.
    pub steps: i64,
    /// Likes the user's row got that day, from anyone.
    pub likes: i64,
    /// The first record of the user's latest shown check-in of the day.
    pub checkin: Option<SportRecord>,
}

/// A viewer's side of their ranking of one day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewerDay {
    /// Friends (both ways) who do not hide from the viewer, ascending; their own switches are not applied here.
    pub friends: Vec<UserId>,
    /// Users whose row of the day the viewer liked, ascending.
    pub liked: Vec<UserId>,
}

/// Users' rows of day `$1` for the ids in `$2` (see [`id_list`]); users that do not exist have no row.
fn rows_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "SELECT u.id, u.nickname, u.werun, u.join_ranking,
                COALESCE((SELECT MAX(d.steps) FROM daily_steps d WHERE d.user_id = u.id AND d.day = $1), 0) AS steps,
                (SELECT COUNT(*) FROM likes l WHERE l.target_id = u.id AND l.day = $1) AS likes,
                c.first_type_id, c.first_unit, c.first_value
             FROM users u LEFT JOIN check_ins c ON c.id = (
                 SELECT c2.id FROM check_ins c2 WHERE c2.user_id = u.id AND c2.day = $1 AND c2.shown = 1
                 ORDER BY c2.created_at DESC, c2.id DESC LIMIT 1)
             WHERE u.id IN (SELECT value FROM json_each($2))"
        }
        // Driven by the id list (an array literal, so the planner sees its length: a few ids probe the indexes, thousands
        // hash-join), the check-in head through LATERAL (a correlated join key made PostgreSQL hash the whole
        // check_ins table for ten ids: 4 ms instead of 0.2).
        Backend::Postgres => {
            "SELECT u.id, u.nickname, u.werun, u.join_ranking,
                COALESCE((SELECT MAX(d.steps) FROM daily_steps d WHERE d.user_id = u.id AND d.day = $1), 0) AS steps,
                (SELECT COUNT(*) FROM likes l WHERE l.target_id = u.id AND l.day = $1) AS likes,
                c.first_type_id, c.first_unit, c.first_value
             FROM unnest(CAST($2 AS BIGINT[])) AS ids(id) JOIN users u ON u.id = ids.id
             LEFT JOIN LATERAL (
                 SELECT c2.first_type_id, c2.first_unit, c2.first_value FROM check_ins c2
                 WHERE c2.user_id = u.id AND c2.day = $1 AND c2.shown = 1
                 ORDER BY c2.created_at DESC, c2.id DESC LIMIT 1) c ON TRUE"
        }
    }
}

/// [`rows_sql`] as one text value (`id US werun US join US steps US likes US type US unit US value US n US nickname`,
/// joined by RS; `n` is the nickname's length in characters), so thousands of users cross the driver as one row.
fn packed_rows_sql(backend: Backend) -> String {
    format!(
        "SELECT string_agg(
             CAST(x.id AS TEXT) || $3 || CAST(x.werun AS TEXT) || $3 || CAST(x.join_ranking AS TEXT) || $3 ||
             CAST(x.steps AS TEXT) || $3 || CAST(x.likes AS TEXT) || $3 ||
             COALESCE(CAST(x.first_type_id AS TEXT) || $3 || x.first_unit || $3 || CAST(x.first_value AS TEXT), $3 || $3)
             || $3 || CAST(LENGTH(x.nickname) AS TEXT) || $3 || x.nickname, $4) AS packed
         FROM ({}) x",
        rows_sql(backend)
    )
}

/// Read [`packed_rows_sql`]'s text; `None` if it is not in that form.
fn unpack_rows(text: &str) -> Option<Vec<UserDayRow>> {
    let mut rows = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut fields = [""; 9];
        for field in &mut fields {
            let (value, tail) = rest.split_once(US)?;
            *field = value;
            rest = tail;
        }
        let [id, werun, join, steps, likes, type_id, unit, value, len] = fields;
        let len: usize = len.parse().ok()?;
        let mut chars = rest.char_indices().skip(len);
        let end = match chars.next() {
            Some((i, c)) => (c == RS).then_some(i)?,
            None if rest.chars().count() == len => rest.len(),
            None => return None,
        };
        let int = |t: &str| t.parse::<i64>().ok();
        rows.push(UserDayRow {
            user_id: UserId(int(id)?),
            nickname: rest[..end].to_owned(),
            werun: int(werun)? != 0,
            join_ranking: int(join)? != 0,
            steps: int(steps)?,
            likes: int(likes)?,
            checkin: check_in_of(int(type_id), Some(unit), int(value)),
        });
        rest = &rest[end..];
        rest = rest.strip_prefix(RS).unwrap_or(rest);
    }
    Some(rows)
}

/// The ids as the engine's query reads them: a JSON array for SQLite's `json_each`, an array literal for PostgreSQL.
fn id_list(backend: Backend, ids: &[UserId]) -> String {
    let (open, close) = match backend {
        Backend::Sqlite => ('[', ']'),
        Backend::Postgres => ('{', '}'),
    };
    let mut s = String::with_capacity(ids.len() * 8 + 2);
    s.push(open);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&id.to_string());
    }
    s.push(close);
    s
}

fn split_ids(text: Option<String>) -> Vec<UserId> {
    let mut ids: Vec<UserId> = text
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter_map(|t| t.parse().ok().map(UserId))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Users read per statement (bounds one statement's text and time).
const CHUNK: usize = 5_000;

impl Store {
    /// The rows of day `day` of the users `ids` (any order; users that do not exist are left out).
    pub async fn user_day_rows(&self, ids: &[UserId], day: i64) -> Result<Vec<UserDayRow>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            match self.user_day_rows_packed(chunk, day).await? {
                Some(rows) => out.extend(rows),
                None => {
                    // Only a nickname holding a NUL could do this (SQLite's LENGTH stops there).
                    tracing::warn!("packed user rows unreadable; reading rows");
                    out.extend(self.user_day_rows_plain(chunk, day).await?);
                }
            }
        }
        Ok(out)
    }

    /// [`Store::user_day_rows`] in one packed text; `None` if it does not read back. Public for the suite.
    pub async fn user_day_rows_packed(&self, ids: &[UserId], day: i64) -> Result<Option<Vec<UserDayRow>>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(packed_rows_sql(self.backend)))
            .bind(day)
            .bind(id_list(self.backend, ids))
            .bind(US.to_string())
            .bind(RS.to_string())
            .fetch_one(&self.pool)
            .await?;
        let packed: Option<String> = row.try_get("packed")?;
        Ok(unpack_rows(packed.as_deref().unwrap_or("")))
    }

    /// [`Store::user_day_rows`] as one driver row per user: the reference and fallback.
    pub async fn user_day_rows_plain(&self, ids: &[UserId], day: i64) -> Result<Vec<UserDayRow>> {
        let rows = sqlx::query(rows_sql(self.backend))
            .bind(day)
            .bind(id_list(self.backend, ids))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(UserDayRow {
                    user_id: r.try_get("id")?,
                    nickname: r.try_get("nickname")?,
                    werun: r.try_get::<i64, _>("werun")? != 0,
                    join_ranking: r.try_get::<i64, _>("join_ranking")? != 0,
                    steps: r.try_get("steps")?,
                    likes: r.try_get("likes")?,
                    checkin: check_in_of(
                        r.try_get("first_type_id")?,
                        r.try_get::<Option<String>, _>("first_unit")?.as_deref(),
                        r.try_get("first_value")?,
                    ),
                })
            })
            .collect()
    }

    /// `viewer`'s side of their ranking of `day`, in one statement.
    pub async fn viewer_day(&self, viewer: UserId, day: i64) -> Result<ViewerDay> {
        let row = sqlx::query(
            "SELECT (SELECT string_agg(CAST(f.friend_id AS TEXT), ',') FROM friendships f
                     JOIN friendships r ON r.user_id = f.friend_id AND r.friend_id = f.user_id AND r.hidden = 0
                     WHERE f.user_id = $1) AS friends,
                    (SELECT string_agg(CAST(l.target_id AS TEXT), ',') FROM likes l
                     WHERE l.liker_id = $1 AND l.day = $2) AS liked",
        )
        .bind(viewer)
        .bind(day)
        .fetch_one(&self.pool)
        .await?;
        Ok(ViewerDay {
            friends: split_ids(row.try_get("friends")?),
            liked: split_ids(row.try_get("liked")?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpack_reads_rows_and_refuses_malformed_text() {
        let ok = "7\u{1f}1\u{1f}0\u{1f}5\u{1f}2\u{1f}3001\u{1f}distance\u{1f}9\u{1f}3\u{1f}a\u{1e}b\u{1e}8\u{1f}1\u{1f}1\u{1f}0\u{1f}0\u{1f}\u{1f}\u{1f}\u{1f}0\u{1f}";
        let rows = unpack_rows(ok).unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (
                rows[0].user_id,
                rows[0].nickname.as_str(),
                rows[0].werun,
                rows[0].join_ranking
            ),
            (UserId(7), "a\u{1e}b", true, false)
        );
        assert_eq!(rows[0].checkin.map(|c| c.value), Some(9));
        assert_eq!(
            (rows[1].user_id, rows[1].nickname.as_str(), rows[1].checkin),
            (UserId(8), "", None)
        );
        for bad in [
            "7\u{1f}1",
            "x\u{1f}1\u{1f}0\u{1f}5\u{1f}2\u{1f}\u{1f}\u{1f}\u{1f}1\u{1f}a",
            "garbage",
        ] {
            assert!(unpack_rows(bad).is_none(), "{bad:?}");
        }
    }
}
