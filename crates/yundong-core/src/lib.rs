//! The WeRun domain, without HTTP: accounts, steps and the step writer, open data and cloudIDs, the ranking and its
//! social rules, share cards, quotas, secrets, the clock and the configuration, and the per-node caches kept true by
//! the database's change feed ([`cache`]).
//!
//! [`Core`] holds one node's domain state; every surface (the HTTP server's WeChat-compatible, client and admin APIs,
//! the CLI, the test harness) calls the operations here with typed inputs and maps their typed errors to its own
//! wire format. It depends on `yundong-proto` and `yundong-store`, never on an HTTP framework.

pub mod accounts;
pub mod cache;
pub mod checkins;
pub mod clock;
pub mod config;
pub mod error;
pub mod grants;
pub mod journal;
pub mod opendata;
pub mod quotas;
pub mod ranking;
pub mod ranking_page;
pub mod scenario;
pub mod secrets;
pub mod sessions;
pub mod share;
pub mod share_cards;
pub mod steps;
pub mod tokens;
pub mod werun;

use std::sync::Arc;

use yundong_store::{AppId, AppRow, Store, StoreError, UserId};

pub use cache::{Caches, Stamp};
pub use clock::Clock;
pub use config::{Config, Limits};
pub use error::Error;
pub use steps::{StepObserver, StepWriter};

use cache::accounts::{Apps, TokenUsers, app_key, token_key};

/// One node's domain state. Cheap to clone (everything is shared).
#[derive(Clone)]
pub struct Core {
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: Arc<Clock>,
    /// This node's group-committing step writer.
    pub steps: StepWriter,
    /// The deployment's key for sealing cloudIDs (stored in the database, the same on every node).
    pub cloud_key: Arc<[u8; 32]>,
    /// Answers cached on this node, kept coherent through the database's change feed.
    pub cache: Arc<Caches>,
    apps: Arc<Apps>,
    /// User ids by token digest (see [`cache::accounts`]).
    user_ids: Arc<TokenUsers>,
}

impl Core {
    /// Build the node's state; starts the step writer, so call it inside a tokio runtime.
    pub fn new(store: Store, config: Config, cloud_key: [u8; 32], steps: Arc<dyn StepObserver>) -> Core {
        let cache = Arc::new(Caches::new(store.clone(), &config));
        let clock = Arc::new(Clock::default());
        if config.shared_clock() {
            // One clock for the deployment: the node's copy of the stored offset, reloaded through the change feed.
            cache.feed.follow_clock(clock.clone());
        }
        Core {
            steps: StepWriter::start(store.clone(), steps),
            cache,
            store,
            config: Arc::new(config),
            clock,
            cloud_key: Arc::new(cloud_key),
            apps: Arc::default(),
            user_ids: Arc::default(),
        }
    }

    /// Load the deployment's cloudID key from the database (creating it at first start) and build the state.
    pub async fn open(store: Store, config: Config, steps: Arc<dyn StepObserver>) -> Result<Core, StoreError> {
        let cloud_key = cloud_key(&store).await?;
        let core = Core::new(store, config, cloud_key, steps);
        if core.config.shared_clock() {
            core.clock.set_offset(core.store.clock_offset().await?);
        }
        Ok(core)
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
    pub async fn user_id_for_token(&self, token: &str) -> Result<Option<UserId>, StoreError> {
        let feed = &self.cache.feed;
        let stamp = feed.sync().await?;
        let digest = yundong_proto::crypto::sha256(token.as_bytes());
        if let Some((id, at)) = self.user_ids.get(&digest)
            && feed.holds(at, &token_key(id))
        {
            return Ok(Some(id));
        }
        let Some(user) = self.store.user_by_token_hash(&hex::encode(digest)).await? else {
            return Ok(None);
        };
        self.user_ids.put(digest, user.id, stamp);
        Ok(Some(user.id))
    }

    /// The app with this appid: this node's copy while the change feed shows no change to the app, else from the
    /// database (after syncing with the feed, so a secret reset through any node is seen).
    pub async fn app_by_appid(&self, appid: &str) -> Result<Option<Arc<AppRow>>, StoreError> {
        let cached = |c: &Apps| c.by_appid.read().ok().and_then(|m| m.get(appid).cloned());
        self.app_through_cache(cached, self.store.app_by_appid(appid)).await
    }

    /// The app with this internal id, cached as [`Core::app_by_appid`].
    pub async fn app_by_id(&self, id: AppId) -> Result<Option<Arc<AppRow>>, StoreError> {
        let cached = |c: &Apps| c.by_id.read().ok().and_then(|m| m.get(&id).cloned());
        self.app_through_cache(cached, self.store.app_by_id(id)).await
    }

    /// Sync with the feed; then the app `cached` finds if no change to it was seen since it was read, else the one
    /// `load` reads (kept, stamped with the sync).
    async fn app_through_cache(
        &self,
        cached: impl FnOnce(&Apps) -> Option<(Arc<AppRow>, Stamp)>,
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

/// The deployment's cloudID sealing key, generated and stored at first start (every node reads the same one).
async fn cloud_key(store: &Store) -> Result<[u8; 32], StoreError> {
    let stored = store
        .setting_or_insert("cloud_id_key", &hex::encode(secrets::key16_pair()))
        .await?;
    hex::decode(&stored)
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or(StoreError::Invalid(
            "the stored cloud_id_key is not 32 hex-encoded bytes",
        ))
}
