//! The completion stage: the project manager writes the README; the executor then writes `DELIVERY.md` itself
//! from the run's real facts: every stage with its agent, duration, tokens and files, the test results, the
//! review's score, and the files delivered.

use std::time::Instant;

use serde_json::Value;
use slipway_agents::workspace::FileEntry;

use super::attempt::ProjectRun;
use super::checkpoint::{Checkpoint, StageResult};
use super::stage::{StageError, StageWork};
use super::{review, testing};
use crate::stages::Stage;

/// The delivery summary the executor writes.
pub const DELIVERY: &str = "DELIVERY.md";

/// Runs the completion stage; `clock` started with it.
pub(crate) async fn run(run: &ProjectRun<'_>, done: &Checkpoint, clock: Instant) -> Result<StageWork, StageError> {
    let tools = run.tools();
    let result = run.agent(Stage::Completion, done, &tools, None).await?;
    let own = StageResult {
        stage: Stage::Completion.name().to_owned(),
        summary: result.text.clone(),
        duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
        tokens_used: u64::from(result.usage.prompt_tokens) + u64::from(result.usage.completion_tokens),
        files: tools.written(),
        data: Value::Null,
        finished_at: slipway_core::time::now(),
    };
    let mut files = run.workspace_files().await;
    if !files.iter().any(|f| f.path == DELIVERY) {
        files.push(FileEntry { path: DELIVERY.to_owned(), size: 0 });
        files.sort_by(|a, b| a.path.cmp(&b.path));
    }
    let facts =
        Facts { project: &run.project.name, workflow_id: &run.input.workflow_id, done, own: &own, files: &files };
    run.workspace
        .write(DELIVERY, &delivery(&facts))
        .await
        .map_err(|e| StageError::Failed(format!("cannot write {DELIVERY}: {e}")))?;
    Ok(StageWork::of(&result, &tools, Value::Null, &[DELIVERY]))
}

/// What the delivery summary says.
struct Facts<'a> {
    project: &'a str,
    workflow_id: &'a str,
    /// The stages before completion.
    done: &'a Checkpoint,
    /// Completion itself, up to now.
    own: &'a StageResult,
    /// The workspace's files.
    files: &'a [FileEntry],
}

fn seconds(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// The delivery summary.
fn delivery(f: &Facts<'_>) -> String {
    let mut out = format!("# Delivery: {}\n\n", f.project);
    out.push_str(&format!(
        "Workflow `{}`, completed {}.\n\n## Stages\n\n| Stage | Agent | Duration | Tokens | Files |\n|---|---|---|---|---|\n",
        f.workflow_id,
        slipway_core::time::rfc3339(f.own.finished_at)
    ));
    let rows: Vec<&StageResult> = Stage::ALL
        .iter()
        .filter_map(|s| if *s == Stage::Completion { Some(f.own) } else { f.done.result(*s) })
        .collect();
    for r in &rows {
        let agent = Stage::parse(&r.stage).map_or("", Stage::agent);
        let files = if r.files.is_empty() { "—".to_owned() } else { r.files.join(", ") };
        out.push_str(&format!(
            "| {} | {agent} | {} | {} | {files} |\n",
            r.stage,
            seconds(r.duration_ms),
            r.tokens_used
        ));
    }
    let total_ms: u64 = rows.iter().map(|r| r.duration_ms).sum();
    let total_tokens: u64 = rows.iter().map(|r| r.tokens_used).sum();
    out.push_str(&format!("\nIn all: {} of agent work, {total_tokens} tokens.\n\n## Tests\n\n", seconds(total_ms)));
    match f.done.result(Stage::Testing) {
        Some(t) => out.push_str(&format!("{}\n", testing::describe(&t.data))),
        None => out.push_str("No testing stage result.\n"),
    }
    out.push_str("\n## Quality review\n\n");
    match f.done.result(Stage::QaReview) {
        Some(r) => {
            out.push_str(&format!("{}\n", review::describe(&r.data)));
            for issue in r.data["issues"].as_array().into_iter().flatten() {
                out.push_str(&format!("- {}\n", issue.as_str().unwrap_or_default()));
            }
        }
        None => out.push_str("No review.\n"),
    }
    out.push_str(&format!("\n## Files ({})\n\n", f.files.len()));
    for file in f.files {
        out.push_str(&format!("- {} ({} bytes)\n", file.path, file.size));
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn result(stage: Stage, ms: u64, tokens: u64, files: &[&str], data: Value) -> StageResult {
        StageResult {
            stage: stage.name().into(),
            summary: String::new(),
            duration_ms: ms,
            tokens_used: tokens,
            files: files.iter().map(|f| (*f).to_owned()).collect(),
            data,
            finished_at: slipway_core::time::now(),
        }
    }

    #[test]
    fn the_summary_holds_the_real_facts() {
        let tests = json!({"command": "python3 -m unittest", "ran": true, "exit_code": 0, "timed_out": false,
            "counts": {"framework": "unittest", "passed": 2, "failed": 0, "skipped": 0, "errors": 0, "total": 2}});
        let done = Checkpoint {
            completed: vec![
                result(Stage::RequirementsAnalysis, 1500, 100, &["docs/SRS.md"], Value::Null),
                result(Stage::Testing, 2000, 50, &["tests/test_calc.py"], tests),
                result(
                    Stage::QaReview,
                    500,
                    30,
                    &[review::REPORT],
                    json!({"score": 9, "approved": true, "summary": "Good.", "issues": ["x"]}),
                ),
            ],
        };
        let own = result(Stage::Completion, 300, 20, &["README.md"], Value::Null);
        let files = [FileEntry { path: "README.md".into(), size: 10 }];
        let text = delivery(&Facts { project: "Calc", workflow_id: "wf_1_ab", done: &done, own: &own, files: &files });
        assert!(
            text.contains("| requirements_analysis | RequirementsAnalystAgent | 1.5 s | 100 | docs/SRS.md |"),
            "{text}"
        );
        assert!(text.contains("| completion | ProjectManagerAgent | 0.3 s | 20 | README.md |"), "{text}");
        assert!(text.contains("In all: 4.3 s of agent work, 200 tokens."), "{text}");
        assert!(text.contains("exited with code 0; 2 tests: 2 passed"), "{text}");
        assert!(text.contains("score 9/10, approved, 1 issue(s): Good.\n- x"), "{text}");
        assert!(text.contains("- README.md (10 bytes)"), "{text}");
    }
}
