//! Remote targets of `command` jobs: a command whose `target` is not `local` runs through the [`RemoteShell`]
//! the application gives the executor (the ops domain's SSH), with the same events, timeout and cancel as a
//! local one. The engine knows no servers: who may reach which target is the implementation's rule, checked
//! when the job runs.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use crate::command::CommandInput;
use crate::context::JobContext;
use crate::executor::JobFailure;

/// A boxed remote run.
pub type RemoteRun<'a> = Pin<Box<dyn Future<Output = Result<Value, JobFailure>> + Send + 'a>>;

/// Runs `command` jobs on remote targets.
pub trait RemoteShell: Send + Sync + 'static {
    /// Runs `input` (its command, environment and working directory) on `target` for the job of `ctx`, its
    /// output lines as the job's `stdout`/`stderr` events; stops when `ctx` is cancelled (timeout included).
    fn run<'a>(&'a self, ctx: &'a JobContext, target: &'a str, input: &'a CommandInput) -> RemoteRun<'a>;
}
