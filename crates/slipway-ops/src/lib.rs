//! Slipway's operations domain. So far: scheduled commands, which qoder calls tasks, this host's CPU and memory
//! use, servers reached over SSH (the system OpenSSH client, see [`ssh`]), and commands run on them
//! ([`remote`]). Deployments and monitoring join it with their issue.

pub mod host;
pub mod remote;
pub mod servers;
pub mod ssh;
pub mod tasks;

pub use host::{HostSampler, HostUsage};
pub use remote::RemoteCommands;
pub use servers::{NewServer, OperatorRecord, ServerChanges, ServerFilter, ServerTestReport, ServerView, Servers};
pub use tasks::{Task, TaskChanges, TaskRun, TaskSpec, Tasks};
