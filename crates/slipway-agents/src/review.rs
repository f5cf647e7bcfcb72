//! The reviewer step shared by tasks and workflows: a reviewer agent reads the workspace and hands over its
//! verdict through `submit_review`; the verdict becomes the `llm_review` gate.

use serde_json::Value;
use slipway_engine::JobFailure;

use crate::agent::{Finish, JobRun};
use crate::gates::{self, GateResult};
use crate::roles;
use crate::runtime::text;
use crate::structured::SUBMIT_REVIEW;
use crate::tools::ToolSet;
use crate::workspace::Workspace;

/// Has the work on `description` in `workspace` reviewed; returns the review and its gate at `min_score`.
pub async fn review(
    run: &JobRun<'_>,
    description: &str,
    workspace: &Workspace,
    min_score: f64,
) -> Result<(Value, GateResult), JobFailure> {
    let tools = ToolSet::new(workspace.clone()).with_files().with_structured(SUBMIT_REVIEW.clone());
    let prompt = format!("Task: {description}\nReview the workspace and call submit_review.");
    let finish = Finish { on_tool: Some("submit_review"), ..Finish::default() };
    let reviewed = run
        .run_agent(&roles::reviewer(), "review", &prompt, &tools, finish)
        .await
        .map_err(|e| JobFailure::fatal(e.to_string()))?;
    let review = reviewed
        .captured("submit_review")
        .cloned()
        .ok_or_else(|| JobFailure::fatal("the reviewer handed over no review"))?;
    let gate = gates::review(review["score"].as_f64().unwrap_or(0.0), min_score, text(&review, "summary"));
    Ok((review, gate))
}
