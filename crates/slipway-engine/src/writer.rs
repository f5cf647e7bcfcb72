//! The node's journal writer: one task that applies the guarded writes of every job running here (events,
//! progress, checkpoints, final states) in batches, one transaction per batch, in the order they were sent.
//! Batching keeps the database round trips per event low without reordering a job's events; going through one
//! task keeps a job's final state after its last event. `commit.rs` gets each batch into the database.

use std::sync::Arc;

use slipway_core::Error;
use slipway_store::jobs::{EventRecord, Guard, JobWrite};
use tokio::sync::{mpsc, oneshot};

use crate::commit::commit;
use crate::engine::Inner;
use crate::runner::{RunningJob, StopReason};

/// Writes queued before emitters wait (back pressure from the database, never from subscribers).
const QUEUE: usize = 8192;
/// Writes applied in one transaction at most.
const BATCH: usize = 512;

/// One write and who waits for it.
pub(crate) struct Op {
    pub write: JobWrite,
    /// The running job the write belongs to; told when its guard is refused (the job was lost).
    pub job: Option<Arc<RunningJob>>,
    /// Answered with whether the guard accepted the write.
    pub done: Option<oneshot::Sender<Result<bool, Error>>>,
}

/// The sending side, shared by every job context of the node.
#[derive(Clone)]
pub(crate) struct Writer {
    tx: mpsc::Sender<Op>,
}

impl Writer {
    pub fn channel() -> (Self, mpsc::Receiver<Op>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (Self { tx }, rx)
    }

    /// Queues a write without waiting for it to be applied.
    pub async fn send(&self, write: JobWrite, job: Option<Arc<RunningJob>>) -> Result<(), Error> {
        self.tx
            .send(Op { write, job, done: None })
            .await
            .map_err(|_| Error::Unavailable("the engine is stopping".into()))
    }

    /// Queues a write and waits until it is committed; `Ok(false)` when its guard refused it.
    pub async fn apply(&self, write: JobWrite, job: Option<Arc<RunningJob>>) -> Result<bool, Error> {
        let (done, answer) = oneshot::channel();
        self.tx
            .send(Op { write, job, done: Some(done) })
            .await
            .map_err(|_| Error::Unavailable("the engine is stopping".into()))?;
        answer.await.map_err(|_| Error::Unavailable("the engine stopped before the write".into()))?
    }
}

/// The writer task: until the engine stops, then drains what is queued.
pub(crate) async fn run(inner: Arc<Inner>, mut rx: mpsc::Receiver<Op>) {
    let mut batch = Batch { writes: Vec::with_capacity(BATCH), waiting: Vec::with_capacity(BATCH) };
    loop {
        let first = tokio::select! {
            op = rx.recv() => op,
            () = inner.stop.cancelled() => {
                rx.close();
                rx.recv().await
            }
        };
        let Some(first) = first else { break };
        batch.push(first);
        while batch.writes.len() < BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        apply(&inner, &mut batch).await;
    }
}

type Waiting = (Option<Arc<RunningJob>>, Option<oneshot::Sender<Result<bool, Error>>>);

/// Writes collected for one transaction, and who waits for each.
struct Batch {
    writes: Vec<JobWrite>,
    waiting: Vec<Waiting>,
}

impl Batch {
    fn push(&mut self, op: Op) {
        self.writes.push(op.write);
        self.waiting.push((op.job, op.done));
    }
}

async fn apply(inner: &Inner, batch: &mut Batch) {
    let results = commit(&inner.write, inner.channels.as_ref(), &batch.writes).await;
    for ((write, (job, done)), result) in batch.writes.drain(..).zip(batch.waiting.drain(..)).zip(results) {
        match result {
            Ok(Some(last)) => publish(inner, write, last).await,
            Ok(None) => {
                if let (Some(job), Guard::Lease { .. }) = (&job, &write.guard) {
                    job.stop(StopReason::LeaseLost);
                }
            }
            Err(_) => {}
        }
        if let Some(done) = done {
            let _ = done.send(result.map(|last| last.is_some()));
        }
    }
}

/// Hands a committed write's events to this node's subscribers.
async fn publish(inner: &Inner, write: JobWrite, last: i64) {
    if write.events.is_empty() || !inner.hub.has_topic(write.job_id) {
        return;
    }
    let first = last - write.events.len() as i64 + 1;
    let job_id = write.job_id;
    let events = write
        .events
        .into_iter()
        .enumerate()
        .map(|(i, e)| EventRecord { job_id, seq: first + i as i64, at: e.at, kind: e.kind, payload: e.payload })
        .collect();
    inner.hub.publish(write.job_id, events).await;
}
