//! This node's position in the database's change feed, and what it has learnt from it: for each user, the local
//! tick at which a change concerning them was last seen.
//!
//! A cached answer records the tick (its *stamp*) of the [`Feed::sync`] that preceded its load. It is still true
//! while no user it depends on has a later tick: a change committed after the load's read is applied by some later
//! sync, at a later tick (one applied at or before the stamp had committed before the sync, hence before the read).
//!
//! [`Feed::sync`] gives read-after-write across nodes: it returns only after a read of the feed that *began after
//! the call*, so every write acknowledged (by any node) before a request arrived is applied before the request looks
//! at the cache. Concurrent requests share reads: one is in flight at a time and each serves everyone who arrived
//! before it began.

use std::collections::VecDeque;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use yundong_store::{CLOCK_KEY, EVERYONE, FeedReader, StepValue, Store, StoreError, UserId};

use crate::clock::Clock;

/// Users remembered with a tick; past this the node forgets everything and starts again (bounds memory).
const MAX_USERS: usize = 500_000;
const PRUNE_CHUNK: i64 = 10_000;
/// Times a reader yields to the runtime before reading (see [`Feed::sync`]).
const GATHER_YIELDS: usize = 2;

tokio::task_local! {
    /// The feed (by address) and ticket of the request this task serves: see [`Feed::scope`].
    static ARRIVAL: (usize, u64);
}

/// A point in this node's view of the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp(u64);

impl Stamp {
    /// A stamp nothing holds at once its user has a change (every applied change has a later tick).
    pub const VOID: Stamp = Stamp(0);

    /// For a stamp kept in an atomic.
    pub(crate) fn raw(self) -> u64 {
        self.0
    }

    pub(crate) fn from_raw(raw: u64) -> Stamp {
        Stamp(raw)
    }
}

struct Position {
    reader: FeedReader,
    last_read: Option<Instant>,
    /// (when, top event id) samples, twelve per retention period, for pruning.
    samples: VecDeque<(Instant, i64)>,
}

/// Told of a read's step values as the read is applied (see [`Feed::on_values`]): the read's tick, the values, and
/// whether an answer stamped at a given stamp and depending on one user held *before* the read.
pub type OnValues = dyn Fn(Stamp, &[StepValue], &dyn Fn(Stamp, UserId) -> bool) + Send + Sync;

pub struct Feed {
    store: Store,
    on_values: std::sync::OnceLock<std::sync::Arc<OnValues>>,
    /// A node that has not read the feed for this long forgets everything it holds: events it missed may be pruned.
    max_gap: Duration,
    /// Events are pruned once they are this old (measured by the node that prunes, from when it saw them as the top).
    retain: Duration,
    position: tokio::sync::Mutex<Position>,
    /// Number of the last read begun, and of the last one applied.
    begun: AtomicU64,
    applied: AtomicU64,
    ticks: RwLock<Ticks>,
    /// Notified after every read (or failed read) once the position is released.
    read_done: Notify,
    pruning: std::sync::Arc<AtomicBool>,
    stats: Counters,
    /// The node's clock, when it follows the deployment's (dev clock, test mode): reloaded from the database at the
    /// first read and whenever the feed shows the clock's key or "everyone" (a reset).
    clock: std::sync::OnceLock<std::sync::Arc<Clock>>,
}

/// Counters for metrics, kept beside the work (relaxed atomics).
#[derive(Default)]
struct Counters {
    reads: AtomicU64,
    events: AtomicU64,
    read_micros: AtomicU64,
    flushes: AtomicU64,
    /// Microseconds from `origin` to the end of the last applied read, plus one (0: none yet).
    last_read: AtomicU64,
    origin: std::sync::OnceLock<Instant>,
}

/// What this node has read from the feed so far.
#[derive(Debug, Clone, Copy)]
pub struct FeedStats {
    pub reads: u64,
    pub events: u64,
    pub read_seconds: f64,
    pub flushes: u64,
    /// Seconds since the last read was applied; `None` before the first.
    pub lag_seconds: Option<f64>,
}

struct NotifyOnDrop<'a>(&'a Notify);

impl Drop for NotifyOnDrop<'_> {
    fn drop(&mut self) {
        self.0.notify_waiters();
    }
}

#[derive(Default)]
struct Ticks {
    now: u64,
    /// Tick of the last "forget everything": answers stamped before it are void.
    flushed: u64,
    users: super::IdMap<UserId, u64>,
}

impl Ticks {
    fn holds(&self, stamp: u64, users: &[UserId]) -> bool {
        stamp >= self.flushed
            && users
                .iter()
                .all(|u| self.users.get(u).is_none_or(|&tick| tick <= stamp))
    }

    fn flush(&mut self) {
        self.now += 1;
        self.flushed = self.now;
        self.users.clear();
    }
}

impl Feed {
    /// `max_gap` must stay well below `retain` (the defaults: one and two minutes).
    pub fn new(store: Store, max_gap: Duration, retain: Duration) -> Self {
        let reader = store.feed_reader();
        Feed {
            store,
            on_values: std::sync::OnceLock::new(),
            max_gap,
            retain,
            position: tokio::sync::Mutex::new(Position {
                reader,
                last_read: None,
                samples: VecDeque::new(),
            }),
            begun: AtomicU64::new(0),
            applied: AtomicU64::new(0),
            ticks: RwLock::default(),
            read_done: Notify::new(),
            pruning: std::sync::Arc::default(),
            stats: Counters::default(),
            clock: std::sync::OnceLock::new(),
        }
    }

    /// Keep `clock`'s offset equal to the deployment's (see the `clock` field).
    pub fn follow_clock(&self, clock: std::sync::Arc<Clock>) {
        let _ = self.clock.set(clock);
    }

    /// Have `hook` told of every read's step values, under the lock that orders reads and checks, before the users'
    /// ticks move (so the holder of per-user copies can bring them up to the read's tick instead of reading them
    /// again). Set once.
    pub fn on_values(&self, hook: std::sync::Arc<OnValues>) {
        let _ = self.on_values.set(hook);
    }

    /// Whether this node follows the deployment's clock (then every request syncs with the feed on arrival).
    pub fn follows_clock(&self) -> bool {
        self.clock.get().is_some()
    }

    /// Apply every change committed before this call; the stamp to give answers loaded from here on.
    ///
    /// One request at a time reads (whoever gets the position's lock); the others wait to be notified and then
    /// check whether that read began after they arrived, all at once rather than passing the lock along one by one.
    ///
    /// Inside [`Feed::scope`] "this call" means the start of the scope (the request's arrival): every sync of one
    /// request is then served by the same read, however many caches the request consults.
    pub async fn sync(&self) -> Result<Stamp, StoreError> {
        let me = self as *const Feed as usize;
        let ticket = ARRIVAL
            .try_with(|&(feed, ticket)| (feed == me).then_some(ticket))
            .ok()
            .flatten()
            .unwrap_or_else(|| self.begun.load(Ordering::Acquire) + 1);
        self.sync_from(ticket).await
    }

    /// Apply every change committed before this call, even inside [`Feed::scope`]: for a request that has just
    /// written something this node must follow before answering (a reset, a clock move).
    pub async fn sync_now(&self) -> Result<Stamp, StoreError> {
        self.sync_from(self.begun.load(Ordering::Acquire) + 1).await
    }

    async fn sync_from(&self, ticket: u64) -> Result<Stamp, StoreError> {
        loop {
            if self.applied.load(Ordering::Acquire) >= ticket {
                break;
            }
            let notified = self.read_done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.applied.load(Ordering::Acquire) >= ticket {
                break;
            }
            if let Ok(guard) = self.position.try_lock() {
                // Dropped after `pos` (declared later, dropped first), so it notifies once the lock is released,
                // even if this future is dropped mid-read: a waiter that found the lock taken always hears of it.
                let _notify = NotifyOnDrop(&self.read_done);
                let mut pos = guard;
                if self.applied.load(Ordering::Acquire) < ticket {
                    self.read(&mut pos).await?;
                }
                break;
            }
            notified.await;
        }
        Ok(self.stamp())
    }

    /// Run `request` with its arrival fixed now: its [`Feed::sync`]s all wait for a read begun after this call.
    pub async fn scope<F: Future>(&self, request: F) -> F::Output {
        let ticket = self.begun.load(Ordering::Acquire) + 1;
        ARRIVAL.scope((self as *const Feed as usize, ticket), request).await
    }

    /// One read of the feed, applied; the caller holds the position.
    async fn read(&self, pos: &mut Position) -> Result<(), StoreError> {
        // Let the requests that are ready to run reach `sync` too, so that one read serves them all (a read begun
        // after they arrived serves them; the yield only gathers them, like group commit).
        for _ in 0..GATHER_YIELDS {
            tokio::task::yield_now().await;
        }
        let n = self.begun.fetch_add(1, Ordering::AcqRel) + 1;
        let started = Instant::now();
        // The store's reader reports each change once, and none on its first read (nothing is cached before it).
        let changes = pos.reader.read().await?;
        let stale = pos.last_read.is_some_and(|t| started.duration_since(t) > self.max_gap);
        // The first read reports no change (nothing is cached before it): the clock is reloaded then all the same, so
        // a move between the node's start and this read is not missed. Read after the feed, so the offset is at least
        // as new as the event that announced it.
        if let Some(clock) = self.clock.get()
            && (pos.last_read.is_none() || changes.users.iter().any(|&u| u == CLOCK_KEY || u == EVERYONE))
        {
            clock.set_offset(self.store.clock_offset().await?);
        }
        self.apply(&changes.users, &changes.values, stale);
        pos.last_read = Some(started);
        self.note_top(pos, started, changes.top_id);
        self.applied.store(n, Ordering::Release);
        let stats = &self.stats;
        let origin = *stats.origin.get_or_init(|| started);
        stats.reads.fetch_add(1, Ordering::Relaxed);
        stats.events.fetch_add(changes.users.len() as u64, Ordering::Relaxed);
        stats
            .read_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        stats
            .last_read
            .store(origin.elapsed().as_micros() as u64 + 1, Ordering::Relaxed);
        Ok(())
    }

    /// Counters for metrics.
    pub fn stats(&self) -> FeedStats {
        let s = &self.stats;
        let last = s.last_read.load(Ordering::Relaxed);
        let lag_seconds = match (last, s.origin.get()) {
            (1.., Some(origin)) => Some((origin.elapsed().as_micros() as u64).saturating_sub(last - 1) as f64 / 1e6),
            _ => None,
        };
        FeedStats {
            reads: s.reads.load(Ordering::Relaxed),
            events: s.events.load(Ordering::Relaxed),
            read_seconds: s.read_micros.load(Ordering::Relaxed) as f64 / 1e6,
            flushes: s.flushes.load(Ordering::Relaxed),
            lag_seconds,
        }
    }

    /// The current stamp, without reading the feed.
    pub fn stamp(&self) -> Stamp {
        Stamp(self.ticks.read().map_or(0, |t| t.now))
    }

    /// Whether an answer stamped `stamp` and depending on `users` still holds.
    pub fn holds(&self, stamp: Stamp, users: &[UserId]) -> bool {
        self.ticks.read().is_ok_and(|t| t.holds(stamp.0, users))
    }

    /// Run `f` with a test of whether an answer stamped `stamp` and depending on one user still holds, under one look
    /// at what this node learnt (for checking thousands of users at once).
    pub fn holds_each<R>(&self, f: impl FnOnce(&dyn Fn(Stamp, UserId) -> bool) -> R) -> R {
        match self.ticks.read() {
            Ok(t) => f(&|stamp: Stamp, user: UserId| t.holds(stamp.0, &[user])),
            Err(_) => f(&|_, _| false),
        }
    }

    fn apply(&self, users: &[UserId], values: &[StepValue], stale: bool) {
        if users.is_empty() && !stale {
            return;
        }
        let Ok(mut t) = self.ticks.write() else { return };
        if stale || users.contains(&EVERYONE) || t.users.len() + users.len() > MAX_USERS {
            t.flush();
            self.stats.flushes.fetch_add(1, Ordering::Relaxed);
            if stale || users.contains(&EVERYONE) {
                return;
            }
        }
        t.now += 1;
        let tick = t.now;
        if !values.is_empty()
            && let Some(hook) = self.on_values.get()
        {
            let before = &*t;
            hook(Stamp(tick), values, &|stamp: Stamp, user: UserId| {
                before.holds(stamp.0, &[user])
            });
        }
        for &u in users {
            t.users.insert(u, tick);
        }
    }

    /// Remember the feed's top now and then; prune what every node has long since read.
    fn note_top(&self, pos: &mut Position, now: Instant, top: i64) {
        if pos
            .samples
            .back()
            .is_none_or(|(t, _)| now.duration_since(*t) >= self.retain / 12)
        {
            pos.samples.push_back((now, top));
        }
        let mut up_to = None;
        while let Some(&(t, id)) = pos.samples.front() {
            if now.duration_since(t) < self.retain {
                break;
            }
            up_to = Some(id);
            pos.samples.pop_front();
        }
        let Some(up_to) = up_to else { return };
        if self.pruning.swap(true, Ordering::AcqRel) {
            return;
        }
        let (store, pruning) = (self.store.clone(), self.pruning.clone());
        tokio::spawn(async move {
            // In chunks, so a large backlog never holds SQLite's one writer for long.
            loop {
                match store.prune_changes(up_to, PRUNE_CHUNK).await {
                    Ok(n) if n > 0 => tokio::task::yield_now().await,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "pruning the change feed failed");
                        break;
                    }
                }
            }
            pruning.store(false, Ordering::Release);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_void_older_answers_of_changed_users_only() {
        let mut t = Ticks {
            now: 5,
            ..Ticks::default()
        };
        t.users.insert(UserId(7), 4);
        t.users.insert(UserId(8), 6);
        assert!(t.holds(5, &[UserId(7), UserId(9)]));
        assert!(!t.holds(5, &[UserId(7), UserId(8)]));
        t.flush();
        assert!(!t.holds(5, &[UserId(9)]), "a flush voids everything stamped before it");
        assert!(t.holds(t.now, &[UserId(9)]));
    }
}
