-- qoder's monitoring. `monitored_servers` lists what is collected: a server id, or 0 for the Slipway host itself
-- (collected locally, no `servers` row, hence no foreign key: rows of deleted servers are swept by the
-- collector's maintenance). The lease (`lease_holder`, `lease_expires_ms`) makes exactly one node collect a
-- server; it is claimed with a conditional UPDATE. `raw_counters` are the previous tick's cumulative counters
-- (CPU jiffies, network bytes) so whichever node holds the lease computes rates from the last sample.
-- Times of samples are epoch milliseconds, so bucketing is integer arithmetic on both backends.

CREATE TABLE monitored_servers (
    server_id            INTEGER PRIMARY KEY,
    added_by             INTEGER REFERENCES users (id) ON DELETE SET NULL,
    added_at             TEXT NOT NULL,
    lease_holder         TEXT,
    lease_expires_ms     INTEGER,
    status               TEXT NOT NULL DEFAULT 'unknown'
                         CHECK (status IN ('unknown', 'online', 'offline', 'degraded')),
    last_seen_at         TEXT,
    last_error           TEXT,
    last_error_at        TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    raw_counters         TEXT
);

-- Raw samples, one per tick and server, kept for the raw retention (24 h by default).
CREATE TABLE monitor_samples (
    server_id      INTEGER NOT NULL,
    at_ms          INTEGER NOT NULL,
    node           TEXT NOT NULL,
    cpu_percent    REAL,
    memory_used    INTEGER NOT NULL,
    memory_total   INTEGER NOT NULL,
    memory_percent REAL NOT NULL,
    load1          REAL NOT NULL,
    load5          REAL NOT NULL,
    load15         REAL NOT NULL,
    rx_bps         REAL,
    tx_bps         REAL,
    net_bps        REAL,
    disk_used      INTEGER NOT NULL,
    disk_total     INTEGER NOT NULL,
    disk_percent   REAL NOT NULL,
    disks          TEXT NOT NULL,
    uptime_secs    INTEGER NOT NULL,
    PRIMARY KEY (server_id, at_ms)
);
CREATE INDEX monitor_samples_at ON monitor_samples (at_ms);

-- Averages and maxima per bucket: `resolution` 60 (1-minute rows, kept 7 d) or 3600 (1-hour rows, kept 90 d);
-- `bucket_ms` is the bucket's start.
CREATE TABLE monitor_rollups (
    server_id   INTEGER NOT NULL,
    resolution  INTEGER NOT NULL CHECK (resolution IN (60, 3600)),
    bucket_ms   INTEGER NOT NULL,
    samples     INTEGER NOT NULL,
    cpu_avg     REAL,
    cpu_max     REAL,
    memory_avg  REAL,
    memory_max  REAL,
    disk_avg    REAL,
    disk_max    REAL,
    net_avg     REAL,
    net_max     REAL,
    load_avg    REAL,
    load_max    REAL,
    PRIMARY KEY (server_id, resolution, bucket_ms)
);
CREATE INDEX monitor_rollups_bucket ON monitor_rollups (resolution, bucket_ms);

-- How far each resolution has been rolled up (exclusive end, epoch ms); moved with a compare-and-set so one
-- node rolls each range up once.
CREATE TABLE monitor_rollup_marks (
    resolution INTEGER PRIMARY KEY,
    done_until INTEGER NOT NULL
);
INSERT INTO monitor_rollup_marks (resolution, done_until) VALUES (60, 0), (3600, 0);

-- Alert rules: a metric compared with a threshold for a duration, on one server or on every monitored one.
CREATE TABLE monitor_alert_rules (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    metric        TEXT NOT NULL CHECK (metric IN ('cpu', 'memory', 'disk', 'load', 'unreachable')),
    comparison    TEXT NOT NULL CHECK (comparison IN ('>', '>=', '<', '<=')),
    threshold     REAL NOT NULL,
    duration_secs INTEGER NOT NULL CHECK (duration_secs >= 0),
    server_id     INTEGER,
    notify_email  TEXT,
    webhook_url   TEXT,
    -- Whether an administrator saved the webhook URL (then it may be internal, as the outbound policy allows
    -- administrators); otherwise the policy applies as for any user.
    webhook_by_admin BOOLEAN NOT NULL DEFAULT FALSE,
    enabled       BOOLEAN NOT NULL DEFAULT TRUE,
    created_by    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- Alerts: at most one open per rule and server (the partial unique index), resolved by the collector.
CREATE TABLE monitor_alerts (
    id          INTEGER PRIMARY KEY,
    rule_id     INTEGER NOT NULL REFERENCES monitor_alert_rules (id) ON DELETE CASCADE,
    server_id   INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    metric      TEXT NOT NULL,
    value       REAL,
    message     TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    resolved_at TEXT
);
CREATE UNIQUE INDEX monitor_alerts_one_open ON monitor_alerts (rule_id, server_id) WHERE status = 'open';
CREATE INDEX monitor_alerts_status ON monitor_alerts (status, opened_at);
