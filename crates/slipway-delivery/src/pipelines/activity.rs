//! What a system status page shows of delivery: how many pipelines are active and how many jobs the engine
//! runs and has queued, over the whole installation. Counts only, so no caller needs to be checked.

use slipway_core::Error;

use super::Pipelines;

/// Installation-wide counts: no names, ids or owners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activity {
    /// Pipelines that are active (may run).
    pub active_pipelines: i64,
    /// Jobs of every kind running now, on every node.
    pub running_jobs: i64,
    /// Jobs of every kind waiting in the queue.
    pub queued_jobs: i64,
}

impl Pipelines {
    /// The counts now: one query for the pipelines, one for the engine's queue (whatever their number).
    pub async fn activity(&self) -> Result<Activity, Error> {
        let pipelines = async { Ok::<_, Error>(self.shared.db.count_active_pipelines().await?) };
        let (active_pipelines, engine) = tokio::try_join!(pipelines, self.engine.metrics())?;
        Ok(Activity { active_pipelines, running_jobs: engine.running, queued_jobs: engine.queue_depth })
    }
}
