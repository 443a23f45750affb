//! Settings and the janitor that drops what has expired.

use sqlx::Row;

use crate::durably;
use crate::{Result, Store};

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(r.try_get("value")?)).transpose()
    }

    /// Store `value` under `key` unless a value is there already; returns the value in force.
    pub async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&self.writer)
            .await?;
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("value")?)
    }

    pub async fn put_setting(&self, key: &str, value: &str) -> Result<()> {
        durably!(self, |conn| {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(&mut *conn)
            .await?;
            Ok(())
        })
    }

    /// Delete rows that can no longer matter at `now`: login codes and rate counters past their life
    /// (with a margin, so "expired" answers stay distinguishable for a while), tokens long past their validity.
    pub async fn purge_expired(&self, now: i64) -> Result<u64> {
        let margin = 86_400;
        let mut n = 0;
        for sql in [
            "DELETE FROM login_codes WHERE expires_at < $1",
            "DELETE FROM rate_counters WHERE window_start < $1",
            "DELETE FROM access_tokens WHERE valid_until < $1 AND family = 'normal'",
        ] {
            n += sqlx::query(sql)
                .bind(now - margin)
                .execute(&self.writer)
                .await?
                .rows_affected();
        }
        Ok(n)
    }
}
