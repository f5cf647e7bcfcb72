//! The collector: every interval this node claims the leases it can (one conditional UPDATE), then collects
//! each server it holds — one SSH exec of [`SCRIPT`] per server, the Slipway host read locally — spread over
//! the interval and at most `concurrency` at once; writes the tick's samples in batches, records each server's
//! status, steps the alert state machine, and now and then runs the maintenance pass (roll-ups, retention,
//! rows of deleted servers).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use slipway_core::Error;
use slipway_store::Db;
use slipway_store::ops::{AlertRuleRecord, LOCAL_HOST_ID, MonitoredRecord, Pruned, SampleRecord};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::alerts::{AlertState, Comparison, Condition, RuleMetric, Transition, step};
use super::notify::Notifier;
use super::parse::{self, Counters, MARK, Reading, SCRIPT};
use crate::servers::Servers;
use crate::ssh::{ExecOptions, Outcome, Stream};

/// Samples written per statement at most; a batch is also written after [`FLUSH_EVERY`].
const BATCH: usize = 64;
/// The longest a finished sample waits to be written.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// How the collector runs.
#[derive(Debug, Clone)]
pub struct MonitorSettings {
    /// This node's name in leases and samples (unique per process).
    pub node: String,
    /// Time between two collections of one server.
    pub interval: Duration,
    /// Collections running at once on this node.
    pub concurrency: usize,
    /// Failed collections in a row after which a server is offline (before: degraded).
    pub offline_after: i64,
    /// How long raw samples are kept.
    pub raw_retention: Duration,
    /// How long 1-minute roll-ups are kept.
    pub minute_retention: Duration,
    /// How long 1-hour roll-ups are kept.
    pub hour_retention: Duration,
    /// Time between two maintenance passes.
    pub maintenance_every: Duration,
    /// Rows deleted per statement by the retention pass.
    pub prune_batch: i64,
    /// Whether this node monitors the Slipway host (server 0).
    pub local_host: bool,
}

impl Default for MonitorSettings {
    fn default() -> Self {
        Self {
            node: format!("node-{}-{}", std::process::id(), epoch_ms()),
            interval: Duration::from_secs(15),
            concurrency: 16,
            offline_after: 2,
            raw_retention: Duration::from_secs(24 * 3600),
            minute_retention: Duration::from_secs(7 * 86_400),
            hour_retention: Duration::from_secs(90 * 86_400),
            maintenance_every: Duration::from_secs(60),
            prune_batch: 5000,
            local_host: true,
        }
    }
}

/// Milliseconds since the epoch, now.
pub fn epoch_ms() -> i64 {
    slipway_core::time::now().timestamp_millis()
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// What one maintenance pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Maintenance {
    /// 1-minute roll-up rows written.
    pub minutes_rolled: u64,
    /// 1-hour roll-up rows written.
    pub hours_rolled: u64,
    /// Rows deleted by retention.
    pub pruned: Pruned,
    /// Monitored rows of deleted servers removed.
    pub swept: u64,
}

/// One server's collection.
struct Collected {
    record: MonitoredRecord,
    reading: Result<Reading, String>,
}

/// Alert states by (rule, server), kept across ticks.
type States = HashMap<(i64, i64), AlertState>;

/// The collector of one node. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Collector {
    db: Db,
    servers: Servers,
    notifier: Notifier,
    settings: Arc<MonitorSettings>,
}

impl Collector {
    /// A collector on `db`, reaching servers through `servers`, notifying through `notifier`.
    pub fn new(db: Db, servers: Servers, notifier: Notifier, settings: MonitorSettings) -> Self {
        Self { db, servers, notifier, settings: Arc::new(settings) }
    }

    /// The settings in force.
    pub fn settings(&self) -> &MonitorSettings {
        &self.settings
    }

    /// Runs until `stop` is cancelled, then gives up this node's leases.
    pub async fn run(self, stop: CancellationToken) {
        if self.settings.local_host
            && let Err(e) = self.db.add_monitored_server(LOCAL_HOST_ID, None, slipway_core::time::now()).await
        {
            tracing::warn!(error = %e, "cannot add the Slipway host to monitoring");
        }
        let mut states = States::new();
        let mut maintained: Option<Instant> = None;
        loop {
            let started = Instant::now();
            if let Err(e) = self.tick(&mut states, &stop).await {
                tracing::warn!(error = %e, "monitoring tick failed");
            }
            if maintained.is_none_or(|t| t.elapsed() >= self.settings.maintenance_every) {
                maintained = Some(Instant::now());
                if let Err(e) = self.maintain(epoch_ms()).await {
                    tracing::warn!(error = %e, "monitoring maintenance failed");
                }
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep_until((started + self.settings.interval).into()) => {}
            }
        }
        if let Err(e) = self.db.release_monitor_leases(&self.settings.node).await {
            tracing::warn!(error = %e, "cannot release the monitoring leases");
        }
    }

    /// Starts [`Self::run`] in the background.
    pub fn spawn(self, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }

    /// One tick: claim leases, collect every held server (spread, bounded), write, step the alerts. Returns how
    /// many servers this node collected.
    async fn tick(&self, states: &mut States, stop: &CancellationToken) -> Result<usize, Error> {
        let s = &self.settings;
        // A tick ends within the interval plus one collection timeout, well before a lease it renewed expires.
        let ttl = millis(s.interval).saturating_mul(3).saturating_add(millis(self.collection_timeout()));
        let held = self.db.claim_monitor_leases(&s.node, epoch_ms(), ttl).await?;
        let rules = self.db.enabled_alert_rules().await?;
        let (open, _) = self.db.list_alerts(Some("open"), 0, i64::MAX).await?;
        let open: HashSet<(i64, i64)> = open.iter().map(|a| (a.rule_id, a.server_id)).collect();
        let count = held.len();
        let permits = Arc::new(Semaphore::new(s.concurrency.max(1)));
        let mut set = JoinSet::new();
        for (i, record) in held.into_iter().enumerate() {
            // Spread the starts over the first three quarters of the interval.
            let offset = s.interval.mul_f64(0.75 * i as f64 / count as f64);
            let (this, permits, stop) = (self.clone(), Arc::clone(&permits), stop.clone());
            set.spawn(async move {
                tokio::select! {
                    () = stop.cancelled() => return None,
                    () = tokio::time::sleep(offset) => {}
                }
                let _permit = permits.acquire_owned().await.ok()?;
                let limit = this.collection_timeout();
                let reading = match tokio::time::timeout(limit, this.collect(record.server_id)).await {
                    Ok(reading) => reading,
                    Err(_) => Err(format!("timeout step: the collection took longer than {} s", limit.as_secs())),
                };
                Some(Collected { record, reading })
            });
        }
        let mut batch: Vec<SampleRecord> = Vec::new();
        let mut flushed = Instant::now();
        while let Some(done) = set.join_next().await {
            let Ok(Some(collected)) = done else { continue };
            if let Some(sample) = self.record(collected, &rules, &open, states).await? {
                batch.push(sample);
            }
            if batch.len() >= BATCH || flushed.elapsed() >= FLUSH_EVERY {
                self.db.insert_monitor_samples(&batch).await?;
                batch.clear();
                flushed = Instant::now();
            }
        }
        self.db.insert_monitor_samples(&batch).await?;
        Ok(count)
    }

    /// How long one collection (connecting included) may take: the interval, at least 5 s.
    fn collection_timeout(&self) -> Duration {
        self.settings.interval.max(Duration::from_secs(5))
    }

    /// Reads server `id` now: one SSH exec of the script, or the local files for the Slipway host. The sample's
    /// time is when the reading was asked for, so a slow answer does not skew the spacing of samples.
    async fn collect(&self, id: i64) -> Result<Reading, String> {
        let at_ms = epoch_ms();
        if id == LOCAL_HOST_ID {
            return local_reading(at_ms).await;
        }
        let target = self.servers.system_target(id).await?;
        let options = ExecOptions { timeout: Some(self.collection_timeout()), ..ExecOptions::default() };
        let exec = match self.servers.pool().exec(&target, SCRIPT, options).await {
            Ok(exec) => exec,
            Err(e) => {
                self.servers.system_failed(&target, &e).await;
                return Err(e.to_string());
            }
        };
        let (lines, end) = exec.collect().await;
        match end {
            Ok(f) if f.outcome == Outcome::Exited(0) => {}
            Ok(f) => return Err(format!("command step: the collection script ended with {:?}", f.outcome)),
            Err(e) => return Err(e.to_string()),
        }
        let text: Vec<&str> = lines.iter().filter(|l| l.stream == Stream::Stdout).map(|l| l.text.as_str()).collect();
        parse::parse_reading(&text.join("\n"), at_ms)
    }

    /// Records one collection (only while this node still holds the lease): status, the sample to write, alerts.
    async fn record(
        &self,
        c: Collected,
        rules: &[AlertRuleRecord],
        open: &HashSet<(i64, i64)>,
        states: &mut States,
    ) -> Result<Option<SampleRecord>, Error> {
        let (id, node, now) = (c.record.server_id, self.settings.node.as_str(), slipway_core::time::now());
        match c.reading {
            Ok(reading) => {
                let previous = c.record.raw_counters.as_deref().and_then(Counters::decode);
                let sample = parse::sample(id, node, &reading, previous);
                let status = if reading.missing.is_empty() { "online" } else { "degraded" };
                let counters = reading.counters.encode();
                if !self.db.record_monitor_success(id, node, status, &counters, now).await? {
                    return Ok(None);
                }
                let value = |m: RuleMetric| match m {
                    RuleMetric::Cpu => sample.cpu_percent,
                    RuleMetric::Memory => Some(sample.memory_percent),
                    RuleMetric::Disk => (sample.disk_total > 0).then_some(sample.disk_percent),
                    RuleMetric::Load => Some(sample.load1),
                    RuleMetric::Unreachable => Some(0.0),
                };
                self.evaluate(id, &value, rules, open, states).await?;
                Ok(Some(sample))
            }
            Err(error) => {
                let offline_after = self.settings.offline_after;
                let Some(failures) = self.db.record_monitor_failure(id, node, &error, offline_after, now).await? else {
                    return Ok(None);
                };
                let value = |m: RuleMetric| (m == RuleMetric::Unreachable).then_some(failures as f64);
                self.evaluate(id, &value, rules, open, states).await?;
                Ok(None)
            }
        }
    }

    async fn evaluate(
        &self,
        server_id: i64,
        value: &(dyn Fn(RuleMetric) -> Option<f64> + Sync),
        rules: &[AlertRuleRecord],
        open: &HashSet<(i64, i64)>,
        states: &mut States,
    ) -> Result<(), Error> {
        for rule in rules.iter().filter(|r| r.server_id.is_none_or(|s| s == server_id)) {
            let (Some(metric), Some(comparison)) =
                (RuleMetric::parse(&rule.metric), Comparison::parse(&rule.comparison))
            else {
                continue;
            };
            let duration_ms = rule.duration_secs.saturating_mul(1000);
            let cond = Condition { metric, comparison, threshold: rule.threshold, duration_ms };
            let key = (rule.id, server_id);
            let state = states.entry(key).or_default();
            if state.open != open.contains(&key) {
                *state = AlertState { open: open.contains(&key), ..AlertState::default() };
            }
            let v = value(metric);
            let now = slipway_core::time::now();
            match step(&cond, state, now.timestamp_millis(), v) {
                Some(Transition::Open) => {
                    let message = describe(rule, server_id, v);
                    if let Some(alert) = self.db.open_alert(rule.id, server_id, &rule.metric, v, &message, now).await? {
                        tracing::info!(rule = rule.id, server = server_id, %message, "alert opened");
                        self.notifier.notify("alert.opened", rule, &alert);
                    }
                }
                Some(Transition::Resolve) => {
                    if let Some(alert) = self.db.resolve_alert(rule.id, server_id, now).await? {
                        tracing::info!(rule = rule.id, server = server_id, "alert resolved");
                        self.notifier.notify("alert.resolved", rule, &alert);
                    }
                }
                None => {}
            }
        }
        Ok(())
    }

    /// The maintenance pass as of `now_ms`: rolls settled samples up, deletes rows past their retention in
    /// batches, and removes monitored rows of deleted servers.
    pub async fn maintain(&self, now_ms: i64) -> Result<Maintenance, Error> {
        let s = &self.settings;
        let settle = millis(s.interval).saturating_mul(2).saturating_add(5000);
        let (minutes_rolled, hours_rolled) = self.db.roll_up_monitor(now_ms - settle).await?;
        let pruned = self
            .db
            .prune_monitor(
                now_ms - millis(s.raw_retention),
                now_ms - millis(s.minute_retention),
                now_ms - millis(s.hour_retention),
                s.prune_batch,
            )
            .await?;
        let swept = self.db.sweep_unmonitorable().await?;
        Ok(Maintenance { minutes_rolled, hours_rolled, pruned, swept })
    }
}

/// What an opened alert says.
fn describe(rule: &AlertRuleRecord, server_id: i64, value: Option<f64>) -> String {
    let v = value.unwrap_or_default();
    if rule.metric == "unreachable" {
        return format!("{}: server {server_id} unreachable for {v} collections in a row", rule.name);
    }
    format!(
        "{}: server {server_id} {} {v:.2} {} {} for {} s",
        rule.name, rule.metric, rule.comparison, rule.threshold, rule.duration_secs
    )
}

/// The Slipway host's reading at `at_ms`, from the same files the script prints (and `df -P`), read here.
async fn local_reading(at_ms: i64) -> Result<Reading, String> {
    let mut text = String::new();
    for (name, path) in [
        ("stat", "/proc/stat"),
        ("meminfo", "/proc/meminfo"),
        ("loadavg", "/proc/loadavg"),
        ("netdev", "/proc/net/dev"),
    ] {
        text.push_str(&format!("{MARK}{name}\n"));
        text.push_str(&tokio::fs::read_to_string(path).await.unwrap_or_default());
    }
    text.push_str(&format!("{MARK}df\n"));
    let df = tokio::process::Command::new("df").arg("-P").kill_on_drop(true).output();
    if let Ok(Ok(out)) = tokio::time::timeout(Duration::from_secs(10), df).await {
        text.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    text.push_str(&format!("{MARK}uptime\n"));
    text.push_str(&tokio::fs::read_to_string("/proc/uptime").await.unwrap_or_default());
    text.push_str(&format!("{MARK}end\n"));
    parse::parse_reading(&text, at_ms)
}
