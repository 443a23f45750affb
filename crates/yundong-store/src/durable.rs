//! Durable writes and race-free quotas.
//!
//! On SQLite the connections run `synchronous=NORMAL` (WAL), which survives a process crash but not a power loss or
//! kernel crash for the last commits. Writes a user cannot simply redo (a check-in, a new app whose secret is shown
//! once, consent, hiding a friend, a like, a credential reset …) are committed with `synchronous=FULL` on the one
//! writer connection, so they are fsync'd before they are acknowledged, as the step batches are. On PostgreSQL
//! `synchronous_commit` (on by default) already does this for every commit.
//!
//! A quota is a counter per key and window, bumped by an upsert inside the writing transaction. The upsert locks the
//! counter's row on PostgreSQL (and SQLite has one writer), so concurrent writes of one user are serialized on it and
//! no two of them can both see room for one more; a write over the limit is rolled back with its bump.

use sqlx::{AnyConnection, Row};

use crate::{Backend, Result, Store, StoreError};

/// A limit to respect in a write: `key`'s count in the window starting at `window_start` may reach `limit` after
/// adding `amount`.
#[derive(Debug, Clone)]
pub struct Quota {
    pub key: String,
    pub window_start: i64,
    pub amount: i64,
    pub limit: i64,
    /// What is limited, for the error (`check-ins per day` …).
    pub what: &'static str,
}

/// Add every quota's amount; the first quota that goes over its limit is an error (the caller's transaction then
/// rolls back, undoing the bumps).
pub(crate) async fn charge(conn: &mut AnyConnection, quotas: &[Quota]) -> Result<()> {
    for q in quotas {
        let row = sqlx::query(
            "INSERT INTO rate_counters (key, window_start, count) VALUES ($1, $2, $3)
             ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + $3
             RETURNING count",
        )
        .bind(&q.key)
        .bind(q.window_start)
        .bind(q.amount)
        .fetch_one(&mut *conn)
        .await?;
        if row.try_get::<i64, _>("count")? > q.limit {
            return Err(StoreError::QuotaExceeded {
                what: q.what,
                limit: q.limit,
            });
        }
    }
    Ok(())
}

impl Store {
    /// Refuse early, from a read, a write that a quota already forbids: a user hammering past a quota must not take
    /// the one writer connection from everyone else. (The write itself still charges the quota in its transaction,
    /// which is what makes the limit exact under concurrency.)
    pub(crate) async fn precheck(&self, quotas: &[Quota]) -> Result<()> {
        for q in quotas {
            let row = sqlx::query("SELECT count FROM rate_counters WHERE key = $1 AND window_start = $2")
                .bind(&q.key)
                .bind(q.window_start)
                .fetch_optional(&self.pool)
                .await?;
            let used = row.map(|r| r.try_get::<i64, _>("count")).transpose()?.unwrap_or(0);
            if used + q.amount > q.limit {
                return Err(StoreError::QuotaExceeded {
                    what: q.what,
                    limit: q.limit,
                });
            }
        }
        Ok(())
    }

    /// Switch the writer connection's fsync policy (SQLite; nothing to do on PostgreSQL).
    pub(crate) async fn full_sync(&self, conn: &mut AnyConnection, on: bool) -> Result<()> {
        if self.backend == Backend::Sqlite {
            let pragma = if on {
                "PRAGMA synchronous=FULL"
            } else {
                "PRAGMA synchronous=NORMAL"
            };
            sqlx::query(pragma).execute(conn).await?;
        }
        Ok(())
    }
}

/// Run `$body` with `$conn: &mut AnyConnection` bound to the writer connection, committed durably (see the module
/// docs). `$body` is an async block; its result is returned once the fsync policy is back to normal.
macro_rules! durably {
    ($store:expr, |$conn:ident| $body:block) => {{
        let store: &$crate::Store = $store;
        let mut guard = store.writer.acquire().await?;
        store.full_sync(&mut guard, true).await?;
        let result: $crate::Result<_> = async {
            let $conn: &mut sqlx::AnyConnection = &mut *guard;
            $body
        }
        .await;
        store.full_sync(&mut guard, false).await?;
        result
    }};
}
pub(crate) use durably;
