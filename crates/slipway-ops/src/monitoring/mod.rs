//! qoder's monitoring, agentless: servers added to monitoring are collected over SSH — one exec per tick and
//! server ([`parse::SCRIPT`]) — by exactly one node (a lease in the store), the Slipway host itself locally as
//! server [`LOCAL_HOST_ID`]. History is bounded (raw samples, then 1-minute and 1-hour roll-ups, each with its
//! retention), and alert rules open and resolve alerts through a state machine that neither flaps nor sticks
//! ([`alerts`]). See `docs/architecture.md` ("Monitoring").
//!
//! Rule: administrators and granted server operators ([`Servers::require_operator`]) may use every route;
//! everyone else is refused (403). Webhook URLs pass the outbound policy as the caller when saved, and as
//! whoever saved them when called.

pub mod alerts;
mod collector;
mod notify;
pub mod parse;
mod rules;
mod views;

use chrono::{DateTime, TimeZone, Utc};
use slipway_core::{Error, FieldError, Principal};
use slipway_engine::Page;
use slipway_outbound::OutboundPolicy;
use slipway_store::Db;
/// The id the Slipway host is monitored under.
pub use slipway_store::ops::LOCAL_HOST_ID;
use slipway_store::ops::{AlertRuleRow, HistoryMetric, HistorySource, MonitoredRecord, SampleRecord};

pub use collector::{Collector, Maintenance, MonitorSettings, epoch_ms};
pub use notify::{Notifier, SendMail};
pub use rules::RuleInput;
pub use views::{
    Activity, AlertRecord, AlertRuleRecord, Dashboard, DiskUsage, History, HistoryPoint, Metrics, MonitorStats,
    MonitorStatus,
};

use crate::servers::Servers;

/// History ranges: name, length (ms), where they are read, bucket (ms).
const RANGES: [(&str, i64, HistorySource, i64); 4] = [
    ("1h", 3_600_000, HistorySource::Raw, 10_000),
    ("6h", 21_600_000, HistorySource::Raw, 60_000),
    ("24h", 86_400_000, HistorySource::Minutes, 240_000),
    ("7d", 604_800_000, HistorySource::Hours, 3_600_000),
];
/// History metrics by name.
const METRICS: [(&str, HistoryMetric); 4] = [
    ("cpu", HistoryMetric::Cpu),
    ("memory", HistoryMetric::Memory),
    ("disk", HistoryMetric::Disk),
    ("network", HistoryMetric::Network),
];
/// Entries of the dashboard's activity feed.
const ACTIVITIES: i64 = 20;
/// Open alerts the dashboard shows.
const DASHBOARD_ALERTS: i64 = 50;

/// The monitoring service.
#[derive(Clone, Debug)]
pub struct Monitoring {
    db: Db,
    servers: Servers,
    policy: OutboundPolicy,
}

fn not_monitored(id: i64) -> Error {
    Error::NotFound(format!("server {id} is not monitored"))
}

fn time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

fn metrics(s: SampleRecord) -> Metrics {
    let disks = serde_json::from_str::<Vec<serde_json::Value>>(&s.disks).unwrap_or_default();
    let disks = disks
        .iter()
        .map(|d| {
            let (used, total) = (d["used"].as_i64().unwrap_or(0), d["total"].as_i64().unwrap_or(0));
            let percent = if total > 0 { 100.0 * used as f64 / total as f64 } else { 0.0 };
            DiskUsage { mount: d["mount"].as_str().unwrap_or_default().to_owned(), used, total, percent }
        })
        .collect();
    Metrics {
        server_id: s.server_id,
        time: time(s.at_ms),
        cpu_percent: s.cpu_percent,
        memory_used: s.memory_used,
        memory_total: s.memory_total,
        memory_percent: s.memory_percent,
        load: [s.load1, s.load5, s.load15],
        rx_bps: s.rx_bps,
        tx_bps: s.tx_bps,
        disks,
        disk_used: s.disk_used,
        disk_total: s.disk_total,
        disk_percent: s.disk_percent,
        uptime_secs: s.uptime_secs,
    }
}

impl Monitoring {
    /// The service on `db`; servers and their operators come from `servers`, webhook URLs are policed by
    /// `policy`.
    pub fn new(db: Db, servers: Servers, policy: OutboundPolicy) -> Self {
        Self { db, servers, policy }
    }

    async fn monitored(&self, id: i64) -> Result<MonitoredRecord, Error> {
        self.db.monitored_server(id).await?.ok_or_else(|| not_monitored(id))
    }

    /// Adds server `server_id` to monitoring (again: nothing changes).
    pub async fn add(&self, caller: &Principal, server_id: i64) -> Result<(), Error> {
        self.servers.require_operator(caller).await?;
        if server_id < 0 {
            return Err(Error::invalid_field("server_id", "value_error", "server_id must be a server's id"));
        }
        self.check_server(caller, Some(server_id)).await?;
        self.db.add_monitored_server(server_id, Some(caller.user_id), slipway_core::time::now()).await?;
        Ok(())
    }

    /// Removes server `id` from monitoring, with its history and alerts. The Slipway host stays.
    pub async fn remove(&self, caller: &Principal, id: i64) -> Result<(), Error> {
        self.servers.require_operator(caller).await?;
        if id == LOCAL_HOST_ID {
            return Err(Error::Conflict("the Slipway host (server 0) is always monitored".into()));
        }
        if self.db.remove_monitored_server(id).await? { Ok(()) } else { Err(not_monitored(id)) }
    }

    /// The latest sample of server `id`.
    pub async fn metrics(&self, caller: &Principal, id: i64) -> Result<Metrics, Error> {
        self.servers.require_operator(caller).await?;
        self.monitored(id).await?;
        let sample = self.db.latest_monitor_sample(id).await?;
        sample.map(metrics).ok_or_else(|| Error::NotFound(format!("server {id} has no sample yet")))
    }

    /// The status of server `id`.
    pub async fn status(&self, caller: &Principal, id: i64) -> Result<MonitorStatus, Error> {
        self.servers.require_operator(caller).await?;
        let m = self.monitored(id).await?;
        Ok(MonitorStatus {
            server_id: m.server_id,
            status: m.status,
            last_seen_at: m.last_seen_at,
            last_error: m.last_error,
            last_error_at: m.last_error_at,
            consecutive_failures: m.consecutive_failures,
        })
    }

    /// The history of `metric` over `time_range` for server `id`, bucketed so every range has at most 360
    /// points.
    pub async fn history(&self, caller: &Principal, id: i64, time_range: &str, metric: &str) -> Result<History, Error> {
        self.servers.require_operator(caller).await?;
        let range = RANGES.iter().find(|r| r.0 == time_range);
        let which = METRICS.iter().find(|m| m.0 == metric);
        let mut errors = Vec::new();
        if range.is_none() {
            let names: Vec<&str> = RANGES.iter().map(|r| r.0).collect();
            let msg = format!("time_range is one of {}, not {time_range:?}", names.join(", "));
            errors.push(FieldError::query("time_range", "value_error", msg));
        }
        if which.is_none() {
            let names: Vec<&str> = METRICS.iter().map(|m| m.0).collect();
            errors.push(FieldError::query(
                "metric",
                "value_error",
                format!("metric is one of {}, not {metric:?}", names.join(", ")),
            ));
        }
        let (Some(&(name, length, source, bucket)), Some(&(metric_name, m))) = (range, which) else {
            return Err(Error::Validation(errors));
        };
        self.monitored(id).await?;
        let points = self.db.monitor_history(id, m, source, epoch_ms() - length, bucket).await?;
        let data = points.into_iter().map(|(t, avg, max)| HistoryPoint { time: time(t), avg, max }).collect();
        Ok(History {
            server_id: id,
            metric: metric_name.into(),
            time_range: name.into(),
            bucket_secs: bucket / 1000,
            data,
        })
    }

    /// The statistics.
    pub async fn stats(&self, caller: &Principal) -> Result<MonitorStats, Error> {
        self.servers.require_operator(caller).await?;
        let counts = self.db.monitor_counts().await?;
        let midnight = slipway_core::time::now().date_naive().and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let task_runs_today = self.db.task_runs_since(midnight).await?;
        let deployments_today = self.db.deployments_since(midnight).await?;
        Ok(MonitorStats {
            servers_total: counts.servers_total,
            servers_online: counts.online,
            servers_offline: counts.offline,
            servers_degraded: counts.degraded,
            monitored: counts.monitored,
            task_runs_today,
            deployments_today,
            alerts_open: counts.alerts_open,
        })
    }

    /// The dashboard: statistics, open alerts, and the newest task runs and alerts.
    pub async fn dashboard(&self, caller: &Principal) -> Result<Dashboard, Error> {
        let stats = self.stats(caller).await?;
        let (alerts, _) = self.db.list_alerts(Some("open"), 0, DASHBOARD_ALERTS).await?;
        let mut recent: Vec<Activity> = self
            .db
            .recent_task_runs(ACTIVITIES)
            .await?
            .into_iter()
            .map(|(id, name, status, at)| Activity {
                kind: "task_run",
                ref_id: id,
                title: format!("task {name:?} ran"),
                status,
                time: at,
            })
            .collect();
        for a in self.db.recent_alerts(ACTIVITIES).await? {
            let (kind, at) = match a.resolved_at {
                Some(at) => ("alert_resolved", at),
                None => ("alert_opened", a.opened_at),
            };
            recent.push(Activity { kind, ref_id: a.id, title: a.message, status: a.status, time: at });
        }
        recent.sort_by(|a, b| b.time.cmp(&a.time).then(b.ref_id.cmp(&a.ref_id)));
        recent.truncate(usize::try_from(ACTIVITIES).unwrap_or(20));
        Ok(Dashboard { stats, alerts, recent_activities: recent })
    }

    /// A page of alert rules.
    pub async fn rules(&self, caller: &Principal, offset: i64, limit: i64) -> Result<Page<AlertRuleRecord>, Error> {
        self.servers.require_operator(caller).await?;
        let (items, total) = self.db.alert_rules(offset, limit).await?;
        Ok(Page { items, total })
    }

    async fn check_server(&self, caller: &Principal, server_id: Option<i64>) -> Result<(), Error> {
        match server_id {
            Some(id) if id != LOCAL_HOST_ID => match self.servers.get(caller, id).await {
                Err(Error::NotFound(_)) => {
                    Err(Error::invalid_field("server_id", "value_error", format!("there is no server {id}")))
                }
                other => other.map(|_| ()),
            },
            _ => Ok(()),
        }
    }

    /// Creates an alert rule.
    pub async fn create_rule(&self, caller: &Principal, input: RuleInput) -> Result<AlertRuleRecord, Error> {
        self.servers.require_operator(caller).await?;
        let c = rules::check(input, None, &self.policy, caller.is_admin())?;
        self.check_server(caller, c.server_id).await?;
        let row = AlertRuleRow {
            name: &c.name,
            metric: c.metric,
            comparison: c.comparison,
            threshold: c.threshold,
            duration_secs: c.duration_secs,
            server_id: c.server_id,
            notify_email: c.notify_email.as_deref(),
            webhook_url: c.webhook_url.as_deref(),
            webhook_by_admin: caller.is_admin(),
            enabled: c.enabled,
        };
        Ok(self.db.insert_alert_rule(&row, caller.user_id, slipway_core::time::now()).await?)
    }

    /// Changes alert rule `id`.
    pub async fn update_rule(&self, caller: &Principal, id: i64, input: RuleInput) -> Result<AlertRuleRecord, Error> {
        self.servers.require_operator(caller).await?;
        let current = self.db.alert_rule(id).await?.ok_or_else(|| Error::NotFound(format!("alert rule {id}")))?;
        let c = rules::check(input, Some(&current), &self.policy, caller.is_admin())?;
        self.check_server(caller, c.server_id).await?;
        let by_admin = if c.webhook_url == current.webhook_url { current.webhook_by_admin } else { caller.is_admin() };
        let row = AlertRuleRow {
            name: &c.name,
            metric: c.metric,
            comparison: c.comparison,
            threshold: c.threshold,
            duration_secs: c.duration_secs,
            server_id: c.server_id,
            notify_email: c.notify_email.as_deref(),
            webhook_url: c.webhook_url.as_deref(),
            webhook_by_admin: by_admin,
            enabled: c.enabled,
        };
        let updated = self.db.update_alert_rule(id, &row, slipway_core::time::now()).await?;
        updated.ok_or_else(|| Error::NotFound(format!("alert rule {id}")))
    }

    /// Deletes alert rule `id` and its alerts.
    pub async fn delete_rule(&self, caller: &Principal, id: i64) -> Result<(), Error> {
        self.servers.require_operator(caller).await?;
        if self.db.delete_alert_rule(id).await? { Ok(()) } else { Err(Error::NotFound(format!("alert rule {id}"))) }
    }

    /// A page of alerts, newest first; `status` `open` or `resolved` when given.
    pub async fn alerts(
        &self,
        caller: &Principal,
        status: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<Page<AlertRecord>, Error> {
        self.servers.require_operator(caller).await?;
        if let Some(s) = status.filter(|s| !["open", "resolved"].contains(s)) {
            return Err(Error::Validation(vec![FieldError::query(
                "status",
                "value_error",
                format!("status is open or resolved, not {s:?}"),
            )]));
        }
        let (items, total) = self.db.list_alerts(status, offset, limit).await?;
        Ok(Page { items, total })
    }
}
