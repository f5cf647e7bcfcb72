//! How one node's engine behaves: worker slots, lease length, maintenance and schedule policies.

use std::path::PathBuf;
use std::time::Duration;

use slipway_core::Config;
use slipway_core::config::MissedRuns;

/// The engine's settings on one node.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Jobs this node runs at once; 0 makes a node that enqueues and watches but never runs jobs.
    pub workers: usize,
    /// How long a claimed job stays leased without a heartbeat; heartbeats renew it every third of this.
    pub lease: Duration,
    /// Where job workspaces are made: `<root>/<job id>`.
    pub workspace_root: PathBuf,
    /// Slipway's data dir, hidden from every sandboxed command (workspaces inside it are bound back one by
    /// one); `None` hides the workspace root.
    pub data_dir: Option<PathBuf>,
    /// Events of jobs finished longer ago than this are deleted; `None` keeps them.
    pub event_retention: Option<Duration>,
    /// What a schedule does about due times missed while no node ran (unless the schedule says otherwise).
    pub missed_runs: MissedRuns,
    /// Whether this node fires due schedules (any number of nodes may; each due time fires once).
    pub run_scheduler: bool,
    /// Whether this node runs the reaper (expired leases), retention cleanup and workspace sweeps.
    pub run_maintenance: bool,
    /// First retry delay after a failed attempt or a lost worker; doubles per attempt up to five minutes.
    pub retry_backoff: Duration,
    /// How long an executor gets to return after its cancellation token fires before it is abandoned.
    pub cancel_grace: Duration,
    /// The slowest the engine checks the database for work, cancels and events without a notification.
    /// `None`: 250 ms on SQLite (no notifications between processes), 2 s on PostgreSQL (a safety net).
    pub poll_interval: Option<Duration>,
    /// SQLite only: send the engine's writes through a pool of one connection, so writers queue in-process
    /// instead of sleeping in SQLite's busy handler.
    pub dedicated_sqlite_writer: bool,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            workers: 8,
            lease: Duration::from_secs(30),
            workspace_root: PathBuf::from(slipway_core::config::DEFAULT_DATA_DIR).join("workspaces"),
            data_dir: None,
            event_retention: Some(Duration::from_secs(30 * 86_400)),
            missed_runs: MissedRuns::Once,
            run_scheduler: true,
            run_maintenance: true,
            retry_backoff: Duration::from_secs(2),
            cancel_grace: Duration::from_secs(5),
            poll_interval: None,
            dedicated_sqlite_writer: true,
        }
    }
}

impl EngineSettings {
    /// The settings a node's configuration asks for.
    pub fn from_config(config: &Config) -> Self {
        Self {
            workers: config.workers,
            lease: Duration::from_secs(config.job_lease),
            workspace_root: config.data_dir.join("workspaces"),
            data_dir: Some(config.data_dir.clone()),
            event_retention: (config.event_retention_days > 0)
                .then(|| Duration::from_secs(config.event_retention_days.saturating_mul(86_400))),
            missed_runs: config.missed_runs,
            ..Self::default()
        }
    }

    /// A node that only enqueues, reads and watches: no workers, no scheduler, no maintenance.
    pub fn client_only(self) -> Self {
        Self { workers: 0, run_scheduler: false, run_maintenance: false, ..self }
    }
}
