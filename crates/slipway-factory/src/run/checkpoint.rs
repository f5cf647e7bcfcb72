//! A run's checkpoint: the stages it completed, each with what it produced. Stored on the project (and read
//! by the next attempt or a resumed run) after the stage's files are saved, before the next stage starts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::stages::Stage;

/// What one completed stage produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageResult {
    /// The stage's name.
    pub stage: String,
    /// The agent's closing report.
    pub summary: String,
    /// How long the stage took, milliseconds.
    pub duration_ms: u64,
    /// Tokens its LLM calls used.
    pub tokens_used: u64,
    /// The project files it wrote or changed.
    pub files: Vec<String>,
    /// What the stage measured or handed over (test results and coverage, the review's score …).
    #[serde(default)]
    pub data: Value,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
}

/// The stages a run has completed, in the order they completed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Completed stages.
    pub completed: Vec<StageResult>,
}

impl Checkpoint {
    /// The checkpoint stored on a project (anything unreadable counts as none).
    pub fn from_stored(value: Option<&Value>) -> Self {
        value.and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default()
    }

    /// The stored form.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Whether `stage` is done.
    pub fn has(&self, stage: Stage) -> bool {
        self.completed.iter().any(|r| r.stage == stage.name())
    }

    /// The result of `stage`, when it is done.
    pub fn result(&self, stage: Stage) -> Option<&StageResult> {
        self.completed.iter().find(|r| r.stage == stage.name())
    }

    /// The last stage completed (the one a resumed run carries on after).
    pub fn last_stage(&self) -> Option<&str> {
        self.completed.last().map(|r| r.stage.as_str())
    }

    /// Whether every stage is done.
    pub fn is_complete(&self) -> bool {
        Stage::ALL.iter().all(|s| self.has(*s))
    }
}
