//! A hook for further quota checks, asked before a project is created and before a run starts (`PROJ_003`).
//! An organization's `projects` quota is not a hook: it is reserved in the project's own insert
//! ([`crate::Factory::create_project`]).

use std::future::Future;
use std::pin::Pin;

use slipway_core::{Error, Principal};

/// What a quota check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaAction {
    /// Creating a project.
    CreateProject,
    /// Starting or resuming a run.
    StartRun,
}

/// A check that may refuse with `Error::QuotaExceeded`.
pub trait ProjectQuota: Send + Sync {
    /// Allows or refuses `action` for `principal`.
    fn check<'a>(
        &'a self,
        principal: &'a Principal,
        action: QuotaAction,
    ) -> Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'a>>;
}

/// No further checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unlimited;

impl ProjectQuota for Unlimited {
    fn check<'a>(
        &'a self,
        _principal: &'a Principal,
        _action: QuotaAction,
    ) -> Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'a>> {
        Box::pin(async { Ok(()) })
    }
}
