//! What a running step gets (the run's workspace, its environment, isolation and services) and what it
//! answers, with the two ways a step produces output: a process ([`StepContext::run_process`]) or lines the
//! step logs itself ([`StepContext::log`]). Every line is masked and emitted as a `log` event tagged with the
//! step.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value, json};
use slipway_engine::process::{self, Isolation, ProcessSpec};
use slipway_engine::{JobContext, JobFailure};
use slipway_files::BlobStore;
use slipway_outbound::OutboundPolicy;
use slipway_store::Db;

use crate::pipelines::secrets::Masker;

/// The bytes of a step's log kept in the database (the most recent).
pub const STEP_LOG_BYTES: usize = 64 * 1024;

/// The services steps use.
#[derive(Debug, Clone)]
pub struct StepServices {
    /// The database (artifacts, the run's commit).
    pub db: Db,
    /// Where artifacts go.
    pub blobs: BlobStore,
    /// The policy for URLs steps call.
    pub outbound: OutboundPolicy,
    /// The largest artifact file.
    pub max_artifact_bytes: u64,
}

/// One step, running.
pub struct StepContext<'a> {
    /// The run's job.
    pub job: &'a JobContext,
    /// The run.
    pub run_id: i64,
    /// The step's position, from 0.
    pub index: usize,
    /// The step's name.
    pub name: &'a str,
    /// Its config (validated against its type's schema).
    pub config: &'a Value,
    /// The variables exported to its environment (the pipeline's, then the run's on top).
    pub env: &'a BTreeMap<String, String>,
    /// How its processes are isolated.
    pub isolation: Isolation,
    /// Whether its processes may use the network (the pipeline's choice, as the owner may have it).
    pub network: bool,
    /// The pipeline's owner (whose servers and privileges its steps use).
    pub owner_id: i64,
    /// Whether the pipeline's owner is an administrator.
    pub owner_is_admin: bool,
    /// The pipeline's repository and the run's branch (defaults of `git_checkout`).
    pub repository_url: &'a str,
    /// The run's branch.
    pub branch: &'a str,
    /// The commit the run was started for, if any.
    pub commit: Option<&'a str>,
    /// The repository credential, opened.
    pub credential: Option<&'a str>,
    /// Replaces every secret with `***`.
    pub masker: Arc<Masker>,
    /// Services.
    pub services: &'a StepServices,
    pub(crate) log: Mutex<String>,
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// It did what it should.
    Success,
    /// It failed (exit code, refused, timed out).
    Failed,
    /// The run was cancelled while it ran.
    Cancelled,
}

impl StepStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// What a step answers.
#[derive(Debug, Clone, PartialEq)]
pub struct StepOutcome {
    /// How it ended.
    pub status: StepStatus,
    /// Its process's exit code (steps without one: 0 on success, 1 on failure).
    pub exit_code: Option<i32>,
    /// Why it failed, for people (the run's reason).
    pub reason: Option<String>,
    /// The commit it checked out (`git_checkout`).
    pub commit: Option<String>,
}

impl StepOutcome {
    /// Success with exit code 0.
    pub fn success() -> Self {
        Self { status: StepStatus::Success, exit_code: Some(0), reason: None, commit: None }
    }

    /// A failure without a process, with exit code 1.
    pub fn failed(reason: impl Into<String>) -> Self {
        Self { status: StepStatus::Failed, exit_code: Some(1), reason: Some(reason.into()), commit: None }
    }
}

impl<'a> StepContext<'a> {
    /// The step's working directory: `working_dir` (relative, inside the workspace) or the workspace.
    pub fn working_dir(&self) -> Result<PathBuf, String> {
        let Some(dir) = self.config.get("working_dir").and_then(Value::as_str) else {
            return Ok(self.job.workspace().to_path_buf());
        };
        relative_inside(dir).map(|rel| self.job.workspace().join(rel))
    }

    /// Logs a line of the step's own (masked): a `log` event and the stored tail.
    pub async fn log(&self, line: &str) {
        let text = self.masker.mask(line);
        self.keep(&text);
        let payload = json!({ "step": self.index, "stream": "stdout", "line": text });
        let _ = self.job.emit("log", payload).await;
    }

    fn keep(&self, text: &str) {
        if let Ok(mut log) = self.log.lock() {
            log.push_str(text);
            log.push('\n');
            if log.len() > STEP_LOG_BYTES {
                let mut cut = log.len() - STEP_LOG_BYTES;
                while !log.is_char_boundary(cut) {
                    cut += 1;
                }
                log.drain(..cut);
            }
        }
    }

    /// The step's log tail so far.
    pub fn log_tail(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Runs `command` (`sh -c`) in the working directory with the exported variables and `extra` variables,
    /// its own process group, the step's timeout, lines masked and logged. `network` overrides the
    /// pipeline's choice (a checkout needs it).
    pub async fn run_process(
        &self,
        command: String,
        extra: BTreeMap<String, String>,
        network: Option<bool>,
        timeout: Duration,
    ) -> Result<slipway_engine::ProcessOutcome, StepOutcome> {
        let cwd = self.working_dir().map_err(StepOutcome::failed)?;
        if !cwd.is_dir() {
            return Err(StepOutcome::failed(format!("working_dir {} does not exist", self.display(&cwd))));
        }
        let mut spec = ProcessSpec::new(self.job, command, self.isolation, network.unwrap_or(self.network));
        spec.spec.cwd = cwd;
        spec.spec.env = self.env.clone();
        spec.spec.env.extend(extra);
        spec.timeout = Some(timeout);
        spec.event = Some("log".into());
        spec.extra = Map::from_iter([("step".to_owned(), Value::from(self.index))]);
        let masker = Arc::clone(&self.masker);
        spec.filter = Some(Arc::new(move |line: &str| masker.mask(line)));
        match process::run(self.job, spec).await {
            Ok(outcome) => {
                if let Ok(mut log) = self.log.lock() {
                    *log = outcome.log.clone();
                }
                Ok(outcome)
            }
            Err(JobFailure { message, .. }) => Err(StepOutcome::failed(self.masker.mask(&message))),
        }
    }

    /// A path shown relative to the workspace.
    pub fn display(&self, path: &std::path::Path) -> String {
        path.strip_prefix(self.job.workspace()).unwrap_or(path).display().to_string()
    }

    /// The outcome of a finished process: success on exit 0; otherwise failed (or cancelled) with the reason.
    pub fn outcome_of(&self, p: &slipway_engine::ProcessOutcome) -> StepOutcome {
        let name = self.name;
        if p.cancelled {
            return StepOutcome {
                status: StepStatus::Cancelled,
                exit_code: p.exit_code,
                reason: Some("cancelled".into()),
                commit: None,
            };
        }
        if p.timed_out {
            return StepOutcome {
                status: StepStatus::Failed,
                exit_code: p.exit_code,
                reason: Some(format!("step '{name}' timed out after {}s", p.duration.as_secs())),
                commit: None,
            };
        }
        match (p.exit_code, p.signal) {
            (Some(0), _) => StepOutcome::success(),
            (Some(code), _) => StepOutcome {
                status: StepStatus::Failed,
                exit_code: Some(code),
                reason: Some(format!("step '{name}' exited with code {code}")),
                commit: None,
            },
            (None, sig) => StepOutcome {
                status: StepStatus::Failed,
                exit_code: None,
                reason: Some(format!("step '{name}' was killed by signal {}", sig.unwrap_or_default())),
                commit: None,
            },
        }
    }
}

/// `dir` as a relative path that stays inside the workspace (no `..`, not absolute).
pub fn relative_inside(dir: &str) -> Result<PathBuf, String> {
    let path = std::path::Path::new(dir);
    let inside = path.components().all(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir));
    if inside { Ok(path.to_path_buf()) } else { Err(format!("{dir:?} must be a relative path inside the workspace")) }
}

/// Like [`relative_inside`], `.` for the workspace itself.
pub fn relative_inside_or_dot(dir: &str) -> Result<PathBuf, String> {
    if dir.is_empty() || dir == "." { Ok(PathBuf::new()) } else { relative_inside(dir) }
}

/// How long `d` is in whole milliseconds.
pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
