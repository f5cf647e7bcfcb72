//! Slipway's operations domain. So far: scheduled commands, which qoder calls tasks, and this host's CPU and
//! memory use. Servers, SSH targets, deployments and monitoring join it with their issue.

pub mod host;
pub mod ssh;
pub mod tasks;

pub use host::{HostSampler, HostUsage};
pub use tasks::{Task, TaskChanges, TaskRun, TaskSpec, Tasks};
