//! The process groups of running commands, recorded in the database by the node that started them, and the
//! sweep a node makes when it starts: groups on this host whose node process is gone (killed with `kill -9`,
//! say) are killed if their leader's start time still matches, and their records deleted. Sandboxed commands
//! die with the node anyway (bwrap's `--die-with-parent` and PID namespace); this catches what host commands'
//! shells left in their groups.

use std::sync::Arc;

use slipway_sandbox::{GroupRecord, HostIdentity, Ledger, LedgerFuture, kill_group_if_started_at, process_alive};
use slipway_store::Db;
use slipway_store::process_groups::NewProcessGroup;

/// This node's ledger of process groups.
pub(crate) struct GroupLedger {
    db: Db,
    node: String,
    pid: i32,
    start_ticks: u64,
    host: HostIdentity,
}

impl GroupLedger {
    /// The ledger of node `node` (this process), or `None` when this host's identity cannot be read.
    pub fn new(db: Db, node: String) -> Option<Arc<Self>> {
        let pid = i32::try_from(std::process::id()).ok()?;
        let start_ticks = slipway_sandbox::start_ticks(pid)?;
        let host = HostIdentity::current().ok()?;
        Some(Arc::new(Self { db, node, pid, start_ticks, host }))
    }

    /// Kills what dead nodes on this host left behind and deletes their records (and records of an earlier
    /// boot); returns how many groups were swept.
    pub async fn sweep(&self) -> Result<usize, slipway_core::Error> {
        let mut swept = 0;
        for record in self.db.process_groups_on_host(&self.host.hostname).await? {
            let g = &record.group;
            let earlier_boot = g.boot_id != self.host.boot_id;
            if !earlier_boot && process_alive(g.node_pid, u64::try_from(g.node_start_ticks).unwrap_or(0)) {
                continue;
            }
            if !earlier_boot {
                let killed = kill_group_if_started_at(g.pgid, u64::try_from(g.start_ticks).unwrap_or(0));
                tracing::warn!(
                    job_id = g.job_id, attempt = g.attempt, node = %g.node, pgid = g.pgid, killed,
                    "killed the processes a dead node's command left behind"
                );
            }
            self.db.delete_process_group(record.id).await?;
            swept += 1;
        }
        Ok(swept)
    }
}

impl Ledger for GroupLedger {
    fn record(&self, group: GroupRecord) -> LedgerFuture<'_, Option<i64>> {
        Box::pin(async move {
            let row = NewProcessGroup {
                job_id: group.job_id,
                attempt: group.attempt,
                node: self.node.clone(),
                node_pid: self.pid,
                node_start_ticks: i64::try_from(self.start_ticks).unwrap_or(i64::MAX),
                hostname: self.host.hostname.clone(),
                boot_id: self.host.boot_id.clone(),
                pgid: group.pgid,
                start_ticks: i64::try_from(group.start_ticks).unwrap_or(i64::MAX),
                created_at: slipway_core::time::now(),
            };
            match self.db.insert_process_group(&row).await {
                Ok(id) => Some(id),
                Err(e) => {
                    tracing::warn!(job_id = group.job_id, error = %e, "could not record a command's process group");
                    None
                }
            }
        })
    }

    fn forget(&self, id: i64) -> LedgerFuture<'_, ()> {
        Box::pin(async move {
            if let Err(e) = self.db.delete_process_group(id).await {
                tracing::warn!(id, error = %e, "could not remove a process group's record");
            }
        })
    }
}
