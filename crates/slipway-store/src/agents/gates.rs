//! The `gate_checks` table: every quality-gate check with its result, score, threshold and reason.

use chrono::{DateTime, Utc};

use crate::{Db, StoreError, on_pool};

/// A gate check to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewGateCheck {
    /// The job it checked.
    pub job_id: i64,
    /// The job's owner.
    pub user_id: Option<i64>,
    /// The gate (`tests_pass`, `code_coverage`, `security_scan`, `llm_review`, …).
    pub gate_name: String,
    /// `passed`, `failed` or `skipped`.
    pub result: String,
    /// What was measured.
    pub score: Option<f64>,
    /// What it was compared with.
    pub threshold: Option<f64>,
    /// Why it passed, failed or was skipped, for people.
    pub reason: String,
    /// When it was checked.
    pub created_at: DateTime<Utc>,
}

/// A recorded gate check.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct GateCheckRecord {
    /// Database id.
    pub id: i64,
    /// The job it checked.
    pub job_id: i64,
    /// The job's owner.
    pub user_id: Option<i64>,
    /// The gate.
    pub gate_name: String,
    /// `passed`, `failed` or `skipped`.
    pub result: String,
    /// What was measured.
    pub score: Option<f64>,
    /// What it was compared with.
    pub threshold: Option<f64>,
    /// Why.
    pub reason: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Totals over gate checks (skipped checks are not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, sqlx::FromRow)]
pub struct GateStats {
    /// Checks that passed or failed.
    pub total: i64,
    /// Checks that passed.
    pub passed: i64,
    /// Checks that failed.
    pub failed: i64,
    /// Mean score of the checks that have one.
    pub average_score: Option<f64>,
}

impl Db {
    /// Records gate checks in one statement.
    pub async fn insert_gate_checks(&self, checks: &[NewGateCheck]) -> Result<(), StoreError> {
        if checks.is_empty() {
            return Ok(());
        }
        on_pool!(self, |p| {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO gate_checks (job_id, user_id, gate_name, result, score, threshold, reason, created_at) ",
            );
            qb.push_values(checks, |mut row, c| {
                row.push_bind(c.job_id)
                    .push_bind(c.user_id)
                    .push_bind(c.gate_name.clone())
                    .push_bind(c.result.clone())
                    .push_bind(c.score)
                    .push_bind(c.threshold)
                    .push_bind(c.reason.clone())
                    .push_bind(c.created_at);
            });
            qb.build().execute(p).await.map(|_| ())
        })?;
        Ok(())
    }

    /// Totals over the checks of one user's jobs, or of everyone's with `None`.
    pub async fn gate_stats(&self, user_id: Option<i64>) -> Result<GateStats, StoreError> {
        let sql = "SELECT COUNT(*) AS total, \
                   COALESCE(SUM(CASE WHEN result = 'passed' THEN 1 ELSE 0 END), 0) AS passed, \
                   COALESCE(SUM(CASE WHEN result = 'failed' THEN 1 ELSE 0 END), 0) AS failed, \
                   AVG(score) AS average_score \
                   FROM gate_checks WHERE result <> 'skipped' AND ($1 IS NULL OR user_id = $1)";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(user_id).fetch_one(p).await)?)
    }

    /// The newest failed checks of one user's jobs, or of everyone's with `None`.
    pub async fn recent_gate_failures(
        &self,
        user_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<GateCheckRecord>, StoreError> {
        let sql = "SELECT * FROM gate_checks WHERE result = 'failed' AND ($1 IS NULL OR user_id = $1) \
                   ORDER BY id DESC LIMIT $2";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(user_id).bind(limit).fetch_all(p).await)?)
    }

    /// The checks of one job, in order.
    pub async fn job_gate_checks(&self, job_id: i64) -> Result<Vec<GateCheckRecord>, StoreError> {
        let sql = "SELECT * FROM gate_checks WHERE job_id = $1 ORDER BY id";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(job_id).fetch_all(p).await)?)
    }
}
