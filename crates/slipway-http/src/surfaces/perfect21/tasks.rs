//! Perfect21's development tasks: `POST /task` (waits for the agent team), `POST /task/async`,
//! `GET /task/{task_id}`, and the WebSocket `/ws/task` that streams a task's progress and result.

use std::time::Duration;

use axum::Json;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use slipway_core::{Error, Principal};
use slipway_engine::{Job, JobEvent, JobStatus, Waited};
use utoipa::ToSchema;

use super::messages;
use crate::error::ApiError;
use crate::extract::{ApiJson, CurrentUser, id_or_not_found, stream_token};
use crate::lang::Lang;
use crate::state::AppState;

/// Seconds a task gets when the request does not say.
pub const DEFAULT_TIMEOUT: i64 = 300;
/// How long the waiting route waits past the task's own timeout for its final state to be written.
const WAIT_SLACK: Duration = Duration::from_secs(10);

/// A development task (other fields are ignored, as Perfect21's FastAPI models do).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TaskBody {
    /// What to do.
    pub description: String,
    /// Seconds the task may take (1–3600, default 300).
    pub timeout: Option<i64>,
    /// Whether the report includes each step's full answer.
    pub verbose: Option<bool>,
    /// The access token (first WebSocket message only, when the URL carries none).
    #[serde(default)]
    #[schema(ignore)]
    pub token: Option<String>,
}

fn report(job: &Job) -> String {
    job.output.as_ref().and_then(|o| o.get("output")).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// `POST /task` and `GET /task/{task_id}` body: a task, finished or not.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21TaskOutcome {
    /// False when the task failed, timed out or was cancelled.
    pub success: bool,
    /// The task's id.
    pub task_id: String,
    /// The job status (`queued`, `running`, `succeeded`, …).
    pub status: &'static str,
    /// Percent done.
    pub progress: i32,
    /// The team's report when done; the stage and progress while it runs.
    pub output: String,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

impl From<&Job> for P21TaskOutcome {
    fn from(job: &Job) -> Self {
        let (success, output, error) = match job.status {
            JobStatus::Succeeded => (true, report(job), None),
            JobStatus::Queued | JobStatus::Running => {
                let stage = job.stage.clone().unwrap_or_else(|| job.status.to_string());
                (true, format!("{}: {stage} ({}%)", job.status, job.progress), None)
            }
            JobStatus::TimedOut => (false, report(job), Some(job.error.clone().unwrap_or_else(|| "timed out".into()))),
            _ => (false, report(job), Some(job.error.clone().unwrap_or_else(|| job.status.to_string()))),
        };
        Self {
            success,
            task_id: job.id.to_string(),
            status: job.status.as_str(),
            progress: job.progress,
            output,
            error,
        }
    }
}

/// `POST /task/async` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21TaskStarted {
    /// Always true.
    pub success: bool,
    /// The task's id.
    pub task_id: String,
    /// The document's text.
    pub output: &'static str,
}

async fn submit(state: &AppState, principal: &Principal, body: &TaskBody) -> Result<Job, Error> {
    let timeout = body.timeout.unwrap_or(DEFAULT_TIMEOUT);
    state.agents.submit_task(principal, &body.description, timeout, body.verbose.unwrap_or(false)).await
}

/// Runs a development task with the agent team and answers when it is done (or its timeout passed).
#[utoipa::path(
    post, path = "/task", tag = "Perfect21", security(("bearer" = [])), request_body = TaskBody,
    responses(
        (status = 200, description = "`{success, output, error}`: the team's report, or why it failed", body = P21TaskOutcome),
        (status = 400, description = "VALIDATION_ERROR"), (status = 401, description = "INVALID_TOKEN"),
        (status = 503, description = "No LLM provider is configured")
    )
)]
pub async fn run(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiJson(body): ApiJson<TaskBody>,
) -> Result<Json<P21TaskOutcome>, ApiError> {
    let principal = auth.principal();
    let job = submit(&state, &principal, &body).await?;
    let limit = Duration::from_secs(u64::try_from(body.timeout.unwrap_or(DEFAULT_TIMEOUT)).unwrap_or(0)) + WAIT_SLACK;
    let job = match state.agents.wait_task(&principal, job.id, limit).await? {
        Waited::Finished(j) | Waited::TimedOut(j) => j,
    };
    Ok(Json((&job).into()))
}

/// Starts a development task and answers at once with its id.
#[utoipa::path(
    post, path = "/task/async", tag = "Perfect21", security(("bearer" = [])), request_body = TaskBody,
    responses((status = 200, description = "`{success, task_id, output}`", body = P21TaskStarted), (status = 400, description = "VALIDATION_ERROR"),
              (status = 401, description = "INVALID_TOKEN"), (status = 503, description = "No LLM provider is configured"))
)]
pub async fn run_async(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ApiJson(body): ApiJson<TaskBody>,
) -> Result<Json<P21TaskStarted>, ApiError> {
    let job = submit(&state, &auth.principal(), &body).await?;
    let output = messages::TASK_STARTED.text(lang);
    Ok(Json(P21TaskStarted { success: true, task_id: job.id.to_string(), output }))
}

/// The state of a task: its output when done, its stage and progress while it runs.
#[utoipa::path(
    get, path = "/task/{task_id}", tag = "Perfect21", security(("bearer" = [])),
    params(("task_id" = String, Path, description = "Task id")),
    responses((status = 200, description = "`{success, task_id, output, error}`", body = P21TaskOutcome), (status = 404, description = "No such task"))
)]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    Path(task_id): Path<String>,
) -> Result<Json<P21TaskOutcome>, ApiError> {
    let job = state.agents.task(&auth.principal(), id_or_not_found(&task_id, "task")?).await?;
    Ok(Json((&job).into()))
}

/// The token in the URL, if any (checked before the upgrade so a bad one is refused with 401).
pub struct WsToken(Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for WsToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(Self(stream_token(parts)))
    }
}

/// Runs tasks over a WebSocket: send `{description, timeout}` (with `token` when the URL has none); receive
/// `status` messages as the team works, then `result` or `error`.
#[utoipa::path(
    get, path = "/ws/task", tag = "Perfect21",
    params(("token" = Option<String>, Query, description = "Access token (or send it in the first message)")),
    responses((status = 101, description = "Switching to WebSocket"), (status = 401, description = "INVALID_TOKEN"))
)]
pub async fn socket(
    State(state): State<AppState>,
    WsToken(token): WsToken,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let principal = match token {
        Some(t) => Some(state.identity.authenticate(&t).await?.principal()),
        None => None,
    };
    Ok(upgrade.on_upgrade(move |socket| serve_socket(socket, state, principal)).into_response())
}

async fn send(socket: &mut WebSocket, v: Value) -> bool {
    socket.send(Message::Text(v.to_string().into())).await.is_ok()
}

async fn serve_socket(mut socket: WebSocket, state: AppState, mut principal: Option<Principal>) {
    while let Some(Ok(msg)) = socket.recv().await {
        let text = match msg {
            Message::Text(t) => t,
            Message::Close(_) => return,
            _ => continue,
        };
        let body: TaskBody = match crate::extract::parse_json(text.as_bytes()) {
            Ok(b) => b,
            Err(e) => {
                let _ = send(
                    &mut socket,
                    json!({"type": "error", "message": "invalid message", "error": e.public_message()}),
                )
                .await;
                continue;
            }
        };
        if principal.is_none() {
            let who = match &body.token {
                Some(t) => state.identity.authenticate(t).await.ok(),
                None => None,
            };
            match who {
                Some(a) => principal = Some(a.principal()),
                None => {
                    let _ = send(&mut socket, json!({"type": "error", "message": "认证失败", "error": "a valid access token is required (token query parameter or field)"})).await;
                    return;
                }
            }
        }
        let Some(p) = principal.clone() else { return };
        if !run_over_socket(&mut socket, &state, &p, &body).await {
            return;
        }
    }
}

/// Runs one task, streaming it; false when the client is gone.
async fn run_over_socket(socket: &mut WebSocket, state: &AppState, principal: &Principal, body: &TaskBody) -> bool {
    let job = match submit(state, principal, body).await {
        Ok(j) => j,
        Err(e) => {
            return send(socket, json!({"type": "error", "message": "任务创建失败", "error": e.public_message()}))
                .await;
        }
    };
    let id = job.id;
    if !send(socket, json!({"type": "status", "message": "任务已创建", "task_id": id.to_string()})).await {
        return false;
    }
    let mut events = match state.agents.events(principal, id, slipway_agents::task::KIND, 0).await {
        Ok(s) => s,
        Err(e) => {
            return send(socket, json!({"type": "error", "message": "无法订阅任务", "error": e.public_message()}))
                .await;
        }
    };
    while let Some(item) = events.next().await {
        match item {
            Ok(e) => {
                if let Some(msg) = status_message(&e)
                    && !send(socket, msg).await
                {
                    return false;
                }
            }
            Err(err) => {
                return send(socket, json!({"type": "error", "message": "订阅中断", "error": err.public_message()}))
                    .await;
            }
        }
    }
    let last = match state.agents.task(principal, id).await {
        Ok(j) => j,
        Err(e) => {
            return send(socket, json!({"type": "error", "message": "无法读取结果", "error": e.public_message()}))
                .await;
        }
    };
    let msg = if last.status == JobStatus::Succeeded {
        json!({"type": "result", "message": "任务完成", "success": true, "output": report(&last), "task_id": id.to_string()})
    } else {
        let error = last.error.clone().unwrap_or_else(|| last.status.to_string());
        json!({"type": "error", "message": "任务失败", "error": error, "task_id": id.to_string()})
    };
    send(socket, msg).await
}

/// A `status` message for a job event (final statuses are answered by `result`/`error`).
fn status_message(e: &JobEvent) -> Option<Value> {
    let p = &e.payload;
    let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let message = match e.kind.as_str() {
        "status" => format!("状态: {}", text("status")),
        "stage" => format!("阶段: {}", text("stage")),
        "progress" => format!("进度: {}%", p.get("progress").and_then(Value::as_i64).unwrap_or(0)),
        "agent_started" => format!("{} 开始工作 ({})", text("agent"), text("stage")),
        "agent_finished" => format!("{} 完成 ({})", text("agent"), text("status")),
        "agent_message" => format!("{}: {}", text("agent"), text("content")),
        "tool_called" => format!("{} 调用工具 {}", text("agent"), text("tool")),
        "plan" => format!("计划: {}", text("summary")),
        "gate" => format!("质量门 {}: {}", text("gate"), text("result")),
        _ => return None,
    };
    Some(json!({"type": "status", "message": message, "event": e.kind, "seq": e.seq, "data": p}))
}
