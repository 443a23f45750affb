//! Shared state handed to every handler: the node's domain state ([`Core`], reached through `Deref`) plus what only
//! the HTTP server has. No process-global state: tests run many servers in one process.

use std::ops::Deref;
use std::sync::Arc;

use yundong_core::{Config, Core};
use yundong_store::{Store, StoreError};

use crate::admin_auth;
use crate::journal::Journal;
use crate::metrics::{Metrics, StepMetrics};

/// The admin token in force: fixed by `YUNDONG_ADMIN_TOKEN` for the life of the process (its SHA-256), or the hash
/// stored in the database, read on each admin request so that a reset reaches every running node.
#[derive(Clone, Debug)]
pub enum AdminToken {
    Fixed(Arc<str>),
    Stored,
}

#[derive(Clone)]
pub struct AppState {
    /// The node's domain state: store, config, clock, step writer, caches.
    pub core: Core,
    /// Where the admin bearer token in force is (see `admin_auth`).
    pub admin_token: AdminToken,
    /// Failed admin authentications on this node, by client address.
    pub admin_failures: Arc<admin_auth::Failures>,
    /// This node's Prometheus metrics (its own registry).
    pub metrics: Arc<Metrics>,
    /// This node's request-journal writer.
    pub journal: Journal,
    /// This node's copy of the deployment's fault rules.
    pub faults: Arc<crate::faults::Faults>,
}

impl Deref for AppState {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}

impl AppState {
    /// Build the state around `core`; starts the journal writer, so call it inside a tokio runtime.
    fn around(core: Core, step_metrics: &StepMetrics, admin_token: AdminToken) -> Self {
        let journal = Journal::start(
            core.store.clone(),
            core.clock.clone(),
            core.config.journal_size,
            core.config.journal_max_age,
        );
        AppState {
            metrics: Arc::new(Metrics::new(core.store.clone(), core.cache.clone(), step_metrics)),
            journal,
            faults: Arc::default(),
            core,
            admin_token,
            admin_failures: Arc::default(),
        }
    }

    /// Build the state; starts the step and journal writers, so call it inside a tokio runtime.
    pub fn new(store: Store, config: Config, admin_token: AdminToken, cloud_key: [u8; 32]) -> Self {
        let step_metrics = StepMetrics::default();
        let core = Core::new(store, config, cloud_key, Arc::new(step_metrics.clone()));
        AppState::around(core, &step_metrics, admin_token)
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
        let step_metrics = StepMetrics::default();
        let core = Core::open(store, config, Arc::new(step_metrics.clone())).await?;
        Ok((AppState::around(core, &step_metrics, admin_token), fresh))
    }
}
