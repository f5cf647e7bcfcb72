//! Slipway's operations domain. So far: scheduled commands, which qoder calls tasks, this host's CPU and memory
//! use, and servers reached over SSH (the system OpenSSH client, see [`ssh`]). Deployments and monitoring
//! join it with their issue.

pub mod host;
pub mod servers;
pub mod ssh;
pub mod tasks;

pub use host::{HostSampler, HostUsage};
pub use servers::{NewServer, OperatorRecord, ServerChanges, ServerFilter, ServerTestReport, ServerView, Servers};
pub use tasks::{Task, TaskChanges, TaskRun, TaskSpec, Tasks};
