//! Slipway's execution engine: every long-running thing is a job.
//!
//! Jobs live in the store and move through a guarded state machine (queued → running → succeeded, failed,
//! cancelled or timed out). Workers inside each node claim due jobs in one round trip, hold them under a lease
//! they renew, and run them through the executor registered for their kind. Every job appends to an event log
//! that subscribers replay from any sequence number and then tail live, on any node. Cron schedules turn each
//! due time into exactly one job. See `docs/architecture.md` ("Engine") for the why.

mod api;
mod coalesce;
mod command;
mod commit;
mod context;
mod cron;
mod dispatcher;
mod engine;
mod executor;
mod holder;
mod hub;
mod listener;
mod maintenance;
mod metrics;
mod orphans;
mod probe;
pub mod process;
pub mod remote;
mod runner;
mod scheduler;
mod schedules;
mod settings;
mod subscription;
mod visibility;
mod writer;

pub use api::{EnqueueOptions, Page, Waited};
pub use command::{CommandExecutor, CommandInput, LOCAL_TARGET, TAIL_BYTES as COMMAND_TAIL_BYTES};
pub use context::JobContext;
pub use cron::CronSchedule;
pub use engine::{Engine, EngineBuilder};
pub use executor::{Executor, JobFailure};
pub use metrics::{EngineMetrics, HistogramSnapshot};
pub use process::{Isolation, ProcessOutcome, ProcessSpec};
pub use remote::{RemoteRun, RemoteShell};
pub use schedules::{ScheduleRequest, ScheduleUpdate};
pub use settings::EngineSettings;
pub use slipway_core::config::MissedRuns;
pub use slipway_sandbox::Availability as SandboxAvailability;
pub use slipway_store::jobs::{
    EventRecord as JobEvent, JobFilter, JobRecord as Job, JobStatus, ScheduleRecord as Schedule,
};
pub use subscription::EventStream;
pub use visibility::Visibility;

/// The event type of status changes; its payload has `status` (and `attempt`, `error`, `retry_at` …).
pub const STATUS_EVENT: &str = "status";
