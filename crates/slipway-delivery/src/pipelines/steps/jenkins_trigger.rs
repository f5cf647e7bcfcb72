//! `jenkins_trigger`: builds a job on one of the pipeline owner's Jenkins servers (`server_id`, `job_name` with
//! folders as `a/b`, `parameters`) through [`JenkinsAccess`], the same rule as the trigger route (the owner's
//! servers, or every server for an administrator; anyone else's is "not found", checked when the step runs).
//! With `wait` (the default) it follows the queue item and the build to its end, each console line a masked
//! step log line, and succeeds only on `SUCCESS`; without it, the step succeeds once Jenkins queued the build.
//! Cancelling the run, or the step's `timeout`, cancels the queue item or stops the build.

use std::time::Duration;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{StepContext, StepFuture, StepKind, StepOutcome, StepStatus, timeout_of, timeout_property};
use crate::jenkins::{JenkinsAccess, JenkinsClient, JenkinsError, JenkinsEvent, JobPath, form_parameters};

/// Triggers a Jenkins build.
#[derive(Debug, Clone)]
pub struct JenkinsTrigger {
    access: JenkinsAccess,
}

impl JenkinsTrigger {
    /// The step type, opening servers through `access`.
    pub fn new(access: JenkinsAccess) -> Self {
        Self { access }
    }
}

/// What the config asks for, checked.
struct Request {
    server_id: i64,
    job: JobPath,
    parameters: Vec<(String, String)>,
    wait: bool,
    timeout: Duration,
}

fn request(config: &Value) -> Result<Request, String> {
    let server_id = config.get("server_id").and_then(Value::as_i64).ok_or("server_id is missing")?;
    let job = JobPath::parse(config.get("job_name").and_then(Value::as_str).unwrap_or_default())?;
    let parameters = form_parameters(config.get("parameters"), "parameters").map_err(|f| f.msg)?;
    let wait = config.get("wait").and_then(Value::as_bool).unwrap_or(true);
    Ok(Request { server_id, job, parameters, wait, timeout: timeout_of(config) })
}

async fn log_event(step: &StepContext<'_>, event: JenkinsEvent) {
    match event {
        JenkinsEvent::Queued(q) => step.log(&format!("Jenkins queued the build as item {}: {}", q.id, q.url)).await,
        JenkinsEvent::Started(b) => step.log(&format!("Jenkins build #{} started: {}", b.number, b.url)).await,
        JenkinsEvent::Console(line) => step.log(&line).await,
        JenkinsEvent::Finished(result) => step.log(&format!("Jenkins build finished: {result}")).await,
    }
}

fn cancelled() -> StepOutcome {
    StepOutcome { status: StepStatus::Cancelled, ..StepOutcome::failed("cancelled") }
}

/// Follows the build to its end; the step's timeout stops it like a cancel would.
async fn follow(step: &StepContext<'_>, client: &JenkinsClient, req: &Request) -> StepOutcome {
    let name = step.name;
    let token: CancellationToken = step.job.cancellation().child_token();
    let build = client.run_build_streamed(&req.job, &req.parameters, &token, |event| log_event(step, event));
    tokio::pin!(build);
    let mut timed_out = false;
    let result = tokio::select! {
        r = &mut build => r,
        () = tokio::time::sleep(req.timeout) => {
            timed_out = true;
            token.cancel();
            build.await
        }
    };
    match result {
        Ok(outcome) if outcome.succeeded() => StepOutcome::success(),
        Ok(outcome) => StepOutcome::failed(format!("step '{name}': {}", outcome.failure_reason(&req.job))),
        Err(JenkinsError::Cancelled) if timed_out => StepOutcome::failed(format!(
            "step '{name}' timed out after {}s (the Jenkins build was stopped)",
            req.timeout.as_secs()
        )),
        Err(JenkinsError::Cancelled) => cancelled(),
        Err(e) => StepOutcome::failed(format!("step '{name}': {e}")),
    }
}

impl JenkinsTrigger {
    async fn call(&self, step: &StepContext<'_>) -> StepOutcome {
        let name = step.name;
        let req = match request(step.config) {
            Ok(r) => r,
            Err(m) => return StepOutcome::failed(format!("step '{name}': {m}")),
        };
        let client = match self.access.client_for_owner(Some(step.owner_id), req.server_id).await {
            Ok(c) => c,
            Err(e) => return StepOutcome::failed(format!("step '{name}': {e}")),
        };
        let names: Vec<&str> = req.parameters.iter().map(|(k, _)| k.as_str()).collect();
        let with = if names.is_empty() { String::new() } else { format!(" with parameters {}", names.join(", ")) };
        step.log(&format!("Triggering Jenkins job {} on {}{with}", req.job, client.base())).await;
        if req.wait {
            return follow(step, &client, &req).await;
        }
        let queued = tokio::select! {
            q = client.trigger(&req.job, &req.parameters) => q,
            () = step.job.cancellation().cancelled() => return cancelled(),
        };
        match queued {
            Ok(q) => {
                log_event(step, JenkinsEvent::Queued(q)).await;
                StepOutcome::success()
            }
            Err(e) => StepOutcome::failed(format!("step '{name}': {e}")),
        }
    }
}

impl StepKind for JenkinsTrigger {
    fn id(&self) -> &'static str {
        "jenkins_trigger"
    }

    fn name(&self) -> &'static str {
        "Jenkins Trigger"
    }

    fn description(&self) -> &'static str {
        "触发 Jenkins 任务并跟踪构建结果"
    }

    fn category(&self) -> &'static str {
        "integration"
    }

    fn icon(&self) -> &'static str {
        "jenkins"
    }

    fn config_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "server_id": {"type": "integer", "title": "Jenkins 服务器", "minimum": 1},
                "job_name": {"type": "string", "title": "任务名称", "minLength": 1, "maxLength": 1024,
                             "pattern": "[^/\\s]"},
                "parameters": {"type": "object", "title": "构建参数", "maxProperties": 200,
                               "propertyNames": {"minLength": 1, "maxLength": 256, "pattern": "\\S"},
                               "additionalProperties": {"type": "string", "maxLength": 65536}},
                "wait": {"type": "boolean", "title": "等待构建完成", "default": true},
                "timeout": timeout_property()
            },
            "required": ["server_id", "job_name"]
        })
    }

    fn run<'a>(&'a self, step: &'a StepContext<'a>) -> StepFuture<'a> {
        Box::pin(self.call(step))
    }
}
