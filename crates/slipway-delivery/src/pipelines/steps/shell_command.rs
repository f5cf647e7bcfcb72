//! `shell_command`: one command line (`sh -c`), with `env`, `timeout` and `working_dir`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{StepContext, StepFuture, StepKind, timeout_of, timeout_property};

/// Runs a shell command.
#[derive(Debug, Clone, Copy)]
pub struct ShellCommand;

/// The `env` of a config as variables.
pub(super) fn env_of(config: &Value) -> BTreeMap<String, String> {
    let Some(env) = config.get("env").and_then(Value::as_object) else { return BTreeMap::new() };
    env.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned()))).collect()
}

/// The properties every process step shares.
pub(super) fn process_properties() -> serde_json::Map<String, Value> {
    let env = json!({
        "type": "object", "title": "环境变量",
        "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "maxLength": 256},
        "additionalProperties": {"type": "string", "maxLength": 65536}
    });
    let dir = json!({"type": "string", "title": "工作目录", "maxLength": 1024});
    serde_json::Map::from_iter([
        ("env".to_owned(), env),
        ("timeout".to_owned(), timeout_property()),
        ("working_dir".to_owned(), dir),
    ])
}

impl StepKind for ShellCommand {
    fn id(&self) -> &'static str {
        "shell_command"
    }

    fn name(&self) -> &'static str {
        "Shell Command"
    }

    fn description(&self) -> &'static str {
        "执行 Shell 命令"
    }

    fn category(&self) -> &'static str {
        "build"
    }

    fn icon(&self) -> &'static str {
        "terminal"
    }

    fn config_schema(&self) -> Value {
        let mut properties = process_properties();
        properties.insert(
            "command".into(),
            json!({"type": "string", "title": "命令", "minLength": 1, "maxLength": 65536, "pattern": "\\S"}),
        );
        json!({"type": "object", "properties": properties, "required": ["command"]})
    }

    fn run<'a>(&'a self, step: &'a StepContext<'a>) -> StepFuture<'a> {
        Box::pin(async move {
            let command = step.config.get("command").and_then(Value::as_str).unwrap_or_default().to_owned();
            match step.run_process(command, env_of(step.config), None, timeout_of(step.config)).await {
                Ok(p) => step.outcome_of(&p),
                Err(refused) => refused,
            }
        })
    }
}
