-- AnsFlow's pipelines, their runs (one engine job each), the runs' steps and artifacts.

-- A pipeline: a repository, the events that trigger it and its steps. Secret variable values, the repository
-- credential and the webhook secret are sealed (slipway_store::Sealer); repository_key matches webhook pushes.
CREATE TABLE pipelines (
    id                    INTEGER PRIMARY KEY,
    user_id               INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                  TEXT NOT NULL,
    description           TEXT NOT NULL,
    repository_url        TEXT NOT NULL,
    repository_key        TEXT NOT NULL,
    branch                TEXT NOT NULL,
    trigger_events        TEXT NOT NULL,
    steps                 TEXT NOT NULL,
    variables             TEXT NOT NULL,
    repository_credential TEXT,
    webhook_secret        TEXT,
    schedule              TEXT,
    schedule_id           INTEGER REFERENCES schedules (id) ON DELETE SET NULL,
    network               BOOLEAN NOT NULL,
    is_active             BOOLEAN NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE INDEX pipelines_user ON pipelines (user_id, id);
CREATE INDEX pipelines_repository ON pipelines (repository_key);

-- A run of a pipeline; its status is read from its job (pending until the job exists).
CREATE TABLE pipeline_runs (
    id              INTEGER PRIMARY KEY,
    pipeline_id     INTEGER NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    job_id          INTEGER UNIQUE REFERENCES jobs (id) ON DELETE SET NULL,
    number          INTEGER NOT NULL,
    trigger_type    TEXT NOT NULL
                    CHECK (trigger_type IN ('manual', 'push', 'pull_request', 'tag', 'schedule', 'restart')),
    triggered_by    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    trigger_details TEXT NOT NULL,
    delivery_id     TEXT,
    branch          TEXT NOT NULL,
    commit_sha      TEXT,
    variables       TEXT NOT NULL,
    cancelled_by    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (pipeline_id, number)
);

-- Each step of a run as it went.
CREATE TABLE pipeline_run_steps (
    run_id      INTEGER NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    step_index  INTEGER NOT NULL,
    name        TEXT NOT NULL,
    step_type   TEXT NOT NULL,
    status      TEXT NOT NULL
                CHECK (status IN ('pending', 'running', 'success', 'failed', 'skipped', 'cancelled')),
    exit_code   INTEGER,
    started_at  TEXT,
    finished_at TEXT,
    duration_ms INTEGER,
    log         TEXT NOT NULL,
    PRIMARY KEY (run_id, step_index)
);

-- Files a run's artifact_upload steps stored; the content is the blob named by its SHA-256 in the file store.
CREATE TABLE pipeline_artifacts (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    step_index  INTEGER NOT NULL,
    path        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (run_id, path)
);
