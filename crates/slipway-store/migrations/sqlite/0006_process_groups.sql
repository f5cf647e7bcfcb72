-- The process groups of commands jobs are running, so a node starting after a crash (kill -9 of its process)
-- can kill what the dead node left behind on the same host. A row lives while its command runs.
CREATE TABLE process_groups (
    id               INTEGER PRIMARY KEY,
    job_id           INTEGER NOT NULL,
    attempt          INTEGER NOT NULL,
    -- The engine node (lease holder name) that started it, and that node's process: pid and start time in clock
    -- ticks since boot (from /proc/<pid>/stat), so a live node is told from a dead one with a reused pid.
    node             TEXT NOT NULL,
    node_pid         INTEGER NOT NULL,
    node_start_ticks INTEGER NOT NULL,
    -- The host: its hostname and boot id (/proc/sys/kernel/random/boot_id); pids of another boot mean nothing.
    hostname         TEXT NOT NULL,
    boot_id          TEXT NOT NULL,
    -- The group (its leader's pid) and the leader's start time.
    pgid             INTEGER NOT NULL,
    start_ticks      INTEGER NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX process_groups_host ON process_groups (hostname);
