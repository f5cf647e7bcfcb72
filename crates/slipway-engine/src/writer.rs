//! The node's journal writer: one task that applies the guarded writes of every job running here (events,
//! progress, checkpoints, final states) in batches, one transaction per batch, in the order they were sent.
//! Batching keeps the database round trips per event low without reordering a job's events; going through one
//! task keeps a job's final state after its last event. `commit.rs` gets each batch into the database.
//!
//! The task runs on a thread and runtime of its own, with a connection of its own on PostgreSQL: on a busy node
//! (agents, streams and the database sharing two cores) a batch's statements otherwise waited tens of
//! milliseconds each for a runtime worker to read the server's answer, and for a connection from the pool the
//! jobs' own queries drain. It holds what it needs of the engine, not the engine, so an engine dropped without
//! a shutdown still ends it (its queue's senders go, and it drains and stops).

use std::sync::Arc;

use slipway_core::Error;
use slipway_store::jobs::{Channels, EventRecord, Guard, JobWrite};
use slipway_store::{Backend, Db};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::commit::commit;
use crate::hub::Hub;
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

/// What the writer needs of the engine.
pub(crate) struct Journal {
    /// The engine's write pool (on PostgreSQL the writer opens a connection of its own like it).
    pub db: Db,
    /// PostgreSQL notification channels; `None` on SQLite.
    pub channels: Option<Channels>,
    /// This node's subscribers.
    pub hub: Arc<Hub>,
    /// Fires when the engine stops.
    pub stop: CancellationToken,
}

/// Starts the writer on its thread; the receiver answers when it has drained its queue and ended.
pub(crate) fn spawn(journal: Journal, rx: mpsc::Receiver<Op>) -> Result<oneshot::Receiver<()>, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the journal writer's runtime: {e}")))?;
    let (ended, answer) = oneshot::channel();
    std::thread::Builder::new()
        .name("slipway-journal".into())
        .spawn(move || {
            runtime.block_on(async move {
                let own = match journal.db.backend() {
                    Backend::Postgres => match journal.db.own_connection().await {
                        Ok(db) => Some(db),
                        Err(e) => {
                            tracing::warn!(error = %e, "the journal writer shares the engine's pool: no connection of its own");
                            None
                        }
                    },
                    Backend::Sqlite => None,
                };
                let db = own.clone().unwrap_or_else(|| journal.db.clone());
                run(Journal { db, ..journal }, rx).await;
                if let Some(own) = own {
                    own.close().await;
                }
            });
            let _ = ended.send(());
        })
        .map_err(|e| Error::Internal(format!("cannot start the journal writer's thread: {e}")))?;
    Ok(answer)
}

/// The writer task: until the engine stops, then drains what is queued.
async fn run(inner: Journal, mut rx: mpsc::Receiver<Op>) {
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

async fn apply(inner: &Journal, batch: &mut Batch) {
    let results = commit(&inner.db, inner.channels.as_ref(), &batch.writes).await;
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
async fn publish(inner: &Journal, write: JobWrite, last: i64) {
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
