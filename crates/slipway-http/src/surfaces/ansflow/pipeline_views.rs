//! AnsFlow's pipeline bodies: a pipeline with its creator, step count and latest run, as DRF serializes it.
//! Secrets are never rendered: secret variables show `***`, the credential and webhook secret `has_…`.

use serde::Serialize;
use serde_json::Value;
use slipway_core::time::rfc3339;
use slipway_delivery::PipelineRecord;
use slipway_delivery::pipelines::model::public_variables;
use utoipa::ToSchema;

/// Who created a pipeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowCreatedBy {
    /// The user's id.
    pub id: i64,
    /// Their username.
    pub username: String,
}

/// A pipeline's latest run.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowLastRun {
    /// The run's id.
    pub id: i64,
    /// `pending`, `running`, `success`, `failed` or `cancelled`.
    pub status: String,
    /// When it started (RFC 3339).
    pub started_at: Option<String>,
    /// When it finished (RFC 3339).
    pub finished_at: Option<String>,
}

/// A step of a pipeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowStep {
    /// Its name.
    pub name: String,
    /// Its step type's id.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its configuration.
    #[schema(value_type = Object)]
    pub config: Value,
}

/// A variable of a pipeline; a secret one's value is `***`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowVariable {
    /// Its name.
    pub name: String,
    /// Its value (`***` for a secret).
    pub value: String,
    /// Whether it is secret.
    pub secret: bool,
}

/// A pipeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowPipeline {
    /// Its id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// `active` or `inactive`.
    pub status: String,
    /// The repository's URL.
    pub repository_url: String,
    /// The default branch.
    pub branch: String,
    /// What triggers it: `push`, `pull_request`, `tag`, `manual`, `schedule`.
    pub trigger_events: Vec<String>,
    /// Its steps.
    pub steps: Vec<AnsFlowStep>,
    /// Its variables.
    pub variables: Vec<AnsFlowVariable>,
    /// The cron expression it runs on.
    pub schedule: Option<String>,
    /// Whether its steps may use the network.
    pub network: bool,
    /// Whether a repository credential is stored.
    pub has_repository_credential: bool,
    /// Whether a webhook secret is stored.
    pub has_webhook_secret: bool,
    /// Its creator.
    pub created_by: AnsFlowCreatedBy,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
    /// How many steps it has.
    pub steps_count: usize,
    /// Its latest run.
    pub last_run: Option<AnsFlowLastRun>,
}

impl From<&PipelineRecord> for AnsFlowPipeline {
    fn from(p: &PipelineRecord) -> Self {
        let steps = p
            .steps
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|s| AnsFlowStep {
                        name: s["name"].as_str().unwrap_or_default().to_owned(),
                        kind: s["type"].as_str().unwrap_or_default().to_owned(),
                        config: s.get("config").cloned().unwrap_or(Value::Null),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let last_run = p.last_run_id.map(|id| AnsFlowLastRun {
            id,
            status: p.last_run_status.clone().unwrap_or_else(|| "pending".into()),
            started_at: p.last_run_started_at.map(rfc3339),
            finished_at: p.last_run_finished_at.map(rfc3339),
        });
        Self {
            id: p.id,
            name: p.name.clone(),
            description: p.description.clone(),
            status: if p.is_active { "active" } else { "inactive" }.into(),
            repository_url: p.repository_url.clone(),
            branch: p.branch.clone(),
            trigger_events: serde_json::from_value(p.trigger_events.clone()).unwrap_or_default(),
            steps,
            variables: public_variables(p)
                .into_iter()
                .map(|(name, value, secret)| AnsFlowVariable { name, value, secret })
                .collect(),
            schedule: p.schedule.clone(),
            network: p.network,
            has_repository_credential: p.repository_credential.is_some(),
            has_webhook_secret: p.webhook_secret.is_some(),
            created_by: AnsFlowCreatedBy { id: p.user_id, username: p.created_by_username.clone() },
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
            steps_count: p.steps_count(),
            last_run,
        }
    }
}
