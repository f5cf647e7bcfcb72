//! Commands on remote targets: the engine's [`RemoteShell`] over SSH, which makes qoder's tasks run on a
//! server (or every server of a tag) with the same events, timeout, cancel and run history as on this host. A
//! command runs with its owner's rights at the time it runs (administrators and granted operators), on each
//! server its target names one after the other; its lines become the job's `stdout`/`stderr` events, each
//! carrying the server's name, and the output keeps the tails of both streams and each server's exit code.

use std::time::Duration;

use serde_json::{Value, json};
use slipway_core::Error;
use slipway_engine::{COMMAND_TAIL_BYTES, CommandInput, JobContext, JobFailure, RemoteRun, RemoteShell};
use slipway_store::ops::ServerRecord;

use crate::servers::Servers;
use crate::ssh::{ExecOptions, Outcome, Stream};

/// Runs `command` jobs on servers.
#[derive(Clone, Debug)]
pub struct RemoteCommands {
    servers: Servers,
}

impl RemoteCommands {
    /// Remote commands through `servers` (its SSH connections and its access rule).
    pub fn new(servers: Servers) -> Self {
        Self { servers }
    }

    async fn run_on(&self, ctx: &JobContext, target: &str, input: &CommandInput) -> Result<Value, JobFailure> {
        let refused = |e: Error| JobFailure::fatal(e.to_string());
        let owner = self.servers.owner_principal(ctx.owner_id()).await.map_err(refused)?;
        let servers = self.servers.resolve_target(&owner, target).await.map_err(refused)?;
        let script = script(input).map_err(JobFailure::fatal)?;
        let several = servers.len() > 1;
        let mut tails = Tails::default();
        let mut reports = Vec::new();
        let mut failed: Option<String> = None;
        let mut total = Duration::ZERO;
        for s in &servers {
            if ctx.cancellation().is_cancelled() {
                break;
            }
            let prefix = if several { format!("[{}] ", s.name) } else { String::new() };
            let report = self.run_one(ctx, &owner, s, &script, &prefix, &mut tails).await;
            total += report.duration;
            if failed.is_none() && report.failure.is_some() {
                failed = report.failure.clone();
            }
            reports.push(report);
        }
        let exit_code = reports.iter().map(|r| r.exit_code).find(|c| *c != Some(0)).unwrap_or(Some(0));
        let output = json!({
            "target": target,
            "exit_code": exit_code,
            "duration_ms": u64::try_from(total.as_millis()).unwrap_or(u64::MAX),
            "stdout": tails.stdout.text,
            "stderr": tails.stderr.text,
            "stdout_truncated": tails.stdout.truncated,
            "stderr_truncated": tails.stderr.truncated,
            "servers": reports.iter().map(Report::to_json).collect::<Vec<_>>(),
        });
        match failed {
            None => Ok(output),
            Some(reason) => Err(JobFailure::fatal(reason).with_output(output)),
        }
    }

    async fn run_one(
        &self,
        ctx: &JobContext,
        owner: &slipway_core::Principal,
        s: &ServerRecord,
        script: &str,
        prefix: &str,
        tails: &mut Tails,
    ) -> Report {
        let options = ExecOptions { cancel: ctx.cancellation().child_token(), ..ExecOptions::default() };
        let mut report = Report { server_id: s.id, server: s.name.clone(), ..Report::default() };
        let mut exec = match self.servers.exec(owner, s.id, script, options).await {
            Ok(exec) => exec,
            Err(e) => {
                report.failure = Some(e.to_string());
                return report;
            }
        };
        while let Some(line) = exec.next_line().await {
            let (kind, tail) = match line.stream {
                Stream::Stdout => ("stdout", &mut tails.stdout),
                Stream::Stderr => ("stderr", &mut tails.stderr),
            };
            tail.push(prefix, &line.text);
            // A lost job (its lease taken over) cannot log any more; the tails are still returned.
            let _ = ctx.emit(kind, json!({ "line": line.text, "server": s.name })).await;
        }
        match exec.finish().await {
            Ok(f) => {
                report.duration = f.duration;
                match f.outcome {
                    Outcome::Exited(0) => report.exit_code = Some(0),
                    Outcome::Exited(code) => {
                        report.exit_code = Some(code);
                        report.failure = Some(format!("command exited with code {code} on server {:?}", s.name));
                    }
                    Outcome::Cancelled | Outcome::TimedOut => {
                        report.failure = Some(format!("command stopped on server {:?}", s.name));
                    }
                }
            }
            Err(e) => report.failure = Some(format!("server {:?}: {e}", s.name)),
        }
        report
    }
}

impl RemoteShell for RemoteCommands {
    fn run<'a>(&'a self, ctx: &'a JobContext, target: &'a str, input: &'a CommandInput) -> RemoteRun<'a> {
        Box::pin(self.run_on(ctx, target, input))
    }
}

/// How the command went on one server.
#[derive(Debug, Default)]
struct Report {
    server_id: i64,
    server: String,
    exit_code: Option<i32>,
    duration: Duration,
    failure: Option<String>,
}

impl Report {
    fn to_json(&self) -> Value {
        json!({
            "server_id": self.server_id,
            "server": self.server,
            "exit_code": self.exit_code,
            "duration_ms": u64::try_from(self.duration.as_millis()).unwrap_or(u64::MAX),
            "error": self.failure,
        })
    }
}

/// The last [`COMMAND_TAIL_BYTES`] of one stream.
#[derive(Debug, Default)]
struct Tail {
    text: String,
    truncated: bool,
}

impl Tail {
    fn push(&mut self, prefix: &str, line: &str) {
        self.text.push_str(prefix);
        self.text.push_str(line);
        self.text.push('\n');
        if self.text.len() > COMMAND_TAIL_BYTES {
            let mut cut = self.text.len() - COMMAND_TAIL_BYTES;
            while !self.text.is_char_boundary(cut) {
                cut += 1;
            }
            self.text.drain(..cut);
            self.truncated = true;
        }
    }
}

#[derive(Debug, Default)]
struct Tails {
    stdout: Tail,
    stderr: Tail,
}

/// The script a server's shell runs: the environment exported, the working directory entered, the command.
fn script(input: &CommandInput) -> Result<String, String> {
    let mut s = String::new();
    for (name, value) in &input.env {
        let shell_name = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !shell_name {
            return Err(format!("environment variable {name:?} is not a shell variable name"));
        }
        s.push_str(&format!("export {name}={}\n", quote(value)));
    }
    if let Some(dir) = &input.cwd {
        s.push_str(&format!("cd {} || exit 1\n", quote(&dir.to_string_lossy())));
    }
    s.push_str(&input.command);
    Ok(s)
}

/// `text` as one single-quoted shell word.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: Value) -> CommandInput {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_script_exports_quoted_values_and_enters_the_directory() {
        let i = input(json!({"command": "echo $A", "env": {"A": "it's $HOME"}, "cwd": "/srv/my app"}));
        assert_eq!(script(&i).as_deref(), Ok("export A='it'\\''s $HOME'\ncd '/srv/my app' || exit 1\necho $A"));
        let bad = input(json!({"command": "x", "env": {"1A": "v"}}));
        assert!(script(&bad).is_err_and(|e| e.contains("1A")));
        let dash = input(json!({"command": "x", "env": {"A-B": "v"}}));
        assert!(script(&dash).is_err());
    }

    #[test]
    fn tails_keep_the_end_on_a_character_boundary() {
        let mut t = Tail::default();
        for _ in 0..COMMAND_TAIL_BYTES {
            t.push("", "é");
        }
        assert!(t.truncated && t.text.len() <= COMMAND_TAIL_BYTES && t.text.ends_with("é\n"));
    }
}
