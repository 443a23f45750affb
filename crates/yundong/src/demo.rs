//! `yundong demo`: seed a realistic data set (an app, users, a friend graph, 31 days of steps, check-ins, likes)
//! of a size given on the command line, up to a million users, by bulk inserts.

use std::time::{Duration, Instant};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use yundong_proto::admin::{CATEGORY_FITNESS, CreateAppRequest};
use yundong_proto::day::DayZone;
use yundong_proto::sport::{SPORTS, SportRecord, Unit};
use yundong_server::secrets;
use yundong_server::service::accounts;
use yundong_store::{BulkTable, Store, Val};

/// Users processed per bulk transaction.
const CHUNK: i64 = 5_000;
/// Users who get a printed sign-in token.
const TOKENS_SHOWN: i64 = 5;
/// The first demo user's friends (the ranking benchmark's "user with 200 friends").
const STAR_FRIENDS: i64 = 200;

const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗",
];
const GIVEN: [&str; 24] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "霞", "晨",
    "悦", "子涵", "浩然", "欣怡", "梓轩",
];

/// splitmix64: small, fast, seeded, good enough for demo data (never for secrets).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi` (hi > lo).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo) as u64) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    pub appid: String,
    pub secret: String,
    pub users: i64,
    pub first_user_id: i64,
    /// Sign-in tokens of the first few users (user id, nickname, token).
    pub tokens: Vec<(i64, String, String)>,
    pub seconds: f64,
}

/// Seed `users` users with about `friends` friends each.
pub async fn seed(store: &Store, users: i64, friends: i64, seed: u64, progress: bool) -> Result<DemoSummary> {
    let started = Instant::now();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let zone = DayZone::CHINA;
    let window = zone.window(now);
    let today = window[window.len() - 1];
    let app_req = CreateAppRequest {
        name: "步数挑战 (demo)".into(),
        category: Some(CATEGORY_FITNESS.into()),
        werun_share: Some(true),
        open_platform: None,
        device_steps: None,
    };
    let app = accounts::create_app(store, &app_req, now).await?;
    let app_id = store.app_by_appid(&app.appid).await?.map(|a| a.id).unwrap_or(0);
    let base = store.max_user_id().await?;
    let (first, last) = (base + 1, base + users);
    let mut rng = Rng(seed);
    let mut tokens = Vec::new();
    let bar = if progress {
        ProgressBar::new(users as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} seeding {pos}/{len} users [{bar:40}] {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let mut start = first;
    while start <= last {
        let end = (start + CHUNK - 1).min(last);
        let (mut u_rows, mut f_rows, mut s_rows, mut c_rows, mut l_rows) = (vec![], vec![], vec![], vec![], vec![]);
        for id in start..=end {
            let nickname = format!(
                "{}{}",
                SURNAMES[rng.range(0, SURNAMES.len() as i64) as usize],
                GIVEN[rng.range(0, GIVEN.len() as i64) as usize]
            );
            let token = secrets::user_token();
            if id - base <= TOKENS_SHOWN {
                tokens.push((id, nickname.clone(), token.clone()));
            }
            u_rows.push(vec![
                Val::Int(id),
                Val::Text(nickname),
                Val::Text(secrets::hash(&token)),
                Val::Int(1),
                Val::Int(i64::from(!rng.chance(3))),
                Val::Int(now),
            ]);
            // Friends: the first user is the star; everyone else picks about friends/2 partners (edges go both ways).
            let mut partners: Vec<i64> = Vec::new();
            if id == first {
                partners.extend((first + 1..=last).take(STAR_FRIENDS as usize));
            }
            if users > 1 {
                for _ in 0..(friends / 2).max(1) {
                    let other = rng.range(first, last + 1);
                    if other != id {
                        partners.push(other);
                    }
                }
            }
            for &other in &partners {
                for (a, b) in [(id, other), (other, id)] {
                    f_rows.push(vec![Val::Int(a), Val::Int(b), Val::Int(0), Val::Int(now)]);
                }
            }
            // Steps: a personal level, daily variation, the odd day without the phone, today still under way.
            let level = rng.range(2_000, 14_000);
            for (i, &day) in window.iter().enumerate() {
                if rng.chance(5) {
                    continue;
                }
                let mut steps = level * rng.range(50, 150) / 100;
                if i == window.len() - 1 {
                    steps = steps * (now - today) / 86_400;
                }
                s_rows.push(vec![
                    Val::Int(id),
                    Val::Int(day),
                    Val::Int(0),
                    Val::Int(steps.min(98_800)),
                ]);
            }
            // Check-ins from about one user in six.
            if rng.chance(16) {
                for _ in 0..rng.range(1, 4) {
                    let sport = &SPORTS[rng.range(0, SPORTS.len() as i64) as usize];
                    let unit = sport.units[0];
                    let value = match unit {
                        Unit::Time => rng.range(15, 120),
                        Unit::Distance => rng.range(1_000, 15_000),
                        Unit::Number => rng.range(20, 600),
                        Unit::Calorie => rng.range(100, 800),
                    };
                    let record = SportRecord {
                        type_id: sport.type_id,
                        unit,
                        value,
                    };
                    let day = window[rng.range(0, window.len() as i64) as usize];
                    let at = (day + rng.range(6 * 3600, 22 * 3600)).min(now);
                    c_rows.push(vec![
                        Val::Int(id),
                        Val::Int(app_id),
                        Val::Text("release".into()),
                        Val::Int(1),
                        Val::Int(day),
                        Val::Int(at),
                        Val::Text(serde_json::to_string(&[record])?),
                        Val::Int(record.type_id),
                        Val::Text(unit.field().into()),
                        Val::Int(value),
                    ]);
                }
            }
            // Today's likes: a couple of partners.
            for &other in partners.iter().take(2) {
                l_rows.push(vec![Val::Int(other), Val::Int(today), Val::Int(id), Val::Int(now)]);
            }
        }
        // Users first (friend rows may point ahead into the next chunk; that's fine: no foreign keys).
        store.bulk_insert(BulkTable::Users, &u_rows).await?;
        store.bulk_insert(BulkTable::Friendships, &f_rows).await?;
        store.bulk_insert(BulkTable::DailySteps, &s_rows).await?;
        store.bulk_insert(BulkTable::CheckIns, &c_rows).await?;
        store.bulk_insert(BulkTable::Likes, &l_rows).await?;
        bar.inc((end - start + 1) as u64);
        start = end + 1;
    }
    store.reseat_ids().await?;
    bar.finish_and_clear();
    Ok(DemoSummary {
        appid: app.appid,
        secret: app.secret,
        users,
        first_user_id: first,
        tokens,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The summary as a person reads it.
pub fn describe(s: &DemoSummary) -> String {
    let mut out = format!(
        "seeded {} users in {:.1} s\napp \"步数挑战 (demo)\": appid {}  secret {}  (shown once)\nsign in as:",
        s.users, s.seconds, s.appid, s.secret
    );
    for (id, nickname, token) in &s.tokens {
        out.push_str(&format!("\n  user {id} {nickname}: {token}"));
    }
    out
}
