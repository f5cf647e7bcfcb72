//! The git runner: every git command Slipway runs goes through [`GitContext::git`]. It is `git` under `sh -c`
//! with a cleared environment (the safe `PATH`, a private `HOME`, no system or global configuration, no
//! terminal prompts, the Slipway user as author and committer), in a process group of its own that is killed
//! when the call times out or is dropped, with stdout and stderr captured (each up to [`OUTPUT_LIMIT`] bytes).
//!
//! git runs the repository's hooks, which are shell commands, so where it runs is decided per repository and
//! caller ([`Placement::decide`]): with the command sandbox, inside it, without network, writing only the
//! repository's work tree, as an unprivileged user of the repository's own (a clone) or as the node (an
//! administrator's local path); without the sandbox, on the host for administrators only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use slipway_core::{Error, Principal};
use slipway_sandbox::{Availability, Identity, Sandbox, Spec, host_command};
use tokio::io::{AsyncRead, AsyncReadExt};

/// How long one git command may take unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Bytes of stdout, and of stderr, kept of one command.
pub const OUTPUT_LIMIT: usize = 1 << 20;

/// Who commits, merges and tags: the Slipway user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// The user's name (full name, or username).
    pub name: String,
    /// The user's e-mail address.
    pub email: String,
}

/// Where a repository's git commands run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// On the host (administrators, where there is no sandbox).
    Host,
    /// In the command sandbox, as `identity`.
    Sandboxed {
        /// The node's sandbox.
        sandbox: Sandbox,
        /// Whose user id git runs with.
        identity: Identity,
    },
}

impl Placement {
    /// Where `principal`'s git commands on repository `repo_id` run: in the sandbox when there is one (as the
    /// repository's own unprivileged user for a clone, as the node for a local path), else on the host for
    /// administrators; ordinary users get the sandbox's refusal. A local path is an administrator's: ordinary
    /// users may not run git there at all.
    pub fn decide(
        availability: &Availability,
        principal: &Principal,
        repo_id: i64,
        local: bool,
    ) -> Result<Self, Error> {
        if local && !principal.is_admin() {
            return Err(Error::Forbidden("a repository on the server's disk is used by administrators only".into()));
        }
        match availability.sandbox() {
            Some(sandbox) => {
                let identity = if local { Identity::Node } else { Identity::Unprivileged { slot: repo_id } };
                Ok(Self::Sandboxed { sandbox: sandbox.clone(), identity })
            }
            None if principal.is_admin() => Ok(Self::Host),
            None => Err(Error::Forbidden(availability.refusal())),
        }
    }
}

/// How one git command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitOutput {
    /// Exit code; `None` when killed.
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// It ran out of time (and was killed).
    pub timed_out: bool,
}

impl GitOutput {
    /// Whether git exited with status 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Standard output then standard error, trimmed, for people.
    pub fn text(&self) -> String {
        let parts: Vec<&str> =
            [self.stdout.trim_end(), self.stderr.trim_end()].into_iter().filter(|s| !s.is_empty()).collect();
        parts.join("\n")
    }
}

/// One repository's work tree, where and as whom its git commands run.
#[derive(Debug, Clone)]
pub struct GitContext {
    /// The work tree (git's working directory, and the sandbox's writable workspace).
    pub work_tree: PathBuf,
    /// Where git runs.
    pub placement: Placement,
    /// Author and committer.
    pub author: Author,
    /// `HOME` on the host: an empty private directory (in the sandbox `HOME` is its private `/tmp`).
    pub home: PathBuf,
    /// How long one command may take.
    pub timeout: Duration,
}

impl GitContext {
    /// A context on the host (administrators' commands where there is no sandbox, and the tests').
    pub fn host(work_tree: &Path, author: Author, home: &Path) -> Self {
        Self {
            work_tree: work_tree.to_path_buf(),
            placement: Placement::Host,
            author,
            home: home.to_path_buf(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Runs `git args…` in the work tree. `Err` only when git cannot be started at all; a git that fails is an
    /// output with its exit code.
    pub async fn git(&self, args: &[&str]) -> Result<GitOutput, Error> {
        let mut spec = Spec::new(&self.work_tree, git_command_line(args), 0);
        let home = match &self.placement {
            Placement::Host => self.home.display().to_string(),
            Placement::Sandboxed { .. } => "/tmp".to_owned(),
        };
        spec.env = git_env(&self.author, &home);
        let cmd = match &self.placement {
            Placement::Host => host_command(&spec),
            Placement::Sandboxed { sandbox, identity } => {
                spec.identity = *identity;
                sandbox.prepare(&spec).await.map_err(|e| Error::Internal(format!("cannot prepare the sandbox: {e}")))?
            }
        };
        run(cmd, self.timeout).await
    }

    /// Runs `git args…` and answers its trimmed stdout, or `Err(text)` with what git said when it failed.
    pub async fn git_ok(&self, args: &[&str]) -> Result<Result<String, String>, Error> {
        let out = self.git(args).await?;
        Ok(if out.success() { Ok(out.stdout.trim_end().to_owned()) } else { Err(failure_text(args, &out)) })
    }
}

/// What a failed git command said, for people (`git merge …: <its output>`).
pub fn failure_text(args: &[&str], out: &GitOutput) -> String {
    let what = args.iter().take(2).copied().collect::<Vec<_>>().join(" ");
    if out.timed_out {
        return format!("git {what} did not finish in time and was stopped");
    }
    let text = out.text();
    if text.is_empty() { format!("git {what} failed ({:?})", out.code) } else { format!("git {what}: {text}") }
}

/// The environment git gets on top of the sandbox's safe one.
pub fn git_env(author: &Author, home: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("HOME".to_owned(), home.to_owned()),
        ("GIT_CONFIG_NOSYSTEM".to_owned(), "1".to_owned()),
        ("GIT_CONFIG_GLOBAL".to_owned(), "/dev/null".to_owned()),
        ("GIT_TERMINAL_PROMPT".to_owned(), "0".to_owned()),
        ("GIT_OPTIONAL_LOCKS".to_owned(), "0".to_owned()),
        ("GIT_AUTHOR_NAME".to_owned(), author.name.clone()),
        ("GIT_AUTHOR_EMAIL".to_owned(), author.email.clone()),
        ("GIT_COMMITTER_NAME".to_owned(), author.name.clone()),
        ("GIT_COMMITTER_EMAIL".to_owned(), author.email.clone()),
        ("LC_ALL".to_owned(), "C.UTF-8".to_owned()),
    ])
}

/// `git -c safe.directory=* -c core.pager=cat 'arg'…` for `sh -c`. The work tree may belong to the
/// repository's sandbox user rather than to the node, and is trusted because Slipway chose it.
pub fn git_command_line(args: &[&str]) -> String {
    let mut line = String::from("exec git -c 'safe.directory=*' -c core.pager=cat");
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    line
}

/// `s` as one POSIX shell word.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

struct Group(Option<Pid>);

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = killpg(pid, Signal::SIGKILL);
        }
    }
}

/// Spawns `cmd` (a process group of its own, piped output) and waits up to `timeout`; the group is killed on
/// timeout and when the caller stops waiting.
pub async fn run(mut cmd: tokio::process::Command, timeout: Duration) -> Result<GitOutput, Error> {
    let mut child = cmd.spawn().map_err(|e| Error::Internal(format!("cannot start git: {e}")))?;
    let _group = Group(child.id().and_then(|id| i32::try_from(id).ok()).map(Pid::from_raw));
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let work = async {
        let (status, out, err) = tokio::join!(child.wait(), read_capped(stdout), read_capped(stderr));
        (status.ok().and_then(|s| s.code()), out, err)
    };
    match tokio::time::timeout(timeout, work).await {
        Ok((code, stdout, stderr)) => Ok(GitOutput { code, stdout, stderr, timed_out: false }),
        Err(_) => Ok(GitOutput { code: None, stdout: String::new(), stderr: String::new(), timed_out: true }),
    }
}

/// Reads a pipe to its end, keeping the first [`OUTPUT_LIMIT`] bytes.
async fn read_capped(pipe: Option<impl AsyncRead + Unpin>) -> String {
    let Some(mut pipe) = pipe else { return String::new() };
    let mut kept = Vec::new();
    let mut buf = vec![0u8; 8192];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = OUTPUT_LIMIT.saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
    String::from_utf8_lossy(&kept).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_for_the_shell() {
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(
            git_command_line(&["log", "-1", "$(rm -rf /)"]),
            "exec git -c 'safe.directory=*' -c core.pager=cat 'log' '-1' '$(rm -rf /)'"
        );
    }

    #[tokio::test]
    async fn a_command_past_its_timeout_is_killed_with_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let author = Author { name: "Ann".into(), email: "ann@example.com".into() };
        let mut ctx = GitContext::host(dir.path(), author, dir.path());
        ctx.timeout = Duration::from_millis(300);
        let started = std::time::Instant::now();
        let marker = dir.path().join("survived");
        let alias = format!("alias.slow=!sleep 3; touch {}", marker.display());
        let out = ctx.git(&["-c", &alias, "slow"]).await.unwrap();
        assert!(out.timed_out && !out.success(), "{out:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert!(!marker.exists(), "the shell git started was killed too");

        let version = ctx.git(&["--version"]).await.unwrap();
        assert!(version.success() && version.stdout.starts_with("git version"), "{version:?}");
        let env = ctx.git(&["var", "GIT_AUTHOR_IDENT"]).await.unwrap();
        assert!(env.stdout.starts_with("Ann <ann@example.com>"), "{env:?}");
    }

    #[test]
    fn ordinary_users_need_the_sandbox_and_local_paths_are_administrators() {
        let user = Principal { user_id: 2, username: "ann".into(), role: slipway_core::Role::User };
        let admin = Principal { user_id: 1, username: "root".into(), role: slipway_core::Role::Admin };
        let none = Availability::Unavailable("bwrap is missing".into());
        let refused = Placement::decide(&none, &user, 5, false).unwrap_err();
        assert!(matches!(&refused, Error::Forbidden(m) if m.contains("bwrap is missing")), "{refused:?}");
        assert_eq!(Placement::decide(&none, &admin, 5, false).unwrap(), Placement::Host);
        assert!(matches!(Placement::decide(&none, &user, 5, true), Err(Error::Forbidden(_))));
    }
}
