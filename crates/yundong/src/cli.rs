//! Command-line interface. Admin subcommands work on the database directly (the same one `serve` uses) and print
//! JSON with `--json`.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use yundong_core::{accounts, share};
use yundong_proto::admin::{CreateAppRequest, UpdateAppRequest, UserList, UserListQuery};
use yundong_proto::opendata::{self, Checks};
use yundong_store::UserId;

use crate::db::{DbArgs, Open};
use crate::serve;

#[derive(Debug, Parser)]
#[command(
    name = "yundong",
    version,
    about = "WeRun (微信运动), wire-compatible with WeChat, self-hosted"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(serve::ServeArgs),
    /// Manage mini programs.
    #[command(subcommand)]
    App(AppCommand),
    /// Manage platform users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage friendships.
    #[command(subcommand)]
    Friend(FriendCommand),
    /// Manage group chats (for share cards).
    #[command(subcommand)]
    Group(GroupCommand),
    /// Manage direct chats between two friends (for share cards).
    #[command(subcommand)]
    Conversation(ConversationCommand),
    /// Manage the admin token.
    #[command(subcommand, name = "admin-token")]
    AdminToken(AdminTokenCommand),
    /// Seed a realistic data set: an app, users, a friend graph, 31 days of steps, check-ins and likes.
    Demo {
        /// How many users (up to a million and beyond).
        #[arg(long, default_value_t = 1_000)]
        users: i64,
        /// About how many friends each user has.
        #[arg(long, default_value_t = 12)]
        friends: i64,
        /// The degree distribution: `uniform` (about --friends each) or `realistic` (tens to a few hundred friends,
        /// a few per thousand users with 5,000 to 10,000).
        #[arg(long, value_enum, default_value = "uniform")]
        degrees: crate::demo::Degrees,
        /// How many of the first users get a printed sign-in token (at most 100,000).
        #[arg(long, default_value_t = 5)]
        tokens: i64,
        /// Seed of the generator: the same seed gives the same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Add another community to a database that has users already (without it, a second run refuses).
        #[arg(long)]
        append: bool,
        /// Print the summary as JSON.
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Decrypt open data (encryptedData from wx.getWeRunData and friends) and say precisely why it fails if it does.
    Decrypt(DecryptArgs),
    /// Write a consistent copy of the database to a new file (mode 0600), while servers keep running.
    Backup(crate::backup::BackupArgs),
    /// Restore a `yundong backup` file into an empty database, then apply this binary's migrations.
    Restore(crate::backup::RestoreArgs),
    /// Scenario files: a known world, applied idempotently, exported in the same format.
    #[command(subcommand)]
    Scenario(crate::control::ScenarioCommand),
    /// Empty the deployment (every user and all they did; the apps too without --keep apps); rewind the clock.
    Reset(crate::control::ResetArgs),
    /// The deployment's clock (followed by servers started with --dev-clock or --test-mode).
    #[command(subcommand)]
    Clock(crate::control::ClockCommand),
    /// Fault rules: make WeChat (or client API) calls fail, slow down or lose their connection, on every node.
    #[command(subcommand)]
    Faults(crate::faults::FaultsCommand),
    /// The request journal: the calls back ends made (secrets masked), newest last; --follow keeps printing.
    Requests(crate::faults::RequestsArgs),
}

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register a mini program; prints its appid, secret (shown once) and original id.
    Create {
        /// Shown in the authorization dialog, 1 to 64 printable characters.
        #[arg(long)]
        name: String,
        /// Service category, e.g. 体育-在线健身 (needed for shareToWeRun).
        #[arg(long)]
        category: Option<String>,
        /// Enable wx.shareToWeRun for this app.
        #[arg(long)]
        werun_share: bool,
        /// Grant the device capability: the app may write the steps of users who bound its wristband
        /// (/hardware/bracelet/setstep).
        #[arg(long)]
        device_steps: bool,
        /// Open-platform account; apps of one platform share a user's unionid.
        #[arg(long)]
        open_platform: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Change an app's settings.
    Set {
        /// The app's appid.
        appid: String,
        /// Grant (true) or withdraw (false) the device capability (/hardware/bracelet/setstep).
        #[arg(long)]
        device_steps: Option<bool>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Give an app a new AppSecret (shown once); the old one stops working at once, on every running node.
    ResetSecret {
        /// The app's appid.
        appid: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List mini programs.
    List {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Register a platform user; prints the user id and client bearer token (shown once).
    Create {
        /// The user's display name, 1 to 64 printable characters.
        #[arg(long)]
        nickname: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List users (id, nickname, WeRun and ranking switches), a page at a time; tokens are never shown.
    List {
        /// Only users with a larger id (the `--after` printed at the end of the previous page).
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Users per page, 1 to 1000.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Print the page as JSON.
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Give a user a new client token (shown once); the old one stops working at once, on every running node.
    ResetToken {
        /// The user's id.
        user_id: i64,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum FriendCommand {
    /// Make two users mutual friends.
    Add {
        /// A user id.
        a: i64,
        /// The other user id.
        b: i64,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Make a group chat; prints its conversation id.
    Create {
        /// 1 to 64 printable characters.
        #[arg(long)]
        name: String,
        /// 2 to 500 distinct user ids, comma-separated (they need not be friends).
        #[arg(long, value_delimiter = ',', required = true)]
        members: Vec<i64>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConversationCommand {
    /// The direct chat of two friends (made if they have none); prints its conversation id.
    Create {
        /// A user id.
        a: i64,
        /// The other user id (a friend of the first).
        b: i64,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminTokenCommand {
    /// Generate a new admin token, replacing the stored one; running servers use it from their next admin request
    /// (unless they were started with YUNDONG_ADMIN_TOKEN, which then stays in force).
    Reset {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Args)]
pub struct DecryptArgs {
    /// session_key from jscode2session (base64, 24 characters).
    #[arg(long)]
    pub session_key: String,
    /// iv returned with the data (base64, 24 characters).
    #[arg(long)]
    pub iv: String,
    /// encryptedData (base64).
    #[arg(long)]
    pub encrypted_data: String,
    /// The appid the watermark must carry.
    #[arg(long)]
    pub appid: Option<String>,
    /// Refuse data whose watermark is older than this many seconds.
    #[arg(long)]
    pub max_age: Option<i64>,
}

fn print<T: Serialize>(json: bool, value: &T, human: impl FnOnce(&T) -> String) -> Result<()> {
    use std::io::Write as _;
    let text = if json {
        serde_json::to_string_pretty(value)?
    } else {
        human(value)
    };
    match writeln!(std::io::stdout(), "{text}") {
        // A closed pipe (`yundong … | head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// A page of users as a person reads it, with the command for the next page.
fn describe_users(page: &UserList) -> String {
    let mut out = format!("{:>8}  {:<6} {:<8} nickname", "user_id", "werun", "ranking");
    let yes = |b: bool| if b { "on" } else { "off" };
    for u in &page.users {
        out.push_str(&format!(
            "\n{:>8}  {:<6} {:<8} {}",
            u.user_id,
            yes(u.werun),
            yes(u.join_ranking),
            u.nickname
        ));
    }
    out.push_str(&format!("\n{} of {} users", page.users.len(), page.total));
    if let Some(next) = page.next_after {
        out.push_str(&format!("; next page: yundong user list --after {next}"));
    }
    out
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(args, &known_variables()).await?,
        Command::Faults(cmd) => crate::faults::faults(cmd).await?,
        Command::Requests(args) => crate::faults::requests(args).await?,
        Command::App(AppCommand::Create {
            name,
            category,
            werun_share,
            device_steps,
            open_platform,
            json,
            db,
        }) => {
            let store = db.open().await?;
            let req = CreateAppRequest {
                name,
                category,
                werun_share: Some(werun_share),
                open_platform,
                device_steps: Some(device_steps),
            };
            let app = accounts::create_app(&store, &req, now()).await?;
            print(json, &app, |a| {
                format!(
                    "appid:       {}\nsecret:      {}  (shown once)\noriginal_id: {}",
                    a.appid, a.secret, a.original_id
                )
            })?;
        }
        Command::App(AppCommand::Set {
            appid,
            device_steps,
            json,
            db,
        }) => {
            let store = db.open().await?;
            let app = accounts::update_app(&store, &appid, &UpdateAppRequest { device_steps }).await?;
            print(json, &app, |a| {
                format!(
                    "appid:        {}
device_steps: {}",
                    a.appid, a.device_steps
                )
            })?;
        }
        Command::App(AppCommand::ResetSecret { appid, json, db }) => {
            let store = db.open().await?;
            let reset = accounts::reset_app_secret(&store, &appid).await?;
            print(json, &reset, |r| {
                format!(
                    "appid:  {}
secret: {}  (shown once; the old secret no longer works)",
                    r.appid, r.secret
                )
            })?;
        }
        Command::User(UserCommand::ResetToken { user_id, json, db }) => {
            let store = db.open().await?;
            let reset = accounts::reset_user_token(&store, UserId(user_id)).await?;
            print(json, &reset, |r| {
                format!(
                    "user_id: {}
token:   {}  (shown once; the old token no longer works)",
                    r.user_id, r.token
                )
            })?;
        }
        Command::App(AppCommand::List { json, db }) => {
            let store = db.open().await?;
            let apps: Vec<serde_json::Value> = store
                .list_apps()
                .await?
                .into_iter()
                .map(|a| {
                    serde_json::json!({"appid": a.appid, "original_id": a.original_id, "name": a.name,
                        "category": a.category, "werun_share": a.werun_share, "open_platform": a.open_platform,
                        "device_steps": a.device_steps})
                })
                .collect();
            print(json, &apps, |apps| {
                apps.iter()
                    .map(|a| format!("{}  {}  {}", a["appid"], a["original_id"], a["name"]))
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        Command::User(UserCommand::Create { nickname, json, db }) => {
            let store = db.open().await?;
            let user = accounts::create_user(&store, &nickname, now()).await?;
            print(json, &user, |u| {
                format!("user_id: {}\ntoken:   {}  (shown once)", u.user_id, u.token)
            })?;
        }
        Command::User(UserCommand::List { after, limit, json, db }) => {
            let store = db.open().await?;
            let q = UserListQuery {
                after: Some(after),
                limit: Some(limit),
            };
            let page = accounts::list_users(&store, &q).await?;
            print(json, &page, describe_users)?;
        }
        Command::Friend(FriendCommand::Add { a, b, json, db }) => {
            let store = db.open().await?;
            let created = accounts::befriend(&store, UserId(a), UserId(b), now()).await?;
            let out = serde_json::json!({"a": a, "b": b, "created": created});
            print(json, &out, |_| {
                if created {
                    format!("{a} and {b} are now friends")
                } else {
                    format!("{a} and {b} were friends already")
                }
            })?;
        }
        Command::Group(GroupCommand::Create {
            name,
            members,
            json,
            db,
        }) => {
            let store = db.open().await?;
            let group = share::create_group(
                &store,
                &name,
                &members.iter().copied().map(UserId).collect::<Vec<_>>(),
                now(),
            )
            .await?;
            print(json, &group, |g| {
                format!(
                    "conversation_id: {}\nmembers:         {:?}",
                    g.conversation_id, g.members
                )
            })?;
        }
        Command::Conversation(ConversationCommand::Create { a, b, json, db }) => {
            let store = db.open().await?;
            let chat = share::create_direct(&store, &[UserId(a), UserId(b)], now()).await?;
            print(json, &chat, |c| {
                if c.created {
                    format!("conversation_id: {}  (new direct chat)", c.conversation_id)
                } else {
                    format!("conversation_id: {}  (existing direct chat)", c.conversation_id)
                }
            })?;
        }
        Command::Demo {
            users,
            friends,
            degrees,
            tokens,
            seed,
            append,
            json,
            db,
        } => {
            if !(1..=10_000_000).contains(&users) || !(0..=1_000).contains(&friends) {
                anyhow::bail!("--users must be 1..=10000000 and --friends 0..=1000");
            }
            let store = crate::db::connect(&db.url(Open::Create)?).await?;
            let existing = store.user_count().await?;
            if existing > 0 && !append {
                anyhow::bail!(
                    "the database has {existing} users already (a demo was seeded before?): nothing added. List them \
                     with `yundong user list`; pass --append to add another community beside them"
                );
            }
            let bar = if json {
                indicatif::ProgressBar::hidden()
            } else {
                crate::demo::progress_bar(users)
            };
            if !(0..=100_000).contains(&tokens) {
                anyhow::bail!("--tokens must be 0..=100000");
            }
            let summary = crate::demo::seed_with(&store, users, (friends, degrees), tokens, seed, &mut |n| {
                bar.set_position(n)
            })
            .await?;
            bar.finish_and_clear();
            print(json, &summary, crate::demo::describe)?;
        }
        Command::AdminToken(AdminTokenCommand::Reset { db }) => {
            let store = db.open().await?;
            let token = yundong_core::secrets::admin_token();
            store
                .put_setting("admin_token_hash", &yundong_core::secrets::hash(&token))
                .await?;
            println!("{token}");
        }
        Command::Scenario(cmd) => {
            crate::control::scenario(cmd, |json, applied| {
                print(json, applied, crate::control::describe_applied)
            })
            .await?;
        }
        Command::Reset(args) => {
            let (json, value, text) = crate::control::reset(args).await?;
            print(json, &value, |_| text)?;
        }
        Command::Clock(cmd) => {
            let (json, value, text) = crate::control::clock(cmd).await?;
            print(json, &value, |_| text)?;
        }
        Command::Backup(args) => {
            let done = crate::backup::backup(args).await?;
            print(true, &done, |_| String::new())?;
        }
        Command::Restore(args) => {
            let done = crate::backup::restore(args).await?;
            print(true, &done, |_| String::new())?;
        }
        Command::Decrypt(args) => {
            let checks = Checks {
                appid: args.appid,
                max_age: args.max_age,
                now: now(),
            };
            match opendata::open_value(&args.session_key, &args.iv, &args.encrypted_data, &checks) {
                Ok(value) => print(true, &value, |_| String::new())?,
                Err(e) => {
                    let wrong_iv = crate::decrypt::wrong_iv(&args.session_key, &args.iv, &args.encrypted_data);
                    match wrong_iv {
                        Some(why) => eprintln!("cannot decrypt: {why}"),
                        None => eprintln!("cannot decrypt: {e}"),
                    }
                    return Ok(ExitCode::from(1));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Every `YUNDONG_*` variable an option of some command reads (for `serve`'s warning about unknown ones).
fn known_variables() -> Vec<String> {
    use clap::CommandFactory as _;
    fn collect(cmd: &clap::Command, known: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            if let Some(env) = arg.get_env() {
                known.push(env.to_string_lossy().into_owned());
            }
        }
        for sub in cmd.get_subcommands() {
            collect(sub, known);
        }
    }
    let mut known = Vec::new();
    collect(&Cli::command(), &mut known);
    known
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve;

    #[test]
    fn serve_defaults_are_the_configuration_defaults() {
        let Ok(Command::Serve(args)) = Cli::try_parse_from(["yundong", "serve"]).map(|c| c.command) else {
            panic!("`yundong serve` parses");
        };
        let from_flags = serve::config_from(&args).expect("the defaults are valid");
        assert_eq!(
            format!("{from_flags:?}"),
            format!("{:?}", yundong_server::Config::default())
        );
    }

    #[test]
    fn unknown_yundong_variables_are_reported_and_known_ones_are_not() {
        let vars = [
            "YUNDONG_LISTEN",
            "YUNDONG_SESION_TTL",
            "YUNDONG_LOG",
            "HOME",
            "YUNDONG_DATABASE_URL",
        ];
        let unknown = serve::unknown_variables(vars.iter().map(|v| (*v).to_owned()), &known_variables());
        assert_eq!(unknown, ["YUNDONG_SESION_TTL"]);
    }
}
