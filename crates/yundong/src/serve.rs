//! `yundong serve`.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Args;
use tokio::net::TcpListener;
use yundong_proto::day::DayZone;
use yundong_server::listener::Limits;
use yundong_server::{AppState, Config};

use crate::db::Open;
use crate::db::{DbArgs, redact_url};

/// Every default of `serve` comes from the server's configuration defaults (one source).
static DEFAULTS: std::sync::LazyLock<Config> = std::sync::LazyLock::new(Config::default);

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "YUNDONG_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub db: DbArgs,
    /// Allow `POST /admin/v1/clock/advance` to move this server's clock forward (for testing expiry).
    #[arg(long, env = "YUNDONG_DEV_CLOCK")]
    pub dev_clock: bool,
    /// The zone whose midnights bound a WeRun day.
    #[arg(long, env = "YUNDONG_UTC_OFFSET", default_value = "+08:00")]
    pub utc_offset: String,
    /// Idle life of a session_key in seconds (extended by use).
    #[arg(long, env = "YUNDONG_SESSION_TTL", default_value_t = DEFAULTS.session_ttl)]
    pub session_ttl: i64,
    /// The highest daily step total kept.
    #[arg(long, env = "YUNDONG_DAILY_STEP_CAP", default_value_t = DEFAULTS.daily_step_cap)]
    pub daily_step_cap: i64,
    /// code2session exchanges allowed per user per minute (WeChat: 100).
    #[arg(long, env = "YUNDONG_CODE_EXCHANGES_PER_MINUTE", default_value_t = DEFAULTS.code_exchanges_per_minute)]
    pub code_exchanges_per_minute: i64,
    /// `/cgi-bin/token` calls allowed per app per day (WeChat: 2000).
    #[arg(long, env = "YUNDONG_TOKEN_DAILY_QUOTA", default_value_t = DEFAULTS.token_daily_quota)]
    pub token_daily_quota: i64,
    /// `wx.login` codes allowed per user per minute.
    #[arg(long, env = "YUNDONG_LOGIN_CODES_PER_MINUTE", default_value_t = DEFAULTS.login_codes_per_minute)]
    pub login_codes_per_minute: i64,
    /// Rows the request journal keeps (newest first; also at most 7 days). 0 turns the journal off.
    #[arg(long, env = "YUNDONG_JOURNAL_SIZE", default_value_t = DEFAULTS.journal_size as u32)]
    pub journal_size: u32,
    /// Test mode: allow `POST /admin/v1/reset` and move the deployment's clock as --dev-clock does.
    #[arg(long, env = "YUNDONG_TEST_MODE")]
    pub test_mode: bool,
    /// Apply this scenario file (YAML or JSON) before serving (idempotent: a restart applies it again harmlessly).
    #[arg(long, env = "YUNDONG_SCENARIO")]
    pub scenario: Option<std::path::PathBuf>,
    /// Let pages served from ORIGIN (e.g. http://localhost:5173, an H5 build's dev server) call the client API and
    /// load /ui/wx.js; repeatable, or comma-separated in the variable. `*` (any origin) only with --dev-clock or
    /// --test-mode. The admin API, the WeChat-compatible API and the pages stay same-origin.
    #[arg(
        long = "cors-origin",
        value_name = "ORIGIN",
        env = "YUNDONG_CORS_ORIGIN",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// Journal client API calls (/client/v1/…) too, not only the WeChat-compatible API.
    #[arg(long, env = "YUNDONG_JOURNAL_CLIENT")]
    pub journal_client: bool,
    /// Seed a small demo data set first if the database has no users yet.
    #[arg(long)]
    pub demo: bool,
    /// Serve `/metrics` on this address (e.g. 127.0.0.1:9090) instead of the main listener.
    #[arg(long, env = "YUNDONG_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Record no metrics and serve no `/metrics` (to measure what recording costs).
    #[arg(long, env = "YUNDONG_NO_METRICS", conflicts_with = "metrics_listen")]
    pub no_metrics: bool,
    /// Log format: `pretty` or `json`.
    #[arg(long, env = "YUNDONG_LOG_FORMAT", default_value = "pretty")]
    pub log_format: String,
    /// Seconds a connection has to send a complete request head (after connecting, or after its previous answer).
    #[arg(long, env = "YUNDONG_HEADER_TIMEOUT", default_value_t = DEFAULTS.limits.header_timeout.as_secs())]
    pub header_timeout: u64,
    /// Seconds a request body has to arrive whole.
    #[arg(long, env = "YUNDONG_BODY_TIMEOUT", default_value_t = DEFAULTS.limits.body_timeout.as_secs())]
    pub body_timeout: u64,
    /// The largest request head accepted, in bytes (431 beyond).
    #[arg(long, env = "YUNDONG_MAX_HEADER_BYTES", default_value_t = DEFAULTS.limits.max_header_bytes)]
    pub max_header_bytes: usize,
    /// Connections served at once (fewer if the open-file limit cannot hold them).
    #[arg(long, env = "YUNDONG_MAX_CONNECTIONS", default_value_t = DEFAULTS.limits.max_connections)]
    pub max_connections: usize,
    /// Seconds requests in flight get to finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "YUNDONG_SHUTDOWN_GRACE", default_value_t = DEFAULTS.limits.shutdown_grace.as_secs())]
    pub shutdown_grace: u64,
    /// Check-ins (wx.shareToWeRun) a user may make per minute and per day.
    #[arg(long, env = "YUNDONG_CHECK_INS_PER_MINUTE", default_value_t = DEFAULTS.check_ins_per_minute)]
    pub check_ins_per_minute: i64,
    #[arg(long, env = "YUNDONG_CHECK_INS_PER_DAY", default_value_t = DEFAULTS.check_ins_per_day)]
    pub check_ins_per_day: i64,
    /// Share cards a user may send per minute and per day.
    #[arg(long, env = "YUNDONG_SHARE_CARDS_PER_MINUTE", default_value_t = DEFAULTS.share_cards_per_minute)]
    pub share_cards_per_minute: i64,
    #[arg(long, env = "YUNDONG_SHARE_CARDS_PER_DAY", default_value_t = DEFAULTS.share_cards_per_day)]
    pub share_cards_per_day: i64,
    /// Image bytes a user may upload per day.
    #[arg(long, env = "YUNDONG_IMAGE_BYTES_PER_DAY", default_value_t = DEFAULTS.image_bytes_per_day)]
    pub image_bytes_per_day: i64,
    /// Wrong admin tokens allowed per client address per minute before it gets 429.
    #[arg(long, env = "YUNDONG_ADMIN_AUTH_BURST", default_value_t = DEFAULTS.admin_failure_burst)]
    pub admin_auth_burst: u32,
}

/// `YUNDONG_*` variables read outside clap: the server's own, and those of the project's tools and test scripts
/// (which share the prefix but never configure a server).
const OTHER_VARIABLES: [&str; 11] = [
    "YUNDONG_LOG",
    "YUNDONG_BIN_PATH",
    "YUNDONG_ADMIN_TOKEN",
    "YUNDONG_BIN",
    "YUNDONG_BASE",
    "YUNDONG_TEST_POSTGRES",
    "YUNDONG_BENCH_POSTGRES",
    "YUNDONG_ARTIFACTS",
    "YUNDONG_FIXTURE",
    "YUNDONG_NO_BUILD",
    "YUNDONG_SERVE_ARGS",
];

/// The `YUNDONG_*` variables in `vars` that neither an option (`known`) nor anything else reads: most likely typos,
/// which would otherwise leave a setting silently at its default.
pub(crate) fn unknown_variables(vars: impl Iterator<Item = String>, known: &[String]) -> Vec<String> {
    let mut unknown: Vec<String> = vars
        .filter(|v| v.starts_with("YUNDONG_") && !known.contains(v) && !OTHER_VARIABLES.contains(&v.as_str()))
        .collect();
    unknown.sort();
    unknown
}

fn init_tracing(format: &str) {
    use std::io::IsTerminal as _;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("YUNDONG_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log file or a pipe gets plain text.
        .with_ansi(std::io::stderr().is_terminal());
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// The next delivery of `signal`; never, if it could not be installed.
#[cfg(unix)]
async fn received(signal: Option<&mut tokio::signal::unix::Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// Resolves at SIGTERM or Ctrl-C. The handlers are installed when this is called, not when it is first polled: a
/// signal that arrives right after the banner (a supervisor stopping a server it just started) is a graceful stop,
/// never the default action.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (mut term, mut int) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            tokio::select! { _ = received(term.as_mut()) => {}, _ = received(int.as_mut()) => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}

pub async fn run(args: ServeArgs, known: &[String]) -> Result<()> {
    init_tracing(&args.log_format);
    for variable in unknown_variables(std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()), known) {
        tracing::warn!(%variable, "unknown YUNDONG_ variable ignored (no option reads it; a typo?)");
    }
    let day_zone = config_from(&args)?.day_zone;
    let limits = [
        args.session_ttl,
        args.daily_step_cap,
        args.code_exchanges_per_minute,
        args.token_daily_quota,
        args.login_codes_per_minute,
        args.check_ins_per_minute,
        args.check_ins_per_day,
        args.share_cards_per_minute,
        args.share_cards_per_day,
        args.image_bytes_per_day,
    ];
    if limits.iter().any(|&v| v <= 0) {
        bail!("lifetimes, caps and rate limits must be positive");
    }
    if args.header_timeout == 0 || args.body_timeout == 0 || args.max_connections == 0 || args.admin_auth_burst == 0 {
        bail!("--header-timeout, --body-timeout, --max-connections and --admin-auth-burst must be positive");
    }
    if !(1024..=1024 * 1024).contains(&args.max_header_bytes) {
        bail!("--max-header-bytes must be between 1024 and 1048576");
    }
    let env_token = std::env::var("YUNDONG_ADMIN_TOKEN").ok().filter(|t| !t.is_empty());
    if let Some(problem) = env_token.as_deref().and_then(yundong_server::admin_auth::token_problem) {
        bail!("YUNDONG_ADMIN_TOKEN: {problem}");
    }
    let nofile = yundong_server::listener::raise_open_file_limit();
    let max_connections = yundong_server::listener::connection_limit(args.max_connections, nofile);
    let url = args.db.url(Open::Create)?;
    let store = crate::db::connect(&url).await?;
    let existing_users = store.user_count().await?;
    let demo = if args.demo && existing_users == 0 {
        Some(crate::demo::seed(&store, 30, 8, 7, &mut |_| {}).await?)
    } else {
        None
    };
    let scenario = match &args.scenario {
        Some(file) => {
            let world = crate::control::WorldArgs {
                utc_offset: args.utc_offset.clone(),
                daily_step_cap: args.daily_step_cap,
            };
            Some(crate::control::apply_file(&store, file, &world).await?)
        }
        None => None,
    };
    let config = config(&args, day_zone, max_connections);
    let (state, fresh_token) = AppState::open(store.clone(), config, env_token.as_deref()).await?;
    // Logs keep stdout: a generated token goes to a file only its owner can read (before anything announces that
    // the server is up), and to the screen only when there is one.
    let token_file = args.db.data_dir.join("admin-token");
    if let Some(token) = &fresh_token {
        crate::files::private_dir(&args.db.data_dir)?;
        crate::files::write_private(&token_file, &format!("{token}\n"))?;
    }
    let listener = TcpListener::bind(args.listen).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {}: {e}; is another server running there? Pick another address with --listen",
            args.listen
        )
    })?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    let metrics_server = match args.metrics_listen {
        Some(at) => {
            let listener = TcpListener::bind(at).await.map_err(|e| {
                anyhow::anyhow!("cannot listen on {at} for metrics: {e}; pick another address with --metrics-listen")
            })?;
            let router = yundong_server::metrics::router(state.clone());
            // The same hardened listener as the main one (timeouts, header and connection bounds).
            let limits = state.config.limits.clone();
            Some((
                listener.local_addr()?,
                tokio::spawn(yundong_server::listener::run(
                    listener,
                    router,
                    limits,
                    None,
                    std::future::pending(),
                )),
            ))
        }
        None => None,
    };
    let shutdown = shutdown_signal();
    println!("yundong {} serving on {base}", env!("CARGO_PKG_VERSION"));
    println!("  database:   {}", redact_url(&url));
    match (&fresh_token, &env_token) {
        (Some(token), _) => {
            println!(
                "  admin token: generated now, written to {} (mode 0600)",
                token_file.display()
            );
            if std::io::stdout().is_terminal() {
                println!("               {token}");
            }
        }
        (None, Some(_)) => println!("  admin token: from YUNDONG_ADMIN_TOKEN"),
        (None, None) => println!("  admin token: generated at first start (lost it? `yundong admin-token reset`)"),
    }
    println!("  point your SDK's API base at {base} instead of https://api.weixin.qq.com");
    println!("  create an app: yundong app create --name demo");
    println!(
        "            or: curl -X POST {base}/admin/v1/apps -H 'Authorization: Bearer <admin token>' -d '{{\"name\":\"demo\"}}'"
    );
    println!("  API docs:   {base}/docs/");
    println!("  pages:      {base}/ui/ (sign in with a user's token)");
    match (&metrics_server, args.no_metrics) {
        (_, true) => println!("  metrics:    off (--no-metrics)"),
        (Some((at, _)), _) => println!("  metrics:    http://{at}/metrics   readiness: {base}/readyz"),
        (None, _) => println!("  metrics:    {base}/metrics   readiness: {base}/readyz"),
    }
    if let Some(demo) = &demo {
        println!(
            "  demo data:  {}",
            crate::demo::describe(demo).replace('\n', "\n              ")
        );
    } else if args.demo {
        // A second `serve --demo`: the data is there, its tokens were printed the first time.
        println!(
            "  demo data:  seeded before ({existing_users} users), not seeded again; its sign-in tokens were printed \
             at that first start"
        );
        println!("              list users: yundong user list; a user's new token: yundong user reset-token <user_id>");
    }
    if args.dev_clock || args.test_mode {
        println!("  dev clock:  POST {base}/admin/v1/clock/advance {{\"seconds\": N}} (one clock for the deployment)");
    }
    if args.test_mode {
        println!("  test mode:  POST {base}/admin/v1/reset empties the deployment");
    }
    if !state.config.cors_origins.is_empty() {
        println!(
            "  CORS:       the client API and /ui/wx.js answer pages from {}",
            state.config.cors_origins.join(", ")
        );
    }
    if let Some(applied) = &scenario {
        println!(
            "  scenario:   {}",
            crate::control::describe_applied(applied).replace('\n', "\n              ")
        );
    }
    yundong_server::serve(listener, state, shutdown).await?;
    if let Some((_, task)) = metrics_server {
        task.abort();
    }
    store.close().await;
    Ok(())
}

/// The configuration `args` ask for, before the open-file limit is considered.
pub(crate) fn config_from(args: &ServeArgs) -> Result<Config> {
    let Some(zone) = DayZone::parse(&args.utc_offset) else {
        bail!("--utc-offset must look like +08:00");
    };
    yundong_server::cors::check_origins(&args.cors_origins, args.dev_clock || args.test_mode)?;
    Ok(config(args, zone, args.max_connections))
}

/// The server's configuration from its options (`max_connections` as the open-file limit allows).
fn config(args: &ServeArgs, day_zone: DayZone, max_connections: usize) -> Config {
    Config {
        dev_clock: args.dev_clock,
        test_mode: args.test_mode,
        day_zone,
        session_ttl: args.session_ttl,
        daily_step_cap: args.daily_step_cap,
        code_exchanges_per_minute: args.code_exchanges_per_minute,
        token_daily_quota: args.token_daily_quota,
        login_codes_per_minute: args.login_codes_per_minute,
        admin_failure_burst: args.admin_auth_burst,
        check_ins_per_minute: args.check_ins_per_minute,
        check_ins_per_day: args.check_ins_per_day,
        share_cards_per_minute: args.share_cards_per_minute,
        share_cards_per_day: args.share_cards_per_day,
        image_bytes_per_day: args.image_bytes_per_day,
        limits: Limits {
            header_timeout: Duration::from_secs(args.header_timeout),
            body_timeout: Duration::from_secs(args.body_timeout),
            max_header_bytes: args.max_header_bytes,
            max_connections,
            shutdown_grace: Duration::from_secs(args.shutdown_grace),
        },
        metrics: !args.no_metrics,
        metrics_on_main_listener: args.metrics_listen.is_none(),
        journal_size: i64::from(args.journal_size),
        journal_client: args.journal_client,
        // Checked by `config_from` before the server starts; a value it refuses never gets here.
        cors_origins: yundong_server::cors::check_origins(&args.cors_origins, args.dev_clock || args.test_mode)
            .unwrap_or_default(),
        ..Config::default()
    }
}
