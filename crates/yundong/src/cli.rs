//! Command-line interface. Admin subcommands work on the database directly (the same one `serve` uses) and print
//! JSON with `--json`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use yundong_proto::admin::CreateAppRequest;
use yundong_proto::opendata::{self, Checks};
use yundong_server::service::{accounts, share};
use yundong_store::Store;

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
        /// Seed of the generator: the same seed gives the same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
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
}

/// Where the database is: shared by every subcommand that opens it.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database URL: `sqlite:PATH` or `postgres://…`. Default: an SQLite file in the data directory.
    #[arg(long, env = "YUNDONG_DATABASE_URL", global = true)]
    pub database: Option<String>,
    /// Directory for the default SQLite database.
    #[arg(long, env = "YUNDONG_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
}

impl DbArgs {
    pub fn url(&self) -> Result<String> {
        match &self.database {
            Some(url) => Ok(url.clone()),
            None => {
                std::fs::create_dir_all(&self.data_dir)
                    .with_context(|| format!("cannot create data directory {}", self.data_dir.display()))?;
                Ok(format!(
                    "sqlite:{}?mode=rwc",
                    self.data_dir.join("yundong.sqlite").display()
                ))
            }
        }
    }

    pub async fn open(&self) -> Result<Store> {
        let url = self.url()?;
        Store::connect(&url)
            .await
            .with_context(|| format!("cannot open database {}", redact_url(&url)))
    }
}

/// A database URL with any password replaced by `***`, for printing.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, _)) = userinfo.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_owned()
}

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register a mini program; prints its appid, secret (shown once) and original id.
    Create {
        #[arg(long)]
        name: String,
        /// Service category, e.g. 体育-在线健身 (needed for shareToWeRun).
        #[arg(long)]
        category: Option<String>,
        /// Enable wx.shareToWeRun for this app.
        #[arg(long)]
        werun_share: bool,
        /// Open-platform account; apps of one platform share a user's unionid.
        #[arg(long)]
        open_platform: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List mini programs.
    List {
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
        #[arg(long)]
        nickname: String,
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
        a: i64,
        b: i64,
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
        a: i64,
        b: i64,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminTokenCommand {
    /// Generate a new admin token, replacing the stored one (running servers pick it up at their next start).
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

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(args).await?,
        Command::App(AppCommand::Create {
            name,
            category,
            werun_share,
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
            };
            let app = accounts::create_app(&store, &req, now()).await?;
            print(json, &app, |a| {
                format!(
                    "appid:       {}\nsecret:      {}  (shown once)\noriginal_id: {}",
                    a.appid, a.secret, a.original_id
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
                        "category": a.category, "werun_share": a.werun_share, "open_platform": a.open_platform})
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
        Command::Friend(FriendCommand::Add { a, b, json, db }) => {
            let store = db.open().await?;
            let created = accounts::befriend(&store, a, b, now()).await?;
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
            let group = share::create_group(&store, &name, &members, now()).await?;
            print(json, &group, |g| {
                format!(
                    "conversation_id: {}\nmembers:         {:?}",
                    g.conversation_id, g.members
                )
            })?;
        }
        Command::Conversation(ConversationCommand::Create { a, b, json, db }) => {
            let store = db.open().await?;
            let chat = share::create_direct(&store, &[a, b], now()).await?;
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
            seed,
            json,
            db,
        } => {
            if !(1..=10_000_000).contains(&users) || !(0..=1_000).contains(&friends) {
                anyhow::bail!("--users must be 1..=10000000 and --friends 0..=1000");
            }
            let store = db.open().await?;
            let summary = crate::demo::seed(&store, users, friends, seed, !json).await?;
            print(json, &summary, crate::demo::describe)?;
        }
        Command::AdminToken(AdminTokenCommand::Reset { db }) => {
            let store = db.open().await?;
            let token = yundong_server::secrets::admin_token();
            store
                .put_setting("admin_token_hash", &yundong_server::secrets::hash(&token))
                .await?;
            println!("{token}");
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
                Ok(value) => println!("{}", serde_json::to_string_pretty(&value)?),
                Err(e) => {
                    eprintln!("cannot decrypt: {e}");
                    return Ok(ExitCode::from(1));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
