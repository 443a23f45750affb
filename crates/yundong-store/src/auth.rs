//! Login codes, sessions (session_key per app and user) and access tokens, with the atomic steps that must hold
//! across many server nodes sharing one database: a code is exchanged at most once, a token supersedes the last.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{AppId, DayTotal, Result, Store, StoreError, UserId, flag};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub session_key: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub app_id: AppId,
    pub family: String,
    pub nonce: String,
    pub forced: bool,
    pub issued_at: i64,
    pub expires_at: i64,
    pub valid_until: i64,
}

/// A session's expiry moves forward in steps of this many seconds (see [`Store::touch_session`]).
pub const SESSION_TOUCH_STEP: i64 = 60;

/// What gates an open-data call for a user and an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    pub werun: bool,
    pub grant: Option<bool>,
    pub session: Option<SessionRow>,
    /// Day totals in the requested range, ascending; days without data are absent.
    pub days: Vec<DayTotal>,
}

/// Why a login code could not be exchanged. Nothing was changed in any of these cases.
#[derive(Debug)]
pub enum ExchangeError {
    /// Unknown, expired, or issued for another app (WeChat answers all three with 40029).
    Invalid,
    /// Exchanged before (40163).
    Used,
    /// The user reached the per-minute exchange limit (45011).
    RateLimited,
    Store(StoreError),
}

impl From<sqlx::Error> for ExchangeError {
    fn from(e: sqlx::Error) -> Self {
        ExchangeError::Store(StoreError::Db(e))
    }
}

/// A successful exchange: the user the code was issued to. The session key now in force for (app, user) is the
/// caller's [`ExchangeRequest::new_session_key`], written in the same transaction; it is not echoed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchanged {
    pub user_id: UserId,
}

fn token_row(r: &AnyRow) -> Result<TokenRow> {
    Ok(TokenRow {
        app_id: r.try_get("app_id")?,
        family: r.try_get("family")?,
        nonce: r.try_get("nonce")?,
        forced: r.try_get::<i64, _>("forced")? != 0,
        issued_at: r.try_get("issued_at")?,
        expires_at: r.try_get("expires_at")?,
        valid_until: r.try_get("valid_until")?,
    })
}

const TOKEN_COLUMNS: &str = "app_id, family, nonce, forced, issued_at, expires_at, valid_until";

/// Parameters of one code exchange.
#[derive(Debug, Clone)]
pub struct ExchangeRequest<'a> {
    pub code_hash: &'a str,
    pub app_id: AppId,
    pub now: i64,
    /// Exchanges allowed per user per minute.
    pub per_minute: i64,
    pub new_session_key: &'a str,
    pub session_expires_at: i64,
}

impl Store {
    pub async fn insert_login_code(
        &self,
        code_hash: &str,
        user_id: UserId,
        app_id: AppId,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query("INSERT INTO login_codes (code_hash, app_id, user_id, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(code_hash)
            .bind(app_id)
            .bind(user_id)
            .bind(expires_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Exchange a login code for a new session, atomically: the code is marked used, the user's per-minute counter
    /// is bumped, and the (app, user) session key is replaced, all in one transaction. Any failure rolls back, so a
    /// rate-limited exchange leaves the code usable and the session untouched.
    pub async fn exchange_code(&self, req: &ExchangeRequest<'_>) -> Result<Exchanged, ExchangeError> {
        let mut tx = self.writer.begin().await?;
        // The first statement writes, so SQLite takes its write lock here and concurrent exchanges queue behind it;
        // PostgreSQL's row lock makes the second of two racing UPDATEs see `used_at` set and match nothing.
        let consumed = sqlx::query(
            "UPDATE login_codes SET used_at = $1
             WHERE code_hash = $2 AND app_id = $3 AND used_at IS NULL AND expires_at > $1
             RETURNING user_id",
        )
        .bind(req.now)
        .bind(req.code_hash)
        .bind(req.app_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(consumed) = consumed else {
            let row = sqlx::query("SELECT app_id, used_at, expires_at FROM login_codes WHERE code_hash = $1")
                .bind(req.code_hash)
                .fetch_optional(&mut *tx)
                .await?;
            tx.rollback().await?;
            return Err(match row {
                Some(r)
                    if r.try_get::<AppId, _>("app_id")? == req.app_id
                        && r.try_get::<Option<i64>, _>("used_at")?.is_some() =>
                {
                    ExchangeError::Used
                }
                _ => ExchangeError::Invalid,
            });
        };
        let user_id: UserId = consumed.try_get("user_id")?;
        let window = req.now - req.now.rem_euclid(60);
        let count = bump(&mut tx, &format!("code2session:{user_id}"), window).await?;
        if count > req.per_minute {
            tx.rollback().await?;
            return Err(ExchangeError::RateLimited);
        }
        sqlx::query(
            "INSERT INTO sessions (app_id, user_id, session_key, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (app_id, user_id) DO UPDATE SET session_key = excluded.session_key,
                                                         expires_at = excluded.expires_at",
        )
        .bind(req.app_id)
        .bind(user_id)
        .bind(req.new_session_key)
        .bind(req.session_expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Exchanged { user_id })
    }

    /// The session of a user with an app, if one was ever created (expired or not).
    pub async fn session(&self, user_id: UserId, app_id: AppId) -> Result<Option<SessionRow>> {
        let row = sqlx::query("SELECT session_key, expires_at FROM sessions WHERE app_id = $1 AND user_id = $2")
            .bind(app_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(SessionRow {
                session_key: r.try_get("session_key")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    /// What gates an open-data call, in one read: whether the user has WeRun on, the user's decision on `scope` for
    /// the app (`None` undecided), the (app, user) session if any, and the user's day totals for days in
    /// `[first_day, last_day]` (ascending). `None` for an unknown user.
    pub async fn gate(
        &self,
        user_id: UserId,
        app_id: AppId,
        scope: &str,
        first_day: i64,
        last_day: i64,
    ) -> Result<Option<Gate>> {
        let row = sqlx::query(
            "SELECT u.werun, (SELECT allow FROM grants WHERE user_id = $1 AND app_id = $2 AND scope = $3) AS allow,
                    s.session_key, s.expires_at,
                    (SELECT string_agg(CAST(d.day AS TEXT) || ':' || CAST(d.steps AS TEXT), ',')
                     FROM (SELECT day, MAX(steps) AS steps FROM daily_steps
                           WHERE user_id = $1 AND day >= $4 AND day <= $5 GROUP BY day) AS d) AS days
             FROM users u LEFT JOIN sessions s ON s.app_id = $2 AND s.user_id = u.id
             WHERE u.id = $1",
        )
        .bind(user_id)
        .bind(app_id)
        .bind(scope)
        .bind(first_day)
        .bind(last_day)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let allow: Option<i64> = row.try_get("allow")?;
        let key: Option<String> = row.try_get("session_key")?;
        let expires: Option<i64> = row.try_get("expires_at")?;
        let packed: Option<String> = row.try_get("days")?;
        let mut days = Vec::new();
        for pair in packed.as_deref().unwrap_or("").split(',').filter(|p| !p.is_empty()) {
            let parsed = pair.split_once(':').and_then(|(d, s)| {
                Some(DayTotal {
                    day: d.parse().ok()?,
                    steps: s.parse().ok()?,
                })
            });
            days.push(parsed.ok_or(StoreError::Invalid("unreadable day totals"))?);
        }
        days.sort_unstable_by_key(|d| d.day);
        Ok(Some(Gate {
            werun: row.try_get::<i64, _>("werun")? != 0,
            grant: allow.map(|a| a != 0),
            session: key.zip(expires).map(|(session_key, expires_at)| SessionRow {
                session_key,
                expires_at,
            }),
            days,
        }))
    }

    /// Slide a live session's expiry forward (use extends it); never revives an expired one. Writes at most once a
    /// minute per session: a busy session's expiry moves in [`SESSION_TOUCH_STEP`] steps instead of on every request
    /// (callers holding the session's expiry can skip the call when it is within a step of `expires_at`).
    pub async fn touch_session(&self, user_id: UserId, app_id: AppId, now: i64, expires_at: i64) -> Result<()> {
        sqlx::query(
            "UPDATE sessions SET expires_at = $4
             WHERE app_id = $1 AND user_id = $2 AND expires_at > $3 AND expires_at < $4 - $5",
        )
        .bind(app_id)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .bind(SESSION_TOUCH_STEP)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Replace the key of a live session whose key is still `old_key`, keeping its expiry. False if it changed
    /// meanwhile or expired.
    pub async fn reset_session_key(
        &self,
        user_id: UserId,
        app_id: AppId,
        old_key: &str,
        new_key: &str,
        now: i64,
    ) -> Result<bool> {
        let res = sqlx::query(
            "UPDATE sessions SET session_key = $4 WHERE app_id = $1 AND user_id = $2 AND session_key = $3 AND expires_at > $5",
        )
        .bind(app_id)
        .bind(user_id)
        .bind(old_key)
        .bind(new_key)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Issue a `/cgi-bin/token` token: every earlier normal token of the app stays valid for at most `overlap` more
    /// seconds (WeChat's 5-minute overlap); stable tokens are untouched.
    pub async fn issue_normal_token(
        &self,
        app_id: AppId,
        token_hash: &str,
        nonce: &str,
        now: i64,
        ttl: i64,
        overlap: i64,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "UPDATE access_tokens SET valid_until = $2 WHERE app_id = $1 AND family = 'normal' AND valid_until > $2",
        )
        .bind(app_id)
        .bind(now + overlap)
        .execute(&mut *tx)
        .await?;
        let token = NewToken {
            app_id,
            token_hash,
            family: "normal",
            nonce,
            forced: false,
            seq: 0,
        };
        insert_token(&mut tx, &token, now, now + ttl).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The app's stable-token generation and its newest stable token, if any. Pass the generation back to
    /// [`Store::issue_stable_token`].
    pub async fn latest_stable_token(&self, app_id: AppId) -> Result<(i64, Option<TokenRow>)> {
        let gen_row = sqlx::query("SELECT stable_gen FROM apps WHERE id = $1")
            .bind(app_id)
            .fetch_one(&self.pool)
            .await?;
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM access_tokens WHERE app_id = $1 AND family = 'stable' ORDER BY seq DESC LIMIT 1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(app_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok((gen_row.try_get("stable_gen")?, row.as_ref().map(token_row).transpose()?))
    }

    /// Forced stable refreshes of an app since `since`, and the time of the latest one.
    pub async fn forced_stable_refreshes(&self, app_id: AppId, since: i64) -> Result<(i64, Option<i64>)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MAX(issued_at) AS last FROM access_tokens
             WHERE app_id = $1 AND family = 'stable' AND forced = 1 AND issued_at >= $2",
        )
        .bind(app_id)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("n")?, row.try_get("last")?))
    }

    /// Issue a stable token if the app's stable generation is still `expected_gen`; false when another node issued
    /// one first (the caller then reads that one). A forced refresh ends every earlier stable token at once; a
    /// scheduled rotation lets the old one run out on its own.
    #[allow(clippy::too_many_arguments)]
    pub async fn issue_stable_token(
        &self,
        app_id: AppId,
        token_hash: &str,
        nonce: &str,
        forced: bool,
        now: i64,
        ttl: i64,
        expected_gen: i64,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let bumped = sqlx::query("UPDATE apps SET stable_gen = stable_gen + 1 WHERE id = $1 AND stable_gen = $2")
            .bind(app_id)
            .bind(expected_gen)
            .execute(&mut *tx)
            .await?;
        if bumped.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        if forced {
            sqlx::query(
                "UPDATE access_tokens SET valid_until = $2 WHERE app_id = $1 AND family = 'stable' AND valid_until > $2",
            )
            .bind(app_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let token = NewToken {
            app_id,
            token_hash,
            family: "stable",
            nonce,
            forced,
            seq: expected_gen + 1,
        };
        insert_token(&mut tx, &token, now, now + ttl).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<TokenRow>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM access_tokens WHERE token_hash = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token_row).transpose()
    }

    /// Count one call against `key` in the window starting at `window_start`; returns the count including it.
    pub async fn bump_counter(&self, key: &str, window_start: i64) -> Result<i64> {
        let mut conn = self.writer.acquire().await?;
        Ok(bump(&mut conn, key, window_start).await?)
    }
}

async fn bump(conn: &mut sqlx::AnyConnection, key: &str, window_start: i64) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO rate_counters (key, window_start, count) VALUES ($1, $2, 1)
         ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1
         RETURNING count",
    )
    .bind(key)
    .bind(window_start)
    .fetch_one(conn)
    .await?;
    row.try_get("count")
}

struct NewToken<'a> {
    app_id: AppId,
    token_hash: &'a str,
    family: &'a str,
    nonce: &'a str,
    forced: bool,
    seq: i64,
}

async fn insert_token(
    conn: &mut sqlx::AnyConnection,
    t: &NewToken<'_>,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO access_tokens (token_hash, app_id, family, nonce, forced, seq, issued_at, expires_at, valid_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(t.token_hash)
    .bind(t.app_id)
    .bind(t.family)
    .bind(t.nonce)
    .bind(flag(t.forced))
    .bind(t.seq)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}
