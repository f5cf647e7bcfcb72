//! Running one shell command for a job: in the node's sandbox (or on the host, for administrators), in its own
//! process group, with an optional timeout. Each stdout/stderr line becomes an event on the job (through an
//! optional filter, e.g. masking secrets) and the most recent 64 KiB of each stream, and of both interleaved,
//! are kept. Cancel and timeout kill the whole group (TERM, then KILL); the group is recorded while it runs,
//! so a node starting after a crash kills what is left of it. The `command` executor and pipeline steps both
//! run their processes here.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use slipway_core::{Error, Principal};
use slipway_sandbox::{Availability, Identity, Limits, Spec, host_command};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::context::JobContext;
use crate::executor::JobFailure;

/// Bytes of each stream kept in the outcome (the most recent).
pub const TAIL_BYTES: usize = 64 * 1024;
/// A line longer than this is emitted in pieces.
const LINE_BYTES: usize = 16 * 1024;
/// How long the group gets between SIGTERM and SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(2);
/// How long output is still read after the shell exited (a process that left the group may hold the pipes).
const DRAIN_GRACE: Duration = Duration::from_secs(2);

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
    /// The isolation as stored and rendered.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::SandboxAsNode => "sandbox_as_node",
            Self::Host => "host",
        }
    }

    /// What an administrator's commands get by default on a node with `sandbox`.
    pub fn admin_default(sandbox: &Availability) -> Self {
        if sandbox.is_available() { Self::SandboxAsNode } else { Self::Host }
    }

    /// The isolation `principal`'s commands run with by default, or why they may not run at all: ordinary
    /// users need the sandbox (and get [`Isolation::Sandbox`]); administrators get [`Isolation::admin_default`].
    pub fn for_principal(principal: &Principal, sandbox: &Availability) -> Result<Self, Error> {
        if principal.is_admin() {
            Ok(Self::admin_default(sandbox))
        } else if sandbox.is_available() {
            Ok(Self::Sandbox)
        } else {
            Err(Error::Forbidden(sandbox.refusal()))
        }
    }
}

/// Rewrites a line before it is emitted and kept (e.g. masks secrets).
pub type LineFilter = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// One process to run for a job.
#[derive(Clone)]
pub struct ProcessSpec {
    /// What runs and where: workspace (the job's), working directory, environment, network and command.
    /// `identity` and `limits` are set from `isolation`.
    pub spec: Spec,
    /// How it is isolated.
    pub isolation: Isolation,
    /// Run time allowed; past it the group is killed and the outcome says `timed_out`.
    pub timeout: Option<Duration>,
    /// The event type of output lines; `None`: the stream's name (`stdout`, `stderr`), as the `command`
    /// executor logs them. With a type, the payload carries the stream as `stream`.
    pub event: Option<String>,
    /// Further payload fields every line event carries (e.g. `{"step": 2}`).
    pub extra: Map<String, Value>,
    /// Applied to every line before it is emitted and kept.
    pub filter: Option<LineFilter>,
}

impl std::fmt::Debug for ProcessSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessSpec")
            .field("cwd", &self.spec.cwd)
            .field("isolation", &self.isolation)
            .field("timeout", &self.timeout)
            .field("event", &self.event)
            .finish_non_exhaustive()
    }
}

impl ProcessSpec {
    /// `command` in the job's workspace with `isolation`, no timeout, lines logged as `stdout`/`stderr`.
    pub fn new(ctx: &JobContext, command: impl Into<String>, isolation: Isolation, network: bool) -> Self {
        let mut spec = Spec::new(ctx.workspace(), command, ctx.job_id());
        spec.network = network;
        Self { spec, isolation, timeout: None, event: None, extra: Map::new(), filter: None }
    }
}

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessOutcome {
    /// Its exit code, when it exited.
    pub exit_code: Option<i32>,
    /// The signal that killed it, when one did.
    pub signal: Option<i32>,
    /// Whether its timeout ran out (and the group was killed).
    pub timed_out: bool,
    /// Whether the job was cancelled (or stopped) while it ran (and the group was killed).
    pub cancelled: bool,
    /// How long it ran.
    pub duration: Duration,
    /// The last [`TAIL_BYTES`] of stdout.
    pub stdout: String,
    /// Whether stdout was longer.
    pub stdout_truncated: bool,
    /// The last [`TAIL_BYTES`] of stderr.
    pub stderr: String,
    /// Whether stderr was longer.
    pub stderr_truncated: bool,
    /// The last [`TAIL_BYTES`] of both streams, interleaved as the lines came.
    pub log: String,
}

impl ProcessOutcome {
    /// Whether it exited with code 0.
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out && !self.cancelled
    }

    /// The duration in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        u64::try_from(self.duration.as_millis()).unwrap_or(u64::MAX)
    }
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

/// How the lines of one process are logged.
struct Lines<'a> {
    ctx: &'a JobContext,
    p: &'a ProcessSpec,
    all: Mutex<Tail>,
}

/// Runs the process to its end (exit, timeout, or the job's cancellation), logging its lines as it goes.
/// Fails (fatally) only when it cannot start.
pub async fn run(ctx: &JobContext, p: ProcessSpec) -> Result<ProcessOutcome, JobFailure> {
    let scope = slipway_sandbox::current();
    let sandbox = scope.as_ref().and_then(|s| s.availability.sandbox().cloned());
    let mut spec = p.spec.clone();
    let cwd = spec.cwd.clone();
    if !cwd.is_dir() {
        return Err(JobFailure::fatal(format!("cannot start the command in {}: no such directory", cwd.display())));
    }
    spec.identity = Identity::Node;
    spec.limits = Limits::NONE;
    let mut cmd = match (p.isolation, &sandbox) {
        (Isolation::Host, _) => host_command(&spec),
        (_, None) => {
            let reason = scope.as_ref().and_then(|s| s.availability.reason().map(str::to_owned));
            return Err(JobFailure::fatal(format!(
                "this command must run in the sandbox, which is unavailable on this node: {}",
                reason.unwrap_or_else(|| "no job scope".into())
            )));
        }
        (Isolation::Sandbox, Some(sb)) => {
            if !cwd.starts_with(&spec.workspace) {
                return Err(JobFailure::fatal("the working directory must be inside the job's workspace"));
            }
            spec.identity = Identity::Unprivileged { slot: ctx.job_id() };
            spec.limits = Limits::default();
            spec.binds.clear();
            sb.prepare(&spec).await.map_err(|e| JobFailure::fatal(format!("cannot prepare the sandbox: {e}")))?
        }
        (Isolation::SandboxAsNode, Some(sb)) => {
            if !cwd.starts_with(&spec.workspace) && !spec.binds.contains(&cwd) {
                spec.binds.push(cwd.clone());
            }
            sb.prepare(&spec).await.map_err(|e| JobFailure::fatal(format!("cannot prepare the sandbox: {e}")))?
        }
    };
    let started = Instant::now();
    let mut child =
        cmd.spawn().map_err(|e| JobFailure::fatal(format!("cannot start the command in {}: {e}", cwd.display())))?;
    let mut group = Group(child.id().and_then(|id| i32::try_from(id).ok()).map(Pid::from_raw));
    let recorded = match &scope {
        Some(s) => s.record(child.id()).await,
        None => None,
    };
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(JobFailure::fatal("the command's output pipes are missing"));
    };
    let lines = Lines { ctx, p: &p, all: Mutex::new(Tail::default()) };
    let (out, err) = (Mutex::new(Tail::default()), Mutex::new(Tail::default()));
    let (out_state, err_state) = (AtomicBool::new(false), AtomicBool::new(false));
    let (timed_out, cancelled) = (AtomicBool::new(false), AtomicBool::new(false));
    let status = {
        let readers = async {
            tokio::join!(
                read_lines(stdout, &lines, "stdout", &out, &out_state),
                read_lines(stderr, &lines, "stderr", &err, &err_state)
            )
        };
        let waiting = async {
            let deadline = async {
                match p.timeout {
                    Some(t) => tokio::time::sleep(t).await,
                    None => std::future::pending().await,
                }
            };
            let status = tokio::select! {
                status = child.wait() => status,
                () = ctx.cancellation().cancelled() => {
                    cancelled.store(true, Ordering::Relaxed);
                    stop(&group, &mut child).await
                }
                () = deadline => {
                    timed_out.store(true, Ordering::Relaxed);
                    stop(&group, &mut child).await
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
    Ok(ProcessOutcome {
        exit_code: status.code(),
        signal: status.signal(),
        timed_out: timed_out.load(Ordering::Relaxed),
        cancelled: cancelled.load(Ordering::Relaxed),
        duration: started.elapsed(),
        stdout: out.text,
        stdout_truncated: out.truncated,
        stderr: err.text,
        stderr_truncated: err.truncated,
        log: lines.all.into_inner().unwrap_or_default().text,
    })
}

/// TERM, a grace period, then KILL.
async fn stop(group: &Group, child: &mut tokio::process::Child) -> std::io::Result<ExitStatus> {
    group.signal(Signal::SIGTERM);
    match tokio::time::timeout(TERM_GRACE, child.wait()).await {
        Ok(status) => status,
        Err(_) => {
            group.signal(Signal::SIGKILL);
            child.wait().await
        }
    }
}

/// Emits each line (without its newline) and keeps the tail. `logging` is set while a line is being handed to
/// the journal (as opposed to waiting on the pipe).
async fn read_lines(
    pipe: impl AsyncRead + Unpin,
    lines: &Lines<'_>,
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
            flush(&mut line, lines, stream, tail, found).await;
            logging.store(false, Ordering::Relaxed);
        }
    }
    if !line.is_empty() {
        flush(&mut line, lines, stream, tail, false).await;
    }
}

async fn flush(line: &mut Vec<u8>, lines: &Lines<'_>, stream: &str, tail: &Mutex<Tail>, newline: bool) {
    let raw = String::from_utf8_lossy(line);
    let text = match &lines.p.filter {
        Some(f) => f(&raw),
        None => raw.into_owned(),
    };
    line.clear();
    for t in [tail, &lines.all] {
        if let Ok(mut t) = t.lock() {
            t.push(&text);
            if newline {
                t.push("\n");
            }
        }
    }
    let mut payload = lines.p.extra.clone();
    let kind = match &lines.p.event {
        Some(kind) => {
            payload.insert("stream".into(), Value::from(stream));
            kind.as_str()
        }
        None => stream,
    };
    payload.insert("line".into(), Value::String(text));
    // A lost job (its lease taken over) cannot log any more; the outcome's tails are still returned.
    let _ = lines.ctx.emit(kind, Value::Object(payload)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

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
