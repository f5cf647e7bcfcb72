//! Webhook deliveries: one row per delivery a provider sent, and one per pipeline it concerned with what it
//! did there. A verified delivery id is recorded once (a unique index), so a redelivery starts nothing.

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use crate::{Db, StoreError, on_pool};

/// A delivery as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    /// `github` or `gitlab`.
    pub provider: String,
    /// The provider's event name (`push`, `Push Hook` …).
    pub event: String,
    /// The provider's delivery id, when it sent one.
    pub delivery_id: Option<String>,
    /// Whether a pipeline's secret verified it.
    pub verified: bool,
    /// What became of it: `received` while its runs start, then `ping`, `started`, `no_match`, `ignored`,
    /// `rejected` or `duplicate`.
    pub outcome: String,
    /// Why, for people.
    pub reason: Option<String>,
    /// The repository's key (the first address of the payload).
    pub repository: Option<String>,
    /// The branch or tag.
    pub git_ref: Option<String>,
    /// The commit.
    pub commit_sha: Option<String>,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

/// What a delivery did to one pipeline.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliveryPipeline {
    /// The delivery (ignored when recording).
    pub delivery_id: i64,
    /// The pipeline.
    pub pipeline_id: i64,
    /// Its owner then.
    pub owner_id: i64,
    /// `started`, `signature_mismatch`, `no_secret`, `event_not_enabled`, `branch_mismatch`, `inactive`, `failed`.
    pub outcome: String,
    /// The run it started.
    pub run_id: Option<i64>,
}

/// A recorded delivery.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeliveryRecord {
    /// Slipway's id of it.
    pub id: i64,
    /// `github` or `gitlab`.
    pub provider: String,
    /// The provider's event name.
    pub event: String,
    /// The provider's delivery id.
    pub delivery_id: Option<String>,
    /// Whether a pipeline's secret verified it.
    pub verified: bool,
    /// What became of it.
    pub outcome: String,
    /// Why.
    pub reason: Option<String>,
    /// The repository's key.
    pub repository: Option<String>,
    /// The branch or tag.
    pub git_ref: Option<String>,
    /// The commit.
    pub commit_sha: Option<String>,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

const INSERT: &str = "INSERT INTO webhook_deliveries (provider, event, delivery_id, verified, outcome, reason, \
                      repository, git_ref, commit_sha, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                      ON CONFLICT DO NOTHING RETURNING id";

impl Db {
    /// Records a delivery; `None` when it is verified and its delivery id was recorded before (a redelivery:
    /// record it again with outcome `duplicate`).
    pub async fn insert_webhook_delivery(&self, d: &NewDelivery) -> Result<Option<i64>, StoreError> {
        Ok(on_pool!(self, |pool| sqlx::query_scalar(INSERT)
            .bind(&d.provider)
            .bind(&d.event)
            .bind(&d.delivery_id)
            .bind(d.verified)
            .bind(&d.outcome)
            .bind(&d.reason)
            .bind(&d.repository)
            .bind(&d.git_ref)
            .bind(&d.commit_sha)
            .bind(d.received_at)
            .fetch_optional(pool)
            .await)?)
    }

    /// Sets a delivery's outcome and records what it did to each pipeline, in one transaction.
    pub async fn finish_webhook_delivery(
        &self,
        id: i64,
        outcome: &str,
        reason: Option<&str>,
        pipelines: &[DeliveryPipeline],
    ) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE webhook_deliveries SET outcome = $2, reason = $3 WHERE id = $1")
                .bind(id)
                .bind(outcome)
                .bind(reason)
                .execute(&mut *tx)
                .await?;
            if !pipelines.is_empty() {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO webhook_delivery_pipelines (delivery_id, pipeline_id, owner_id, outcome, run_id) ",
                );
                qb.push_values(pipelines, |mut row, p| {
                    row.push_bind(id).push_bind(p.pipeline_id).push_bind(p.owner_id).push_bind(&p.outcome);
                    row.push_bind(p.run_id);
                });
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await
        })?;
        Ok(())
    }

    /// A page of deliveries, newest first, with what each did to the pipelines `viewer` owns (every pipeline's
    /// for `None`, an administrator), and how many there are. A user sees only deliveries that concerned one of
    /// their pipelines.
    pub async fn webhook_deliveries(
        &self,
        viewer: Option<i64>,
        pipeline_id: Option<i64>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<(DeliveryRecord, Vec<DeliveryPipeline>)>, i64), StoreError> {
        macro_rules! filtered {
            () => {
                "FROM webhook_deliveries d WHERE ($1 IS NULL AND $2 IS NULL) OR EXISTS (SELECT 1 FROM \
                 webhook_delivery_pipelines p WHERE p.delivery_id = d.id AND ($1 IS NULL OR p.owner_id = $1) \
                 AND ($2 IS NULL OR p.pipeline_id = $2))"
            };
        }
        let page = concat!("SELECT d.* ", filtered!(), " ORDER BY d.id DESC LIMIT $3 OFFSET $4");
        let count = concat!("SELECT COUNT(*) ", filtered!());
        let (limit, offset) = (limit.clamp(1, 100), offset.max(0));
        let (rows, total, mut pipelines) = on_pool!(self, |pool| {
            let rows: Vec<DeliveryRecord> =
                sqlx::query_as(page).bind(viewer).bind(pipeline_id).bind(limit).bind(offset).fetch_all(pool).await?;
            let total: i64 = sqlx::query_scalar(count).bind(viewer).bind(pipeline_id).fetch_one(pool).await?;
            let mut qb = QueryBuilder::new("SELECT * FROM webhook_delivery_pipelines WHERE delivery_id IN (");
            let mut ids = qb.separated(", ");
            ids.push_bind(0_i64);
            for r in &rows {
                ids.push_bind(r.id);
            }
            qb.push(")");
            if let Some(v) = viewer {
                qb.push(" AND owner_id = ").push_bind(v);
            }
            qb.push(" ORDER BY pipeline_id");
            let pipelines: Vec<DeliveryPipeline> = qb.build_query_as().fetch_all(pool).await?;
            Ok::<_, sqlx::Error>((rows, total, pipelines))
        })?;
        let items = rows
            .into_iter()
            .map(|d| {
                let (mine, rest) = std::mem::take(&mut pipelines).into_iter().partition(|p| p.delivery_id == d.id);
                pipelines = rest;
                (d, mine)
            })
            .collect();
        Ok((items, total))
    }
}
