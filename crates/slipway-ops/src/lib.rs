//! Slipway's operations domain: scheduled commands, which qoder calls tasks, this host's CPU and memory use,
//! servers reached over SSH (the system OpenSSH client, see [`ssh`]), commands run on them ([`remote`]),
//! deployments to them (one engine job each, see [`deployments`]) and their monitoring ([`monitoring`]).

pub mod deployments;
pub mod host;
pub mod monitoring;
pub mod remote;
pub mod servers;
pub mod ssh;
pub mod tasks;

pub use deployments::{DeploySettings, DeploymentView, Deployments};
pub use host::{HostSampler, HostUsage};
pub use monitoring::{Collector, MonitorSettings, Monitoring, Notifier, RuleInput};
pub use remote::RemoteCommands;
pub use servers::{NewServer, OperatorRecord, ServerChanges, ServerFilter, ServerTestReport, ServerView, Servers};
pub use tasks::{Task, TaskChanges, TaskRun, TaskSpec, Tasks};
