//! The request journal: every call to the WeChat-compatible API is recorded, secrets masked, in the database
//! table of migration 0007, which `/cgi-bin/openapi/rid/get` reads (and the admin journal of issue 13 will).
//!
//! Recording never slows the answer: the layer ([`layer::wechat`]) hands a finished entry to this node's writer
//! through a bounded queue without waiting (a full queue drops the entry and counts it), and the writer task stores
//! whatever has queued up in one transaction, then the next batch. Bounded: rows older than
//! [`Config::journal_max_age`](crate::Config) and rows beyond [`Config::journal_size`](crate::Config) are pruned
//! by the writer as it goes.

pub mod layer;
pub mod mask;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc, oneshot};
use yundong_store::{JournalEntry, Store};

use yundong_core::clock::Clock;

/// Entries that may wait for the writer; beyond this, new entries are dropped (and counted), never waited for.
const QUEUE: usize = 16_384;
/// Entries stored per transaction at most.
const BATCH: usize = 1_024;
/// How long the writer lets entries gather before it stores a batch that is not already large.
const GATHER: Duration = Duration::from_millis(20);
/// How often the writer prunes at least (real time).
const PRUNE_EVERY: Duration = Duration::from_secs(30);

enum Msg {
    Entry(Box<JournalEntry>),
    Flush(oneshot::Sender<()>),
}

/// This node's journal writer. Cheap to clone; the task ends when the last clone is dropped.
#[derive(Clone)]
pub struct Journal {
    tx: Option<mpsc::Sender<Msg>>,
    dropped: Arc<AtomicU64>,
    /// Cuts the writer's gathering pause short when a flush is waiting (a reset or a journal read must not pay it).
    wake: Arc<Notify>,
}

impl Journal {
    /// Start the writer (inside a tokio runtime). `size` 0 turns the journal off.
    pub fn start(store: Store, clock: Arc<Clock>, size: i64, max_age: i64) -> Journal {
        if size <= 0 {
            return Journal {
                tx: None,
                dropped: Arc::default(),
                wake: Arc::default(),
            };
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        let wake = Arc::new(Notify::new());
        tokio::spawn(run(store, clock, size, max_age, rx, wake.clone()));
        Journal {
            tx: Some(tx),
            dropped: Arc::default(),
            wake,
        }
    }

    pub fn enabled(&self) -> bool {
        self.tx.is_some()
    }

    /// Queue `entry` for storage without waiting.
    pub fn record(&self, entry: JournalEntry) {
        let Some(tx) = &self.tx else { return };
        if tx.try_send(Msg::Entry(Box::new(entry))).is_err() {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(dropped = n, "request journal queue full: entries dropped");
            }
        }
    }

    /// Entries dropped because the queue was full, since this node started.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Wait until everything this node queued before the call is stored (or failed to be).
    pub async fn flush(&self) {
        let Some(tx) = &self.tx else { return };
        let (ack, done) = oneshot::channel();
        if tx.send(Msg::Flush(ack)).await.is_ok() {
            self.wake.notify_one();
            let _ = done.await;
        }
    }
}

async fn run(store: Store, clock: Arc<Clock>, size: i64, max_age: i64, mut rx: mpsc::Receiver<Msg>, wake: Arc<Notify>) {
    let mut batch: Vec<JournalEntry> = Vec::with_capacity(BATCH);
    let mut acks: Vec<oneshot::Sender<()>> = Vec::new();
    let mut last_prune = Instant::now();
    let mut since_prune: i64 = 0;
    while let Some(first) = rx.recv().await {
        // Under load, let a batch gather for a moment: fewer, larger transactions hold the (SQLite: single) writer
        // for less time in all. A flush does not wait for it: when a flush comes first, everything queued before it
        // is stored already, and a flush queued during the pause ends the pause.
        if matches!(first, Msg::Entry(_)) && rx.len() < BATCH / 4 {
            tokio::select! {
                () = tokio::time::sleep(GATHER) => {}
                () = wake.notified() => {}
            }
        }
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Entry(e) => batch.push(*e),
                Msg::Flush(ack) => acks.push(ack),
            }
            if batch.len() < BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            if let Err(e) = store.append_journal(&batch).await {
                tracing::warn!(error = %e, lost = batch.len(), "request journal: could not store a batch");
            }
            since_prune += batch.len() as i64;
            batch.clear();
        }
        if last_prune.elapsed() >= PRUNE_EVERY || since_prune >= (size / 10).max(1) {
            if let Err(e) = store.prune_journal(clock.now() - max_age, size).await {
                tracing::warn!(error = %e, "request journal: could not prune");
            }
            last_prune = Instant::now();
            since_prune = 0;
        }
        // A flush is answered after the batch holding everything queued before it is stored (and pruned).
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
    }
}

/// Empty the journal: this node's queued entries are stored first, then every node's are deleted (what a reset
/// calls, beside `faults::clear`). Entries other nodes still hold in their queues (at most 20 ms' worth) may land
/// after.
pub async fn clear(state: &crate::state::AppState) -> Result<(), yundong_store::StoreError> {
    state.journal.flush().await;
    state.store.clear_journal().await
}
