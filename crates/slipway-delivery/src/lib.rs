//! Slipway's delivery domain: AnsFlow's pipelines and their runs on the engine, the GitHub and GitLab webhooks
//! that start them, Jenkins builds over Jenkins' HTTP API, and Perfect21's git-flow operations and git hooks on
//! real repositories (with the `git` command, so hooks run).

pub mod git;
pub mod jenkins;
pub mod pipelines;
pub mod repository;
#[cfg(feature = "testing")]
pub mod testing;
pub mod webhooks;

pub use git::{Git, GitRepositories};
pub use jenkins::{Jenkins, JenkinsBuildExecutor};
pub use pipelines::activity::Activity;
pub use pipelines::events::RunEvent;
pub use pipelines::model::{PipelineInput, PipelineQuery, RunDetail, StepInput, Trigger, TriggerKind};
pub use pipelines::runs::RunVariables;
pub use pipelines::service::UpdateMode;
pub use pipelines::{PipelineSettings, Pipelines, register};
pub use repository::repository_key;
pub use slipway_store::delivery::{ArtifactRecord, PipelineRecord, PipelineRunRecord, RunStepRecord};
