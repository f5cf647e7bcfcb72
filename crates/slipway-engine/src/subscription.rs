//! A subscription to one job's events: replay from the log after a sequence number, then live events from the
//! node's topic, each event exactly once and in order. A lagging subscriber re-reads the log from where it is.
//! The stream ends after the job's final `status` event.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::Stream;
use slipway_core::Error;
use slipway_store::jobs::{EventRecord, JobStatus};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::STATUS_EVENT;
use crate::engine::Inner;
use crate::hub::Topic;

/// Events read from the log per query while catching up.
const PAGE: i64 = 256;

/// A job's events, replayed then live; each carries its sequence number (`seq`) for resuming (SSE `id:`).
pub type EventStream = Pin<Box<dyn Stream<Item = Result<Arc<EventRecord>, Error>> + Send>>;

/// Whether the event reports a final status.
pub(crate) fn is_final(e: &EventRecord) -> bool {
    e.kind == STATUS_EVENT
        && e.payload
            .get("status")
            .and_then(|s| s.as_str())
            .and_then(|s| s.parse::<JobStatus>().ok())
            .is_some_and(JobStatus::is_final)
}

pub(crate) struct Subscription {
    inner: Arc<Inner>,
    job_id: i64,
    /// The next sequence number to hand out.
    next: i64,
    rx: broadcast::Receiver<Arc<EventRecord>>,
    _topic: Arc<Topic>,
    ready: VecDeque<Arc<EventRecord>>,
    catching_up: bool,
    done: bool,
}

impl Subscription {
    /// Subscribes before reading the log, so no event falls between the replay and the live part.
    pub fn new(inner: Arc<Inner>, job_id: i64, after: i64, log_end: i64) -> Self {
        let topic = inner.hub.topic(job_id, log_end);
        let rx = topic.tx.subscribe();
        Self {
            inner,
            job_id,
            next: after.max(0).saturating_add(1),
            rx,
            _topic: topic,
            ready: VecDeque::new(),
            catching_up: true,
            done: false,
        }
    }

    pub fn into_stream(self) -> EventStream {
        Box::pin(futures_util::stream::unfold(self, |mut s| async move { s.next().await.map(|e| (e, s)) }))
    }

    async fn next(&mut self) -> Option<Result<Arc<EventRecord>, Error>> {
        loop {
            if let Some(e) = self.ready.pop_front() {
                self.next = e.seq.saturating_add(1);
                if is_final(&e) {
                    self.done = true;
                    self.ready.clear();
                }
                return Some(Ok(e));
            }
            if self.done {
                return None;
            }
            if self.catching_up {
                if let Err(e) = self.catch_up().await {
                    self.done = true;
                    return Some(Err(e));
                }
                continue;
            }
            match self.rx.recv().await {
                Ok(e) if e.seq < self.next => {}
                Ok(e) if e.seq == self.next => self.ready.push_back(e),
                Ok(_) | Err(RecvError::Lagged(_)) => self.catching_up = true,
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// Reads one page of the log. When the log has nothing new, checks whether the job already ended (its
    /// final event may have been removed by retention), so the stream does not wait forever: the job is read
    /// first, then the log once more, so a final event committed in between is still delivered.
    async fn catch_up(&mut self) -> Result<(), Error> {
        let rows = self.inner.db.job_events(self.job_id, self.next - 1, PAGE).await?;
        let full = rows.len() as i64 == PAGE;
        self.ready.extend(rows.into_iter().map(Arc::new));
        if full {
            return Ok(());
        }
        self.catching_up = false;
        if self.ready.is_empty() {
            let ended = self.inner.db.job(self.job_id).await?.is_none_or(|job| job.status.is_final());
            if ended {
                let rows = self.inner.db.job_events(self.job_id, self.next - 1, PAGE).await?;
                self.catching_up = rows.len() as i64 == PAGE;
                self.done = rows.is_empty();
                self.ready.extend(rows.into_iter().map(Arc::new));
            }
        }
        Ok(())
    }
}
