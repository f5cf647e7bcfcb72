//! The planner's diet plans and tasks. A plan is produced by a job; the plan id and the task id are that job's
//! id. `POST /plans/create` and `POST /tasks/` start one (streaming it as SSE when asked), the history and task
//! lists page through the caller's own, `GET /tasks/{id}/stream` replays a task's events and then follows it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use slipway_agents::diet::PetInput;
use slipway_core::{Error, FieldError, Principal};
use slipway_engine::{Job, JobEvent, JobStatus};
use utoipa::{IntoParams, ToSchema};

use super::views::ok;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, CurrentUser, StreamUser, id_or_not_found};
use crate::json::{ts, ts_opt};
use crate::realtime::sse;
use crate::state::AppState;
use crate::surfaces::paging::Paging;

/// A pet to plan for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    /// `dog`, `cat`, …
    pub pet_type: String,
    /// The breed.
    pub pet_breed: Option<String>,
    /// Age in years.
    pub age: Option<f64>,
    /// Weight in kilograms.
    pub pet_weight: Option<f64>,
    /// Health as the owner describes it.
    pub pet_health_status: Option<String>,
    /// Anything else the plan must respect.
    pub special_requirements: Option<String>,
    /// Answer with a stream of Server-Sent Events instead of the plan id.
    pub use_stream: Option<bool>,
}

impl PlanBody {
    fn pet(self) -> PetInput {
        PetInput {
            pet_type: self.pet_type,
            pet_breed: self.pet_breed,
            age: self.age,
            pet_weight: self.pet_weight,
            pet_health_status: self.pet_health_status,
            special_requirements: self.special_requirements,
        }
    }
}

/// The planner's name for a job status.
pub fn status_name(s: JobStatus) -> &'static str {
    match s {
        JobStatus::Queued => "pending",
        JobStatus::Running => "running",
        JobStatus::Succeeded => "completed",
        JobStatus::Cancelled => "cancelled",
        JobStatus::Failed | JobStatus::TimedOut => "failed",
    }
}

fn statuses_named(name: &str) -> Result<Vec<JobStatus>, Error> {
    Ok(match name {
        "pending" => vec![JobStatus::Queued],
        "running" => vec![JobStatus::Running],
        "completed" => vec![JobStatus::Succeeded],
        "cancelled" => vec![JobStatus::Cancelled],
        "failed" => vec![JobStatus::Failed, JobStatus::TimedOut],
        other => {
            return Err(Error::Validation(vec![FieldError::query(
                "status",
                "value_error",
                format!("status must be pending, running, completed, cancelled or failed, not {other:?}"),
            )]));
        }
    })
}

fn wants_stream(headers: &HeaderMap, flag: Option<bool>) -> bool {
    flag == Some(true)
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.split(',').any(|t| t.trim().starts_with("text/event-stream")))
}

/// Creates a plan; streams its events as they happen when asked to.
async fn start(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    body: PlanBody,
    as_task: bool,
) -> Result<Response, ApiError> {
    let stream = wants_stream(headers, body.use_stream);
    let job = state.agents.create_plan(principal, body.pet()).await?;
    if stream {
        let events = state.agents.plan_events(principal, job.id, 0).await?;
        let app = state.clone();
        let who = principal.clone();
        let id = job.id;
        return Ok(sse::stream_with_end(events, plan_event, move || finish_event(app, who, id)).into_response());
    }
    let id = job.id.to_string();
    let data = if as_task {
        json!({"task_id": id, "status": "pending", "created_at": ts(job.created_at)})
    } else {
        json!({"plan_id": id, "task_id": id, "status": "pending"})
    };
    Ok(ok(if as_task { "任务创建成功" } else { "饮食计划创建成功" }, data).into_response())
}

/// An engine event as the planner's SSE names it; `None` for final statuses (answered by [`finish_event`]).
fn plan_event(e: &JobEvent) -> Option<(String, Value)> {
    let p = &e.payload;
    let named = |name: &str, data: Value| Some((name.to_owned(), with_event(name, data)));
    match e.kind.as_str() {
        "message_created" | "task_started" | "tool_called" | "agent_message" => named(&e.kind, p.clone()),
        "progress" => {
            let pct = p.get("progress").and_then(Value::as_i64).unwrap_or(0);
            named("status_update", json!({"progress": pct, "message": "任务执行中..."}))
        }
        _ => None,
    }
}

fn with_event(name: &str, mut data: Value) -> Value {
    if let Some(map) = data.as_object_mut() {
        map.insert("event".into(), json!(name));
    }
    data
}

/// The closing event of a stream: `task_completed` with the result, `task_cancelled`, or `error`.
async fn finish_event(state: AppState, principal: Principal, job_id: i64) -> Option<(String, Value)> {
    let job = match state.agents.own_plan_job(&principal, job_id).await {
        Ok(job) => job,
        Err(e) => return Some(("error".into(), with_event("error", json!({"error": e.public_message()})))),
    };
    let id = job.id.to_string();
    Some(match job.status {
        JobStatus::Succeeded => {
            ("task_completed".into(), with_event("task_completed", json!({"task_id": id, "result": job.output})))
        }
        JobStatus::Cancelled => ("task_cancelled".into(), with_event("task_cancelled", json!({"task_id": id}))),
        _ => {
            let error = job.error.unwrap_or_else(|| status_name(job.status).into());
            ("error".into(), with_event("error", json!({"task_id": id, "error": error})))
        }
    })
}

/// Creates a diet plan: `{plan_id, status: pending}`, or with `Accept: text/event-stream` / `use_stream: true`
/// the plan's events as Server-Sent Events until it is done.
#[utoipa::path(
    post, path = "/api/v1/plans/create", tag = "Pet planner", security(("bearer" = [])), request_body = PlanBody,
    responses((status = 200, description = "`{code: 0, data: {plan_id, status}}` or `text/event-stream`"),
              (status = 401, description = "Not signed in"), (status = 422, description = "Invalid pet fields"),
              (status = 503, description = "No LLM provider is configured"))
)]
pub async fn create_plan(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PlanBody>,
) -> Result<Response, ApiError> {
    start(&state, &auth.principal(), &headers, body, false).await
}

/// Paging and the status filter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page (default 10, at most 100).
    pub page_size: Option<i64>,
    /// `pending`, `running`, `completed`, `cancelled` or `failed`.
    pub status: Option<String>,
}

async fn page(state: &AppState, principal: &Principal, q: PlanQuery) -> Result<(Vec<Job>, i64, Paging), Error> {
    let p = Paging::new(q.page, q.page_size, 10, 100)?;
    let statuses = match q.status.as_deref() {
        Some(s) => statuses_named(s)?,
        None => Vec::new(),
    };
    let found = state.agents.plans(principal, statuses, p.offset(), p.page_size).await?;
    Ok((found.items, found.total, p))
}

fn pet_type(job: &Job) -> Value {
    job.input.get("pet_type").cloned().unwrap_or(Value::Null)
}

/// The caller's plans, newest first.
#[utoipa::path(
    get, path = "/api/v1/plans/history", tag = "Pet planner", security(("bearer" = [])), params(PlanQuery),
    responses((status = 200, description = "`{plans: [{id, pet_type, created_at, status}], total}`"), (status = 401, description = "Not signed in"))
)]
pub async fn history(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> Result<Json<Value>, ApiError> {
    let (jobs, total, p) = page(&state, &auth.principal(), q).await?;
    let plans: Vec<Value> = jobs
        .iter()
        .map(|j| {
            json!({"id": j.id.to_string(), "pet_type": pet_type(j), "pet_breed": j.input.get("pet_breed"),
                        "created_at": ts(j.created_at), "status": status_name(j.status)})
        })
        .collect();
    Ok(ok("获取成功", json!({"plans": plans, "total": total, "page": p.page, "page_size": p.page_size})))
}

/// One plan: the pet, the advice and the monthly plan once it is done.
#[utoipa::path(
    get, path = "/api/v1/plans/{plan_id}", tag = "Pet planner", security(("bearer" = [])),
    params(("plan_id" = String, Path, description = "Plan id")),
    responses((status = 200, description = "`{plan: {id, pet_type, pet_breed, pet_information, ai_suggestions, pet_diet_plan}}`"),
              (status = 404, description = "No such plan"))
)]
pub async fn get_plan(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (job, plan) = state.agents.plan(&auth.principal(), id_or_not_found(&raw, "plan")?).await?;
    let plan_json = json!({
        "id": job.id.to_string(),
        "status": status_name(job.status),
        "pet_type": pet_type(&job),
        "pet_breed": job.input.get("pet_breed"),
        "pet_information": plan.as_ref().map_or_else(|| job.input.clone(), |p| p.pet_information.clone()),
        "ai_suggestions": plan.as_ref().map(|p| p.ai_suggestions.clone()),
        "pet_diet_plan": plan.as_ref().map(|p| p.pet_diet_plan.clone()),
        "error": job.error,
        "created_at": ts(job.created_at),
        "updated_at": ts(job.updated_at),
    });
    Ok(ok("获取成功", json!({"plan": plan_json})))
}

/// Creates a plan task: `{task_id, status: pending, created_at}` (or its events with `use_stream`).
#[utoipa::path(
    post, path = "/api/v1/tasks/", tag = "Pet planner", security(("bearer" = [])), request_body = PlanBody,
    responses((status = 200, description = "`{code: 0, data: {task_id, status, created_at}}`"),
              (status = 401, description = "Not signed in"), (status = 422, description = "Invalid pet fields"),
              (status = 503, description = "No LLM provider is configured"))
)]
pub async fn create_task(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PlanBody>,
) -> Result<Response, ApiError> {
    start(&state, &auth.principal(), &headers, body, true).await
}

fn task_json(j: &Job) -> Value {
    json!({
        "id": j.id.to_string(),
        "status": status_name(j.status),
        "progress": j.progress,
        "result": j.output,
        "error": j.error,
        "created_at": ts(j.created_at),
        "updated_at": ts(j.updated_at),
        "started_at": ts_opt(j.started_at),
        "finished_at": ts_opt(j.finished_at),
    })
}

/// The caller's tasks, newest first, by status.
#[utoipa::path(
    get, path = "/api/v1/tasks/", tag = "Pet planner", security(("bearer" = [])), params(PlanQuery),
    responses((status = 200, description = "`{tasks: [...], pagination: {page, page_size, total}}`"),
              (status = 401, description = "Not signed in"), (status = 422, description = "Bad page or status"))
)]
pub async fn list_tasks(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> Result<Json<Value>, ApiError> {
    let (jobs, total, p) = page(&state, &auth.principal(), q).await?;
    let tasks: Vec<Value> = jobs.iter().map(task_json).collect();
    Ok(ok(
        "获取成功",
        json!({"tasks": tasks, "pagination": {"page": p.page, "page_size": p.page_size, "total": total}}),
    ))
}

/// One task.
#[utoipa::path(
    get, path = "/api/v1/tasks/{task_id}", tag = "Pet planner", security(("bearer" = [])),
    params(("task_id" = String, Path, description = "Task id")),
    responses((status = 200, description = "`{task: {id, status, progress, result, created_at, updated_at}}`"), (status = 404, description = "No such task"))
)]
pub async fn get_task(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let job = state.agents.own_plan_job(&auth.principal(), id_or_not_found(&raw, "task")?).await?;
    Ok(ok("获取成功", json!({"task": task_json(&job)})))
}

/// Stops a task and its agent's LLM call.
#[utoipa::path(
    post, path = "/api/v1/tasks/{task_id}/cancel", tag = "Pet planner", security(("bearer" = [])),
    params(("task_id" = String, Path, description = "Task id")),
    responses((status = 200, description = "`{task_id, status: cancelled}`"), (status = 404, description = "No such task"),
              (status = 409, description = "Already finished"))
)]
pub async fn cancel_task(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let job = state.agents.cancel_plan(&auth.principal(), id_or_not_found(&raw, "task")?).await?;
    let status = if job.status == JobStatus::Running { "cancelling" } else { status_name(job.status) };
    Ok(ok("任务已取消", json!({"task_id": job.id.to_string(), "status": status})))
}

/// Where to resume a stream.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Resume after this event id (`Last-Event-ID` wins).
    pub after: Option<i64>,
    /// The access token, for `EventSource`, which cannot send headers.
    pub access_token: Option<String>,
    /// Same as `access_token`.
    pub token: Option<String>,
}

/// A task's events: what already happened, then live, as `message` events whose data carries `event`
/// (`task_started`, `task_progress`, `message_created`, `task_completed`, `task_cancelled`, `error`).
#[utoipa::path(
    get, path = "/api/v1/tasks/{task_id}/stream", tag = "Pet planner", security(("bearer" = [])),
    params(("task_id" = String, Path, description = "Task id"), StreamQuery),
    responses((status = 200, description = "`text/event-stream`"), (status = 404, description = "No such task"))
)]
pub async fn stream_task(
    State(state): State<AppState>,
    StreamUser(auth): StreamUser,
    Path(raw): Path<String>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> Result<Response, ApiError> {
    let principal = auth.principal();
    let id = id_or_not_found(&raw, "task")?;
    let after = sse::resume_after(&headers, q.after)?;
    let events = state.agents.plan_events(&principal, id, after).await?;
    let app = state.clone();
    let view = |e: &JobEvent| task_event(e).map(|(_, data)| ("message".to_owned(), data));
    let end =
        move || async move { finish_event(app, principal, id).await.map(|(_, data)| ("message".to_owned(), data)) };
    Ok(sse::stream_with_end(events, view, end).into_response())
}

/// An engine event as the task stream names it.
fn task_event(e: &JobEvent) -> Option<(String, Value)> {
    let p = &e.payload;
    let named = |name: &str, data: Value| Some((name.to_owned(), with_event(name, data)));
    match e.kind.as_str() {
        "task_started" | "message_created" => named(&e.kind, p.clone()),
        "agent_message" => named("message_created", json!({"message": p.get("content"), "agent": p.get("agent")})),
        "progress" => named("task_progress", json!({"progress": p.get("progress"), "message": "任务执行中..."})),
        _ => None,
    }
}
