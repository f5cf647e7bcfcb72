//! Following a project as it runs: its current state, then its latest run's events as they are committed,
//! behind the project's access rule. A node learns of runs started on it at once ([`RunStarts`]); runs
//! started on other nodes are noticed by looking again now and then.

use slipway_core::{Error, Principal};
use slipway_engine::EventStream;
use slipway_store::factory::ProjectRecord;
use tokio::sync::broadcast;

use crate::Factory;

/// Runs started on this node, by project id.
#[derive(Debug, Clone)]
pub struct RunStarts(broadcast::Sender<i64>);

impl Default for RunStarts {
    fn default() -> Self {
        Self(broadcast::channel(256).0)
    }
}

impl RunStarts {
    /// Tells followers that `project_id` has a new run.
    pub fn notify(&self, project_id: i64) {
        let _ = self.0.send(project_id);
    }

    /// A receiver of the project ids whose runs start from now on.
    pub fn receiver(&self) -> broadcast::Receiver<i64> {
        self.0.subscribe()
    }
}

/// A project as a follower first sees it, with the events of its latest run from then on.
pub struct Watched {
    /// The project now.
    pub project: ProjectRecord,
    /// Its latest run's events after the moment `project` was read, or all of them for a follower that was
    /// there before the run started (`None` before its first run).
    pub events: Option<EventStream>,
}

/// Where a follower's view of the project's latest run starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// From now: a follower joining the project sees its state, then what happens next.
    Now,
    /// From the run's first event: a follower that was watching before the run started misses none of it
    /// (`workflow_started` included), however quickly the run began.
    RunStart,
}

impl Factory {
    /// The project as it is, and its latest run's events from `since` on (live until the run ends).
    pub async fn watch_project(&self, principal: &Principal, id: i64, since: Since) -> Result<Watched, Error> {
        loop {
            let project = self.project_for(principal, id).await?;
            let Some(job_id) = project.run_job_id else { return Ok(Watched { project, events: None }) };
            let job = self.engine.get(principal, job_id).await?;
            // The project read after the job is no older than the events that follow; a run that started in
            // between sends us round again.
            let project = self.project_for(principal, id).await?;
            if project.run_job_id == Some(job_id) {
                let after = match since {
                    Since::Now => job.event_seq,
                    Since::RunStart => 0,
                };
                let events = self.engine.subscribe(principal, job_id, after).await?;
                return Ok(Watched { project, events: Some(events) });
            }
        }
    }

    /// Runs started on this node.
    pub fn run_starts(&self) -> &RunStarts {
        &self.run_starts
    }
}
