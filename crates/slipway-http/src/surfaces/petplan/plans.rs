//! The planner's diet plans and tasks. A plan is produced by a job; the plan id and the task id are that job's
//! id. `POST /plans/create` and `POST /tasks/` start one (streaming it as SSE when asked), the history and task
//! lists page through the caller's own, `GET /tasks/{id}/stream` replays a task's events and then follows it.

use std::time::Duration;

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

use super::messages::{self, Msg};
use super::plan_views::{
    PlanCreated, PlanDetail, PlanHistory, PlannerTaskEvent, TaskCancelled, TaskCreated, TaskDetail, TaskList,
    status_name,
};
use super::views::{PlannerEnvelope, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, CurrentUser, StreamUser, id_or_not_found};
use crate::lang::Lang;
use crate::realtime::sse;
use crate::state::AppState;
use crate::surfaces::paging::Paging;

/// How long `POST /tasks/{task_id}/cancel` waits for a running task to stop.
pub const CANCEL_WAIT: Duration = Duration::from_secs(5);

/// A pet to plan for (other fields are ignored, as the planner's FastAPI models do).
#[derive(Debug, Deserialize, ToSchema)]
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

/// Creates a plan; streams its events as they happen when asked to, or answers with `created(job)`.
async fn start<T: serde::Serialize>(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    body: PlanBody,
    (message, lang): (Msg, Lang),
    created: fn(&Job) -> T,
) -> Result<Response, ApiError> {
    let stream = wants_stream(headers, body.use_stream);
    let job = state.agents.create_plan(principal, body.pet()).await?;
    if stream {
        let events = state.agents.plan_events(principal, job.id, 0).await?;
        let app = state.clone();
        let who = principal.clone();
        let id = job.id;
        let view = move |e: &JobEvent| plan_event(e, lang);
        return Ok(sse::stream_with_end(events, view, move || finish_event(app, who, id)).into_response());
    }
    Ok(ok(message, lang, created(&job)).into_response())
}

fn plan_created(job: &Job) -> PlanCreated {
    let id = job.id.to_string();
    PlanCreated { plan_id: id.clone(), task_id: id, status: "pending" }
}

/// An engine event as the planner's SSE names it; `None` for final statuses (answered by [`finish_event`]).
fn plan_event(e: &JobEvent, lang: Lang) -> Option<(String, Value)> {
    let p = &e.payload;
    let named = |name: &str, data: Value| Some((name.to_owned(), with_event(name, data)));
    match e.kind.as_str() {
        "message_created" | "task_started" | "tool_called" | "agent_message" => named(&e.kind, p.clone()),
        "progress" => {
            let pct = p.get("progress").and_then(Value::as_i64).unwrap_or(0);
            named("status_update", json!({"progress": pct, "message": messages::IN_PROGRESS.text(lang)}))
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
    responses((status = 200, description = "`{code: 0, data: {plan_id, status}}` or `text/event-stream`", body = PlannerEnvelope<PlanCreated>),
              (status = 401, description = "Not signed in"), (status = 422, description = "Invalid pet fields"),
              (status = 503, description = "No LLM provider is configured"))
)]
pub async fn create_plan(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    headers: HeaderMap,
    lang: Lang,
    ApiJson(body): ApiJson<PlanBody>,
) -> Result<Response, ApiError> {
    start(&state, &auth.principal(), &headers, body, (messages::PLAN_CREATED, lang), plan_created).await
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

/// The caller's plans, newest first.
#[utoipa::path(
    get, path = "/api/v1/plans/history", tag = "Pet planner", security(("bearer" = [])), params(PlanQuery),
    responses((status = 200, description = "`{plans: [{id, pet_type, created_at, status}], total}`", body = PlannerEnvelope<PlanHistory>),
              (status = 401, description = "Not signed in"), (status = 422, description = "Bad page or status"))
)]
pub async fn history(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> Result<Json<PlannerEnvelope<PlanHistory>>, ApiError> {
    let (jobs, total, p) = page(&state, &auth.principal(), q).await?;
    Ok(ok(messages::FETCHED, lang, PlanHistory::of(&jobs, total, p)))
}

/// One plan: the pet, the advice and the monthly plan once it is done.
#[utoipa::path(
    get, path = "/api/v1/plans/{plan_id}", tag = "Pet planner", security(("bearer" = [])),
    params(("plan_id" = String, Path, description = "Plan id")),
    responses((status = 200, description = "`{plan: {id, pet_type, pet_breed, pet_information, ai_suggestions, pet_diet_plan}}`", body = PlannerEnvelope<PlanDetail>),
              (status = 404, description = "No such plan"))
)]
pub async fn get_plan(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    Path(raw): Path<String>,
) -> Result<Json<PlannerEnvelope<PlanDetail>>, ApiError> {
    let (job, plan) = state.agents.plan(&auth.principal(), id_or_not_found(&raw, "plan")?).await?;
    Ok(ok(messages::FETCHED, lang, PlanDetail::of(&job, plan.as_ref())))
}

/// Creates a plan task: `{task_id, status: pending, created_at}` (or its events with `use_stream`).
#[utoipa::path(
    post, path = "/api/v1/tasks/", tag = "Pet planner", security(("bearer" = [])), request_body = PlanBody,
    responses((status = 200, description = "`{code: 0, data: {task_id, status, created_at}}`", body = PlannerEnvelope<TaskCreated>),
              (status = 401, description = "Not signed in"), (status = 422, description = "Invalid pet fields"),
              (status = 503, description = "No LLM provider is configured"))
)]
pub async fn create_task(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    headers: HeaderMap,
    lang: Lang,
    ApiJson(body): ApiJson<PlanBody>,
) -> Result<Response, ApiError> {
    start(&state, &auth.principal(), &headers, body, (messages::TASK_CREATED, lang), TaskCreated::of).await
}

/// The caller's tasks, newest first, by status.
#[utoipa::path(
    get, path = "/api/v1/tasks/", tag = "Pet planner", security(("bearer" = [])), params(PlanQuery),
    responses((status = 200, description = "`{tasks: [...], pagination: {page, page_size, total}}`", body = PlannerEnvelope<TaskList>),
              (status = 401, description = "Not signed in"), (status = 422, description = "Bad page or status"))
)]
pub async fn list_tasks(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> Result<Json<PlannerEnvelope<TaskList>>, ApiError> {
    let (jobs, total, p) = page(&state, &auth.principal(), q).await?;
    Ok(ok(messages::FETCHED, lang, TaskList::of(&jobs, total, p)))
}

/// One task.
#[utoipa::path(
    get, path = "/api/v1/tasks/{task_id}", tag = "Pet planner", security(("bearer" = [])),
    params(("task_id" = String, Path, description = "Task id")),
    responses((status = 200, description = "`{task: {id, status, progress, result, created_at, updated_at}}`", body = PlannerEnvelope<TaskDetail>),
              (status = 404, description = "No such task"))
)]
pub async fn get_task(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    Path(raw): Path<String>,
) -> Result<Json<PlannerEnvelope<TaskDetail>>, ApiError> {
    let job = state.agents.own_plan_job(&auth.principal(), id_or_not_found(&raw, "task")?).await?;
    Ok(ok(messages::FETCHED, lang, TaskDetail { task: (&job).into() }))
}

/// What the cancel answer says about a job after the wait: cancelled once it stopped; if it still runs,
/// `cancelling` with the general success text (the cancellation was asked for, not yet done).
fn cancel_answer(job: &Job) -> (Msg, TaskCancelled) {
    let (message, status) = match job.status {
        JobStatus::Cancelled => (messages::TASK_CANCELLED, "cancelled"),
        s if s.is_final() => (messages::SUCCESS, status_name(s)),
        _ => (messages::SUCCESS, "cancelling"),
    };
    (message, TaskCancelled { task_id: job.id.to_string(), status })
}

/// Stops a task and its agent's LLM call, answering once it has stopped (waiting up to [`CANCEL_WAIT`]).
#[utoipa::path(
    post, path = "/api/v1/tasks/{task_id}/cancel", tag = "Pet planner", security(("bearer" = [])),
    params(("task_id" = String, Path, description = "Task id")),
    responses((status = 200, description = "`{task_id, status: cancelled}` (`cancelling` if it has not stopped within 5 s)", body = PlannerEnvelope<TaskCancelled>),
              (status = 404, description = "No such task"), (status = 409, description = "Already finished"))
)]
pub async fn cancel_task(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    Path(raw): Path<String>,
) -> Result<Json<PlannerEnvelope<TaskCancelled>>, ApiError> {
    let job = state.agents.cancel_plan(&auth.principal(), id_or_not_found(&raw, "task")?, CANCEL_WAIT).await?;
    let (message, data) = cancel_answer(&job);
    Ok(ok(message, lang, data))
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
    responses(
        (status = 200, description = "Server-Sent Events named `message`; each `data` is one event as JSON",
         content_type = "text/event-stream", body = PlannerTaskEvent),
        (status = 404, description = "No such task"),
    )
)]
pub async fn stream_task(
    State(state): State<AppState>,
    StreamUser(auth): StreamUser,
    Path(raw): Path<String>,
    headers: HeaderMap,
    lang: Lang,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> Result<Response, ApiError> {
    let principal = auth.principal();
    let id = id_or_not_found(&raw, "task")?;
    let after = sse::resume_after(&headers, q.after)?;
    let events = state.agents.plan_events(&principal, id, after).await?;
    let app = state.clone();
    let view = move |e: &JobEvent| task_event(e, lang).map(|(_, data)| ("message".to_owned(), data));
    let end =
        move || async move { finish_event(app, principal, id).await.map(|(_, data)| ("message".to_owned(), data)) };
    Ok(sse::stream_with_end(events, view, end).into_response())
}

/// An engine event as the task stream names it.
fn task_event(e: &JobEvent, lang: Lang) -> Option<(String, Value)> {
    let p = &e.payload;
    let named = |name: &str, data: Value| Some((name.to_owned(), with_event(name, data)));
    match e.kind.as_str() {
        "task_started" | "message_created" => named(&e.kind, p.clone()),
        "agent_message" => named("message_created", json!({"message": p.get("content"), "agent": p.get("agent")})),
        "progress" => {
            named("task_progress", json!({"progress": p.get("progress"), "message": messages::IN_PROGRESS.text(lang)}))
        }
        _ => None,
    }
}
