//! Perfect21's git-flow on real repositories (`git init` in temp dirs, the `git` command throughout): each
//! action; a release's merge tags it and merges back into develop; a conflict, a refused back-merge and a
//! refusing hook each leave HEAD, every ref and the tree as they were; a dirty tree is refused; cleanup deletes
//! only merged feature branches; invalid names are refused; the repository's hooks run; in the sandbox a hook
//! cannot write outside the work tree.
#![allow(clippy::unwrap_used)]

mod gitrepo;

use gitrepo::Repo;
use slipway_core::Error;
use slipway_delivery::git::flow::{self, FlowRequest};
use slipway_delivery::git::{Outcome, Placement};

fn req(action: &str) -> FlowRequest {
    FlowRequest { action: action.into(), ..FlowRequest::default() }
}

fn feature(name: &str) -> FlowRequest {
    FlowRequest { name: Some(name.into()), ..req("create-feature") }
}

fn release(version: &str) -> FlowRequest {
    FlowRequest { version: Some(version.into()), ..req("create-release") }
}

fn merge(source: &str) -> FlowRequest {
    FlowRequest { source: Some(source.into()), ..req("merge-to-main") }
}

async fn ok(repo: &Repo, r: &FlowRequest) -> Outcome {
    let o = flow::run(&repo.ctx, r).await.unwrap();
    assert!(o.success, "{r:?}: {o:?}");
    o
}

async fn failed(repo: &Repo, r: &FlowRequest) -> Outcome {
    let o = flow::run(&repo.ctx, r).await.unwrap();
    assert!(!o.success && o.error.is_some(), "{r:?}: {o:?}");
    o
}

fn field_of(err: &Error) -> String {
    match err {
        Error::Validation(f) => f.iter().map(|e| format!("{}:{}", e.field(), e.kind)).collect::<Vec<_>>().join(","),
        other => panic!("not a validation error: {other:?}"),
    }
}

#[tokio::test]
async fn create_feature_makes_develop_from_main_when_missing_and_refuses_a_taken_name() {
    let repo = Repo::new("main");
    let o = ok(&repo, &feature("login")).await;
    assert!(o.output.contains("Created branch 'develop' from 'main'"), "{}", o.output);
    assert!(o.output.contains("A new branch 'feature/login' was created, based on 'develop'"), "{}", o.output);
    assert_eq!(repo.current(), "feature/login");
    assert_eq!(repo.sh("git rev-parse develop"), repo.sh("git rev-parse main"));

    let again = failed(&repo, &feature("login")).await;
    assert!(again.error.unwrap().contains("already exists"));
    let second = ok(&repo, &feature("signup")).await;
    assert!(!second.output.contains("Created branch 'develop'"), "develop exists now: {}", second.output);

    repo.sh("git checkout -q main && git branch hotfix-base");
    let based = FlowRequest { branch: Some("hotfix-base".into()), ..feature("from-base") };
    assert!(ok(&repo, &based).await.output.contains("based on 'hotfix-base'"));
    let missing = FlowRequest { branch: Some("nowhere".into()), ..feature("lost") };
    assert!(failed(&repo, &missing).await.error.unwrap().contains("'nowhere' does not exist"));
}

#[tokio::test]
async fn master_is_the_main_branch_when_only_it_exists() {
    let repo = Repo::new("master");
    ok(&repo, &feature("x")).await;
    assert_eq!(repo.sh("git rev-parse develop"), repo.sh("git rev-parse master"));
    repo.commit("x.txt", "x", "feat: x");
    let o = ok(&repo, &merge("feature/x")).await;
    assert!(o.output.contains("merged into 'master'"), "{}", o.output);
}

#[tokio::test]
async fn merging_a_release_tags_it_and_merges_back_into_develop() {
    let repo = Repo::new("main");
    ok(&repo, &release("1.0")).await;
    assert_eq!(repo.current(), "release/1.0");
    repo.commit("VERSION", "1.0", "chore: bump to 1.0");
    let o = ok(&repo, &merge("release/1.0")).await;
    assert!(o.output.contains("The release was tagged 'v1.0'"), "{}", o.output);
    assert!(o.output.contains("back-merged into 'develop'"), "{}", o.output);
    // A real --no-ff merge commit on main, an annotated tag on it, develop containing it.
    assert_eq!(repo.sh("git rev-list --parents -n 1 main").split_whitespace().count(), 3);
    assert_eq!(repo.sh("git cat-file -t v1.0").trim(), "tag");
    assert_eq!(repo.sh("git rev-parse 'v1.0^{commit}'"), repo.sh("git rev-parse main"));
    assert_eq!(repo.sh("git log -1 --format=%an main").trim(), "Ann Example");
    repo.sh("git merge-base --is-ancestor main develop");
    assert_eq!(repo.sh("git show main:VERSION").trim(), "1.0");
    assert_eq!(repo.current(), "release/1.0", "back on the branch the user was on");
    assert_eq!(repo.sh("git status --porcelain"), "");

    let again = failed(&repo, &merge("release/1.0")).await;
    assert!(again.error.unwrap().contains("Tag 'v1.0' already exists"));
}

#[tokio::test]
async fn a_conflict_leaves_head_refs_and_tree_as_they_were() {
    let repo = Repo::new("main");
    ok(&repo, &feature("clash")).await;
    repo.commit("a.txt", "feature side", "feat: a");
    repo.sh("git checkout -q main");
    repo.commit("a.txt", "main side", "fix: a");
    repo.sh("git checkout -q feature/clash && echo scratch > untracked.txt");
    let before = repo.state();
    let o = failed(&repo, &merge("feature/clash")).await;
    assert!(o.error.as_deref().unwrap().contains("conflicts in a.txt"), "{o:?}");
    assert!(o.output.contains("the repository is as it was"), "{}", o.output);
    assert_eq!(repo.state(), before);
    assert!(!repo.has("MERGE_HEAD"));
    assert_eq!(repo.current(), "feature/clash");
}

#[tokio::test]
async fn a_refused_back_merge_undoes_the_merge_into_main_and_the_tag() {
    let repo = Repo::new("main");
    ok(&repo, &release("2.0")).await;
    repo.commit("b.txt", "release side", "chore: b on the release");
    repo.sh("git checkout -q develop");
    repo.commit("b.txt", "develop side", "feat: b on develop");
    let before = repo.state();
    let o = failed(&repo, &merge("release/2.0")).await;
    assert!(o.error.as_deref().unwrap().contains("conflicts in b.txt"), "{o:?}");
    assert_eq!(repo.state(), before, "main moved back, no tag v2.0, still on develop");
    assert!(!repo.has("refs/tags/v2.0"));
}

#[tokio::test]
async fn a_dirty_tree_is_refused_and_left_dirty() {
    let repo = Repo::new("main");
    ok(&repo, &feature("wip")).await;
    repo.commit("w.txt", "one", "feat: w");
    repo.sh("echo changed >> README.md");
    let before = repo.state();
    let o = failed(&repo, &merge("feature/wip")).await;
    assert!(o.error.unwrap().contains("uncommitted changes"));
    assert!(o.output.contains("README.md"));
    assert_eq!(repo.state(), before);
    assert!(failed(&repo, &feature("other")).await.error.unwrap().contains("uncommitted"));
}

#[tokio::test]
async fn cleanup_deletes_only_merged_feature_branches_and_never_the_current_one() {
    let repo = Repo::new("main");
    ok(&repo, &feature("done")).await;
    repo.commit("d.txt", "d", "feat: d");
    ok(&repo, &feature("open")).await;
    repo.commit("o.txt", "o", "feat: o");
    repo.sh("git checkout -q develop && git merge -q --no-ff -m 'Merge feature/done' feature/done");
    repo.sh("git branch feature/here develop && git branch release/9 develop && git checkout -q feature/here");

    let only = FlowRequest { branch: Some("feature/open".into()), ..req("cleanup") };
    assert!(failed(&repo, &only).await.error.unwrap().contains("is not merged into 'develop'"));
    let current = FlowRequest { branch: Some("feature/here".into()), ..req("cleanup") };
    assert!(failed(&repo, &current).await.error.unwrap().contains("current branch"));
    let other = FlowRequest { branch: Some("release/9".into()), ..req("cleanup") };
    assert_eq!(field_of(&flow::run(&repo.ctx, &other).await.unwrap_err()), "branch:value_error");

    let o = ok(&repo, &req("cleanup")).await;
    assert!(o.output.contains("Deleted branch feature/done"), "{}", o.output);
    assert!(!repo.has("refs/heads/feature/done"));
    for kept in ["feature/open", "feature/here", "release/9", "develop", "main"] {
        assert!(repo.has(&format!("refs/heads/{kept}")), "{kept}");
    }
    assert!(ok(&repo, &req("cleanup")).await.output.contains("No feature branches merged"));
}

#[tokio::test]
async fn branch_info_shows_branches_ahead_behind_last_commits_and_the_tree() {
    let repo = Repo::new("main");
    ok(&repo, &feature("info")).await;
    repo.commit("i.txt", "i", "feat: info one");
    repo.commit("i.txt", "ii", "feat: info two");
    let o = ok(&repo, &req("branch-info")).await;
    assert!(o.output.contains("Current branch: feature/info"), "{}", o.output);
    assert!(o.output.contains("Working tree: clean"));
    assert!(o.output.contains("Main branch: main") && o.output.contains("Develop branch: develop"));
    let line = o.output.lines().find(|l| l.starts_with("* feature/info")).unwrap();
    assert!(line.contains("2 ahead, 0 behind main; 2 ahead, 0 behind develop"), "{line}");
    assert!(line.ends_with("feat: info two"), "{line}");
    assert!(o.output.contains("Ann Example: feat: info one"));
    repo.sh("echo x >> README.md");
    assert!(ok(&repo, &req("branch-info")).await.output.contains("Working tree: 1 changed file(s)"));
}

#[tokio::test]
async fn unknown_actions_missing_fields_and_invalid_names_are_field_errors() {
    let repo = Repo::new("main");
    let before = repo.state();
    let cases = [
        (req("deploy"), "action:value_error"),
        (req("create-feature"), "name:missing"),
        (FlowRequest { name: Some("  ".into()), ..req("create-feature") }, "name:missing"),
        (req("create-release"), "version:missing"),
        (req("merge-to-main"), "source:missing"),
        (feature("bad..name"), "name:value_error"),
        (feature("-x"), "name:value_error"),
        (feature("a b"), "name:value_error"),
        (feature("x.lock"), "name:value_error"),
        (feature(&"n".repeat(300)), "name:value_error"),
        (release("1.0~rc"), "version:value_error"),
        (merge("main"), "source:value_error"),
        (FlowRequest { branch: Some("a..b".into()), ..feature("ok") }, "branch:value_error"),
    ];
    for (r, want) in cases {
        let err = flow::run(&repo.ctx, &r).await.unwrap_err();
        assert_eq!(field_of(&err), want, "{r:?}");
    }
    assert_eq!(repo.state(), before, "nothing was done");
    assert!(failed(&repo, &merge("feature/none")).await.error.unwrap().contains("does not exist"));
}

#[tokio::test]
async fn the_repositorys_hooks_run_and_a_refusing_one_leaves_the_repository_as_it_was() {
    let repo = Repo::new("main");
    ok(&repo, &feature("hooked")).await;
    repo.commit("h.txt", "h", "feat: h");
    let marker = repo.path().join(".git/hook-ran");
    repo.sh(&format!(
        "printf '#!/bin/sh\\necho \"$GIT_AUTHOR_NAME\" >> {}\\necho pre-merge-commit refuses >&2\\nexit 1\\n' > .git/hooks/pre-merge-commit && chmod +x .git/hooks/pre-merge-commit",
        marker.display()
    ));
    let before = repo.state();
    let o = failed(&repo, &merge("feature/hooked")).await;
    assert!(o.output.contains("pre-merge-commit refuses"), "{}", o.output);
    assert_eq!(std::fs::read_to_string(&marker).unwrap().trim(), "Ann Example", "the hook ran as the Slipway user");
    assert_eq!(repo.state(), before);

    repo.sh("printf '#!/bin/sh\\ngrep -q \"^Merge branch\" \"$1\" && echo commit-msg saw the merge >&2\\nexit 0\\n' > .git/hooks/commit-msg && chmod +x .git/hooks/commit-msg && rm .git/hooks/pre-merge-commit");
    let o = ok(&repo, &merge("feature/hooked")).await;
    assert!(o.output.contains("commit-msg saw the merge"), "{}", o.output);
}

#[tokio::test]
async fn in_the_sandbox_git_runs_as_the_repositorys_user_and_hooks_cannot_write_outside() {
    let outside = tempfile::tempdir().unwrap();
    let availability =
        slipway_sandbox::Availability::detect(slipway_sandbox::SandboxOptions::hiding([outside.path().to_path_buf()]));
    let Some(sandbox) = availability.sandbox().cloned() else {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(!ci, "CI=true but the sandbox is unavailable: {:?}", availability.reason());
        eprintln!("SKIPPED: the sandbox is unavailable here: {:?}", availability.reason());
        return;
    };
    let mut repo = Repo::new("main");
    repo.ctx.placement =
        Placement::Sandboxed { sandbox, identity: slipway_sandbox::Identity::Unprivileged { slot: 42 } };
    ok(&repo, &feature("boxed")).await;
    repo.commit("b.txt", "b", "feat: b");
    let escape = outside.path().join("escaped");
    repo.sh(&format!(
        "printf '#!/bin/sh\\nid -u > .git/hook-uid\\necho x > {} 2>/dev/null\\nexit 0\\n' > .git/hooks/pre-merge-commit && chmod +x .git/hooks/pre-merge-commit",
        escape.display()
    ));
    ok(&repo, &merge("feature/boxed")).await;
    assert!(!escape.exists(), "the hidden directory is not writable from a hook");
    let uid = std::fs::read_to_string(repo.path().join(".git/hook-uid")).unwrap();
    let root = nix_is_root();
    if root {
        assert_eq!(uid.trim(), "200042", "the repository's own unprivileged user");
    }
    assert_eq!(repo.sh("git log -1 --format=%s main").trim(), "Merge branch 'feature/boxed'");
}

fn nix_is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
}
