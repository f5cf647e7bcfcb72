//! The parent's side of a server child: start it, wait for `LISTENING ADDR`, stop it, never leave it behind.
//!
//! The child holds the read end of a pipe on its stdin and exits when that closes, so it also goes away when
//! this process dies without running any cleanup; dropping a [`ChildServer`] kills it outright.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, bail};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::task::JoinHandle;
use tokio::time::timeout;

use crate::cli::ServerKind;

/// The line a child prints on stdout once it accepts connections, followed by the address.
pub const READY_PREFIX: &str = "LISTENING ";

/// How long a child may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a child may take to exit once its stdin is closed before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(3);
/// Lines of the child's stderr kept for error messages.
const STDERR_LINES: usize = 200;

/// How a Slipway node for a delivery benchmark is set up.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// Its database (`None`: SQLite in the data directory).
    pub database_url: Option<String>,
    /// The first administrator's password (user `admin`).
    pub admin_password: String,
    /// Its engine's worker slots.
    pub workers: usize,
}

/// A server running as a child process of the bench.
pub struct ChildServer {
    kind: ServerKind,
    child: Child,
    stdin: Option<ChildStdin>,
    addr: SocketAddr,
    stderr: Arc<StderrLog>,
    _data_dir: Option<TempDir>,
}

impl ChildServer {
    /// Re-executes this binary as `__serve KIND` and waits until the server listens.
    pub async fn start(kind: ServerKind) -> anyhow::Result<Self> {
        let data_dir = match kind {
            ServerKind::Slipway => Some(
                tempfile::Builder::new()
                    .prefix("slipway-bench-")
                    .tempdir()
                    .context("cannot create a data directory")?,
            ),
            ServerKind::Baseline => None,
        };
        let mut args = Vec::new();
        if let Some(dir) = &data_dir {
            args.extend([OsString::from("--data-dir"), dir.path().into()]);
        }
        let mut server = Self::spawn(kind, args).await?;
        server._data_dir = data_dir;
        Ok(server)
    }

    /// A Slipway node on `data_dir` (kept when the node stops, so another can start on it), its LLM server
    /// default the OpenAI-compatible provider at `llm_base`.
    pub async fn start_in(data_dir: &Path, llm_base: &str) -> anyhow::Result<Self> {
        let args = vec!["--data-dir".into(), data_dir.into(), "--llm-base".into(), llm_base.into()];
        Self::spawn(ServerKind::Slipway, args).await
    }

    /// A Slipway node on `data_dir` with `node`'s database, administrator and worker slots.
    pub async fn start_node(data_dir: &Path, node: &NodeOptions) -> anyhow::Result<Self> {
        let mut args: Vec<OsString> = vec!["--data-dir".into(), data_dir.into()];
        if let Some(url) = &node.database_url {
            args.extend(["--database-url".into(), url.into()]);
        }
        args.extend(["--admin-password".into(), node.admin_password.clone().into()]);
        args.extend(["--workers".into(), node.workers.to_string().into()]);
        Self::spawn(ServerKind::Slipway, args).await
    }

    async fn spawn(kind: ServerKind, args: Vec<OsString>) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find this program's own executable")?;
        let mut cmd = Command::new(&exe);
        cmd.arg("__serve").arg(kind.name()).args(args);
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        let mut child = cmd.spawn().with_context(|| format!("cannot start {}", exe.display()))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().context("the child has no stdout")?;
        let stderr_pipe = child.stderr.take().context("the child has no stderr")?;
        let stderr = Arc::new(StderrLog::default());
        let stderr_task = tokio::spawn(Arc::clone(&stderr).collect(kind, stderr_pipe));
        let mut server =
            Self { kind, child, stdin, addr: SocketAddr::from(([127, 0, 0, 1], 0)), stderr, _data_dir: None };
        match timeout(START_TIMEOUT, wait_ready(stdout, kind)).await {
            Ok(Ok(addr)) => {
                server.addr = addr;
                server.stderr.forward.store(true, Ordering::Relaxed);
                Ok(server)
            }
            Ok(Err(e)) => Err(server.startup_failure(stderr_task, &format!("{e:#}")).await),
            Err(_) => {
                let why = format!("it did not print its address within {} s", START_TIMEOUT.as_secs());
                Err(server.startup_failure(stderr_task, &why).await)
            }
        }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The child's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Fails, quoting the child's stderr, when the child has exited.
    pub fn ensure_running(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait().context("cannot check on the server process")? {
            bail!("the {} server exited during the run ({status}){}", self.kind.name(), self.stderr.quote());
        }
        Ok(())
    }

    /// Kills the child with SIGKILL (no shutdown of any kind) and waits for it to be gone.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.child.kill().await.context("cannot kill the server process")
    }

    /// Closes the child's stdin so it shuts down, and kills it if it does not exit promptly.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        drop(self.stdin.take());
        let status = match timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(status) => status.context("cannot wait for the server process")?,
            Err(_) => {
                self.child.kill().await.context("cannot kill the server process")?;
                return Ok(());
            }
        };
        if !status.success() {
            eprintln!("slipway-bench: the {} server exited with {status}", self.kind.name());
        }
        Ok(())
    }

    async fn startup_failure(mut self, stderr_task: JoinHandle<()>, why: &str) -> anyhow::Error {
        let status = self.exit_status().await;
        let _ = timeout(Duration::from_secs(2), stderr_task).await;
        let status = status.map_or_else(|| "killed".to_owned(), |s| s.to_string());
        anyhow::anyhow!("the {} server did not start: {why} ({status}){}", self.kind.name(), self.stderr.quote())
    }

    async fn exit_status(&mut self) -> Option<ExitStatus> {
        match timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(status) => status.ok(),
            Err(_) => {
                let _ = self.child.kill().await;
                None
            }
        }
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        // Kill and reap before the data directory goes, so nothing writes into it while it is removed.
        if self.child.start_kill().is_ok() {
            for _ in 0..200 {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

/// Reads the child's stdout until the ready line; later lines go to this process' stderr.
async fn wait_ready(stdout: ChildStdout, kind: ServerKind) -> anyhow::Result<SocketAddr> {
    let mut lines = BufReader::new(stdout).lines();
    while let Some(line) = lines.next_line().await.context("cannot read the server's output")? {
        if let Some(addr) = line.strip_prefix(READY_PREFIX) {
            let addr = addr.trim().parse().with_context(|| format!("it announced a bad address {addr:?}"))?;
            tokio::spawn(async move {
                while let Ok(Some(line)) = lines.next_line().await {
                    eprintln!("[{} server] {line}", kind.name());
                }
            });
            return Ok(addr);
        }
        eprintln!("[{} server] {line}", kind.name());
    }
    bail!("it exited before printing its address")
}

/// The tail of a child's stderr; forwarded to this process' stderr once the child is up.
#[derive(Default)]
struct StderrLog {
    lines: Mutex<VecDeque<String>>,
    forward: AtomicBool,
}

impl StderrLog {
    async fn collect(self: Arc<Self>, kind: ServerKind, pipe: impl AsyncRead + Unpin) {
        let mut lines = BufReader::new(pipe).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if self.forward.load(Ordering::Relaxed) {
                eprintln!("[{} server] {line}", kind.name());
            }
            let mut kept = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
            if kept.len() == STDERR_LINES {
                kept.pop_front();
            }
            kept.push_back(line);
        }
    }

    /// The kept lines as an indented block for an error message, or nothing when there are none.
    fn quote(&self) -> String {
        let kept = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.is_empty() {
            return "; it wrote nothing on stderr".to_owned();
        }
        let mut out = String::from("; its stderr:");
        for line in kept.iter() {
            out.push_str("\n    ");
            out.push_str(line);
        }
        out
    }
}
