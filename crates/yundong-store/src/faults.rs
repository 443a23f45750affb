//! Fault rules (migration 0008): stored once for the deployment, read whole by each node (which keeps a copy until
//! the change feed shows a rule added or removed), and charged by atomic updates so that `times` holds across nodes.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, UserId};

/// The change-feed key that a fault rule added or removed appends (migration 0008): below every app and token key.
pub const FAULTS_KEY: UserId = UserId(i64::MIN);

/// A fault rule as it is stored (validated by the caller).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewFault {
    pub path: String,
    pub appid: Option<String>,
    pub errcode: Option<i64>,
    pub errmsg: Option<String>,
    pub http_status: i64,
    pub delay_ms: i64,
    pub drop: bool,
    pub probability: f64,
    pub seed: i64,
    pub times: Option<i64>,
}

/// A stored fault rule with its counters.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRow {
    pub id: i64,
    pub rule: NewFault,
    pub remaining: Option<i64>,
    pub matched: i64,
    pub hits: i64,
    pub created_at: i64,
}

const COLUMNS: &str = "id, path, appid, errcode, errmsg, http_status, delay_ms, drop_conn, probability, seed, times, \
                       remaining, matched, hits, created_at";

fn row_to_fault(r: &AnyRow) -> Result<FaultRow> {
    Ok(FaultRow {
        id: r.try_get("id")?,
        rule: NewFault {
            path: r.try_get("path")?,
            appid: r.try_get("appid")?,
            errcode: r.try_get("errcode")?,
            errmsg: r.try_get("errmsg")?,
            http_status: r.try_get("http_status")?,
            delay_ms: r.try_get("delay_ms")?,
            drop: r.try_get::<i64, _>("drop_conn")? != 0,
            probability: r.try_get("probability")?,
            seed: r.try_get("seed")?,
            times: r.try_get("times")?,
        },
        remaining: r.try_get("remaining")?,
        matched: r.try_get("matched")?,
        hits: r.try_get("hits")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    /// Store a rule; its id.
    pub async fn add_fault(&self, f: &NewFault, now: i64) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO fault_rules (path, appid, errcode, errmsg, http_status, delay_ms, drop_conn, probability, \
             seed, times, remaining, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) \
             RETURNING id",
        )
        .bind(&f.path)
        .bind(&f.appid)
        .bind(f.errcode)
        .bind(&f.errmsg)
        .bind(f.http_status)
        .bind(f.delay_ms)
        .bind(i64::from(f.drop))
        .bind(f.probability)
        .bind(f.seed)
        .bind(f.times)
        .bind(now)
        .fetch_one(&self.writer)
        .await?;
        Ok(row.try_get("id")?)
    }

    /// Every rule, oldest first.
    pub async fn faults(&self) -> Result<Vec<FaultRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM fault_rules ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_fault).collect()
    }

    /// Remove the rule `id`; whether it existed.
    pub async fn remove_fault(&self, id: i64) -> Result<bool> {
        let n = sqlx::query("DELETE FROM fault_rules WHERE id = $1")
            .bind(id)
            .execute(&self.writer)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    /// Remove every rule; how many there were.
    pub async fn clear_faults(&self) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM fault_rules")
            .execute(&self.writer)
            .await?
            .rows_affected())
    }

    /// Count one matching call of rule `id`: its number n (1 for the first), or `None` when the rule is gone.
    pub async fn fault_matched(&self, id: i64) -> Result<Option<i64>> {
        let row = sqlx::query("UPDATE fault_rules SET matched = matched + 1 WHERE id = $1 RETURNING matched")
            .bind(id)
            .fetch_optional(&self.writer)
            .await?;
        Ok(row.map(|r| r.try_get("matched")).transpose()?)
    }

    /// Charge one hit to rule `id` (and count the match too when `count_match`): true when the rule fired, false when
    /// it is gone or its `times` are used up. One atomic update, so N `times` fire exactly N times, whichever nodes
    /// the calls reach.
    pub async fn fault_charge(&self, id: i64, count_match: bool) -> Result<bool> {
        let sql = if count_match {
            "UPDATE fault_rules SET hits = hits + 1, matched = matched + 1, remaining = remaining - 1 \
             WHERE id = $1 AND (remaining IS NULL OR remaining > 0) RETURNING id"
        } else {
            "UPDATE fault_rules SET hits = hits + 1, remaining = remaining - 1 \
             WHERE id = $1 AND (remaining IS NULL OR remaining > 0) RETURNING id"
        };
        let row = sqlx::query(sql).bind(id).fetch_optional(&self.writer).await?;
        Ok(row.is_some())
    }
}
