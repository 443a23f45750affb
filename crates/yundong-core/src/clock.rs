//! The server's clock: system time plus an offset that only a `--dev-clock` server lets the admin move forward.

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
}
