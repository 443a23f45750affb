//! `yundong scenario apply|export`, `yundong reset` and `yundong clock show|advance|set` (issue 13): the test-double
//! controls on the database directly, as the other admin subcommands work. Running servers follow at once: a reset
//! and a clock change reach every node through the change feed.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use yundong_core::Clock;
use yundong_core::scenario;
use yundong_proto::control::ScenarioApplied as Applied;
use yundong_proto::day::DayZone;
use yundong_store::Store;

use crate::db::DbArgs;

#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Apply a scenario file (YAML or JSON): idempotent, all of it or nothing. Prints credentials it generated.
    Apply {
        /// The file (`-` for standard input).
        file: PathBuf,
        #[command(flatten)]
        world: WorldArgs,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Write the current state as a scenario file (YAML) to standard output, or to --output.
    Export {
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        world: WorldArgs,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// How a scenario's days are read: the zone's midnights, the cap on daily steps (as `serve` takes them).
#[derive(Debug, Clone, Args)]
pub struct WorldArgs {
    /// The zone whose midnights bound a WeRun day.
    #[arg(long, env = "YUNDONG_UTC_OFFSET", default_value = "+08:00")]
    pub utc_offset: String,
    /// The highest daily step total kept.
    #[arg(long, env = "YUNDONG_DAILY_STEP_CAP", default_value_t = 98_800)]
    pub daily_step_cap: i64,
}

impl WorldArgs {
    pub fn zone(&self) -> Result<DayZone> {
        DayZone::parse(&self.utc_offset).context("--utc-offset must look like +08:00")
    }
}

#[derive(Debug, Subcommand)]
pub enum ClockCommand {
    /// The deployment's clock: now and the offset from system time.
    Show {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Move the deployment's clock forward by SECONDS.
    Advance {
        /// Seconds to move forward (0 to 31622400).
        seconds: i64,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Move the deployment's clock forward to AT (RFC 3339, e.g. 2026-11-20T08:00:00+08:00).
    Set {
        /// The instant to move to, RFC 3339; not before the deployment's now.
        at: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Keep {
    Apps,
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Keep the apps and their credentials (secrets, access tokens).
    #[arg(long, value_enum)]
    pub keep: Option<Keep>,
    /// Confirm: a reset deletes every user and all they did.
    #[arg(long)]
    pub yes: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Serialize)]
struct ClockOut {
    now: i64,
    offset_seconds: i64,
}

async fn clock_out(store: &Store) -> Result<ClockOut> {
    let offset = store.clock_offset().await?;
    Ok(ClockOut {
        now: Clock::system_now() + offset,
        offset_seconds: offset,
    })
}

fn describe_clock(c: &ClockOut) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(c.now)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    format!("now:    {} ({at})\noffset: {} s", c.now, c.offset_seconds)
}

/// The deployment's now: system time plus the stored offset.
pub async fn deployment_now(store: &Store) -> Result<i64> {
    Ok(Clock::system_now() + store.clock_offset().await?)
}

/// Read and apply the scenario at `file` (`-`: standard input).
pub async fn apply_file(store: &Store, file: &PathBuf, world: &WorldArgs) -> Result<Applied> {
    let text = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?
    };
    let parsed = scenario::parse(&text).with_context(|| file.display().to_string())?;
    let now = deployment_now(store).await?;
    scenario::apply(store, &parsed, now, world.zone()?, world.daily_step_cap)
        .await
        .with_context(|| file.display().to_string())
}

/// The apply's result as a person reads it (generated credentials included: shown once).
pub fn describe_applied(a: &Applied) -> String {
    let created_users = a.users.iter().filter(|u| u.created).count();
    let mut out = format!(
        "scenario applied: {} apps ({} new), {} users ({created_users} new), {} check-ins added",
        a.apps.len(),
        a.apps.iter().filter(|x| x.created).count(),
        a.users.len(),
        a.check_ins_added
    );
    for app in a.apps.iter().filter(|x| x.secret.is_some()) {
        out.push_str(&format!(
            "\n  app {}: secret {}  (generated, shown once)",
            app.appid,
            app.secret.as_deref().unwrap_or_default()
        ));
    }
    for user in a.users.iter().filter(|u| u.token.is_some()) {
        out.push_str(&format!(
            "\n  user {} (id {}): token {}  (generated, shown once)",
            user.key,
            user.user_id,
            user.token.as_deref().unwrap_or_default()
        ));
    }
    out
}

pub async fn scenario(cmd: ScenarioCommand, print: impl Fn(bool, &Applied) -> Result<()>) -> Result<()> {
    match cmd {
        ScenarioCommand::Apply { file, world, json, db } => {
            // Like `demo`, an apply may start a deployment: it creates the database if there is none.
            let store = crate::db::connect(&db.url(crate::db::Open::Create)?).await?;
            let applied = apply_file(&store, &file, &world).await?;
            print(json, &applied)?;
        }
        ScenarioCommand::Export { output, world, db } => {
            let store = db.open().await?;
            let text = scenario::to_yaml(&scenario::export(&store, world.zone()?).await?)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?
                }
                None => {
                    use std::io::Write as _;
                    match std::io::stdout().write_all(text.as_bytes()) {
                        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                        other => other?,
                    }
                }
            }
        }
    }
    Ok(())
}

pub async fn clock(cmd: ClockCommand) -> Result<(bool, serde_json::Value, String)> {
    let (json, store) = match &cmd {
        ClockCommand::Show { json, db }
        | ClockCommand::Advance { json, db, .. }
        | ClockCommand::Set { json, db, .. } => (*json, db.open().await?),
    };
    match cmd {
        ClockCommand::Show { .. } => {}
        ClockCommand::Advance { seconds, .. } => {
            if !(0..=366 * 86_400).contains(&seconds) {
                bail!("seconds must be between 0 and 31622400 (the clock only moves forward)");
            }
            store.advance_clock(seconds).await?;
        }
        ClockCommand::Set { at, .. } => {
            let at = time::OffsetDateTime::parse(&at, &Rfc3339)
                .with_context(|| format!("AT must be an RFC 3339 instant, got {at:?}"))?
                .unix_timestamp();
            let now = deployment_now(&store).await?;
            let system = Clock::system_now();
            if at < now || at - system > 100 * 366 * 86_400 {
                bail!("the clock only moves forward: AT must be between now ({now}) and 100 years from now");
            }
            if store.set_clock_forward(at - system).await?.is_none() {
                bail!("the clock only moves forward: it was moved past AT meanwhile");
            }
        }
    }
    let out = clock_out(&store).await?;
    Ok((json, serde_json::to_value(&out)?, describe_clock(&out)))
}

pub async fn reset(args: ResetArgs) -> Result<(bool, serde_json::Value, String)> {
    if !args.yes {
        bail!("a reset deletes every user and all they did (and the apps, without --keep apps): pass --yes to confirm");
    }
    let store = args.db.open().await?;
    let keep_apps = matches!(args.keep, Some(Keep::Apps));
    let removed = store.reset(keep_apps).await?;
    // Store::reset empties the fault rules too.
    let out = serde_json::json!({
        "apps_removed": removed.apps, "users_removed": removed.users, "kept_apps": keep_apps,
    });
    let text = format!(
        "reset: {} users removed, {}; the clock is back to system time",
        removed.users,
        if keep_apps {
            "apps kept".to_owned()
        } else {
            format!("{} apps removed", removed.apps)
        }
    );
    Ok((args.json, out, text))
}
