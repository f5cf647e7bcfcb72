//! Slipway's operations domain. So far: scheduled commands, which qoder calls tasks, this host's CPU and memory
//! use, servers reached over SSH (the system OpenSSH client, see [`ssh`]), and deployments to them (one engine
//! job each, see [`deployments`]). Monitoring joins it with its issue.

pub mod deployments;
pub mod host;
pub mod servers;
pub mod ssh;
pub mod tasks;

pub use deployments::{DeploySettings, DeploymentView, Deployments};
pub use host::{HostSampler, HostUsage};
pub use servers::{NewServer, OperatorRecord, ServerChanges, ServerFilter, ServerTestReport, ServerView, Servers};
pub use tasks::{Task, TaskChanges, TaskRun, TaskSpec, Tasks};
