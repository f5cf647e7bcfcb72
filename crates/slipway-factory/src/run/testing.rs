//! The testing stage: the test engineer writes tests and hands over the command that runs them
//! (`submit_test_command`); the executor then runs that command itself, in the workspace, through the same
//! sandboxed shell the agents' tools use and with the job's cancellation, and records what really happened:
//! the exit code, the pass and fail counts and the coverage read from the output. Without the right to run
//! commands the stage records that the tests were not run, and why.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use serde_json::{Value, json};
use slipway_agents::schema::StructuredTool;
use slipway_agents::shell;

use super::attempt::ProjectRun;
use super::checkpoint::Checkpoint;
use super::stage::{StageError, StageWork};
use super::test_report;
use crate::stages::Stage;

/// The hand-over tool.
pub const TOOL: &str = "submit_test_command";
/// Longest the tests may run.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(300);
/// Characters of the test output kept in the stage's data.
const OUTPUT_KEPT: usize = 4000;

/// `submit_test_command`: how to run the tests the agent wrote.
pub static SUBMIT_TESTS: LazyLock<Option<Arc<StructuredTool>>> = LazyLock::new(|| {
    StructuredTool::new(
        TOOL,
        "Hand over how to run the tests: the shell command that runs all of them from the workspace root, the \
         framework, and what they cover.",
        json!({
            "type": "object",
            "properties": {
                "command": {"type": "string", "minLength": 1, "maxLength": 2000},
                "framework": {"type": "string"},
                "notes": {"type": "string"}
            },
            "required": ["command"]
        }),
    )
    .ok()
    .map(Arc::new)
});

/// Runs the testing stage.
pub(crate) async fn run(run: &ProjectRun<'_>, done: &Checkpoint) -> Result<StageWork, StageError> {
    let tool = SUBMIT_TESTS.clone().ok_or_else(|| StageError::Failed(format!("the schema of {TOOL} is broken")))?;
    let tools = run.tools().with_structured(tool);
    let result = run.agent(Stage::Testing, done, &tools, Some(TOOL)).await?;
    let handed = result
        .captured(TOOL)
        .cloned()
        .ok_or_else(|| StageError::Failed(format!("{} handed over no test command", Stage::Testing.agent())))?;
    let command = handed["command"].as_str().unwrap_or_default().trim().to_owned();
    if command.is_empty() {
        return Err(StageError::Failed(format!("{} handed over an empty test command", Stage::Testing.agent())));
    }
    let mut data = json!({
        "command": command,
        "framework": handed.get("framework").cloned().unwrap_or(Value::Null),
        "notes": handed.get("notes").cloned().unwrap_or(Value::Null),
    });
    if run.input.allow_commands {
        let outcome = shell::run(&command, run.workspace.root(), TEST_TIMEOUT, run.ctx.cancellation())
            .await
            .map_err(|e| StageError::Failed(format!("cannot run the tests: {e}")))?;
        if outcome.cancelled {
            return Err(StageError::Cancelled);
        }
        let counts = test_report::counts(&outcome.output);
        let merge = json!({
            "ran": true,
            "exit_code": outcome.exit_code,
            "success": outcome.success(),
            "timed_out": outcome.timed_out,
            "duration_ms": u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX),
            "counts": counts,
            "coverage_percent": test_report::coverage(&outcome.output),
            "output_tail": tail(&outcome.output, OUTPUT_KEPT),
        });
        extend(&mut data, merge);
    } else {
        let reason = "the tests were written but not run: this project's owner may not run commands on this \
                      server (commands run only inside the command sandbox, or for administrators)";
        extend(&mut data, json!({"ran": false, "reason": reason}));
    }
    Ok(StageWork::of(&result, &tools, data, &[]))
}

fn extend(data: &mut Value, more: Value) {
    if let (Some(target), Value::Object(more)) = (data.as_object_mut(), more) {
        target.extend(more);
    }
}

/// The last `max` characters of `text`.
fn tail(text: &str, max: usize) -> String {
    let count = text.chars().count();
    text.chars().skip(count.saturating_sub(max)).collect()
}

/// The test results in a sentence, for later prompts and the delivery summary.
pub fn describe(data: &Value) -> String {
    let command = data["command"].as_str().unwrap_or("");
    if data["ran"] != true {
        let reason = data["reason"].as_str().unwrap_or("the tests were not run");
        return format!("`{command}` was not run: {reason}.");
    }
    let ended = if data["timed_out"] == true {
        format!("timed out after {} s", TEST_TIMEOUT.as_secs())
    } else {
        match data["exit_code"].as_i64() {
            Some(code) => format!("exited with code {code}"),
            None => "was killed".to_owned(),
        }
    };
    let mut out = format!("`{command}` {ended}");
    let c = &data["counts"];
    if c.is_object() {
        out.push_str(&format!(
            "; {} tests: {} passed, {} failed, {} skipped, {} errors ({})",
            c["total"],
            c["passed"],
            c["failed"],
            c["skipped"],
            c["errors"],
            c["framework"].as_str().unwrap_or("?")
        ));
    } else {
        out.push_str("; no test summary was found in its output");
    }
    if let Some(p) = data["coverage_percent"].as_f64() {
        out.push_str(&format!("; coverage {p}%"));
    }
    out.push('.');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_read_as_a_sentence() {
        let ran = json!({"command": "python3 -m unittest", "ran": true, "exit_code": 1, "timed_out": false,
            "counts": {"framework": "unittest", "passed": 2, "failed": 1, "skipped": 0, "errors": 0, "total": 3},
            "coverage_percent": 87.5});
        assert_eq!(
            describe(&ran),
            "`python3 -m unittest` exited with code 1; 3 tests: 2 passed, 1 failed, 0 skipped, 0 errors (unittest); coverage 87.5%."
        );
        let not = json!({"command": "pytest", "ran": false, "reason": "no rights"});
        assert_eq!(describe(&not), "`pytest` was not run: no rights.");
        assert_eq!(tail("abcdef", 3), "def");
        assert!(SUBMIT_TESTS.as_ref().is_some_and(|t| t.check(&json!({"command": "make test"})).is_ok()));
    }
}
