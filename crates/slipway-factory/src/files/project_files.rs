//! Writing versions and moving a project's files between the file store and a run's workspace.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};
use slipway_core::Error;
use slipway_files::BlobStore;
use slipway_store::Db;
use slipway_store::factory::{FileRecord, NewFileVersion};
use tokio::io::AsyncWriteExt;

/// Blobs read or written at once when a workspace is filled or captured.
const CONCURRENCY: usize = 8;
/// Directories of a workspace that are build output or tool state, never project files.
const SKIPPED_DIRS: [&str; 9] =
    [".git", "node_modules", "__pycache__", ".venv", "venv", "target", ".pytest_cache", ".mypy_cache", "dist"];
/// The most files one capture takes from a workspace.
pub const MAX_CAPTURED: usize = 5000;

/// Whether `path` (relative, `/`-separated) lies under build output or tool state (`.git`, `node_modules`,
/// `__pycache__` …): never a project file.
pub fn is_tool_output(path: &str) -> bool {
    path.split('/').rev().skip(1).any(|dir| SKIPPED_DIRS.contains(&dir))
}

/// What a capture wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Captured {
    /// Files with a new version (new files at version 1).
    pub written: Vec<FileRecord>,
    /// Files the workspace holds that are the same as stored.
    pub unchanged: usize,
    /// Files left out: too large, or past [`MAX_CAPTURED`].
    pub skipped: Vec<String>,
}

/// Project files on the store and the file store.
#[derive(Debug, Clone)]
pub struct ProjectFiles {
    db: Db,
    blobs: BlobStore,
    max_bytes: u64,
}

/// The media type of a file by its name (the allow list's, else `mime_guess`'s); text of unknown kinds is
/// `text/plain`.
pub fn mime_of(path: &str, looks_textual: bool) -> String {
    if let Some(t) = super::types::file_type(path) {
        return t.mime.to_owned();
    }
    match mime_guess::from_path(path).first() {
        Some(m) => m.essence_str().to_owned(),
        None if looks_textual => "text/plain".to_owned(),
        None => "application/octet-stream".to_owned(),
    }
}

impl ProjectFiles {
    /// Files on `db` and `blobs`; no version may be larger than `max_bytes`.
    pub fn new(db: Db, blobs: BlobStore, max_bytes: u64) -> Self {
        Self { db, blobs, max_bytes }
    }

    /// The file store.
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// The largest version accepted, bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Streams `body` to the file store and writes it as the next version of `path` (version 1 of a new file
    /// in `category`). `path` must already be normalized. Past the size limit: `PayloadTooLarge`, nothing kept.
    #[allow(clippy::too_many_arguments)]
    pub async fn write_stream<S, E>(
        &self,
        project_id: i64,
        path: &str,
        category: &str,
        mime_type: Option<String>,
        body: S,
        created_by: Option<i64>,
        restored_from: Option<i32>,
    ) -> Result<FileRecord, Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let blob = self.blobs.put_stream(body, self.max_bytes).await?;
        let version = NewFileVersion {
            project_id,
            path: path.to_owned(),
            category: category.to_owned(),
            mime_type: mime_type.unwrap_or_else(|| mime_of(path, true)),
            sha256: blob.sha256,
            size: i64::try_from(blob.size).unwrap_or(i64::MAX),
            created_by,
            restored_from,
        };
        let (file, _) = self.db.write_file_version(&version, false, slipway_core::time::now()).await?;
        Ok(file)
    }

    /// Writes `content` as the next version of `path` unless it equals the current one (then the file is
    /// answered as it is, with `false`).
    pub async fn write_bytes(
        &self,
        project_id: i64,
        path: &str,
        category: &str,
        content: Bytes,
        created_by: Option<i64>,
    ) -> Result<(FileRecord, bool), Error> {
        let textual = std::str::from_utf8(&content).is_ok();
        let blob = self.blobs.put_stream(stream::iter([Ok::<_, std::io::Error>(content)]), self.max_bytes).await?;
        let version = NewFileVersion {
            project_id,
            path: path.to_owned(),
            category: category.to_owned(),
            mime_type: mime_of(path, textual),
            sha256: blob.sha256,
            size: i64::try_from(blob.size).unwrap_or(i64::MAX),
            created_by,
            restored_from: None,
        };
        Ok(self.db.write_file_version(&version, true, slipway_core::time::now()).await?)
    }

    /// Writes the current version of every file of the project into `dir` (a run's workspace), replacing what
    /// is there under those paths; answers how many.
    pub async fn materialize(&self, project_id: i64, dir: &Path) -> Result<usize, Error> {
        let files = self.db.project_files(project_id).await?;
        let count = files.len();
        stream::iter(files)
            .map(|f| async move {
                let target = dir.join(&f.path);
                if let Some(parent) = target.parent() {
                    tokio::fs::create_dir_all(parent).await.map_err(io)?;
                }
                let (_, mut body) = self.blobs.get_stream(&f.sha256).await?;
                let mut out = tokio::fs::File::create(&target).await.map_err(io)?;
                while let Some(chunk) = body.try_next().await? {
                    out.write_all(&chunk).await.map_err(io)?;
                }
                out.flush().await.map_err(io)?;
                Ok::<_, Error>(())
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect::<()>()
            .await?;
        Ok(count)
    }

    /// Stores every file of `dir` whose content differs from the project's current version as a new version
    /// (new files in `category`), written by `created_by`. Build output and tool state (`.git`,
    /// `node_modules`, …) are not project files.
    pub async fn capture(
        &self,
        project_id: i64,
        dir: &Path,
        category: &str,
        created_by: Option<i64>,
    ) -> Result<Captured, Error> {
        let stored: HashMap<String, String> =
            self.db.project_files(project_id).await?.into_iter().map(|f| (f.path, f.sha256)).collect();
        let root = dir.to_path_buf();
        let max = self.max_bytes;
        let (found, mut skipped) = tokio::task::spawn_blocking(move || walk(&root, max))
            .await
            .map_err(|e| Error::Internal(format!("workspace walk: {e}")))?;
        let results: Vec<Option<FileRecord>> = stream::iter(found)
            .map(|(rel, abs)| {
                let stored = stored.get(&rel).cloned();
                async move {
                    let content = tokio::fs::read(&abs).await.map_err(io)?;
                    if stored.as_deref() == Some(hex_sha256(&content).as_str()) {
                        return Ok::<_, Error>(None);
                    }
                    let (file, written) =
                        self.write_bytes(project_id, &rel, category, Bytes::from(content), created_by).await?;
                    Ok(written.then_some(file))
                }
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let unchanged = results.iter().filter(|r| r.is_none()).count();
        let mut written: Vec<FileRecord> = results.into_iter().flatten().collect();
        written.sort_by(|a, b| a.path.cmp(&b.path));
        skipped.sort();
        Ok(Captured { written, unchanged, skipped })
    }

    /// Like [`Self::capture`], but only for `paths` of `dir` (relative, `/`-separated): what one piece of work
    /// wrote while others worked in the same directory. Paths that are missing, not regular files, outside the
    /// project, build output or larger than the limit are named in `skipped`.
    pub async fn capture_paths(
        &self,
        project_id: i64,
        dir: &Path,
        paths: &[String],
        category: &str,
        created_by: Option<i64>,
    ) -> Result<Captured, Error> {
        let stored: HashMap<String, String> =
            self.db.project_files(project_id).await?.into_iter().map(|f| (f.path, f.sha256)).collect();
        let mut out = Captured::default();
        for path in paths {
            let rel = match super::normalize_path(path, "path") {
                Ok(rel) if !is_tool_output(&rel) => rel,
                _ => {
                    out.skipped.push(path.clone());
                    continue;
                }
            };
            let abs = dir.join(&rel);
            match tokio::fs::symlink_metadata(&abs).await {
                Ok(meta) if meta.is_file() && meta.len() <= self.max_bytes => {}
                _ => {
                    out.skipped.push(rel);
                    continue;
                }
            }
            let content = tokio::fs::read(&abs).await.map_err(io)?;
            if stored.get(&rel).map(String::as_str) == Some(hex_sha256(&content).as_str()) {
                out.unchanged += 1;
                continue;
            }
            let (file, written) =
                self.write_bytes(project_id, &rel, category, Bytes::from(content), created_by).await?;
            if written {
                out.written.push(file);
            } else {
                out.unchanged += 1;
            }
        }
        out.written.sort_by(|a, b| a.path.cmp(&b.path));
        out.skipped.sort();
        Ok(out)
    }

    /// Removes the blobs of `digests` that no version uses any more (after files or projects were deleted).
    /// Failures are logged: a blob left behind costs space, never correctness.
    pub async fn release(&self, digests: &[String]) {
        let unused = match self.db.unused_blobs(digests).await {
            Ok(u) => u,
            Err(e) => {
                tracing::warn!("cannot tell which blobs are unused: {e}");
                return;
            }
        };
        for sha in unused {
            if let Err(e) = self.blobs.delete(&sha).await {
                tracing::warn!(sha256 = %sha, "cannot remove an unused blob: {e}");
            }
        }
    }
}

fn io(e: std::io::Error) -> Error {
    Error::Internal(format!("workspace: {e}"))
}

/// The SHA-256 of `content`, lowercase hex.
pub fn hex_sha256(content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The regular files under `root` (relative path, absolute path), skipping build output; files larger than
/// `max` and those past [`MAX_CAPTURED`] are named in the second list.
fn walk(root: &Path, max: u64) -> (Vec<(String, PathBuf)>, Vec<String>) {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            let path = entry.path();
            let name = entry.file_name();
            if kind.is_dir() {
                if !SKIPPED_DIRS.iter().any(|s| name == *s) {
                    stack.push(path);
                }
                continue;
            }
            if !kind.is_file() {
                continue;
            }
            let Ok(rel) = path.strip_prefix(root) else { continue };
            let rel = rel.to_string_lossy().replace('\\', "/");
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            if size > max || found.len() >= MAX_CAPTURED {
                skipped.push(rel);
            } else {
                found.push((rel, path));
            }
        }
    }
    (found, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_output_is_told_by_its_directories() {
        assert!(is_tool_output("tests/__pycache__/test_calc.cpython-311.pyc"));
        assert!(is_tool_output("web/node_modules/react/index.js"));
        assert!(!is_tool_output("src/target.py") && !is_tool_output("node_modules") && !is_tool_output("docs/dist.md"));
    }
}
