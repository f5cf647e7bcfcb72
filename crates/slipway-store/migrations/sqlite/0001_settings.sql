-- Installation-wide settings: one row per key (the instance id, later generated secrets' fingerprints).
CREATE TABLE settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
