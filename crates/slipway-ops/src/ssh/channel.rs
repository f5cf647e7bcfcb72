//! One command as a channel over a server's master: its output streamed line by line, its exit status (the
//! remote command's, told apart from `ssh` failing), a timeout, and cancel, which signals the remote process
//! group (SIGTERM, then SIGKILL after a grace period) over a second channel.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::files::ALIAS;
use super::wrapper::{self, StderrLine};
use super::{SshError, Step};

/// Longest line kept whole; longer lines are split.
const MAX_LINE: u64 = 64 * 1024;
/// Lines buffered between the command and a slow reader.
const BUFFER: usize = 256;
/// `ssh`'s own exit status when it fails.
const SSH_FAILED: i32 = 255;

/// Which output a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// One line of output (without its newline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLine {
    /// Where it came from.
    pub stream: Stream,
    /// The text (invalid UTF-8 replaced).
    pub text: String,
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The remote command exited with this status (128 + n when signal n killed it).
    Exited(i32),
    /// It was cancelled; its process group was killed.
    Cancelled,
    /// It ran past its timeout; its process group was killed.
    TimedOut,
}

/// A finished command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    /// How it ended.
    pub outcome: Outcome,
    /// How long it ran.
    pub duration: Duration,
}

/// Options of one command.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    /// How long it may run.
    pub timeout: Option<Duration>,
    /// Cancels it when cancelled.
    pub cancel: CancellationToken,
    /// A local file streamed to the command's standard input (read as it is sent, never held in memory whole);
    /// `None` gives it none.
    pub stdin: Option<PathBuf>,
}

/// A running command: read its lines, then its end.
#[derive(Debug)]
pub struct Execution {
    lines: mpsc::Receiver<OutputLine>,
    done: oneshot::Receiver<Result<Finished, SshError>>,
    cancel: CancellationToken,
}

impl Execution {
    /// The next line of output; `None` once the command's output has ended.
    pub async fn next_line(&mut self) -> Option<OutputLine> {
        self.lines.recv().await
    }

    /// Cancels the command: its remote process group gets SIGTERM, then SIGKILL.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// How it ended (output not read yet is discarded).
    pub async fn finish(mut self) -> Result<Finished, SshError> {
        while self.lines.recv().await.is_some() {}
        self.done.await.unwrap_or_else(|_| Err(SshError::local("the command's driver stopped")))
    }

    /// All its output and how it ended.
    pub async fn collect(mut self) -> (Vec<OutputLine>, Result<Finished, SshError>) {
        let mut lines = Vec::new();
        while let Some(l) = self.lines.recv().await {
            lines.push(l);
        }
        let end = self.done.await.unwrap_or_else(|_| Err(SshError::local("the command's driver stopped")));
        (lines, end)
    }
}

/// What a channel needs to reach its master.
#[derive(Debug, Clone)]
pub(super) struct ChannelRoute {
    pub config: PathBuf,
    pub socket: PathBuf,
    pub kill_grace: Duration,
}

impl ChannelRoute {
    /// `ssh` attached to the master only: should the socket be gone, `ProxyCommand false` makes it fail rather
    /// than open a connection of its own.
    /// With `stdin`, the command's standard input is a pipe; otherwise `-n` gives it none.
    fn command(&self, remote: &str, stdin: bool) -> Command {
        let mut cmd = Command::new("ssh");
        cmd.arg("-F").arg(&self.config).arg("-S").arg(&self.socket);
        for o in ["ControlMaster=no", "BatchMode=yes", "ProxyCommand=false", "ProxyJump=none"] {
            cmd.arg("-o").arg(o);
        }
        cmd.arg("-T");
        if !stdin {
            cmd.arg("-n");
        }
        cmd.args([ALIAS, "--", remote]);
        cmd.stdin(if stdin { Stdio::piped() } else { Stdio::null() });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        cmd.env_remove("SSH_AUTH_SOCK");
        cmd
    }
}

/// Starts `script` over `route`, holding `permit` until it has ended.
pub(super) fn start(
    route: ChannelRoute,
    script: &str,
    options: ExecOptions,
    permit: OwnedSemaphorePermit,
    on_end: impl FnOnce() + Send + 'static,
) -> Result<Execution, SshError> {
    let input = match &options.stdin {
        Some(path) => Some(
            std::fs::File::open(path)
                .map_err(|e| SshError::local(format!("cannot read {} for the command's input: {e}", path.display())))?,
        ),
        None => None,
    };
    let mut child = route
        .command(&wrapper::wrap(script), input.is_some())
        .spawn()
        .map_err(|e| SshError::local(format!("cannot run ssh: {e}")))?;
    if let (Some(file), Some(pipe)) = (input, child.stdin.take()) {
        tokio::spawn(feed(tokio::fs::File::from_std(file), pipe));
    }
    let (tx, rx) = mpsc::channel(BUFFER);
    let (done_tx, done_rx) = oneshot::channel();
    let cancel = options.cancel.clone();
    let (raw_tx, raw_rx) = mpsc::channel(BUFFER);
    if let Some(out) = child.stdout.take() {
        tokio::spawn(read_lines(out, Stream::Stdout, raw_tx.clone()));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(read_lines(err, Stream::Stderr, raw_tx));
    }
    tokio::spawn(async move {
        let result = drive(child, route, options, raw_rx, tx).await;
        drop(permit);
        on_end();
        let _ = done_tx.send(result);
    });
    Ok(Execution { lines: rx, done: done_rx, cancel })
}

/// Streams `file` into the command's standard input, then closes it (the command sees the end of its input).
/// A command that stops reading (it failed, it was killed) ends the copy with a broken pipe.
async fn feed(mut file: tokio::fs::File, mut pipe: tokio::process::ChildStdin) {
    if let Err(e) = tokio::io::copy(&mut file, &mut pipe).await {
        tracing::debug!(error = %e, "the command stopped reading its input");
    }
    let _ = tokio::io::AsyncWriteExt::shutdown(&mut pipe).await;
}

async fn read_lines(pipe: impl AsyncRead + Unpin, stream: Stream, tx: mpsc::Sender<(Stream, String)>) {
    let mut reader = BufReader::new(pipe);
    loop {
        let mut buf = Vec::new();
        match (&mut reader).take(MAX_LINE).read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                }
                if tx.send((stream, String::from_utf8_lossy(&buf).into_owned())).await.is_err() {
                    return;
                }
            }
        }
    }
}

struct Progress {
    pgid: Option<i64>,
    exit: Option<i32>,
    stop: Option<Outcome>,
    kill: Option<tokio::task::JoinHandle<()>>,
    ssh_said: Vec<String>,
}

impl Progress {
    fn kill_if_due(&mut self, route: &ChannelRoute) {
        if let (Some(_), Some(pgid), None) = (self.stop, self.pgid, &self.kill) {
            let route = route.clone();
            self.kill = Some(tokio::spawn(kill_remote(route, pgid)));
        }
    }
}

/// Keeps the last few lines of standard error: after a failure, `ssh`'s own words are among them.
fn remember(said: &mut Vec<String>, line: &str) {
    if !line.trim().is_empty() {
        if said.len() == 3 {
            said.remove(0);
        }
        said.push(line.to_owned());
    }
}

async fn drive(
    mut child: Child,
    route: ChannelRoute,
    options: ExecOptions,
    mut raw: mpsc::Receiver<(Stream, String)>,
    tx: mpsc::Sender<OutputLine>,
) -> Result<Finished, SshError> {
    let started = Instant::now();
    let deadline = options.timeout.map(|t| tokio::time::Instant::now() + t);
    let mut p = Progress { pgid: None, exit: None, stop: None, kill: None, ssh_said: Vec::new() };
    let mut local_kill_at: Option<tokio::time::Instant> = None;
    loop {
        let timeout = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        let local_kill = async {
            match local_kill_at {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            msg = raw.recv() => match msg {
                None => break,
                Some((Stream::Stdout, text)) => { let _ = tx.send(OutputLine { stream: Stream::Stdout, text }).await; }
                Some((Stream::Stderr, text)) => {
                    let shown = match wrapper::parse(&text) {
                        StderrLine::Text(t) => {
                            remember(&mut p.ssh_said, t);
                            Some(t)
                        }
                        StderrLine::Pgid(before, n) => {
                            p.pgid = Some(n);
                            p.kill_if_due(&route);
                            Some(before).filter(|b| !b.is_empty())
                        }
                        StderrLine::Exit(before, n) => {
                            p.exit = Some(n);
                            Some(before).filter(|b| !b.is_empty())
                        }
                    };
                    if let Some(t) = shown {
                        let _ = tx.send(OutputLine { stream: Stream::Stderr, text: t.to_owned() }).await;
                    }
                }
            },
            () = options.cancel.cancelled(), if p.stop.is_none() => {
                p.stop = Some(Outcome::Cancelled);
                p.kill_if_due(&route);
                local_kill_at = Some(tokio::time::Instant::now() + route.kill_grace + Duration::from_secs(5));
            }
            () = timeout, if p.stop.is_none() => {
                p.stop = Some(Outcome::TimedOut);
                p.kill_if_due(&route);
                local_kill_at = Some(tokio::time::Instant::now() + route.kill_grace + Duration::from_secs(5));
            }
            () = local_kill => {
                let _ = child.start_kill();
                local_kill_at = None;
            }
        }
    }
    let status = child.wait().await.map_err(|e| SshError::local(format!("waiting for ssh: {e}")))?;
    if let Some(k) = p.kill.take() {
        let _ = k.await;
    }
    let duration = started.elapsed();
    if let Some(outcome) = p.stop {
        return Ok(Finished { outcome, duration });
    }
    match (p.exit, status.code()) {
        (Some(code), _) => Ok(Finished { outcome: Outcome::Exited(code), duration }),
        (None, Some(code)) if code != SSH_FAILED && p.pgid.is_some() => {
            Ok(Finished { outcome: Outcome::Exited(code), duration })
        }
        _ => {
            let said = p.ssh_said.join("; ");
            let what = if p.pgid.is_some() {
                "the connection dropped while the command ran"
            } else {
                "the command could not start"
            };
            Err(SshError::new(
                Step::Connection,
                format!("{what} (ssh: {})", if said.is_empty() { "no message" } else { &said }),
            ))
        }
    }
}

/// Ends remote process group `pgid` over a channel of its own (outside the per-server cap: the cap leaves
/// sessions below sshd's limit for exactly this).
async fn kill_remote(route: ChannelRoute, pgid: i64) {
    let tenths = u32::try_from(route.kill_grace.as_millis() / 100).unwrap_or(u32::MAX);
    let mut cmd = route.command(&wrapper::kill_group(pgid, tenths), false);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let limit = route.kill_grace + Duration::from_secs(10);
    if let Ok(mut child) = cmd.spawn() {
        let _ = tokio::time::timeout(limit, child.wait()).await;
    }
}
