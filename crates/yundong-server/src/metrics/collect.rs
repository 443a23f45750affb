//! Metrics read at scrape time from what the node keeps anyway: cache counters, the change feed's position, the
//! database pools, the process's memory.

use std::fmt::Error;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use yundong_store::Store;

use yundong_core::cache::{CacheCounts, Caches};

pub(super) struct Node {
    pub store: Store,
    pub caches: Arc<Caches>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Node")
    }
}

/// One metric family whose samples each carry the given labels.
fn family<M: EncodeMetric, const N: usize>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: MetricType,
    samples: impl IntoIterator<Item = ([(&'static str, &'static str); N], M)>,
) -> Result<(), Error> {
    let mut metric = encoder.encode_descriptor(name, help, None, kind)?;
    for (labels, value) in samples {
        value.encode(metric.encode_family(&labels)?)?;
    }
    Ok(())
}

fn single<M: EncodeMetric>(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: M) -> Result<(), Error> {
    let metric = encoder.encode_descriptor(name, help, None, value.metric_type())?;
    value.encode(metric)
}

impl Collector for Node {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), Error> {
        let caches: [(&'static str, CacheCounts); 2] = [
            ("rankings", self.caches.rankings.stats()),
            ("gates", self.caches.gates.stats()),
        ];
        family(
            &mut encoder,
            "cache_requests",
            "Cached answers asked for, by cache and result (hit: served from this node's copy; miss: not found)",
            MetricType::Counter,
            caches.iter().flat_map(|(cache, c)| {
                [
                    ([("cache", *cache), ("result", "hit")], ConstCounter::new(c.hits)),
                    ([("cache", *cache), ("result", "miss")], ConstCounter::new(c.misses)),
                ]
            }),
        )?;
        family(
            &mut encoder,
            "cache_loads",
            "Answers loaded from the database into a cache (concurrent misses on one key share a load)",
            MetricType::Counter,
            caches
                .iter()
                .map(|(cache, c)| ([("cache", *cache)], ConstCounter::new(c.loads))),
        )?;
        family(
            &mut encoder,
            "cache_entries",
            "Entries a cache holds now",
            MetricType::Gauge,
            caches
                .iter()
                .map(|(cache, c)| ([("cache", *cache)], ConstGauge::new(c.entries as i64))),
        )?;

        let index = self.caches.day_totals.stats();
        family(
            &mut encoder,
            "ranking_index_rows",
            "Users' day rows a ranking was built from, by how this node's index had them (reused: held and current; \
             loaded: read from the database; patched: brought up to date from a step value the change feed carried)",
            MetricType::Counter,
            [
                ("reused", index.rows_reused),
                ("loaded", index.rows_loaded),
                ("patched", index.rows_patched),
            ]
            .map(|(how, n)| ([("how", how)], ConstCounter::new(n))),
        )?;
        single(
            &mut encoder,
            "ranking_index_viewers_loaded",
            "Viewers' sides (friends visible to them, rows they liked) read from the database",
            ConstCounter::new(index.viewers_loaded),
        )?;

        let feed = self.caches.feed.stats();
        single(
            &mut encoder,
            "feed_reads",
            "Reads of the database's change feed by this node (concurrent requests share one)",
            ConstCounter::new(feed.reads),
        )?;
        single(
            &mut encoder,
            "feed_events_read",
            "Change-feed events this node has read",
            ConstCounter::new(feed.events),
        )?;
        single(
            &mut encoder,
            "feed_read_seconds",
            "Time spent reading the change feed, summed (divide by yundong_feed_reads_total for the mean)",
            ConstCounter::new(feed.read_seconds),
        )?;
        single(
            &mut encoder,
            "feed_lag_seconds",
            "Seconds since this node last applied a read of the change feed (its caches' view is this old; -1 before \
             the first read)",
            ConstGauge::new(feed.lag_seconds.unwrap_or(-1.0)),
        )?;
        single(
            &mut encoder,
            "feed_flushes",
            "Times this node forgot every cached answer (a long gap between reads, a change to everyone, a full map)",
            ConstCounter::new(feed.flushes),
        )?;

        let pools = self.store.pool_stats();
        family(
            &mut encoder,
            "db_pool_connections",
            "Open database connections, by pool and state (in_use, idle)",
            MetricType::Gauge,
            pools.iter().flat_map(|p| {
                [
                    (
                        [("pool", p.name), ("state", "in_use")],
                        ConstGauge::new(i64::from(p.size) - p.idle as i64),
                    ),
                    ([("pool", p.name), ("state", "idle")], ConstGauge::new(p.idle as i64)),
                ]
            }),
        )?;
        family(
            &mut encoder,
            "db_pool_max_connections",
            "The most connections a pool opens; a pool with all of them in use makes callers wait",
            MetricType::Gauge,
            pools
                .iter()
                .map(|p| ([("pool", p.name)], ConstGauge::new(i64::from(p.max)))),
        )?;
        if let Some(mem) = memory() {
            single(
                &mut encoder,
                "process_resident_memory_bytes",
                "Resident memory of this process",
                ConstGauge::new(mem.resident),
            )?;
            single(
                &mut encoder,
                "process_virtual_memory_bytes",
                "Virtual memory of this process",
                ConstGauge::new(mem.virtual_),
            )?;
        }
        Ok(())
    }
}

struct Memory {
    resident: i64,
    virtual_: i64,
}

/// The process's memory from `/proc/self/status` (Linux; elsewhere the family is absent).
fn memory() -> Option<Memory> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
            .map(|v| v * 1024)
    };
    Some(Memory {
        resident: kib("VmRSS:")?,
        virtual_: kib("VmSize:")?,
    })
}
