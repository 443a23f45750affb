//! Daily step totals: each source reports an absolute total for a local day; the day's total is the highest.

use sqlx::Row;

use std::collections::HashMap;

use sqlx::Connection;

use crate::{AppId, Backend, Result, Store, UserId};

/// Rows per multi-row statement (4 parameters each, far below SQLite's 32,766 limit).
const CHUNK: usize = 500;

async fn put_batch(conn: &mut sqlx::AnyConnection, writes: &[StepWrite]) -> Result<Vec<i64>> {
    // Last write per key wins; PostgreSQL refuses one statement touching a row twice.
    let mut latest: HashMap<(UserId, i64, StepSource), i64> = HashMap::with_capacity(writes.len());
    for w in writes {
        latest.insert((w.user_id, w.day, w.source), w.steps);
    }
    let rows: Vec<((UserId, i64, StepSource), i64)> = latest.into_iter().collect();
    let mut days: Vec<(UserId, i64)> = writes.iter().map(|w| (w.user_id, w.day)).collect();
    days.sort_unstable();
    days.dedup();
    let mut tx = conn.begin().await?;
    for chunk in rows.chunks(CHUNK) {
        let values =
            (0..chunk.len()).map(|i| format!("(${}, ${}, ${}, ${})", 4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4));
        let sql = format!(
            "INSERT INTO daily_steps (user_id, day, source, steps) VALUES {}
             ON CONFLICT (user_id, day, source) DO UPDATE SET steps = excluded.steps",
            values.collect::<Vec<_>>().join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for ((user_id, day, source), steps) in chunk {
            q = q.bind(*user_id).bind(*day).bind(source.column()).bind(*steps);
        }
        q.execute(&mut *tx).await?;
    }
    let mut totals: HashMap<(UserId, i64), i64> = HashMap::with_capacity(days.len());
    for chunk in days.chunks(CHUNK) {
        let keys = (0..chunk.len()).map(|i| format!("(user_id = ${} AND day = ${})", 2 * i + 1, 2 * i + 2));
        let sql = format!(
            "SELECT user_id, day, MAX(steps) AS total FROM daily_steps WHERE {} GROUP BY user_id, day",
            keys.collect::<Vec<_>>().join(" OR ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (user_id, day) in chunk {
            q = q.bind(*user_id).bind(*day);
        }
        for r in q.fetch_all(&mut *tx).await? {
            totals.insert((r.try_get("user_id")?, r.try_get("day")?), r.try_get("total")?);
        }
    }
    tx.commit().await?;
    Ok(writes
        .iter()
        .map(|w| totals.get(&(w.user_id, w.day)).copied().unwrap_or(w.steps))
        .collect())
}

/// Where a day's total comes from: the user's phone (the client API), or a device app's wristband
/// (`/hardware/bracelet/setstep`). Each source keeps its own total; the day's total is the highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StepSource {
    Phone,
    Device(AppId),
}

impl StepSource {
    /// The `daily_steps.source` column: 0 for the phone, the app's id for a device.
    fn column(self) -> i64 {
        match self {
            StepSource::Phone => 0,
            StepSource::Device(app) => app.0,
        }
    }
}

/// One source's absolute total for a user's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepWrite {
    pub user_id: UserId,
    pub day: i64,
    pub source: StepSource,
    pub steps: i64,
}

/// A day (local midnight, Unix seconds) and its total over all sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTotal {
    pub day: i64,
    pub steps: i64,
}

impl Store {
    /// Record many writes in one transaction (group commit) and return, in input order, each write's day total
    /// after the batch. A later write in the batch for the same (user, day, source) wins, as in arrival order.
    /// On SQLite the batch is committed with `synchronous=FULL`, so it is on disk (fsync'd) when this returns; on
    /// PostgreSQL `synchronous_commit` (on by default) gives the same.
    pub async fn put_steps_batch(&self, writes: &[StepWrite]) -> Result<Vec<i64>> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.writer.acquire().await?;
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA synchronous=FULL").execute(&mut *conn).await?;
        }
        let result = put_batch(&mut conn, writes).await;
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA synchronous=NORMAL").execute(&mut *conn).await?;
        }
        result
    }

    /// Day totals of a user for days in `[first_day, last_day]`, ascending; days without data are absent.
    pub async fn day_totals(&self, user_id: UserId, first_day: i64, last_day: i64) -> Result<Vec<DayTotal>> {
        let rows = sqlx::query(
            "SELECT day, MAX(steps) AS steps FROM daily_steps WHERE user_id = $1 AND day >= $2 AND day <= $3
             GROUP BY day ORDER BY day",
        )
        .bind(user_id)
        .bind(first_day)
        .bind(last_day)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DayTotal {
                    day: r.try_get("day")?,
                    steps: r.try_get("steps")?,
                })
            })
            .collect()
    }
}
