//! The project run (`factory.project_run`): one engine job that takes a project through its stages.
//!
//! Events it writes to the job's log, beside the engine's own (`status`, `progress`, `stage`) and the agents'
//! (`agent_started`, `agent_message`, `tool_called`, `agent_finished`, …):
//! - `workflow_started` `{project_id, workflow_id, resumed_from, stages}` when an attempt begins (`stages`: the
//!   ones it still has to run, in document order; `resumed_from`: the checkpoint's last stage, if any);
//! - `stage_started` `{stage, agent}`;
//! - `stage_completed` `{stage, agent, duration_seconds, tokens_used, files}` once the stage's files and the
//!   checkpoint are stored;
//! - `stage_failed` `{stage, agent, error}`.
//!
//! The end of the run is the engine's final `status` event (the realtime views turn it into
//! `workflow_completed` / `workflow_failed`).
//!
//! The files: `executor` (an attempt's start), `attempt` (the stages as the plan allows, the output), `plan`
//! (the strategies), `stage` (one stage to its stored end), `prompts` (roles and tasks), `testing` and
//! `test_report` (tests run for real and read), `review`, `completion`.

mod attempt;
mod checkpoint;
mod completion;
mod executor;
mod plan;
mod prompts;
mod review;
mod stage;
mod test_report;
mod testing;

pub use checkpoint::{Checkpoint, StageResult};
pub use executor::ProjectRunExecutor;

use serde::{Deserialize, Serialize};

/// The job kind.
pub const KIND: &str = "factory.project_run";

/// What a run job is given (built by the service).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInput {
    /// The project.
    pub project_id: i64,
    /// The run's workflow id (`wf_<unix seconds>_<hex>`).
    pub workflow_id: String,
    /// Whether the owner may run commands (agents get `run_command`; the testing stage runs the tests).
    #[serde(default)]
    pub allow_commands: bool,
}
