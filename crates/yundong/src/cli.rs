//! Command-line interface. Admin subcommands work on the database directly (the same one `serve` uses) and print
//! JSON with `--json`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use yundong_core::{accounts, share};
use yundong_proto::admin::{CreateAppRequest, UpdateAppRequest, UserList, UserListQuery};
use yundong_proto::opendata::{self, Checks};
use yundong_store::Store;

use crate::db::Open;
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
    /// The URL to connect with (see [`crate::db::resolve`]): `Open::Create` for `serve` and `demo`.
    pub fn url(&self, open: Open) -> Result<String> {
        crate::db::resolve(self.database.as_deref(), &self.data_dir, open)
    }

    /// Open a database that exists (admin commands never create one).
    pub async fn open(&self) -> Result<Store> {
        crate::db::connect(&self.url(Open::Existing)?).await
    }
}

/// A database URL fit to print: any password (in the user info or as a `password` query parameter) replaced by
/// `***`, parsed as a URL so that a password holding `@` or `:` is hidden whole. Text that does not parse is not
/// printed at all.
pub fn redact_url(text: &str) -> String {
    let Ok(mut url) = url::Url::parse(text) else {
        return "<unparsable database URL>".into();
    };
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    if url.query_pairs().any(|(k, _)| k.eq_ignore_ascii_case("password")) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k.eq_ignore_ascii_case("password") {
                    "***".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
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
        Command::Serve(args) => serve::run(args).await?,
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
            let reset = accounts::reset_user_token(&store, user_id).await?;
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
            let summary = crate::demo::seed(&store, users, friends, seed, &mut |n| bar.set_position(n)).await?;
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

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn database_urls_are_printed_without_their_passwords() {
        for (url, secret) in [
            ("postgres://yd:s3cret@db.internal:5432/yundong", "s3cret"),
            ("postgres://yd:p%40ss%3Aword@db/yundong", "p%40ss"),
            ("postgres://yd:p@ss@db/yundong", "p@ss"),
            ("postgres://yd@db/yundong?password=hunter2&sslmode=require", "hunter2"),
            ("postgresql://yd@db/yundong?sslmode=require&PASSWORD=hunter2", "hunter2"),
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains(secret), "{url} -> {shown}");
            assert!(shown.contains("***"), "{url} -> {shown}");
        }
        assert!(redact_url("postgres://yd@db/yundong?sslmode=require").contains("sslmode=require"));
        assert_eq!(
            redact_url("sqlite:data/yundong.sqlite?mode=rwc"),
            "sqlite:data/yundong.sqlite?mode=rwc"
        );
        assert_eq!(redact_url("not a url :: x"), "<unparsable database URL>");
    }
}
