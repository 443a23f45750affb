//! Operating the database: pool figures for metrics, the schema's state for readiness, tables for backup and restore.

use std::path::Path;

use sqlx::Row;

use crate::{Backend, Result, Store, StoreError, migrator};

/// One connection pool's state now.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    /// `read` and `write` on SQLite (one writer connection); `shared` on PostgreSQL.
    pub name: &'static str,
    pub size: u32,
    pub idle: usize,
    pub max: u32,
}

/// The schema's migrations against the ones this binary carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The newest migration this binary carries.
    pub binary: i64,
    /// The newest migration applied to the database (0: none).
    pub database: i64,
    /// Migrations this binary carries that the database lacks (or that failed part-way).
    pub pending: Vec<i64>,
    /// Applied migrations whose text differs from this binary's (an edited migration: never allowed).
    pub modified: Vec<i64>,
}

impl SchemaStatus {
    /// Every migration this binary carries is applied, as written. Migrations newer than the binary (applied by a
    /// newer release during a rolling upgrade) do not make it not current: releases only add to the schema.
    pub fn current(&self) -> bool {
        self.pending.is_empty() && self.modified.is_empty()
    }
}

impl Store {
    pub fn pool_stats(&self) -> Vec<PoolStats> {
        let stats = |name, pool: &sqlx::AnyPool| PoolStats {
            name,
            size: pool.size(),
            idle: pool.num_idle(),
            max: pool.options().get_max_connections(),
        };
        match self.backend {
            Backend::Sqlite => vec![stats("read", &self.pool), stats("write", &self.writer)],
            Backend::Postgres => vec![stats("shared", &self.pool)],
        }
    }

    /// Whether the database answers at all (one round trip on a pooled connection).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").fetch_one(&self.pool).await?;
        Ok(())
    }

    /// The applied migrations against this binary's. A database without the migrations table has none applied.
    pub async fn schema_status(&self) -> Result<SchemaStatus> {
        let rows = match sqlx::query(
            "SELECT version, CASE WHEN success THEN 1 ELSE 0 END AS ok, checksum FROM _sqlx_migrations",
        )
        .fetch_all(&self.pool)
        .await
        {
            Ok(rows) => rows,
            Err(sqlx::Error::Database(_)) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let mut applied = std::collections::HashMap::new();
        for r in rows {
            let version: i64 = r.try_get("version")?;
            let success = r.try_get::<i32, _>("ok")? != 0;
            let checksum: Vec<u8> = r.try_get("checksum")?;
            if success {
                applied.insert(version, checksum);
            }
        }
        let known = migrator(self.backend);
        let mut status = SchemaStatus {
            binary: known.iter().map(|m| m.version).max().unwrap_or(0),
            database: applied.keys().copied().max().unwrap_or(0),
            pending: Vec::new(),
            modified: Vec::new(),
        };
        for m in known.iter().filter(|m| m.migration_type.is_up_migration()) {
            match applied.get(&m.version) {
                None => status.pending.push(m.version),
                Some(sum) if sum[..] != m.checksum[..] => status.modified.push(m.version),
                Some(_) => {}
            }
        }
        Ok(status)
    }

    /// The schema's tables (without sqlx's bookkeeping), sorted by name.
    pub async fn tables(&self) -> Result<Vec<String>> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            }
            Backend::Postgres => {
                "SELECT table_name::text AS name FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
            }
        };
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("name")?))
            .filter(|n| !matches!(n, Ok(n) if n == "_sqlx_migrations"))
            .collect()
    }

    /// SQLite: a consistent copy of the whole database written to `to` (which must not exist or be empty), taken in
    /// one read transaction while writers carry on (`VACUUM INTO`).
    pub async fn vacuum_into(&self, to: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Invalid("VACUUM INTO is SQLite's"));
        }
        let path = to.to_str().ok_or(StoreError::Invalid("the backup path is not UTF-8"))?;
        sqlx::query("VACUUM INTO $1").bind(path).execute(&self.pool).await?;
        Ok(())
    }
}

impl Store {
    /// PostgreSQL: the server's version as `server_version_num` (e.g. 150020 for 15.20).
    pub async fn postgres_version_num(&self) -> Result<i64> {
        self.postgres_setting("server_version_num")
            .await?
            .parse()
            .map_err(|_| StoreError::Invalid("server_version_num is not a number"))
    }

    /// PostgreSQL: a run-time setting as the store's pooled connections have it (`jit`, set at connect;
    /// `server_version_num`).
    pub async fn postgres_setting(&self, name: &str) -> Result<String> {
        let row = sqlx::query("SELECT current_setting($1) AS v")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("v")?)
    }

    /// SQLite: `PRAGMA integrity_check`'s verdict (`ok` when sound).
    pub async fn sqlite_integrity(&self) -> Result<String> {
        let row = sqlx::query("PRAGMA integrity_check").fetch_one(&self.pool).await?;
        Ok(row.try_get(0)?)
    }
}
