-- qoder's deployments: one engine job each, releasing a source (a git ref or a pipeline run's artifacts) onto
-- one or more servers. A deployment's status is read from its job (pending until the job exists), like a
-- pipeline run's. `source` and `spec` are what was asked for (JSON: the source, the steps, the health check,
-- the strategy); `kind` tells a deployment from the rollback of one (`rollback_of`).
CREATE TABLE deployments (
    id           INTEGER PRIMARY KEY,
    owner_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('deploy', 'rollback')),
    rollback_of  INTEGER REFERENCES deployments (id) ON DELETE SET NULL,
    source       TEXT NOT NULL,
    spec         TEXT NOT NULL,
    job_id       INTEGER UNIQUE REFERENCES jobs (id) ON DELETE SET NULL,
    cancelled_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- Each server of a deployment, in the order they are deployed to: the release it made, the one `current`
-- pointed at before, and why it failed.
CREATE TABLE deployment_targets (
    deployment_id    INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    server_id        INTEGER REFERENCES servers (id) ON DELETE SET NULL,
    server_name      TEXT NOT NULL,
    status           TEXT NOT NULL
                     CHECK (status IN ('pending', 'running', 'success', 'failed', 'skipped', 'cancelled')),
    release          TEXT,
    previous_release TEXT,
    error            TEXT,
    started_at       TEXT,
    finished_at      TEXT,
    PRIMARY KEY (deployment_id, position)
);
CREATE INDEX deployment_targets_server ON deployment_targets (server_id, deployment_id);

-- Each step on each server as it went, with the tail of its output.
CREATE TABLE deployment_steps (
    deployment_id INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    step_index    INTEGER NOT NULL,
    name          TEXT NOT NULL,
    status        TEXT NOT NULL
                  CHECK (status IN ('pending', 'running', 'success', 'failed', 'skipped', 'cancelled')),
    exit_code     INTEGER,
    started_at    TEXT,
    finished_at   TEXT,
    duration_ms   INTEGER,
    log           TEXT NOT NULL,
    PRIMARY KEY (deployment_id, position, step_index),
    FOREIGN KEY (deployment_id, position) REFERENCES deployment_targets (deployment_id, position) ON DELETE CASCADE
);
