//! The sandbox of the job a command belongs to, carried by the task that runs the job (a tokio task-local the
//! engine sets around every executor), so every place that runs commands uses the same sandbox and records its
//! process groups without being handed them.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::availability::Availability;
use crate::host::host_command;
use crate::proc::start_ticks;
use crate::spec::Spec;

/// A boxed future of a [`Ledger`].
pub type LedgerFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A started command's process group, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupRecord {
    /// The job it runs for.
    pub job_id: i64,
    /// The attempt.
    pub attempt: i32,
    /// The group (its leader's pid).
    pub pgid: i32,
    /// When the leader started (clock ticks since boot).
    pub start_ticks: u64,
}

/// Where process groups are recorded while they run (the engine's database), so a node that starts after a
/// crash can kill what the dead one left behind.
pub trait Ledger: Send + Sync {
    /// Records a started group; returns the record's id (`None` when it could not be recorded).
    fn record(&self, group: GroupRecord) -> LedgerFuture<'_, Option<i64>>;
    /// Removes a record once its command ended.
    fn forget(&self, id: i64) -> LedgerFuture<'_, ()>;
}

/// The running job's commands: its sandbox (or why there is none) and the ledger of its process groups.
#[derive(Clone)]
pub struct Scope {
    /// This node's sandbox.
    pub availability: Availability,
    /// The job.
    pub job_id: i64,
    /// The attempt.
    pub attempt: i32,
    /// Where its process groups are recorded.
    pub ledger: Option<Arc<dyn Ledger>>,
}

tokio::task_local! {
    static SCOPE: Arc<Scope>;
}

/// Runs `fut` as part of the job `scope` describes.
pub fn scope<F: Future>(scope: Arc<Scope>, fut: F) -> impl Future<Output = F::Output> {
    SCOPE.scope(scope, fut)
}

/// The job the current task runs, if any.
pub fn current() -> Option<Arc<Scope>> {
    SCOPE.try_with(Arc::clone).ok()
}

/// A recorded process group; forget it when its command ended (dropping it forgets it too, in the background).
pub struct Recorded {
    ledger: Arc<dyn Ledger>,
    id: Option<i64>,
}

impl Recorded {
    /// Removes the record.
    pub async fn forget(mut self) {
        if let Some(id) = self.id.take() {
            self.ledger.forget(id).await;
        }
    }
}

impl Drop for Recorded {
    fn drop(&mut self) {
        if let Some(id) = self.id.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            let ledger = Arc::clone(&self.ledger);
            rt.spawn(async move { ledger.forget(id).await });
        }
    }
}

impl Scope {
    /// The command for `spec`: sandboxed when the node has the sandbox, on the host otherwise (the services
    /// allow that to administrators only). Hands the workspace over off the runtime's threads.
    pub async fn command(&self, spec: &Spec) -> std::io::Result<tokio::process::Command> {
        match self.availability.sandbox() {
            Some(sandbox) => sandbox.prepare(spec).await,
            None => Ok(host_command(spec)),
        }
    }

    /// Records the group of a command just started with leader `pid`.
    pub async fn record(&self, pid: Option<u32>) -> Option<Recorded> {
        let ledger = self.ledger.clone()?;
        let pgid = i32::try_from(pid?).ok()?;
        let start_ticks = start_ticks(pgid)?;
        let group = GroupRecord { job_id: self.job_id, attempt: self.attempt, pgid, start_ticks };
        let id = ledger.record(group).await;
        Some(Recorded { ledger, id })
    }
}
