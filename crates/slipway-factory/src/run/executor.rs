//! The executor of project runs.

use serde_json::Value;
use slipway_agents::Runtime;
use slipway_core::Error;
use slipway_engine::{Executor, JobContext, JobFailure};

use super::{KIND, RunInput};
use crate::files::ProjectFiles;

/// Runs projects through their stages.
#[derive(Debug, Clone)]
pub struct ProjectRunExecutor {
    runtime: Runtime,
    files: ProjectFiles,
}

impl ProjectRunExecutor {
    /// The executor over the agent runtime and the project files.
    pub fn new(runtime: Runtime, files: ProjectFiles) -> Self {
        Self { runtime, files }
    }
}

impl Executor for ProjectRunExecutor {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn validate(&self, input: &Value) -> Result<(), Error> {
        serde_json::from_value::<RunInput>(input.clone())
            .map(|_| ())
            .map_err(|e| Error::MalformedRequest(e.to_string()))
    }

    async fn run(&self, ctx: JobContext) -> Result<Value, JobFailure> {
        let _ = (&self.runtime, &self.files, &ctx);
        Err(JobFailure::fatal("project runs are being built"))
    }
}
