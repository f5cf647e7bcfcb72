//! Slipway's shared domain vocabulary: the error model, configuration, health probes and time helpers.
//! Nothing here performs IO.

pub mod auth;
pub mod config;
pub mod error;
pub mod nul;
pub mod probe;
pub mod time;

pub use auth::{Principal, Role};
pub use config::{Config, ConfigError, ConfigLayer, LogFormat, MissedRuns};
pub use error::{CodeProblem, Error, FieldError, Result, WorkflowProblem};
pub use probe::{HealthReport, Probe, ProbeFuture, ProbeReport};
