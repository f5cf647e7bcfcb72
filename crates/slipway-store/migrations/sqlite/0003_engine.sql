-- The execution engine: schedules, jobs and their append-only event log.

-- Cron schedules; each due time becomes one job (see jobs_schedule_due).
CREATE TABLE schedules (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    owner_id     INTEGER,
    kind         TEXT NOT NULL,
    input        TEXT NOT NULL,
    cron         TEXT NOT NULL,
    timezone     TEXT NOT NULL,
    enabled      BOOLEAN NOT NULL,
    missed_runs  TEXT CHECK (missed_runs IN ('once', 'skip')),
    priority     INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    timeout_ms   INTEGER,
    next_run_at  TEXT,
    last_run_at  TEXT,
    last_job_id  INTEGER,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE enabled;
CREATE INDEX schedules_owner ON schedules (owner_id, id);

-- Jobs. Every state change is a guarded UPDATE (status, lease holder and attempt in the WHERE clause).
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,
    owner_id         INTEGER,
    status           TEXT NOT NULL
                     CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out')),
    priority         INTEGER NOT NULL,
    input            TEXT NOT NULL,
    output           TEXT,
    checkpoint       TEXT,
    error            TEXT,
    progress         INTEGER NOT NULL CHECK (progress BETWEEN 0 AND 100),
    stage            TEXT,
    attempts         INTEGER NOT NULL,
    max_attempts     INTEGER NOT NULL CHECK (max_attempts >= 1),
    timeout_ms       INTEGER,
    scheduled_for    TEXT NOT NULL,
    lease_holder     TEXT,
    lease_expires_at TEXT,
    cancel_requested BOOLEAN NOT NULL,
    event_seq        INTEGER NOT NULL,
    schedule_id      INTEGER REFERENCES schedules (id) ON DELETE SET NULL,
    due_at           TEXT,
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT,
    updated_at       TEXT NOT NULL
);
CREATE INDEX jobs_queue ON jobs (priority DESC, scheduled_for, id) WHERE status = 'queued';
-- When the next delayed job is due (an idle dispatcher's alarm clock).
CREATE INDEX jobs_due ON jobs (scheduled_for) WHERE status = 'queued';
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE status = 'running';
CREATE INDEX jobs_holder ON jobs (lease_holder) WHERE status = 'running';
CREATE INDEX jobs_owner ON jobs (owner_id, id);
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
-- Each due time of a schedule fires at most once, whatever the number of nodes.
CREATE UNIQUE INDEX jobs_schedule_due ON jobs (schedule_id, due_at);

-- The append-only event log: per-job sequence numbers, assigned from jobs.event_seq under the write lock.
CREATE TABLE job_events (
    job_id  INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    at      TEXT NOT NULL,
    type    TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE INDEX job_events_at ON job_events (at);
