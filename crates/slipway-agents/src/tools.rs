//! The tools an agent may call: files in the workspace, commands (for users allowed to run them), and
//! structured-output tools. Tool failures are answers to the model, not errors of the job.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use slipway_llm::{ToolCall, ToolSpec};
use tokio_util::sync::CancellationToken;

use crate::schema::StructuredTool;
use crate::shell;
use crate::workspace::Workspace;

/// Longest a command an agent runs may take, seconds.
pub const MAX_COMMAND_SECS: u64 = 600;
/// What a command gets when the agent does not say.
pub const DEFAULT_COMMAND_SECS: u64 = 60;

/// What a tool call produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutcome {
    /// The answer the model reads.
    pub content: String,
    /// For a structured-output tool whose arguments matched its schema: the tool's name and the arguments.
    pub captured: Option<(String, Value)>,
    /// Whether the call worked.
    pub ok: bool,
}

impl ToolOutcome {
    fn ok(content: impl Into<String>) -> Self {
        Self { content: content.into(), captured: None, ok: true }
    }

    fn failed(content: impl Into<String>) -> Self {
        Self { content: format!("error: {}", content.into()), captured: None, ok: false }
    }
}

/// The tools of one agent.
#[derive(Debug, Clone)]
pub struct ToolSet {
    workspace: Workspace,
    files: bool,
    commands: bool,
    structured: Vec<Arc<StructuredTool>>,
    written: Arc<Mutex<BTreeSet<String>>>,
}

impl ToolSet {
    /// No tools yet, in `workspace`.
    pub fn new(workspace: Workspace) -> Self {
        Self { workspace, files: false, commands: false, structured: Vec::new(), written: Arc::default() }
    }

    /// The paths `write_file` wrote through this tool set (or a clone of it), relative to the workspace with
    /// `/` separators, sorted; so work done side by side in one workspace can be told apart.
    pub fn written(&self) -> Vec<String> {
        self.written.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect()
    }

    /// Adds `read_file`, `write_file` and `list_files`.
    pub fn with_files(mut self) -> Self {
        self.files = true;
        self
    }

    /// Adds `run_command` (only for users allowed to run commands; the caller decides).
    pub fn with_commands(mut self, allowed: bool) -> Self {
        self.commands = allowed;
        self
    }

    /// Adds a structured-output tool.
    pub fn with_structured(mut self, tool: Arc<StructuredTool>) -> Self {
        self.structured.push(tool);
        self
    }

    /// The workspace the tools work in.
    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// How the model sees the tools.
    pub fn specs(&self) -> Vec<ToolSpec> {
        let mut specs = Vec::new();
        if self.files {
            specs.push(spec(
                "read_file",
                "Read a UTF-8 text file of the workspace.",
                json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}),
            ));
            specs.push(spec(
                "write_file",
                "Create or replace a text file in the workspace (directories are created).",
                json!({"type": "object", "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                       "required": ["path", "content"]}),
            ));
            specs.push(spec(
                "list_files",
                "List the files of the workspace (or of a directory in it) with their sizes.",
                json!({"type": "object", "properties": {"path": {"type": "string"}}}),
            ));
        }
        if self.commands {
            specs.push(spec(
                "run_command",
                "Run a shell command (sh -c) in the workspace; returns the exit code and the end of the output.",
                json!({"type": "object", "properties": {
                    "command": {"type": "string"},
                    "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": MAX_COMMAND_SECS}
                }, "required": ["command"]}),
            ));
        }
        specs.extend(self.structured.iter().map(|t| t.spec().clone()));
        specs
    }

    /// Runs one call.
    pub async fn call(&self, call: &ToolCall, cancel: &CancellationToken) -> ToolOutcome {
        let arg = |name: &str| call.arguments.get(name).and_then(Value::as_str);
        match call.name.as_str() {
            "read_file" if self.files => match arg("path") {
                Some(path) => self.workspace.read(path).await.map_or_else(ToolOutcome::failed, ToolOutcome::ok),
                None => ToolOutcome::failed("read_file needs {path}"),
            },
            "write_file" if self.files => match (arg("path"), arg("content")) {
                (Some(path), Some(content)) => match self.workspace.write(path, content).await {
                    Ok(n) => {
                        self.note_written(path);
                        ToolOutcome::ok(format!("wrote {n} bytes to {path}"))
                    }
                    Err(e) => ToolOutcome::failed(e),
                },
                _ => ToolOutcome::failed("write_file needs {path, content}"),
            },
            "list_files" if self.files => match self.workspace.list(arg("path").unwrap_or("")).await {
                Ok(files) if files.is_empty() => ToolOutcome::ok("(no files)"),
                Ok(files) => ToolOutcome::ok(
                    files.iter().map(|f| format!("{} ({} bytes)", f.path, f.size)).collect::<Vec<_>>().join("\n"),
                ),
                Err(e) => ToolOutcome::failed(e),
            },
            "run_command" if self.commands => {
                let Some(command) = arg("command").filter(|c| !c.trim().is_empty()) else {
                    return ToolOutcome::failed("run_command needs {command}");
                };
                let secs = call
                    .arguments
                    .get("timeout_seconds")
                    .and_then(Value::as_u64)
                    .unwrap_or(DEFAULT_COMMAND_SECS)
                    .clamp(1, MAX_COMMAND_SECS);
                match shell::run(command, self.workspace.root(), Duration::from_secs(secs), cancel).await {
                    Ok(o) if o.timed_out => ToolOutcome::failed(format!("timed out after {secs} s\n{}", o.output)),
                    Ok(o) if o.cancelled => ToolOutcome::failed("cancelled"),
                    Ok(o) => {
                        let text =
                            format!("exit code {}\n{}", o.exit_code.map_or("none".into(), |c| c.to_string()), o.output);
                        if o.success() {
                            ToolOutcome::ok(text)
                        } else {
                            ToolOutcome { ok: false, ..ToolOutcome::ok(text) }
                        }
                    }
                    Err(e) => ToolOutcome::failed(e),
                }
            }
            name => match self.structured.iter().find(|t| t.name() == name) {
                Some(tool) => match tool.check(&call.arguments) {
                    Ok(()) => ToolOutcome {
                        content: "accepted".into(),
                        captured: Some((name.to_owned(), call.arguments.clone())),
                        ok: true,
                    },
                    Err(problems) => ToolOutcome::failed(format!(
                        "the arguments do not match the schema of {name}: {problems}; call {name} again with corrected arguments"
                    )),
                },
                None => ToolOutcome::failed(format!("there is no tool named {name:?}")),
            },
        }
    }
}

impl ToolSet {
    fn note_written(&self, path: &str) {
        let Ok(abs) = self.workspace.resolve(path) else { return };
        let Ok(rel) = abs.strip_prefix(self.workspace.root()) else { return };
        let rel = rel.to_string_lossy().replace('\\', "/");
        self.written.lock().unwrap_or_else(PoisonError::into_inner).insert(rel);
    }
}

fn spec(name: &str, description: &str, parameters: Value) -> ToolSpec {
    ToolSpec { name: name.into(), description: description.into(), parameters }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, arguments: Value) -> ToolCall {
        ToolCall { id: "c1".into(), name: name.into(), arguments }
    }

    #[tokio::test]
    async fn tools_work_in_the_workspace_and_commands_need_the_right() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path()).unwrap();
        let never = CancellationToken::new();
        let tools = ToolSet::new(ws.clone()).with_files().with_commands(false);
        assert!(!tools.specs().iter().any(|s| s.name == "run_command"));
        let w = tools.call(&call("write_file", json!({"path": "a.txt", "content": "hello"})), &never).await;
        assert!(w.ok, "{}", w.content);
        let r = tools.call(&call("read_file", json!({"path": "a.txt"})), &never).await;
        assert_eq!(r.content, "hello");
        let nested = tools.call(&call("write_file", json!({"path": "./docs//b.md", "content": "b"})), &never).await;
        assert!(nested.ok, "{}", nested.content);
        assert_eq!(tools.written(), ["a.txt", "docs/b.md"]);
        std::fs::remove_file(dir.path().join("docs/b.md")).unwrap();
        let l = tools.call(&call("list_files", json!({})), &never).await;
        assert_eq!(l.content, "a.txt (5 bytes)");
        let denied = tools.call(&call("run_command", json!({"command": "touch pwned"})), &never).await;
        assert!(!denied.ok && !dir.path().join("pwned").exists());
        let escape = tools.call(&call("read_file", json!({"path": "../../etc/passwd"})), &never).await;
        assert!(!escape.ok);

        let admin = ToolSet::new(ws).with_commands(true);
        let ran = admin.call(&call("run_command", json!({"command": "cat a.txt; exit 2"})), &never).await;
        assert!(!ran.ok && ran.content.starts_with("exit code 2") && ran.content.contains("hello"), "{}", ran.content);
    }

    #[tokio::test]
    async fn structured_tools_capture_only_valid_arguments() {
        let dir = tempfile::tempdir().unwrap();
        let schema = json!({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]});
        let tool = Arc::new(StructuredTool::new("submit", "hand over", schema).unwrap());
        let tools = ToolSet::new(Workspace::new(dir.path()).unwrap()).with_structured(tool);
        let never = CancellationToken::new();
        let bad = tools.call(&call("submit", json!({"n": "x"})), &never).await;
        assert!(!bad.ok && bad.captured.is_none() && bad.content.contains("/n"), "{}", bad.content);
        let good = tools.call(&call("submit", json!({"n": 3})), &never).await;
        assert_eq!(good.captured, Some(("submit".into(), json!({"n": 3}))));
        assert!(!tools.call(&call("read_file", json!({"path": "x"})), &never).await.ok, "files were not granted");
    }
}
