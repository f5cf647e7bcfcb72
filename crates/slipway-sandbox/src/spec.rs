//! What one sandboxed (or host) command is: its workspace, working directory, environment, network, identity,
//! limits and the shell command itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The `PATH` commands get.
pub const SAFE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Resource limits applied inside the sandbox with `prlimit`; `None` leaves a limit as inherited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// CPU seconds; past them the kernel kills the command (SIGXCPU, then SIGKILL).
    pub cpu_secs: Option<u64>,
    /// Address space in bytes; allocations past it fail.
    pub memory_bytes: Option<u64>,
    /// Processes (and threads) of the command's user; forks past it fail. Only meaningful for
    /// [`Identity::Unprivileged`] when Slipway runs as root (root ignores it), or when Slipway's own user runs
    /// nothing else.
    pub processes: Option<u64>,
}

impl Limits {
    /// No limits at all.
    pub const NONE: Self = Self { cpu_secs: None, memory_bytes: None, processes: None };
}

impl Default for Limits {
    /// What ordinary users' commands get: an hour of CPU, 4 GiB of address space, 256 processes.
    fn default() -> Self {
        Self { cpu_secs: Some(3600), memory_bytes: Some(4 << 30), processes: Some(256) }
    }
}

/// Whose user id the command runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// Slipway's own user (administrators' commands).
    Node,
    /// When Slipway runs as root: an unprivileged user id of its own, `200000 + slot % 100000` (the slot is
    /// the job id), so the process limit counts only this job's processes and host files are protected by
    /// their permissions too; the workspace is handed to that user before the command starts. When Slipway
    /// is not root, this is [`Identity::Node`] (a user cannot switch ids).
    Unprivileged {
        /// Picks the user id (the job id).
        slot: i64,
    },
}

/// The first user id of [`Identity::Unprivileged`].
pub const UID_BASE: u32 = 200_000;
/// How many user ids [`Identity::Unprivileged`] cycles through.
pub const UID_SPAN: i64 = 100_000;

impl Identity {
    /// The user id to switch to, when one is switched to.
    pub(crate) fn uid(self) -> Option<u32> {
        match self {
            Self::Node => None,
            Self::Unprivileged { slot } => u32::try_from(slot.rem_euclid(UID_SPAN)).ok().map(|n| UID_BASE + n),
        }
    }
}

/// One command to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// The job's workspace: the only place (with `binds`) the command may write.
    pub workspace: PathBuf,
    /// Absolute working directory: inside the workspace or inside one of `binds`.
    pub cwd: PathBuf,
    /// Further directories bound writable at their own paths (an administrator's working directory outside the
    /// workspace). Never for ordinary users.
    pub binds: Vec<PathBuf>,
    /// Variables added to the safe environment (see [`safe_env`]).
    pub env: BTreeMap<String, String>,
    /// Whether the command shares the host's network (off: a network namespace with only loopback).
    pub network: bool,
    /// Whose user id it runs with.
    pub identity: Identity,
    /// Resource limits.
    pub limits: Limits,
    /// What `sh -c` runs.
    pub command: String,
}

impl Spec {
    /// A command in `workspace` (its working directory too), no network, as an unprivileged user of `slot`,
    /// with the default limits.
    pub fn new(workspace: &Path, command: impl Into<String>, slot: i64) -> Self {
        Self {
            workspace: workspace.to_path_buf(),
            cwd: workspace.to_path_buf(),
            binds: Vec::new(),
            env: BTreeMap::new(),
            network: false,
            identity: Identity::Unprivileged { slot },
            limits: Limits::default(),
            command: command.into(),
        }
    }
}

/// The environment every command starts from: `PATH`, `HOME` (the workspace), `TMPDIR`, `LANG`, then the
/// spec's own variables on top. Nothing of the node's environment (its secrets) leaks in.
pub fn safe_env(spec: &Spec) -> BTreeMap<String, String> {
    let mut env = BTreeMap::from([
        ("PATH".to_owned(), SAFE_PATH.to_owned()),
        ("HOME".to_owned(), spec.workspace.display().to_string()),
        ("TMPDIR".to_owned(), "/tmp".to_owned()),
        ("LANG".to_owned(), "C.UTF-8".to_owned()),
    ]);
    env.extend(spec.env.iter().map(|(k, v)| (k.clone(), v.clone())));
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unprivileged_ids_cycle_in_their_range() {
        assert_eq!(Identity::Node.uid(), None);
        assert_eq!(Identity::Unprivileged { slot: 7 }.uid(), Some(200_007));
        assert_eq!(Identity::Unprivileged { slot: 100_007 }.uid(), Some(200_007));
        assert_eq!(Identity::Unprivileged { slot: -1 }.uid(), Some(299_999));
    }

    #[test]
    fn the_environment_is_the_safe_set_plus_the_jobs() {
        let mut spec = Spec::new(Path::new("/w/1"), "true", 1);
        spec.env.insert("A".into(), "1".into());
        spec.env.insert("PATH".into(), "/opt/bin".into());
        let env = safe_env(&spec);
        assert_eq!(env["HOME"], "/w/1");
        assert_eq!(env["A"], "1");
        assert_eq!(env["PATH"], "/opt/bin");
        assert_eq!(env.len(), 5);
    }
}
