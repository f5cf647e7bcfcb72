//! `artifact_upload`: the workspace's files matching the `paths` globs (relative to the workspace, or to
//! `working_dir`) become artifacts of the run: each is streamed into the file store (content-addressed) and
//! recorded. Symbolic links are skipped and every file is checked to be the one the walk saw, so nothing
//! outside the workspace can be uploaded.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSetBuilder};
use serde_json::{Value, json};
use slipway_store::delivery::NewArtifact;
use tokio_util::io::ReaderStream;

use super::{StepContext, StepFuture, StepKind, StepOutcome};

/// The most files one step uploads.
pub const MAX_ARTIFACT_FILES: usize = 1000;

/// Stores files as artifacts.
#[derive(Debug, Clone, Copy)]
pub struct ArtifactUpload;

/// A file the walk found: its path relative to the workspace, and its device and inode.
struct Found {
    relative: String,
    absolute: PathBuf,
    dev: u64,
    ino: u64,
}

/// The regular files under `root` whose path relative to `base` matches one of `patterns` (walked off the
/// runtime's threads).
async fn find(workspace: PathBuf, base: PathBuf, patterns: Vec<String>) -> Result<Vec<Found>, String> {
    tokio::task::spawn_blocking(move || {
        let mut set = GlobSetBuilder::new();
        for p in &patterns {
            let glob = Glob::new(p).map_err(|e| format!("invalid glob {p:?}: {e}"))?;
            set.add(glob);
        }
        let set = set.build().map_err(|e| format!("invalid globs: {e}"))?;
        let mut found = Vec::new();
        for entry in walkdir::WalkDir::new(&base).follow_links(false).into_iter().filter_map(Result::ok) {
            if !entry.file_type().is_file() || entry.path().components().any(|c| c.as_os_str() == ".git") {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(&base) else { continue };
            if !set.is_match(rel) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            let relative = entry.path().strip_prefix(&workspace).unwrap_or(rel).to_string_lossy().into_owned();
            found.push(Found { relative, absolute: entry.path().to_path_buf(), dev: meta.dev(), ino: meta.ino() });
            if found.len() > MAX_ARTIFACT_FILES {
                return Err(format!("more than {MAX_ARTIFACT_FILES} files match"));
            }
        }
        found.sort_by(|a, b| a.relative.cmp(&b.relative));
        Ok(found)
    })
    .await
    .map_err(|e| format!("the file walk failed: {e}"))?
}

/// Opens the file the walk saw (not whatever replaced it since) and streams it into the file store.
async fn store(step: &StepContext<'_>, f: &Found) -> Result<NewArtifact, String> {
    let file = tokio::fs::File::open(&f.absolute).await.map_err(|e| format!("cannot open {}: {e}", f.relative))?;
    let meta = file.metadata().await.map_err(|e| format!("cannot read {}: {e}", f.relative))?;
    if !meta.is_file() || meta.dev() != f.dev || meta.ino() != f.ino {
        return Err(format!("{} changed while it was being uploaded", f.relative));
    }
    let limit = step.services.max_artifact_bytes;
    let blob = step
        .services
        .blobs
        .put_stream(ReaderStream::new(file), limit)
        .await
        .map_err(|e| format!("cannot store {}: {e}", f.relative))?;
    Ok(NewArtifact {
        step_index: i32::try_from(step.index).unwrap_or(i32::MAX),
        path: f.relative.clone(),
        size: i64::try_from(blob.size).unwrap_or(i64::MAX),
        sha256: blob.sha256,
    })
}

fn patterns(config: &Value) -> Vec<String> {
    match config.get("paths") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

impl StepKind for ArtifactUpload {
    fn id(&self) -> &'static str {
        "artifact_upload"
    }

    fn name(&self) -> &'static str {
        "Artifact Upload"
    }

    fn description(&self) -> &'static str {
        "上传构建产物"
    }

    fn category(&self) -> &'static str {
        "artifacts"
    }

    fn icon(&self) -> &'static str {
        "upload"
    }

    fn config_schema(&self) -> Value {
        let glob = json!({"type": "string", "minLength": 1, "maxLength": 1024});
        json!({
            "type": "object",
            "properties": {
                "paths": {"title": "文件匹配（glob）", "oneOf": [
                    glob, {"type": "array", "items": glob, "minItems": 1, "maxItems": 50}
                ]},
                "working_dir": {"type": "string", "title": "工作目录", "maxLength": 1024},
                "fail_if_empty": {"type": "boolean", "title": "无匹配文件时失败", "default": true}
            },
            "required": ["paths"]
        })
    }

    fn run<'a>(&'a self, step: &'a StepContext<'a>) -> StepFuture<'a> {
        Box::pin(async move {
            let base = match step.working_dir() {
                Ok(b) => b,
                Err(why) => return StepOutcome::failed(why),
            };
            let patterns = patterns(step.config);
            if patterns.iter().any(|p| Path::new(p).is_absolute() || p.split('/').any(|s| s == "..")) {
                return StepOutcome::failed("artifact paths must be relative to the workspace, without '..'");
            }
            let found = match find(step.job.workspace().to_path_buf(), base, patterns).await {
                Ok(f) => f,
                Err(why) => return StepOutcome::failed(why),
            };
            let fail_if_empty = step.config.get("fail_if_empty").and_then(Value::as_bool).unwrap_or(true);
            if found.is_empty() && fail_if_empty {
                return StepOutcome::failed("no file matches the artifact paths");
            }
            let mut stored = Vec::with_capacity(found.len());
            for f in &found {
                if step.job.cancellation().is_cancelled() {
                    return StepOutcome { status: super::StepStatus::Cancelled, ..StepOutcome::failed("cancelled") };
                }
                match store(step, f).await {
                    Ok(a) => {
                        step.log(&format!("stored {} ({} bytes, sha256 {})", a.path, a.size, a.sha256)).await;
                        stored.push(a);
                    }
                    Err(why) => return StepOutcome::failed(why),
                }
            }
            if let Err(e) = step.services.db.insert_artifacts(step.run_id, &stored, slipway_core::time::now()).await {
                return StepOutcome::failed(format!("cannot record the artifacts: {e}"));
            }
            StepOutcome::success()
        })
    }
}
