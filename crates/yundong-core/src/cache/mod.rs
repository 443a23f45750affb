//! Per-node copies of answers that are read far more often than they change (the friends ranking, getWeRunData's
//! gate), kept coherent with the database through its change feed ([`feed`]): every request first syncs with the
//! feed, so it sees every write acknowledged before it arrived, on whatever node.
//!
//! An entry remembers its stamp and the users it depends on; it is used only while none of them changed since.
//! Memory is bounded by a budget per map: reaching it empties the map (entries reload on demand).

pub mod accounts;
pub mod day_totals;
pub mod feed;
pub mod ids;

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use yundong_store::{AppId, Gate, Store, StoreError, UserId};

use crate::config::Config;

pub use feed::{Feed, Stamp};
pub use ids::IdMap;

/// A cached value with what it was read at and what it depends on.
pub struct Entry<V> {
    pub stamp: Stamp,
    pub deps: Box<[UserId]>,
    pub value: V,
}

/// Entries with their cost, and the total cost.
type Costed<K, V> = (IdMap<K, (Arc<Entry<V>>, usize)>, usize);

/// Loads are serialized per stripe of keys: a burst of misses on one key loads it once.
const LOAD_STRIPES: usize = 64;

/// One kind of cached answer, by key, within a memory budget.
pub struct Entries<K, V> {
    map: Mutex<Costed<K, V>>,
    budget: usize,
    loading: [tokio::sync::Mutex<()>; LOAD_STRIPES],
    hits: AtomicU64,
    misses: AtomicU64,
    loads: AtomicU64,
}

/// A cache's counters since the node started, and its size now.
#[derive(Debug, Clone, Copy)]
pub struct CacheCounts {
    /// Answers served from this node's copy (including after waiting for a concurrent load of the key).
    pub hits: u64,
    /// Calls that did not find the key at first look.
    pub misses: u64,
    /// Loads from the database.
    pub loads: u64,
    pub entries: usize,
}

/// What a load gives: the value, the users it depends on, and its cost in bytes.
pub struct Loaded<V> {
    pub value: V,
    pub deps: Vec<UserId>,
    pub cost: usize,
}

impl<K: Eq + Hash, V> Entries<K, V> {
    fn new(budget: usize) -> Self {
        Entries {
            map: Mutex::new((IdMap::default(), 0)),
            budget,
            loading: std::array::from_fn(|_| tokio::sync::Mutex::new(())),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            loads: AtomicU64::new(0),
        }
    }

    /// The entry for `key` if it still holds by `feed`.
    fn lookup(&self, feed: &Feed, key: &K) -> Option<Arc<Entry<V>>> {
        self.map
            .lock()
            .ok()
            .and_then(|m| m.0.get(key).map(|e| e.0.clone()))
            .filter(|e| feed.holds(e.stamp, &e.deps))
    }

    /// The answer for `key`, after syncing with `feed` (so every write acknowledged before this call is seen):
    /// this node's copy while it holds, else `load`ed and kept, stamped with the sync. Concurrent misses on one key
    /// wait for one load and share it: an entry loaded by another request after this one's sync is as fresh as one
    /// this request would load.
    pub async fn get_or_load<E, Fut>(&self, feed: &Feed, key: K, load: impl FnOnce() -> Fut) -> Result<Arc<Entry<V>>, E>
    where
        E: From<StoreError>,
        Fut: Future<Output = Result<Loaded<V>, E>>,
    {
        let stamp = feed.sync().await?;
        if let Some(hit) = self.lookup(feed, &key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(hit);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let stripe = {
            let mut h = std::hash::DefaultHasher::new();
            key.hash(&mut h);
            (h.finish() % LOAD_STRIPES as u64) as usize
        };
        let _loading = self.loading[stripe].lock().await;
        if let Some(hit) = self.lookup(feed, &key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(hit);
        }
        self.loads.fetch_add(1, Ordering::Relaxed);
        let loaded = load().await?;
        let entry = Entry {
            stamp,
            deps: loaded.deps.into_boxed_slice(),
            value: loaded.value,
        };
        Ok(self.put(key, entry, loaded.cost))
    }

    /// (answers served from this node's copy, answers loaded) so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.loads.load(Ordering::Relaxed))
    }

    /// Every counter, and the number of entries held now.
    pub fn stats(&self) -> CacheCounts {
        CacheCounts {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            loads: self.loads.load(Ordering::Relaxed),
            entries: self.map.lock().map_or(0, |m| m.0.len()),
        }
    }

    /// Keep `entry` for `key`, costing about `cost` bytes.
    fn put(&self, key: K, entry: Entry<V>, cost: usize) -> Arc<Entry<V>> {
        let entry = Arc::new(entry);
        if let Ok(mut guard) = self.map.lock() {
            let (map, used) = &mut *guard;
            if *used + cost > self.budget {
                map.clear();
                *used = 0;
            }
            if let Some((_, old)) = map.insert(key, (entry.clone(), cost)) {
                *used -= old;
            }
            *used += cost;
        }
        entry
    }
}

/// Ranking pages by (viewer, day, limit, the cursor's position): the serialized `RankingResponse`, which nothing but
/// the data determines.
pub type Rankings = Entries<RankingKey, Bytes>;
pub type RankingKey = (UserId, i64, usize, Option<(i64, UserId)>);
/// getWeRunData gates by (user, app, first day of the window).
/// `None`: no such user (never expected: the token resolved to the user).
pub type Gates = Entries<(UserId, AppId, i64), Option<Gate>>;

/// This node's caches and its view of the change feed.
pub struct Caches {
    pub feed: Feed,
    pub rankings: Rankings,
    pub gates: Gates,
    /// The per-user ranking inputs rankings are built from on a miss.
    pub day_totals: Arc<day_totals::DayTotals>,
}

impl Caches {
    pub fn new(store: Store, config: &Config) -> Self {
        let feed = Feed::new(store, config.feed_max_gap, config.feed_retain);
        let day_totals = Arc::new(day_totals::DayTotals::new());
        let index = Arc::downgrade(&day_totals);
        feed.on_values(Arc::new(move |tick, values, held| {
            if let Some(index) = index.upgrade() {
                index.apply_values(tick, values, held);
            }
        }));
        Caches {
            feed,
            rankings: Entries::new(64 << 20),
            gates: Entries::new(32 << 20),
            day_totals,
        }
    }
}
