//! Storage for yundong: one [`Store`] over an SQLite file (default) or PostgreSQL, chosen from the URL scheme.
//!
//! Every query is a runtime `sqlx` query with `$N` placeholders, written once for both engines; only the DDL differs
//! (`migrations/sqlite`, `migrations/postgres`). Times are passed in from the caller (the server's clock), never taken
//! from the database, so the dev clock governs every expiry. Handlers never see SQL: they call these methods.

mod accounts;
mod auth;
mod bulk;
mod changes;
mod devices;
mod durable;
mod faults;
mod journal;
mod keys;
mod ops;
mod ranking_inputs;
mod scenario;
mod settings;
mod share;
mod social;
mod steps;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection, Executor};

pub use accounts::{AppRow, NewApp, UserRow};
pub use auth::{ExchangeError, ExchangeRequest, Exchanged, Gate, SESSION_TOUCH_STEP, SessionRow, TokenRow};
pub use bulk::{BulkTable, Val};
pub use changes::{Changes, EVERYONE, FeedReader, StepValue};
pub use devices::DeviceBindingRow;
pub use durable::Quota;
use durable::durably;

/// A PostgreSQL connection idle at least this long is pinged before use (see [`Store::connect_unmigrated`]).
const PING_AFTER_IDLE: Duration = Duration::from_secs(5);
pub use faults::{FAULTS_KEY, FaultRow, NewFault};
pub use journal::{JournalEntry, JournalFilter, JournalRow};
pub use keys::{AppId, UserId};
pub use ops::{PoolStats, SchemaStatus};
pub use ranking_inputs::{UserDayRow, ViewerDay};
pub use scenario::{Applied, CLOCK_KEY, Plan, PlanApp, PlanCheckIn, PlanUser, ResetCounts, World};
pub use share::{
    ConversationRow, KIND_DIRECT, KIND_GROUP, MemberRow, NewShareMessage, NewTempFile, ShareMessageRow, ShareTicketRow,
    TempFileMeta,
};
pub use social::{CheckInRow, FriendRow, NewCheckIn, RankingRow};
pub use steps::{DayTotal, StepSource, StepWrite};

/// Which engine a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL (expected sqlite:… or postgres://…)")]
    UnsupportedUrl,
    #[error("{0}")]
    Invalid(&'static str),
    /// A write would go over a quota (see [`Quota`]); nothing was written.
    #[error("quota exceeded: at most {limit} {what}")]
    QuotaExceeded { what: &'static str, limit: i64 },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A handle on the database, cheap to clone.
///
/// Reads go to `pool`; writes (and transactions that write) go to `writer`. On PostgreSQL they are the same pool.
/// On SQLite, which admits one writer at a time, `writer` is a single connection: writers then queue in-process, in
/// order, instead of contending for the file lock inside SQLite, whose busy handler sleeps between retries.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    writer: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connect to `url` (`sqlite:path?mode=rwc` or `postgres://…`) and run the migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        let store = Store::connect_unmigrated(url).await?;
        migrator(store.backend).run(&store.writer).await?;
        Ok(store)
    }

    /// Connect to `url` without touching its schema (restore checks the database is empty first).
    pub async fn connect_unmigrated(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let options = AnyConnectOptions::from_str(url)?;
        let (pool, writer) = match backend {
            Backend::Sqlite => {
                let open = |max| {
                    AnyPoolOptions::new()
                        .max_connections(max)
                        .acquire_timeout(Duration::from_secs(30))
                        // An SQLite connection is a library handle on a local file: it cannot go stale the way a
                        // network connection can, so the ping sqlx would run before every acquire is pure cost.
                        .test_before_acquire(false)
                        .after_connect(|conn, _meta| {
                            Box::pin(async move {
                                // WAL lets readers run beside the writer; NORMAL is durable against a process crash
                                // (group-committed step batches switch to FULL); busy_timeout covers other processes
                                // (the CLI) writing to the same file.
                                conn.execute(
                                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; \
                                     PRAGMA foreign_keys=ON;",
                                )
                                .await?;
                                Ok(())
                            })
                        })
                        .connect_with(options.clone())
                };
                let writer = open(1).await?;
                (open(8).await?, writer)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    // sqlx pings a connection before every acquire by default: one more round trip per statement
                    // (a ranking's ten-row refresh took 0.7 ms instead of 0.3). Only a connection idle long enough
                    // to have been cut (a restart, a proxy's idle timeout) is pinged; one that broke while busy
                    // fails its statement, and the pool replaces it.
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for >= PING_AFTER_IDLE {
                                conn.ping().await?;
                            }
                            Ok(true)
                        })
                    })
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // Every statement here is short; JIT compilation (triggered by estimated cost, e.g. a
                            // first ranking load of 10,000 friends) spent 180 ms compiling a statement that ran 80.
                            conn.execute("SET jit = off").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?;
                (pool.clone(), pool)
            }
        };
        Ok(Store { pool, writer, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Close the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

/// The migrations this binary carries for `backend`.
pub fn migrator(backend: Backend) -> sqlx::migrate::Migrator {
    match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
    }
}

/// Booleans are stored as 0/1 on both engines.
fn flag(v: bool) -> i64 {
    i64::from(v)
}
