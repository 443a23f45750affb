//! What this node's ranking index (`cache/day_totals.rs`) costs in memory: resident memory (RSS) before and after
//! holding today's row of every one of N users, then the friend lists of viewers. Issue 17, DEPLOY.md "Memory for
//! rankings".
//!
//!   cargo run --release -p yundong-server --example ranking_memory -- 100000 1000000
//!
//! Seeds an SQLite file with N users (nicknames like the demo's), a day total each and a viewer with F friends per
//! thousand users (F = 200), reads every user's row into the index in chunks as rankings would, and prints RSS deltas.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use yundong_core::cache::day_totals::DayTotals;
use yundong_core::cache::feed::Feed;
use yundong_store::{BulkTable, Store, UserId, Val};

const DAY: i64 = 1_760_025_600;
const VIEWER_FRIENDS: i64 = 200;

fn rss_kb() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("VmRSS:")
                .map(|v| v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0))
        })
        .unwrap_or(0)
}

async fn measure(n: i64) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("m.sqlite").display());
    let store = Store::connect(&url).await.unwrap();
    for start in (1..=n).step_by(50_000) {
        let end = (start + 49_999).min(n);
        let users: Vec<Vec<Val>> = (start..=end)
            .map(|id| {
                vec![
                    Val::Int(id),
                    Val::Text(format!("王子涵{}", id % 100)),
                    Val::Text(format!("h{id}")),
                    Val::Int(1),
                    Val::Int(1),
                    Val::Int(0),
                ]
            })
            .collect();
        store.bulk_insert(BulkTable::Users, &users).await.unwrap();
        let steps: Vec<Vec<Val>> = (start..=end)
            .map(|id| vec![Val::Int(id), Val::Int(DAY), Val::Int(0), Val::Int(id * 7 % 30_000)])
            .collect();
        store.bulk_insert(BulkTable::DailySteps, &steps).await.unwrap();
    }
    // Viewers: one per thousand users, each with VIEWER_FRIENDS friends.
    let viewers: Vec<i64> = (1..=n).step_by(1_000).collect();
    let mut friendships = Vec::new();
    for &v in &viewers {
        for k in 1..=VIEWER_FRIENDS {
            let f = (v + k * 37) % n + 1;
            if f != v {
                friendships.push(vec![Val::Int(v), Val::Int(f), Val::Int(0), Val::Int(0)]);
                friendships.push(vec![Val::Int(f), Val::Int(v), Val::Int(0), Val::Int(0)]);
            }
        }
    }
    store.bulk_insert(BulkTable::Friendships, &friendships).await.unwrap();

    let feed = Feed::new(store.clone(), Duration::from_secs(3_600), Duration::from_secs(7_200));
    feed.sync().await.unwrap();
    let index = DayTotals::new();
    let before = rss_kb();
    let ids: Vec<UserId> = (1..=n).map(UserId).collect();
    for chunk in ids.chunks(10_000) {
        index.rows(&store, &feed, chunk, DAY).await.unwrap();
    }
    let after_rows = rss_kb();
    for &v in &viewers {
        index.viewer(&store, &feed, UserId(v), DAY).await.unwrap();
    }
    let after_viewers = rss_kb();
    let stats = index.stats();
    let per_user = (after_rows - before) as f64 * 1024.0 / n as f64;
    let per_viewer = (after_viewers - after_rows) as f64 * 1024.0 / viewers.len() as f64;
    println!(
        "| {n} | {} | {:.0} MB | {per_user:.0} B | {} viewers × {VIEWER_FRIENDS} friends | {:.0} MB | {per_viewer:.0} B |",
        stats.rows,
        (after_rows - before) as f64 / 1024.0,
        stats.viewers,
        (after_viewers - after_rows) as f64 / 1024.0,
    );
    drop(index);
    store.close().await;
}

fn main() {
    let sizes: Vec<i64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    println!("| users | rows held | RSS for rows | per user | viewers | RSS for viewers | per viewer |");
    println!("|---|---|---|---|---|---|---|");
    for n in if sizes.is_empty() {
        vec![100_000, 1_000_000]
    } else {
        sizes
    } {
        rt.block_on(measure(n));
    }
}
