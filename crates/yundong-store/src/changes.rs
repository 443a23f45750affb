//! The change feed (migration 0005): triggers append the ids of the users each write concerns to `cache_events`, in
//! the writing transaction. A node reads the feed to learn which of its in-memory copies went stale.
//!
//! Reading in commit order differs by engine. SQLite commits one writer at a time, so ids grow in commit order and a
//! cursor is the last id read. On PostgreSQL a sequence hands out ids in insert order while transactions commit in any
//! order, so the cursor is a transaction-id horizon instead: the `xmin` of the last read's snapshot. Every transaction
//! below it had finished when that snapshot was taken (its events were read then, or it rolled back); anything at or
//! above it may commit later, so the next read takes every event from the horizon on. Events can be read twice, never
//! missed; applying one twice only costs a reload.

use std::collections::{HashMap, HashSet};

use sqlx::{AnyConnection, Row};

use crate::{Backend, Result, Store, StoreError, UserId};

/// The user id that stands for "every user" in the feed (bulk loads append it).
pub const EVERYONE: UserId = UserId(0);

/// Where a reader stands in the feed (opaque outside the store).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cursor {
    /// Not read yet: the first read finds the current position (on PostgreSQL with the events at or above the
    /// horizon, which later reads return again: a reader marks them as seen without applying them).
    Start,
    /// SQLite: the last event id read.
    Id(i64),
    /// PostgreSQL: the transaction-id horizon (an `xid8`, as text) of the last read.
    Horizon(String),
}

/// One event: a write concerning a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Event {
    id: i64,
    /// The user concerned, or [`EVERYONE`].
    user_id: UserId,
    /// PostgreSQL: the writing transaction's id (an event is read again while its xid is at or above the horizon).
    xid: Option<u64>,
    /// A step write's (day, new steps) for its source (migration 0010); `None` for every other event.
    value: Option<(i64, i64)>,
}

/// A step write as the feed reports it: `user_id`'s steps of `day` from one source are now `steps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepValue {
    pub user_id: UserId,
    pub day: i64,
    pub steps: i64,
}

/// One read of the feed, as the engine returned it.
struct Read {
    /// Where the next read starts.
    cursor: Cursor,
    /// Events since the previous cursor; on PostgreSQL also ones read before whose transaction id is still at or
    /// above the old horizon (the reader skips those by id).
    events: Vec<Event>,
    top_id: i64,
}

/// What a read of the feed learnt: the users concerned by changes committed since the reader's previous read, each
/// change reported once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    /// The users concerned (with repeats; [`EVERYONE`] for a bulk change). Empty on a reader's first read, which
    /// only finds its position.
    pub users: Vec<UserId>,
    /// The step values written, in feed order, of the users all of whose events in this read are step writes (so
    /// these values are everything that changed about them); a subset of `users`.
    pub values: Vec<StepValue>,
    /// The highest event id at the time of the read, for pruning.
    pub top_id: i64,
}

impl Cursor {
    /// PostgreSQL: the horizon as a number (events with a lower xid will never be read again).
    fn horizon(&self) -> Option<u64> {
        match self {
            Cursor::Horizon(h) => h.parse().ok(),
            _ => None,
        }
    }
}

/// `id:user[:xid][/day/steps]` items separated by commas.
fn parse_events(text: Option<String>) -> Result<Vec<Event>> {
    let bad = || StoreError::Invalid("unreadable change feed");
    text.as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|t| !t.is_empty())
        .map(|item| {
            let (item, value) = match item.split_once('/') {
                Some((head, v)) => {
                    let (day, steps) = v.split_once('/').ok_or_else(bad)?;
                    let int = |t: &str| t.parse::<i64>().map_err(|_| bad());
                    (head, Some((int(day)?, int(steps)?)))
                }
                None => (item, None),
            };
            let mut parts = item.split(':');
            let id = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
            let user_id = UserId(parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?);
            let xid = parts.next().map(|p| p.parse().map_err(|_| bad())).transpose()?;
            Ok(Event {
                id,
                user_id,
                xid,
                value,
            })
        })
        .collect()
}

/// A connection of its own for reading the feed: a node reads it for nearly every request, so it skips the pool
/// (its queue and the ping before each acquire). Taken from the pool once, and again after an error.
pub struct FeedReader {
    store: Store,
    /// Detached from the pool: the pool neither counts it nor waits for it when it closes.
    conn: Option<AnyConnection>,
    cursor: Cursor,
    /// PostgreSQL: events reported whose transaction id is still at or above the horizon (id → xid), so that each is
    /// reported once; forgotten when the horizon passes them.
    seen: HashMap<i64, u64>,
}

impl FeedReader {
    /// The changes committed since the previous read (none on the first, which finds the position).
    pub async fn read(&mut self) -> Result<Changes> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => self.conn.insert(self.store.pool.acquire().await?.detach()),
        };
        let read = match read_on(conn, self.store.backend, &self.cursor).await {
            Ok(read) => read,
            Err(e) => {
                self.conn = None;
                return Err(e);
            }
        };
        let first = self.cursor == Cursor::Start;
        let seen = &mut self.seen;
        let mut fresh: Vec<&Event> = read
            .events
            .iter()
            .filter(|e| e.xid.is_none_or(|xid| seen.insert(e.id, xid).is_none()))
            .collect();
        if first {
            fresh.clear();
        }
        fresh.sort_unstable_by_key(|e| e.id);
        let users: Vec<UserId> = fresh.iter().map(|e| e.user_id).collect();
        let unvalued: HashSet<UserId> = fresh.iter().filter(|e| e.value.is_none()).map(|e| e.user_id).collect();
        let values: Vec<StepValue> = fresh
            .iter()
            .filter(|e| !unvalued.contains(&e.user_id))
            .filter_map(|e| {
                e.value.map(|(day, steps)| StepValue {
                    user_id: e.user_id,
                    day,
                    steps,
                })
            })
            .collect();
        if let Some(horizon) = read.cursor.horizon() {
            seen.retain(|_, xid| *xid >= horizon);
        }
        self.cursor = read.cursor;
        Ok(Changes {
            users,
            values,
            top_id: read.top_id,
        })
    }
}

async fn read_on(db: &mut AnyConnection, backend: Backend, cursor: &Cursor) -> Result<Read> {
    match (backend, cursor) {
        (Backend::Sqlite, Cursor::Start) | (Backend::Sqlite, Cursor::Id(_)) => {
            let after = match cursor {
                Cursor::Id(id) => *id,
                _ => i64::MAX,
            };
            // One statement, so the top and the list come from one snapshot.
            let row = sqlx::query(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM cache_events) AS top,
                        (SELECT group_concat(id || ':' || user_id || COALESCE('/' || day || '/' || steps, ''))
                         FROM cache_events WHERE id > $1) AS events",
            )
            .bind(after)
            .fetch_one(db)
            .await?;
            let top: i64 = row.try_get("top")?;
            let events = parse_events(row.try_get("events")?)?;
            Ok(Read {
                cursor: Cursor::Id(top.max(if after == i64::MAX { 0 } else { after })),
                events,
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
                        (SELECT string_agg(CAST(id AS TEXT) || ':' || CAST(user_id AS TEXT) || ':' ||
                                           CAST(xid AS TEXT) ||
                                           COALESCE('/' || CAST(day AS TEXT) || '/' || CAST(steps AS TEXT), ''),
                                           ',' ORDER BY id)
                         FROM cache_events
                         WHERE xid >= COALESCE(CAST($1 AS xid8), pg_snapshot_xmin(pg_current_snapshot())))
                        AS events",
            )
            .bind(from)
            .fetch_one(db)
            .await?;
            Ok(Read {
                cursor: Cursor::Horizon(row.try_get("horizon")?),
                events: parse_events(row.try_get("events")?)?,
                top_id: row.try_get("top")?,
            })
        }
        _ => Err(StoreError::Invalid("a change-feed cursor of the other engine")),
    }
}

impl Store {
    /// A reader of the feed with a connection of its own.
    pub fn feed_reader(&self) -> FeedReader {
        FeedReader {
            store: self.clone(),
            conn: None,
            cursor: Cursor::Start,
            seen: HashMap::new(),
        }
    }

    /// How many events the feed holds.
    pub async fn change_count(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM cache_events")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
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
