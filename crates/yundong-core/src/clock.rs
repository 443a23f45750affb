//! The server's clock: system time plus an offset. On a server started with `--dev-clock` or `--test-mode` the
//! offset is the deployment's (stored in the database, migration 0009): this is the node's copy, reloaded through the
//! change feed when the stored offset changes (`cache::feed`), so reading the clock never touches the database.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
}

impl Clock {
    /// Unix seconds, as this server sees them.
    pub fn now(&self) -> i64 {
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        system + self.offset.load(Ordering::Relaxed)
    }

    pub fn offset(&self) -> i64 {
        self.offset.load(Ordering::Relaxed)
    }

    /// Move the clock forward by `seconds` (never back: expiry only ever moves one way).
    pub fn advance(&self, seconds: i64) -> i64 {
        self.offset.fetch_add(seconds, Ordering::Relaxed) + seconds
    }

    /// Take the deployment's offset (read from the database by the change feed's reader).
    pub fn set_offset(&self, offset: i64) {
        self.offset.store(offset, Ordering::Relaxed);
    }

    /// Unix seconds of the system clock, without the offset.
    pub fn system_now() -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}
