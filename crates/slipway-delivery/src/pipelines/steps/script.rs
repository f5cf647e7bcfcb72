//! `script`: a multi-line script run by `sh` (or `bash`) with `set -e`, so the first failing line fails the
//! step. No Docker engine runs here, so there are no container steps.

use serde_json::{Value, json};

use super::shell_command::{env_of, process_properties};
use super::{StepContext, StepFuture, StepKind, timeout_of};

/// Runs a script.
#[derive(Debug, Clone, Copy)]
pub struct Script;

impl StepKind for Script {
    fn id(&self) -> &'static str {
        "script"
    }

    fn name(&self) -> &'static str {
        "Script"
    }

    fn description(&self) -> &'static str {
        "执行多行脚本（遇错即停）"
    }

    fn category(&self) -> &'static str {
        "build"
    }

    fn icon(&self) -> &'static str {
        "code"
    }

    fn config_schema(&self) -> Value {
        let mut properties = process_properties();
        properties.insert(
            "script".into(),
            json!({"type": "string", "title": "脚本", "minLength": 1, "maxLength": 100000, "pattern": "\\S"}),
        );
        properties.insert(
            "shell".into(),
            json!({"type": "string", "title": "解释器", "enum": ["sh", "bash"], "default": "sh"}),
        );
        json!({"type": "object", "properties": properties, "required": ["script"]})
    }

    fn run<'a>(&'a self, step: &'a StepContext<'a>) -> StepFuture<'a> {
        Box::pin(async move {
            let script = step.config.get("script").and_then(Value::as_str).unwrap_or_default();
            let mut env = env_of(step.config);
            env.insert("SLIPWAY_SCRIPT".into(), script.to_owned());
            // The script travels in the environment, never spliced into a command line.
            let command = match step.config.get("shell").and_then(Value::as_str) {
                Some("bash") => "exec bash -e -c \"$SLIPWAY_SCRIPT\"",
                _ => "exec sh -e -c \"$SLIPWAY_SCRIPT\"",
            };
            match step.run_process(command.to_owned(), env, None, timeout_of(step.config)).await {
                Ok(p) => step.outcome_of(&p),
                Err(refused) => refused,
            }
        })
    }
}
