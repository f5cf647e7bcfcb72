-- qoder's servers: the machines Slipway reaches over SSH. The credential (a private key or a password) is held
-- only sealed. `host_key` is the pinned host key (trust on first use); `pending_host_key` is a different key the
-- server offered since, refused until an administrator accepts it. `status` and the facts are those of the last
-- connection test. Servers are one shared inventory: administrators and granted operators manage all of them.

CREATE TABLE servers (
    id                           INTEGER PRIMARY KEY,
    owner_id                     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    name                         TEXT NOT NULL,
    host                         TEXT NOT NULL,
    port                         INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    username                     TEXT NOT NULL,
    auth_kind                    TEXT NOT NULL CHECK (auth_kind IN ('private_key', 'password')),
    credential_sealed            TEXT NOT NULL,
    jump_host                    TEXT,
    -- Whether an administrator saved the address (host, port, jump host): then anyone allowed to operate the
    -- server may reach it even when it is internal; otherwise the outbound policy applies to the caller.
    address_by_admin             BOOLEAN NOT NULL DEFAULT FALSE,
    description                  TEXT NOT NULL DEFAULT '',
    status                       TEXT NOT NULL DEFAULT 'unknown'
                                 CHECK (status IN ('unknown', 'online', 'offline', 'host_key_changed')),
    last_error                   TEXT,
    last_checked_at              TEXT,
    os                           TEXT,
    kernel                       TEXT,
    cpu_count                    INTEGER,
    memory_total_bytes           INTEGER,
    host_key                     TEXT,
    host_key_fingerprint         TEXT,
    pending_host_key             TEXT,
    pending_host_key_fingerprint TEXT,
    created_at                   TEXT NOT NULL,
    updated_at                   TEXT NOT NULL
);
CREATE UNIQUE INDEX servers_name ON servers (name);
CREATE INDEX servers_status ON servers (status);

CREATE TABLE server_tags (
    server_id INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    PRIMARY KEY (server_id, tag)
);
CREATE INDEX server_tags_tag ON server_tags (tag);

-- Users an administrator allowed to manage servers and run commands on them.
CREATE TABLE server_operators (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    granted_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    granted_at TEXT NOT NULL
);
