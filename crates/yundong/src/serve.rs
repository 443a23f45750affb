//! `yundong serve`.

use std::net::SocketAddr;

use anyhow::{Context, Result, bail};
use clap::Args;
use tokio::net::TcpListener;
use yundong_proto::day::DayZone;
use yundong_server::{AppState, Config};

use crate::cli::{DbArgs, redact_url};

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
    #[arg(long, env = "YUNDONG_SESSION_TTL", default_value_t = 3 * 86_400)]
    pub session_ttl: i64,
    /// The highest daily step total kept.
    #[arg(long, env = "YUNDONG_DAILY_STEP_CAP", default_value_t = 98_800)]
    pub daily_step_cap: i64,
    /// code2session exchanges allowed per user per minute (WeChat: 100).
    #[arg(long, env = "YUNDONG_CODE_EXCHANGES_PER_MINUTE", default_value_t = 100)]
    pub code_exchanges_per_minute: i64,
    /// `/cgi-bin/token` calls allowed per app per day (WeChat: 2000).
    #[arg(long, env = "YUNDONG_TOKEN_DAILY_QUOTA", default_value_t = 2_000)]
    pub token_daily_quota: i64,
    /// `wx.login` codes allowed per user per minute.
    #[arg(long, env = "YUNDONG_LOGIN_CODES_PER_MINUTE", default_value_t = 300)]
    pub login_codes_per_minute: i64,
    /// Rows the request journal keeps (newest first; also at most 7 days). 0 turns the journal off.
    #[arg(long, env = "YUNDONG_JOURNAL_SIZE", default_value_t = 100_000)]
    pub journal_size: u32,
    /// Seed a small demo data set first if the database has no users yet.
    #[arg(long)]
    pub demo: bool,
    /// Log format: `pretty` or `json`.
    #[arg(long, env = "YUNDONG_LOG_FORMAT", default_value = "pretty")]
    pub log_format: String,
}

fn init_tracing(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("YUNDONG_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

pub async fn run(args: ServeArgs) -> Result<()> {
    init_tracing(&args.log_format);
    let Some(day_zone) = DayZone::parse(&args.utc_offset) else {
        bail!("--utc-offset must look like +08:00");
    };
    let limits = [
        args.session_ttl,
        args.daily_step_cap,
        args.code_exchanges_per_minute,
        args.token_daily_quota,
        args.login_codes_per_minute,
    ];
    if limits.iter().any(|&v| v <= 0) {
        bail!("lifetimes, caps and rate limits must be positive");
    }
    let url = args.db.url()?;
    let store = args.db.open().await?;
    let demo = if args.demo && store.max_user_id().await? == 0 {
        Some(crate::demo::seed(&store, 30, 8, 7, false).await?)
    } else {
        None
    };
    let env_token = std::env::var("YUNDONG_ADMIN_TOKEN").ok();
    let config = Config {
        dev_clock: args.dev_clock,
        day_zone,
        session_ttl: args.session_ttl,
        daily_step_cap: args.daily_step_cap,
        code_exchanges_per_minute: args.code_exchanges_per_minute,
        token_daily_quota: args.token_daily_quota,
        login_codes_per_minute: args.login_codes_per_minute,
        journal_size: i64::from(args.journal_size),
        ..Config::default()
    };
    let (state, fresh_token) = AppState::open(store.clone(), config, env_token.as_deref()).await?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    println!("yundong {} serving on {base}", env!("CARGO_PKG_VERSION"));
    println!("  database:   {}", redact_url(&url));
    match (&fresh_token, &env_token) {
        (Some(token), _) => println!("  admin token (generated now, shown once; keep it): {token}"),
        (None, Some(_)) => println!("  admin token: from YUNDONG_ADMIN_TOKEN"),
        (None, None) => println!("  admin token: generated at first start (lost it? `yundong admin-token reset`)"),
    }
    println!("  point your SDK's API base at {base} instead of https://api.weixin.qq.com");
    println!("  create an app: yundong app create --name demo");
    println!(
        "            or: curl -X POST {base}/admin/v1/apps -H 'Authorization: Bearer <admin token>' -d '{{\"name\":\"demo\"}}'"
    );
    println!("  API docs:   {base}/docs/");
    if let Some(demo) = &demo {
        println!(
            "  demo data:  {}",
            crate::demo::describe(demo).replace('\n', "\n              ")
        );
        println!("  pages:      {base}/ui/ (sign in with a token above)");
    }
    if args.dev_clock {
        println!("  dev clock:  POST {base}/admin/v1/clock/advance {{\"seconds\": N}}");
    }
    yundong_server::serve(listener, state, shutdown_signal()).await?;
    store.close().await;
    Ok(())
}
