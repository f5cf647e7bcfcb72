//! AnsFlow's webhook response bodies: what a delivery did, and the recorded deliveries a user may read.

use serde::Serialize;
use slipway_core::time::rfc3339;
use slipway_delivery::webhooks::{DeliveryPipeline, DeliveryRecord, Receipt, StartedRun};
use utoipa::ToSchema;

/// A run a delivery queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowWebhookRun {
    /// The pipeline.
    pub pipeline_id: i64,
    /// Its new run (follow it at `/api/pipeline-runs/{run_id}/`).
    pub run_id: i64,
}

impl From<&StartedRun> for AnsFlowWebhookRun {
    fn from(r: &StartedRun) -> Self {
        Self { pipeline_id: r.pipeline_id, run_id: r.run_id }
    }
}

/// What a delivery did; the runs it queued are not awaited.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowWebhookReceipt {
    /// Slipway's record of the delivery (see `GET /api/v1/webhooks/deliveries`).
    pub delivery: i64,
    /// `started`, `ping`, `no_match`, `ignored` or `duplicate`.
    pub outcome: String,
    /// Why nothing started, when nothing did.
    pub reason: Option<String>,
    /// The runs it queued.
    pub runs: Vec<AnsFlowWebhookRun>,
}

impl From<Receipt> for AnsFlowWebhookReceipt {
    fn from(r: Receipt) -> Self {
        Self {
            delivery: r.record_id,
            outcome: r.outcome.to_owned(),
            reason: r.reason,
            runs: r.runs.iter().map(AnsFlowWebhookRun::from).collect(),
        }
    }
}

/// What a delivery did to one pipeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowDeliveryPipeline {
    /// The pipeline.
    pub pipeline_id: i64,
    /// `started`, `no_secret`, `signature_mismatch`, `inactive`, `event_not_enabled` or `branch_mismatch`.
    pub outcome: String,
    /// The run it started.
    pub run_id: Option<i64>,
}

/// A recorded delivery: why a push did or did not build.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowWebhookDelivery {
    /// Slipway's id of the record.
    pub id: i64,
    /// `github` or `gitlab`.
    pub provider: String,
    /// The provider's event name (`push`, `Push Hook` …).
    pub event: String,
    /// The provider's delivery id, when it sent one.
    pub delivery_id: Option<String>,
    /// Whether a pipeline's secret proved it.
    pub verified: bool,
    /// `started`, `ping`, `no_match`, `ignored`, `duplicate` or `rejected`.
    pub outcome: String,
    /// Why nothing started, when nothing did.
    pub reason: Option<String>,
    /// The repository, as Slipway matches it (`host/owner/name`).
    pub repository: Option<String>,
    /// The branch or tag.
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// The commit.
    pub commit: Option<String>,
    /// When it arrived (RFC 3339).
    pub received_at: String,
    /// What it did to each of your pipelines.
    pub pipelines: Vec<AnsFlowDeliveryPipeline>,
}

impl From<(DeliveryRecord, Vec<DeliveryPipeline>)> for AnsFlowWebhookDelivery {
    fn from((d, pipelines): (DeliveryRecord, Vec<DeliveryPipeline>)) -> Self {
        Self {
            id: d.id,
            provider: d.provider,
            event: d.event,
            delivery_id: d.delivery_id,
            verified: d.verified,
            outcome: d.outcome,
            reason: d.reason,
            repository: d.repository,
            git_ref: d.git_ref,
            commit: d.commit_sha,
            received_at: rfc3339(d.received_at),
            pipelines: pipelines
                .into_iter()
                .map(|p| AnsFlowDeliveryPipeline { pipeline_id: p.pipeline_id, outcome: p.outcome, run_id: p.run_id })
                .collect(),
        }
    }
}
