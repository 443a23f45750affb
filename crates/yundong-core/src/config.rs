//! Server policy: lifetimes, limits and the day zone. Defaults follow WeChat (docs/WECHAT.md §3) and docs/DESIGN.md §5.

use std::time::Duration;

use yundong_proto::day::DayZone;

#[derive(Debug, Clone)]
pub struct Config {
    /// Idle life of a session_key, extended by use (docs/DESIGN.md §5.5: 3 days).
    pub session_ttl: i64,
    /// Life of a `wx.login` code (5 minutes).
    pub code_ttl: i64,
    /// Life of an access token (7200 s).
    pub token_ttl: i64,
    /// How long a superseded `/cgi-bin/token` token keeps working (5 minutes); also how early stable tokens rotate.
    pub token_overlap: i64,
    /// `/cgi-bin/token` calls per app per day (WeChat: 2000) → 45009.
    pub token_daily_quota: i64,
    /// Forced stable-token refreshes per app per day, and the minimum gap between two (20, 30 s).
    pub stable_force_daily: i64,
    pub stable_force_gap: i64,
    /// code2session exchanges per user per minute (100) → 45011.
    pub code_exchanges_per_minute: i64,
    /// `/cgi-bin/stable_token` calls per app per minute (WeChat: 10,000) → 45011.
    pub stable_token_per_minute: i64,
    /// `resetusersessionkey` calls per user per minute (WeChat forbids frequent resets of one user) → 45011.
    pub session_resets_per_minute: i64,
    /// `wx.login` codes per user per minute → `login:fail too many requests: wx.login codes per user per minute` (HTTP 429).
    pub login_codes_per_minute: i64,
    /// Life of a cloudID (5 minutes).
    pub cloud_id_ttl: i64,
    /// The highest daily step total kept (98,800).
    pub daily_step_cap: i64,
    /// The zone whose midnights bound a WeRun day (UTC+8).
    pub day_zone: DayZone,
    /// Whether `POST /admin/v1/clock/advance` and `/clock/set` may move the deployment's clock.
    pub dev_clock: bool,
    /// Test mode (`--test-mode`): what `dev_clock` allows, plus `POST /admin/v1/reset`.
    pub test_mode: bool,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// The change feed's timing (see `cache::feed`): a node that has not read the feed for `feed_max_gap` forgets its
    /// caches; events are pruned `feed_retain` after a node saw them as the newest. Real time, not the dev clock.
    pub feed_max_gap: Duration,
    pub feed_retain: Duration,
    /// Per-user quotas on stored content (`service::quotas`): check-ins, share cards, uploaded image bytes.
    pub check_ins_per_minute: i64,
    pub check_ins_per_day: i64,
    pub share_cards_per_minute: i64,
    pub share_cards_per_day: i64,
    pub image_bytes_per_day: i64,
    /// Wrong admin tokens allowed per client address per minute before 429 (see `admin_auth`).
    pub admin_failure_burst: u32,
    /// The HTTP listener's timeouts and bounds (see `listener`).
    pub limits: Limits,
    /// Whether requests are recorded in the node's Prometheus metrics.
    pub metrics: bool,
    /// Whether `/metrics` is served on the main listener (else only where `--metrics-listen` puts it).
    pub metrics_on_main_listener: bool,
    /// The request journal's size cap in rows (0 turns the journal off, and with it `rid/get` answers 76001), and
    /// the age after which rows are dropped (7 days: WeChat keeps rids 7 days). Docs: docs/WECHAT.md.
    pub journal_size: i64,
    pub journal_max_age: i64,
    /// Whether client API calls are journaled too (`--journal-client`); faulted client calls always are.
    pub journal_client: bool,
    /// Quota clears per app per calendar month (`/cgi-bin/clear_quota` and `/v2` together; WeChat: 10) → 48006.
    pub quota_clears_per_month: i64,
    /// Origins whose pages may call the client API and load `/ui/wx.js` (`--cors-origin`): serialized origins
    /// (`http://localhost:5173`), or `*` for any (only with the shared clock). Empty: same origin only.
    pub cors_origins: Vec<String>,
}

impl Config {
    /// Whether this node follows the deployment's clock and lets the admin move it (`--dev-clock` or `--test-mode`).
    pub fn shared_clock(&self) -> bool {
        self.dev_clock || self.test_mode
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            session_ttl: 3 * 86_400,
            code_ttl: 300,
            token_ttl: 7_200,
            token_overlap: 300,
            token_daily_quota: 2_000,
            stable_force_daily: 20,
            stable_force_gap: 30,
            code_exchanges_per_minute: 100,
            stable_token_per_minute: 10_000,
            session_resets_per_minute: 10,
            login_codes_per_minute: 300,
            cloud_id_ttl: 300,
            daily_step_cap: 98_800,
            day_zone: DayZone::CHINA,
            dev_clock: false,
            test_mode: false,
            body_limit: 64 * 1024,
            feed_max_gap: Duration::from_secs(60),
            feed_retain: Duration::from_secs(120),
            check_ins_per_minute: 20,
            check_ins_per_day: 200,
            share_cards_per_minute: 30,
            share_cards_per_day: 500,
            image_bytes_per_day: 16 << 20,
            admin_failure_burst: FAILURE_BURST,
            limits: Limits::default(),
            metrics: true,
            metrics_on_main_listener: true,
            journal_size: 100_000,
            journal_max_age: 7 * 86_400,
            journal_client: false,
            quota_clears_per_month: 10,
            cors_origins: Vec::new(),
        }
    }
}

/// Wrong admin tokens allowed per client address per minute, by default.
pub const FAILURE_BURST: u32 = 10;

/// Limits of the HTTP listener (the server's `listener` module applies them).
#[derive(Debug, Clone)]
pub struct Limits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub max_header_bytes: usize,
    pub max_connections: usize,
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_header_bytes: 16 * 1024,
            max_connections: 10_000,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}
