//! The request journal (migration 0007): rows written in batches by the server's journal writer, read by rid
//! (`/cgi-bin/openapi/rid/get`) and by id (the admin journal), bounded by age and by a row cap.
//! Also the per-month record of quota clears.

use std::sync::LazyLock;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, Result, Store};

/// One journaled call, secrets already masked by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JournalEntry {
    pub at: i64,
    pub method: String,
    pub path: String,
    pub appid: Option<String>,
    pub query: String,
    pub body: String,
    pub status: i64,
    pub errcode: Option<i64>,
    pub errmsg: Option<String>,
    pub detail: Option<String>,
    pub rid: Option<String>,
    pub latency_ms: i64,
    pub fault_id: Option<String>,
    pub response: String,
    pub client_ip: String,
}

/// A stored journal row: its id and the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow {
    pub id: i64,
    pub entry: JournalEntry,
}

const COLUMNS: &str = "at, method, path, appid, query, body, status, errcode, errmsg, detail, rid, latency_ms, \
                       fault_id, response, client_ip";
const PER_ROW: usize = 15;
/// `INSERT … VALUES (…), (…), …` for `rows` rows, placeholders numbered in order.
fn insert_sql(rows: usize) -> String {
    let mut sql = format!("INSERT INTO request_journal ({COLUMNS}) VALUES ");
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..PER_ROW {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", i * PER_ROW + c + 1));
        }
        sql.push(')');
    }
    sql
}

/// The INSERT statements by row count, largest first (15 parameters a row: far below both engines' limits).
static INSERTS: LazyLock<[(usize, String); 4]> = LazyLock::new(|| [64, 16, 4, 1].map(|rows| (rows, insert_sql(rows))));

async fn insert_rows(conn: &mut sqlx::AnyConnection, rows: &[JournalEntry], sql: &'static str) -> Result<()> {
    // Built from fixed column names and numbered placeholders only; every value is bound.
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for e in rows {
        q = q
            .bind(e.at)
            .bind(&e.method)
            .bind(&e.path)
            .bind(&e.appid)
            .bind(&e.query)
            .bind(&e.body)
            .bind(e.status)
            .bind(e.errcode)
            .bind(&e.errmsg)
            .bind(&e.detail)
            .bind(&e.rid)
            .bind(e.latency_ms)
            .bind(&e.fault_id)
            .bind(&e.response)
            .bind(&e.client_ip);
    }
    q.execute(conn).await?;
    Ok(())
}

fn row_to_entry(r: &AnyRow) -> Result<JournalRow> {
    Ok(JournalRow {
        id: r.try_get("id")?,
        entry: JournalEntry {
            at: r.try_get("at")?,
            method: r.try_get("method")?,
            path: r.try_get("path")?,
            appid: r.try_get("appid")?,
            query: r.try_get("query")?,
            body: r.try_get("body")?,
            status: r.try_get("status")?,
            errcode: r.try_get("errcode")?,
            errmsg: r.try_get("errmsg")?,
            detail: r.try_get("detail")?,
            rid: r.try_get("rid")?,
            latency_ms: r.try_get("latency_ms")?,
            fault_id: r.try_get("fault_id")?,
            response: r.try_get("response")?,
            client_ip: r.try_get("client_ip")?,
        },
    })
}

impl Store {
    /// Append `entries` in one transaction, in order. Rows go in statements of 64, 16, 4 and 1 rows, largest first,
    /// so that only four SQL texts exist and all stay prepared (a statement per batch size would be prepared again
    /// for nearly every batch), and a batch takes few statements.
    pub async fn append_journal(&self, entries: &[JournalEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer.begin().await?;
        let mut rest = entries;
        for (rows, sql) in INSERTS.iter() {
            while rest.len() >= *rows {
                let (now, later) = rest.split_at(*rows);
                insert_rows(&mut tx, now, sql).await?;
                rest = later;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The journaled call that handed out `rid`, if it is still kept.
    pub async fn journal_by_rid(&self, rid: &str) -> Result<Option<JournalRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, {COLUMNS} FROM request_journal WHERE rid = $1 ORDER BY id LIMIT 1"
        )))
        .bind(rid)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row_to_entry).transpose()
    }

    /// Journal rows with an id above `after`, oldest first, at most `limit`.
    pub async fn journal_after(&self, after: i64, limit: i64) -> Result<Vec<JournalRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, {COLUMNS} FROM request_journal WHERE id > $1 ORDER BY id LIMIT $2"
        )))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_entry).collect()
    }

    /// Keep the journal within its bounds: drop rows written before `oldest` and all but the newest `keep` rows.
    /// Returns how many rows were dropped.
    pub async fn prune_journal(&self, oldest: i64, keep: i64) -> Result<u64> {
        let mut n = sqlx::query("DELETE FROM request_journal WHERE at < $1")
            .bind(oldest)
            .execute(&self.writer)
            .await?
            .rows_affected();
        let newest: Option<i64> = sqlx::query("SELECT MAX(id) AS m FROM request_journal")
            .fetch_one(&self.pool)
            .await?
            .try_get("m")?;
        if let Some(newest) = newest {
            n += sqlx::query("DELETE FROM request_journal WHERE id <= $1")
                .bind(newest - keep)
                .execute(&self.writer)
                .await?
                .rows_affected();
        }
        Ok(n)
    }

    /// Empty the journal.
    pub async fn clear_journal(&self) -> Result<()> {
        sqlx::query("DELETE FROM request_journal").execute(&self.writer).await?;
        Ok(())
    }

    /// Record a quota clear for `app_id` at `now` unless `limit` clears were recorded since `since`; true when
    /// recorded. One transaction, so concurrent clears cannot both take the last one.
    pub async fn record_quota_clear(&self, app_id: i64, since: i64, now: i64, limit: i64) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        // SQLite has one writer connection, so its transactions are serial already; on PostgreSQL the app's row
        // lock serialises concurrent clears of one app.
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT id FROM apps WHERE id = $1 FOR UPDATE")
                .bind(app_id)
                .fetch_optional(&mut *tx)
                .await?;
        }
        let used: i64 = sqlx::query("SELECT COUNT(*) AS n FROM quota_clears WHERE app_id = $1 AND at >= $2")
            .bind(app_id)
            .bind(since)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if used >= limit {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("INSERT INTO quota_clears (app_id, at) VALUES ($1, $2)")
            .bind(app_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Reset the daily and per-minute call counters kept for `app_id` (what `/cgi-bin/clear_quota` clears).
    pub async fn clear_app_counters(&self, app_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM rate_counters WHERE key = $1 OR key = $2 OR key LIKE $3")
            .bind(format!("token:{app_id}"))
            .bind(format!("stable:{app_id}"))
            .bind(format!("reset:{app_id}:%"))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The count under `key` in the window starting at `window_start` (0 when none).
    pub async fn counter(&self, key: &str, window_start: i64) -> Result<i64> {
        let row = sqlx::query("SELECT count FROM rate_counters WHERE key = $1 AND window_start = $2")
            .bind(key)
            .bind(window_start)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("count")).transpose()?.unwrap_or(0))
    }
}
