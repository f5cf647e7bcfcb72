//! Perfect21's git-flow and git hooks on real repositories: the repositories a user registered or cloned
//! ([`GitRepositories`]), the git runner that runs every git command (sandboxed for ordinary users), the
//! git-flow actions and the hook groups, and the service the HTTP surface calls ([`Git`]).

pub mod command;
pub mod flow;
pub mod hooks;
mod outcome;
mod repositories;
mod service;

pub use command::{Author, GitContext, GitOutput, Placement};
pub use flow::FlowRequest;
pub use outcome::Outcome;
pub use repositories::{GitRepositories, RepositoryRequest};
pub use service::Git;
pub use slipway_store::delivery::GitRepositoryRecord;
