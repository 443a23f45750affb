//! Bulk loading for seeding (`yundong demo`): multi-row INSERTs in large transactions, explicit ids.

use sqlx::Row;

use crate::{AppId, Backend, Result, Store, UserId};

/// A value of a bulk row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Int(i64),
    Text(String),
    Null,
}

impl From<UserId> for Val {
    fn from(id: UserId) -> Val {
        Val::Int(id.0)
    }
}

impl From<AppId> for Val {
    fn from(id: AppId) -> Val {
        Val::Int(id.0)
    }
}

/// The tables a seed may fill, with their columns. Names are fixed here, never taken from input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkTable {
    Users,
    Friendships,
    DailySteps,
    CheckIns,
    Likes,
}

/// A column and whether it holds integers (else text).
type Col = (&'static str, bool);

impl BulkTable {
    fn sql(self) -> (&'static str, &'static [Col]) {
        match self {
            BulkTable::Users => (
                "users",
                &[
                    ("id", true),
                    ("nickname", false),
                    ("token_hash", false),
                    ("werun", true),
                    ("join_ranking", true),
                    ("created_at", true),
                ],
            ),
            BulkTable::Friendships => (
                "friendships",
                &[
                    ("user_id", true),
                    ("friend_id", true),
                    ("hidden", true),
                    ("created_at", true),
                ],
            ),
            BulkTable::DailySteps => (
                "daily_steps",
                &[("user_id", true), ("day", true), ("source", true), ("steps", true)],
            ),
            BulkTable::CheckIns => (
                "check_ins",
                &[
                    ("user_id", true),
                    ("app_id", true),
                    ("env", false),
                    ("shown", true),
                    ("day", true),
                    ("created_at", true),
                    ("records", false),
                    ("first_type_id", true),
                    ("first_unit", false),
                    ("first_value", true),
                ],
            ),
            BulkTable::Likes => (
                "likes",
                &[
                    ("target_id", true),
                    ("day", true),
                    ("liker_id", true),
                    ("created_at", true),
                ],
            ),
        }
    }
}

/// Rows per statement. The rows travel as one JSON parameter, unpacked by the database (`json_each` on SQLite,
/// `json_array_elements` on PostgreSQL): binding millions of parameters one by one is far slower.
const ROWS_PER_STATEMENT: usize = 20_000;

fn json_value(v: &Val) -> serde_json::Value {
    match v {
        Val::Int(i) => serde_json::Value::from(*i),
        Val::Text(t) => serde_json::Value::from(t.as_str()),
        Val::Null => serde_json::Value::Null,
    }
}

impl Store {
    /// The highest user id so far (0 for none): seeds allocate ids after it.
    pub async fn max_user_id(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COALESCE(MAX(id), 0) AS m FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("m")?)
    }

    /// Insert `rows` into `table` in one transaction; rows that collide with existing keys are skipped.
    pub async fn bulk_insert(&self, table: BulkTable, rows: &[Vec<Val>]) -> Result<()> {
        self.bulk_insert_reporting(table, rows, &mut |_| {}).await
    }

    /// [`Store::bulk_insert`], calling `written` with the rows written so far after each statement of the
    /// transaction (a progress bar moves while a large table is written, at no extra cost).
    pub async fn bulk_insert_reporting(
        &self,
        table: BulkTable,
        rows: &[Vec<Val>],
        written: &mut (dyn FnMut(usize) + Send),
    ) -> Result<()> {
        let (name, columns) = table.sql();
        let names = columns.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ");
        let sql = match self.backend {
            Backend::Sqlite => {
                let picks = (0..columns.len())
                    .map(|i| format!("value ->> {i}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                // `WHERE true` keeps SQLite from reading ON CONFLICT as part of the SELECT.
                format!(
                    "INSERT INTO {name} ({names}) SELECT {picks} FROM json_each($1) WHERE true ON CONFLICT DO NOTHING"
                )
            }
            Backend::Postgres => {
                let picks = columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, int))| {
                        if *int {
                            format!("(e ->> {i})::bigint")
                        } else {
                            format!("(e ->> {i})")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "INSERT INTO {name} ({names}) SELECT {picks} FROM json_array_elements($1::json) AS e ON CONFLICT DO NOTHING"
                )
            }
        };
        let mut tx = self.writer.begin().await?;
        // The change feed's row triggers would append an event per row (tens of millions for a large seed): they are
        // off for this transaction, which appends one "everyone" event instead. Both engines keep other writers out
        // of the table until the commit (SQLite has one writer; ALTER TABLE locks the table), so no other write can
        // slip through unrecorded.
        let triggers = match self.backend {
            Backend::Sqlite => {
                let saved: Vec<(String, String)> =
                    sqlx::query("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = $1")
                        .bind(name)
                        .fetch_all(&mut *tx)
                        .await?
                        .iter()
                        .map(|r| Ok((r.try_get("name")?, r.try_get("sql")?)))
                        .collect::<Result<_>>()?;
                for (trigger, _) in &saved {
                    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER \"{trigger}\"")))
                        .execute(&mut *tx)
                        .await?;
                }
                saved
            }
            Backend::Postgres => {
                sqlx::query(sqlx::AssertSqlSafe(format!("ALTER TABLE {name} DISABLE TRIGGER USER")))
                    .execute(&mut *tx)
                    .await?;
                Vec::new()
            }
        };
        let mut done = 0;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let data: Vec<serde_json::Value> = chunk
                .iter()
                .map(|row| serde_json::Value::Array(row.iter().map(json_value).collect()))
                .collect();
            let json = serde_json::Value::Array(data).to_string();
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(json)
                .execute(&mut *tx)
                .await?;
            done += chunk.len();
            written(done);
        }
        for (_, create) in &triggers {
            sqlx::query(sqlx::AssertSqlSafe(create.clone()))
                .execute(&mut *tx)
                .await?;
        }
        if self.backend == Backend::Postgres {
            sqlx::query(sqlx::AssertSqlSafe(format!("ALTER TABLE {name} ENABLE TRIGGER USER")))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT INTO cache_events (user_id) VALUES ($1)")
            .bind(crate::changes::EVERYONE)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// After a bulk load: PostgreSQL's planner statistics now, not whenever autovacuum gets to it. Without them it
    /// planned a viewer's friend list over 12 million bulk-loaded friendships as a sequential scan (0.5 s instead of
    /// 2 ms). SQLite plans by its indexes and needs nothing.
    pub async fn refresh_statistics(&self) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("ANALYZE").execute(&self.writer).await?;
        }
        Ok(())
    }

    /// After inserting explicit ids: move PostgreSQL's identity sequences past them (SQLite needs nothing).
    pub async fn reseat_ids(&self) -> Result<()> {
        if self.backend == Backend::Postgres {
            for table in ["users", "apps", "check_ins"] {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&self.writer).await?;
            }
        }
        Ok(())
    }
}
