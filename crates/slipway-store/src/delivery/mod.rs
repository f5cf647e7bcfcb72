//! Delivery: AnsFlow's pipelines and their runs, webhook deliveries, Jenkins servers, and the git repositories
//! Perfect21's git-flow works on.

mod pipelines;
mod runs;

pub use pipelines::{PipelineFields, PipelineFilter, PipelineRecord};
pub use runs::{ArtifactRecord, NewArtifact, NewRun, PipelineRunRecord, RunStepRecord, StepUpdate};
