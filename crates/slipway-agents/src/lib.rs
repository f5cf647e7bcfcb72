//! Slipway's agent runtime: agents (a role, an LLM chain, tools) working in a job's workspace; Perfect21's
//! development tasks and workflow templates with quality gates; the pet planner's diet plans. Everything runs as
//! engine jobs; every agent call is an activity row and a job event; every gate check is stored.

pub mod agent;
pub mod diet;
pub mod gates;
pub mod handover;
pub mod review;
pub mod roles;
pub mod runtime;
pub mod schema;
pub mod service;
pub mod shell;
pub mod structured;
pub mod task;
pub mod templates;
pub mod tools;
pub mod workflow;
pub mod workspace;

pub use runtime::Runtime;
pub use service::{Agents, GateReport, WorkflowStatus};
pub use slipway_store::agents::{ActivityRecord, DietPlanRecord, GateCheckRecord, GateStats};

use slipway_engine::EngineBuilder;

/// Registers the agent executors (tasks, workflows, diet plans) on an engine being built.
pub fn register(builder: EngineBuilder, runtime: &Runtime) -> EngineBuilder {
    builder
        .executor(task::TaskExecutor(runtime.clone()))
        .executor(workflow::WorkflowExecutor(runtime.clone()))
        .executor(diet::DietPlanExecutor(runtime.clone()))
}
