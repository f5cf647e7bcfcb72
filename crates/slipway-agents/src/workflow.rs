//! Perfect21's workflow run (`perfect21.workflow`): the template's phases in order, the agents of a parallel
//! phase at once (the phase ends when all are done: a sync point), and the phase's gates after it, each stored
//! as soon as it is checked. A failed gate ends the run as failed, naming the gate and why; a failed run keeps its
//! finished phases, gates and files in its output.

use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use slipway_core::Error;
use slipway_engine::{Executor, JobContext, JobFailure};

use crate::agent::{AgentResult, Finish};
use crate::gates::{self, Gate, GateResult};
use crate::review;
use crate::roles;
use crate::runtime::{Runtime, produced_files, text};
use crate::templates::{self, PhaseTemplate};
use crate::tools::ToolSet;
use crate::workspace::Workspace;

/// The job kind.
pub const KIND: &str = "perfect21.workflow";

/// What a workflow job is given (built by the service).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowInput {
    /// The template's name.
    pub template: String,
    /// What to build.
    pub description: String,
    /// Free-form context (tech stack, complexity, …) handed to every agent.
    #[serde(default)]
    pub context: Value,
    /// Thresholds of the gates.
    #[serde(default)]
    pub quality_requirements: Value,
    /// Whether the owner may run commands (agents get `run_command`; test gates run).
    #[serde(default)]
    pub allow_commands: bool,
    /// Whether the LLM response cache may answer the agents' calls (off unless asked for).
    #[serde(default)]
    pub enable_cache: bool,
}

/// Runs workflow templates.
#[derive(Debug, Clone)]
pub struct WorkflowExecutor(pub Runtime);

impl Executor for WorkflowExecutor {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn validate(&self, input: &Value) -> Result<(), Error> {
        let input: WorkflowInput =
            serde_json::from_value(input.clone()).map_err(|e| Error::MalformedRequest(e.to_string()))?;
        templates::template(&input.template)?;
        templates::validate_requirements(&input.quality_requirements)
    }

    async fn run(&self, ctx: JobContext) -> Result<Value, JobFailure> {
        let input: WorkflowInput =
            serde_json::from_value(ctx.input().clone()).map_err(|e| JobFailure::fatal(format!("bad input: {e}")))?;
        let template = templates::template(&input.template).map_err(|e| JobFailure::fatal(e.to_string()))?;
        let (chain, workspace) = self.0.start(&ctx).await?;
        let run = self.0.job(&ctx, &chain, input.enable_cache);
        let mut phases_done: Vec<Value> = Vec::new();
        let mut all_gates: Vec<GateResult> = Vec::new();
        let count = template.phases.len();

        for (i, phase) in template.phases.iter().enumerate() {
            let _ = ctx.stage(phase.name).await;
            let _ = ctx
                .emit(
                    "phase_started",
                    json!({"phase": phase.name, "index": i, "agents": phase.agents, "parallel": phase.parallel}),
                )
                .await;
            let prompt = phase_prompt(&input, phase, &phases_done);
            let results = if phase.parallel {
                let runs =
                    phase.agents.iter().map(|agent| {
                        let tools = ToolSet::new(workspace.clone()).with_files().with_commands(input.allow_commands);
                        let prompt = prompt.clone();
                        let run = &run;
                        async move {
                            run.run_agent(&roles::spec(agent), phase.name, &prompt, &tools, Finish::default()).await
                        }
                    });
                join_all(runs).await
            } else {
                let mut out = Vec::new();
                for agent in phase.agents {
                    let tools = ToolSet::new(workspace.clone()).with_files().with_commands(input.allow_commands);
                    let r = run.run_agent(&roles::spec(agent), phase.name, &prompt, &tools, Finish::default()).await;
                    let failed = r.is_err();
                    out.push(r);
                    if failed {
                        break;
                    }
                }
                out
            };
            let results: Vec<AgentResult> = match results.into_iter().collect::<Result<_, _>>() {
                Ok(r) => r,
                Err(e) => {
                    let message = format!("phase {}: {e}", phase.name);
                    return Err(failure(message, &phases_done, &all_gates, &workspace).await);
                }
            };
            if phase.parallel {
                let _ = ctx.emit("sync_point", json!({"phase": phase.name, "agents": phase.agents})).await;
            }
            let summaries: Vec<Value> =
                phase.agents.iter().zip(&results).map(|(a, r)| json!({"agent": a, "result": r.text})).collect();
            phases_done.push(json!({"name": phase.name, "agents": summaries}));

            if let Some(slot) = phase.gate {
                let gates_here = templates::gates_for(slot, &input.quality_requirements);
                let checked = gates::check(&gates_here, &workspace, input.allow_commands, ctx.cancellation()).await;
                self.record(&ctx, &checked).await;
                all_gates.extend(checked.iter().cloned());
                let mut failed: Vec<String> =
                    checked.iter().filter(|g| g.failed()).map(|g| format!("{}: {}", g.gate, g.reason)).collect();
                for gate in &gates_here {
                    if let Gate::LlmReview { min_score } = gate {
                        let reviewed = match review::review(&run, &input.description, &workspace, *min_score).await {
                            Ok((_, g)) => g,
                            Err(f) => {
                                let message = format!("phase {}: {}", phase.name, f.message);
                                return Err(failure(message, &phases_done, &all_gates, &workspace).await);
                            }
                        };
                        self.record(&ctx, std::slice::from_ref(&reviewed)).await;
                        if reviewed.failed() {
                            failed.push(format!("{}: {}", reviewed.gate, reviewed.reason));
                        }
                        all_gates.push(reviewed);
                    }
                }
                if !failed.is_empty() {
                    let message = format!("quality gate failed after {}: {}", phase.name, failed.join("; "));
                    return Err(failure(message, &phases_done, &all_gates, &workspace).await);
                }
            }
            let _ = ctx.progress(u8::try_from(100 * (i + 1) / count).unwrap_or(100).min(99)).await;
        }
        let files = produced_files(&workspace).await;
        Ok(json!({"template": template.name, "phases": phases_done, "gates": all_gates, "files": files}))
    }
}

impl WorkflowExecutor {
    /// Stores gate checks as soon as they are made (a later phase failing must not lose them) and reports them.
    async fn record(&self, ctx: &JobContext, checked: &[GateResult]) {
        let rows: Vec<_> = checked.iter().map(|g| g.record(ctx.job_id(), ctx.owner_id())).collect();
        if let Err(e) = self.0.db.insert_gate_checks(&rows).await {
            tracing::warn!(job_id = ctx.job_id(), "cannot record gate checks: {e}");
        }
        for g in checked {
            let _ = ctx.emit("gate", serde_json::to_value(g).unwrap_or(Value::Null)).await;
        }
    }
}

/// A failed run that keeps what was done: the finished phases, the gates checked and the files produced.
async fn failure(message: String, phases: &[Value], gates: &[GateResult], workspace: &Workspace) -> JobFailure {
    let output = json!({"phases": phases, "gates": gates, "files": produced_files(workspace).await, "error": message});
    JobFailure::fatal(message).with_output(output)
}

fn phase_prompt(input: &WorkflowInput, phase: &PhaseTemplate, done: &[Value]) -> String {
    let mut prompt = format!("Task: {}\n", input.description);
    if !input.context.is_null() {
        prompt.push_str(&format!("Context: {}\n", input.context));
    }
    prompt.push_str(&format!("Phase: {} — {}\n", phase.name, phase.goal));
    if !done.is_empty() {
        let names: Vec<&str> = done.iter().map(|p| text(p, "name")).collect();
        prompt.push_str(&format!(
            "Phases already done: {}. Their documents and code are in the workspace.\n",
            names.join(", ")
        ));
    }
    prompt
}
