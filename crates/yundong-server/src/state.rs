//! Shared state handed to every handler. No process-global state: tests run many servers in one process.

use std::sync::Arc;

use yundong_store::Store;

use crate::clock::Clock;
use crate::config::Config;
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
}

impl AppState {
    /// Build the state; starts the step writer, so call it inside a tokio runtime.
    pub fn new(store: Store, config: Config, admin_token_hash: String) -> Self {
        let steps = StepWriter::start(store.clone());
        AppState {
            steps,
            store,
            config: Arc::new(config),
            clock: Arc::new(Clock::default()),
            admin_token_hash: admin_token_hash.into(),
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Count one call against `key` in the current calendar minute (in the database, so every node counts);
    /// true while the count stays within `limit`.
    pub async fn within_minute_limit(&self, key: &str, limit: i64) -> Result<bool, yundong_store::StoreError> {
        let now = self.now();
        Ok(self.store.bump_counter(key, now - now.rem_euclid(60)).await? <= limit)
    }
}
