//! Perfect21's git-flow on a real repository, with the `git` command (so the repository's hooks run):
//! `create-feature`, `create-release`, `merge-to-main`, `branch-info` and `cleanup`. An operation that cannot
//! be done (a dirty tree, a conflict, a branch that exists) fails with the repository as it was: a failed
//! merge is aborted, the branch the user was on is checked out again and every ref is restored.

use std::fmt::Write as _;

use slipway_core::Error;

use super::command::GitContext;
use super::outcome::Outcome;

/// The branch features and releases start from.
pub const DEVELOP: &str = "develop";
/// The actions, as the document names them.
pub const ACTIONS: [&str; 5] = ["create-feature", "create-release", "merge-to-main", "branch-info", "cleanup"];
/// Longest branch name part (`name`, `version`, `source`, `branch`) accepted.
const MAX_NAME: usize = 200;
/// Commits `branch-info` shows.
const LAST_COMMITS: usize = 10;

/// A git-flow request (`POST /workflow`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowRequest {
    /// One of [`ACTIONS`].
    pub action: String,
    /// The feature's name (`create-feature`).
    pub name: Option<String>,
    /// The release's version (`create-release`).
    pub version: Option<String>,
    /// The branch to merge (`merge-to-main`).
    pub source: Option<String>,
    /// The base branch for `create-*` (default `develop`); the one feature branch to delete for `cleanup`.
    pub branch: Option<String>,
}

/// A git-flow action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    CreateFeature,
    CreateRelease,
    MergeToMain,
    BranchInfo,
    Cleanup,
}

fn parse_action(s: &str) -> Result<Action, Error> {
    Ok(match s {
        "create-feature" => Action::CreateFeature,
        "create-release" => Action::CreateRelease,
        "merge-to-main" => Action::MergeToMain,
        "branch-info" => Action::BranchInfo,
        "cleanup" => Action::Cleanup,
        other => {
            let msg = format!("unknown action {other:?}; the actions are {}", ACTIONS.join(", "));
            return Err(Error::invalid_field("action", "value_error", msg));
        }
    })
}

/// A required text field, trimmed and bounded.
fn required<'a>(value: Option<&'a str>, field: &str, action: &str) -> Result<&'a str, Error> {
    match value.map(str::trim) {
        None | Some("") => Err(Error::invalid_field(field, "missing", format!("{action} needs {field}"))),
        Some(v) => optional(Some(v), field).map(|v| v.unwrap_or_default()),
    }
}

/// An optional text field, trimmed and bounded.
fn optional<'a>(value: Option<&'a str>, field: &str) -> Result<Option<&'a str>, Error> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) if v.len() > MAX_NAME => {
            Err(Error::invalid_field(field, "value_error", format!("{field} is longer than {MAX_NAME} characters")))
        }
        Some(v) if v.starts_with('-') => {
            Err(Error::invalid_field(field, "value_error", format!("{field} may not start with '-'")))
        }
        other => Ok(other),
    }
}

/// Runs `req` in `ctx`'s repository.
pub async fn run(ctx: &GitContext, req: &FlowRequest) -> Result<Outcome, Error> {
    let action = parse_action(req.action.trim())?;
    let branch = optional(req.branch.as_deref(), "branch")?;
    match action {
        Action::CreateFeature => {
            let name = required(req.name.as_deref(), "name", "create-feature")?;
            create(ctx, "feature", name, "name", branch).await
        }
        Action::CreateRelease => {
            let version = required(req.version.as_deref(), "version", "create-release")?;
            check_ref(ctx, &format!("refs/tags/v{version}"), "version").await?;
            create(ctx, "release", version, "version", branch).await
        }
        Action::MergeToMain => {
            let source = required(req.source.as_deref(), "source", "merge-to-main")?;
            merge_to_main(ctx, source).await
        }
        Action::BranchInfo => branch_info(ctx).await,
        Action::Cleanup => cleanup(ctx, branch).await,
    }
}

/// Refuses a ref name git would refuse (`git check-ref-format`), as field `field`'s problem.
async fn check_ref(ctx: &GitContext, full: &str, field: &str) -> Result<(), Error> {
    let out = if let Some(branch) = full.strip_prefix("refs/heads/") {
        ctx.git(&["check-ref-format", "--branch", branch]).await?
    } else {
        ctx.git(&["check-ref-format", full]).await?
    };
    if out.success() {
        Ok(())
    } else {
        let name = full.trim_start_matches("refs/heads/").trim_start_matches("refs/tags/");
        Err(Error::invalid_field(field, "value_error", format!("{name:?} is not a valid git ref name")))
    }
}

async fn has_ref(ctx: &GitContext, full: &str) -> Result<bool, Error> {
    Ok(ctx.git(&["show-ref", "--verify", "--quiet", full]).await?.success())
}

async fn has_branch(ctx: &GitContext, name: &str) -> Result<bool, Error> {
    has_ref(ctx, &format!("refs/heads/{name}")).await
}

/// `main`, or `master` when only it exists.
async fn main_branch(ctx: &GitContext) -> Result<Option<&'static str>, Error> {
    for name in ["main", "master"] {
        if has_branch(ctx, name).await? {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

const NO_MAIN: &str = "the repository has no main branch (main or master)";

/// The branch checked out, or `None` on a detached HEAD.
async fn current_branch(ctx: &GitContext) -> Result<Option<String>, Error> {
    Ok(ctx.git_ok(&["symbolic-ref", "--short", "-q", "HEAD"]).await?.ok().filter(|b| !b.is_empty()))
}

/// Tracked files with changes (staged or not); untracked files do not count, as for git-flow.
async fn changed_files(ctx: &GitContext) -> Result<Result<Vec<String>, String>, Error> {
    Ok(ctx
        .git_ok(&["status", "--porcelain", "--untracked-files=no"])
        .await?
        .map(|s| s.lines().map(|l| l.get(3..).unwrap_or(l).to_owned()).collect()))
}

/// The dirty-tree refusal, git-flow's words with the files.
fn dirty_refusal(files: &[String]) -> Outcome {
    Outcome::failed(
        format!("Fatal: Working tree contains unstaged changes. Aborting.\n{}", files.join("\n")),
        format!("the working tree has uncommitted changes ({}); commit or stash them first", files.len()),
    )
}

/// Refuses a dirty tree (or a directory git cannot read as a work tree).
async fn require_clean(ctx: &GitContext) -> Result<Option<Outcome>, Error> {
    Ok(match changed_files(ctx).await? {
        Ok(files) if files.is_empty() => None,
        Ok(files) => Some(dirty_refusal(&files)),
        Err(text) => Some(Outcome::failed(text.clone(), text)),
    })
}

/// `create-feature` / `create-release`: `<prefix>/<suffix>` from `base` (default develop, created from main
/// when missing), checked out.
async fn create(
    ctx: &GitContext,
    prefix: &str,
    suffix: &str,
    field: &str,
    base: Option<&str>,
) -> Result<Outcome, Error> {
    let target = format!("{prefix}/{suffix}");
    check_ref(ctx, &format!("refs/heads/{target}"), field).await?;
    if let Some(base) = base {
        check_ref(ctx, &format!("refs/heads/{base}"), "branch").await?;
    }
    if let Some(refusal) = require_clean(ctx).await? {
        return Ok(refusal);
    }
    if has_branch(ctx, &target).await? {
        return Ok(Outcome::failed("", format!("Branch '{target}' already exists. Pick another name.")));
    }
    if prefix == "release" && has_ref(ctx, &format!("refs/tags/v{suffix}")).await? {
        return Ok(Outcome::failed("", format!("Tag 'v{suffix}' already exists. Pick another version.")));
    }
    let mut out = String::new();
    let base = match base {
        Some(b) if has_branch(ctx, b).await? => b.to_owned(),
        Some(b) => return Ok(Outcome::failed("", format!("Branch '{b}' does not exist"))),
        None => {
            if !has_branch(ctx, DEVELOP).await? {
                let Some(main) = main_branch(ctx).await? else { return Ok(Outcome::failed("", NO_MAIN)) };
                if let Err(e) = ctx.git_ok(&["branch", DEVELOP, main]).await? {
                    return Ok(Outcome::failed("", e));
                }
                let _ = writeln!(out, "Created branch '{DEVELOP}' from '{main}' (the repository had none)");
            }
            DEVELOP.to_owned()
        }
    };
    let made = ctx.git(&["checkout", "-b", &target, &base]).await?;
    if !made.success() {
        return Ok(Outcome::failed(out, super::command::failure_text(&["checkout", "-b"], &made)));
    }
    let _ = writeln!(out, "{}", made.text());
    let _ = write!(
        out,
        "\nSummary of actions:\n- A new branch '{target}' was created, based on '{base}'\n- You are now on branch \
         '{target}'\n"
    );
    let next = if prefix == "feature" {
        format!(
            "\nNow, start committing on your feature. When done, merge it with action merge-to-main (source '{target}').\n"
        )
    } else {
        format!(
            "\nFollow-up actions:\n- Bump the version number now!\n- Start committing last-minute fixes in preparing \
             your release\n- When done, run action merge-to-main with source '{target}'\n"
        )
    };
    out.push_str(&next);
    Ok(Outcome::ok(out))
}

/// Where the repository was before an operation that changes it: HEAD and every ref.
struct Snapshot {
    /// The branch checked out, or the commit of a detached HEAD.
    head: String,
    /// `refname objectname` of every ref.
    refs: Vec<(String, String)>,
}

async fn snapshot(ctx: &GitContext) -> Result<Result<Snapshot, String>, Error> {
    let head = match current_branch(ctx).await? {
        Some(b) => b,
        None => match ctx.git_ok(&["rev-parse", "--verify", "HEAD"]).await? {
            Ok(sha) => sha,
            Err(e) => return Ok(Err(e)),
        },
    };
    let refs = match ctx.git_ok(&["for-each-ref", "--format=%(refname) %(objectname)"]).await? {
        Ok(text) => text.lines().filter_map(|l| l.split_once(' ')).map(|(r, o)| (r.to_owned(), o.to_owned())).collect(),
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(Snapshot { head, refs }))
}

/// Puts the repository back as `snap` found it: aborts a merge in progress, checks the old HEAD out again,
/// restores every ref that moved (an operation moves at most main, develop and a new tag) and the tree.
/// Answers what went wrong on the way, if anything.
async fn restore(ctx: &GitContext, snap: &Snapshot) -> Result<Option<String>, Error> {
    if ctx.git(&["rev-parse", "-q", "--verify", "MERGE_HEAD"]).await?.success() {
        let _ = ctx.git(&["merge", "--abort"]).await?;
    }
    if let Err(e) = ctx.git_ok(&["checkout", "-q", "-f", &snap.head]).await? {
        return Ok(Some(e));
    }
    let now = match snapshot(ctx).await? {
        Ok(s) => s,
        Err(e) => return Ok(Some(e)),
    };
    for (name, old) in &snap.refs {
        if !now.refs.iter().any(|(n, o)| n == name && o == old)
            && let Err(e) = ctx.git_ok(&["update-ref", name, old]).await?
        {
            return Ok(Some(e));
        }
    }
    for (name, _) in &now.refs {
        if !snap.refs.iter().any(|(n, _)| n == name)
            && let Err(e) = ctx.git_ok(&["update-ref", "-d", name]).await?
        {
            return Ok(Some(e));
        }
    }
    Ok(ctx.git_ok(&["reset", "-q", "--hard"]).await?.err())
}

/// The tracked files with conflicts right now.
async fn conflicting_files(ctx: &GitContext) -> Result<Vec<String>, Error> {
    Ok(ctx
        .git_ok(&["diff", "--name-only", "--diff-filter=U"])
        .await?
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default())
}

/// A failed step of `merge-to-main`: the repository is restored, and the outcome says what failed (and whether
/// restoring it failed too).
async fn roll_back(ctx: &GitContext, snap: &Snapshot, mut out: String, error: String) -> Result<Outcome, Error> {
    match restore(ctx, snap).await? {
        None => {
            let _ = writeln!(out, "\nThe merge was aborted; the repository is as it was (on '{}').", snap.head);
            Ok(Outcome::failed(out, error))
        }
        Some(e) => Ok(Outcome::failed(out, format!("{error}; restoring the repository failed too: {e}"))),
    }
}

/// One `git merge --no-ff` of `what` into the branch checked out; on a conflict the error names the files.
async fn merge(ctx: &GitContext, what: &str, message: &str, out: &mut String) -> Result<Result<(), String>, Error> {
    let merged = ctx.git(&["merge", "--no-ff", "-m", message, what]).await?;
    let _ = writeln!(out, "{}", merged.text());
    if merged.success() {
        return Ok(Ok(()));
    }
    let conflicts = conflicting_files(ctx).await?;
    Ok(Err(if conflicts.is_empty() {
        super::command::failure_text(&["merge", what], &merged)
    } else {
        format!("merging '{what}' conflicts in {}", conflicts.join(", "))
    }))
}

/// `merge-to-main`: `git merge --no-ff` of `source` into main; a release is tagged `v<version>` and main merged
/// back into develop. Any failure restores the repository.
async fn merge_to_main(ctx: &GitContext, source: &str) -> Result<Outcome, Error> {
    check_ref(ctx, &format!("refs/heads/{source}"), "source").await?;
    let Some(main) = main_branch(ctx).await? else { return Ok(Outcome::failed("", NO_MAIN)) };
    if source == main {
        return Err(Error::invalid_field("source", "value_error", format!("'{main}' cannot be merged into itself")));
    }
    if !has_branch(ctx, source).await? {
        return Ok(Outcome::failed("", format!("Branch '{source}' does not exist")));
    }
    if let Some(refusal) = require_clean(ctx).await? {
        return Ok(refusal);
    }
    let version = source.strip_prefix("release/");
    let tag = version.map(|v| format!("v{v}"));
    if let Some(tag) = &tag {
        check_ref(ctx, &format!("refs/tags/{tag}"), "source").await?;
        if has_ref(ctx, &format!("refs/tags/{tag}")).await? {
            return Ok(Outcome::failed("", format!("Tag '{tag}' already exists; this release was finished before")));
        }
    }
    let snap = match snapshot(ctx).await? {
        Ok(s) => s,
        Err(e) => return Ok(Outcome::failed("", e)),
    };
    let mut out = String::new();
    if let Err(e) = ctx.git_ok(&["checkout", "-q", main]).await? {
        return roll_back(ctx, &snap, out, e).await;
    }
    if let Err(e) = merge(ctx, source, &format!("Merge branch '{source}'"), &mut out).await? {
        return roll_back(ctx, &snap, out, e).await;
    }
    let mut summary = format!("\nSummary of actions:\n- Branch '{source}' has been merged into '{main}'\n");
    if let (Some(version), Some(tag)) = (version, &tag) {
        if let Err(e) = ctx.git_ok(&["tag", "-a", tag, "-m", &format!("Release {version}")]).await? {
            return roll_back(ctx, &snap, out, e).await;
        }
        let _ = writeln!(summary, "- The release was tagged '{tag}'");
        if has_branch(ctx, DEVELOP).await? {
            if let Err(e) = ctx.git_ok(&["checkout", "-q", DEVELOP]).await? {
                return roll_back(ctx, &snap, out, e).await;
            }
            if let Err(e) = merge(ctx, tag, &format!("Merge tag '{tag}' into {DEVELOP}"), &mut out).await? {
                return roll_back(ctx, &snap, out, e).await;
            }
            let _ = writeln!(summary, "- Release tag '{tag}' has been back-merged into '{DEVELOP}'");
        }
    }
    if let Err(e) = ctx.git_ok(&["checkout", "-q", &snap.head]).await? {
        return roll_back(ctx, &snap, out, e).await;
    }
    let _ = writeln!(summary, "- You are now on '{}'", snap.head);
    out.push_str(&summary);
    Ok(Outcome::ok(out))
}

/// `branch-info`: the current branch and whether the tree is dirty, every local branch with its ahead/behind
/// counts against main and develop (one `for-each-ref`), and the last commits of HEAD.
async fn branch_info(ctx: &GitContext) -> Result<Outcome, Error> {
    let main = main_branch(ctx).await?;
    let develop = has_branch(ctx, DEVELOP).await?.then_some(DEVELOP);
    let bases: Vec<&str> = main.into_iter().chain(develop).collect();
    let mut format = String::from("%(HEAD)%09%(refname:short)%09%(objectname:short)%09%(committerdate:short)");
    for base in &bases {
        let _ = write!(format, "%09%(ahead-behind:{base})");
    }
    format.push_str("%09%(subject)");
    let branches = match ctx.git_ok(&["for-each-ref", &format!("--format={format}"), "refs/heads"]).await? {
        Ok(text) => text,
        Err(e) => return Ok(Outcome::failed("", e)),
    };
    let current = current_branch(ctx).await?;
    let dirty = match changed_files(ctx).await? {
        Ok(files) => files,
        Err(e) => return Ok(Outcome::failed("", e)),
    };
    let mut out = String::new();
    let _ = writeln!(out, "Current branch: {}", current.as_deref().unwrap_or("(detached HEAD)"));
    let state = if dirty.is_empty() { "clean".to_owned() } else { format!("{} changed file(s)", dirty.len()) };
    let _ = writeln!(out, "Working tree: {state}");
    let _ = writeln!(out, "Main branch: {}", main.unwrap_or("(none)"));
    let _ = writeln!(out, "Develop branch: {}", develop.unwrap_or("(none)"));
    let _ = writeln!(out, "\nBranches:");
    for line in branches.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [mark, name, sha, date, ..] = fields.as_slice() else { continue };
        let mut counts = Vec::new();
        for (base, ab) in bases.iter().zip(fields.iter().skip(4)) {
            if name != base
                && let Some((ahead, behind)) = ab.split_once(' ')
            {
                counts.push(format!("{ahead} ahead, {behind} behind {base}"));
            }
        }
        let subject = fields.last().copied().unwrap_or_default();
        let mark = if *mark == "*" { "*" } else { " " };
        let counts = if counts.is_empty() { String::new() } else { format!(" [{}]", counts.join("; ")) };
        let _ = writeln!(out, "{mark} {name} {sha} {date}{counts} {subject}");
    }
    let log_format = "--format=%h %ad %an: %s";
    let limit = format!("-{LAST_COMMITS}");
    match ctx.git_ok(&["log", &limit, "--date=short", log_format]).await? {
        Ok(log) => {
            let _ = writeln!(out, "\nLast commits:\n{log}");
        }
        Err(_) => {
            let _ = writeln!(out, "\nNo commits yet.");
        }
    }
    Ok(Outcome::ok(out))
}

/// `cleanup`: deletes the local `feature/*` branches merged into develop (or main when there is no develop),
/// never the current one; `only` names the one branch to delete.
async fn cleanup(ctx: &GitContext, only: Option<&str>) -> Result<Outcome, Error> {
    let base = if has_branch(ctx, DEVELOP).await? {
        DEVELOP
    } else {
        match main_branch(ctx).await? {
            Some(m) => m,
            None => return Ok(Outcome::failed("", NO_MAIN)),
        }
    };
    let current = current_branch(ctx).await?;
    let merged = match ctx.git_ok(&["branch", "--merged", base, "--format=%(refname:short)"]).await? {
        Ok(text) => text,
        Err(e) => return Ok(Outcome::failed("", e)),
    };
    let merged: Vec<&str> =
        merged.lines().filter(|b| b.starts_with("feature/") && current.as_deref() != Some(*b)).collect();
    let doomed: Vec<&str> = match only {
        Some(b) if !b.starts_with("feature/") => {
            return Err(Error::invalid_field("branch", "value_error", "cleanup deletes feature/* branches only"));
        }
        Some(b) if current.as_deref() == Some(b) => {
            return Ok(Outcome::failed("", format!("'{b}' is the current branch; it is not deleted")));
        }
        Some(b) if !merged.contains(&b) => {
            let why =
                if has_branch(ctx, b).await? { "is not merged into" } else { "does not exist; nothing merged into" };
            return Ok(Outcome::failed("", format!("Branch '{b}' {why} '{base}'; nothing was deleted")));
        }
        Some(b) => vec![b],
        None => merged,
    };
    if doomed.is_empty() {
        return Ok(Outcome::ok(format!("No feature branches merged into '{base}' to delete.")));
    }
    let mut args = vec!["branch", "-d"];
    args.extend(doomed.iter().copied());
    let deleted = ctx.git(&args).await?;
    let mut out = deleted.text();
    if !deleted.success() {
        return Ok(Outcome::failed(out, super::command::failure_text(&["branch", "-d"], &deleted)));
    }
    let _ =
        write!(out, "\n\nSummary of actions:\n- {} feature branch(es) merged into '{base}' deleted\n", doomed.len());
    Ok(Outcome::ok(out))
}
