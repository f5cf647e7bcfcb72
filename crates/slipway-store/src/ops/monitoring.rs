//! The `monitored_servers` table: what the collector collects (a server id, or [`LOCAL_HOST_ID`] for the
//! Slipway host itself), the lease that makes exactly one node collect each, and the outcome of the last
//! collection (status, last success, last error, consecutive failures, the previous tick's raw counters).

use chrono::{DateTime, Utc};

use crate::{Db, StoreError, on_pool};

/// The id the Slipway host itself is monitored under (it has no `servers` row).
pub const LOCAL_HOST_ID: i64 = 0;

/// One monitored server.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MonitoredRecord {
    /// The server's id ([`LOCAL_HOST_ID`] for the Slipway host).
    pub server_id: i64,
    /// Who added it (`None` for the built-in host, or once that user is deleted).
    pub added_by: Option<i64>,
    /// When it was added.
    pub added_at: DateTime<Utc>,
    /// The node collecting it.
    pub lease_holder: Option<String>,
    /// Until when that node's lease runs (epoch ms).
    pub lease_expires_ms: Option<i64>,
    /// `unknown`, `online`, `offline` or `degraded`.
    pub status: String,
    /// The last successful collection.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Why the last failed collection failed.
    pub last_error: Option<String>,
    /// When it failed.
    pub last_error_at: Option<DateTime<Utc>>,
    /// Failed collections since the last success.
    pub consecutive_failures: i64,
    /// The previous tick's cumulative counters (JSON), for rates.
    pub raw_counters: Option<String>,
}

/// What the store counts for the monitoring statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonitorCounts {
    /// Servers in the inventory, plus the Slipway host.
    pub servers_total: i64,
    /// Monitored servers whose last collection succeeded.
    pub online: i64,
    /// Monitored servers that failed repeatedly.
    pub offline: i64,
    /// Monitored servers that failed once, or answered partly.
    pub degraded: i64,
    /// Monitored servers.
    pub monitored: i64,
    /// Open alerts.
    pub alerts_open: i64,
}

impl Db {
    /// Adds `server_id` to monitoring; `false` when it already was.
    pub async fn add_monitored_server(
        &self,
        server_id: i64,
        added_by: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO monitored_servers (server_id, added_by, added_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (server_id) DO NOTHING";
        let n = on_pool!(self, |p| {
            sqlx::query(sql).bind(server_id).bind(added_by).bind(now).execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Removes `server_id` from monitoring with its samples, roll-ups and alerts; `false` when it was not
    /// monitored.
    pub async fn remove_monitored_server(&self, server_id: i64) -> Result<bool, StoreError> {
        let n = on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let n = sqlx::query("DELETE FROM monitored_servers WHERE server_id = $1")
                .bind(server_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            for sql in [
                "DELETE FROM monitor_samples WHERE server_id = $1",
                "DELETE FROM monitor_rollups WHERE server_id = $1",
                "DELETE FROM monitor_alerts WHERE server_id = $1",
            ] {
                sqlx::query(sql).bind(server_id).execute(&mut *tx).await?;
            }
            tx.commit().await.map(|()| n)
        })?;
        Ok(n == 1)
    }

    /// The monitored row of `server_id`.
    pub async fn monitored_server(&self, server_id: i64) -> Result<Option<MonitoredRecord>, StoreError> {
        let sql = "SELECT * FROM monitored_servers WHERE server_id = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(server_id).fetch_optional(p).await)?)
    }

    /// Claims (or renews) for `node` every monitored server whose lease is free, expired or already `node`'s,
    /// until `now_ms + ttl_ms`, in one conditional UPDATE; returns the servers `node` now holds, by id. Rows of
    /// deleted servers are not claimed.
    pub async fn claim_monitor_leases(
        &self,
        node: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<Vec<MonitoredRecord>, StoreError> {
        let sql = "UPDATE monitored_servers SET lease_holder = $1, lease_expires_ms = $2 + $3 \
                   WHERE (lease_holder IS NULL OR lease_holder = $1 OR lease_expires_ms < $2) \
                   AND (server_id = 0 OR EXISTS (SELECT 1 FROM servers s WHERE s.id = monitored_servers.server_id)) \
                   RETURNING *";
        let mut held: Vec<MonitoredRecord> =
            on_pool!(self, |p| sqlx::query_as(sql).bind(node).bind(now_ms).bind(ttl_ms).fetch_all(p).await)?;
        held.sort_by_key(|m| m.server_id);
        Ok(held)
    }

    /// Gives up `node`'s leases (a node shutting down), so another node takes over at its next tick.
    pub async fn release_monitor_leases(&self, node: &str) -> Result<(), StoreError> {
        let sql = "UPDATE monitored_servers SET lease_holder = NULL, lease_expires_ms = NULL WHERE lease_holder = $1";
        on_pool!(self, |p| sqlx::query(sql).bind(node).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Records a successful collection of `server_id` by `node` (only while `node` holds the lease): the status
    /// (`online`, or `degraded` when the answer was partial) and the raw counters of this tick.
    pub async fn record_monitor_success(
        &self,
        server_id: i64,
        node: &str,
        status: &str,
        raw_counters: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE monitored_servers SET status = $3, last_seen_at = $4, consecutive_failures = 0, \
                   raw_counters = $5 WHERE server_id = $1 AND lease_holder = $2";
        let n = on_pool!(self, |p| {
            sqlx::query(sql)
                .bind(server_id)
                .bind(node)
                .bind(status)
                .bind(now)
                .bind(raw_counters)
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Records a failed collection of `server_id` by `node`: `offline` from the `offline_after`th failure in a
    /// row, `degraded` before. Returns the failures in a row, `None` when `node` does not hold the lease.
    pub async fn record_monitor_failure(
        &self,
        server_id: i64,
        node: &str,
        error: &str,
        offline_after: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let sql = "UPDATE monitored_servers SET consecutive_failures = consecutive_failures + 1, \
                   status = CASE WHEN consecutive_failures + 1 >= $4 THEN 'offline' ELSE 'degraded' END, \
                   last_error = $3, last_error_at = $5 \
                   WHERE server_id = $1 AND lease_holder = $2 RETURNING consecutive_failures";
        Ok(on_pool!(self, |p| {
            sqlx::query_scalar(sql)
                .bind(server_id)
                .bind(node)
                .bind(error)
                .bind(offline_after)
                .bind(now)
                .fetch_optional(p)
                .await
        })?)
    }

    /// Deletes the monitored rows of servers that no longer exist; how many went.
    pub async fn sweep_unmonitorable(&self) -> Result<u64, StoreError> {
        let sql = "DELETE FROM monitored_servers WHERE server_id <> 0 \
                   AND NOT EXISTS (SELECT 1 FROM servers s WHERE s.id = monitored_servers.server_id)";
        Ok(on_pool!(self, |p| sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()))?)
    }

    /// The counts of the monitoring statistics.
    pub async fn monitor_counts(&self) -> Result<MonitorCounts, StoreError> {
        let sql = "SELECT (SELECT COUNT(*) FROM servers) + 1, \
                   (SELECT COUNT(*) FROM monitored_servers WHERE status = 'online'), \
                   (SELECT COUNT(*) FROM monitored_servers WHERE status = 'offline'), \
                   (SELECT COUNT(*) FROM monitored_servers WHERE status = 'degraded'), \
                   (SELECT COUNT(*) FROM monitored_servers), \
                   (SELECT COUNT(*) FROM monitor_alerts WHERE status = 'open')";
        let (servers_total, online, offline, degraded, monitored, alerts_open): (i64, i64, i64, i64, i64, i64) =
            on_pool!(self, |p| sqlx::query_as(sql).fetch_one(p).await)?;
        Ok(MonitorCounts { servers_total, online, offline, degraded, monitored, alerts_open })
    }

    /// Runs of scheduled commands (qoder's tasks: jobs of kind `command` fired by a schedule) created since
    /// `since`.
    pub async fn task_runs_since(&self, since: DateTime<Utc>) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM jobs WHERE kind = 'command' AND schedule_id IS NOT NULL AND created_at >= $1";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(since).fetch_one(p).await)?)
    }

    /// The newest runs of scheduled commands: job id, task name, status and when it was created.
    pub async fn recent_task_runs(&self, limit: i64) -> Result<Vec<(i64, String, String, DateTime<Utc>)>, StoreError> {
        let sql = "SELECT j.id, COALESCE(s.name, ''), j.status, j.created_at FROM jobs j \
                   LEFT JOIN schedules s ON s.id = j.schedule_id \
                   WHERE j.kind = 'command' AND j.schedule_id IS NOT NULL ORDER BY j.created_at DESC, j.id DESC LIMIT $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(limit).fetch_all(p).await)?)
    }
}
