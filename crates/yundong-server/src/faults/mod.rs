//! Fault rules (issue 13, migration 0008): calls to a path (and app) answered with an error, delayed, or dropped
//! instead of served, so a back end's retry paths can be tested.
//!
//! The rules live in the database, shared by every node. Each node keeps a copy, stamped with the change feed: adding
//! or removing a rule appends [`FAULTS_KEY`] to the feed, so the copy is reloaded by the first request that arrives
//! after the change committed, on any node. A request whose path no rule names pays one look at the copy (the feed
//! sync it shares with the handler's own cache lookups). A matching call is charged in the database by one atomic
//! update (see `Store::fault_charge`), so `times: N` fires exactly N times across nodes; with a probability below 1,
//! the call's number among the rule's matches is taken first (atomically too) and the seeded hit/miss decided on it.

use std::sync::{Arc, RwLock};

use yundong_proto::faults::{FaultRule, fault_id, seeded_hit};
use yundong_store::{FAULTS_KEY, FaultRow, StoreError};

use crate::state::AppState;
use yundong_core::Stamp;

/// Marks an answer that must not be sent: the listener closes the connection instead (a rule with `drop: true`).
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// One rule as this node holds it.
#[derive(Debug)]
pub struct Rule {
    pub id: i64,
    pub fault_id: String,
    pub row: FaultRow,
}

impl Rule {
    pub fn latency_only(&self) -> bool {
        !self.row.rule.drop && self.row.rule.errcode.is_none()
    }
}

/// Every rule, oldest first.
pub type Rules = Arc<[Arc<Rule>]>;

/// This node's copy of the rules, with the feed stamp it was read at.
#[derive(Default)]
pub struct Faults {
    copy: RwLock<Option<(Rules, Stamp)>>,
}

/// The rule as the API shows it.
pub fn rule_of(row: &FaultRow) -> FaultRule {
    let r = &row.rule;
    FaultRule {
        fault_id: fault_id(row.id),
        path: r.path.clone(),
        appid: r.appid.clone(),
        errcode: r.errcode,
        errmsg: r.errmsg.clone(),
        http_status: r.http_status,
        delay_ms: r.delay_ms,
        drop: r.drop,
        probability: r.probability,
        seed: r.seed,
        times: r.times,
    }
}

impl Faults {
    /// Every rule, from this node's copy while the feed shows no rule added or removed since it was read.
    async fn rules(&self, state: &AppState) -> Result<Rules, StoreError> {
        let feed = &state.cache.feed;
        let stamp = feed.sync().await?;
        if let Ok(copy) = self.copy.read()
            && let Some((rules, at)) = copy.as_ref()
            && feed.holds(*at, &[FAULTS_KEY])
        {
            return Ok(rules.clone());
        }
        let rules: Rules = state
            .store
            .faults()
            .await?
            .into_iter()
            .map(|row| {
                Arc::new(Rule {
                    id: row.id,
                    fault_id: fault_id(row.id),
                    row,
                })
            })
            .collect();
        if let Ok(mut copy) = self.copy.write() {
            *copy = Some((rules.clone(), stamp));
        }
        Ok(rules)
    }

    /// The rules naming `path`, oldest first (usually none). A database failure is logged and treated as no rule:
    /// faults are a test aid and never take a call down with them.
    pub async fn for_path(&self, state: &AppState, path: &str) -> Vec<Arc<Rule>> {
        match self.rules(state).await {
            Ok(rules) if rules.is_empty() => Vec::new(),
            Ok(rules) => rules.iter().filter(|r| r.row.rule.path == path).cloned().collect(),
            Err(e) => {
                tracing::warn!(error = %e, "fault rules could not be read");
                Vec::new()
            }
        }
    }

    /// The first of `rules` that fires for a call by `appid`, charged in the database.
    pub async fn fire(&self, state: &AppState, rules: &[Arc<Rule>], appid: Option<&str>) -> Option<Arc<Rule>> {
        for rule in rules {
            let r = &rule.row.rule;
            if r.appid.as_deref().is_some_and(|a| Some(a) != appid) {
                continue;
            }
            match charge(state, rule).await {
                Ok(true) => return Some(rule.clone()),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, fault_id = %rule.fault_id, "a fault rule could not be charged"),
            }
        }
        None
    }
}

/// Decide (seeded) and charge one matching call of `rule`: true when it fires.
async fn charge(state: &AppState, rule: &Rule) -> Result<bool, StoreError> {
    let r = &rule.row.rule;
    if r.probability >= 1.0 {
        return state.store.fault_charge(rule.id, true).await;
    }
    let Some(n) = state.store.fault_matched(rule.id).await? else {
        return Ok(false);
    };
    if !seeded_hit(r.seed, n, r.probability) {
        return Ok(false);
    }
    state.store.fault_charge(rule.id, false).await
}

/// Remove every rule (what a reset calls; every node's copy follows through the change feed).
pub async fn clear(state: &AppState) -> Result<u64, StoreError> {
    state.store.clear_faults().await
}
