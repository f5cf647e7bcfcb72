//! Commands agents and gates run in a workspace: `sh -c` in the job's sandbox (as an unprivileged user of the
//! job's own, without network, with the sandbox's default limits), in a process group of its own that is
//! recorded while it runs, with a timeout and the job's cancellation; the whole group is killed when either
//! fires (or when the call is dropped). Where the node has no sandbox (the service then gives commands to
//! administrators only) or outside a job, it runs on the host, dying with the node. Output is kept as the
//! last [`TAIL`] bytes of stdout and stderr together.

use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use slipway_sandbox::{Spec, host_command};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio_util::sync::CancellationToken;

/// Output bytes kept.
pub const TAIL: usize = 16 * 1024;

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellOutcome {
    /// Exit code; `None` when killed.
    pub exit_code: Option<i32>,
    /// It ran out of time.
    pub timed_out: bool,
    /// The job was cancelled while it ran.
    pub cancelled: bool,
    /// The last bytes of stdout and stderr (interleaved by arrival).
    pub output: String,
    /// How long it ran.
    pub duration: Duration,
}

impl ShellOutcome {
    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }
}

struct Group(Option<Pid>);

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = killpg(pid, Signal::SIGKILL);
        }
    }
}

/// Runs `command` in `dir`.
pub async fn run(
    command: &str,
    dir: &Path,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<ShellOutcome, String> {
    let scope = slipway_sandbox::current();
    let spec = Spec::new(dir, command, scope.as_ref().map_or(0, |s| s.job_id));
    let mut cmd = match &scope {
        Some(s) => s.command(&spec).await.map_err(|e| format!("cannot prepare the sandbox: {e}"))?,
        None => host_command(&spec),
    };
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("cannot start the command: {e}"))?;
    let _group = Group(child.id().and_then(|id| i32::try_from(id).ok()).map(Pid::from_raw));
    let recorded = match &scope {
        Some(s) => s.record(child.id()).await,
        None => None,
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(64);
    if let Some(out) = child.stdout.take() {
        tokio::spawn(pump(out, tx.clone()));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(pump(err, tx.clone()));
    }
    drop(tx);
    let mut tail: Vec<u8> = Vec::new();
    let collect = async {
        while let Some(chunk) = rx.recv().await {
            tail.extend_from_slice(&chunk);
            if tail.len() > TAIL {
                tail.drain(..tail.len() - TAIL);
            }
        }
    };
    let (mut timed_out, mut cancelled) = (false, false);
    let status = tokio::select! {
        (status, ()) = async { tokio::join!(child.wait(), collect) } => status.ok(),
        () = tokio::time::sleep(timeout) => { timed_out = true; None }
        () = cancel.cancelled() => { cancelled = true; None }
    };
    if let Some(r) = recorded {
        r.forget().await;
    }
    Ok(ShellOutcome {
        exit_code: status.and_then(|s| s.code()),
        timed_out,
        cancelled,
        output: String::from_utf8_lossy(&tail).into_owned(),
        duration: started.elapsed(),
    })
}

async fn pump(mut pipe: impl AsyncRead + Unpin, tx: tokio::sync::mpsc::Sender<Vec<u8>>) {
    let mut buf = vec![0u8; 8192];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 || tx.send(buf[..n].to_vec()).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn exit_codes_output_timeouts_and_cancels() {
        let dir = tempfile::tempdir().unwrap();
        let never = CancellationToken::new();
        let ok = run("echo hi; echo err >&2; exit 3", dir.path(), Duration::from_secs(5), &never).await.unwrap();
        assert_eq!(ok.exit_code, Some(3));
        assert!(ok.output.contains("hi") && ok.output.contains("err"), "{}", ok.output);

        let slow = run("sleep 30", dir.path(), Duration::from_millis(200), &never).await.unwrap();
        assert!(slow.timed_out && !slow.success());
        assert!(slow.duration < Duration::from_secs(5));

        let token = CancellationToken::new();
        let t = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            t.cancel();
        });
        let stopped = run("sleep 30", dir.path(), Duration::from_secs(60), &token).await.unwrap();
        assert!(stopped.cancelled && stopped.duration < Duration::from_secs(5));

        let big =
            run("head -c 100000 /dev/zero | tr '\\0' x", dir.path(), Duration::from_secs(5), &never).await.unwrap();
        assert_eq!(big.output.len(), TAIL);
    }

    #[tokio::test]
    async fn inside_a_job_commands_run_in_its_sandbox() {
        let data = tempfile::tempdir().unwrap();
        let workspace = data.path().join("workspaces").join("9");
        std::fs::create_dir_all(&workspace).unwrap();
        std::fs::write(data.path().join("jwt-secret"), "the-jwt-secret").unwrap();
        let availability =
            slipway_sandbox::Availability::detect(slipway_sandbox::SandboxOptions::hiding([data.path().to_path_buf()]));
        if let Some(reason) = availability.reason() {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(!ci, "CI=true but the sandbox is unavailable: {reason} (install bubblewrap)");
            eprintln!("SKIPPED: the sandbox is unavailable here: {reason}");
            return;
        }
        let scope = slipway_sandbox::Scope { availability, job_id: 9, attempt: 1, ledger: None };
        let secret = data.path().join("jwt-secret").display().to_string();
        let never = CancellationToken::new();
        let command = format!("cat {secret}; echo x > /etc/pwned-by-agent; echo made > here.txt; echo done");
        let ran = slipway_sandbox::scope(
            std::sync::Arc::new(scope),
            run(&command, &workspace, Duration::from_secs(20), &never),
        )
        .await
        .unwrap();
        assert!(!ran.output.contains("the-jwt-secret"), "{}", ran.output);
        assert!(ran.output.contains("done") && ran.success(), "{}", ran.output);
        assert!(!std::path::Path::new("/etc/pwned-by-agent").exists());
        assert_eq!(std::fs::read_to_string(workspace.join("here.txt")).unwrap(), "made\n");
        // Outside a job (no scope) the same command reads the file: the sandbox is what hides it.
        let bare = run(&format!("cat {secret}"), &workspace, Duration::from_secs(5), &never).await.unwrap();
        assert!(bare.output.contains("the-jwt-secret"));
    }
}
