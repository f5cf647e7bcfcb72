//! Executors: the code that runs one kind of job. Each kind has one, registered when the engine is built.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;
use slipway_core::{Error, Principal};
use slipway_sandbox::Availability;

use crate::context::JobContext;
use crate::visibility::Visibility;

/// How an attempt failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq)]
pub struct JobFailure {
    /// Why, for people; stored as the job's error.
    pub message: String,
    /// Whatever the executor produced before failing (stored as the job's output).
    pub output: Option<Value>,
    /// Whether another attempt may succeed (it is made when attempts remain, after a backoff).
    pub retryable: bool,
}

impl JobFailure {
    /// A failure another attempt may fix (a network error, a busy dependency).
    pub fn retryable(message: impl Into<String>) -> Self {
        Self { message: message.into(), output: None, retryable: true }
    }

    /// A failure no retry will fix (bad input, a command that exited non-zero).
    pub fn fatal(message: impl Into<String>) -> Self {
        Self { message: message.into(), output: None, retryable: false }
    }

    /// The same failure, keeping what the executor produced.
    pub fn with_output(mut self, output: Value) -> Self {
        self.output = Some(output);
        self
    }
}

/// Runs jobs of one kind. `run` should watch `ctx.cancellation()`: when it fires (cancel, timeout, shutdown),
/// stop promptly and return; an executor still running `cancel_grace` later is abandoned (its future dropped).
pub trait Executor: Send + Sync + 'static {
    /// The job kind: lowercase letters, digits, `_`, `-` and `.`.
    fn kind(&self) -> &'static str;

    /// Admits `input` from `principal` before it is enqueued or scheduled: refuses what the caller may not run
    /// (saying why) and may settle, in the input itself, defaults that depend on who asks (a command's
    /// isolation and network). `sandbox` is this node's command sandbox. By default anyone may, unchanged.
    fn admit(&self, principal: &Principal, sandbox: &Availability, input: &mut Value) -> Result<(), Error> {
        let _ = (principal, sandbox, input);
        Ok(())
    }

    /// Checks a job's input before it is enqueued, naming the bad field.
    fn validate(&self, input: &Value) -> Result<(), Error> {
        let _ = input;
        Ok(())
    }

    /// Who may see and cancel this kind's jobs (default: their owner and administrators).
    fn visibility(&self) -> Visibility {
        Visibility::OwnerAndAdmins
    }

    /// Runs one attempt; the value returned becomes the job's output.
    fn run(&self, ctx: JobContext) -> impl Future<Output = Result<Value, JobFailure>> + Send;
}

/// A boxed attempt.
pub(crate) type RunFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, JobFailure>> + Send + 'a>>;

/// [`Executor`] made object-safe, so executors of any type share one registry.
pub(crate) trait DynExecutor: Send + Sync {
    fn admit(&self, principal: &Principal, sandbox: &Availability, input: &mut Value) -> Result<(), Error>;
    fn validate(&self, input: &Value) -> Result<(), Error>;
    fn visibility(&self) -> Visibility;
    fn run_boxed(&self, ctx: JobContext) -> RunFuture<'_>;
}

impl<E: Executor> DynExecutor for E {
    fn admit(&self, principal: &Principal, sandbox: &Availability, input: &mut Value) -> Result<(), Error> {
        Executor::admit(self, principal, sandbox, input)
    }

    fn validate(&self, input: &Value) -> Result<(), Error> {
        Executor::validate(self, input)
    }

    fn visibility(&self) -> Visibility {
        Executor::visibility(self)
    }

    fn run_boxed(&self, ctx: JobContext) -> RunFuture<'_> {
        Box::pin(self.run(ctx))
    }
}

/// Executors by kind.
#[derive(Clone, Default)]
pub(crate) struct Registry {
    by_kind: HashMap<&'static str, Arc<dyn DynExecutor>>,
}

impl Registry {
    /// Adds an executor; a second one for the same kind, or a badly named kind, is a programming error.
    pub fn insert<E: Executor>(&mut self, executor: E) -> Result<(), Error> {
        let kind = executor.kind();
        if !valid_kind(kind) {
            return Err(Error::Internal(format!("job kind {kind:?} must be lowercase letters, digits, _ - .")));
        }
        if self.by_kind.insert(kind, Arc::new(executor)).is_some() {
            return Err(Error::Internal(format!("two executors registered for job kind {kind:?}")));
        }
        Ok(())
    }

    /// The executor of a kind.
    pub fn get(&self, kind: &str) -> Option<&Arc<dyn DynExecutor>> {
        self.by_kind.get(kind)
    }

    /// Every registered kind, sorted.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.by_kind.keys().map(|k| (*k).to_owned()).collect();
        kinds.sort();
        kinds
    }

    /// The executor of `kind`, or a validation error naming the field.
    pub fn require(&self, kind: &str) -> Result<&Arc<dyn DynExecutor>, Error> {
        self.get(kind).ok_or_else(|| {
            Error::invalid_field("kind", "value_error", format!("no executor runs jobs of kind {kind:?}"))
        })
    }
}

fn valid_kind(kind: &str) -> bool {
    !kind.is_empty()
        && kind.len() <= 64
        && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names() {
        assert!(valid_kind("command"));
        assert!(valid_kind("agent.stage-2_x"));
        assert!(!valid_kind(""));
        assert!(!valid_kind("a,b"));
        assert!(!valid_kind("Upper"));
    }
}
