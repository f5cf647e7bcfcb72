//! The `llm_usage` log: one row per provider call (success, failure or cache hit), written in batches.

use chrono::{DateTime, Utc};

use crate::{Backend, Db, StoreError, on_pool};

/// A usage row to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLlmUsage {
    /// Whose call it was.
    pub user_id: Option<i64>,
    /// The job the call served.
    pub job_id: Option<i64>,
    /// Provider name.
    pub provider: String,
    /// Model name.
    pub model: String,
    /// Prompt tokens.
    pub prompt_tokens: i64,
    /// Generated tokens.
    pub completion_tokens: i64,
    /// Cost in USD.
    pub cost: f64,
    /// Time the call took, milliseconds.
    pub latency_ms: i64,
    /// Whether the answer came from the response cache.
    pub cached: bool,
    /// `ok` or `error`.
    pub status: String,
    /// What went wrong, for failed calls.
    pub error: Option<String>,
    /// When the call ended.
    pub created_at: DateTime<Utc>,
}

/// A stored usage row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LlmUsageRecord {
    /// Database id.
    pub id: i64,
    /// Whose call it was.
    pub user_id: Option<i64>,
    /// The job the call served.
    pub job_id: Option<i64>,
    /// Provider name.
    pub provider: String,
    /// Model name.
    pub model: String,
    /// Prompt tokens.
    pub prompt_tokens: i64,
    /// Generated tokens.
    pub completion_tokens: i64,
    /// Cost in USD.
    pub cost: f64,
    /// Time the call took, milliseconds.
    pub latency_ms: i64,
    /// Whether the answer came from the response cache.
    pub cached: bool,
    /// `ok` or `error`.
    pub status: String,
    /// What went wrong.
    pub error: Option<String>,
    /// When the call ended.
    pub created_at: DateTime<Utc>,
}

/// Which usage rows to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LlmUsageFilter {
    /// Only this user's calls.
    pub user_id: Option<i64>,
    /// Only this job's calls.
    pub job_id: Option<i64>,
    /// Only calls that ended after this time.
    pub since: Option<DateTime<Utc>>,
    /// At most this many rows (all when `None`).
    pub limit: Option<i64>,
}

const COLUMNS: usize = 12;
/// Rows per statement: 12 placeholders each stays far below both backends' limits on bound parameters.
const ROWS_PER_INSERT: usize = 1000;

impl Db {
    /// Writes usage rows, one multi-row `INSERT` per 1,000 rows, all in one transaction; returns rows written.
    pub async fn insert_llm_usage(&self, rows: &[NewLlmUsage]) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let backend = self.backend();
        let statements: Vec<(String, &[NewLlmUsage])> =
            rows.chunks(ROWS_PER_INSERT).map(|chunk| (insert_sql(backend, chunk.len()), chunk)).collect();
        Ok(on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let mut written = 0;
            for (sql, chunk) in &statements {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
                for r in *chunk {
                    q = q
                        .bind(r.user_id)
                        .bind(r.job_id)
                        .bind(&r.provider)
                        .bind(&r.model)
                        .bind(r.prompt_tokens)
                        .bind(r.completion_tokens)
                        .bind(r.cost)
                        .bind(r.latency_ms)
                        .bind(r.cached)
                        .bind(&r.status)
                        .bind(&r.error)
                        .bind(r.created_at);
                }
                written += q.execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await.map(|()| written)
        })?)
    }

    /// Usage rows matching `f`, newest first.
    pub async fn llm_usage(&self, f: &LlmUsageFilter) -> Result<Vec<LlmUsageRecord>, StoreError> {
        let sql = "SELECT * FROM llm_usage WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR job_id = $2) \
                   AND ($3 IS NULL OR created_at > $3) ORDER BY created_at DESC, id DESC LIMIT $4";
        let limit = f.limit.unwrap_or(i64::MAX);
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(f.user_id)
            .bind(f.job_id)
            .bind(f.since)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }
}

/// The multi-row `INSERT` for `rows` rows. SQLite gets anonymous `?` placeholders: it resolves numbered ones by
/// a linear search per parameter, quadratic in a statement of thousands (it was the writer's main cost).
fn insert_sql(backend: Backend, rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO llm_usage (user_id, job_id, provider, model, prompt_tokens, completion_tokens, cost, \
         latency_ms, cached, status, error, created_at) VALUES ",
    );
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..COLUMNS {
            if c > 0 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(r * COLUMNS + c + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_sql_has_a_placeholder_per_value() {
        let pg = insert_sql(Backend::Postgres, 2);
        assert!(pg.ends_with("($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12), ($13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)"), "{pg}");
        let sqlite = insert_sql(Backend::Sqlite, 3);
        assert_eq!(sqlite.matches('?').count(), 36);
        assert!(!sqlite.contains('$'));
    }
}
