//! A release made on the Slipway host: the ref of a git repository fetched (depth 1) into the job's workspace
//! with the `git` command and written out with `git archive` as one tar file, which each server's upload then
//! streams from disk. For owners who are not administrators the repository is an `http(s)` URL the outbound
//! policy allows (checked again here, resolved, and git is held to those protocols with `GIT_ALLOW_PROTOCOL`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use slipway_core::Principal;
use slipway_outbound::{HostLookupError, OutboundPolicy};
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
}
