//! What a deployment asked for, as stored with it (JSON): the source, the steps and how servers are taken, and
//! the names of the steps each server goes through.

use serde::{Deserialize, Serialize};

/// Where a release comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Source {
    /// A git repository's ref, cloned on the Slipway host and archived (`git archive`).
    Git {
        /// The repository URL (or, for administrators, a local path).
        repository: String,
        /// A branch, tag or commit.
        #[serde(rename = "ref")]
        git_ref: String,
    },
    /// The artifacts of an AnsFlow pipeline run.
    Artifacts {
        /// The run.
        pipeline_run_id: i64,
    },
    /// No new release: the servers of an earlier deployment switch back to the release before its.
    Rollback {
        /// The deployment undone.
        deployment_id: i64,
    },
}

/// How servers are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// One after the other; the first failure skips the rest.
    Sequential,
    /// `batch_size` at once; a batch with a failure skips the batches after it.
    Batch,
}

impl Strategy {
    /// As the API names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sequential => "sequential",
            Self::Batch => "batch",
        }
    }
}

/// How a release is checked once it is `current`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthCheck {
    /// An HTTP(S) URL fetched from the server itself (curl, else wget); success is a 2xx/3xx answer.
    Url(String),
    /// A command run in the new release's directory; success is exit status 0.
    Command(String),
}

/// Everything a deployment runs, besides its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spec {
    /// How servers are taken.
    pub strategy: Strategy,
    /// Servers at once with [`Strategy::Batch`] (1 with sequential).
    pub batch_size: usize,
    /// The absolute remote directory holding `releases/` and `current`.
    pub deploy_path: String,
    /// Run in the new release's directory before `deploy`.
    pub pre_deploy: Option<String>,
    /// Run in the new release's directory before the switch.
    pub deploy: Option<String>,
    /// Run in the new release's directory after the switch.
    pub post_deploy: Option<String>,
    /// Checks the new release after the switch.
    pub health_check: Option<HealthCheck>,
    /// Run after switching back (a failure, or a rollback).
    pub rollback: Option<String>,
    /// Seconds each step may take.
    pub timeout_secs: u64,
    /// Releases kept on each server (older ones are removed).
    pub keep_releases: u32,
}

/// The steps of a deployment on each server, in order (switching back and the rollback command are added
/// when a server fails).
pub fn plan(source: &Source, spec: &Spec) -> Vec<&'static str> {
    if let Source::Rollback { .. } = source {
        let mut steps = vec!["switch"];
        if spec.rollback.is_some() {
            steps.push("rollback");
        }
        return steps;
    }
    let mut steps = vec!["upload"];
    if spec.pre_deploy.is_some() {
        steps.push("pre_deploy");
    }
    if spec.deploy.is_some() {
        steps.push("deploy");
    }
    steps.push("switch");
    if spec.post_deploy.is_some() {
        steps.push("post_deploy");
    }
    if spec.health_check.is_some() {
        steps.push("health_check");
    }
    steps.push("prune");
    steps
}
