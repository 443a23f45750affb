//! Shared state handed to every handler. No process-global state: tests run many servers in one process.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use yundong_store::{AppRow, Store, StoreError};

use crate::cache::Caches;
use crate::clock::Clock;
use crate::config::Config;
use crate::journal::Journal;
use crate::secrets;
use crate::service::steps::StepWriter;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: Arc<Clock>,
    /// SHA-256 of the admin bearer token.
    pub admin_token_hash: Arc<str>,
    /// This node's group-committing step writer.
    pub steps: StepWriter,
    /// The deployment's key for sealing cloudIDs (stored in the database, the same on every node).
    pub cloud_key: Arc<[u8; 32]>,
    /// Answers cached on this node, kept coherent through the database's change feed.
    pub cache: Arc<Caches>,
    /// This node's request-journal writer.
    pub journal: Journal,
    apps: Arc<AppCache>,
    /// User ids by token hash. A token never changes owner and users are never deleted, so a mapping read once stays
    /// true on every node. Bounded: cleared when it reaches `USER_CACHE_MAX` entries.
    user_ids: Arc<RwLock<HashMap<[u8; 32], i64>>>,
}

const USER_CACHE_MAX: usize = 200_000;

/// App rows by appid and by id. Apps never change once created (there is no update or delete), so a row read once
/// stays true on every node; only hits are cached, so an app created through another node is found in the database.
#[derive(Default)]
struct AppCache {
    by_appid: RwLock<HashMap<String, Arc<AppRow>>>,
    by_id: RwLock<HashMap<i64, Arc<AppRow>>>,
}

impl AppCache {
    fn put(&self, app: &Arc<AppRow>) {
        if let Ok(mut m) = self.by_appid.write() {
            m.insert(app.appid.clone(), app.clone());
        }
        if let Ok(mut m) = self.by_id.write() {
            m.insert(app.id, app.clone());
        }
    }
}

impl AppState {
    /// Build the state; starts the step writer, so call it inside a tokio runtime.
    pub fn new(store: Store, config: Config, admin_token_hash: String, cloud_key: [u8; 32]) -> Self {
        let steps = StepWriter::start(store.clone());
        let clock = Arc::new(Clock::default());
        let journal = Journal::start(
            store.clone(),
            clock.clone(),
            config.journal_size,
            config.journal_max_age,
        );
        AppState {
            journal,
            steps,
            cache: Arc::new(Caches::new(store.clone(), &config)),
            store,
            config: Arc::new(config),
            clock,
            admin_token_hash: admin_token_hash.into(),
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
        Ok((AppState::new(store, config, admin_hash, cloud_key), fresh))
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

    /// The user a client bearer token belongs to (cached once found).
    pub async fn user_id_for_token(&self, token: &str) -> Result<Option<i64>, StoreError> {
        let digest = yundong_proto::crypto::sha256(token.as_bytes());
        if let Some(id) = self.user_ids.read().ok().and_then(|m| m.get(&digest).copied()) {
            return Ok(Some(id));
        }
        let Some(user) = self.store.user_by_token_hash(&hex::encode(digest)).await? else {
            return Ok(None);
        };
        if let Ok(mut m) = self.user_ids.write() {
            if m.len() >= USER_CACHE_MAX {
                m.clear();
            }
            m.insert(digest, user.id);
        }
        Ok(Some(user.id))
    }

    /// The app with this appid (cached once found).
    pub async fn app_by_appid(&self, appid: &str) -> Result<Option<Arc<AppRow>>, StoreError> {
        if let Some(app) = self.apps.by_appid.read().ok().and_then(|m| m.get(appid).cloned()) {
            return Ok(Some(app));
        }
        let app = self.store.app_by_appid(appid).await?.map(Arc::new);
        if let Some(app) = &app {
            self.apps.put(app);
        }
        Ok(app)
    }

    /// The app with this internal id (cached once found).
    pub async fn app_by_id(&self, id: i64) -> Result<Option<Arc<AppRow>>, StoreError> {
        if let Some(app) = self.apps.by_id.read().ok().and_then(|m| m.get(&id).cloned()) {
            return Ok(Some(app));
        }
        let app = self.store.app_by_id(id).await?.map(Arc::new);
        if let Some(app) = &app {
            self.apps.put(app);
        }
        Ok(app)
    }
}
