-- Jenkins servers each user configured: where the server is, who to sign in as, and the credential (an API
-- token or a password, sealed; never stored in the clear). Builds are engine jobs (`delivery.jenkins_build`):
-- their queue item, build and console are the job's events, so they need no table of their own.

CREATE TABLE jenkins_servers (
    id                INTEGER PRIMARY KEY,
    owner_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    url               TEXT NOT NULL,
    username          TEXT NOT NULL,
    credential_sealed TEXT NOT NULL,
    credential_kind   TEXT NOT NULL CHECK (credential_kind IN ('api_token', 'password')),
    is_default        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE UNIQUE INDEX jenkins_servers_owner_name ON jenkins_servers (owner_id, name);
-- At most one default server per user.
CREATE UNIQUE INDEX jenkins_servers_one_default ON jenkins_servers (owner_id) WHERE is_default;
