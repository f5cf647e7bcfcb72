//! The service Perfect21's `POST /workflow` and `POST /hooks/install` call: it finds the caller's repository
//! (the one named, or their default), decides where git runs for them, and runs the git-flow action or installs
//! the hook group.

use std::path::Path;

use slipway_core::{Error, Principal};

use super::flow::{self, FlowRequest};
use super::hooks;
use super::outcome::Outcome;
use super::repositories::GitRepositories;

/// Git-flow and hooks on the caller's repositories. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Git {
    /// The registered repositories.
    pub repositories: GitRepositories,
}

impl Git {
    /// The service over `repositories`.
    pub fn new(repositories: GitRepositories) -> Self {
        Self { repositories }
    }

    /// Runs a git-flow action on `repository` (an id or name; default the caller's default).
    pub async fn flow(
        &self,
        principal: &Principal,
        repository: Option<&str>,
        req: &FlowRequest,
    ) -> Result<Outcome, Error> {
        let repo = self.repositories.resolve(principal, repository).await?;
        let ctx = self.repositories.context(principal, &repo).await?;
        flow::run(&ctx, req).await
    }

    /// Installs hook group `group` (default `standard`) into `repository`'s effective hooks directory; a clone's
    /// hooks must stay inside the clone. Answers the outcome and the group's name.
    pub async fn install_hooks(
        &self,
        principal: &Principal,
        repository: Option<&str>,
        group: Option<&str>,
        force: bool,
    ) -> Result<(Outcome, &'static str), Error> {
        let group = hooks::group(group)?;
        let repo = self.repositories.resolve(principal, repository).await?;
        let ctx = self.repositories.context(principal, &repo).await?;
        let confine = (repo.kind == "clone").then(|| Path::new(&repo.path));
        Ok((hooks::install(&ctx, group, force, confine).await?, group.name))
    }
}
