//! Login sessions between a user and a mini program: the `wx.login` code exchange (jscode2session), the session
//! signature check (checksession, resetusersessionkey) and the session_key reset. The code exchange is one
//! transaction in the store, so a code is consumed once across all nodes.

use yundong_proto::crypto;
use yundong_store::{AppId, AppRow, ExchangeError, ExchangeRequest, UserId};

use crate::Core;
use crate::error::{Error, Result};
use crate::secrets;

/// What jscode2session answers: the user's openid for the app, the fresh session_key, and the unionid when the
/// app belongs to an open platform.
#[derive(Debug)]
pub struct Session {
    pub openid: String,
    pub session_key: String,
    pub unionid: Option<String>,
}

/// `wx.login`: a fresh code for `app`'s back end to exchange once within the code TTL, within the user's per-minute
/// limit of codes (`Error::MinuteLimit`). Only the code's hash is stored.
pub async fn issue_code(core: &Core, user: UserId, app: AppId) -> Result<String> {
    if !core
        .within_minute_limit(&format!("login:{user}"), core.config.login_codes_per_minute)
        .await?
    {
        return Err(Error::MinuteLimit("wx.login codes per user per minute"));
    }
    let code = secrets::login_code();
    let expires_at = core.now() + core.config.code_ttl;
    core.store
        .insert_login_code(&secrets::hash(&code), user, app, expires_at)
        .await?;
    Ok(code)
}

/// Exchange a `wx.login` code for a session of `app` (its secret already checked): a fresh session_key, and the
/// openid (and unionid) of the user the code was issued to.
pub async fn exchange(core: &Core, app: &AppRow, code: &str) -> Result<Session> {
    let now = core.now();
    let session_key = secrets::session_key();
    let exchanged = core
        .store
        .exchange_code(&ExchangeRequest {
            code_hash: &secrets::hash(code),
            app_id: app.id,
            now,
            per_minute: core.config.code_exchanges_per_minute,
            new_session_key: &session_key,
            session_expires_at: now + core.config.session_ttl,
        })
        .await
        .map_err(|e| match e {
            ExchangeError::Invalid => Error::CodeInvalid,
            ExchangeError::Used => Error::CodeUsed,
            ExchangeError::RateLimited => Error::MinuteLimit("code exchanges per user per minute"),
            ExchangeError::Store(e) => e.into(),
        })?;
    let openid = core
        .store
        .openid_for(exchanged.user_id, app.id, &secrets::openid())
        .await?;
    let unionid = match &app.open_platform {
        Some(platform) => Some(
            core.store
                .unionid_for(platform, exchanged.user_id, &secrets::unionid())
                .await?,
        ),
        None => None,
    };
    Ok(Session {
        openid,
        session_key,
        unionid,
    })
}

/// Whether `signature` (hex, any case) is the HMAC-SHA256 of the empty string under the live session_key of
/// (`app_id`, `user_id`); the session_key when it is. Compared in constant time.
pub async fn verify_signature(core: &Core, user_id: UserId, app_id: AppId, signature: &str) -> Result<Option<String>> {
    let signature = signature.to_ascii_lowercase();
    let session = core.store.session(user_id, app_id).await?;
    let Some(session) = session.filter(|s| s.expires_at > core.now()) else {
        return Ok(None);
    };
    let expected = crypto::session_signature(&session.session_key);
    Ok(crypto::ct_eq(signature.as_bytes(), expected.as_bytes()).then_some(session.session_key))
}

/// Extend the session's idle life (checksession).
pub async fn touch(core: &Core, user_id: UserId, app_id: AppId) -> Result<()> {
    let now = core.now();
    core.store
        .touch_session(user_id, app_id, now, now + core.config.session_ttl)
        .await?;
    Ok(())
}

/// Replace the session_key `old_key` with a fresh one (resetusersessionkey), within the per-user minute limit.
/// `None` when another exchange or reset replaced `old_key` in between.
pub async fn reset_key(core: &Core, user_id: UserId, app_id: AppId, old_key: &str) -> Result<Option<String>> {
    if !core
        .within_minute_limit(
            &format!("reset:{app_id}:{user_id}"),
            core.config.session_resets_per_minute,
        )
        .await?
    {
        return Err(Error::MinuteLimit("too many resets of this user's session_key"));
    }
    let new_key = secrets::session_key();
    let replaced = core
        .store
        .reset_session_key(user_id, app_id, old_key, &new_key, core.now())
        .await?;
    Ok(replaced.then_some(new_key))
}
