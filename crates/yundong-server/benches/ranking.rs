//! Ranking computation (`service::ranking::ranking`: the SQL over the store plus ordering, ranks and cover) for a
//! viewer with 200, 5,000 and 10,000 friends, on an SQLite store seeded with 31 days of steps (a phone for everyone,
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
use yundong_proto::day::DayZone;
use yundong_server::service::ranking;
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
                let liker = [1, 2, 3, pool_first + rng.below(FRIEND_POOL as u64)][rng.below(4) as usize];
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

fn viewer_row(id: i64) -> UserRow {
    viewer(id)
}

fn viewer(id: i64) -> UserRow {
    UserRow {
        id,
        nickname: format!("user{id}"),
        werun: true,
        join_ranking: true,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rt = Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("bench.sqlite").display());
    let zone = DayZone::CHINA;
    let today = zone.day_start(1_760_000_000);
    let store = rt.block_on(async {
        let store = Store::connect(&url).await.unwrap();
        seed(&url, today).await;
        store
    });

    if std::env::var("EXP").is_ok() {
        experiment(&rt, &store, &url, today);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    {
        let mut group = c.benchmark_group("ranking");
        for (i, size) in SIZES.into_iter().enumerate() {
            let v = viewer(i as i64 + 1);
            let rows = rt
                .block_on(ranking::ranking(&store, zone, &v, today))
                .ok()
                .unwrap()
                .ranking
                .len();
            println!("viewer with {size} friends: {rows} rows on the ranking");
            group.bench_with_input(BenchmarkId::new("friends", size), &v, |b, v| {
                b.iter(|| black_box(rt.block_on(ranking::ranking(&store, zone, v, today)).is_ok()))
            });
        }
        group.finish();
    }
    c.final_summary();

    // Tails: a plain timed loop per size.
    let mut table = String::from("\nranking latency over a timed loop (after 50 warm-up calls)\n");
    let _ = writeln!(
        table,
        "{:>8} {:>7} {:>10} {:>10} {:>10} {:>10}",
        "friends", "calls", "p50", "p90", "p99", "max"
    );
    for (i, size) in SIZES.into_iter().enumerate() {
        let v = viewer(i as i64 + 1);
        let calls = match (quick, size) {
            (true, _) => 200,
            (false, s) if s >= 5_000 => 1_000,
            _ => 5_000,
        };
        for _ in 0..50 {
            black_box(rt.block_on(ranking::ranking(&store, zone, &v, today)).is_ok());
        }
        let mut times = Vec::with_capacity(calls);
        for _ in 0..calls {
            let t = Instant::now();
            black_box(rt.block_on(ranking::ranking(&store, zone, &v, today)).is_ok());
            times.push(t.elapsed());
        }
        times.sort_unstable();
        let _ = writeln!(
            table,
            "{size:>8} {calls:>7} {:>10.1?} {:>10.1?} {:>10.1?} {:>10.1?}",
            percentile(&times, 0.50),
            percentile(&times, 0.90),
            percentile(&times, 0.99),
            times[times.len() - 1]
        );
    }
    println!("{table}");
    rt.block_on(store.close());
}

fn cpu_ns() -> u64 {
    let mut total = 0;
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for t in dir.flatten() {
            if let Ok(s) = std::fs::read_to_string(t.path().join("schedstat")) {
                total += s
                    .split_whitespace()
                    .next()
                    .and_then(|x| x.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
    }
    total
}

fn experiment(rt: &Runtime, store: &Store, url: &str, today: i64) {
    use sqlx::Row;
    let native = rt.block_on(sqlx::SqlitePool::connect(url)).unwrap();
    let anyp = rt.block_on(sqlx::AnyPool::connect(url)).unwrap();
    let sql = std::fs::read_to_string("/tmp/rk/q1.sql").unwrap();
    let count_sql = format!("SELECT COUNT(*) AS n, SUM(steps) AS s FROM ({sql}) x");
    for viewer in [1i64, 3] {
        let mut run = |name: &str, f: &mut dyn FnMut() -> usize| {
            for _ in 0..10 {
                f();
            }
            let n = 50;
            let (c0, t0) = (cpu_ns(), Instant::now());
            let mut rows = 0;
            for _ in 0..n {
                rows = f();
            }
            let (wall, cpu) = (t0.elapsed() / n, (cpu_ns() - c0) / n as u64);
            println!(
                "viewer {viewer} {name:<28} rows {rows:>6} wall {wall:>10.1?} cpu {:>10.1?}",
                Duration::from_nanos(cpu)
            );
        };
        run("store.ranking_rows (any)", &mut || {
            rt.block_on(store.ranking_rows(viewer, today)).unwrap().len()
        });
        run("service ranking", &mut || {
            rt.block_on(ranking::ranking(store, DayZone::CHINA, &viewer_row(viewer), today))
                .ok()
                .unwrap()
                .ranking
                .len()
        });
        run("native sqlite fetch_all", &mut || {
            rt.block_on(
                sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(viewer)
                    .bind(today)
                    .fetch_all(&native),
            )
            .unwrap()
            .len()
        });
        run("any pool fetch_all", &mut || {
            rt.block_on(
                sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(viewer)
                    .bind(today)
                    .fetch_all(&anyp),
            )
            .unwrap()
            .len()
        });
        let packed = std::fs::read_to_string("/tmp/rk/q2pg.sql").unwrap();
        run("packed string_agg (any)", &mut || {
            rt.block_on(
                sqlx::query(sqlx::AssertSqlSafe(packed.clone()))
                    .bind(viewer)
                    .bind(today)
                    .bind("\u{1f}")
                    .bind("\u{1e}")
                    .fetch_one(&anyp),
            )
            .unwrap()
            .try_get::<String, _>("packed")
            .unwrap()
            .split('\u{1e}')
            .count()
        });
        run("count only (any)", &mut || {
            rt.block_on(
                sqlx::query(sqlx::AssertSqlSafe(count_sql.clone()))
                    .bind(viewer)
                    .bind(today)
                    .fetch_one(&anyp),
            )
            .unwrap()
            .try_get::<i64, _>("n")
            .unwrap() as usize
        });
    }
}
