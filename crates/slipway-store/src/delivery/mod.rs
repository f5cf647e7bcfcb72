//! Delivery: AnsFlow's pipelines and their runs, webhook deliveries, Jenkins servers, and the git repositories
//! Perfect21's git-flow works on.

mod jenkins;
mod pipelines;
mod repositories;
mod runs;
mod webhooks;

pub use jenkins::{JenkinsServerRecord, JenkinsServerRow};
pub use pipelines::{PipelineFields, PipelineFilter, PipelineRecord};
pub use repositories::{GitRepositoryRecord, NewGitRepository};
pub use runs::{ArtifactRecord, NewArtifact, NewRun, PipelineRunRecord, RunStepRecord, StepUpdate};
pub use webhooks::{DeliveryPipeline, DeliveryRecord, NewDelivery};
