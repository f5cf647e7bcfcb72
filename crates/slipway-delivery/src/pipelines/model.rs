//! What clients send to the pipeline service and what it answers beyond the store's records.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;
use slipway_core::Error;
use slipway_store::delivery::{ArtifactRecord, PipelineRecord, PipelineRunRecord, RunStepRecord};

pub use super::secrets::VariableInput;

/// A step as a client sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepInput {
    /// Its name.
    pub name: String,
    /// Its type's id (`shell_command`).
    pub kind: String,
    /// Its configuration, checked against the type's schema.
    pub config: Value,
}

/// A pipeline's fields as a client sends them; `None` is "not sent" (PUT fills defaults, PATCH keeps).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipelineInput {
    /// Name (required on create and PUT), 1–255 characters.
    pub name: Option<String>,
    /// Description, up to 5,000 characters.
    pub description: Option<String>,
    /// The repository's URL.
    pub repository_url: Option<String>,
    /// The default branch (`main`).
    pub branch: Option<String>,
    /// `push`, `pull_request`, `tag`, `manual`, `schedule`.
    pub trigger_events: Option<Vec<String>>,
    /// Steps.
    pub steps: Option<Vec<StepInput>>,
    /// Variables exported to every step (secret ones sealed).
    pub variables: Option<Vec<VariableInput>>,
    /// The repository credential (a token or `user:password`); `Some(None)` removes it.
    pub repository_credential: Option<Option<String>>,
    /// The webhook secret; `Some(None)` removes it.
    pub webhook_secret: Option<Option<String>>,
    /// A cron expression to run on; `Some(None)` removes it.
    pub schedule: Option<Option<String>>,
    /// Whether steps may use the network.
    pub network: Option<bool>,
    /// Whether it is active (`status` `active`/`inactive`).
    pub is_active: Option<bool>,
}

/// Which pipelines to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipelineQuery {
    /// Substring of the name or description.
    pub search: Option<String>,
    /// `active` or `inactive`.
    pub status: Option<String>,
    /// The creator's id.
    pub created_by: Option<i64>,
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return.
    pub limit: i64,
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerKind {
    /// A person, by hand.
    Manual,
    /// A pushed branch.
    Push,
    /// A pull (merge) request.
    PullRequest,
    /// A pushed tag.
    Tag,
    /// The pipeline's schedule.
    Schedule,
    /// A restart of an earlier run.
    Restart,
}

impl TriggerKind {
    /// Every kind.
    pub const ALL: [Self; 6] = [Self::Manual, Self::Push, Self::PullRequest, Self::Tag, Self::Schedule, Self::Restart];

    /// As stored and rendered.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Push => "push",
            Self::PullRequest => "pull_request",
            Self::Tag => "tag",
            Self::Schedule => "schedule",
            Self::Restart => "restart",
        }
    }
}

impl fmt::Display for TriggerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TriggerKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::invalid_field("trigger", "value_error", format!("unknown trigger {s:?}")))
    }
}

/// The events a pipeline may be triggered by (`trigger_events`).
pub const TRIGGER_EVENTS: [&str; 5] = ["push", "pull_request", "tag", "manual", "schedule"];

/// What started a run, for [`crate::Pipelines::start_run_system`].
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    /// Its kind.
    pub kind: TriggerKind,
    /// The user it is attributed to.
    pub by: Option<i64>,
    /// The event's details (pusher, ref, pull request number …).
    pub details: Value,
    /// The webhook delivery id.
    pub delivery_id: Option<String>,
}

/// A run as `GET /api/pipeline-runs/{id}/` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunDetail {
    /// The run.
    pub run: PipelineRunRecord,
    /// Its pipeline's name.
    pub pipeline_name: String,
    /// Its steps.
    pub steps: Vec<RunStepRecord>,
    /// Its variables, secret values as `***`.
    pub variables: Vec<(String, String)>,
    /// Its artifacts.
    pub artifacts: Vec<ArtifactRecord>,
}

/// A page of items and how many match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed<T> {
    /// This page.
    pub items: Vec<T>,
    /// Matches in all.
    pub total: i64,
}

/// A pipeline's public variables: `(name, value or ***, secret)`.
pub fn public_variables(p: &PipelineRecord) -> Vec<(String, String, bool)> {
    super::secrets::stored(&p.variables)
        .into_iter()
        .map(|v| {
            let shown = if v.secret { super::secrets::MASK.to_owned() } else { v.value.unwrap_or_default() };
            (v.name, shown, v.secret)
        })
        .collect()
}
