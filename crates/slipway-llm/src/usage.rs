//! Usage recording off the call's path: a call appends its row to a shared buffer (a short lock, never a wait
//! on the database) and wakes the writer only when it starts a new batch; the background writer lets the batch
//! gather for 50 ms, then writes it as one multi-row `INSERT`. A full buffer drops rows with a warning rather
//! than slow calls down. [`UsageRecorder::flush`] writes everything recorded before it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use slipway_store::Db;
use slipway_store::llm::NewLlmUsage;
use tokio::sync::Notify;

/// Rows the buffer holds before calls start dropping theirs.
const CAPACITY: usize = 16_384;
/// Rows that make the writer start at once instead of waiting out the gathering time.
const BATCH: usize = 500;
/// How long the writer lets a batch gather.
const LINGER: Duration = Duration::from_millis(50);
/// Tries of a batch before it is given up (logged).
const WRITE_TRIES: u32 = 3;

struct Shared {
    db: Db,
    rows: Mutex<Vec<NewLlmUsage>>,
    wake: Notify,
    closed: AtomicBool,
    dropped: AtomicU64,
    /// Held while a batch is written, so a flush waits for a write in progress.
    writing: tokio::sync::Mutex<()>,
}

impl Shared {
    fn take(&self) -> Vec<NewLlmUsage> {
        std::mem::take(&mut *self.rows.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn pending(&self) -> usize {
        self.rows.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Writes what is buffered now.
    async fn write_pending(&self) {
        let _writing = self.writing.lock().await;
        let batch = self.take();
        write(&self.db, &batch).await;
    }
}

/// The calls' side of the usage writer; dropping it writes what is left and stops the writer.
pub(crate) struct UsageRecorder {
    shared: Arc<Shared>,
}

impl UsageRecorder {
    /// Starts the writer task on `db`.
    pub fn start(db: Db) -> Self {
        let shared = Arc::new(Shared {
            db,
            rows: Mutex::new(Vec::new()),
            wake: Notify::new(),
            closed: AtomicBool::new(false),
            dropped: AtomicU64::new(0),
            writing: tokio::sync::Mutex::new(()),
        });
        tokio::spawn(write_loop(Arc::clone(&shared)));
        Self { shared }
    }

    /// Buffers a row without waiting; when the buffer is full the row is dropped and counted.
    pub fn record(&self, row: NewLlmUsage) {
        let len = {
            let mut rows = self.shared.rows.lock().unwrap_or_else(PoisonError::into_inner);
            if rows.len() >= CAPACITY {
                None
            } else {
                rows.push(row);
                Some(rows.len())
            }
        };
        match len {
            Some(1 | BATCH) => self.shared.wake.notify_one(),
            Some(_) => {}
            None => {
                let n = self.shared.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_power_of_two() {
                    tracing::warn!(dropped = n, "the LLM usage buffer is full; usage rows were dropped");
                }
            }
        }
    }

    /// Writes every row recorded before this call (waiting for a write in progress).
    pub async fn flush(&self) {
        self.shared.write_pending().await;
    }

    /// Rows dropped because the buffer was full.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for UsageRecorder {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
    }
}

async fn write_loop(shared: Arc<Shared>) {
    loop {
        shared.wake.notified().await;
        let closing = shared.closed.load(Ordering::SeqCst);
        if !closing && shared.pending() < BATCH {
            // Let the batch gather; a full one (or the end) cuts the wait short.
            let _ = tokio::time::timeout(LINGER, shared.wake.notified()).await;
        }
        shared.write_pending().await;
        if shared.closed.load(Ordering::SeqCst) {
            shared.write_pending().await;
            return;
        }
        if shared.pending() > 0 {
            // Rows came in during the write: go round again without waiting for a wake-up.
            shared.wake.notify_one();
        }
    }
}

async fn write(db: &Db, batch: &[NewLlmUsage]) {
    if batch.is_empty() {
        return;
    }
    for attempt in 1..=WRITE_TRIES {
        match db.insert_llm_usage(batch).await {
            Ok(_) => return,
            Err(e) if attempt < WRITE_TRIES => {
                tracing::warn!(error = %e, rows = batch.len(), attempt, "writing LLM usage failed; retrying");
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
            Err(e) => tracing::error!(error = %e, rows = batch.len(), "writing LLM usage failed; rows dropped"),
        }
    }
}
