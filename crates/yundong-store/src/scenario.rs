//! Scenario files (issue 13): applying a resolved world in one transaction, reading the world back for export, and
//! emptying the deployment (reset). `yundong_core::scenario` parses and validates the file; this module only
//! writes and reads rows.
//!
//! Applying is idempotent: apps are found by appid, users by their scenario key (`users.scenario_key`, migration
//! 0009), everything else by its natural key (steps by user/day/source, grants by user/app/scope, likes by
//! target/day/liker, check-ins by their whole content, groups by name, direct chats by their two members). New rows
//! get explicit ids after the highest one, in file order, so an apply on an empty database gives the same ids every
//! time and on both engines. A credential that collides with other data refuses the whole apply, which then changes
//! nothing.

use std::collections::{HashMap, HashSet};

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::changes::EVERYONE;
use crate::share::{KIND_DIRECT, KIND_GROUP};
use crate::{AppId, Backend, Result, Store, UserId, durably, flag};

/// An app of a scenario. `secret_hash`/`original_id` are the file's (checked against an existing app);
/// `new_secret_hash`/`new_original_id` are used only when the app is created without them.
#[derive(Debug, Clone)]
pub struct PlanApp {
    pub appid: String,
    pub secret_hash: Option<String>,
    pub original_id: Option<String>,
    pub new_secret_hash: String,
    pub new_original_id: String,
    pub name: String,
    pub category: Option<String>,
    pub werun_share: bool,
    pub open_platform: Option<String>,
    pub device_steps: bool,
}

/// A user of a scenario, found again by `key`.
#[derive(Debug, Clone)]
pub struct PlanUser {
    pub key: String,
    pub token_hash: Option<String>,
    pub new_token_hash: String,
    pub nickname: String,
    pub werun: bool,
    pub join_ranking: bool,
}

/// A check-in of a scenario: user and app are indexes into the plan's users and apps; `records` is the stored JSON.
#[derive(Debug, Clone)]
pub struct PlanCheckIn {
    pub user: usize,
    pub app: usize,
    pub env: String,
    pub day: i64,
    pub at: i64,
    pub records: String,
    pub first_type_id: i64,
    pub first_unit: String,
    pub first_value: i64,
}

/// A resolved scenario: every reference is an index into `apps` or `users`, every day a day start.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub now: i64,
    pub apps: Vec<PlanApp>,
    pub users: Vec<PlanUser>,
    /// (a, b, a hides from b, b hides from a).
    pub friends: Vec<(usize, usize, bool, bool)>,
    /// (user, day, device app or None for the phone, steps).
    pub steps: Vec<(usize, i64, Option<usize>, i64)>,
    /// (user, app, scope, allow).
    pub grants: Vec<(usize, usize, String, bool)>,
    /// (user, app): wristband bindings.
    pub bindings: Vec<(usize, usize)>,
    pub check_ins: Vec<PlanCheckIn>,
    /// (liker, target, day).
    pub likes: Vec<(usize, usize, i64)>,
    /// (name, members).
    pub groups: Vec<(String, Vec<usize>)>,
    /// Direct chats of two friends.
    pub chats: Vec<(usize, usize)>,
}

/// What an apply did: the database ids of the plan's apps and users, and which of them it created.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    pub app_ids: Vec<AppId>,
    pub apps_created: Vec<bool>,
    pub user_ids: Vec<UserId>,
    pub users_created: Vec<bool>,
    pub check_ins_added: usize,
}

/// Everything a scenario export reads, in a stable order.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub apps: Vec<crate::AppRow>,
    /// (id, scenario key, nickname, werun, join_ranking), by id.
    pub users: Vec<(i64, Option<String>, String, bool, bool)>,
    /// (user, friend, hidden): both directions, by (user, friend).
    pub friendships: Vec<(i64, i64, bool)>,
    /// (user, day, source, steps), by (user, day, source).
    pub steps: Vec<(i64, i64, i64, i64)>,
    /// (user, app, scope, allow).
    pub grants: Vec<(i64, i64, String, bool)>,
    /// (user, app).
    pub bindings: Vec<(i64, i64)>,
    /// (user, app, env, created_at, records), by (user, created_at, id).
    pub check_ins: Vec<(i64, i64, String, i64, String)>,
    /// (liker, target, day).
    pub likes: Vec<(i64, i64, i64)>,
    /// (id, kind, name, members by id).
    pub conversations: Vec<(i64, String, Option<String>, Vec<i64>)>,
}

/// What a reset removed.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResetCounts {
    pub apps: u64,
    pub users: u64,
}

/// The change feed's key for the deployment clock (migration 0009).
pub const CLOCK_KEY: UserId = UserId(-9_223_372_036_854_775_807);

/// Tables a reset empties, children first. `apps` and `access_tokens` are emptied unless apps are kept; `settings`
/// (the deployment's keys), `cache_events` (the feed every node reads) and the clock's row are kept.
const RESET_TABLES: [&str; 21] = [
    "share_tickets",
    "open_gids",
    "share_messages",
    "temp_files",
    "conversation_members",
    "conversations",
    "likes",
    "check_ins",
    "daily_steps",
    "device_bindings",
    "grants",
    "sessions",
    "login_codes",
    "openids",
    "unionids",
    "friendships",
    "users",
    "rate_counters",
    "quota_clears",
    "request_journal",
    "fault_rules",
];

/// Equal byte strings, compared without an early exit.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn json_rows(rows: impl IntoIterator<Item = Vec<serde_json::Value>>) -> String {
    serde_json::Value::Array(rows.into_iter().map(serde_json::Value::Array).collect()).to_string()
}

/// `SELECT` of `cols` (name, is integer) from the JSON array of arrays bound as `$1`.
fn select_json(backend: Backend, cols: &[(&str, bool)]) -> String {
    match backend {
        Backend::Sqlite => {
            let picks: Vec<String> = (0..cols.len()).map(|i| format!("value ->> {i}")).collect();
            format!("SELECT {} FROM json_each($1) WHERE true", picks.join(", "))
        }
        Backend::Postgres => {
            let picks: Vec<String> = cols
                .iter()
                .enumerate()
                .map(|(i, (_, int))| {
                    if *int {
                        format!("(e ->> {i})::bigint")
                    } else {
                        format!("(e ->> {i})")
                    }
                })
                .collect();
            format!("SELECT {} FROM json_array_elements($1::json) AS e", picks.join(", "))
        }
    }
}

/// `INSERT INTO table (cols) SELECT … FROM $1 <conflict>` for JSON rows.
async fn insert_json(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    cols: &[(&str, bool)],
    conflict: &str,
    rows: Vec<Vec<serde_json::Value>>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) {} {conflict}",
        names.join(", "),
        select_json(backend, cols)
    );
    for chunk in rows.chunks(20_000) {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(json_rows(chunk.iter().cloned()))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn max_id(conn: &mut AnyConnection, table: &str) -> Result<i64> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COALESCE(MAX(id), 0) AS m FROM {table}"
    )))
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("m")?)
}

/// PostgreSQL: move `table`'s identity past its highest id (SQLite needs nothing), or back to 1 when it is empty.
async fn reseat(conn: &mut AnyConnection, backend: Backend, table: &str) -> Result<()> {
    if backend == Backend::Postgres {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Take the write lock first: on SQLite a transaction that reads before its first write fails at once (SQLITE_BUSY,
/// no busy wait) if another process's writer committed in between; a write first waits its turn instead. A delete
/// of no row writes nothing and fires no trigger.
async fn write_first(conn: &mut AnyConnection) -> Result<()> {
    sqlx::query("DELETE FROM settings WHERE key = $1")
        // A key no setting has (and text both engines accept: PostgreSQL refuses NUL).
        .bind(" write lock ")
        .execute(conn)
        .await?;
    Ok(())
}

impl Store {
    /// Apply `plan` in one transaction. `Ok(Err(message))`: a collision with other data; nothing was written.
    pub async fn apply_scenario(&self, plan: &Plan) -> Result<Result<Applied, String>> {
        let backend = self.backend;
        durably!(self, |conn| {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            write_first(&mut tx).await?;
            let applied = match apply_in(&mut tx, backend, plan).await? {
                Ok(applied) => applied,
                Err(message) => return Ok(Err(message)),
            };
            tx.commit().await?;
            Ok(Ok(applied))
        })
    }

    /// Every row a scenario export describes.
    pub async fn read_world(&self) -> Result<World> {
        let mut w = World {
            apps: self.list_apps().await?,
            ..World::default()
        };
        let all = |sql: &'static str| sqlx::query(sql).fetch_all(&self.pool);
        let flag_of = |r: &AnyRow, c: &str| -> Result<bool> { Ok(r.try_get::<i64, _>(c)? != 0) };
        for r in all("SELECT id, scenario_key, nickname, werun, join_ranking FROM users ORDER BY id").await? {
            w.users.push((
                r.try_get("id")?,
                r.try_get("scenario_key")?,
                r.try_get("nickname")?,
                flag_of(&r, "werun")?,
                flag_of(&r, "join_ranking")?,
            ));
        }
        for r in all("SELECT user_id, friend_id, hidden FROM friendships ORDER BY user_id, friend_id").await? {
            w.friendships
                .push((r.try_get("user_id")?, r.try_get("friend_id")?, flag_of(&r, "hidden")?));
        }
        for r in all("SELECT user_id, day, source, steps FROM daily_steps ORDER BY user_id, day, source").await? {
            w.steps.push((
                r.try_get("user_id")?,
                r.try_get("day")?,
                r.try_get("source")?,
                r.try_get("steps")?,
            ));
        }
        for r in all("SELECT user_id, app_id, scope, allow FROM grants ORDER BY user_id, app_id, scope").await? {
            w.grants.push((
                r.try_get("user_id")?,
                r.try_get("app_id")?,
                r.try_get("scope")?,
                flag_of(&r, "allow")?,
            ));
        }
        for r in all("SELECT user_id, app_id FROM device_bindings ORDER BY user_id, app_id").await? {
            w.bindings.push((r.try_get("user_id")?, r.try_get("app_id")?));
        }
        for r in all("SELECT user_id, app_id, env, created_at, records FROM check_ins ORDER BY user_id, created_at, id")
            .await?
        {
            w.check_ins.push((
                r.try_get("user_id")?,
                r.try_get("app_id")?,
                r.try_get("env")?,
                r.try_get("created_at")?,
                r.try_get("records")?,
            ));
        }
        for r in all("SELECT liker_id, target_id, day FROM likes ORDER BY liker_id, day, target_id").await? {
            w.likes
                .push((r.try_get("liker_id")?, r.try_get("target_id")?, r.try_get("day")?));
        }
        let mut members: HashMap<i64, Vec<i64>> = HashMap::new();
        for r in
            all("SELECT conversation_id, user_id FROM conversation_members ORDER BY conversation_id, user_id").await?
        {
            members
                .entry(r.try_get("conversation_id")?)
                .or_default()
                .push(r.try_get("user_id")?);
        }
        for r in all("SELECT id, kind, name FROM conversations ORDER BY id").await? {
            let id: i64 = r.try_get("id")?;
            w.conversations.push((
                id,
                r.try_get("kind")?,
                r.try_get("name")?,
                members.remove(&id).unwrap_or_default(),
            ));
        }
        Ok(w)
    }

    /// Empty the deployment in one transaction: every user and what hangs off them, the journal, counters, and (unless
    /// `keep_apps`) the apps and their access tokens; the clock goes back to system time. Appends one "everyone"
    /// event, so every node drops every cached copy at its next read of the feed.
    pub async fn reset(&self, keep_apps: bool) -> Result<ResetCounts> {
        let backend = self.backend;
        durably!(self, |conn| {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            write_first(&mut tx).await?;
            let users: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users")
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
            let apps: i64 = sqlx::query("SELECT COUNT(*) AS n FROM apps")
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
            let mut tables: Vec<&str> = RESET_TABLES.to_vec();
            if !keep_apps {
                tables.extend(["access_tokens", "apps"]);
            }
            for table in &tables {
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                    .execute(&mut *tx)
                    .await?;
            }
            // The fault rules (migration 0008) are in RESET_TABLES: their delete trigger tells every node's copy.
            sqlx::query("UPDATE deployment_clock SET offset_seconds = 0 WHERE id = 1")
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO cache_events (user_id) VALUES ($1)")
                .bind(EVERYONE)
                .execute(&mut *tx)
                .await?;
            for table in ["users", "check_ins", "conversations", "share_messages"] {
                reseat(&mut tx, backend, table).await?;
            }
            if !keep_apps {
                reseat(&mut tx, backend, "apps").await?;
            }
            tx.commit().await?;
            Ok(ResetCounts {
                apps: if keep_apps { 0 } else { apps as u64 },
                users: users as u64,
            })
        })
    }

    /// The deployment clock's offset in seconds (migration 0009).
    pub async fn clock_offset(&self) -> Result<i64> {
        let row = sqlx::query("SELECT offset_seconds FROM deployment_clock WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("offset_seconds")).transpose()?.unwrap_or(0))
    }

    /// Move the deployment clock's offset forward by `seconds`; the new offset.
    pub async fn advance_clock(&self, seconds: i64) -> Result<i64> {
        let row = sqlx::query(
            "UPDATE deployment_clock SET offset_seconds = offset_seconds + $1 WHERE id = 1 RETURNING offset_seconds",
        )
        .bind(seconds)
        .fetch_one(&self.writer)
        .await?;
        Ok(row.try_get("offset_seconds")?)
    }

    /// Set the offset to `offset` if that moves the clock forward (or keeps it); `None` if the clock is already past.
    pub async fn set_clock_forward(&self, offset: i64) -> Result<Option<i64>> {
        let row = sqlx::query(
            "UPDATE deployment_clock SET offset_seconds = $1 WHERE id = 1 AND offset_seconds <= $1
             RETURNING offset_seconds",
        )
        .bind(offset)
        .fetch_optional(&self.writer)
        .await?;
        row.map(|r| Ok(r.try_get("offset_seconds")?)).transpose()
    }
}

async fn apply_in(tx: &mut AnyConnection, backend: Backend, plan: &Plan) -> Result<Result<Applied, String>> {
    let now = plan.now;
    let mut out = Applied::default();
    // Apps, one by one (a scenario has few).
    for app in &plan.apps {
        let found = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM apps WHERE appid = $1",
            crate::accounts::APP_COLUMNS
        )))
        .bind(&app.appid)
        .fetch_optional(&mut *tx)
        .await?;
        match found {
            Some(r) => {
                let row = crate::accounts::app_row(&r)?;
                if let Some(hash) = &app.secret_hash
                    && !same(hash, &row.secret_hash)
                {
                    return Ok(Err(format!(
                        "app {} exists with a different secret: reset it (`yundong reset`) or leave secret out to keep \
                         the one it has",
                        app.appid
                    )));
                }
                if let Some(original_id) = &app.original_id
                    && *original_id != row.original_id
                {
                    return Ok(Err(format!(
                        "app {} exists with original_id {}, not {original_id}",
                        app.appid, row.original_id
                    )));
                }
                let changed = row.name != app.name
                    || row.category != app.category
                    || row.werun_share != app.werun_share
                    || row.open_platform != app.open_platform
                    || row.device_steps != app.device_steps;
                if changed {
                    sqlx::query(
                        "UPDATE apps SET name = $2, category = $3, werun_share = $4, open_platform = $5,
                         device_steps = $6 WHERE id = $1",
                    )
                    .bind(row.id)
                    .bind(&app.name)
                    .bind(&app.category)
                    .bind(flag(app.werun_share))
                    .bind(&app.open_platform)
                    .bind(flag(app.device_steps))
                    .execute(&mut *tx)
                    .await?;
                }
                out.app_ids.push(row.id);
                out.apps_created.push(false);
            }
            None => {
                let original_id = app.original_id.as_ref().unwrap_or(&app.new_original_id);
                let taken = sqlx::query("SELECT appid FROM apps WHERE original_id = $1")
                    .bind(original_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(r) = taken {
                    let other: String = r.try_get("appid")?;
                    return Ok(Err(format!(
                        "original_id {original_id} belongs to another app ({other})"
                    )));
                }
                let id = max_id(tx, "apps").await? + 1;
                sqlx::query(
                    "INSERT INTO apps (id, appid, secret_hash, original_id, name, category, werun_share, open_platform,
                     device_steps, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(id)
                .bind(&app.appid)
                .bind(app.secret_hash.as_ref().unwrap_or(&app.new_secret_hash))
                .bind(original_id)
                .bind(&app.name)
                .bind(&app.category)
                .bind(flag(app.werun_share))
                .bind(&app.open_platform)
                .bind(flag(app.device_steps))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                out.app_ids.push(AppId(id));
                out.apps_created.push(true);
            }
        }
    }
    reseat(tx, backend, "apps").await?;

    // Users: found by key; tokens checked against every other user.
    let keys: Vec<serde_json::Value> = plan.users.iter().map(|u| u.key.clone().into()).collect();
    let key_list = serde_json::Value::Array(keys).to_string();
    let in_list = match backend {
        Backend::Sqlite => "(SELECT value FROM json_each($1))",
        Backend::Postgres => "(SELECT json_array_elements_text($1::json))",
    };
    let mut existing: HashMap<String, (i64, String, String, bool, bool)> = HashMap::new();
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, scenario_key, token_hash, nickname, werun, join_ranking FROM users WHERE scenario_key IN {in_list}"
    )))
    .bind(&key_list)
    .fetch_all(&mut *tx)
    .await?;
    for r in rows {
        existing.insert(
            r.try_get("scenario_key")?,
            (
                r.try_get("id")?,
                r.try_get("token_hash")?,
                r.try_get("nickname")?,
                r.try_get::<i64, _>("werun")? != 0,
                r.try_get::<i64, _>("join_ranking")? != 0,
            ),
        );
    }
    let tokens: Vec<serde_json::Value> = plan
        .users
        .iter()
        .filter_map(|u| u.token_hash.clone().map(Into::into))
        .collect();
    let mut token_owner: HashMap<String, (i64, Option<String>)> = HashMap::new();
    if !tokens.is_empty() {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, scenario_key, token_hash FROM users WHERE token_hash IN {in_list}"
        )))
        .bind(serde_json::Value::Array(tokens).to_string())
        .fetch_all(&mut *tx)
        .await?;
        for r in rows {
            token_owner.insert(r.try_get("token_hash")?, (r.try_get("id")?, r.try_get("scenario_key")?));
        }
    }
    let mut next_id = max_id(tx, "users").await?;
    let mut new_rows = Vec::new();
    for u in &plan.users {
        if let Some(hash) = &u.token_hash
            && let Some((owner, owner_key)) = token_owner.get(hash)
            && owner_key.as_deref() != Some(u.key.as_str())
        {
            let who = owner_key
                .as_ref()
                .map_or(format!("user {owner}"), |k| format!("user {owner} ({k})"));
            return Ok(Err(format!(
                "the token of user {} belongs to another user ({who})",
                u.key
            )));
        }
        match existing.get(&u.key) {
            Some((id, token_hash, nickname, werun, join_ranking)) => {
                if let Some(hash) = &u.token_hash
                    && !same(hash, token_hash)
                {
                    return Ok(Err(format!(
                        "user {} exists with a different token: reset first, or leave token out to keep the one it has",
                        u.key
                    )));
                }
                if *nickname != u.nickname || *werun != u.werun || *join_ranking != u.join_ranking {
                    sqlx::query("UPDATE users SET nickname = $2, werun = $3, join_ranking = $4 WHERE id = $1")
                        .bind(id)
                        .bind(&u.nickname)
                        .bind(flag(u.werun))
                        .bind(flag(u.join_ranking))
                        .execute(&mut *tx)
                        .await?;
                }
                out.user_ids.push(UserId(*id));
                out.users_created.push(false);
            }
            None => {
                next_id += 1;
                new_rows.push(vec![
                    next_id.into(),
                    u.nickname.clone().into(),
                    u.token_hash.as_ref().unwrap_or(&u.new_token_hash).clone().into(),
                    flag(u.werun).into(),
                    flag(u.join_ranking).into(),
                    now.into(),
                    u.key.clone().into(),
                ]);
                out.user_ids.push(UserId(next_id));
                out.users_created.push(true);
            }
        }
    }
    insert_json(
        tx,
        backend,
        "users",
        &[
            ("id", true),
            ("nickname", false),
            ("token_hash", false),
            ("werun", true),
            ("join_ranking", true),
            ("created_at", true),
            ("scenario_key", false),
        ],
        "",
        new_rows,
    )
    .await?;
    reseat(tx, backend, "users").await?;
    // Plain numbers from here on: the rows below are JSON arrays for one multi-row insert per table.
    let uid: Vec<i64> = out.user_ids.iter().map(|u| u.0).collect();
    let aid: Vec<i64> = out.app_ids.iter().map(|a| a.0).collect();

    let mut rows = Vec::new();
    for &(a, b, a_hides, b_hides) in &plan.friends {
        rows.push(vec![uid[a].into(), uid[b].into(), flag(a_hides).into(), now.into()]);
        rows.push(vec![uid[b].into(), uid[a].into(), flag(b_hides).into(), now.into()]);
    }
    insert_json(
        tx,
        backend,
        "friendships",
        &[
            ("user_id", true),
            ("friend_id", true),
            ("hidden", true),
            ("created_at", true),
        ],
        "ON CONFLICT (user_id, friend_id) DO UPDATE SET hidden = excluded.hidden \
         WHERE friendships.hidden <> excluded.hidden",
        rows,
    )
    .await?;

    let rows = plan
        .steps
        .iter()
        .map(|&(u, day, source, steps)| {
            vec![
                uid[u].into(),
                day.into(),
                source.map_or(0, |a| aid[a]).into(),
                steps.into(),
            ]
        })
        .collect();
    insert_json(
        tx,
        backend,
        "daily_steps",
        &[("user_id", true), ("day", true), ("source", true), ("steps", true)],
        "ON CONFLICT (user_id, day, source) DO UPDATE SET steps = excluded.steps \
         WHERE daily_steps.steps <> excluded.steps",
        rows,
    )
    .await?;

    let rows = plan
        .grants
        .iter()
        .map(|(u, a, scope, allow)| {
            vec![
                uid[*u].into(),
                aid[*a].into(),
                scope.clone().into(),
                flag(*allow).into(),
                now.into(),
            ]
        })
        .collect();
    insert_json(
        tx,
        backend,
        "grants",
        &[
            ("user_id", true),
            ("app_id", true),
            ("scope", false),
            ("allow", true),
            ("updated_at", true),
        ],
        "ON CONFLICT (user_id, app_id, scope) DO UPDATE SET allow = excluded.allow, updated_at = excluded.updated_at \
         WHERE grants.allow <> excluded.allow",
        rows,
    )
    .await?;

    let rows = plan
        .bindings
        .iter()
        .map(|&(u, a)| vec![uid[u].into(), aid[a].into(), now.into()])
        .collect();
    insert_json(
        tx,
        backend,
        "device_bindings",
        &[("user_id", true), ("app_id", true), ("bound_at", true)],
        "ON CONFLICT (user_id, app_id) DO NOTHING",
        rows,
    )
    .await?;

    // Check-ins: skip those already there with the same content (this apply's earlier rows included).
    if !plan.check_ins.is_empty() {
        let users: HashSet<i64> = plan.check_ins.iter().map(|c| uid[c.user]).collect();
        let list = serde_json::Value::Array(users.into_iter().map(Into::into).collect()).to_string();
        let int_list = match backend {
            Backend::Sqlite => "(SELECT value FROM json_each($1))",
            Backend::Postgres => "(SELECT (json_array_elements_text($1::json))::bigint)",
        };
        let mut seen: HashSet<(i64, i64, String, i64, String)> = HashSet::new();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT user_id, app_id, env, created_at, records FROM check_ins WHERE user_id IN {int_list}"
        )))
        .bind(list)
        .fetch_all(&mut *tx)
        .await?;
        for r in rows {
            seen.insert((
                r.try_get("user_id")?,
                r.try_get("app_id")?,
                r.try_get("env")?,
                r.try_get("created_at")?,
                r.try_get("records")?,
            ));
        }
        let mut next = max_id(tx, "check_ins").await?;
        let mut rows = Vec::new();
        for c in &plan.check_ins {
            let key = (uid[c.user], aid[c.app], c.env.clone(), c.at, c.records.clone());
            if !seen.insert(key) {
                continue;
            }
            next += 1;
            rows.push(vec![
                next.into(),
                uid[c.user].into(),
                aid[c.app].into(),
                c.env.clone().into(),
                flag(c.env == "release").into(),
                c.day.into(),
                c.at.into(),
                c.records.clone().into(),
                c.first_type_id.into(),
                c.first_unit.clone().into(),
                c.first_value.into(),
            ]);
        }
        out.check_ins_added = rows.len();
        insert_json(
            tx,
            backend,
            "check_ins",
            &[
                ("id", true),
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
            "",
            rows,
        )
        .await?;
        reseat(tx, backend, "check_ins").await?;
    }

    let rows = plan
        .likes
        .iter()
        .map(|&(liker, target, day)| vec![uid[target].into(), day.into(), uid[liker].into(), now.into()])
        .collect();
    insert_json(
        tx,
        backend,
        "likes",
        &[
            ("target_id", true),
            ("day", true),
            ("liker_id", true),
            ("created_at", true),
        ],
        "ON CONFLICT (target_id, day, liker_id) DO NOTHING",
        rows,
    )
    .await?;

    // Groups by name: made if missing, their members set to the file's.
    for (name, members) in &plan.groups {
        let found = sqlx::query("SELECT id FROM conversations WHERE kind = $1 AND name = $2 ORDER BY id LIMIT 1")
            .bind(KIND_GROUP)
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        let id: i64 = match found {
            Some(r) => r.try_get("id")?,
            None => {
                let id = max_id(tx, "conversations").await? + 1;
                sqlx::query(
                    "INSERT INTO conversations (id, kind, name, direct_key, created_at) VALUES ($1, $2, $3, NULL, $4)",
                )
                .bind(id)
                .bind(KIND_GROUP)
                .bind(name)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        let ids: Vec<i64> = members.iter().map(|&m| uid[m]).collect();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM conversation_members WHERE conversation_id = $2 AND user_id NOT IN {}",
            match backend {
                Backend::Sqlite => "(SELECT value FROM json_each($1))",
                Backend::Postgres => "(SELECT (json_array_elements_text($1::json))::bigint)",
            }
        )))
        .bind(serde_json::Value::Array(ids.iter().map(|&i| i.into()).collect()).to_string())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let rows = ids.iter().map(|&u| vec![id.into(), u.into(), now.into()]).collect();
        insert_json(
            tx,
            backend,
            "conversation_members",
            &[("conversation_id", true), ("user_id", true), ("joined_at", true)],
            "ON CONFLICT (conversation_id, user_id) DO NOTHING",
            rows,
        )
        .await?;
    }
    for &(a, b) in &plan.chats {
        let (lo, hi) = (uid[a].min(uid[b]), uid[a].max(uid[b]));
        let direct_key = format!("{lo}:{hi}");
        let found = sqlx::query("SELECT id FROM conversations WHERE direct_key = $1")
            .bind(&direct_key)
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_some() {
            continue;
        }
        let id = max_id(tx, "conversations").await? + 1;
        sqlx::query("INSERT INTO conversations (id, kind, name, direct_key, created_at) VALUES ($1, $2, NULL, $3, $4)")
            .bind(id)
            .bind(KIND_DIRECT)
            .bind(&direct_key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        for user in [lo, hi] {
            sqlx::query("INSERT INTO conversation_members (conversation_id, user_id, joined_at) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(user)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
    }
    reseat(tx, backend, "conversations").await?;
    Ok(Ok(out))
}
