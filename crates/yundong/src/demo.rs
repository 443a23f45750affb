//! `yundong demo`: seed a realistic data set (an app, users, a friend graph, 31 days of steps, check-ins, likes)
//! of a size given on the command line, up to a million users, by bulk inserts; then a group chat and a direct chat
//! with a mini-program card each, so 聊天 and the simulator's share step have somewhere to go.

use std::time::{Duration, Instant};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use yundong_core::secrets;
use yundong_core::{accounts, share};
use yundong_proto::admin::{CATEGORY_FITNESS, CreateAppRequest};
use yundong_proto::day::DayZone;
use yundong_proto::share::ImageKind;
use yundong_proto::sport::{SPORTS, SportRecord, Unit};
use yundong_store::{AppId, BulkTable, NewShareMessage, NewTempFile, Store, UserId, Val};

/// Users processed per bulk transaction (one per table); progress is reported after every statement inside them.
const CHUNK: i64 = 5_000;
/// Members of the demo group chat: the first user and the next ones (all of them the first user's friends).
const GROUP_MEMBERS: i64 = 6;
/// The demo cards' thumbnail (a 100×80 PNG).
const CARD_PNG: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo-card.png"));
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
    /// The demo group chat and the first two users' direct chat (absent for a one-user demo).
    pub chats: Vec<DemoChat>,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoChat {
    pub conversation_id: i64,
    pub name: String,
    pub members: Vec<i64>,
}

/// The demo's progress bar: whole users per second, drawn on a terminal only (indicatif hides it elsewhere).
pub fn progress_bar(users: i64) -> ProgressBar {
    let bar = ProgressBar::new(users as u64);
    bar.set_style(progress_style());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// `seeding 12,000/100,000 users [####…] 8,204/s eta 11s`: counts with thousands separators, the rate a whole number.
pub fn progress_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} seeding {human_pos}/{human_len} users [{bar:40}] {rate} eta {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{}/s", whole(state.per_sec()));
            },
        )
}

/// 8204.0181 → "8,204".
pub fn whole(x: f64) -> String {
    let n = if x.is_finite() && x > 0.0 { x.round() as u64 } else { 0 };
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How many friends demo users get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Degrees {
    /// About `--friends` each.
    Uniform,
    /// WeChat-like: most users have tens to a few hundred friends (log-uniform over 10..=300), and about three in a
    /// thousand (a few hundred per 100,000 users) have 5,000 to 10,000 (`--friends` is then ignored).
    Realistic,
}

/// Per thousand users, those with 5,000 to 10,000 friends under [`Degrees::Realistic`].
const HUBS_PER_MILLE: u64 = 3;

impl Degrees {
    /// How many partners one user picks (edges go both ways, so others add about as many).
    fn picks(self, friends: i64, rng: &mut Rng) -> i64 {
        match self {
            Degrees::Uniform => (friends / 2).max(1),
            Degrees::Realistic if rng.next() % 1_000 < HUBS_PER_MILLE => rng.range(5_000, 10_001),
            Degrees::Realistic => {
                let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
                ((10f64.ln() + u * (300f64.ln() - 10f64.ln())).exp() / 2.0) as i64
            }
        }
    }
}

/// Seed `users` users with about `friends` friends each. `progress` hears how many users are done, often: after every
/// statement of the bulk inserts (a few hundred users at a time), not once per chunk.
pub async fn seed(
    store: &Store,
    users: i64,
    friends: i64,
    seed: u64,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<DemoSummary> {
    seed_with(store, users, (friends, Degrees::Uniform), TOKENS_SHOWN, seed, progress).await
}

/// [`seed`] with a degree distribution and the number of users whose sign-in token is printed.
pub async fn seed_with(
    store: &Store,
    users: i64,
    (friends, degrees): (i64, Degrees),
    tokens_shown: i64,
    seed: u64,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<DemoSummary> {
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
    let app_id = store.app_by_appid(&app.appid).await?.map_or(AppId(0), |a| a.id);
    let base = store.max_user_id().await?;
    let (first, last) = (base + 1, base + users);
    let mut rng = Rng(seed);
    let mut tokens = Vec::new();
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
            if id - base <= tokens_shown {
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
                for _ in 0..degrees.picks(friends, &mut rng).min(users - 1) {
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
                        app_id.into(),
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
        // Users first (friend rows may point ahead into the next chunk; that's fine: no foreign keys). Progress moves
        // by each statement's share of the chunk's rows, so it advances smoothly, not a chunk at a time.
        let tables = [
            (BulkTable::Users, &u_rows),
            (BulkTable::Friendships, &f_rows),
            (BulkTable::DailySteps, &s_rows),
            (BulkTable::CheckIns, &c_rows),
            (BulkTable::Likes, &l_rows),
        ];
        let total_rows: usize = tables.iter().map(|(_, rows)| rows.len()).sum();
        let chunk_users = (end - start + 1) as u64;
        let users_before = (start - first) as u64;
        let mut rows_before = 0usize;
        for (table, rows) in tables {
            let at = rows_before;
            let mut written = |n: usize| {
                progress(users_before + chunk_users * (at + n) as u64 / total_rows.max(1) as u64);
            };
            store.bulk_insert_reporting(table, rows, &mut written).await?;
            rows_before += rows.len();
        }
        progress(users_before + chunk_users);
        start = end + 1;
    }
    store.reseat_ids().await?;
    store.refresh_statistics().await?;
    let chats = seed_chats(store, app_id, first, last, now).await?;
    Ok(DemoSummary {
        appid: app.appid,
        secret: app.secret,
        users,
        first_user_id: first,
        tokens,
        chats,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A group chat of the first users and the first two users' direct chat, each with a card of the demo app, posted
/// the way `wx.miniapp.shareMiniProgramMessage` posts one (a thumbnail temp file, then the card).
async fn seed_chats(store: &Store, app_id: AppId, first: i64, last: i64, now: i64) -> Result<Vec<DemoChat>> {
    if last <= first {
        return Ok(Vec::new());
    }
    let members: Vec<UserId> = (first..=last.min(first + GROUP_MEMBERS - 1)).map(UserId).collect();
    let group = share::create_group(store, "跑团 (demo)", &members, now).await?;
    let direct = share::create_direct(store, &[UserId(first), UserId(first + 1)], now).await?;
    let cards = [
        (
            group.conversation_id,
            first + 1,
            "今天谁走得最多？",
            "来步数挑战看看排名",
        ),
        (direct.conversation_id, first, "一起来运动吧！", "今天你走了多少步？"),
    ];
    for (conversation_id, sender_id, title, description) in cards {
        let image_name = share::temp_file_name(ImageKind::Png);
        let file = NewTempFile {
            name: &image_name,
            owner_id: UserId(sender_id),
            mime: ImageKind::Png.mime(),
            data: CARD_PNG,
            created_at: now,
            expires_at: now + 86_400,
        };
        store.put_temp_file(&file, i64::MAX, &[]).await?;
        let card = NewShareMessage {
            conversation_id,
            sender_id: UserId(sender_id),
            share_app_id: app_id,
            app_id,
            path: "/pages/index/index",
            title,
            description,
            image_name: &image_name,
            webpage_url: "https://example.com/",
            with_share_ticket: true,
            miniprogram_type: 0,
            created_at: now,
        };
        store.create_share_message(&card, &[]).await?;
    }
    Ok(vec![
        DemoChat {
            conversation_id: group.conversation_id,
            name: "跑团 (demo)".into(),
            members: members.iter().map(|m| m.0).collect(),
        },
        DemoChat {
            conversation_id: direct.conversation_id,
            name: String::new(),
            members: vec![first, first + 1],
        },
    ])
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
    if let [group, direct] = s.chats.as_slice() {
        out.push_str(&format!(
            "\nchats: group \"{}\" (users {}), direct chat of users {} and {}, a card in each",
            group.name,
            group.members.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
            direct.members[0],
            direct.members[1]
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use indicatif::{ProgressDrawTarget, TermLike};

    use super::*;

    /// A terminal that keeps every line drawn.
    #[derive(Debug, Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl TermLike for Recorder {
        fn width(&self) -> u16 {
            120
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            if !s.trim().is_empty() {
                self.0.lock().unwrap().push(s.to_owned());
            }
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn rates_are_whole_numbers() {
        assert_eq!(whole(8_204.018_1), "8,204");
        assert_eq!(whole(999.6), "1,000");
        assert_eq!(whole(1_234_567.0), "1,234,567");
        assert_eq!(whole(0.4), "0");
        assert_eq!(whole(f64::NAN), "0");
    }

    /// The bar as drawn: the rate a whole number with thousands separators (it was "8,204.0181/s").
    #[test]
    fn the_bar_draws_whole_rates() {
        let term = Recorder::default();
        let bar = ProgressBar::with_draw_target(
            Some(1_000_000),
            ProgressDrawTarget::term_like_with_hz(Box::new(term.clone()), 250),
        );
        bar.set_style(progress_style());
        for _ in 0..5 {
            bar.inc(12_345);
            std::thread::sleep(Duration::from_millis(20));
            bar.tick();
        }
        let lines = term.0.lock().unwrap().clone();
        assert!(!lines.is_empty());
        for line in &lines {
            let rate = line
                .split("] ")
                .nth(1)
                .and_then(|r| r.split(' ').next())
                .unwrap_or_default();
            assert!(rate.ends_with("/s") && !rate.contains('.'), "rate {rate:?} in {line:?}");
            assert!(line.contains("/1,000,000 users"), "{line}");
        }
    }

    /// Progress while seeding moves a few hundred users at a time (it used to move 5,000 at once, once per chunk).
    #[tokio::test]
    async fn progress_moves_in_small_steps() {
        let (db, _dir) = yundong_testkit::fresh_database().await;
        let store = Store::connect(&db).await.unwrap();
        let mut seen = vec![0u64];
        seed(&store, 6_000, 12, 1, &mut |n| seen.push(n)).await.unwrap();
        assert_eq!(seen.last(), Some(&6_000));
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "never backwards: {seen:?}");
        let biggest = seen.windows(2).map(|w| w[1] - w[0]).max().unwrap();
        assert!(biggest <= 600, "largest step {biggest} users: {seen:?}");
    }
}
