//! Which database a command opens, and the one-line errors when it cannot.
//!
//! Every SQLite URL form people write works for a new file: `sqlite:PATH`, `sqlite://PATH`, `sqlite:///abs/path`,
//! with or without a query. `serve` and `demo` create the file (and its directory); the admin commands never do:
//! a command run from the wrong directory says there is no database there instead of making an empty one.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use clap::Args;
use yundong_store::{Store, StoreError};

/// Whether a command may create the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// `serve` and `demo`: make the SQLite file and its directory when missing.
    Create,
    /// Admin commands: the database must exist already.
    Existing,
}

/// The file an `sqlite:` URL names and its query parameters; `None` for another scheme or an in-memory database.
pub fn sqlite_file(url: &str) -> Option<(PathBuf, Vec<String>)> {
    let rest = url.strip_prefix("sqlite:")?;
    // `sqlite://x` is the relative path x, `sqlite:///abs` the absolute /abs (the same as sqlx reads them).
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let params: Vec<String> = query.split('&').filter(|p| !p.is_empty()).map(str::to_owned).collect();
    if path.is_empty() || path == ":memory:" || params.iter().any(|p| p == "mode=memory") {
        return None;
    }
    Some((PathBuf::from(path), params))
}

/// The URL to connect with: `database` if given, else the SQLite file in `data_dir`. With [`Open::Create`] the
/// file's directory is made and `mode=rwc` added unless the URL sets a mode; with [`Open::Existing`] a missing file
/// is an error that says what to do.
pub fn resolve(database: Option<&str>, data_dir: &Path, open: Open) -> Result<String> {
    let url = match database {
        Some(url) => url.to_owned(),
        None => format!("sqlite:{}", data_dir.join("yundong.sqlite").display()),
    };
    let Some((file, mut params)) = sqlite_file(&url) else {
        return Ok(url);
    };
    match open {
        Open::Create => {
            // A new directory is 0700 and a new database file 0600 (SQLite gives its -wal and -shm files the
            // database's mode): step histories are nobody else's business on a shared machine.
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                crate::files::private_dir(dir)
                    .map_err(|e| anyhow!("cannot create the database's directory {}: {e:#}", dir.display()))?;
            }
            if !params.iter().any(|p| p.starts_with("mode=")) {
                crate::files::private_file(&file)?;
                params.push("mode=rwc".into());
            }
        }
        Open::Existing => {
            if !file.exists() {
                bail!(
                    "no database at {}: run `yundong serve` once to create it, or point --database \
                     (YUNDONG_DATABASE_URL) or --data-dir (YUNDONG_DATA_DIR) at the server's",
                    file.display()
                );
            }
        }
    }
    let path = file.display();
    Ok(if params.is_empty() {
        format!("sqlite:{path}")
    } else {
        format!("sqlite:{path}?{}", params.join("&"))
    })
}

/// Connect, turning a failure into one line: what failed, the innermost cause (sqlx repeats it at every level), and
/// what to check.
pub async fn connect(url: &str) -> Result<Store> {
    Store::connect(url).await.map_err(|e| open_error(url, &e))
}

fn open_error(url: &str, e: &StoreError) -> anyhow::Error {
    let mut cause: &dyn std::error::Error = e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    // sqlx retries a refused or unanswered connection until its pool gives up, and then says only that.
    let timed_out = "no connection could be made before the pool's timeout (refused or unreachable)";
    let cause: &dyn std::fmt::Display = if matches!(e, StoreError::Db(sqlx::Error::PoolTimedOut)) {
        &timed_out
    } else {
        &cause
    };
    let hint = match e {
        StoreError::UnsupportedUrl => "use sqlite:PATH or postgres://user@host/db",
        _ if url.starts_with("sqlite:") => "check that the path is a file you can write, in a directory you can write",
        _ => "check that PostgreSQL is running at that address and that the user, password and database exist",
    };
    anyhow!("cannot open database {}: {cause}; {hint}", redact_url(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sqlite_form_names_its_file() {
        for (url, file) in [
            ("sqlite:data/y.sqlite", "data/y.sqlite"),
            ("sqlite://data/y.sqlite", "data/y.sqlite"),
            ("sqlite:///tmp/y.sqlite", "/tmp/y.sqlite"),
            ("sqlite:/tmp/y.sqlite?mode=rwc", "/tmp/y.sqlite"),
        ] {
            assert_eq!(sqlite_file(url).map(|(f, _)| f), Some(PathBuf::from(file)), "{url}");
        }
        for url in [
            "sqlite::memory:",
            "sqlite:",
            "sqlite:x?mode=memory",
            "postgres://u@h/db",
        ] {
            assert_eq!(sqlite_file(url), None, "{url}");
        }
    }

    #[test]
    fn create_adds_rwc_unless_a_mode_is_given() {
        let dir = std::env::temp_dir();
        let url = resolve(Some("sqlite:///tmp/yundong-db-test/a.sqlite"), &dir, Open::Create).unwrap();
        assert_eq!(url, "sqlite:/tmp/yundong-db-test/a.sqlite?mode=rwc");
        let url = resolve(Some("sqlite:/tmp/yundong-db-test/a.sqlite?mode=ro"), &dir, Open::Create).unwrap();
        assert_eq!(url, "sqlite:/tmp/yundong-db-test/a.sqlite?mode=ro");
        let url = resolve(Some("postgres://u@h/db"), &dir, Open::Existing).unwrap();
        assert_eq!(url, "postgres://u@h/db");
    }

    #[test]
    fn existing_refuses_a_missing_file() {
        let err = resolve(None, Path::new("/nonexistent-yundong-dir"), Open::Existing).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("no database at /nonexistent-yundong-dir/yundong.sqlite: run `yundong serve`"),
            "{err}"
        );
        assert!(!Path::new("/nonexistent-yundong-dir").exists());
    }
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
    /// The URL to connect with (see [`resolve`]): `Open::Create` for `serve` and `demo`.
    pub fn url(&self, open: Open) -> Result<String> {
        resolve(self.database.as_deref(), &self.data_dir, open)
    }

    /// Open a database that exists (admin commands never create one).
    pub async fn open(&self) -> Result<Store> {
        connect(&self.url(Open::Existing)?).await
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

#[cfg(test)]
mod redact_tests {
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
