-- ResoftAI's organizations, their teams and members, and their quotas. A user belongs to an organization
-- through its teams; an organization's owners are the owners of any of its teams. A team keeps at least one
-- owner (checked by the store under a lock on the team row). Quotas are one row per organization and resource
-- type; `used` of `projects` is reserved in the same transaction as the project it counts (`projects.quota_id`
-- says which row, so deleting the project releases it).

CREATE TABLE organizations (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    slug          TEXT NOT NULL,
    tier          TEXT NOT NULL CHECK (tier IN ('free', 'professional', 'enterprise')),
    contact_email TEXT,
    description   TEXT,
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    sso_enabled   BOOLEAN NOT NULL DEFAULT FALSE,
    created_by    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX organizations_slug ON organizations (slug);
CREATE INDEX organizations_tier ON organizations (tier, is_active);

CREATE TABLE teams (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    description     TEXT,
    is_default      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX teams_name ON teams (organization_id, name);

CREATE TABLE team_members (
    id        INTEGER PRIMARY KEY,
    team_id   INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    joined_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX team_members_member ON team_members (team_id, user_id);
CREATE INDEX team_members_user ON team_members (user_id, id);

-- `quota_limit` is the document's `limit` (a reserved word in SQL).
CREATE TABLE quotas (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    resource_type   TEXT NOT NULL
                    CHECK (resource_type IN ('projects', 'api_calls', 'llm_tokens', 'storage_bytes', 'concurrent_runs')),
    quota_limit     INTEGER NOT NULL CHECK (quota_limit >= 0),
    used            INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
    reset_at        TEXT,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX quotas_resource ON quotas (organization_id, resource_type);

-- The quota row a project was counted against (none for a creator in no organization).
ALTER TABLE projects ADD COLUMN quota_id INTEGER REFERENCES quotas (id) ON DELETE SET NULL;
