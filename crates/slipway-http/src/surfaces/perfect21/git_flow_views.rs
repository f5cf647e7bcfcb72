//! Perfect21's git-flow and hook answers: `{success, output, error}`.

use serde::Serialize;
use slipway_delivery::git::Outcome;
use utoipa::ToSchema;

/// `POST /workflow` body: what the git-flow action did, or why it failed (with the repository as it was).
#[derive(Debug, Serialize, ToSchema)]
pub struct P21GitOutcome {
    /// Whether the action did what was asked.
    pub success: bool,
    /// What was done, as git-flow prints it, with git's own output.
    pub output: String,
    /// Why it failed (a dirty tree, a conflict and its files, a branch that exists, …).
    pub error: Option<String>,
}

impl From<Outcome> for P21GitOutcome {
    fn from(o: Outcome) -> Self {
        Self { success: o.success, output: o.output, error: o.error }
    }
}
