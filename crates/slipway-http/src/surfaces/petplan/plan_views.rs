//! The planner's view of plans and tasks: the `data` of its plan and task answers. A plan and its task are one
//! job; the planner names the job's statuses `pending`, `running`, `completed`, `cancelled` and `failed`.

use serde::Serialize;
use serde_json::Value;
use slipway_agents::DietPlanRecord;
use slipway_core::time::rfc3339;
use slipway_engine::{Job, JobStatus};
use utoipa::ToSchema;

use crate::surfaces::paging::Paging;

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

fn input(job: &Job, key: &str) -> Value {
    job.input.get(key).cloned().unwrap_or(Value::Null)
}

/// `POST /plans/create`: the new plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanCreated {
    /// The plan's id.
    pub plan_id: String,
    /// The id of the task producing it (the same).
    pub task_id: String,
    /// Always `pending`.
    pub status: &'static str,
}

/// `POST /tasks/`: the new task.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskCreated {
    /// The task's id.
    pub task_id: String,
    /// Always `pending`.
    pub status: &'static str,
    /// When it was created.
    pub created_at: String,
}

impl TaskCreated {
    /// The answer for a task just created.
    pub fn of(job: &Job) -> Self {
        Self { task_id: job.id.to_string(), status: "pending", created_at: rfc3339(job.created_at) }
    }
}

/// One plan in the history.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanSummary {
    /// The plan's id.
    pub id: String,
    /// `dog`, `cat`, …
    #[schema(value_type = Option<String>)]
    pub pet_type: Value,
    /// The breed, when given.
    #[schema(value_type = Option<String>)]
    pub pet_breed: Value,
    /// When it was created.
    pub created_at: String,
    /// The plan's status.
    pub status: &'static str,
}

impl From<&Job> for PlanSummary {
    fn from(j: &Job) -> Self {
        Self {
            id: j.id.to_string(),
            pet_type: input(j, "pet_type"),
            pet_breed: input(j, "pet_breed"),
            created_at: rfc3339(j.created_at),
            status: status_name(j.status),
        }
    }
}

/// `GET /plans/history`: a page of the caller's plans.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanHistory {
    /// The plans, newest first.
    pub plans: Vec<PlanSummary>,
    /// How many plans match.
    pub total: i64,
    /// The page number.
    pub page: i64,
    /// Items per page.
    pub page_size: i64,
}

impl PlanHistory {
    /// A page of plans.
    pub fn of(jobs: &[Job], total: i64, p: Paging) -> Self {
        Self { plans: jobs.iter().map(Into::into).collect(), total, page: p.page, page_size: p.page_size }
    }
}

/// One plan with its result.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    /// The plan's id.
    pub id: String,
    /// The plan's status.
    pub status: &'static str,
    /// `dog`, `cat`, …
    #[schema(value_type = Option<String>)]
    pub pet_type: Value,
    /// The breed, when given.
    #[schema(value_type = Option<String>)]
    pub pet_breed: Value,
    /// The pet as the plan describes it (the request while the plan is not done).
    #[schema(value_type = Object)]
    pub pet_information: Value,
    /// The advice, once done.
    pub ai_suggestions: Option<String>,
    /// The monthly plan, once done.
    #[schema(value_type = Option<Object>)]
    pub pet_diet_plan: Option<Value>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

/// `GET /plans/{plan_id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanDetail {
    /// The plan.
    pub plan: PlanView,
}

impl PlanDetail {
    /// A plan's job and, once done, its result.
    pub fn of(job: &Job, plan: Option<&DietPlanRecord>) -> Self {
        let plan = PlanView {
            id: job.id.to_string(),
            status: status_name(job.status),
            pet_type: input(job, "pet_type"),
            pet_breed: input(job, "pet_breed"),
            pet_information: plan.map_or_else(|| job.input.clone(), |p| p.pet_information.clone()),
            ai_suggestions: plan.map(|p| p.ai_suggestions.clone()),
            pet_diet_plan: plan.map(|p| p.pet_diet_plan.clone()),
            error: job.error.clone(),
            created_at: rfc3339(job.created_at),
            updated_at: rfc3339(job.updated_at),
        };
        Self { plan }
    }
}

/// One task.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskView {
    /// The task's id.
    pub id: String,
    /// The task's status.
    pub status: &'static str,
    /// Percent done.
    pub progress: i32,
    /// The plan, once done.
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// When it started running.
    pub started_at: Option<String>,
    /// When it finished.
    pub finished_at: Option<String>,
}

impl From<&Job> for TaskView {
    fn from(j: &Job) -> Self {
        Self {
            id: j.id.to_string(),
            status: status_name(j.status),
            progress: j.progress,
            result: j.output.clone(),
            error: j.error.clone(),
            created_at: rfc3339(j.created_at),
            updated_at: rfc3339(j.updated_at),
            started_at: j.started_at.map(rfc3339),
            finished_at: j.finished_at.map(rfc3339),
        }
    }
}

/// `GET /tasks/{task_id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDetail {
    /// The task.
    pub task: TaskView,
}

/// Where a page of tasks sits.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskPagination {
    /// The page number.
    pub page: i64,
    /// Items per page.
    pub page_size: i64,
    /// How many tasks match.
    pub total: i64,
}

/// `GET /tasks/`: a page of the caller's tasks.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskList {
    /// The tasks, newest first.
    pub tasks: Vec<TaskView>,
    /// The page.
    pub pagination: TaskPagination,
}

impl TaskList {
    /// A page of tasks.
    pub fn of(jobs: &[Job], total: i64, p: Paging) -> Self {
        let pagination = TaskPagination { page: p.page, page_size: p.page_size, total };
        Self { tasks: jobs.iter().map(Into::into).collect(), pagination }
    }
}

/// `POST /tasks/{task_id}/cancel`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskCancelled {
    /// The task's id.
    pub task_id: String,
    /// `cancelled` once it has stopped; `cancelling` while it still runs.
    pub status: &'static str,
}

/// The `data` of one event of `GET /api/v1/tasks/{task_id}/stream`: `event` names it, the other fields are
/// those of that event.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlannerTaskEvent {
    /// `task_started`, `task_progress`, `message_created`, `task_completed`, `task_cancelled` or `error`.
    pub event: String,
    /// The task (closing events).
    pub task_id: Option<String>,
    /// Percent done (`task_progress`).
    pub progress: Option<f64>,
    /// A progress text or an agent's message.
    pub message: Option<String>,
    /// The agent that wrote `message` (`message_created`).
    pub agent: Option<String>,
    /// The plan (`task_completed`).
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
    /// Why the task failed (`error`).
    pub error: Option<String>,
}
