//! What the engine counts on this node: outcomes, queue wait and run time. Queue depth and running jobs come
//! from the database, so they are the installation's, not the node's.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use slipway_store::jobs::JobStatus;

/// Bucket upper bounds of the histograms, in milliseconds (Prometheus style; the last bucket is unbounded).
pub const BUCKETS_MS: [f64; 16] = [
    1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10_000.0, 30_000.0, 60_000.0,
    300_000.0,
];

/// A fixed-bucket histogram that many tasks record into without locks.
#[derive(Debug, Default)]
pub(crate) struct Histogram {
    counts: [AtomicU64; BUCKETS_MS.len() + 1],
    sum_us: AtomicU64,
}

impl Histogram {
    pub fn record(&self, d: Duration) {
        let ms = d.as_secs_f64() * 1e3;
        let i = BUCKETS_MS.iter().position(|b| ms <= *b).unwrap_or(BUCKETS_MS.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(u64::try_from(d.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn snapshot(&self) -> HistogramSnapshot {
        let mut cumulative = 0;
        let mut buckets = Vec::with_capacity(BUCKETS_MS.len() + 1);
        for (i, c) in self.counts.iter().enumerate() {
            cumulative += c.load(Ordering::Relaxed);
            buckets.push((BUCKETS_MS.get(i).copied().unwrap_or(f64::INFINITY), cumulative));
        }
        HistogramSnapshot { count: cumulative, sum_ms: self.sum_us.load(Ordering::Relaxed) as f64 / 1e3, buckets }
    }
}

/// A histogram at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistogramSnapshot {
    /// Observations.
    pub count: u64,
    /// Their sum, in milliseconds.
    pub sum_ms: f64,
    /// `(upper bound in ms, observations at or below it)`, cumulative; the last bound is infinity.
    pub buckets: Vec<(f64, u64)>,
}

/// The node's counters.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    succeeded: AtomicU64,
    failed: AtomicU64,
    cancelled: AtomicU64,
    timed_out: AtomicU64,
    requeued: AtomicU64,
    lost: AtomicU64,
    pub queue_wait: Histogram,
    pub run_time: Histogram,
}

impl Metrics {
    /// Counts an attempt that ended: `Some(status)` when final, `None` when the job went back to the queue.
    pub fn count(&self, status: Option<JobStatus>, ran: Duration) {
        self.run_time.record(ran);
        let counter = match status {
            Some(JobStatus::Succeeded) => &self.succeeded,
            Some(JobStatus::Failed) => &self.failed,
            Some(JobStatus::Cancelled) => &self.cancelled,
            Some(JobStatus::TimedOut) => &self.timed_out,
            _ => &self.requeued,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an attempt whose job another worker or the reaper had taken over.
    pub fn count_lost(&self) {
        self.lost.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self, queue_depth: i64, running: i64, running_here: usize, workers: usize) -> EngineMetrics {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        EngineMetrics {
            queue_depth,
            running,
            running_here,
            workers,
            succeeded: get(&self.succeeded),
            failed: get(&self.failed),
            cancelled: get(&self.cancelled),
            timed_out: get(&self.timed_out),
            requeued: get(&self.requeued),
            lost: get(&self.lost),
            queue_wait: self.queue_wait.snapshot(),
            run_time: self.run_time.snapshot(),
        }
    }
}

/// The engine's figures at one moment (rendered later by `/api/metrics`, the monitoring routes, Prometheus).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngineMetrics {
    /// Jobs queued in the installation (due or not).
    pub queue_depth: i64,
    /// Jobs running in the installation.
    pub running: i64,
    /// Jobs running on this node.
    pub running_here: usize,
    /// This node's worker slots.
    pub workers: usize,
    /// Attempts on this node that ended in success, since it started.
    pub succeeded: u64,
    /// … that failed for good.
    pub failed: u64,
    /// … that were cancelled.
    pub cancelled: u64,
    /// … that ran past their timeout.
    pub timed_out: u64,
    /// … that went back to the queue (retry after a failure, or handed back on shutdown).
    pub requeued: u64,
    /// … whose job another worker or the reaper had taken over.
    pub lost: u64,
    /// Time from due to claimed, of jobs started on this node.
    pub queue_wait: HistogramSnapshot,
    /// Time from claimed to recorded, of attempts ended on this node.
    pub run_time: HistogramSnapshot,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let h = Histogram::default();
        h.record(Duration::from_micros(500));
        h.record(Duration::from_millis(3));
        h.record(Duration::from_secs(1000));
        let s = h.snapshot();
        assert_eq!(s.count, 3);
        assert_eq!(s.buckets[0], (1.0, 1));
        assert_eq!(s.buckets[2], (5.0, 2));
        assert_eq!(s.buckets.last().map(|b| b.1), Some(3));
        assert!(s.buckets.last().is_some_and(|b| b.0.is_infinite()));
        assert!((s.sum_ms - 1_000_003.5).abs() < 0.01);
    }
}
