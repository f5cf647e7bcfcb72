-- LLM: each user's provider configurations (API keys sealed, never stored in the clear) and one usage row per
-- provider call (success, failure or cache hit). Usage rows are a log: they keep their user and job ids after
-- those rows are gone, so they carry no foreign keys (and a batch of them never fails on a concurrent delete).

CREATE TABLE llm_configs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    provider       TEXT NOT NULL,
    model          TEXT NOT NULL,
    api_key_sealed TEXT,
    api_base       TEXT,
    is_default     BOOLEAN NOT NULL DEFAULT FALSE,
    is_active      BOOLEAN NOT NULL DEFAULT TRUE,
    params         TEXT NOT NULL DEFAULT '{}',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX llm_configs_user ON llm_configs (user_id, created_at);
-- At most one default configuration per user.
CREATE UNIQUE INDEX llm_configs_one_default ON llm_configs (user_id) WHERE is_default;

CREATE TABLE llm_usage (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER,
    job_id            INTEGER,
    provider          TEXT NOT NULL,
    model             TEXT NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cost              REAL NOT NULL,
    latency_ms        INTEGER NOT NULL,
    cached            BOOLEAN NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    error             TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX llm_usage_user ON llm_usage (user_id, created_at);
CREATE INDEX llm_usage_job ON llm_usage (job_id);
CREATE INDEX llm_usage_created ON llm_usage (created_at);
