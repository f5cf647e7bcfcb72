//! Slipway's operations domain. So far: scheduled commands, which qoder calls tasks. Servers, SSH targets,
//! deployments and monitoring join it with their issue.

pub mod tasks;

pub use tasks::{Task, TaskChanges, TaskRun, TaskSpec, Tasks};
