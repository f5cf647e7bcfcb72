//! A release made on the Slipway host as one tar file in the job's workspace, which each server's upload then
//! streams from disk: the ref of a git repository fetched (depth 1) with the `git` command and written out with
//! `git archive`, or the artifacts of a pipeline run read from the file store and packed with `tar`. For owners
//! who are not administrators the repository is an `http(s)` URL the outbound policy allows (checked again here,
//! resolved, and git is held to those protocols with `GIT_ALLOW_PROTOCOL`).

use std::path::{Component, Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use futures_util::StreamExt;
use slipway_core::Principal;
use slipway_files::BlobStore;
use slipway_outbound::{HostLookupError, OutboundPolicy};
use slipway_store::Db;
use slipway_store::delivery::ArtifactRecord;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

/// The most of git's own words kept for an error.
const SAID_MAX: usize = 2000;

/// Whether `owner` may release `repository`: administrators any repository git reaches (local paths too);
/// everyone else an `http(s)` URL the outbound policy allows, its host resolving to addresses it allows.
pub(super) async fn check_repository(
    policy: &OutboundPolicy,
    owner: &Principal,
    repository: &str,
) -> Result<(), String> {
    if owner.is_admin() {
        return Ok(());
    }
    if !(repository.starts_with("https://") || repository.starts_with("http://")) {
        return Err("only administrators may deploy from local paths or non-HTTP repositories".into());
    }
    policy.check_url_to_save(repository, false).map_err(|r| r.message().to_owned())?;
    let url = url_parts(repository).ok_or_else(|| "the repository URL has no host".to_owned())?;
    match policy.resolve_host(&url.0, url.1, false).await {
        Ok(_) => Ok(()),
        Err(HostLookupError::Dns(m)) => Err(format!("{} does not resolve: {m}", url.0)),
        Err(HostLookupError::Refused(r)) => Err(r.message().to_owned()),
    }
}

/// The host and port of an `http(s)` URL.
fn url_parts(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let default = if scheme == "https" { 443 } else { 80 };
    if let Some(v6) = host_port.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = after.strip_prefix(':').and_then(|p| p.parse().ok()).unwrap_or(default);
        return Some((host.to_owned(), port));
    }
    match host_port.rsplit_once(':') {
        Some((h, p)) => Some((h.to_owned(), p.parse().ok()?)),
        None => Some((host_port.to_owned(), default)),
    }
    .filter(|(h, _)| !h.is_empty())
}

async fn git(
    dir: &Path,
    args: &[&str],
    admin: bool,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<(), String> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir).args(args);
    cmd.env("GIT_TERMINAL_PROMPT", "0").env("GIT_ASKPASS", "/bin/false").env("GIT_CONFIG_NOSYSTEM", "1");
    if !admin {
        cmd.env("GIT_ALLOW_PROTOCOL", "http:https");
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| format!("cannot run git: {e}"))?;
    let out = tokio::select! {
        out = tokio::time::timeout(timeout, child.wait_with_output()) => match out {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => return Err(format!("git failed: {e}")),
            Err(_) => return Err(format!("git {} took longer than {} s", args[0], timeout.as_secs())),
        },
        () = cancel.cancelled() => return Err("cancelled".into()),
    };
    if out.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&out.stderr);
    let said: String = said.trim().chars().take(SAID_MAX).collect();
    Err(format!("git {} failed: {said}", args[0]))
}

/// Fetches `git_ref` of `repository` into `<workspace>/source` and archives it as `<workspace>/release.tar`.
pub(super) async fn git_release(
    workspace: &Path,
    repository: &str,
    git_ref: &str,
    admin: bool,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<PathBuf, String> {
    let repo = workspace.join("source");
    let _ = tokio::fs::remove_dir_all(&repo).await;
    tokio::fs::create_dir_all(&repo).await.map_err(|e| format!("cannot create {}: {e}", repo.display()))?;
    git(&repo, &["init", "-q"], admin, timeout, cancel).await?;
    git(&repo, &["fetch", "-q", "--depth", "1", "--no-tags", "--", repository, git_ref], admin, timeout, cancel)
        .await?;
    let tar = workspace.join("release.tar");
    let out = tar.to_string_lossy().into_owned();
    git(&repo, &["archive", "--format=tar", "-o", &out, "FETCH_HEAD"], admin, timeout, cancel).await?;
    let _ = tokio::fs::remove_dir_all(&repo).await;
    Ok(tar)
}

/// The artifacts of pipeline run `run_id`, if `who` may see that run (its pipeline's owner, or an
/// administrator: the pipelines' rule) and it has any.
pub(super) async fn run_artifacts(db: &Db, who: &Principal, run_id: i64) -> Result<Vec<ArtifactRecord>, String> {
    let run = db.pipeline_run(run_id).await.map_err(|e| e.to_string())?;
    match run {
        Some(run) if who.may_access(run.owner_id) => {
            let artifacts = db.run_artifacts(run.id).await.map_err(|e| e.to_string())?;
            if artifacts.is_empty() {
                return Err(format!("pipeline run {run_id} has no artifacts"));
            }
            Ok(artifacts)
        }
        _ => Err(format!("pipeline run {run_id} does not exist")),
    }
}

/// Whether an artifact's stored path stays inside the directory it is written to.
fn inside(path: &str) -> bool {
    !path.is_empty() && Path::new(path).components().all(|c| matches!(c, Component::Normal(_)))
}

/// Copies one blob into `to`, stopping when cancelled.
async fn copy_blob(blobs: &BlobStore, sha256: &str, to: &Path, cancel: &CancellationToken) -> Result<(), String> {
    let (_, mut stream) = blobs.get_stream(sha256).await.map_err(|e| format!("artifact {sha256}: {e}"))?;
    if let Some(dir) = to.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut file = tokio::fs::File::create(to).await.map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    while let Some(chunk) = stream.next().await {
        if cancel.is_cancelled() {
            return Err("cancelled".into());
        }
        let chunk = chunk.map_err(|e| format!("artifact {sha256}: {e}"))?;
        file.write_all(&chunk).await.map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    }
    file.flush().await.map_err(|e| format!("cannot write {}: {e}", to.display()))
}

/// Writes a pipeline run's artifacts under `<workspace>/artifacts` at their stored paths and packs them into
/// `<workspace>/release.tar`.
pub(super) async fn artifacts_release(
    workspace: &Path,
    blobs: &BlobStore,
    artifacts: &[ArtifactRecord],
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<PathBuf, String> {
    let dir = workspace.join("artifacts");
    let _ = tokio::fs::remove_dir_all(&dir).await;
    tokio::fs::create_dir_all(&dir).await.map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for a in artifacts {
        if !inside(&a.path) {
            return Err(format!("artifact path {:?} leaves the release", a.path));
        }
        copy_blob(blobs, &a.sha256, &dir.join(&a.path), cancel).await?;
    }
    let tar = workspace.join("release.tar");
    let mut cmd = Command::new("tar");
    cmd.arg("-c").arg("-f").arg(&tar).arg("-C").arg(&dir).arg(".");
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| format!("cannot run tar: {e}"))?;
    let out = tokio::select! {
        out = tokio::time::timeout(timeout, child.wait_with_output()) => match out {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => return Err(format!("tar failed: {e}")),
            Err(_) => return Err(format!("tar took longer than {} s", timeout.as_secs())),
        },
        () = cancel.cancelled() => return Err("cancelled".into()),
    };
    if !out.status.success() {
        return Err(format!("tar failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    let _ = tokio::fs::remove_dir_all(&dir).await;
    Ok(tar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_their_host_and_port() {
        assert_eq!(url_parts("https://example.com/a.git"), Some(("example.com".into(), 443)));
        assert_eq!(url_parts("http://u:p@example.com:8080/a"), Some(("example.com".into(), 8080)));
        assert_eq!(url_parts("http://[::1]:81/a"), Some(("::1".into(), 81)));
        assert_eq!(url_parts("http:///a"), None);
    }

    #[test]
    fn artifact_paths_stay_inside() {
        assert!(inside("dist/app.js"));
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "./a"] {
            assert!(!inside(bad), "{bad:?}");
        }
    }
}
