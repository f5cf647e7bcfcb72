//! What the monitoring service answers: the latest sample, a status, a history, statistics, a dashboard, and
//! rules and alerts (the store's records, handed out as they are).

use chrono::{DateTime, Utc};
/// An alert and an alert rule as stored.
pub use slipway_store::ops::{AlertRecord, AlertRuleRecord};

/// One mount's space.
#[derive(Debug, Clone, PartialEq)]
pub struct DiskUsage {
    /// Where it is mounted.
    pub mount: String,
    /// Bytes used.
    pub used: i64,
    /// Bytes in all.
    pub total: i64,
    /// Used, percent.
    pub percent: f64,
}

/// The latest sample of a server.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// The server.
    pub server_id: i64,
    /// When it was taken.
    pub time: DateTime<Utc>,
    /// CPU busy, percent (`None` until two samples were taken).
    pub cpu_percent: Option<f64>,
    /// Memory in use (total − available), bytes.
    pub memory_used: i64,
    /// Memory, bytes.
    pub memory_total: i64,
    /// Memory in use, percent.
    pub memory_percent: f64,
    /// Load averages over 1, 5 and 15 minutes.
    pub load: [f64; 3],
    /// Bytes received per second (`None` until two samples were taken).
    pub rx_bps: Option<f64>,
    /// Bytes sent per second.
    pub tx_bps: Option<f64>,
    /// Each real file system.
    pub disks: Vec<DiskUsage>,
    /// All of them: used bytes.
    pub disk_used: i64,
    /// All of them: bytes.
    pub disk_total: i64,
    /// All of them: used, percent.
    pub disk_percent: f64,
    /// Seconds since boot.
    pub uptime_secs: i64,
}

/// A monitored server's status.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorStatus {
    /// The server.
    pub server_id: i64,
    /// `unknown` (not collected yet), `online`, `degraded` (failed once, or answered partly) or `offline`.
    pub status: String,
    /// The last successful collection.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Why the last failed collection failed.
    pub last_error: Option<String>,
    /// When it failed.
    pub last_error_at: Option<DateTime<Utc>>,
    /// Failed collections since the last success.
    pub consecutive_failures: i64,
}

/// One point of a history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryPoint {
    /// The bucket's start.
    pub time: DateTime<Utc>,
    /// Average over the bucket.
    pub avg: f64,
    /// Maximum over the bucket.
    pub max: f64,
}

/// A metric's history.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// The server.
    pub server_id: i64,
    /// `cpu`, `memory`, `disk` or `network`.
    pub metric: String,
    /// `1h`, `6h`, `24h` or `7d`.
    pub time_range: String,
    /// Seconds per bucket.
    pub bucket_secs: i64,
    /// The points, oldest first.
    pub data: Vec<HistoryPoint>,
}

/// The monitoring statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonitorStats {
    /// Servers in the inventory, plus the Slipway host.
    pub servers_total: i64,
    /// Monitored servers online.
    pub servers_online: i64,
    /// Monitored servers offline.
    pub servers_offline: i64,
    /// Monitored servers degraded.
    pub servers_degraded: i64,
    /// Monitored servers.
    pub monitored: i64,
    /// Runs of scheduled tasks since midnight UTC.
    pub task_runs_today: i64,
    /// Deployments (and rollbacks) created since midnight UTC.
    pub deployments_today: i64,
    /// Open alerts.
    pub alerts_open: i64,
}

/// One entry of the activity feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// `task_run`, `alert_opened` or `alert_resolved`.
    pub kind: &'static str,
    /// The task run's job id, or the alert's id.
    pub ref_id: i64,
    /// What happened, for people.
    pub title: String,
    /// The run's status, or the alert's.
    pub status: String,
    /// When.
    pub time: DateTime<Utc>,
}

/// The dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    /// The statistics.
    pub stats: MonitorStats,
    /// Open alerts, newest first.
    pub alerts: Vec<AlertRecord>,
    /// Task runs and alerts, newest first.
    pub recent_activities: Vec<Activity>,
}
