//! One step of a deployment on one server: a remote command over the server's SSH connection, its lines
//! streamed as job events as they come and the last [`LOG_MAX`] bytes kept with the step, its end recorded
//! (status, exit code, duration) and turned into what the deployment does next.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use slipway_engine::JobContext;
use slipway_store::Db;
use slipway_store::delivery::StepUpdate;
use tokio_util::sync::CancellationToken;

use crate::ssh::{ExecOptions, Finished, Outcome, SshPool, SshTarget, Stream};

/// The most of a step's output kept with it, bytes (the tail; every line is also a job event).
pub const LOG_MAX: usize = 64 * 1024;

/// The server a step runs on.
pub(super) struct On<'a> {
    /// The deployment.
    pub deployment_id: i64,
    /// The server's position in the deployment.
    pub position: i32,
    /// The server's id.
    pub server_id: i64,
    /// Its name.
    pub server_name: &'a str,
    /// How to reach it.
    pub target: &'a SshTarget,
}

/// What a deployment's job needs to run steps.
pub(super) struct Runner<'a> {
    /// The job.
    pub ctx: &'a JobContext,
    /// The store.
    pub db: &'a Db,
    /// The SSH connections.
    pub pool: &'a SshPool,
}

/// One step to run.
pub(super) struct Step<'a> {
    /// Its position on the server.
    pub index: i32,
    /// Its name.
    pub name: &'a str,
    /// The remote script.
    pub script: &'a str,
    /// A local file streamed to its standard input.
    pub stdin: Option<&'a Path>,
    /// How long it may run.
    pub timeout: Duration,
    /// Stops it (its remote process group is killed).
    pub cancel: &'a CancellationToken,
}

/// How a step ended, for the deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum StepEnd {
    /// Exit status 0.
    Success,
    /// Anything else, and why (the step and its exit code, or what failed).
    Failed(String),
    /// The deployment was cancelled; the remote process group was killed.
    Cancelled,
}

/// The tail of a step's output.
#[derive(Debug, Default)]
struct Tail(String);

impl Tail {
    fn push(&mut self, line: &str) {
        self.0.push_str(line);
        self.0.push('\n');
        if self.0.len() > LOG_MAX {
            let mut cut = self.0.len() - LOG_MAX;
            while !self.0.is_char_boundary(cut) {
                cut += 1;
            }
            self.0.drain(..cut);
        }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Runner<'_> {
    /// Runs `step` on `on`.
    pub async fn step(&self, on: &On<'_>, step: Step<'_>) -> StepEnd {
        let Step { index, name, script, stdin, timeout, cancel } = step;
        let started_at = slipway_core::time::now();
        let clock = Instant::now();
        let running = StepUpdate {
            status: "running".into(),
            exit_code: None,
            started_at: Some(started_at),
            finished_at: None,
            duration_ms: None,
            log: String::new(),
        };
        let (id, pos) = (on.deployment_id, on.position);
        let _ = self.db.update_deployment_step(id, pos, index, &running).await;
        let _ = self.ctx.stage(&format!("{}: {name}", on.server_name)).await;
        let about =
            json!({"server_id": on.server_id, "server": on.server_name, "position": pos, "step": index, "name": name});
        let _ = self.ctx.emit("step_started", about.clone()).await;
        let options =
            ExecOptions { timeout: Some(timeout), cancel: cancel.clone(), stdin: stdin.map(Path::to_path_buf) };
        let mut log = Tail::default();
        let result = match self.pool.exec(on.target, script, options).await {
            Ok(mut exec) => {
                while let Some(line) = exec.next_line().await {
                    let stream = if line.stream == Stream::Stdout { "stdout" } else { "stderr" };
                    let mut event = about.clone();
                    if let Some(fields) = event.as_object_mut() {
                        fields.insert("stream".into(), json!(stream));
                        fields.insert("line".into(), json!(line.text));
                    }
                    let _ = self.ctx.emit("log", event).await;
                    log.push(&line.text);
                }
                exec.finish().await
            }
            Err(e) => Err(e),
        };
        let (status, exit_code, end) = match result {
            Ok(Finished { outcome: Outcome::Exited(0), .. }) => ("success", Some(0), StepEnd::Success),
            Ok(Finished { outcome: Outcome::Exited(n), .. }) => {
                ("failed", Some(n), StepEnd::Failed(format!("step '{name}' exited with code {n}")))
            }
            Ok(Finished { outcome: Outcome::TimedOut, .. }) => {
                ("failed", None, StepEnd::Failed(format!("step '{name}' timed out after {} s", timeout.as_secs())))
            }
            Ok(Finished { outcome: Outcome::Cancelled, .. }) => ("cancelled", None, StepEnd::Cancelled),
            Err(e) => {
                log.push(&e.to_string());
                ("failed", None, StepEnd::Failed(format!("step '{name}': {e}")))
            }
        };
        let duration_ms = millis(clock.elapsed());
        let done = StepUpdate {
            status: status.into(),
            exit_code,
            started_at: None,
            finished_at: Some(slipway_core::time::now()),
            duration_ms: Some(duration_ms),
            log: log.0,
        };
        let _ = self.db.update_deployment_step(id, pos, index, &done).await;
        let mut finished = about;
        if let Some(fields) = finished.as_object_mut() {
            fields.insert("status".into(), json!(status));
            fields.insert("exit_code".into(), json!(exit_code));
            fields.insert("duration_ms".into(), json!(duration_ms));
        }
        let _ = self.ctx.emit("step_finished", finished).await;
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_its_tail_on_a_character_boundary() {
        let mut t = Tail::default();
        for _ in 0..LOG_MAX {
            t.push("é");
        }
        t.push("last");
        assert!(t.0.len() <= LOG_MAX);
        assert!(t.0.ends_with("last\n"));
    }
}
