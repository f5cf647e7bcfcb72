//! What every agent executor shares: the LLM service, the store, and the start of a job (its owner's LLM chain,
//! its workspace), plus the snapshot of the files it produced.

use serde::Serialize;
use serde_json::Value;
use slipway_engine::{JobContext, JobFailure};
use slipway_llm::{Chain, Llm};
use slipway_store::Db;

use crate::agent::JobRun;
use crate::workspace::Workspace;

/// Bytes of file content kept in a job's output (workspaces are removed when jobs finish).
pub const KEPT_CONTENT: usize = 512 * 1024;

/// The services agent executors use.
#[derive(Clone)]
pub struct Runtime {
    /// LLM calls.
    pub llm: Llm,
    /// Activities, gate checks, plans.
    pub db: Db,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}

/// A file a job produced, with its content while the job's budget lasts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProducedFile {
    /// Path in the workspace.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// The text, when it fit in the output.
    pub content: Option<String>,
}

impl Runtime {
    /// The owner's LLM chain and the job's workspace; failing fast (no retry) when either is missing.
    pub async fn start(&self, ctx: &JobContext) -> Result<(Chain, Workspace), JobFailure> {
        let owner = ctx.owner_id().ok_or_else(|| JobFailure::fatal("agent jobs need an owner"))?;
        let chain = self.llm.chain_for(owner).await.map_err(|e| JobFailure::fatal(e.to_string()))?;
        let workspace = Workspace::new(ctx.workspace())
            .map_err(|e| JobFailure::fatal(format!("cannot prepare the workspace: {e}")))?;
        Ok((chain, workspace))
    }

    /// The view agents of one job share; `use_cache` lets the LLM response cache answer their calls.
    pub fn job<'a>(&'a self, ctx: &'a JobContext, chain: &'a Chain, use_cache: bool) -> JobRun<'a> {
        JobRun { ctx, chain, llm: &self.llm, db: &self.db, use_cache }
    }
}

/// The files in the workspace, with contents up to [`KEPT_CONTENT`] bytes in all.
pub async fn produced_files(workspace: &Workspace) -> Vec<ProducedFile> {
    let mut budget = KEPT_CONTENT;
    let mut out = Vec::new();
    for f in workspace.list("").await.unwrap_or_default() {
        let content = match usize::try_from(f.size) {
            Ok(size) if size <= budget => workspace.read(&f.path).await.ok(),
            _ => None,
        };
        if let Some(c) = &content {
            budget -= c.len();
        }
        out.push(ProducedFile { path: f.path, size: f.size, content });
    }
    out
}

/// `path (size bytes)` lines for a report.
pub fn file_lines(files: &[ProducedFile]) -> String {
    if files.is_empty() {
        return "  (none)".into();
    }
    files.iter().map(|f| format!("  - {} ({} bytes)", f.path, f.size)).collect::<Vec<_>>().join("\n")
}

/// A string field of a JSON value, or "".
pub fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}
