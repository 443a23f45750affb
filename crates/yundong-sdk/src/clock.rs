//! The time source of token expiry and watermark age checks.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds now. Implemented by [`SystemClock`] and by any `Fn() -> i64` (handy in tests).
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> i64;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

impl<F: Fn() -> i64 + Send + Sync + 'static> Clock for F {
    fn now(&self) -> i64 {
        self()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks() {
        assert!(SystemClock.now() > 1_700_000_000);
        let fixed = || 42_i64;
        assert_eq!(Clock::now(&fixed), 42);
    }
}
