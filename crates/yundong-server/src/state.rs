//! Shared state handed to every handler. No process-global state: tests run many servers in one process.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use yundong_store::{AppRow, Store, StoreError};

use crate::cache::{Caches, Stamp};
use crate::clock::Clock;
use crate::config::Config;
use crate::journal::Journal;
use crate::metrics::{Metrics, StepMetrics};
use crate::service::steps::StepWriter;
use crate::{admin_auth, secrets};

/// The admin token in force: fixed by `YUNDONG_ADMIN_TOKEN` for the life of the process (its SHA-256), or the hash
/// stored in the database, read on each admin request so that a reset reaches every running node.
#[derive(Clone, Debug)]
pub enum AdminToken {
    Fixed(Arc<str>),
    Stored,
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: Arc<Clock>,
    /// Where the admin bearer token in force is (see `admin_auth`).
    pub admin_token: AdminToken,
    /// Failed admin authentications on this node, by client address.
    pub admin_failures: Arc<admin_auth::Failures>,
    /// This node's group-committing step writer.
    pub steps: StepWriter,
    /// The deployment's key for sealing cloudIDs (stored in the database, the same on every node).
    pub cloud_key: Arc<[u8; 32]>,
    /// Answers cached on this node, kept coherent through the database's change feed.
    pub cache: Arc<Caches>,
    /// This node's Prometheus metrics (its own registry).
    pub metrics: Arc<Metrics>,
    /// This node's request-journal writer.
    pub journal: Journal,
    apps: Arc<AppCache>,
    /// User ids by token digest, each with the feed stamp it was read at. A token is replaced by `reset_user_token`,
    /// whose trigger appends the user's token key to the feed, so an entry holds only while the feed shows no
    /// replaced token for its user since.
    /// Bounded: cleared when it reaches `USER_CACHE_MAX` entries.
    user_ids: Arc<RwLock<TokenUsers>>,
}

const USER_CACHE_MAX: usize = 200_000;

/// User ids (with the feed stamp they were read at) by the SHA-256 of their client token.
type TokenUsers = HashMap<[u8; 32], (i64, Stamp)>;

/// App rows by appid and by id, each with the feed stamp it was read at. An app's secret and device capability can
/// change; such a change appends the app's negated id to the change feed (migration 0006), so an entry holds only
/// while the feed shows no change to it since. Only hits are cached, so an app created through another node is
/// found in the database.
#[derive(Default)]
struct AppCache {
    by_appid: RwLock<HashMap<String, (Arc<AppRow>, Stamp)>>,
    by_id: RwLock<HashMap<i64, (Arc<AppRow>, Stamp)>>,
}

/// The key under which the change feed records a change to the app with internal id `id`.
fn app_key(id: i64) -> [i64; 1] {
    [-id]
}

/// The key under which the change feed records a replaced token of user `id` (migration 0006): apart from the
/// user's own key, which every write concerning the user (a step upload …) appends, so that uploads do not void the
/// cached token → user mapping they rely on.
fn token_key(id: i64) -> [i64; 1] {
    [-(1_i64 << 62) - id]
}

impl AppCache {
    fn put(&self, app: &Arc<AppRow>, stamp: Stamp) {
        if let Ok(mut m) = self.by_appid.write() {
            if m.len() >= APP_CACHE_MAX {
                m.clear();
            }
            m.insert(app.appid.clone(), (app.clone(), stamp));
        }
        if let Ok(mut m) = self.by_id.write() {
            if m.len() >= APP_CACHE_MAX {
                m.clear();
            }
            m.insert(app.id, (app.clone(), stamp));
        }
    }
}

const APP_CACHE_MAX: usize = 100_000;

impl AppState {
    /// Build the state; starts the step writer, so call it inside a tokio runtime.
    pub fn new(store: Store, config: Config, admin_token: AdminToken, cloud_key: [u8; 32]) -> Self {
        let step_metrics = StepMetrics::default();
        let steps = StepWriter::start(store.clone(), step_metrics.clone());
        let cache = Arc::new(Caches::new(store.clone(), &config));
        let clock = Arc::new(Clock::default());
        if config.shared_clock() {
            cache.feed.follow_clock(clock.clone());
        }
        let journal = Journal::start(
            store.clone(),
            clock.clone(),
            config.journal_size,
            config.journal_max_age,
        );
        AppState {
            journal,
            steps,
            metrics: Arc::new(Metrics::new(store.clone(), cache.clone(), &step_metrics)),
            cache,
            store,
            config: Arc::new(config),
            clock,
            admin_token,
            admin_failures: Arc::default(),
            cloud_key: Arc::new(cloud_key),
            apps: Arc::default(),
            user_ids: Arc::default(),
        }
    }

    /// Load the deployment's keys from the database (creating them at first start) and build the state. Returns the
    /// plaintext of a newly generated admin token, for the caller to print once.
    pub async fn open(
        store: Store,
        config: Config,
        admin_token_from_env: Option<&str>,
    ) -> Result<(AppState, Option<String>), StoreError> {
        let (admin_hash, fresh) = crate::admin_token(&store, admin_token_from_env).await?;
        let admin_token = if admin_token_from_env.is_some_and(|t| !t.is_empty()) {
            AdminToken::Fixed(admin_hash.into())
        } else {
            AdminToken::Stored
        };
        let stored = store
            .setting_or_insert("cloud_id_key", &hex::encode(secrets::key16_pair()))
            .await?;
        let cloud_key: [u8; 32] =
            hex::decode(&stored)
                .ok()
                .and_then(|k| k.try_into().ok())
                .ok_or(StoreError::Invalid(
                    "the stored cloud_id_key is not 32 hex-encoded bytes",
                ))?;
        let state = AppState::new(store, config, admin_token, cloud_key);
        if state.config.shared_clock() {
            state.clock.set_offset(state.store.clock_offset().await?);
        }
        Ok((state, fresh))
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Count one call against `key` in the current calendar minute (in the database, so every node counts);
    /// true while the count stays within `limit`.
    pub async fn within_minute_limit(&self, key: &str, limit: i64) -> Result<bool, StoreError> {
        let now = self.now();
        Ok(self.store.bump_counter(key, now - now.rem_euclid(60)).await? <= limit)
    }

    /// The user a client bearer token belongs to: this node's copy while the change feed shows no change to the user
    /// (a token reset is one), else from the database. The feed is synced first, so a token replaced through any
    /// node before this request arrived is refused.
    pub async fn user_id_for_token(&self, token: &str) -> Result<Option<i64>, StoreError> {
        let feed = &self.cache.feed;
        let stamp = feed.sync().await?;
        let digest = yundong_proto::crypto::sha256(token.as_bytes());
        let cached = self.user_ids.read().ok().and_then(|m| m.get(&digest).copied());
        if let Some((id, at)) = cached
            && feed.holds(at, &token_key(id))
        {
            return Ok(Some(id));
        }
        let Some(user) = self.store.user_by_token_hash(&hex::encode(digest)).await? else {
            return Ok(None);
        };
        if let Ok(mut m) = self.user_ids.write() {
            if m.len() >= USER_CACHE_MAX {
                m.clear();
            }
            m.insert(digest, (user.id, stamp));
        }
        Ok(Some(user.id))
    }

    /// The app with this appid: this node's copy while the change feed shows no change to the app, else from the
    /// database (after syncing with the feed, so a secret reset through any node is seen).
    pub async fn app_by_appid(&self, appid: &str) -> Result<Option<Arc<AppRow>>, StoreError> {
        let cached = |c: &AppCache| c.by_appid.read().ok().and_then(|m| m.get(appid).cloned());
        self.app_through_cache(cached, self.store.app_by_appid(appid)).await
    }

    /// The app with this internal id, cached as [`AppState::app_by_appid`].
    pub async fn app_by_id(&self, id: i64) -> Result<Option<Arc<AppRow>>, StoreError> {
        let cached = |c: &AppCache| c.by_id.read().ok().and_then(|m| m.get(&id).cloned());
        self.app_through_cache(cached, self.store.app_by_id(id)).await
    }

    /// Sync with the feed; then the app `cached` finds if no change to it was seen since it was read, else the one
    /// `load` reads (kept, stamped with the sync).
    async fn app_through_cache(
        &self,
        cached: impl FnOnce(&AppCache) -> Option<(Arc<AppRow>, Stamp)>,
        load: impl Future<Output = Result<Option<AppRow>, StoreError>>,
    ) -> Result<Option<Arc<AppRow>>, StoreError> {
        let feed = &self.cache.feed;
        let stamp = feed.sync().await?;
        if let Some((app, at)) = cached(&self.apps)
            && feed.holds(at, &app_key(app.id))
        {
            return Ok(Some(app));
        }
        let app = load.await?.map(Arc::new);
        if let Some(app) = &app {
            self.apps.put(app, stamp);
        }
        Ok(app)
    }
}
