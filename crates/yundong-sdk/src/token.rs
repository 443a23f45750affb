//! Access-token caching: where tokens are kept ([`TokenStore`], shared by several processes if you like) and which
//! family the client asks for ([`TokenKind`]).
//!
//! The [`crate::Client`] reads the store before each call that needs a token, refreshes ahead of expiry with one
//! request in flight per client (other callers wait for it, or keep using the still-valid token), and on 40001 /
//! 42001 expires the stored token only if it is still the one that failed (compare-then-expire), so a token another
//! process just refreshed is never thrown away.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::error::TokenStoreError;
use crate::http::BoxFuture;

/// Which access-token endpoint the client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenKind {
    /// `POST /cgi-bin/stable_token` (the default): the same token for every caller while it is valid, so
    /// processes that do not share a store do not invalidate each other's tokens.
    #[default]
    Stable,
    /// `GET /cgi-bin/token`: every fetch supersedes the previous token (after a 5-minute overlap). Use it only
    /// with a store that all processes of the app share.
    Normal,
}

impl TokenKind {
    /// The name used in store keys: `stable` or `normal`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Stable => "stable",
            TokenKind::Normal => "normal",
        }
    }
}

/// A token as cached: the text, when it stops working, and when the client should start refreshing it.
#[derive(Clone, PartialEq, Eq)]
pub struct CachedToken {
    pub access_token: String,
    /// Unix seconds after which the server no longer accepts it.
    pub expires_at: i64,
    /// Unix seconds from which a caller refreshes it (before `expires_at`).
    pub refresh_at: i64,
}

impl std::fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedToken")
            .field("access_token", &"***")
            .field("expires_at", &self.expires_at)
            .field("refresh_at", &self.refresh_at)
            .finish()
    }
}

impl CachedToken {
    /// A token fetched at `now` with `expires_in` seconds to live: refreshed `ahead` seconds before expiry, but
    /// never in the first half of its life (so a short-lived token is not refetched on every call).
    pub fn new(access_token: String, now: i64, expires_in: i64, ahead: Duration) -> CachedToken {
        let expires_in = expires_in.max(0);
        let ahead = i64::try_from(ahead.as_secs()).unwrap_or(i64::MAX);
        let fresh_for = expires_in.saturating_sub(ahead).max(expires_in / 2);
        CachedToken {
            access_token,
            expires_at: now.saturating_add(expires_in),
            refresh_at: now.saturating_add(fresh_for),
        }
    }

    /// Usable and not yet due for refresh.
    pub fn is_fresh(&self, now: i64) -> bool {
        now < self.refresh_at && now < self.expires_at
    }

    /// Still accepted by the server for at least `margin` seconds.
    pub fn is_valid(&self, now: i64, margin: i64) -> bool {
        now.saturating_add(margin) < self.expires_at
    }
}

/// Where access tokens live. The default, [`MemoryTokenStore`], serves one process; implement this trait over
/// Redis, a database or a file to let several processes share one token.
///
/// `key` is `"<appid>:<kind>"` (see [`TokenKind::as_str`]). A shared implementation must make
/// [`TokenStore::expire_if`] atomic (compare-then-delete), and may implement the refresh lock so that only one
/// process refreshes at a time; the defaults of the lock methods leave that to chance, which is harmless with the
/// stable-token family (every process gets the same token) and costs one superseded token with the normal one.
///
/// A store over some shared key-value service (here a `Mutex<HashMap>` stands in for it):
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use yundong_sdk::http::BoxFuture;
/// use yundong_sdk::{CachedToken, TokenStore, TokenStoreError};
///
/// #[derive(Default)]
/// struct Shared(Mutex<HashMap<String, CachedToken>>);
///
/// impl Shared {
///     fn map(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, CachedToken>>, TokenStoreError> {
///         self.0.lock().map_err(|_| TokenStoreError::new("poisoned"))
///     }
/// }
///
/// impl TokenStore for Shared {
///     fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<CachedToken>, TokenStoreError>> {
///         Box::pin(async move { Ok(self.map()?.get(key).cloned()) })
///     }
///     fn save<'a>(&'a self, key: &'a str, token: CachedToken) -> BoxFuture<'a, Result<(), TokenStoreError>> {
///         Box::pin(async move {
///             self.map()?.insert(key.to_owned(), token);
///             Ok(())
///         })
///     }
///     // In Redis: a Lua script comparing the value and deleting it in one step.
///     fn expire_if<'a>(&'a self, key: &'a str, stale: &'a str) -> BoxFuture<'a, Result<bool, TokenStoreError>> {
///         Box::pin(async move {
///             let mut map = self.map()?;
///             let hit = map.get(key).is_some_and(|t| t.access_token == stale);
///             if hit {
///                 map.remove(key);
///             }
///             Ok(hit)
///         })
///     }
/// }
///
/// let store = std::sync::Arc::new(Shared::default());
/// let client = yundong_sdk::Client::builder("wx0123456789abcdef", "secret").token_store(store).build()?;
/// # Ok::<(), yundong_sdk::Error>(())
/// ```
pub trait TokenStore: Send + Sync + 'static {
    /// The stored token, if any.
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<CachedToken>, TokenStoreError>>;

    /// Store a freshly fetched token.
    fn save<'a>(&'a self, key: &'a str, token: CachedToken) -> BoxFuture<'a, Result<(), TokenStoreError>>;

    /// Remove the stored token only if it is still `stale` (the one the server refused). Returns whether it did.
    fn expire_if<'a>(&'a self, key: &'a str, stale: &'a str) -> BoxFuture<'a, Result<bool, TokenStoreError>>;

    /// Try to take the cross-process refresh lock for `key`, held at most `ttl`. `Ok(false)`: another process is
    /// refreshing; the client then waits for it to save a token (bounded), and refreshes itself if none appears.
    fn try_lock_refresh<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool, TokenStoreError>> {
        let _ = (key, ttl);
        Box::pin(async { Ok(true) })
    }

    /// Release the lock taken by [`TokenStore::try_lock_refresh`].
    fn unlock_refresh<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), TokenStoreError>> {
        let _ = key;
        Box::pin(async { Ok(()) })
    }
}

/// An in-process token store. Share one `Arc<MemoryTokenStore>` between clients to share tokens.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<HashMap<String, CachedToken>>,
}

impl MemoryTokenStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, CachedToken>) -> T) -> Result<T, TokenStoreError> {
        // A poisoned lock means a panic elsewhere while holding it; the map itself is still consistent.
        let mut guard = match self.tokens.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        Ok(f(&mut guard))
    }
}

impl TokenStore for MemoryTokenStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<CachedToken>, TokenStoreError>> {
        let result = self.with(|m| m.get(key).cloned());
        Box::pin(async move { result })
    }

    fn save<'a>(&'a self, key: &'a str, token: CachedToken) -> BoxFuture<'a, Result<(), TokenStoreError>> {
        let result = self.with(|m| {
            m.insert(key.to_owned(), token);
        });
        Box::pin(async move { result })
    }

    fn expire_if<'a>(&'a self, key: &'a str, stale: &'a str) -> BoxFuture<'a, Result<bool, TokenStoreError>> {
        let result = self.with(|m| {
            if m.get(key).is_some_and(|t| t.access_token == stale) {
                m.remove(key);
                true
            } else {
                false
            }
        });
        Box::pin(async move { result })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn refresh_point_is_ahead_of_expiry_but_not_in_the_first_half() {
        let t = CachedToken::new("t".into(), 1000, 7200, Duration::from_secs(300));
        assert_eq!(t.expires_at, 8200);
        assert_eq!(t.refresh_at, 7900);
        assert!(t.is_fresh(7899));
        assert!(!t.is_fresh(7900));
        assert!(t.is_valid(7900, 60));
        assert!(!t.is_valid(8150, 60));
        let short = CachedToken::new("t".into(), 1000, 200, Duration::from_secs(300));
        assert_eq!(short.refresh_at, 1100);
        let negative = CachedToken::new("t".into(), 1000, -5, Duration::from_secs(300));
        assert_eq!((negative.expires_at, negative.refresh_at), (1000, 1000));
        assert!(!negative.is_fresh(1000));
        let huge = CachedToken::new("t".into(), i64::MAX - 1, i64::MAX, Duration::MAX);
        assert_eq!(huge.expires_at, i64::MAX);
    }

    #[test]
    fn debug_hides_the_token() {
        let t = CachedToken::new("secret-token".into(), 0, 10, Duration::ZERO);
        assert!(!format!("{t:?}").contains("secret-token"));
    }

    #[tokio::test]
    async fn memory_store_compare_then_expire() {
        let s = MemoryTokenStore::new();
        assert_eq!(s.load("k").await.unwrap(), None);
        let t = CachedToken::new("a".into(), 0, 100, Duration::ZERO);
        s.save("k", t.clone()).await.unwrap();
        assert_eq!(s.load("k").await.unwrap(), Some(t));
        assert!(!s.expire_if("k", "b").await.unwrap());
        assert!(s.load("k").await.unwrap().is_some());
        assert!(s.expire_if("k", "a").await.unwrap());
        assert_eq!(s.load("k").await.unwrap(), None);
        assert!(!s.expire_if("k", "a").await.unwrap());
        assert!(s.try_lock_refresh("k", Duration::from_secs(1)).await.unwrap());
        s.unlock_refresh("k").await.unwrap();
    }
}
