//! The request journal (migration 0007): rows written in batches by the server's journal writer, read by rid
//! (`/cgi-bin/openapi/rid/get`) and by id (the admin journal), bounded by age and by a row cap.
//! Also the per-month record of quota clears.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{AppId, Backend, Result, Store, StoreError};

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

/// What the admin journal asks for: rows after the id `after`, oldest first, narrowed by exact path, appid and
/// errcode when given, at most `limit`.
#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    pub after: i64,
    pub limit: i64,
    pub path: Option<String>,
    pub appid: Option<String>,
    pub errcode: Option<i64>,
}

/// A stored journal row: its id and the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow {
    pub id: i64,
    pub entry: JournalEntry,
}

/// Rows one pruning statement deletes at most.
const PRUNE_CHUNK: i64 = 1_000;

const COLUMNS: &str = "at, method, path, appid, query, body, status, errcode, errmsg, detail, rid, latency_ms, \
                       fault_id, response, client_ip";
const INSERT_SQLITE: &str = "INSERT INTO request_journal (at, method, path, appid, query, body, status, errcode, \
     errmsg, detail, rid, latency_ms, fault_id, response, client_ip) \
     SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), \
     json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'), \
     json_extract(value, '$[6]'), json_extract(value, '$[7]'), json_extract(value, '$[8]'), \
     json_extract(value, '$[9]'), json_extract(value, '$[10]'), json_extract(value, '$[11]'), \
     json_extract(value, '$[12]'), json_extract(value, '$[13]'), json_extract(value, '$[14]') \
     FROM jsonb_each($1) ORDER BY key";

const INSERT_POSTGRES: &str = "INSERT INTO request_journal (at, method, path, appid, query, body, status, errcode, \
     errmsg, detail, rid, latency_ms, fault_id, response, client_ip) \
     SELECT (e->>0)::bigint, e->>1, e->>2, e->>3, e->>4, e->>5, (e->>6)::bigint, (e->>7)::bigint, e->>8, e->>9, \
     e->>10, (e->>11)::bigint, e->>12, e->>13, e->>14 \
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n";

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
    /// Append `entries` in one statement, in order: the batch is bound as one JSON array of row arrays, which the
    /// database expands itself (SQLite `jsonb_each`, PostgreSQL `jsonb_array_elements`). One bind per batch instead of
    /// fifteen per row: binding values one by one cost more than storing them. On SQLite `jsonb_each`, not
    /// `json_each`: the latter hands each row array back as text, which each of the fifteen extractions parsed again
    /// (the cheapest journaled call kept 0.63 of its throughput with it, 0.70 without).
    pub async fn append_journal(&self, entries: &[JournalEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        // Serialized straight from the entries as arrays (tuples), not through `serde_json::Value`s that copy every
        // string first.
        let rows: Vec<_> = entries
            .iter()
            .map(|e| {
                (
                    e.at,
                    &e.method,
                    &e.path,
                    &e.appid,
                    &e.query,
                    &e.body,
                    e.status,
                    e.errcode,
                    &e.errmsg,
                    &e.detail,
                    &e.rid,
                    e.latency_ms,
                    &e.fault_id,
                    &e.response,
                    &e.client_ip,
                )
            })
            .collect();
        let batch = serde_json::to_string(&rows).map_err(|_| StoreError::Invalid("unserializable journal entry"))?;
        let sql = match self.backend {
            Backend::Sqlite => INSERT_SQLITE,
            Backend::Postgres => INSERT_POSTGRES,
        };
        sqlx::query(sql).bind(batch).execute(&self.writer).await?;
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

    /// Journal rows as `filter` asks (see [`JournalFilter`]).
    pub async fn journal_query(&self, filter: &JournalFilter) -> Result<Vec<JournalRow>> {
        let mut sql = format!("SELECT id, {COLUMNS} FROM request_journal WHERE id > $1");
        let mut n = 1;
        let mut clause = |sql: &mut String, column: &str| {
            n += 1;
            sql.push_str(&format!(" AND {column} = ${n}"));
        };
        if filter.path.is_some() {
            clause(&mut sql, "path");
        }
        if filter.appid.is_some() {
            clause(&mut sql, "appid");
        }
        if filter.errcode.is_some() {
            clause(&mut sql, "errcode");
        }
        n += 1;
        sql.push_str(&format!(" ORDER BY id LIMIT ${n}"));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(filter.after);
        if let Some(path) = &filter.path {
            q = q.bind(path);
        }
        if let Some(appid) = &filter.appid {
            q = q.bind(appid);
        }
        if let Some(errcode) = filter.errcode {
            q = q.bind(errcode);
        }
        let rows = q.bind(filter.limit).fetch_all(&self.pool).await?;
        rows.iter().map(row_to_entry).collect()
    }

    /// Keep the journal within its bounds: drop rows written before `oldest` and all but the newest `keep` rows.
    /// Returns how many rows were dropped.
    ///
    /// Rows are appended in time order, so the rows too old are the oldest ids: everything below the first row young
    /// enough goes, found by walking ids up from the lowest (in the steady state the lowest is young enough, and the
    /// walk stops at once; a `WHERE at < $1` scanned the whole table, tens of megabytes, at every prune). A row
    /// appended late with an older time (another node's queue) waits for the next prune past it.
    pub async fn prune_journal(&self, oldest: i64, keep: i64) -> Result<u64> {
        let mut n = sqlx::query(
            "DELETE FROM request_journal WHERE id < COALESCE(
                 (SELECT id FROM request_journal WHERE at >= $1 ORDER BY id LIMIT 1),
                 (SELECT MAX(id) + 1 FROM request_journal))",
        )
        .bind(oldest)
        .execute(&self.writer)
        .await?
        .rows_affected();
        let newest: Option<i64> = sqlx::query("SELECT MAX(id) AS m FROM request_journal")
            .fetch_one(&self.pool)
            .await?
            .try_get("m")?;
        if let Some(newest) = newest {
            // In chunks, each its own short transaction: one DELETE of ten thousand rows held SQLite's one writer long
            // enough to show in the p99 of every call that writes (a session touch, an upload).
            loop {
                let gone = sqlx::query(
                    "DELETE FROM request_journal WHERE id <= $1
                     AND id <= (SELECT COALESCE(MIN(id), 0) FROM request_journal) + $2",
                )
                .bind(newest - keep)
                .bind(PRUNE_CHUNK)
                .execute(&self.writer)
                .await?
                .rows_affected();
                n += gone;
                if gone == 0 {
                    break;
                }
            }
        }
        Ok(n)
    }

    /// The highest journal id so far (0 when empty).
    pub async fn journal_top(&self) -> Result<i64> {
        let top: Option<i64> = sqlx::query("SELECT MAX(id) AS m FROM request_journal")
            .fetch_one(&self.pool)
            .await?
            .try_get("m")?;
        Ok(top.unwrap_or(0))
    }

    /// Empty the journal.
    pub async fn clear_journal(&self) -> Result<()> {
        sqlx::query("DELETE FROM request_journal").execute(&self.writer).await?;
        Ok(())
    }

    /// Record a quota clear for `app_id` at `now` unless `limit` clears were recorded since `since`; true when
    /// recorded. One transaction, so concurrent clears cannot both take the last one.
    pub async fn record_quota_clear(&self, app_id: AppId, since: i64, now: i64, limit: i64) -> Result<bool> {
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
    pub async fn clear_app_counters(&self, app_id: AppId) -> Result<()> {
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
