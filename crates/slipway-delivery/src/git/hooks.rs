//! Perfect21's git hooks: groups of POSIX `sh` scripts (in `crates/slipway-delivery/hooks/`, embedded here)
//! installed into the repository's effective hooks directory (`git rev-parse --git-path hooks`, which honours
//! `core.hooksPath`), mode 0755. A different hook already there is kept and reported unless `force`, which saves
//! it as `<hook>.slipway-backup` first; a hook with the same content counts as installed.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use slipway_core::Error;

use super::command::GitContext;
use super::outcome::Outcome;

/// The group installed when none is named.
pub const DEFAULT_GROUP: &str = "standard";
/// The suffix an overwritten hook is saved under.
pub const BACKUP_SUFFIX: &str = ".slipway-backup";

const MINIMAL_PRE_COMMIT: &str = include_str!("../../hooks/minimal/pre-commit");
const STANDARD_PRE_COMMIT: &str = include_str!("../../hooks/standard/pre-commit");
const STANDARD_COMMIT_MSG: &str = include_str!("../../hooks/standard/commit-msg");
const STANDARD_PRE_PUSH: &str = include_str!("../../hooks/standard/pre-push");
const STRICT_PRE_COMMIT: &str = include_str!("../../hooks/strict/pre-commit");

/// A group of hooks: its name, what it does, and its scripts (hook name, content).
#[derive(Debug, Clone, Copy)]
pub struct HookGroup {
    /// The name `hook_group` takes.
    pub name: &'static str,
    /// What it does, for people.
    pub description: &'static str,
    /// The hooks: (file name, script).
    pub hooks: &'static [(&'static str, &'static str)],
}

/// Every group.
pub const GROUPS: [HookGroup; 3] = [
    HookGroup {
        name: "standard",
        description: "pre-commit secret scan and lint, commit-msg Conventional Commits, pre-push tests",
        hooks: &[
            ("pre-commit", STANDARD_PRE_COMMIT),
            ("commit-msg", STANDARD_COMMIT_MSG),
            ("pre-push", STANDARD_PRE_PUSH),
        ],
    },
    HookGroup {
        name: "minimal",
        description: "pre-commit secret scan only",
        hooks: &[("pre-commit", MINIMAL_PRE_COMMIT)],
    },
    HookGroup {
        name: "strict",
        description: "standard, and pre-commit refuses commits made directly on main, master or develop",
        hooks: &[
            ("pre-commit", STRICT_PRE_COMMIT),
            ("commit-msg", STANDARD_COMMIT_MSG),
            ("pre-push", STANDARD_PRE_PUSH),
        ],
    },
];

/// The group named `name` (default [`DEFAULT_GROUP`]); an unknown one is field `hook_group`'s problem, naming the
/// groups.
pub fn group(name: Option<&str>) -> Result<&'static HookGroup, Error> {
    let name = name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(DEFAULT_GROUP);
    GROUPS.iter().find(|g| g.name == name).ok_or_else(|| {
        let names: Vec<&str> = GROUPS.iter().map(|g| g.name).collect();
        Error::invalid_field(
            "hook_group",
            "value_error",
            format!("unknown hook group {name:?}; the groups are {}", names.join(", ")),
        )
    })
}

/// What happened to one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Installed {
    New,
    Same,
    Replaced,
    Kept,
}

/// Installs `group` into `ctx`'s repository. `confine`: when set, the hooks directory must lie inside it (a
/// clone's `core.hooksPath` may not send files elsewhere on the server).
pub async fn install(
    ctx: &GitContext,
    group: &HookGroup,
    force: bool,
    confine: Option<&Path>,
) -> Result<Outcome, Error> {
    let dir = match ctx.git_ok(&["rev-parse", "--git-path", "hooks"]).await? {
        Ok(d) => d,
        Err(e) => return Ok(Outcome::failed("", e)),
    };
    let dir = ctx.work_tree.join(dir);
    let (hooks, confine) = (group.hooks, confine.map(Path::to_path_buf));
    let target = dir.clone();
    let done = tokio::task::spawn_blocking(move || write_group(&target, hooks, force, confine.as_deref()))
        .await
        .map_err(|e| Error::Internal(format!("the hook installation stopped: {e}")))?;
    let results = match done {
        Ok(r) => r,
        Err(e) => return Ok(Outcome::failed("", format!("cannot install into {}: {e}", dir.display()))),
    };
    let mut out = format!("Installing hook group '{}' ({}) into {}\n", group.name, group.description, dir.display());
    let mut kept = Vec::new();
    for (hook, what) in &results {
        let line = match what {
            Installed::New => format!("- {hook}: installed"),
            Installed::Same => format!("- {hook}: already installed"),
            Installed::Replaced => format!("- {hook}: installed (the old one is saved as {hook}{BACKUP_SUFFIX})"),
            Installed::Kept => {
                kept.push(*hook);
                format!("- {hook}: a different hook exists; kept (use force to replace it)")
            }
        };
        let _ = writeln!(out, "{line}");
    }
    if kept.is_empty() {
        Ok(Outcome::ok(out))
    } else {
        let error = format!("existing hooks kept: {} (install with force to replace them)", kept.join(", "));
        Ok(Outcome::failed(out, error))
    }
}

/// Writes the hooks (blocking file IO).
fn write_group(
    dir: &Path,
    hooks: &'static [(&'static str, &'static str)],
    force: bool,
    confine: Option<&Path>,
) -> std::io::Result<Vec<(&'static str, Installed)>> {
    if let Some(root) = confine {
        inside(dir, root)?;
    }
    std::fs::create_dir_all(dir)?;
    let real = std::fs::canonicalize(dir)?;
    if let Some(root) = confine {
        inside(&real, root)?;
    }
    hooks.iter().map(|(name, script)| Ok((*name, write_hook(&real.join(name), script, force)?))).collect()
}

/// Fails unless `dir` (which may not exist yet) lies inside `root`: its nearest existing ancestor, resolved,
/// is inside, and the rest of the way has no `..`. Checked before anything is created.
fn inside(dir: &Path, root: &Path) -> std::io::Result<()> {
    let root = std::fs::canonicalize(root)?;
    let mut existing = dir;
    while !existing.exists() {
        existing = existing.parent().unwrap_or(Path::new("/"));
    }
    let rest = dir.strip_prefix(existing).unwrap_or(dir);
    let climbs = rest.components().any(|c| matches!(c, std::path::Component::ParentDir));
    if climbs || !std::fs::canonicalize(existing)?.starts_with(&root) {
        return Err(std::io::Error::other(format!("the hooks directory {} is outside the repository", dir.display())));
    }
    Ok(())
}

/// Writes one hook; never follows a symlink at the hook's place (it counts as a different hook).
fn write_hook(path: &Path, script: &str, force: bool) -> std::io::Result<Installed> {
    let existing = match std::fs::symlink_metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let what = match existing {
        None => Installed::New,
        Some(m) if m.is_file() && std::fs::read(path)? == script.as_bytes() => {
            if m.permissions().mode() & 0o777 != 0o755 {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
            }
            return Ok(Installed::Same);
        }
        Some(_) if !force => return Ok(Installed::Kept),
        Some(_) => {
            let mut backup = path.as_os_str().to_owned();
            backup.push(BACKUP_SUFFIX);
            std::fs::rename(path, PathBuf::from(backup))?;
            Installed::Replaced
        }
    };
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o755).open(path)?;
    file.write_all(script.as_bytes())?;
    file.set_permissions(std::fs::Permissions::from_mode(0o755))?;
    Ok(what)
}
