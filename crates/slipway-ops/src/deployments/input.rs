//! What a deployment may be given: checked field by field into one validation error naming each problem, then
//! turned into the [`Spec`] and [`Source`] stored with it. Every value that reaches a remote shell is either
//! single-quoted (the deploy path, the health-check URL) or is a command the caller wrote for that shell.

use super::spec::{HealthCheck, Source, Spec, Strategy};
use crate::servers::input::{Problems, text};

/// Longest name, characters.
const NAME_MAX: usize = 100;
/// Most servers in one deployment.
pub const SERVERS_MAX: usize = 100;
/// Longest command, characters.
const COMMAND_MAX: usize = 10_000;
/// Longest deploy path, characters.
const PATH_MAX: usize = 1024;
/// Longest URL (repository, health check), characters.
const URL_MAX: usize = 2048;
/// Longest git ref, characters.
const REF_MAX: usize = 255;
/// A step's timeout when none is given, and the longest allowed, seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 600;
const TIMEOUT_MAX_SECS: i64 = 86_400;
/// Releases kept when nothing is said, and the most.
pub const DEFAULT_KEEP_RELEASES: u32 = 5;
const KEEP_MAX: i64 = 100;

/// A deployment's source, as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceInput {
    /// `git` or `artifacts`.
    pub kind: String,
    /// The git repository.
    pub repository: Option<String>,
    /// The git ref (default `HEAD`).
    pub git_ref: Option<String>,
    /// The pipeline run whose artifacts are released.
    pub pipeline_run_id: Option<i64>,
}

/// A health check, as given: exactly one of the two.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthCheckInput {
    /// A URL fetched from the server.
    pub url: Option<String>,
    /// A command run on the server.
    pub command: Option<String>,
}

/// A deployment to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewDeployment {
    /// A name for people.
    pub name: String,
    /// One server (joins `server_ids`).
    pub server_id: Option<i64>,
    /// The servers, in the order they are deployed to.
    pub server_ids: Vec<i64>,
    /// `sequential` (default) or `batch`.
    pub strategy: Option<String>,
    /// Servers at once with `batch`.
    pub batch_size: Option<i64>,
    /// Where the release comes from.
    pub source: Option<SourceInput>,
    /// Absolute remote directory for `releases/` and `current`.
    pub deploy_path: String,
    /// Command before `deploy`.
    pub pre_deploy: Option<String>,
    /// Command before the switch.
    pub deploy: Option<String>,
    /// Command after the switch.
    pub post_deploy: Option<String>,
    /// How the new release is checked.
    pub health_check: Option<HealthCheckInput>,
    /// Command after switching back.
    pub rollback: Option<String>,
    /// Seconds each step may take (default 600).
    pub timeout: Option<i64>,
    /// Releases kept on each server (default 5).
    pub keep_releases: Option<i64>,
}

/// The servers asked for, in order, without repeats.
pub(super) fn server_ids(p: &mut Problems, one: Option<i64>, many: &[i64]) -> Vec<i64> {
    let mut ids: Vec<i64> = Vec::new();
    for id in one.into_iter().chain(many.iter().copied()) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        p.add("server_ids", "missing", "give server_id or server_ids (at least one server)");
    } else if ids.len() > SERVERS_MAX {
        p.add("server_ids", "value_error", format!("a deployment takes at most {SERVERS_MAX} servers"));
    }
    ids
}

/// A command: `None` when blank; at most [`COMMAND_MAX`] characters, no NUL.
fn command(p: &mut Problems, field: &str, value: Option<&str>) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    if v.chars().count() > COMMAND_MAX {
        p.add(field, "value_error", format!("{field} is longer than {COMMAND_MAX} characters"));
    } else if v.contains('\0') {
        p.add(field, "value_error", format!("{field} may not contain NUL"));
    }
    Some(v.to_owned())
}

/// The deploy path: absolute, not `/`, no `.` or `..` components, no quotes, backslashes or control characters;
/// a trailing slash is dropped.
pub(super) fn deploy_path(p: &mut Problems, value: &str) -> String {
    let v = value.trim();
    let trimmed = v.trim_end_matches('/');
    let problem = if v.is_empty() {
        Some("deploy_path may not be blank")
    } else if !v.starts_with('/') {
        Some("deploy_path must be an absolute path")
    } else if trimmed.is_empty() {
        Some("deploy_path may not be the root directory")
    } else if v.chars().count() > PATH_MAX {
        Some("deploy_path is too long")
    } else if v.chars().any(|c| c.is_control() || matches!(c, '\'' | '"' | '\\' | '`')) {
        Some("deploy_path may not contain quotes, backslashes, newlines or other control characters")
    } else if trimmed.split('/').skip(1).any(|c| c.is_empty() || c == "." || c == "..") {
        Some("deploy_path may not contain empty, . or .. components")
    } else {
        None
    };
    if let Some(m) = problem {
        p.add("deploy_path", "value_error", m);
    }
    trimmed.to_owned()
}

fn safe_url(p: &mut Problems, field: &str, value: &str) -> String {
    let v = value.trim();
    if v.is_empty() {
        p.add(field, "missing", format!("{field} may not be blank"));
    } else if v.chars().count() > URL_MAX {
        p.add(field, "value_error", format!("{field} is longer than {URL_MAX} characters"));
    } else if v.chars().any(|c| c.is_control() || c.is_whitespace() || matches!(c, '\'' | '"' | '\\' | '`')) {
        p.add(field, "value_error", format!("{field} may not contain spaces, quotes or control characters"));
    }
    v.to_owned()
}

/// A git ref: letters, digits and `._/+@-`, not starting with `-` (git would read an option), no `..`.
fn git_ref(p: &mut Problems, value: Option<&str>) -> String {
    let v = value.map(str::trim).filter(|v| !v.is_empty()).unwrap_or("HEAD");
    let ok = v.len() <= REF_MAX
        && !v.starts_with('-')
        && !v.contains("..")
        && v.chars().all(|c| c.is_ascii_alphanumeric() || "._/+@-".contains(c));
    if !ok {
        p.add("source.ref", "value_error", "ref must be a branch, tag or commit (letters, digits, . _ / + @ -)");
    }
    v.to_owned()
}

/// The source, checked for form (the repository's address is checked against the outbound policy by the
/// service, which knows the caller).
pub(super) fn source(p: &mut Problems, value: Option<&SourceInput>) -> Option<Source> {
    let Some(s) = value else {
        p.add(
            "source",
            "missing",
            "give a source: {type: \"git\", repository, ref} or {type: \"artifacts\", pipeline_run_id}",
        );
        return None;
    };
    match s.kind.trim() {
        "git" => {
            let repository = safe_url(p, "source.repository", s.repository.as_deref().unwrap_or_default());
            if repository.starts_with('-') {
                p.add("source.repository", "value_error", "the repository may not start with -");
            }
            let git_ref = git_ref(p, s.git_ref.as_deref());
            Some(Source::Git { repository, git_ref })
        }
        "artifacts" => match s.pipeline_run_id {
            Some(id) if id > 0 => Some(Source::Artifacts { pipeline_run_id: id }),
            _ => {
                p.add("source.pipeline_run_id", "missing", "an artifacts source needs pipeline_run_id");
                None
            }
        },
        other => {
            p.add("source.type", "value_error", format!("source type is git or artifacts, not {other:?}"));
            None
        }
    }
}

fn health_check(p: &mut Problems, value: Option<&HealthCheckInput>) -> Option<HealthCheck> {
    let h = value?;
    let url = h.url.as_deref().map(str::trim).filter(|u| !u.is_empty());
    let cmd = command(p, "health_check.command", h.command.as_deref());
    match (url, cmd) {
        (Some(_), Some(_)) => {
            p.add("health_check", "value_error", "give health_check.url or health_check.command, not both");
            None
        }
        (Some(u), None) => {
            let u = safe_url(p, "health_check.url", u);
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                p.add("health_check.url", "value_error", "health_check.url must be an http:// or https:// URL");
            }
            Some(HealthCheck::Url(u))
        }
        (None, Some(c)) => Some(HealthCheck::Command(c)),
        (None, None) => None,
    }
}

fn bounded(p: &mut Problems, field: &str, value: Option<i64>, max: i64, default: i64) -> i64 {
    match value {
        None => default,
        Some(v) if (1..=max).contains(&v) => v,
        Some(v) => {
            p.add(field, "value_error", format!("{field} must be between 1 and {max}, got {v}"));
            default
        }
    }
}

/// The name, the stored spec and the source of a new deployment, or every problem found.
pub(super) fn check(p: &mut Problems, new: &NewDeployment, servers: usize) -> (String, Spec, Option<Source>) {
    let name = text(p, "name", &new.name, NAME_MAX);
    let strategy = match new.strategy.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("sequential") => Strategy::Sequential,
        Some("batch") => Strategy::Batch,
        Some(other) => {
            p.add("strategy", "value_error", format!("strategy is sequential or batch, not {other:?}"));
            Strategy::Sequential
        }
    };
    let max_batch = i64::try_from(servers.max(1)).unwrap_or(i64::MAX).max(1);
    let batch_size = match strategy {
        Strategy::Sequential => 1,
        Strategy::Batch if new.batch_size.is_none() => {
            p.add("batch_size", "missing", "strategy batch needs batch_size");
            1
        }
        Strategy::Batch => bounded(p, "batch_size", new.batch_size, SERVERS_MAX as i64, 1).min(max_batch),
    };
    let timeout = bounded(p, "timeout", new.timeout, TIMEOUT_MAX_SECS, DEFAULT_TIMEOUT_SECS as i64);
    let keep = bounded(p, "keep_releases", new.keep_releases, KEEP_MAX, i64::from(DEFAULT_KEEP_RELEASES));
    let spec = Spec {
        strategy,
        batch_size: usize::try_from(batch_size).unwrap_or(1),
        deploy_path: deploy_path(p, &new.deploy_path),
        pre_deploy: command(p, "pre_deploy", new.pre_deploy.as_deref()),
        deploy: command(p, "deploy", new.deploy.as_deref()),
        post_deploy: command(p, "post_deploy", new.post_deploy.as_deref()),
        health_check: health_check(p, new.health_check.as_ref()),
        rollback: command(p, "rollback", new.rollback.as_deref()),
        timeout_secs: u64::try_from(timeout).unwrap_or(DEFAULT_TIMEOUT_SECS),
        keep_releases: u32::try_from(keep).unwrap_or(DEFAULT_KEEP_RELEASES),
    };
    (name, spec, source(p, new.source.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_ok(v: &str) -> bool {
        let mut p = Problems::default();
        deploy_path(&mut p, v);
        p.into_result().is_ok()
    }

    #[test]
    fn deploy_paths_are_absolute_and_plain() {
        assert!(path_ok("/srv/app"));
        assert!(path_ok("/srv/my app/"));
        for bad in [
            "",
            "srv/app",
            "/",
            "//",
            "/srv/../etc",
            "/srv/./x",
            "/srv//x",
            "/srv/a'b",
            "/srv/a\"b",
            "/srv/a\nb",
            "/srv/a\0b",
        ] {
            assert!(!path_ok(bad), "{bad:?}");
        }
    }

    #[test]
    fn refs_cannot_be_options() {
        let mut p = Problems::default();
        assert_eq!(git_ref(&mut p, None), "HEAD");
        assert_eq!(git_ref(&mut p, Some("release/1.2")), "release/1.2");
        assert!(p.into_result().is_ok());
        for bad in ["--upload-pack=x", "a..b", "a b", "a;b"] {
            let mut p = Problems::default();
            git_ref(&mut p, Some(bad));
            assert!(p.into_result().is_err(), "{bad:?}");
        }
    }
}
