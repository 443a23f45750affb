//! `yundong backup --to FILE` and `yundong restore FILE` (docs/OPERATIONS.md, "Backup and restore").
//!
//! SQLite: `VACUUM INTO` a new file: one read transaction, so the copy is consistent while the server writes, and it
//! is itself a ready SQLite database. PostgreSQL: `pg_dump --format=custom` (a snapshot in one repeatable-read
//! transaction), after checking that pg_dump is at least the server's major version; restore is `pg_restore` into
//! an empty database. Either way the copy holds what the database holds: secrets as their hashes. Copies are created
//! with mode 0600 (they hold session_keys), and never overwrite an existing file.
//! Restore then runs this binary's migrations, so a backup made by an earlier release comes back upgraded.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use clap::Args;
use yundong_store::{Backend, Store};

use crate::db::{DbArgs, redact_url};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write (must not exist; created with mode 0600).
    #[arg(long)]
    pub to: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file written by `yundong backup` from the same engine.
    pub file: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
}

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
const PGDUMP_MAGIC: &[u8] = b"PGDMP";

/// A new file only the owner can read, refusing to replace an existing one.
fn create_private(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))
}

/// `postgres://user:password@host/db` → (`postgres://user@host/db`, password): the password goes to pg_dump and
/// pg_restore through `PGPASSWORD`, not the command line other users can see.
fn split_password(url: &str) -> (String, Option<String>) {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, password)) = userinfo.split_once(':')
    {
        return (format!("{scheme}://{user}@{host}"), Some(percent_decode(password)));
    }
    (url.to_owned(), None)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The major version a PostgreSQL client tool reports (`pg_dump (PostgreSQL) 15.20 …` → 15).
fn tool_major(tool: &str) -> Result<i64> {
    let out = Command::new(tool).arg("--version").output().with_context(|| {
        format!("{tool} is needed for PostgreSQL backups (Debian: apt-get install postgresql-client)")
    })?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .find_map(|w| w.split('.').next().and_then(|m| m.parse::<i64>().ok()))
        .with_context(|| format!("cannot read {tool}'s version from {text:?}"))
}

fn pg_command(tool: &str, url: &str) -> Command {
    let (url, password) = split_password(url);
    let mut cmd = Command::new(tool);
    cmd.arg(format!("--dbname={url}"));
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    cmd
}

pub async fn backup(args: BackupArgs) -> Result<serde_json::Value> {
    let url = args.db.url(crate::db::Open::Existing)?;
    let store = Store::connect_unmigrated(&url)
        .await
        .with_context(|| format!("cannot open database {}", redact_url(&url)))?;
    if store.tables().await?.is_empty() {
        bail!("the database {} has no tables: nothing to back up", redact_url(&url));
    }
    let schema = store.schema_status().await?;
    let file = create_private(&args.to)?;
    let written = match store.backend() {
        Backend::Sqlite => {
            drop(file);
            store.vacuum_into(&args.to).await.map_err(anyhow::Error::from)
        }
        Backend::Postgres => pg_dump(&store, &url, file).await,
    };
    store.close().await;
    if let Err(e) = written {
        let _ = std::fs::remove_file(&args.to);
        return Err(e.context("backup failed; nothing was kept"));
    }
    File::open(&args.to)?.sync_all()?;
    let bytes = std::fs::metadata(&args.to)?.len();
    Ok(serde_json::json!({
        "file": args.to.display().to_string(),
        "bytes": bytes,
        "engine": engine(store.backend()),
        "schema": schema.database,
    }))
}

fn engine(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

async fn pg_dump(store: &Store, url: &str, file: File) -> Result<()> {
    let server = store.postgres_version_num().await? / 10_000;
    let tool = tool_major("pg_dump")?;
    if tool < server {
        bail!("pg_dump {tool} cannot dump a PostgreSQL {server} server: install pg_dump {server} or newer");
    }
    let out = pg_command("pg_dump", url)
        .args(["--format=custom", "--no-owner", "--no-privileges"])
        .stdout(Stdio::from(file))
        .stderr(Stdio::piped())
        .output()
        .context("cannot run pg_dump")?;
    if !out.status.success() {
        bail!("pg_dump failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

pub async fn restore(args: RestoreArgs) -> Result<serde_json::Value> {
    let mut magic = [0u8; 16];
    let n = std::io::Read::read(
        &mut File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?,
        &mut magic,
    )?;
    let kind = if magic[..n].starts_with(SQLITE_MAGIC) {
        Backend::Sqlite
    } else if magic[..n].starts_with(PGDUMP_MAGIC) {
        Backend::Postgres
    } else {
        bail!(
            "{} is not a yundong backup (neither an SQLite database nor a pg_dump archive)",
            args.file.display()
        );
    };
    let url = args.db.url(crate::db::Open::Create)?;
    let target = Store::connect_unmigrated(&url)
        .await
        .with_context(|| format!("cannot open database {}", redact_url(&url)))?;
    if target.backend() != kind {
        bail!(
            "{} is a {} backup; it restores into a {} database only",
            args.file.display(),
            engine(kind),
            engine(kind)
        );
    }
    let tables = target.tables().await?;
    if !tables.is_empty() {
        bail!(
            "the database {} is not empty ({} tables): restore needs an empty one (a new database or SQLite file)",
            redact_url(&url),
            tables.len()
        );
    }
    match kind {
        Backend::Sqlite => {
            target.close().await;
            restore_sqlite(&args.file, &url)?;
        }
        Backend::Postgres => {
            target.close().await;
            let tool = tool_major("pg_restore")?;
            let out = pg_command("pg_restore", &url)
                .args([
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                ])
                .arg(&args.file)
                .stderr(Stdio::piped())
                .output()
                .context("cannot run pg_restore")?;
            if !out.status.success() {
                bail!(
                    "pg_restore {tool} failed (nothing was restored): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
        }
    }
    // This binary's migrations: a backup from an earlier release comes back upgraded.
    let store = Store::connect(&url)
        .await
        .context("the restored database could not be opened or upgraded")?;
    if kind == Backend::Sqlite {
        let verdict = store.sqlite_integrity().await?;
        if verdict != "ok" {
            bail!("the restored database fails SQLite's integrity check: {verdict}");
        }
    }
    let schema = store.schema_status().await?;
    let tables = store.tables().await?.len();
    store.close().await;
    Ok(serde_json::json!({
        "engine": engine(kind),
        "tables": tables,
        "schema": schema.database,
    }))
}

/// The SQLite file named by `url`, replaced by a copy of `backup`. The target holds no tables (checked), so only
/// the empty file an open may have created (and its WAL) is replaced.
fn restore_sqlite(backup: &Path, url: &str) -> Result<()> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|p| p.split('?').next().unwrap_or(p))
        .filter(|p| !p.is_empty() && *p != ":memory:")
        .context("restore needs an SQLite file path")?;
    let path = PathBuf::from(path);
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("cannot replace {}", p.display()))?;
        }
    }
    let mut out = create_private(&path)?;
    let data = std::fs::read(backup)?;
    out.write_all(&data)?;
    out.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_the_url() {
        assert_eq!(
            split_password("postgres://u:p%40ss@h:5432/db"),
            ("postgres://u@h:5432/db".to_owned(), Some("p@ss".to_owned()))
        );
        assert_eq!(
            split_password("postgres://u@h/db"),
            ("postgres://u@h/db".to_owned(), None)
        );
    }
}
