//! Perfect21's hook installation answer: `{success, output, error}` and the group installed.

use serde::Serialize;
use slipway_delivery::git::Outcome;
use utoipa::ToSchema;

/// `POST /hooks/install` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21HooksInstalled {
    /// Whether every hook of the group is installed.
    pub success: bool,
    /// Each hook and what happened to it (installed, already installed, kept, replaced).
    pub output: String,
    /// Why not (existing hooks kept without `force`).
    pub error: Option<String>,
    /// The group.
    pub hook_group: &'static str,
}

impl P21HooksInstalled {
    /// The answer for `group`'s installation.
    pub fn new(o: Outcome, hook_group: &'static str) -> Self {
        Self { success: o.success, output: o.output, error: o.error, hook_group }
    }
}
