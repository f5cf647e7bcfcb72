-- Perfect21's git-flow works on git repositories: a path on the server's disk an administrator registered
-- (`local`), or a URL Slipway cloned into its data dir (`clone`). One per owner may be the default.

CREATE TABLE git_repositories (
    id          INTEGER PRIMARY KEY,
    owner_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('local', 'clone')),
    path        TEXT NOT NULL,
    origin_url  TEXT,
    is_default  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (owner_id, name)
);
-- At most one default per owner.
CREATE UNIQUE INDEX git_repositories_default ON git_repositories (owner_id) WHERE is_default;
