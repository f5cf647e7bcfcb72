//! qoder's response bodies for monitoring: the latest metrics, a status, a history, the statistics and the
//! dashboard (its alerts rendered as in `alert_views`).

use serde::Serialize;
use slipway_core::time::rfc3339;
use slipway_ops::monitoring::{Activity, Dashboard, DiskUsage, History, Metrics, MonitorStats, MonitorStatus};
use utoipa::ToSchema;

use super::alert_views::QoderAlert;

/// Memory in use.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderMemoryUsage {
    /// Bytes in use (total − available).
    pub used: i64,
    /// Bytes in all.
    pub total: i64,
    /// In use, percent.
    pub usage: f64,
}

/// Load averages.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderLoadAverage {
    /// Over 1 minute.
    pub load1: f64,
    /// Over 5 minutes.
    pub load5: f64,
    /// Over 15 minutes.
    pub load15: f64,
}

/// Network rates over every interface but loopback; `null` until two samples were taken.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderNetworkRates {
    /// Bytes received per second.
    pub rx_bytes_per_sec: Option<f64>,
    /// Bytes sent per second.
    pub tx_bytes_per_sec: Option<f64>,
}

/// Disk space.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderDiskUsage {
    /// Where it is mounted (`null` for the sum over every real file system).
    pub mount: Option<String>,
    /// Bytes used.
    pub used: i64,
    /// Bytes in all.
    pub total: i64,
    /// Used, percent.
    pub usage: f64,
}

impl From<&DiskUsage> for QoderDiskUsage {
    fn from(d: &DiskUsage) -> Self {
        Self { mount: Some(d.mount.clone()), used: d.used, total: d.total, usage: d.percent }
    }
}

/// A server's latest sample.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderMonitorMetrics {
    /// The server (0: the Slipway host).
    pub server_id: i64,
    /// When the sample was taken (RFC 3339).
    pub time: String,
    /// CPU busy, percent; `null` until two samples were taken.
    pub cpu_usage: Option<f64>,
    /// Memory.
    pub memory: QoderMemoryUsage,
    /// Load averages.
    pub load: QoderLoadAverage,
    /// Network rates.
    pub network: QoderNetworkRates,
    /// Disk space over every real file system.
    pub disk: QoderDiskUsage,
    /// Disk space per mount.
    pub disks: Vec<QoderDiskUsage>,
    /// Seconds since boot.
    pub uptime_seconds: i64,
}

impl From<&Metrics> for QoderMonitorMetrics {
    fn from(m: &Metrics) -> Self {
        Self {
            server_id: m.server_id,
            time: rfc3339(m.time),
            cpu_usage: m.cpu_percent,
            memory: QoderMemoryUsage { used: m.memory_used, total: m.memory_total, usage: m.memory_percent },
            load: QoderLoadAverage { load1: m.load[0], load5: m.load[1], load15: m.load[2] },
            network: QoderNetworkRates { rx_bytes_per_sec: m.rx_bps, tx_bytes_per_sec: m.tx_bps },
            disk: QoderDiskUsage { mount: None, used: m.disk_used, total: m.disk_total, usage: m.disk_percent },
            disks: m.disks.iter().map(QoderDiskUsage::from).collect(),
            uptime_seconds: m.uptime_secs,
        }
    }
}

/// A monitored server's status.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderMonitorStatus {
    /// The server.
    pub server_id: i64,
    /// `unknown` (not collected yet), `online`, `degraded` (failed once, or answered partly) or `offline`.
    pub status: String,
    /// The last successful collection (RFC 3339).
    pub last_seen_at: Option<String>,
    /// Why the last failed collection failed (it names the step).
    pub last_error: Option<String>,
    /// When it failed (RFC 3339).
    pub last_error_at: Option<String>,
    /// Failed collections since the last success.
    pub consecutive_failures: i64,
}

impl From<&MonitorStatus> for QoderMonitorStatus {
    fn from(s: &MonitorStatus) -> Self {
        Self {
            server_id: s.server_id,
            status: s.status.clone(),
            last_seen_at: s.last_seen_at.map(rfc3339),
            last_error: s.last_error.clone(),
            last_error_at: s.last_error_at.map(rfc3339),
            consecutive_failures: s.consecutive_failures,
        }
    }
}

/// One point of a history.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderHistoryPoint {
    /// The bucket's start (RFC 3339).
    pub time: String,
    /// Average over the bucket.
    pub avg: f64,
    /// Maximum over the bucket.
    pub max: f64,
}

/// A metric's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderMonitorHistory {
    /// The server.
    pub server_id: i64,
    /// `cpu`, `memory`, `disk` (percent) or `network` (bytes per second, received plus sent).
    pub metric: String,
    /// `1h`, `6h`, `24h` or `7d`.
    pub time_range: String,
    /// Seconds per point.
    pub bucket_seconds: i64,
    /// The points, oldest first (at most 360).
    pub data: Vec<QoderHistoryPoint>,
}

impl From<&History> for QoderMonitorHistory {
    fn from(h: &History) -> Self {
        Self {
            server_id: h.server_id,
            metric: h.metric.clone(),
            time_range: h.time_range.clone(),
            bucket_seconds: h.bucket_secs,
            data: h.data.iter().map(|p| QoderHistoryPoint { time: rfc3339(p.time), avg: p.avg, max: p.max }).collect(),
        }
    }
}

/// The monitoring statistics.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderMonitorStats {
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

impl From<&MonitorStats> for QoderMonitorStats {
    fn from(s: &MonitorStats) -> Self {
        Self {
            servers_total: s.servers_total,
            servers_online: s.servers_online,
            servers_offline: s.servers_offline,
            servers_degraded: s.servers_degraded,
            monitored: s.monitored,
            task_runs_today: s.task_runs_today,
            deployments_today: s.deployments_today,
            alerts_open: s.alerts_open,
        }
    }
}

/// One entry of the activity feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderActivity {
    /// `task_run`, `alert_opened` or `alert_resolved`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The task run's job id, or the alert's id.
    pub ref_id: i64,
    /// What happened.
    pub title: String,
    /// The run's or the alert's status.
    pub status: String,
    /// When (RFC 3339).
    pub time: String,
}

impl From<&Activity> for QoderActivity {
    fn from(a: &Activity) -> Self {
        Self {
            kind: a.kind.into(),
            ref_id: a.ref_id,
            title: a.title.clone(),
            status: a.status.clone(),
            time: rfc3339(a.time),
        }
    }
}

/// The dashboard.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderDashboard {
    /// The statistics.
    pub stats: QoderMonitorStats,
    /// Open alerts, newest first.
    pub alerts: Vec<QoderAlert>,
    /// Task runs and alerts, newest first.
    pub recent_activities: Vec<QoderActivity>,
}

impl From<&Dashboard> for QoderDashboard {
    fn from(d: &Dashboard) -> Self {
        Self {
            stats: QoderMonitorStats::from(&d.stats),
            alerts: d.alerts.iter().map(QoderAlert::from).collect(),
            recent_activities: d.recent_activities.iter().map(QoderActivity::from).collect(),
        }
    }
}
