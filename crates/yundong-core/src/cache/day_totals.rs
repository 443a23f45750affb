//! This node's index of the ranking inputs, per user and day, so that a ranking is built from memory: for each user
//! seen as someone's friend, their row of the day (switches, nickname, day total, like count, check-in head), and for
//! each viewer their side (friends visible to them, rows they liked).
//!
//! Kept true by the change feed ([`super::Feed`]) the same way cached answers are, but per user: a row records the
//! stamp it was read at and is used only while its user has no later change; a write therefore costs one reload of
//! that user's row (shared by every viewer), not a recompute of every ranking the user is on. A viewer's side depends
//! on the viewer alone (friendship, hiding and like writes all name both users).
//!
//! Step writes, the writes that never stop, cost no reload at all: the feed carries the value each one wrote
//! (migration 0010), and [`DayTotals::apply_values`] brings a held row up to the read's tick in place when the value
//! is at or above the day total it holds (a source's new count at or above the highest is the new highest). A lower
//! value (a source that is not the highest, or a count that went down), or any other change in the same read,
//! leaves the row to be read again.
//!
//! Bounds: at most [`MAX_DAYS`] days, [`MAX_ROWS`] rows over all days (past it the oldest day, then everything, is
//! dropped) and [`VIEWER_BUDGET`] bytes of viewers' sides (past it they are all dropped). Dropped data reloads on use.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use yundong_proto::sport::SportRecord;
use yundong_store::{StepValue, Store, StoreError, UserDayRow, UserId, ViewerDay};

use super::{Feed, IdMap, Stamp};

/// Days held (today, yesterday across midnight, and one more the window asked for).
pub const MAX_DAYS: usize = 3;
/// User rows held over all days.
pub const MAX_ROWS: usize = 3_000_000;
/// Bytes of viewers' sides (friend and like lists) held.
pub const VIEWER_BUDGET: usize = 64 << 20;

/// One user's inputs for one day.
#[derive(Debug)]
pub struct UserDay {
    pub user_id: UserId,
    pub nickname: Box<str>,
    pub werun: bool,
    pub join_ranking: bool,
    pub steps: i64,
    pub likes: i64,
    pub checkin: Option<SportRecord>,
}

struct Held {
    stamp: Stamp,
    /// `None`: no such user.
    row: Option<Arc<UserDay>>,
}

/// A viewer's side of one day.
pub struct ViewerSide {
    /// A [`Stamp`]; moved forward in place when only the viewer's step count changed (see `apply_values`).
    stamp: AtomicU64,
    pub side: ViewerDay,
}

/// Viewers' sides by (viewer, day), and the bytes they take.
type Viewers = (IdMap<(UserId, i64), Arc<ViewerSide>>, usize);

#[derive(Default)]
struct Days {
    days: HashMap<i64, Arc<RwLock<IdMap<UserId, Held>>>>,
}

/// The index (see the module docs).
#[derive(Default)]
pub struct DayTotals {
    days: Mutex<Days>,
    viewers: Mutex<Viewers>,
    rows_loaded: AtomicU64,
    rows_reused: AtomicU64,
    rows_patched: AtomicU64,
    viewers_loaded: AtomicU64,
}

/// Counters since the node started, and sizes now.
#[derive(Debug, Clone, Copy, Default)]
pub struct DayTotalsCounts {
    /// User rows read from the database (a first use, or a change since the last read).
    pub rows_loaded: u64,
    /// User rows served from memory.
    pub rows_reused: u64,
    /// Held rows brought up to date from a step value the feed carried, without a read.
    pub rows_patched: u64,
    pub viewers_loaded: u64,
    pub rows: usize,
    pub viewers: usize,
}

fn held(row: UserDayRow) -> Arc<UserDay> {
    Arc::new(UserDay {
        user_id: row.user_id,
        nickname: row.nickname.into_boxed_str(),
        werun: row.werun,
        join_ranking: row.join_ranking,
        steps: row.steps,
        likes: row.likes,
        checkin: row.checkin,
    })
}

impl DayTotals {
    pub fn new() -> Self {
        Self::default()
    }

    fn day_map(&self, day: i64) -> Arc<RwLock<IdMap<UserId, Held>>> {
        let mut d = self.days.lock().unwrap_or_else(|e| e.into_inner());
        if !d.days.contains_key(&day) && d.days.len() >= MAX_DAYS {
            // The oldest day goes first (a new day arrives at midnight; old ones are the window's rare asks).
            if let Some(&oldest) = d.days.keys().min() {
                d.days.remove(&oldest);
            }
        }
        d.days.entry(day).or_default().clone()
    }

    fn total_rows(&self) -> usize {
        let d = self.days.lock().unwrap_or_else(|e| e.into_inner());
        d.days.values().map(|m| m.read().map_or(0, |m| m.len())).sum()
    }

    /// Keep the rows within [`MAX_ROWS`] before adding `adding` more to `day`.
    fn make_room(&self, day: i64, adding: usize) {
        if self.total_rows() + adding <= MAX_ROWS {
            return;
        }
        let mut d = self.days.lock().unwrap_or_else(|e| e.into_inner());
        let others: Vec<i64> = d.days.keys().copied().filter(|&k| k != day).collect();
        for k in others {
            d.days.remove(&k);
        }
        let left: usize = d.days.values().map(|m| m.read().map_or(0, |m| m.len())).sum();
        if left + adding > MAX_ROWS
            && let Some(m) = d.days.get(&day)
            && let Ok(mut m) = m.write()
        {
            m.clear();
        }
    }

    /// The rows of `day` for `ids`, in that order (`None`: no such user), each true as of the caller's last
    /// [`Feed::sync`]: held rows whose user has not changed since they were read, the others read now.
    pub async fn rows(
        &self,
        store: &Store,
        feed: &Feed,
        ids: &[UserId],
        day: i64,
    ) -> Result<Vec<Option<Arc<UserDay>>>, StoreError> {
        let map = self.day_map(day);
        let mut out: Vec<Option<Arc<UserDay>>> = Vec::with_capacity(ids.len());
        let mut stale: Vec<usize> = Vec::new();
        // The feed's lock before the map's: the order [`DayTotals::apply_values`] takes them in.
        feed.holds_each(|holds| {
            let m = map.read().unwrap_or_else(|e| e.into_inner());
            for (i, id) in ids.iter().enumerate() {
                match m.get(id) {
                    Some(h) if holds(h.stamp, *id) => out.push(h.row.clone()),
                    _ => {
                        out.push(None);
                        stale.push(i);
                    }
                }
            }
        });
        let reused = (ids.len() - stale.len()) as u64;
        self.rows_reused.fetch_add(reused, Ordering::Relaxed);
        if stale.is_empty() {
            return Ok(out);
        }
        // Stamped before the read: a change committed after this point is applied at a later tick, so the row is
        // never taken as fresher than it is (at worst it is read again).
        let stamp = feed.stamp();
        let want: Vec<UserId> = stale.iter().map(|&i| ids[i]).collect();
        let mut read: HashMap<UserId, Arc<UserDay>> = store
            .user_day_rows(&want, day)
            .await?
            .into_iter()
            .map(|r| (r.user_id, held(r)))
            .collect();
        self.rows_loaded.fetch_add(want.len() as u64, Ordering::Relaxed);
        self.make_room(day, want.len());
        let map = self.day_map(day);
        let mut m = map.write().unwrap_or_else(|e| e.into_inner());
        for &i in &stale {
            let id = ids[i];
            let row = read.remove(&id);
            out[i] = row.clone();
            match m.get(&id) {
                // A concurrent request read a newer copy: keep it.
                Some(h) if h.stamp > stamp => {}
                _ => {
                    m.insert(id, Held { stamp, row });
                }
            }
        }
        Ok(out)
    }

    /// Bring held rows up to `tick` from a feed read's step values ([`Feed::on_values`]; called with the feed's lock
    /// held, before the users' ticks move). A row is patched when it held before the read (`held`) and the value is
    /// at or above its day total; otherwise it is marked for a read.
    pub fn apply_values(&self, tick: Stamp, values: &[StepValue], held: &dyn Fn(Stamp, UserId) -> bool) {
        let mut patched = 0;
        for v in values {
            let map = {
                let d = self.days.lock().unwrap_or_else(|e| e.into_inner());
                match d.days.get(&v.day) {
                    Some(m) => m.clone(),
                    None => continue,
                }
            };
            let mut m = map.write().unwrap_or_else(|e| e.into_inner());
            let Some(h) = m.get_mut(&v.user_id) else { continue };
            match &h.row {
                // `tick` is this read's: a second value of the user in the same read finds the row patched already.
                Some(row) if (h.stamp == tick || held(h.stamp, v.user_id)) && v.steps >= row.steps => {
                    h.row = Some(Arc::new(UserDay {
                        nickname: row.nickname.clone(),
                        checkin: row.checkin,
                        steps: v.steps,
                        ..**row
                    }));
                    h.stamp = tick;
                    patched += 1;
                }
                _ => h.stamp = Stamp::VOID,
            }
        }
        self.rows_patched.fetch_add(patched, Ordering::Relaxed);
        // A viewer's side (friends, likes given) does not depend on steps: a viewer whose only changes are step
        // counts keeps it, carried forward to this tick if it held before the read.
        let v = self.viewers.lock().unwrap_or_else(|e| e.into_inner());
        if v.0.is_empty() {
            return;
        }
        let days: Vec<i64> = self
            .days
            .lock()
            .map_or_else(|_| Vec::new(), |d| d.days.keys().copied().collect());
        let mut users: Vec<UserId> = values.iter().map(|v| v.user_id).collect();
        users.sort_unstable();
        users.dedup();
        for user in users {
            for &day in &days {
                if let Some(side) = v.0.get(&(user, day)) {
                    let stamp = Stamp::from_raw(side.stamp.load(Ordering::Acquire));
                    if stamp == tick || held(stamp, user) {
                        side.stamp.store(tick.raw(), Ordering::Release);
                    }
                }
            }
        }
    }

    /// `viewer`'s side of `day`, true as of the caller's last [`Feed::sync`].
    pub async fn viewer(
        &self,
        store: &Store,
        feed: &Feed,
        viewer: UserId,
        day: i64,
    ) -> Result<Arc<ViewerSide>, StoreError> {
        let key = (viewer, day);
        let held = {
            let v = self.viewers.lock().unwrap_or_else(|e| e.into_inner());
            v.0.get(&key).cloned()
        };
        if let Some(h) = held
            && feed.holds(Stamp::from_raw(h.stamp.load(Ordering::Acquire)), &[viewer])
        {
            return Ok(h);
        }
        let stamp = feed.stamp();
        let side = store.viewer_day(viewer, day).await?;
        self.viewers_loaded.fetch_add(1, Ordering::Relaxed);
        let cost = (side.friends.len() + side.liked.len()) * 8 + 96;
        let side = Arc::new(ViewerSide {
            stamp: AtomicU64::new(stamp.raw()),
            side,
        });
        let mut v = self.viewers.lock().unwrap_or_else(|e| e.into_inner());
        let (map, used) = &mut *v;
        if *used + cost > VIEWER_BUDGET {
            map.clear();
            *used = 0;
        }
        if let Some(old) = map.insert(key, side.clone()) {
            *used = used.saturating_sub((old.side.friends.len() + old.side.liked.len()) * 8 + 96);
        }
        *used += cost;
        Ok(side)
    }

    /// Counters and sizes, for metrics and the benchmarks.
    pub fn stats(&self) -> DayTotalsCounts {
        DayTotalsCounts {
            rows_loaded: self.rows_loaded.load(Ordering::Relaxed),
            rows_reused: self.rows_reused.load(Ordering::Relaxed),
            rows_patched: self.rows_patched.load(Ordering::Relaxed),
            viewers_loaded: self.viewers_loaded.load(Ordering::Relaxed),
            rows: self.total_rows(),
            viewers: self.viewers.lock().map_or(0, |v| v.0.len()),
        }
    }
}
