//! The `monitor_samples` and `monitor_rollups` tables: raw samples written a batch at a time, the latest one,
//! history bucketed in SQL (raw rows for short ranges, 1-minute or 1-hour roll-ups for long ones), the roll-up
//! pass (a compare-and-set on `monitor_rollup_marks` so each range is rolled up once, by one node) and the
//! retention pass, which deletes old rows in bounded batches.

use crate::{Db, StoreError, on_pool};

/// Columns of one raw sample, in insert order.
const SAMPLE_COLUMNS: &str = "server_id, at_ms, node, cpu_percent, memory_used, memory_total, memory_percent, \
     load1, load5, load15, rx_bps, tx_bps, net_bps, disk_used, disk_total, disk_percent, disks, uptime_secs";
/// How many values one sample binds.
const SAMPLE_WIDTH: usize = 18;
/// Samples per INSERT statement (SQLite binds at most 32 766 values).
const INSERT_CHUNK: usize = 500;

/// One raw sample.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SampleRecord {
    /// The server sampled.
    pub server_id: i64,
    /// When (epoch ms).
    pub at_ms: i64,
    /// The node that collected it.
    pub node: String,
    /// CPU busy, percent (`None` on a server's first sample: CPU use is a difference of two).
    pub cpu_percent: Option<f64>,
    /// Memory in use (total − available), bytes.
    pub memory_used: i64,
    /// Memory, bytes.
    pub memory_total: i64,
    /// Memory in use, percent.
    pub memory_percent: f64,
    /// Load average over 1 minute.
    pub load1: f64,
    /// Over 5 minutes.
    pub load5: f64,
    /// Over 15 minutes.
    pub load15: f64,
    /// Bytes received per second, all interfaces but loopback (`None` on the first sample).
    pub rx_bps: Option<f64>,
    /// Bytes sent per second.
    pub tx_bps: Option<f64>,
    /// Received plus sent.
    pub net_bps: Option<f64>,
    /// Disk space used, all real file systems, bytes.
    pub disk_used: i64,
    /// Disk space, bytes.
    pub disk_total: i64,
    /// Disk space used, percent.
    pub disk_percent: f64,
    /// Per mount, JSON: `[{"mount", "used", "total"}]`.
    pub disks: String,
    /// Seconds since boot.
    pub uptime_secs: i64,
}

/// A metric of the history, and its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryMetric {
    /// CPU percent.
    Cpu,
    /// Memory percent.
    Memory,
    /// Disk percent.
    Disk,
    /// Network bytes per second (received plus sent).
    Network,
}

impl HistoryMetric {
    fn raw_column(self) -> &'static str {
        match self {
            Self::Cpu => "cpu_percent",
            Self::Memory => "memory_percent",
            Self::Disk => "disk_percent",
            Self::Network => "net_bps",
        }
    }

    fn rollup_prefix(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Memory => "memory",
            Self::Disk => "disk",
            Self::Network => "net",
        }
    }
}

/// Where a history query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistorySource {
    /// Raw samples.
    Raw,
    /// 1-minute roll-ups.
    Minutes,
    /// 1-hour roll-ups.
    Hours,
}

/// One point of a history: bucket start (epoch ms), average, maximum.
pub type HistoryPoint = (i64, f64, f64);

/// What one retention pass deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    /// Raw samples.
    pub raw: u64,
    /// 1-minute roll-ups.
    pub minutes: u64,
    /// 1-hour roll-ups.
    pub hours: u64,
}

/// `($1, $2, …), (…)` for `rows` rows of `width` values.
fn placeholders(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Db {
    /// Writes a batch of samples, one INSERT per [`INSERT_CHUNK`] of them (a sample already stored for that
    /// server and millisecond is kept).
    pub async fn insert_monitor_samples(&self, samples: &[SampleRecord]) -> Result<(), StoreError> {
        for chunk in samples.chunks(INSERT_CHUNK) {
            let sql = format!(
                "INSERT INTO monitor_samples ({SAMPLE_COLUMNS}) VALUES {} ON CONFLICT (server_id, at_ms) DO NOTHING",
                placeholders(chunk.len(), SAMPLE_WIDTH)
            );
            on_pool!(self, |p| {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
                for s in chunk {
                    q = q
                        .bind(s.server_id)
                        .bind(s.at_ms)
                        .bind(s.node.as_str())
                        .bind(s.cpu_percent)
                        .bind(s.memory_used)
                        .bind(s.memory_total)
                        .bind(s.memory_percent)
                        .bind(s.load1)
                        .bind(s.load5)
                        .bind(s.load15)
                        .bind(s.rx_bps)
                        .bind(s.tx_bps)
                        .bind(s.net_bps)
                        .bind(s.disk_used)
                        .bind(s.disk_total)
                        .bind(s.disk_percent)
                        .bind(s.disks.as_str())
                        .bind(s.uptime_secs);
                }
                q.execute(p).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    /// The newest sample of `server_id`.
    pub async fn latest_monitor_sample(&self, server_id: i64) -> Result<Option<SampleRecord>, StoreError> {
        let sql = "SELECT * FROM monitor_samples WHERE server_id = $1 ORDER BY at_ms DESC LIMIT 1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(server_id).fetch_optional(p).await)?)
    }

    /// How many raw samples `server_id` has (tests and figures).
    pub async fn count_monitor_samples(&self, server_id: i64) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM monitor_samples WHERE server_id = $1";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(server_id).fetch_one(p).await)?)
    }

    /// Every raw sample of `server_id`, oldest first (tests and figures).
    pub async fn monitor_samples(&self, server_id: i64) -> Result<Vec<SampleRecord>, StoreError> {
        let sql = "SELECT * FROM monitor_samples WHERE server_id = $1 ORDER BY at_ms";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(server_id).fetch_all(p).await)?)
    }

    /// The history of `metric` for `server_id` from `from_ms` on, from `source`, in buckets of `bucket_ms`.
    pub async fn monitor_history(
        &self,
        server_id: i64,
        metric: HistoryMetric,
        source: HistorySource,
        from_ms: i64,
        bucket_ms: i64,
    ) -> Result<Vec<HistoryPoint>, StoreError> {
        let sql = match source {
            HistorySource::Raw => {
                let c = metric.raw_column();
                format!(
                    "SELECT (at_ms / $3) * $3, AVG({c}), MAX({c}) FROM monitor_samples \
                     WHERE server_id = $1 AND at_ms >= $2 AND {c} IS NOT NULL GROUP BY 1 ORDER BY 1"
                )
            }
            HistorySource::Minutes | HistorySource::Hours => {
                let m = metric.rollup_prefix();
                let resolution = if source == HistorySource::Minutes { 60 } else { 3600 };
                format!(
                    "SELECT (bucket_ms / $3) * $3, AVG({m}_avg), MAX({m}_max) FROM monitor_rollups \
                     WHERE server_id = $1 AND resolution = {resolution} AND bucket_ms >= $2 AND {m}_avg IS NOT NULL \
                     GROUP BY 1 ORDER BY 1"
                )
            }
        };
        Ok(on_pool!(self, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(server_id)
                .bind(from_ms)
                .bind(bucket_ms)
                .fetch_all(p)
                .await
        })?)
    }

    /// Rolls raw samples older than `settled_ms` up into 1-minute rows, and complete hours of those into
    /// 1-hour rows. Each range is claimed by moving its mark with a compare-and-set in the same transaction,
    /// so concurrent nodes never roll one range up twice. Returns the rows written (minutes, hours).
    pub async fn roll_up_monitor(&self, settled_ms: i64) -> Result<(u64, u64), StoreError> {
        let minutes_until = settled_ms.div_euclid(60_000) * 60_000;
        let minutes = self
            .roll_up_range(
                60,
                minutes_until,
                "INSERT INTO monitor_rollups (server_id, resolution, bucket_ms, samples, cpu_avg, cpu_max, \
                 memory_avg, memory_max, disk_avg, disk_max, net_avg, net_max, load_avg, load_max) \
                 SELECT server_id, 60, (at_ms / 60000) * 60000, COUNT(*), AVG(cpu_percent), MAX(cpu_percent), \
                 AVG(memory_percent), MAX(memory_percent), AVG(disk_percent), MAX(disk_percent), \
                 AVG(net_bps), MAX(net_bps), AVG(load1), MAX(load1) FROM monitor_samples \
                 WHERE at_ms >= $1 AND at_ms < $2 GROUP BY server_id, (at_ms / 60000) * 60000 \
                 ON CONFLICT (server_id, resolution, bucket_ms) DO NOTHING",
            )
            .await?;
        let minute_mark = self.rollup_mark(60).await?;
        let hours_until = minute_mark.div_euclid(3_600_000) * 3_600_000;
        let hours = self
            .roll_up_range(
                3600,
                hours_until,
                "INSERT INTO monitor_rollups (server_id, resolution, bucket_ms, samples, cpu_avg, cpu_max, \
                 memory_avg, memory_max, disk_avg, disk_max, net_avg, net_max, load_avg, load_max) \
                 SELECT server_id, 3600, (bucket_ms / 3600000) * 3600000, CAST(SUM(samples) AS BIGINT), \
                 AVG(cpu_avg), MAX(cpu_max), AVG(memory_avg), MAX(memory_max), AVG(disk_avg), MAX(disk_max), \
                 AVG(net_avg), MAX(net_max), AVG(load_avg), MAX(load_max) FROM monitor_rollups \
                 WHERE resolution = 60 AND bucket_ms >= $1 AND bucket_ms < $2 \
                 GROUP BY server_id, (bucket_ms / 3600000) * 3600000 \
                 ON CONFLICT (server_id, resolution, bucket_ms) DO NOTHING",
            )
            .await?;
        Ok((minutes, hours))
    }

    async fn rollup_mark(&self, resolution: i64) -> Result<i64, StoreError> {
        let sql = "SELECT done_until FROM monitor_rollup_marks WHERE resolution = $1";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(resolution).fetch_one(p).await)?)
    }

    async fn roll_up_range(&self, resolution: i64, until: i64, insert: &'static str) -> Result<u64, StoreError> {
        let from = self.rollup_mark(resolution).await?;
        if until <= from {
            return Ok(0);
        }
        let cas = "UPDATE monitor_rollup_marks SET done_until = $3 WHERE resolution = $1 AND done_until = $2";
        Ok(on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let claimed =
                sqlx::query(cas).bind(resolution).bind(from).bind(until).execute(&mut *tx).await?.rows_affected();
            let written = if claimed == 1 {
                sqlx::query(insert).bind(from).bind(until).execute(&mut *tx).await?.rows_affected()
            } else {
                0
            };
            tx.commit().await.map(|()| written)
        })?)
    }

    /// Deletes raw samples before `raw_before_ms`, 1-minute roll-ups before `minutes_before_ms` and 1-hour
    /// roll-ups before `hours_before_ms`, at most `batch` rows per statement, until none is left.
    pub async fn prune_monitor(
        &self,
        raw_before_ms: i64,
        minutes_before_ms: i64,
        hours_before_ms: i64,
        batch: i64,
    ) -> Result<Pruned, StoreError> {
        let raw = "DELETE FROM monitor_samples WHERE (server_id, at_ms) IN \
                   (SELECT server_id, at_ms FROM monitor_samples WHERE at_ms < $1 LIMIT $2)";
        let rollups = "DELETE FROM monitor_rollups WHERE (server_id, resolution, bucket_ms) IN \
                       (SELECT server_id, resolution, bucket_ms FROM monitor_rollups \
                        WHERE resolution = $3 AND bucket_ms < $1 LIMIT $2)";
        Ok(Pruned {
            raw: self.delete_batches(raw, raw_before_ms, batch, None).await?,
            minutes: self.delete_batches(rollups, minutes_before_ms, batch, Some(60)).await?,
            hours: self.delete_batches(rollups, hours_before_ms, batch, Some(3600)).await?,
        })
    }

    async fn delete_batches(
        &self,
        sql: &'static str,
        before: i64,
        batch: i64,
        resolution: Option<i64>,
    ) -> Result<u64, StoreError> {
        let batch = batch.max(1);
        let mut total = 0;
        loop {
            let n = on_pool!(self, |p| {
                let q = sqlx::query(sql).bind(before).bind(batch);
                let q = match resolution {
                    Some(r) => q.bind(r),
                    None => q,
                };
                q.execute(p).await.map(|r| r.rows_affected())
            })?;
            total += n;
            if n < batch.unsigned_abs() {
                return Ok(total);
            }
        }
    }
}
