//! Access tokens (docs/WECHAT.md, docs/DESIGN.md): `/cgi-bin/token`'s, each call superseding the previous one
//! (which keeps working for `token_overlap`), and the stable token, one per app, re-derived from the presented
//! secret and a stored nonce, issued by a compare-and-set so that nodes racing to refresh agree on one.

use yundong_proto::wechat::AccessTokenResponse;
use yundong_store::AppRow;

use crate::Core;
use crate::error::{Error, Result};
use crate::secrets;

/// Issue a new `/cgi-bin/token` token for `app` (its secret already checked); the day's quota is charged first.
pub async fn issue(core: &Core, app: &AppRow) -> Result<AccessTokenResponse> {
    let now = core.now();
    let cfg = &core.config;
    let day = cfg.day_zone.day_start(now);
    if core.store.bump_counter(&format!("token:{}", app.id), day).await? > cfg.token_daily_quota {
        return Err(Error::DailyQuota);
    }
    let token = secrets::access_token();
    core.store
        .issue_normal_token(
            app.id,
            &secrets::hash(&token),
            "-",
            now,
            cfg.token_ttl,
            cfg.token_overlap,
        )
        .await?;
    Ok(AccessTokenResponse {
        access_token: token,
        expires_in: cfg.token_ttl,
    })
}

/// The app's stable token for the presented (already checked) `secret`. Normal mode returns the current token while
/// it is valid and more than `token_overlap` from its expiry, else a new one; `force` ends the current one and issues
/// a new one, at most `stable_force_daily` times a day, and not within `stable_force_gap` of the previous forced
/// refresh (such a call is answered as normal mode would answer it).
pub async fn stable(core: &Core, app: &AppRow, secret: &str, force: bool) -> Result<AccessTokenResponse> {
    let cfg = &core.config;
    if !core
        .within_minute_limit(&format!("stable:{}", app.id), cfg.stable_token_per_minute)
        .await?
    {
        return Err(Error::MinuteLimit("stable_token calls per minute"));
    }
    // A lost compare-and-set means another node issued a token in between; read again and reconsider.
    for _ in 0..5 {
        let now = core.now();
        let (generation, latest) = core.store.latest_stable_token(app.id).await?;
        let mut force = force;
        if force {
            let since = cfg.day_zone.day_start(now);
            let (count, last) = core.store.forced_stable_refreshes(app.id, since).await?;
            if count >= cfg.stable_force_daily {
                return Err(Error::DailyQuota);
            }
            if last.is_some_and(|last| now - last < cfg.stable_force_gap) {
                force = false;
            }
        }
        if !force
            && let Some(t) = &latest
            && now < t.valid_until
            && now < t.expires_at - cfg.token_overlap
        {
            return Ok(AccessTokenResponse {
                access_token: secrets::stable_token(secret, &app.appid, &t.nonce),
                expires_in: t.expires_at - now,
            });
        }
        let nonce = secrets::nonce();
        let token = secrets::stable_token(secret, &app.appid, &nonce);
        let hash = secrets::hash(&token);
        if core
            .store
            .issue_stable_token(app.id, &hash, &nonce, force, now, cfg.token_ttl, generation)
            .await?
        {
            return Ok(AccessTokenResponse {
                access_token: token,
                expires_in: cfg.token_ttl,
            });
        }
    }
    Err(Error::Busy)
}
