//! The qa_review stage: the quality expert reads the whole workspace and hands over a scored review through
//! `submit_review` (score 0–10, approved, summary, issues); the review becomes the stage's data, and the
//! executor saves it as `docs/QA_REVIEW.md` so it is a project file too.

use serde_json::{Value, json};
use slipway_agents::structured::SUBMIT_REVIEW;

use super::attempt::ProjectRun;
use super::checkpoint::Checkpoint;
use super::stage::{StageError, StageWork};
use crate::stages::Stage;

/// Where the review is saved.
pub const REPORT: &str = "docs/QA_REVIEW.md";
const TOOL: &str = "submit_review";

/// Runs the review stage.
pub(crate) async fn run(run: &ProjectRun<'_>, done: &Checkpoint) -> Result<StageWork, StageError> {
    let tools = run.tools().with_structured(SUBMIT_REVIEW.clone());
    let result = run.agent(Stage::QaReview, done, &tools, Some(TOOL)).await?;
    let review = result
        .captured(TOOL)
        .cloned()
        .ok_or_else(|| StageError::Failed(format!("{} handed over no review", Stage::QaReview.agent())))?;
    let issues: Vec<Value> = review["issues"].as_array().cloned().unwrap_or_default();
    let data = json!({
        "score": review["score"].as_f64().unwrap_or(0.0),
        "approved": review["approved"].as_bool().unwrap_or(false),
        "summary": review["summary"].as_str().unwrap_or(""),
        "issues": issues,
    });
    run.workspace
        .write(REPORT, &report(&run.project.name, &data))
        .await
        .map_err(|e| StageError::Failed(format!("cannot write {REPORT}: {e}")))?;
    Ok(StageWork::of(&result, &tools, data, &[REPORT]))
}

/// The review as a Markdown document.
fn report(project: &str, data: &Value) -> String {
    let mut out = format!("# Quality review: {project}\n\n");
    out.push_str(&format!("Reviewed by {}.\n\n", Stage::QaReview.agent()));
    out.push_str(&format!("**Score:** {}/10 — {}\n\n", data["score"], verdict(data)));
    out.push_str(&format!("{}\n\n## Issues\n\n", data["summary"].as_str().unwrap_or("")));
    match data["issues"].as_array().filter(|i| !i.is_empty()) {
        Some(issues) => {
            for i in issues {
                out.push_str(&format!("- {}\n", i.as_str().unwrap_or_default()));
            }
        }
        None => out.push_str("None found.\n"),
    }
    out
}

fn verdict(data: &Value) -> &'static str {
    if data["approved"] == true { "approved" } else { "not approved" }
}

/// The review in a sentence, for the completion stage and the delivery summary.
pub fn describe(data: &Value) -> String {
    let issues = data["issues"].as_array().map_or(0, Vec::len);
    format!(
        "score {}/10, {}, {} issue(s): {}",
        data["score"],
        verdict(data),
        issues,
        data["summary"].as_str().unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_review_reads_as_a_report_and_a_sentence() {
        let data = json!({"score": 8.5, "approved": true, "summary": "Solid.", "issues": ["calc.py: no input checks"]});
        let doc = report("Calc", &data);
        assert!(doc.contains("**Score:** 8.5/10 — approved") && doc.contains("- calc.py: no input checks"), "{doc}");
        assert_eq!(describe(&data), "score 8.5/10, approved, 1 issue(s): Solid.");
    }
}
