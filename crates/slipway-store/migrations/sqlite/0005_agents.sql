-- Agent work: every agent call (activities), every quality-gate check, and the planner's diet plans.

-- One agent call inside a job: who, in which stage, what went in and came out, how long, how many tokens.
CREATE TABLE agent_activities (
    id                INTEGER PRIMARY KEY,
    job_id            INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    user_id           INTEGER,
    agent             TEXT NOT NULL,
    stage             TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('succeeded', 'failed', 'cancelled')),
    input             TEXT NOT NULL,
    output            TEXT NOT NULL,
    error             TEXT,
    duration_ms       INTEGER NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    started_at        TEXT NOT NULL,
    finished_at       TEXT NOT NULL
);
CREATE INDEX agent_activities_job ON agent_activities (job_id, id);
CREATE INDEX agent_activities_user ON agent_activities (user_id, id);

-- One quality-gate check: the gate, its result, the measured score against the threshold, and why.
CREATE TABLE gate_checks (
    id         INTEGER PRIMARY KEY,
    job_id     INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    user_id    INTEGER,
    gate_name  TEXT NOT NULL,
    result     TEXT NOT NULL CHECK (result IN ('passed', 'failed', 'skipped')),
    score      REAL,
    threshold  REAL,
    reason     TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX gate_checks_user ON gate_checks (user_id, id);
CREATE INDEX gate_checks_job ON gate_checks (job_id, id);

-- The results of the pet planner's diet-plan jobs (the plan id is the job id; the job keeps input and status).
CREATE TABLE diet_plans (
    job_id          INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    pet_information TEXT NOT NULL,
    ai_suggestions  TEXT NOT NULL,
    pet_diet_plan   TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
