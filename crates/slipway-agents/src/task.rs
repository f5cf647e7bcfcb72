//! Perfect21's development task (`perfect21.task`): a planner splits the description into steps and assigns
//! agents, the agents work in the task's workspace with their tools, a reviewer scores the result (stored as
//! the `llm_review` gate). The output is the team's report and the files produced; a task that fails keeps
//! them too (in the failed job's output), with the reason as the report's last line.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use slipway_core::Error;
use slipway_engine::{Executor, JobContext, JobFailure};

use crate::agent::{AgentError, Finish, JobRun};
use crate::gates;
use crate::review;
use crate::roles;
use crate::runtime::{ProducedFile, Runtime, file_lines, produced_files, text};
use crate::structured::SUBMIT_PLAN;
use crate::tools::ToolSet;
use crate::workspace::Workspace;

/// The job kind.
pub const KIND: &str = "perfect21.task";
/// The review score a task must reach for its `llm_review` gate to pass.
pub const REVIEW_THRESHOLD: f64 = 7.0;

/// What a task job is given (built by the service, never taken from a client as is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInput {
    /// What to do.
    pub description: String,
    /// Whether the report should include each step's full answer.
    #[serde(default)]
    pub verbose: bool,
    /// Whether the owner may run commands (agents get `run_command`).
    #[serde(default)]
    pub allow_commands: bool,
    /// Whether the LLM response cache may answer the agents' calls (off unless asked for).
    #[serde(default)]
    pub enable_cache: bool,
}

/// Runs development tasks with an agent team.
#[derive(Debug, Clone)]
pub struct TaskExecutor(pub Runtime);

impl Executor for TaskExecutor {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn validate(&self, input: &Value) -> Result<(), Error> {
        serde_json::from_value::<TaskInput>(input.clone())
            .map(|_| ())
            .map_err(|e| Error::MalformedRequest(e.to_string()))
    }

    async fn run(&self, ctx: JobContext) -> Result<Value, JobFailure> {
        let input: TaskInput =
            serde_json::from_value(ctx.input().clone()).map_err(|e| JobFailure::fatal(format!("bad input: {e}")))?;
        let (chain, workspace) = self.0.start(&ctx).await?;
        let run = self.0.job(&ctx, &chain, input.enable_cache);
        let mut done = Progress::default();
        let worked = self.work(&ctx, &run, &input, &workspace, &mut done).await;
        let files = produced_files(&workspace).await;
        match worked {
            Ok((review, gate)) => {
                let mut lines = work_lines(&input, &done, &files);
                lines.extend(review_lines(&review, &gate));
                Ok(json!({"output": lines.join("\n"), "plan": done.plan, "steps": done.steps, "review": review,
                          "gate": gate, "files": files}))
            }
            Err(failure) => {
                // What the team built stays readable beside the reason: a failed review must not lose the work.
                let mut lines = work_lines(&input, &done, &files);
                lines.push(format!("Failed: {}", failure.message));
                let output = json!({"output": lines.join("\n"), "plan": done.plan, "steps": done.steps,
                                    "files": files, "error": failure.message});
                Err(failure.with_output(output))
            }
        }
    }
}

/// What a task got done so far: its plan and the steps finished.
#[derive(Debug, Default)]
struct Progress {
    plan: Value,
    steps: Vec<Value>,
}

impl TaskExecutor {
    /// Plans, runs the steps and has the work reviewed, keeping in `done` what was finished.
    async fn work(
        &self,
        ctx: &JobContext,
        run: &JobRun<'_>,
        input: &TaskInput,
        workspace: &Workspace,
        done: &mut Progress,
    ) -> Result<(Value, gates::GateResult), JobFailure> {
        let fail = |e: AgentError| JobFailure::fatal(e.to_string());
        let _ = ctx.stage("planning").await;
        let look = ToolSet::new(workspace.clone()).with_files().with_structured(SUBMIT_PLAN.clone());
        let prompt = format!("Task: {}", input.description);
        let planned = run
            .run_agent(
                &roles::planner(),
                "planning",
                &prompt,
                &look,
                Finish { on_tool: Some("submit_plan"), ..Finish::default() },
            )
            .await
            .map_err(fail)?;
        done.plan = planned
            .captured("submit_plan")
            .cloned()
            .ok_or_else(|| JobFailure::fatal("the planner handed over no plan"))?;
        let steps = done.plan["steps"].as_array().cloned().unwrap_or_default();
        let _ = ctx.emit("plan", done.plan.clone()).await;
        let _ = ctx.progress(10).await;

        let total = steps.len().max(1);
        for (i, step) in steps.iter().enumerate() {
            let agent = text(step, "agent");
            let instruction = text(step, "instruction");
            let stage = format!("step {}/{}: {agent}", i + 1, steps.len());
            let _ = ctx.stage(&stage).await;
            let files = workspace.list("").await.unwrap_or_default();
            let listing: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
            let prompt = format!(
                "Overall task: {}\nYour step: {instruction}\nFiles in the workspace: {}",
                input.description,
                if listing.is_empty() { "(none yet)".into() } else { listing.join(", ") }
            );
            let tools = ToolSet::new(workspace.clone()).with_files().with_commands(input.allow_commands);
            let result =
                run.run_agent(&roles::spec(agent), &stage, &prompt, &tools, Finish::default()).await.map_err(fail)?;
            done.steps.push(json!({"agent": agent, "instruction": instruction, "result": result.text}));
            let pct = 10 + 70 * (i + 1) / total;
            let _ = ctx.progress(u8::try_from(pct).unwrap_or(80)).await;
        }

        let _ = ctx.stage("review").await;
        let (review, gate) = review::review(run, &input.description, workspace, REVIEW_THRESHOLD).await?;
        if let Err(e) = self.0.db.insert_gate_checks(&[gate.record(ctx.job_id(), ctx.owner_id())]).await {
            tracing::warn!(job_id = ctx.job_id(), "cannot record the review gate: {e}");
        }
        let _ = ctx.emit("gate", serde_json::to_value(&gate).unwrap_or(Value::Null)).await;
        let _ = ctx.progress(95).await;
        Ok((review, gate))
    }
}

/// The report's account of the work: the task, the plan, each step done and the files produced.
fn work_lines(input: &TaskInput, done: &Progress, files: &[ProducedFile]) -> Vec<String> {
    let plan = match text(&done.plan, "summary") {
        "" => "(none)",
        summary => summary,
    };
    let mut lines = vec![format!("Task: {}", input.description), format!("Plan: {plan}"), "Steps:".into()];
    if done.steps.is_empty() {
        lines.push("  (none done)".into());
    }
    for (i, s) in done.steps.iter().enumerate() {
        lines.push(format!("  {}. [{}] {}", i + 1, text(s, "agent"), text(s, "instruction")));
        let result = text(s, "result");
        if input.verbose {
            lines.push(format!("     {}", result.replace('\n', "\n     ")));
        } else if let Some(first) = result.lines().find(|l| !l.trim().is_empty()) {
            lines.push(format!("     {}", first.trim()));
        }
    }
    lines.push("Files produced:".into());
    lines.push(file_lines(files));
    lines
}

/// The report's verdict: the review's score, whether it approved, the gate and the issues.
fn review_lines(review: &Value, gate: &gates::GateResult) -> Vec<String> {
    let verdict = if review["approved"].as_bool().unwrap_or(false) { "approved" } else { "not approved" };
    let mut lines = vec![format!(
        "Review: {}/10, {verdict}, gate {} — {}",
        review["score"].as_f64().unwrap_or(0.0),
        gate.result,
        text(review, "summary")
    )];
    if let Some(issues) = review["issues"].as_array().filter(|i| !i.is_empty()) {
        for issue in issues {
            lines.push(format!("  ! {}", issue.as_str().unwrap_or_default()));
        }
    }
    lines
}
