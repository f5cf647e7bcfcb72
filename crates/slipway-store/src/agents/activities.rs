//! The `agent_activities` table: one row per agent call inside a job.

use chrono::{DateTime, Utc};

use crate::{Db, StoreError, on_pool};

/// An agent call to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewActivity {
    /// The job it ran in.
    pub job_id: i64,
    /// The job's owner.
    pub user_id: Option<i64>,
    /// The agent's name (`planner`, `@backend-architect`, …).
    pub agent: String,
    /// The stage or phase it ran in.
    pub stage: String,
    /// `succeeded`, `failed` or `cancelled`.
    pub status: String,
    /// What the agent was asked.
    pub input: String,
    /// What it answered (its final message).
    pub output: String,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// How long it took, milliseconds.
    pub duration_ms: i64,
    /// Prompt tokens over all its LLM calls.
    pub prompt_tokens: i32,
    /// Completion tokens over all its LLM calls.
    pub completion_tokens: i32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
}

/// A recorded agent call.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ActivityRecord {
    /// Database id.
    pub id: i64,
    /// The job it ran in.
    pub job_id: i64,
    /// The job's owner.
    pub user_id: Option<i64>,
    /// The agent's name.
    pub agent: String,
    /// The stage or phase.
    pub stage: String,
    /// `succeeded`, `failed` or `cancelled`.
    pub status: String,
    /// What the agent was asked.
    pub input: String,
    /// What it answered.
    pub output: String,
    /// Why it failed.
    pub error: Option<String>,
    /// How long it took, milliseconds.
    pub duration_ms: i64,
    /// Prompt tokens.
    pub prompt_tokens: i32,
    /// Completion tokens.
    pub completion_tokens: i32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
}

impl Db {
    /// Records an agent call.
    pub async fn insert_activity(&self, a: &NewActivity) -> Result<i64, StoreError> {
        let sql = "INSERT INTO agent_activities (job_id, user_id, agent, stage, status, input, output, error, \
                   duration_ms, prompt_tokens, completion_tokens, started_at, finished_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(a.job_id)
            .bind(a.user_id)
            .bind(&a.agent)
            .bind(&a.stage)
            .bind(&a.status)
            .bind(&a.input)
            .bind(&a.output)
            .bind(&a.error)
            .bind(a.duration_ms)
            .bind(a.prompt_tokens)
            .bind(a.completion_tokens)
            .bind(a.started_at)
            .bind(a.finished_at)
            .fetch_one(p)
            .await)?)
    }

    /// The agent calls of a job, in the order they were recorded.
    pub async fn job_activities(&self, job_id: i64) -> Result<Vec<ActivityRecord>, StoreError> {
        let sql = "SELECT * FROM agent_activities WHERE job_id = $1 ORDER BY id";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(job_id).fetch_all(p).await)?)
    }
}
