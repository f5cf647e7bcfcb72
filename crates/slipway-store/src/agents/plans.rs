//! The `diet_plans` table: what a diet-plan job produced, keyed by the job.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{Db, StoreError, on_pool};

/// A finished diet plan.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DietPlanRecord {
    /// The job that produced it (also the plan's id).
    pub job_id: i64,
    /// Whose pet it is for.
    pub user_id: i64,
    /// The pet as the planner understood it.
    pub pet_information: Value,
    /// The planner's advice, as text.
    pub ai_suggestions: String,
    /// The monthly plan, validated against its schema.
    pub pet_diet_plan: Value,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

impl Db {
    /// Stores (or, for a retried job, replaces) the plan a job produced.
    pub async fn upsert_diet_plan(&self, plan: &DietPlanRecord) -> Result<(), StoreError> {
        let sql = "INSERT INTO diet_plans (job_id, user_id, pet_information, ai_suggestions, pet_diet_plan, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (job_id) DO UPDATE SET \
                   pet_information = excluded.pet_information, ai_suggestions = excluded.ai_suggestions, \
                   pet_diet_plan = excluded.pet_diet_plan, created_at = excluded.created_at";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(plan.job_id)
            .bind(plan.user_id)
            .bind(&plan.pet_information)
            .bind(&plan.ai_suggestions)
            .bind(&plan.pet_diet_plan)
            .bind(plan.created_at)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// The plan a job produced, if it has finished one.
    pub async fn diet_plan(&self, job_id: i64) -> Result<Option<DietPlanRecord>, StoreError> {
        let sql = "SELECT * FROM diet_plans WHERE job_id = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(job_id).fetch_optional(p).await)?)
    }
}
