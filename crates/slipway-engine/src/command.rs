//! The `command` executor: `sh -c <command>` in the node's sandbox (see `slipway-sandbox`), in its own process
//! group, with environment, working directory and the job's timeout. Each stdout/stderr line becomes an event;
//! the last 64 KiB of each are kept in the output with the exit code and duration. Cancel, timeout and shutdown
//! kill the whole group; the group is recorded while it runs, so a node starting after a crash kills what is
//! left of it.
//!
//! Who may run what (settled in the input when the job is admitted, so every node runs it the same way):
//! with the sandbox, anyone; ordinary users' commands run as an unprivileged user of their own with the
//! default limits, inside the workspace, without network (unless the executor allows users to ask for it);
//! administrators' run sandboxed as the node's user with network and no limits unless they ask otherwise, and
//! may ask for the host (`isolation: "host"`). Without the sandbox only administrators may, on the host.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use slipway_core::{Error, Principal};
use slipway_sandbox::{Availability, Identity, Limits, Spec, host_command};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::context::JobContext;
use crate::executor::{Executor, JobFailure};

/// Bytes of each stream kept in the output (the most recent).
pub const TAIL_BYTES: usize = 64 * 1024;
/// A line longer than this is emitted in pieces.
const LINE_BYTES: usize = 16 * 1024;
/// How long the group gets between SIGTERM and SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(2);
/// How long output is still read after the shell exited (a process that left the group may hold the pipes).
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// The input of a `command` job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandInput {
    /// What `sh -c` runs.
    pub command: String,
    /// Variables added to (or replacing in) the node's environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Working directory; relative paths are inside the job's workspace, which is the default.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// Where it runs: `local` (this host, the default). Remote servers arrive with the servers resource.
    #[serde(default)]
    pub target: Option<String>,
    /// How it is isolated; settled when the job is admitted (see the module's documentation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolation: Option<Isolation>,
    /// Whether it may use the network; settled when the job is admitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<bool>,
}

/// How a command is isolated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// In the sandbox as an unprivileged user of its own, with the default limits (ordinary users' commands).
    Sandbox,
    /// In the sandbox as the node's user, without limits (administrators' default).
    SandboxAsNode,
    /// On the host, unsandboxed (administrators only; their default where the sandbox is unavailable).
    Host,
}

impl Isolation {
    fn as_str(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::SandboxAsNode => "sandbox_as_node",
            Self::Host => "host",
        }
    }
}

/// The only target there is until servers can be registered.
pub const LOCAL_TARGET: &str = "local";

/// Runs shell commands on the local host, in its sandbox.
#[derive(Debug, Clone, Default)]
pub struct CommandExecutor {
    user_network: bool,
}

impl CommandExecutor {
    /// The executor of kind `command`; ordinary users' commands get no network.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether ordinary users' commands may ask for the network (`network: true`).
    pub fn with_user_network(mut self, allowed: bool) -> Self {
        self.user_network = allowed;
        self
    }

    /// The isolation and network `principal`'s input gets here, or why it may not run.
    fn settle(
        &self,
        principal: &Principal,
        sandbox: &Availability,
        input: &CommandInput,
    ) -> Result<(Isolation, bool), Error> {
        if !sandbox.is_available() {
            if !principal.is_admin() {
                return Err(Error::Forbidden(sandbox.refusal()));
            }
            return match input.isolation {
                None | Some(Isolation::Host) => Ok((Isolation::Host, input.network.unwrap_or(true))),
                Some(_) => Err(Error::invalid_field(
                    "isolation",
                    "value_error",
                    format!("the sandbox is unavailable on this node: {}", sandbox.reason().unwrap_or_default()),
                )),
            };
        }
        if principal.is_admin() {
            return Ok((input.isolation.unwrap_or(Isolation::SandboxAsNode), input.network.unwrap_or(true)));
        }
        if input.isolation.is_some_and(|i| i != Isolation::Sandbox) {
            return Err(Error::Forbidden(
                "only administrators may run commands outside the sandbox or as the node's user".into(),
            ));
        }
        if input.network == Some(true) && !self.user_network {
            return Err(Error::Forbidden("only administrators may give commands network access".into()));
        }
        let inside = input.cwd.as_deref().is_none_or(|c| {
            c.components().all(|p| matches!(p, std::path::Component::Normal(_) | std::path::Component::CurDir))
        });
        if !inside {
            return Err(Error::invalid_field(
                "cwd",
                "value_error",
                "cwd must be a relative path inside the job's workspace",
            ));
        }
        Ok((Isolation::Sandbox, input.network.unwrap_or(false)))
    }
}

fn parse(input: &Value) -> Result<CommandInput, Error> {
    let parsed: CommandInput = serde_json::from_value(input.clone())
        .map_err(|e| Error::invalid_field("input", "value_error", format!("invalid command input: {e}")))?;
    if parsed.command.trim().is_empty() {
        return Err(Error::invalid_field("command", "value_error", "command must not be empty"));
    }
    if let Some(bad) = parsed.env.keys().find(|k| k.is_empty() || k.contains(['=', '\0'])) {
        return Err(Error::invalid_field("env", "value_error", format!("invalid environment variable name {bad:?}")));
    }
    if parsed.target.as_deref().is_some_and(|t| t != LOCAL_TARGET) {
        return Err(Error::invalid_field(
            "target",
            "value_error",
            "only the local host can run commands yet (target \"local\"); remote servers are not registered",
        ));
    }
    if parsed.command.contains('\0') || parsed.env.values().any(|v| v.contains('\0')) {
        return Err(Error::invalid_field("command", "value_error", "command and environment must not contain NUL"));
    }
    Ok(parsed)
}

/// The most recent bytes of a stream.
#[derive(Debug, Default)]
struct Tail {
    text: String,
    truncated: bool,
}

impl Tail {
    fn push(&mut self, line: &str) {
        self.text.push_str(line);
        if self.text.len() > TAIL_BYTES {
            let mut cut = self.text.len() - TAIL_BYTES;
            while !self.text.is_char_boundary(cut) {
                cut += 1;
            }
            self.text.drain(..cut);
            self.truncated = true;
        }
    }
}

/// Kills the process group when dropped, unless it is already known to be gone.
struct Group(Option<Pid>);

impl Group {
    fn signal(&self, sig: Signal) {
        if let Some(pgid) = self.0 {
            let _ = killpg(pgid, sig);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.signal(Signal::SIGKILL);
    }
}

impl Executor for CommandExecutor {
    fn kind(&self) -> &'static str {
        "command"
    }

    fn admit(&self, principal: &Principal, sandbox: &Availability, input: &mut Value) -> Result<(), Error> {
        let parsed = parse(input)?;
        let (isolation, network) = self.settle(principal, sandbox, &parsed)?;
        if let Some(fields) = input.as_object_mut() {
            fields.insert("isolation".into(), json!(isolation));
            fields.insert("network".into(), json!(network));
        }
        Ok(())
    }

    fn validate(&self, input: &Value) -> Result<(), Error> {
        parse(input).map(|_| ())
    }

    async fn run(&self, ctx: JobContext) -> Result<Value, JobFailure> {
        let input = parse(ctx.input()).map_err(|e| JobFailure::fatal(e.to_string()))?;
        let cwd = match &input.cwd {
            Some(dir) => ctx.workspace().join(dir),
            None => ctx.workspace().to_path_buf(),
        };
        let scope = slipway_sandbox::current();
        let sandbox = scope.as_ref().and_then(|s| s.availability.sandbox().cloned());
        // Inputs nobody admitted (system jobs, schedules from before the sandbox) run as an administrator's.
        let isolation =
            input.isolation.unwrap_or(if sandbox.is_some() { Isolation::SandboxAsNode } else { Isolation::Host });
        let mut spec = Spec {
            workspace: ctx.workspace().to_path_buf(),
            cwd: cwd.clone(),
            binds: Vec::new(),
            env: input.env.clone(),
            network: input.network.unwrap_or(true),
            identity: Identity::Node,
            limits: Limits::NONE,
            command: input.command.clone(),
        };
        if !cwd.is_dir() {
            return Err(JobFailure::fatal(format!("cannot start the command in {}: no such directory", cwd.display())));
        }
        let mut cmd = match (isolation, &sandbox) {
            (Isolation::Host, _) => host_command(&spec),
            (_, None) => {
                let reason = scope.as_ref().and_then(|s| s.availability.reason().map(str::to_owned));
                return Err(JobFailure::fatal(format!(
                    "this command must run in the sandbox, which is unavailable on this node: {}",
                    reason.unwrap_or_else(|| "no job scope".into())
                )));
            }
            (Isolation::Sandbox, Some(sb)) => {
                if !cwd.starts_with(ctx.workspace()) {
                    return Err(JobFailure::fatal("the working directory must be inside the job's workspace"));
                }
                spec.identity = Identity::Unprivileged { slot: ctx.job_id() };
                spec.limits = Limits::default();
                sb.prepare(&spec).await.map_err(|e| JobFailure::fatal(format!("cannot prepare the sandbox: {e}")))?
            }
            (Isolation::SandboxAsNode, Some(sb)) => {
                if !cwd.starts_with(ctx.workspace()) {
                    spec.binds.push(cwd.clone());
                }
                sb.prepare(&spec).await.map_err(|e| JobFailure::fatal(format!("cannot prepare the sandbox: {e}")))?
            }
        };
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| JobFailure::fatal(format!("cannot start the command in {}: {e}", cwd.display())))?;
        let mut group = Group(child.id().and_then(|id| i32::try_from(id).ok()).map(Pid::from_raw));
        let recorded = match &scope {
            Some(s) => s.record(child.id()).await,
            None => None,
        };
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(JobFailure::fatal("the command's output pipes are missing"));
        };
        let (out, err) = (Mutex::new(Tail::default()), Mutex::new(Tail::default()));
        let (out_state, err_state) = (AtomicBool::new(false), AtomicBool::new(false));
        let status = {
            let readers = async {
                tokio::join!(
                    read_lines(stdout, &ctx, "stdout", &out, &out_state),
                    read_lines(stderr, &ctx, "stderr", &err, &err_state)
                )
            };
            let waiting = async {
                let status = tokio::select! {
                    status = child.wait() => status,
                    () = ctx.cancellation().cancelled() => {
                        group.signal(Signal::SIGTERM);
                        match tokio::time::timeout(TERM_GRACE, child.wait()).await {
                            Ok(status) => status,
                            Err(_) => {
                                group.signal(Signal::SIGKILL);
                                child.wait().await
                            }
                        }
                    }
                };
                // Whatever the shell left behind in its group ends with it.
                group.signal(Signal::SIGKILL);
                status
            };
            tokio::pin!(readers, waiting);
            let mut status: Option<std::io::Result<ExitStatus>> = None;
            let mut drained = false;
            let drain_deadline = tokio::time::sleep(Duration::from_secs(86_400 * 365));
            tokio::pin!(drain_deadline);
            while status.is_none() || !drained {
                tokio::select! {
                    s = &mut waiting, if status.is_none() => {
                        status = Some(s);
                        drain_deadline.as_mut().reset(tokio::time::Instant::now() + DRAIN_GRACE);
                    }
                    _ = &mut readers, if !drained => drained = true,
                    () = &mut drain_deadline, if status.is_some() => {
                        // Readers still logging are slow, not stuck: only a pipe nobody closes ends the wait.
                        if out_state.load(Ordering::Relaxed) || err_state.load(Ordering::Relaxed) {
                            drain_deadline.as_mut().reset(tokio::time::Instant::now() + DRAIN_GRACE);
                        } else {
                            break;
                        }
                    }
                }
            }
            status
        };
        group.0 = None;
        if let Some(r) = recorded {
            r.forget().await;
        }
        let status = status
            .unwrap_or_else(|| Err(std::io::Error::other("no exit status")))
            .map_err(|e| JobFailure::fatal(format!("cannot wait for the command: {e}")))?;
        let (out, err) = (out.into_inner().unwrap_or_default(), err.into_inner().unwrap_or_default());
        let output = json!({
            "exit_code": status.code(),
            "isolation": isolation.as_str(),
            "signal": status.signal(),
            "duration_ms": u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "stdout": out.text,
            "stderr": err.text,
            "stdout_truncated": out.truncated,
            "stderr_truncated": err.truncated,
        });
        match (status.code(), status.signal()) {
            (Some(0), _) => Ok(output),
            (Some(code), _) => Err(JobFailure::fatal(format!("command exited with code {code}")).with_output(output)),
            (None, Some(sig)) => Err(JobFailure::fatal(format!("command killed by signal {sig}")).with_output(output)),
            (None, None) => Err(JobFailure::fatal("command ended without an exit status").with_output(output)),
        }
    }
}

/// Emits each line (without its newline) as an event of type `stream` and keeps the tail. `logging` is set
/// while a line is being handed to the journal (as opposed to waiting on the pipe).
async fn read_lines(
    pipe: impl AsyncRead + Unpin,
    ctx: &JobContext,
    stream: &str,
    tail: &Mutex<Tail>,
    logging: &AtomicBool,
) {
    let mut reader = BufReader::new(pipe);
    let mut line: Vec<u8> = Vec::new();
    loop {
        let (found, used) = match reader.fill_buf().await {
            Ok([]) | Err(_) => break,
            Ok(buf) => match buf.iter().position(|b| *b == b'\n') {
                Some(i) => {
                    line.extend_from_slice(&buf[..i]);
                    (true, i + 1)
                }
                None => {
                    line.extend_from_slice(buf);
                    (false, buf.len())
                }
            },
        };
        reader.consume(used);
        if found || line.len() >= LINE_BYTES {
            logging.store(true, Ordering::Relaxed);
            flush(&mut line, ctx, stream, tail, found).await;
            logging.store(false, Ordering::Relaxed);
        }
    }
    if !line.is_empty() {
        flush(&mut line, ctx, stream, tail, false).await;
    }
}

async fn flush(line: &mut Vec<u8>, ctx: &JobContext, stream: &str, tail: &Mutex<Tail>, newline: bool) {
    let text = String::from_utf8_lossy(line).into_owned();
    line.clear();
    if let Ok(mut t) = tail.lock() {
        t.push(&text);
        if newline {
            t.push("\n");
        }
    }
    // A lost job (its lease taken over) cannot log any more; the output tail is still returned.
    let _ = ctx.emit(stream, json!({ "line": text })).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_validated_by_field() {
        assert!(parse(&json!({"command": "echo hi", "env": {"A": "1"}, "cwd": "sub"})).is_ok());
        let field = |v: Value| parse(&v).unwrap_err().field_errors()[0].field();
        assert_eq!(field(json!({"command": "  "})), "command");
        assert_eq!(field(json!({"command": "x", "env": {"A=B": "1"}})), "env");
        assert_eq!(field(json!({"cmd": "x"})), "input");
        assert_eq!(field(json!({"command": "x", "target": "server-7"})), "target");
        assert!(parse(&json!({"command": "x", "target": "local"})).is_ok());
    }

    #[test]
    fn tails_keep_the_most_recent_bytes() {
        let mut t = Tail::default();
        t.push(&"a".repeat(TAIL_BYTES));
        assert!(!t.truncated);
        t.push("éz");
        assert!(t.truncated);
        assert!(t.text.len() <= TAIL_BYTES);
        assert!(t.text.ends_with("éz"));
    }
}
