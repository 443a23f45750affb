//! The [`Client`]: configuration, the access-token cache, and the request plumbing (bounded retries, errcode
//! classification). The WeChat calls themselves are in [`crate::api`].

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use yundong_proto::ErrCode;
use yundong_proto::day::DayZone;

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result, TransportErrorKind};
use crate::http::{HttpRequest, HttpTransport, Method, ReqwestTransport};
use crate::opendata::Decryptor;
use crate::response::parse_response;
use crate::token::{CachedToken, MemoryTokenStore, TokenKind, TokenStore};

/// WeChat's API host: the default base URL, and the only absolute URL in this crate.
pub const DEFAULT_BASE_URL: &str = "https://api.weixin.qq.com";

/// How often, and how patiently, a call is retried after `-1 system error`, an HTTP 5xx, or a transport error that
/// a retry can fix. Each call makes at most `1 + max_retries` attempts (plus one more after a token refresh on
/// 40001 / 42001), sleeping `base_delay · 2^n` (at most `max_delay`, with jitter) in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub const NONE: RetryPolicy = RetryPolicy {
        max_retries: 0,
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
    };

    /// The pause before retry number `retry` (0-based): exponential, capped, with 50–100 % jitter.
    pub fn delay(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1_u32.checked_shl(retry.min(16)).unwrap_or(u32::MAX));
        let capped = exp.min(self.max_delay).min(Duration::from_secs(3600));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        // 50 % fixed + 0–50 % from the clock's low bits: spreads simultaneous retries of many callers.
        let jitter = f64::from(nanos % 1000) / 2000.0;
        capped.mul_f64(0.5 + jitter)
    }
}

/// Builds a [`Client`]. Start from [`Client::builder`].
pub struct ClientBuilder {
    appid: String,
    secret: String,
    base_url: String,
    transport: Option<Arc<dyn HttpTransport>>,
    timeout: Duration,
    store: Option<Arc<dyn TokenStore>>,
    token_kind: TokenKind,
    refresh_ahead: Duration,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    zone: DayZone,
    max_data_age: Option<Duration>,
    lock_wait: Duration,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("appid", &self.appid)
            .field("secret", &"***")
            .field("base_url", &self.base_url)
            .field("token_kind", &self.token_kind)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The server to talk to, e.g. `http://127.0.0.1:8080` for a local yundong. Every request goes to this base
    /// plus a path; a path prefix (a reverse proxy's `/wechat`) is kept.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Send requests through this transport instead of the default [`ReqwestTransport`].
    pub fn transport(mut self, transport: impl HttpTransport) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// Send requests through a shared transport.
    pub fn shared_transport(mut self, transport: Arc<dyn HttpTransport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The per-request timeout of the default transport (10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Where access tokens are kept (default: a fresh [`MemoryTokenStore`] per client). Share one store between
    /// clients, or implement [`TokenStore`] over shared storage, to share tokens between processes.
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The access-token family (default [`TokenKind::Stable`]).
    pub fn token_kind(mut self, kind: TokenKind) -> Self {
        self.token_kind = kind;
        self
    }

    /// How long before expiry a token is refreshed (default 5 minutes; never in the first half of its life).
    pub fn refresh_ahead(mut self, ahead: Duration) -> Self {
        self.refresh_ahead = ahead;
        self
    }

    /// Retries after `-1`, HTTP 5xx and transport errors (default: 2 retries, 200 ms doubling, capped at 2 s).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The clock of token expiry and watermark age (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The day zone of decrypted WeRun data (default UTC+8).
    pub fn day_zone(mut self, zone: DayZone) -> Self {
        self.zone = zone;
        self
    }

    /// Refuse decrypted data whose watermark is older than this (default: no limit).
    pub fn max_data_age(mut self, max_age: Duration) -> Self {
        self.max_data_age = Some(max_age);
        self
    }

    /// How long to wait for another process holding the store's refresh lock before refreshing anyway (3 s).
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// Check the configuration and build the client.
    pub fn build(self) -> Result<Client> {
        if self.appid.trim().is_empty() {
            return Err(Error::Config("appid is empty".into()));
        }
        if self.secret.is_empty() {
            return Err(Error::Config("secret is empty".into()));
        }
        let base_url = normalise_base_url(&self.base_url)?;
        let transport = match self.transport {
            Some(t) => t,
            None => Arc::new(ReqwestTransport::with_timeout(self.timeout)?),
        };
        let mut decryptor = Decryptor::new(self.appid.clone())
            .with_zone(self.zone)
            .with_shared_clock(self.clock.clone());
        if let Some(age) = self.max_data_age {
            decryptor = decryptor.with_max_age(age);
        }
        let token_key = format!("{}:{}", self.appid, self.token_kind.as_str());
        Ok(Client {
            inner: Arc::new(Inner {
                appid: self.appid,
                secret: self.secret,
                base_url,
                transport,
                store: self.store.unwrap_or_else(|| Arc::new(MemoryTokenStore::new())),
                token_kind: self.token_kind,
                token_key,
                refresh_ahead: self.refresh_ahead,
                retry: self.retry,
                clock: self.clock,
                decryptor,
                lock_wait: self.lock_wait,
                refresh_lock: tokio::sync::Mutex::new(()),
                soft_refresh_after: AtomicI64::new(i64::MIN),
            }),
        })
    }
}

/// `http(s)://host[:port][/prefix]` without a trailing slash, query or fragment.
fn normalise_base_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| Error::Config(format!("base_url {url:?} must start with http:// or https://")))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(Error::Config(format!("base_url {url:?} has no host")));
    }
    if rest.contains(['?', '#', ' ', '@']) {
        return Err(Error::Config(format!(
            "base_url {url:?} must not hold a query, fragment, credentials or spaces"
        )));
    }
    Ok(url.to_owned())
}

/// A WeChat-API client for one mini program: cheap to clone (clones share the token cache and connections).
///
/// ```
/// use std::time::Duration;
/// use yundong_sdk::{Client, RetryPolicy, TokenKind};
///
/// let client = Client::builder("wx0123456789abcdef", "app-secret")
///     .base_url("http://127.0.0.1:8080")          // a local yundong; the default is WeChat's host
///     .token_kind(TokenKind::Stable)               // the default
///     .refresh_ahead(Duration::from_secs(300))     // the default
///     .retry(RetryPolicy { max_retries: 3, ..RetryPolicy::default() })
///     .timeout(Duration::from_secs(5))
///     .build()?;
/// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
/// # Ok::<(), yundong_sdk::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) appid: String,
    pub(crate) secret: String,
    base_url: String,
    transport: Arc<dyn HttpTransport>,
    store: Arc<dyn TokenStore>,
    token_kind: TokenKind,
    token_key: String,
    refresh_ahead: Duration,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    pub(crate) decryptor: Decryptor,
    lock_wait: Duration,
    /// One refresh in flight per client: the others wait for it (or keep using a still-valid token).
    refresh_lock: tokio::sync::Mutex<()>,
    /// After a failed early refresh, callers keep the still-valid token until this time instead of hammering.
    soft_refresh_after: AtomicI64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("appid", &self.inner.appid)
            .field("secret", &"***")
            .field("base_url", &self.inner.base_url)
            .field("token_kind", &self.inner.token_kind)
            .finish_non_exhaustive()
    }
}

/// Whether repeating a request can do harm if the first one reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// Safe to repeat (reads, absolute writes).
    Idempotent,
    /// Repeat only if it surely never arrived (connect errors), or WeChat said it was busy (-1).
    NonIdempotent,
}

/// A call, before the access token is added.
#[derive(Clone)]
pub(crate) struct Call {
    pub method: Method,
    pub path: &'static str,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
    pub idempotency: Idempotency,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
}

/// Seconds of validity a token must still have to be used while its refresh fails.
const VALIDITY_MARGIN: i64 = 30;
/// How long callers keep a still-valid token after a failed early refresh before trying again.
const SOFT_REFRESH_BACKOFF: i64 = 10;
/// How long the store's refresh lock is held at most.
const LOCK_TTL: Duration = Duration::from_secs(30);
/// How often to look for another process's token while it holds the refresh lock.
const LOCK_POLL: Duration = Duration::from_millis(50);

impl Client {
    /// A builder for the mini program `appid` with its AppSecret. Defaults: WeChat's base URL, stable tokens in
    /// memory, 2 retries, UTC+8 days.
    pub fn builder(appid: impl Into<String>, secret: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            appid: appid.into(),
            secret: secret.into(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            transport: None,
            timeout: ReqwestTransport::DEFAULT_TIMEOUT,
            store: None,
            token_kind: TokenKind::default(),
            refresh_ahead: Duration::from_secs(300),
            retry: RetryPolicy::default(),
            clock: Arc::new(SystemClock),
            zone: DayZone::CHINA,
            max_data_age: None,
            lock_wait: Duration::from_secs(3),
        }
    }

    /// The mini program's appid.
    pub fn appid(&self) -> &str {
        &self.inner.appid
    }

    /// The base URL every request goes to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The access-token family in use.
    pub fn token_kind(&self) -> TokenKind {
        self.inner.token_kind
    }

    /// The decryptor for this app's open data (appid checked, the configured zone and age limit).
    pub fn decryptor(&self) -> &Decryptor {
        &self.inner.decryptor
    }

    pub(crate) fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    // ---------------------------------------------------------------------------------------------------------
    // Access tokens

    /// A valid access token: from the store if fresh, otherwise fetched (one fetch in flight per client; other
    /// callers wait for it). A token due for refresh but still valid is refreshed by one caller while the others
    /// keep using it. The SDK's own calls get their token this way; use it for calls the SDK does not wrap.
    ///
    /// ```no_run
    /// # async fn run(client: yundong_sdk::Client) -> Result<(), yundong_sdk::Error> {
    /// // 20 concurrent callers, one token request.
    /// let calls = (0..20).map(|_| {
    ///     let client = client.clone();
    ///     tokio::spawn(async move { client.access_token().await })
    /// });
    /// for call in calls {
    ///     let token = call.await.map_err(|e| yundong_sdk::Error::Config(e.to_string()))??;
    ///     assert!(!token.is_empty());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn access_token(&self) -> Result<String> {
        Ok(self.token().await?.access_token)
    }

    /// Fetch a new token now, whatever the cache holds. With stable tokens this is `force_refresh: true`, which
    /// WeChat allows 20 times a day (45009 beyond); within 30 s of the previous forced refresh it does not refresh
    /// and answers the current token. Use it only when a token is known to be bad.
    ///
    /// ```no_run
    /// # async fn run(client: yundong_sdk::Client) -> Result<(), yundong_sdk::Error> {
    /// match client.force_refresh().await {
    ///     Ok(token) => println!("new token, {} characters", token.len()),
    ///     Err(e) if e.is_rate_limited() => println!("no forced refreshes left today"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn force_refresh(&self) -> Result<String> {
        let _guard = self.inner.refresh_lock.lock().await;
        let token = self.fetch_token(true).await?;
        self.inner.store.save(&self.inner.token_key, token.clone()).await?;
        Ok(token.access_token)
    }

    pub(crate) async fn token(&self) -> Result<CachedToken> {
        let inner = &self.inner;
        let now = self.now();
        if let Some(cached) = inner.store.load(&inner.token_key).await? {
            if cached.is_fresh(now) {
                return Ok(cached);
            }
            if cached.is_valid(now, VALIDITY_MARGIN) {
                // Due for refresh but still good: one caller refreshes, the rest carry on with it.
                if now < inner.soft_refresh_after.load(Ordering::Relaxed) {
                    return Ok(cached);
                }
                let Ok(_guard) = inner.refresh_lock.try_lock() else {
                    return Ok(cached);
                };
                return match self.refresh_locked(now).await {
                    Ok(t) => Ok(t),
                    Err(_) if cached.is_valid(self.now(), VALIDITY_MARGIN) => {
                        inner
                            .soft_refresh_after
                            .store(self.now().saturating_add(SOFT_REFRESH_BACKOFF), Ordering::Relaxed);
                        Ok(cached)
                    }
                    Err(e) => Err(e),
                };
            }
        }
        let _guard = inner.refresh_lock.lock().await;
        // Whoever held the lock before us may have refreshed already.
        if let Some(cached) = inner.store.load(&inner.token_key).await?
            && cached.is_fresh(self.now())
        {
            return Ok(cached);
        }
        self.refresh_locked(self.now()).await
    }

    /// Refresh while holding the in-process lock: take the store's lock (or wait, bounded, for the process holding
    /// it to save a token), fetch, save.
    async fn refresh_locked(&self, started: i64) -> Result<CachedToken> {
        let inner = &self.inner;
        let locked = inner.store.try_lock_refresh(&inner.token_key, LOCK_TTL).await?;
        if !locked {
            let polls = (inner.lock_wait.as_millis() / LOCK_POLL.as_millis()).max(1);
            for _ in 0..polls {
                tokio::time::sleep(LOCK_POLL).await;
                if let Some(t) = inner.store.load(&inner.token_key).await?
                    && t.is_fresh(self.now())
                    && t.refresh_at > started
                {
                    return Ok(t);
                }
            }
        }
        let fetched = self.fetch_token(false).await;
        let saved = match fetched {
            Ok(token) => inner
                .store
                .save(&inner.token_key, token.clone())
                .await
                .map(|()| token)
                .map_err(Error::from),
            Err(e) => Err(e),
        };
        if locked {
            // Failing to unlock only delays other processes until the lock's TTL.
            let _ = inner.store.unlock_refresh(&inner.token_key).await;
        }
        saved
    }

    async fn fetch_token(&self, force: bool) -> Result<CachedToken> {
        let inner = &self.inner;
        let call = match inner.token_kind {
            TokenKind::Stable => Call {
                method: Method::Post,
                path: "/cgi-bin/stable_token",
                query: Vec::new(),
                body: Some(
                    json!({
                        "grant_type": "client_credential",
                        "appid": inner.appid,
                        "secret": inner.secret,
                        "force_refresh": force,
                    })
                    .to_string()
                    .into_bytes(),
                ),
                idempotency: if force {
                    Idempotency::NonIdempotent
                } else {
                    Idempotency::Idempotent
                },
            },
            TokenKind::Normal => Call {
                method: Method::Get,
                path: "/cgi-bin/token",
                query: vec![
                    ("grant_type", "client_credential".to_owned()),
                    ("appid", inner.appid.clone()),
                    ("secret", inner.secret.clone()),
                ],
                body: None,
                idempotency: Idempotency::Idempotent,
            },
        };
        let answer: TokenAnswer = self.send(call, None).await?;
        if answer.access_token.is_empty() {
            return Err(Error::Decode {
                path: "/cgi-bin/token",
                message: "empty access_token".into(),
            });
        }
        // wechatpy assumes 7200 when expires_in is missing; so do we.
        let expires_in = answer.expires_in.unwrap_or(7200);
        Ok(CachedToken::new(
            answer.access_token,
            self.now(),
            expires_in,
            inner.refresh_ahead,
        ))
    }

    // ---------------------------------------------------------------------------------------------------------
    // Requests

    /// Send a call that needs an access token. On 40001 / 40014 / 42001 the token is expired in the store only if
    /// it is still the one that failed (compare-then-expire), then the call is retried once with the current token;
    /// never a second time.
    pub(crate) async fn send_with_token<T: DeserializeOwned>(&self, call: Call) -> Result<T> {
        let token = self.token().await?;
        let first = self.send(call.clone(), Some(&token.access_token)).await;
        match first {
            Err(e) if e.is_token_rejected() => {
                let inner = &self.inner;
                inner.store.expire_if(&inner.token_key, &token.access_token).await?;
                let fresh = self.token().await?;
                if fresh.access_token == token.access_token {
                    // The server hands out the token it just refused: retrying cannot help.
                    return Err(e);
                }
                self.send(call, Some(&fresh.access_token)).await
            }
            other => other,
        }
    }

    /// Send one call, retrying per the [`RetryPolicy`] on -1, HTTP 5xx and retryable transport errors.
    pub(crate) async fn send<T: DeserializeOwned>(&self, call: Call, token: Option<&str>) -> Result<T> {
        let inner = &self.inner;
        let mut query = Vec::with_capacity(call.query.len() + 1);
        if let Some(token) = token {
            query.push(("access_token", token.to_owned()));
        }
        query.extend(call.query);
        let request = HttpRequest {
            method: call.method,
            url: format!("{}{}", inner.base_url, call.path),
            query,
            json_body: call.body,
        };
        let mut retry = 0;
        loop {
            let outcome = match inner.transport.send(request.clone()).await {
                Ok(response) => parse_response::<T>(call.path, &response),
                Err(e) => Err(Error::Transport(e)),
            };
            let retryable = match &outcome {
                Ok(_) => false,
                Err(Error::Api { code, .. }) => *code == ErrCode::SystemError,
                Err(Error::HttpStatus { status, .. }) => {
                    matches!(status, 502..=504) || (*status >= 500 && call.idempotency == Idempotency::Idempotent)
                }
                Err(Error::Transport(e)) => {
                    e.kind() == TransportErrorKind::Connect
                        || (call.idempotency == Idempotency::Idempotent
                            && matches!(e.kind(), TransportErrorKind::Timeout | TransportErrorKind::Other))
                }
                Err(_) => false,
            };
            if !retryable || retry >= inner.retry.max_retries {
                return outcome;
            }
            tokio::time::sleep(inner.retry.delay(retry)).await;
            retry += 1;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            normalise_base_url("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(normalise_base_url(" https://h/prefix// ").unwrap(), "https://h/prefix");
        for bad in [
            "",
            "ftp://h",
            "http://",
            "http:///x",
            "http://h?x=1",
            "http://u@h",
            "127.0.0.1:80",
        ] {
            assert!(matches!(normalise_base_url(bad), Err(Error::Config(_))), "{bad}");
        }
    }

    #[test]
    fn retry_delays_are_bounded() {
        let p = RetryPolicy::default();
        for n in 0..100 {
            let d = p.delay(n);
            assert!(d <= p.max_delay, "{d:?}");
        }
        assert!(p.delay(0) >= Duration::from_millis(100));
        assert_eq!(RetryPolicy::NONE.delay(5), Duration::ZERO);
        let huge = RetryPolicy {
            max_retries: 1,
            base_delay: Duration::MAX,
            max_delay: Duration::MAX,
        };
        let _ = huge.delay(u32::MAX);
    }

    #[test]
    fn builder_checks_configuration() {
        assert!(matches!(Client::builder("", "s").build(), Err(Error::Config(_))));
        assert!(matches!(
            Client::builder("wx0123456789abcdef", "").build(),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            Client::builder("wx0123456789abcdef", "s")
                .base_url("localhost:1")
                .build(),
            Err(Error::Config(_))
        ));
        let c = Client::builder("wx0123456789abcdef", "s3cr3t")
            .base_url("http://127.0.0.1:9/")
            .build()
            .unwrap();
        assert_eq!(c.base_url(), "http://127.0.0.1:9");
        assert_eq!(c.appid(), "wx0123456789abcdef");
        assert_eq!(c.token_kind(), TokenKind::Stable);
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert_eq!(Client::builder("a", "b").base_url, DEFAULT_BASE_URL);
    }
}
