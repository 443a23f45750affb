//! The change feed (migration 0005): triggers append the ids of the users each write concerns to `cache_events`, in
//! the writing transaction. A node reads the feed to learn which of its in-memory copies went stale.
//!
//! Reading in commit order differs by engine. SQLite commits one writer at a time, so ids grow in commit order and a
//! cursor is the last id read. On PostgreSQL a sequence hands out ids in insert order while transactions commit in any
//! order, so the cursor is a transaction-id horizon instead: the `xmin` of the last read's snapshot. Every transaction
//! below it had finished when that snapshot was taken (its events were read then, or it rolled back); anything at or
//! above it may commit later, so the next read takes every event from the horizon on. Events can be read twice, never
//! missed; applying one twice only costs a reload.

use sqlx::Row;

use crate::{Backend, Result, Store, StoreError};

/// The user id that stands for "every user" in the feed (bulk loads append it).
pub const EVERYONE: i64 = 0;

/// Where a node stands in the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// Not read yet: the first read only finds the current position.
    Start,
    /// SQLite: the last event id read.
    Id(i64),
    /// PostgreSQL: the transaction-id horizon (an `xid8`, as text) of the last read.
    Horizon(String),
}

/// One read of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    /// Where the next read starts.
    pub cursor: Cursor,
    /// Users with changes since the previous cursor (possibly repeated; [`EVERYONE`] for all).
    pub users: Vec<i64>,
    /// The highest event id at the time of the read, for pruning.
    pub top_id: i64,
}

fn parse_users(text: Option<String>) -> Result<Vec<i64>> {
    text.as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().map_err(|_| StoreError::Invalid("unreadable change feed")))
        .collect()
}

impl Store {
    /// Read the feed from `cursor` on. Reads only: any node's read pool will do.
    pub async fn read_changes(&self, cursor: &Cursor) -> Result<Changes> {
        match (self.backend, cursor) {
            (Backend::Sqlite, Cursor::Start) | (Backend::Sqlite, Cursor::Id(_)) => {
                let after = match cursor {
                    Cursor::Id(id) => *id,
                    _ => i64::MAX,
                };
                // One statement, so the top and the list come from one snapshot.
                let row = sqlx::query(
                    "SELECT (SELECT COALESCE(MAX(id), 0) FROM cache_events) AS top,
                            (SELECT group_concat(user_id) FROM cache_events WHERE id > $1) AS users",
                )
                .bind(after)
                .fetch_one(&self.pool)
                .await?;
                let top: i64 = row.try_get("top")?;
                let users = parse_users(row.try_get("users")?)?;
                Ok(Changes {
                    cursor: Cursor::Id(top.max(if after == i64::MAX { 0 } else { after })),
                    users,
                    top_id: top,
                })
            }
            (Backend::Postgres, Cursor::Start) | (Backend::Postgres, Cursor::Horizon(_)) => {
                let from = match cursor {
                    Cursor::Horizon(h) => Some(h.as_str()),
                    _ => None,
                };
                let row = sqlx::query(
                    "SELECT CAST(pg_snapshot_xmin(pg_current_snapshot()) AS TEXT) AS horizon,
                            (SELECT COALESCE(MAX(id), 0) FROM cache_events) AS top,
                            (SELECT string_agg(CAST(user_id AS TEXT), ',') FROM cache_events
                             WHERE $1 IS NOT NULL AND xid >= CAST($1 AS xid8)) AS users",
                )
                .bind(from)
                .fetch_one(&self.pool)
                .await?;
                Ok(Changes {
                    cursor: Cursor::Horizon(row.try_get("horizon")?),
                    users: parse_users(row.try_get("users")?)?,
                    top_id: row.try_get("top")?,
                })
            }
            _ => Err(StoreError::Invalid("a change-feed cursor of the other engine")),
        }
    }

    /// Delete events with ids up to `up_to`, at most `chunk` of them; returns how many went. Callers pass an id they
    /// read long enough ago that every node has applied it (see the server's cache module).
    pub async fn prune_changes(&self, up_to: i64, chunk: i64) -> Result<u64> {
        let res = sqlx::query(
            "DELETE FROM cache_events WHERE id <= $1
             AND id <= (SELECT COALESCE(MIN(id), 0) FROM cache_events) + $2",
        )
        .bind(up_to)
        .bind(chunk)
        .execute(&self.writer)
        .await?;
        Ok(res.rows_affected())
    }
}
