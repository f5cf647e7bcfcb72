//! In-process fan-out of job events. A job with subscribers on this node has a topic: a broadcast channel of
//! committed events in sequence order. Events reach it from this node's writer right after commit, or, for jobs
//! running elsewhere, by reading the log when PostgreSQL `NOTIFY` (or the polling safety net) says it grew.
//! Broadcast sends never wait: a subscriber too slow for the channel's buffer is told it lagged and re-reads
//! the log itself, so it can neither block the job nor the other subscribers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use slipway_store::Db;
use slipway_store::jobs::EventRecord;
use tokio::sync::broadcast;

/// Events a topic buffers for its slowest subscriber before that one has to catch up from the log.
const BUFFER: usize = 1024;

/// The live events of one job on this node.
pub(crate) struct Topic {
    pub tx: broadcast::Sender<Arc<EventRecord>>,
    /// The last sequence number sent.
    last: tokio::sync::Mutex<i64>,
}

/// Topics by job id; a topic lives as long as one of its subscribers.
pub(crate) struct Hub {
    db: Db,
    topics: Mutex<HashMap<i64, Weak<Topic>>>,
}

impl Hub {
    pub fn new(db: Db) -> Self {
        Self { db, topics: Mutex::new(HashMap::new()) }
    }

    /// The job's topic, made when it has none; `last_seq` is the log's current end (read by the caller).
    pub fn topic(&self, job_id: i64, last_seq: i64) -> Arc<Topic> {
        let mut topics = self.topics.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(topic) = topics.get(&job_id).and_then(Weak::upgrade) {
            return topic;
        }
        topics.retain(|_, t| t.strong_count() > 0);
        let (tx, _) = broadcast::channel(BUFFER);
        let topic = Arc::new(Topic { tx, last: tokio::sync::Mutex::new(last_seq) });
        topics.insert(job_id, Arc::downgrade(&topic));
        topic
    }

    fn existing(&self, job_id: i64) -> Option<Arc<Topic>> {
        self.topics.lock().unwrap_or_else(PoisonError::into_inner).get(&job_id).and_then(Weak::upgrade)
    }

    /// Whether anyone on this node listens to the job.
    pub fn has_topic(&self, job_id: i64) -> bool {
        self.existing(job_id).is_some()
    }

    /// Jobs with subscribers on this node.
    pub fn watched(&self) -> Vec<i64> {
        let topics = self.topics.lock().unwrap_or_else(PoisonError::into_inner);
        topics.iter().filter(|(_, t)| t.strong_count() > 0).map(|(id, _)| *id).collect()
    }

    /// Sends committed events (consecutive, in order) written on this node; fills a gap before them from the
    /// log, and drops those already sent.
    pub async fn publish(&self, job_id: i64, events: Vec<EventRecord>) {
        let Some(topic) = self.existing(job_id) else { return };
        let Some(first) = events.first().map(|e| e.seq) else { return };
        let mut last = topic.last.lock().await;
        if first > *last + 1 {
            self.send_from_log(&topic, job_id, &mut last, first - 1).await;
        }
        for e in events {
            if e.seq == *last + 1 {
                *last = e.seq;
                let _ = topic.tx.send(Arc::new(e));
            }
        }
    }

    /// The job's log grew to `seq` (a notification from another node, or a poll): send what is new.
    pub async fn grew(&self, job_id: i64, seq: i64) {
        let Some(topic) = self.existing(job_id) else { return };
        let mut last = topic.last.lock().await;
        if seq > *last {
            self.send_from_log(&topic, job_id, &mut last, seq).await;
        }
    }

    async fn send_from_log(&self, topic: &Topic, job_id: i64, last: &mut i64, upto: i64) {
        match self.db.job_events_upto(job_id, *last, upto).await {
            Ok(rows) => {
                for e in rows {
                    if e.seq == *last + 1 {
                        *last = e.seq;
                        let _ = topic.tx.send(Arc::new(e));
                    }
                }
            }
            // Subscribers notice the gap and read the log themselves.
            Err(e) => tracing::warn!(job_id, error = %e, "could not read job events for subscribers"),
        }
    }
}
