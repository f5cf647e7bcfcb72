//! Who may see and change a pipeline, and a run of one: its owner and administrators. Every route that
//! reaches a pipeline or a run goes through [`Pipelines::pipeline_for`] or [`Pipelines::run_for`]; anyone
//! else (and a missing one) gets "not found", so a pipeline's existence does not leak.

use slipway_core::{Error, Principal};
use slipway_store::delivery::{PipelineRecord, PipelineRunRecord};

use super::Pipelines;

/// Whether `principal` may see and change a pipeline owned by `owner_id`.
pub fn may_access(principal: &Principal, owner_id: i64) -> bool {
    principal.is_admin() || owner_id == principal.user_id
}

impl Pipelines {
    /// The pipeline, if the caller may reach it.
    pub async fn pipeline_for(&self, principal: &Principal, id: i64) -> Result<PipelineRecord, Error> {
        match self.shared.db.pipeline(id).await? {
            Some(p) if may_access(principal, p.user_id) => Ok(p),
            _ => Err(Error::NotFound(format!("pipeline {id}"))),
        }
    }

    /// The run, if the caller may reach its pipeline.
    pub async fn run_for(&self, principal: &Principal, run_id: i64) -> Result<PipelineRunRecord, Error> {
        match self.shared.db.pipeline_run(run_id).await? {
            Some(r) if may_access(principal, r.owner_id) => Ok(r),
            _ => Err(Error::NotFound(format!("pipeline run {run_id}"))),
        }
    }
}
