//! Wristbands a user bound to a device app: what lets that app write the user's steps with
//! `/hardware/bracelet/setstep`.

use sqlx::Row;

use crate::durably;
use crate::{AppId, Result, Store, UserId};

/// One binding: the app's internal id and when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceBindingRow {
    pub app_id: AppId,
    pub bound_at: i64,
}

impl Store {
    /// Bind the user's wristband to the app; false when it was bound already (the first binding's time stays).
    pub async fn bind_device(&self, user_id: UserId, app_id: AppId, now: i64) -> Result<bool> {
        durably!(self, |conn| {
            let res = sqlx::query(
                "INSERT INTO device_bindings (user_id, app_id, bound_at) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id, app_id) DO NOTHING",
            )
            .bind(user_id)
            .bind(app_id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            Ok(res.rows_affected() > 0)
        })
    }

    /// Undo a binding; false when there was none.
    pub async fn unbind_device(&self, user_id: UserId, app_id: AppId) -> Result<bool> {
        durably!(self, |conn| {
            let res = sqlx::query("DELETE FROM device_bindings WHERE user_id = $1 AND app_id = $2")
                .bind(user_id)
                .bind(app_id)
                .execute(&mut *conn)
                .await?;
            Ok(res.rows_affected() > 0)
        })
    }

    pub async fn device_bound(&self, user_id: UserId, app_id: AppId) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM device_bindings WHERE user_id = $1 AND app_id = $2")
            .bind(user_id)
            .bind(app_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// The user's bindings, oldest first.
    pub async fn device_bindings(&self, user_id: UserId) -> Result<Vec<DeviceBindingRow>> {
        let rows =
            sqlx::query("SELECT app_id, bound_at FROM device_bindings WHERE user_id = $1 ORDER BY bound_at, app_id")
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(DeviceBindingRow {
                    app_id: r.try_get("app_id")?,
                    bound_at: r.try_get("bound_at")?,
                })
            })
            .collect()
    }
}
