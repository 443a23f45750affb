//! The ranking for a viewer with 200, 5,000 and 10,000 friends, by two paths: `served` is what a request runs
//! (`service::ranking::ranking_json`: sync with the change feed, then this node's cached answer, loaded on first
//! use); `database` is the computation a cache miss runs (`service::ranking::ranking`: the SQL plus ordering, ranks
//! and cover), on an SQLite store seeded with 31 days of steps (a phone for everyone,
//! a band for a third), check-ins (shown and develop) and likes, and a realistic share of friends who are hidden,
//! switched off or out of the ranking.
//!
//! `cargo bench -p yundong-server --bench ranking` prints criterion's estimates, then a percentile table from a plain
//! timed loop (criterion reports means, not tails). `-- --quick` shortens both.
//! Goals (spec/performance.md, issue 4): p99 ≤ 200 µs at 200 friends, ≤ 5 ms at 10,000.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use tokio::runtime::Runtime;
use yundong_core::ranking;
use yundong_proto::day::DayZone;
use yundong_store::{Store, UserRow};

const FRIEND_POOL: i64 = 10_000;
const STRANGERS: i64 = 2_000;
const SIZES: [i64; 3] = [200, 5_000, 10_000];
const DAY: i64 = 86_400;

/// xorshift64*: deterministic data without a rand dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Insert rows as multi-row VALUES statements (integers and fixed ASCII only, so literal SQL is safe).
async fn insert(tx: &mut sqlx::AnyConnection, head: &str, rows: &[String]) {
    for chunk in rows.chunks(2_000) {
        let sql = format!("{head} VALUES {}", chunk.join(","));
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await.unwrap();
    }
}

/// Viewers are users 1, 2 and 3 with the first 200, 5,000 and 10,000 users of the friend pool as friends. The pool
/// is users 101…10,100; strangers follow (friends among themselves, to give the tables realistic size).
async fn seed(url: &str, today: i64) {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let pool_first = 101;
    let last_user = pool_first + FRIEND_POOL + STRANGERS - 1;

    let mut users = Vec::new();
    for id in 1..=last_user {
        if (4..pool_first).contains(&id) {
            continue;
        }
        // The viewers themselves have WeRun on and are in the ranking.
        let werun = i64::from(id <= 3 || !rng.chance(2));
        let join = i64::from(id <= 3 || !rng.chance(3));
        users.push(format!("({id}, 'user{id}', 'hash{id}', {werun}, {join}, 0)"));
    }
    insert(
        &mut tx,
        "INSERT INTO users (id, nickname, token_hash, werun, join_ranking, created_at)",
        &users,
    )
    .await;

    let mut friendships = Vec::new();
    for (viewer, size) in [1, 2, 3].into_iter().zip(SIZES) {
        for f in pool_first..pool_first + size {
            friendships.push(format!("({viewer}, {f}, 0, 0)"));
            let hidden = i64::from(rng.chance(2));
            friendships.push(format!("({f}, {viewer}, {hidden}, 0)"));
        }
    }
    for s in pool_first + FRIEND_POOL..=last_user {
        for _ in 0..20 {
            let other = pool_first + rng.below(FRIEND_POOL as u64);
            friendships.push(format!("({s}, {other}, 0, 0)"));
            friendships.push(format!("({other}, {s}, 0, 0)"));
        }
    }
    insert(
        &mut tx,
        "INSERT OR IGNORE INTO friendships (user_id, friend_id, hidden, created_at)",
        &friendships,
    )
    .await;

    let mut steps = Vec::new();
    for id in (1..=3).chain(pool_first..=last_user) {
        let band = rng.chance(33);
        for d in 0..31 {
            let day = today - d * DAY;
            let phone = rng.below(25_000);
            steps.push(format!("({id}, {day}, 0, {phone})"));
            if band {
                steps.push(format!("({id}, {day}, 7, {})", phone + rng.below(3_000) - 1_500));
            }
        }
    }
    insert(
        &mut tx,
        "INSERT OR IGNORE INTO daily_steps (user_id, day, source, steps)",
        &steps,
    )
    .await;

    let mut check_ins = Vec::new();
    for id in pool_first..pool_first + FRIEND_POOL {
        for d in 0..31 {
            if !rng.chance(if d == 0 { 20 } else { 5 }) {
                continue;
            }
            let day = today - d * DAY;
            for k in 0..1 + rng.below(3) {
                let shown = i64::from(!rng.chance(15));
                let env = if shown == 1 { "release" } else { "develop" };
                let value = 1 + rng.below(10_000);
                check_ins.push(format!(
                    "({id}, 1, '{env}', {shown}, {day}, {}, '[{{\"typeId\":3001,\"unit\":\"distance\",\"value\":{value}}}]', \
                     3001, 'distance', {value}, NULL)",
                    day + 3_600 + k * 60
                ));
            }
        }
    }
    insert(
        &mut tx,
        "INSERT INTO check_ins (user_id, app_id, env, shown, day, created_at, records, first_type_id, first_unit, \
         first_value, idempotency_key)",
        &check_ins,
    )
    .await;

    let mut likes = Vec::new();
    for target in pool_first..pool_first + FRIEND_POOL {
        for d in 0..3 {
            if !rng.chance(30) {
                continue;
            }
            let day = today - d * DAY;
            for _ in 0..1 + rng.below(5) {
                // Likers are the target's friends: now and then one of the viewers who have the target as a
                // friend (so each viewer has liked a few hundred rows a day), otherwise another pool user.
                let viewers = SIZES.iter().filter(|&&n| target < pool_first + n).count() as i64;
                let liker = if rng.chance(10) {
                    4 - viewers + rng.below(viewers as u64)
                } else {
                    pool_first + rng.below(FRIEND_POOL as u64)
                };
                likes.push(format!("({target}, {day}, {liker}, 0)"));
            }
        }
    }
    insert(
        &mut tx,
        "INSERT OR IGNORE INTO likes (target_id, day, liker_id, created_at)",
        &likes,
    )
    .await;
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE").execute(&mut conn).await.unwrap();
    println!(
        "seeded: {} users, {} friendship rows, {} daily_steps rows, {} check-ins, {} likes",
        users.len(),
        friendships.len(),
        steps.len(),
        check_ins.len(),
        likes.len()
    );
}

fn viewer(id: i64) -> UserRow {
    UserRow {
        id,
        nickname: format!("user{id}"),
        werun: true,
        join_ranking: true,
    }
}

/// CPU time of every thread of this process (tokio's and the SQLite worker's), from /proc: a figure that another
/// process's load on the machine inflates far less than wall time. 0 where /proc is missing.
fn cpu_ns() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    dir.flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next().and_then(|x| x.parse::<u64>().ok()))
        .sum()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rt = Runtime::new().unwrap();
    // YUNDONG_BENCH_DB=<file> keeps the seeded database there (and reuses it when it exists) for inspection.
    let dir = tempfile::tempdir().unwrap();
    let (path, reuse) = match std::env::var("YUNDONG_BENCH_DB") {
        Ok(p) => (std::path::PathBuf::from(&p), std::path::Path::new(&p).exists()),
        Err(_) => (dir.path().join("bench.sqlite"), false),
    };
    let url = format!("sqlite:{}?mode=rwc", path.display());
    let zone = DayZone::CHINA;
    let today = zone.day_start(1_760_000_000);
    let store = rt.block_on(async {
        let store = Store::connect(&url).await.unwrap();
        if !reuse {
            seed(&url, today).await;
        }
        store
    });

    // The served path: what a request runs (the feed sync, then this node's cached answer, loaded on first use).
    let state = rt.block_on(async {
        let config = yundong_server::Config {
            day_zone: zone,
            ..yundong_server::Config::default()
        };
        yundong_server::AppState::new(
            store.clone(),
            config,
            yundong_server::state::AdminToken::Stored,
            [0; 32],
        )
    });
    let served = |id: i64| black_box(rt.block_on(ranking::ranking_json(&state, id, today)).is_ok());
    let database = |id: i64| black_box(rt.block_on(ranking::ranking(&store, zone, &viewer(id), today)).is_ok());
    let paths: [(&str, &dyn Fn(i64) -> bool); 2] = [("served", &served), ("database", &database)];

    let mut c = Criterion::default().configure_from_args();
    for (name, path) in paths {
        let mut group = c.benchmark_group(format!("ranking/{name}"));
        for (i, size) in SIZES.into_iter().enumerate() {
            let id = i as i64 + 1;
            if name == "served" {
                let rows = rt
                    .block_on(ranking::ranking(&store, zone, &viewer(id), today))
                    .ok()
                    .unwrap()
                    .ranking
                    .len();
                println!("viewer with {size} friends: {rows} rows on the ranking");
            }
            group.bench_with_input(BenchmarkId::new("friends", size), &id, |b, &id| b.iter(|| path(id)));
        }
        group.finish();
    }
    c.final_summary();

    // Tails: a plain timed loop per path and size.
    let mut table = String::from("\nranking latency over a timed loop (after 50 warm-up calls)\n");
    let _ = writeln!(
        table,
        "{:>9} {:>8} {:>7} {:>10} {:>10} {:>10} {:>10} {:>12}",
        "path", "friends", "calls", "p50", "p90", "p99", "max", "cpu/call"
    );
    for (name, path) in paths {
        for (i, size) in SIZES.into_iter().enumerate() {
            let id = i as i64 + 1;
            let calls = match (quick, name, size) {
                (true, _, _) => 200,
                (false, "database", s) if s >= 5_000 => 1_000,
                _ => 5_000,
            };
            for _ in 0..50 {
                path(id);
            }
            let mut times = Vec::with_capacity(calls);
            let cpu0 = cpu_ns();
            for _ in 0..calls {
                let t = Instant::now();
                path(id);
                times.push(t.elapsed());
            }
            let cpu = Duration::from_nanos((cpu_ns() - cpu0) / calls as u64);
            times.sort_unstable();
            let _ = writeln!(
                table,
                "{name:>9} {size:>8} {calls:>7} {:>10.1?} {:>10.1?} {:>10.1?} {:>10.1?} {:>12.1?}",
                percentile(&times, 0.50),
                percentile(&times, 0.90),
                percentile(&times, 0.99),
                times[times.len() - 1],
                cpu
            );
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("{table}load average while measuring: {load}");
    rt.block_on(store.close());
}
