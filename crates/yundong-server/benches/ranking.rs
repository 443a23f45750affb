//! The ranking for a viewer with 200, 5,000 and 10,000 friends, by three paths: `served` is what a request runs when
//! nothing changed (`yundong_core::ranking_page::ranking_page_json`: sync with the change feed, then this node's cached
//! page); `miss` is what it runs on a viewer whose friends changed since the last view ([`CHANGED`] friends walked,
//! written to the database untimed before each call: the sync applies their events, the cached page no longer holds,
//! the page is rebuilt from this node's index of day totals after reloading just those friends' rows); `database` is
//! the miss path before issue 17 (`yundong_core::ranking::ranking`: the whole ranking from SQL, now the reference). Seeded
//! with 31 days of steps (a phone for everyone, a band for a third), check-ins (shown and develop) and likes, and a
//! realistic share of friends who are hidden, switched off or out of the ranking.
//!
//! `cargo bench -p yundong-server --bench ranking` prints criterion's estimates, then a percentile table from a plain
//! timed loop (criterion reports means, not tails). `-- --quick` shortens both. SQLite by default;
//! `YUNDONG_BENCH_POSTGRES=postgres://…/postgres` runs it on a fresh PostgreSQL database instead.
//! Goals (issue 17): miss p99 ≤ 0.5 ms at 200 friends, ≤ 5 ms at 10,000; served no slower than before.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion};
use tokio::runtime::Runtime;
use yundong_core::{ranking, ranking_page};
use yundong_proto::day::DayZone;
use yundong_store::{StepSource, StepWrite, Store, UserId, UserRow};

const FRIEND_POOL: i64 = 10_000;
const STRANGERS: i64 = 2_000;
const SIZES: [i64; 3] = [200, 5_000, 10_000];
const DAY: i64 = 86_400;
/// Friends whose steps change between two views on the miss path.
const CHANGED: usize = 10;

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

/// Insert rows as multi-row VALUES statements (integers and fixed ASCII only, so literal SQL is safe); duplicates are
/// skipped (both engines' `ON CONFLICT DO NOTHING`).
async fn insert(tx: &mut sqlx::AnyConnection, head: &str, rows: &[String]) {
    for chunk in rows.chunks(2_000) {
        let sql = format!("{head} VALUES {} ON CONFLICT DO NOTHING", chunk.join(","));
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
    friendships.sort_unstable();
    friendships.dedup();
    insert(
        &mut tx,
        "INSERT INTO friendships (user_id, friend_id, hidden, created_at)",
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
    insert(&mut tx, "INSERT INTO daily_steps (user_id, day, source, steps)", &steps).await;

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
        "INSERT INTO likes (target_id, day, liker_id, created_at)",
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
        id: UserId(id),
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

/// Where to seed: a fresh PostgreSQL database under `YUNDONG_BENCH_POSTGRES`, else an SQLite file (kept at
/// `YUNDONG_BENCH_DB` when set, and reused when it exists). Returns (url, reuse).
fn database(rt: &Runtime, dir: &std::path::Path) -> (String, bool) {
    if let Ok(pg) = std::env::var("YUNDONG_BENCH_POSTGRES") {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let name = format!("yd_rank_bench_{}", std::process::id());
        rt.block_on(async {
            let mut admin = sqlx::AnyConnection::connect(&pg).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .unwrap();
        });
        let base = pg.rsplit_once('/').map_or(pg.as_str(), |(b, _)| b);
        return (format!("{base}/{name}"), false);
    }
    let (path, reuse) = match std::env::var("YUNDONG_BENCH_DB") {
        Ok(p) => (std::path::PathBuf::from(&p), std::path::Path::new(&p).exists()),
        Err(_) => (dir.join("bench.sqlite"), false),
    };
    (format!("sqlite:{}?mode=rwc", path.display()), reuse)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rt = Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (url, reuse) = database(&rt, dir.path());
    println!(
        "database: {}",
        if url.starts_with("sqlite:") {
            "SQLite"
        } else {
            "PostgreSQL"
        }
    );
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
    let page = ranking_page::parse_page(today, None, None).ok().unwrap();
    let served = |id: i64| {
        black_box(
            rt.block_on(ranking_page::ranking_page_json(&state, UserId(id), today, page))
                .is_ok(),
        )
    };
    let database = |id: i64| black_box(rt.block_on(ranking::ranking(&store, zone, &viewer(id), today)).is_ok());
    // The miss path's untimed setup: CHANGED of the viewer's friends walk (viewer i has the first SIZES[i-1] of the
    // pool as friends), written as a phone upload would be: a higher count than before, which the change feed
    // carries to the index (a lower one, or any other change, costs a read of that friend's row instead).
    let walks = std::cell::Cell::new(0_i64);
    let change = |id: i64| {
        let size = SIZES[(id - 1) as usize];
        let n = walks.get();
        walks.set(n + 1);
        let writes: Vec<StepWrite> = (0..CHANGED as i64)
            .map(|k| StepWrite {
                user_id: UserId(101 + (n * 7_919 + k * 104_729) % size),
                day: today,
                source: StepSource::Phone,
                // A phone's count only grows through the day: every walk writes more than any walk before it.
                steps: 100_000 + n * 16 + k,
            })
            .collect();
        rt.block_on(store.put_steps_batch(&writes)).unwrap();
    };
    let none = |_: i64| {};
    type Path<'a> = (&'a str, &'a dyn Fn(i64), &'a dyn Fn(i64) -> bool);
    let paths: [Path; 3] = [
        ("served", &none, &served),
        ("miss", &change, &served),
        ("database", &none, &database),
    ];

    let mut c = Criterion::default().configure_from_args();
    for (name, setup, path) in paths {
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
            group.bench_with_input(BenchmarkId::new("friends", size), &id, |b, &id| {
                // One setup per call: batched setups would run all their writes first, and every call after the first would hit.
                b.iter_batched(|| setup(id), |()| path(id), BatchSize::PerIteration)
            });
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
    for (name, setup, path) in paths {
        for (i, size) in SIZES.into_iter().enumerate() {
            let id = i as i64 + 1;
            let calls = match (quick, name, size) {
                (true, _, _) => 200,
                (false, "database", s) if s >= 5_000 => 200,
                _ => 5_000,
            };
            for _ in 0..50 {
                setup(id);
                path(id);
            }
            // The CPU figure is taken around each call (the setup is not the path's), less what reading it costs.
            let probe: u64 = (0..50)
                .map(|_| cpu_ns().wrapping_neg().wrapping_add(cpu_ns()))
                .sum::<u64>()
                / 50;
            let mut times = Vec::with_capacity(calls);
            let mut cpu = 0;
            for _ in 0..calls {
                setup(id);
                let cpu0 = cpu_ns();
                let t = Instant::now();
                path(id);
                times.push(t.elapsed());
                cpu += (cpu_ns() - cpu0).saturating_sub(probe);
            }
            let cpu = Duration::from_nanos(cpu / calls as u64);
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
    let index = state.cache.day_totals.stats();
    let _ = writeln!(table, "index after the run: {index:?}");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("{table}load average while measuring: {load}");
    rt.block_on(store.close());
    if let (Ok(pg), Some((_, name))) = (std::env::var("YUNDONG_BENCH_POSTGRES"), url.rsplit_once('/')) {
        use sqlx::Connection;
        rt.block_on(async {
            let mut admin = sqlx::AnyConnection::connect(&pg).await.unwrap();
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
                .execute(&mut admin)
                .await;
        });
    }
}
