//! Daily step totals: each source reports an absolute total for a local day; the day's total is the highest.

use sqlx::Row;

use crate::{Result, Store};

/// A day (local midnight, Unix seconds) and its total over all sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTotal {
    pub day: i64,
    pub steps: i64,
}

impl Store {
    /// Record `steps` as the absolute total of `source` for `day` (replacing that source's earlier report) and
    /// return the day's total over all sources. The caller has validated and capped the value.
    pub async fn put_steps(&self, user_id: i64, day: i64, source: i64, steps: i64) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO daily_steps (user_id, day, source, steps) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, day, source) DO UPDATE SET steps = excluded.steps",
        )
        .bind(user_id)
        .bind(day)
        .bind(source)
        .bind(steps)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(
            "SELECT MAX(steps) AS total FROM daily_steps WHERE user_id = $1 AND day = $2",
        )
        .bind(user_id)
        .bind(day)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.try_get::<Option<i64>, _>("total")?.unwrap_or(steps))
    }

    /// Day totals of a user for days in `[first_day, last_day]`, ascending; days without data are absent.
    pub async fn day_totals(
        &self,
        user_id: i64,
        first_day: i64,
        last_day: i64,
    ) -> Result<Vec<DayTotal>> {
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
