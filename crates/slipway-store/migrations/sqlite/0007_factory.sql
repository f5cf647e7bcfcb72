-- ResoftAI's software factory: projects, their runs (engine jobs), and their versioned files.

-- A project: what to build and how; its status, progress and stage are read from its latest run's job.
CREATE TABLE projects (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT,
    requirements TEXT NOT NULL,
    config       TEXT NOT NULL,
    run_job_id   INTEGER REFERENCES jobs (id) ON DELETE SET NULL,
    checkpoint   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX projects_user ON projects (user_id, id);

-- Every run of a project: one engine job each (its activities and events hang off the job).
CREATE TABLE project_runs (
    job_id          INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    project_id      INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    workflow_id     TEXT NOT NULL UNIQUE,
    resumed_from    TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX project_runs_project ON project_runs (project_id, job_id);

-- A file of a project (uploaded, written by an agent, or rendered from a template); its current version.
CREATE TABLE project_files (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    path        TEXT NOT NULL,
    category    TEXT NOT NULL CHECK (category IN ('requirements', 'design', 'code', 'test', 'documentation')),
    mime_type   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (project_id, path)
);

-- Every version of a file; the content is the blob named by its SHA-256 in the file store.
CREATE TABLE file_versions (
    file_id       INTEGER NOT NULL REFERENCES project_files (id) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    size          INTEGER NOT NULL,
    created_by    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    restored_from INTEGER,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (file_id, version)
);
CREATE INDEX file_versions_sha ON file_versions (sha256);
