//! Recording step totals (docs/DESIGN.md §5.9): absolute daily totals per source, any day of the 31-day window, never
//! the future, capped; group-committed.
//!
//! Uploads from every handler go through one [`StepWriter`] per node: a task that takes whatever has queued up while
//! the previous commit ran and commits it as one transaction, then answers each upload. An upload is acknowledged
//! only after the transaction holding it has committed (fsync'd on SQLite, `synchronous_commit` on PostgreSQL), and
//! under load hundreds of uploads share one commit.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result};
use yundong_store::{StepSource, StepWrite, Store, StoreError, UserId};

use crate::Core;

/// How far ahead of the server's clock a device timestamp may be (devices' clocks drift).
pub const CLOCK_SKEW: i64 = 300;

/// The most uploads committed in one transaction.
const MAX_BATCH: usize = 2_000;

/// What was kept, and the day's total over all sources.
#[derive(Debug, Clone, Copy)]
pub struct Recorded {
    pub step: i64,
    pub total: i64,
}

type Reply = oneshot::Sender<Result<i64, String>>;

/// What the step writer reports about its batches (the server records it in its metrics).
pub trait StepObserver: Send + Sync + 'static {
    /// A batch of `size` uploads committed in `took`.
    fn committed(&self, size: usize, took: Duration);
    /// A batch failed to commit (every upload in it was answered with an error).
    fn failed(&self);
}

/// Observes nothing (for tools that run a writer without metrics).
impl StepObserver for () {
    fn committed(&self, _: usize, _: Duration) {}
    fn failed(&self) {}
}

/// The node's group-committing step writer. Cheap to clone; the task ends when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct StepWriter {
    tx: mpsc::Sender<(StepWrite, Reply)>,
}

impl StepWriter {
    /// Start the writer task on the current tokio runtime.
    pub fn start(store: Store, metrics: Arc<dyn StepObserver>) -> StepWriter {
        let (tx, rx) = mpsc::channel(16_384);
        tokio::spawn(run(store, rx, metrics));
        StepWriter { tx }
    }

    /// Queue a write and wait until it is committed; returns the day's total after the commit.
    pub async fn write(&self, write: StepWrite) -> Result<i64> {
        let (reply, answer) = oneshot::channel();
        let gone = || Error::Store(StoreError::Invalid("the step writer stopped"));
        self.tx.send((write, reply)).await.map_err(|_| gone())?;
        match answer.await.map_err(|_| gone())? {
            Ok(total) => Ok(total),
            Err(_) => Err(Error::Store(StoreError::Invalid(
                "the step batch could not be committed",
            ))),
        }
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<(StepWrite, Reply)>, metrics: Arc<dyn StepObserver>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let writes: Vec<StepWrite> = batch.iter().map(|(w, _)| *w).collect();
        let started = std::time::Instant::now();
        let result = store.put_steps_batch(&writes).await;
        metrics.committed(writes.len(), started.elapsed());
        match result {
            Ok(totals) => {
                for ((_, reply), total) in batch.drain(..).zip(totals) {
                    let _ = reply.send(Ok(total));
                }
            }
            Err(e) => {
                metrics.failed();
                tracing::error!(error = %e, uploads = batch.len(), "step batch failed; nothing in it was acknowledged");
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
        }
    }
}

/// Record `steps` as `source`'s total for the local day starting at `day`.
pub async fn record(state: &Core, user_id: UserId, day: i64, source: StepSource, steps: i64) -> Result<Recorded> {
    if steps < 0 {
        return Err(Error::invalid("step must not be negative"));
    }
    let now = state.now();
    let zone = state.config.day_zone;
    if day > zone.day_start(now) {
        return Err(Error::invalid("the day is in the future"));
    }
    if !zone.in_window(day, now) {
        return Err(Error::invalid("the day is outside the 31-day window"));
    }
    let step = steps.min(state.config.daily_step_cap);
    let total = state
        .steps
        .write(StepWrite {
            user_id,
            day,
            source,
            steps: step,
        })
        .await?;
    Ok(Recorded { step, total })
}
