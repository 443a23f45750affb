//! The admin token: its shape rule, where the one in force lives, and a limit on failed attempts.
//!
//! A token given in `YUNDONG_ADMIN_TOKEN` is fixed for the life of the process. Otherwise the token in force is the
//! hash stored in the database (`settings.admin_token_hash`), read on every admin request, so `yundong admin-token
//! reset` takes effect on every running node at once.
//!
//! Failed attempts (a wrong token; a missing one guesses nothing and is not counted) are counted per client address on
//! each node: after `Config::admin_failure_burst` ([`FAILURE_BURST`] by default) failures within [`FAILURE_WINDOW`],
//! that address gets 429 until the window has passed, whatever token it sends. Behind a reverse proxy every client
//! has the proxy's address: the limit then protects the token, at the cost of locking out the proxy's clients for a
//! minute during an attack.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The shortest admin token accepted.
pub const MIN_TOKEN_CHARS: usize = 32;
/// Failed admin authentications allowed per client address per window, by default (`Config::admin_failure_burst`).
pub use yundong_core::config::FAILURE_BURST;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most (bounds memory under a spray of addresses; reaching it forgets the oldest windows).
const MAX_ADDRESSES: usize = 10_000;

/// Why `token` cannot be the admin token, if it cannot: too short, or with whitespace around it (which no client
/// sends, so it could never authenticate).
pub fn token_problem(token: &str) -> Option<String> {
    if token.trim() != token {
        return Some("the admin token must not start or end with whitespace".into());
    }
    let n = token.chars().count();
    if n < MIN_TOKEN_CHARS {
        return Some(format!(
            "the admin token must be at least {MIN_TOKEN_CHARS} characters (it has {n}); \
             generate one with: openssl rand -hex 32"
        ));
    }
    None
}

/// Failed admin authentications by client address, in fixed windows.
#[derive(Default)]
pub struct Failures {
    by_addr: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Failures {
    /// Whether `addr` is locked out now.
    pub fn locked(&self, addr: IpAddr, now: Instant, burst: u32) -> bool {
        self.by_addr.lock().is_ok_and(|m| {
            m.get(&addr)
                .is_some_and(|&(start, n)| n >= burst && now.duration_since(start) < FAILURE_WINDOW)
        })
    }

    /// Count a failure from `addr`.
    pub fn record(&self, addr: IpAddr, now: Instant) {
        let Ok(mut m) = self.by_addr.lock() else { return };
        if m.len() >= MAX_ADDRESSES {
            m.retain(|_, &mut (start, _)| now.duration_since(start) < FAILURE_WINDOW);
            if m.len() >= MAX_ADDRESSES {
                m.clear();
            }
        }
        let entry = m.entry(addr).or_insert((now, 0));
        if now.duration_since(entry.0) >= FAILURE_WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_rule() {
        assert!(token_problem("a").is_some());
        assert!(token_problem(&format!(" {}", "a".repeat(40))).is_some());
        assert!(token_problem(&format!("{}\n", "a".repeat(40))).is_some());
        assert!(token_problem(&"a".repeat(31)).is_some());
        assert_eq!(token_problem(&"a".repeat(32)), None);
    }

    #[test]
    fn a_burst_of_failures_locks_the_address_for_the_window() {
        let f = Failures::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..FAILURE_BURST - 1 {
            f.record(a, t0);
        }
        assert!(!f.locked(a, t0, FAILURE_BURST));
        f.record(a, t0);
        assert!(f.locked(a, t0, FAILURE_BURST));
        assert!(!f.locked(b, t0, FAILURE_BURST), "other addresses are not affected");
        assert!(
            !f.locked(a, t0 + FAILURE_WINDOW, FAILURE_BURST),
            "the lock ends with the window"
        );
    }
}
