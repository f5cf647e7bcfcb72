//! Commands agents and gates run in a workspace: `sh -c` in a process group of its own, with a timeout and the
//! job's cancellation; the whole group is killed when either fires (or when the call is dropped). Output is
//! kept as the last [`TAIL`] bytes of stdout and stderr together.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;
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
    let started = Instant::now();
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start the command: {e}"))?;
    let _group = Group(child.id().and_then(|id| i32::try_from(id).ok()).map(Pid::from_raw));
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
}
