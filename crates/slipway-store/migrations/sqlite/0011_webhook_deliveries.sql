-- Every webhook delivery GitHub or GitLab sent, and what it did to each pipeline of its repository, so a user
-- can see why a push did or did not build.

CREATE TABLE webhook_deliveries (
    id           INTEGER PRIMARY KEY,
    provider     TEXT NOT NULL CHECK (provider IN ('github', 'gitlab')),
    event        TEXT NOT NULL,
    delivery_id  TEXT,
    verified     BOOLEAN NOT NULL,
    outcome      TEXT NOT NULL,
    reason       TEXT,
    repository   TEXT,
    git_ref      TEXT,
    commit_sha   TEXT,
    received_at  TEXT NOT NULL
);
-- A delivery id counts once it was verified: a forged delivery cannot take a real one's id first.
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (provider, delivery_id)
    WHERE verified AND delivery_id IS NOT NULL AND outcome <> 'duplicate';
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (id DESC);

-- What one delivery did to one pipeline (the owner is kept so the history stays visible after a pipeline is
-- deleted).
CREATE TABLE webhook_delivery_pipelines (
    delivery_id  INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    pipeline_id  INTEGER NOT NULL,
    owner_id     INTEGER NOT NULL,
    outcome      TEXT NOT NULL,
    run_id       INTEGER,
    PRIMARY KEY (delivery_id, pipeline_id)
);
CREATE INDEX webhook_delivery_pipelines_owner ON webhook_delivery_pipelines (owner_id, delivery_id);
