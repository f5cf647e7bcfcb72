//! Hook groups installed into real repositories: into `.git/hooks` and into a `core.hooksPath` directory,
//! existing hooks kept unless `force` (then saved as `<hook>.slipway-backup`), identical ones counted as
//! installed; then real `git commit`s through the installed hooks: a file holding an AWS-style key is refused,
//! a clean commit passes, a bad message is refused, and the strict group refuses commits on main. A clone's
//! `core.hooksPath` may not point outside it.
#![allow(clippy::unwrap_used)]

mod gitrepo;

use std::os::unix::fs::PermissionsExt;

use gitrepo::Repo;
use slipway_core::Error;
use slipway_delivery::git::hooks::{self, GROUPS};

async fn install(repo: &Repo, group: &str, force: bool) -> slipway_delivery::git::Outcome {
    hooks::install(&repo.ctx, hooks::group(Some(group)).unwrap(), force, None).await.unwrap()
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn the_standard_group_goes_into_dot_git_hooks_executable_and_installs_once() {
    let repo = Repo::new("main");
    let o = install(&repo, "standard", false).await;
    assert!(o.success, "{o:?}");
    let dir = repo.path().join(".git/hooks");
    for hook in ["pre-commit", "commit-msg", "pre-push"] {
        assert!(o.output.contains(&format!("- {hook}: installed")), "{}", o.output);
        assert_eq!(mode(&dir.join(hook)), 0o755, "{hook}");
    }
    let again = install(&repo, "standard", false).await;
    assert!(again.success && again.output.contains("- pre-commit: already installed"), "{again:?}");
}

#[tokio::test]
async fn core_hooks_path_is_honoured() {
    let repo = Repo::new("main");
    repo.sh("git config core.hooksPath .githooks");
    let o = install(&repo, "minimal", false).await;
    assert!(o.success && o.output.contains(".githooks"), "{o:?}");
    assert_eq!(mode(&repo.path().join(".githooks/pre-commit")), 0o755);
    assert!(!repo.path().join(".git/hooks/pre-commit").exists());
    assert!(!repo.path().join(".githooks/commit-msg").exists(), "minimal has the pre-commit hook only");
    repo.sh("echo 'aws = AKIAIOSFODNN7EXAMPLE' > creds.txt && git add creds.txt");
    let (code, text) = repo.try_sh("git commit -m 'feat: creds'");
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("AWS-access-key"), "{text}");
}

#[tokio::test]
async fn an_existing_hook_is_kept_unless_force_saves_it_aside() {
    let repo = Repo::new("main");
    let hook = repo.path().join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    let o = install(&repo, "standard", false).await;
    assert!(!o.success, "{o:?}");
    assert!(o.error.as_deref().unwrap().contains("pre-commit"), "{o:?}");
    assert!(o.output.contains("- pre-commit: a different hook exists; kept"), "{}", o.output);
    assert!(o.output.contains("- commit-msg: installed"), "the others are installed: {}", o.output);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), "#!/bin/sh\necho mine\n");

    let forced = install(&repo, "standard", true).await;
    assert!(forced.success, "{forced:?}");
    assert!(forced.output.contains("saved as pre-commit.slipway-backup"), "{}", forced.output);
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".git/hooks/pre-commit.slipway-backup")).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    assert!(std::fs::read_to_string(&hook).unwrap().contains("Slipway hook (group standard)"));
}

#[tokio::test]
async fn installed_hooks_refuse_a_secret_and_a_bad_message_and_pass_a_clean_commit() {
    let repo = Repo::new("main");
    assert!(install(&repo, "standard", false).await.success);

    repo.sh("printf 'id = \"AKIAIOSFODNN7EXAMPLE\"\\n' > config.py && git add config.py");
    let before = repo.sh("git rev-parse HEAD");
    let (code, text) = repo.try_sh("git commit -m 'feat: add config'");
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("config.py holds what looks like a secret: AWS-access-key"), "{text}");
    assert_eq!(repo.sh("git rev-parse HEAD"), before, "nothing was committed");

    for (file, content, kind) in [
        ("key.pem", "-----BEGIN RSA PRIVATE KEY-----", "private-key"),
        ("settings.ini", "password = \"hunter2hunter2\"", "password-assignment"),
        ("ci.yml", "token: ghp_abcdefghijklmnopqrstuvwxyz0123456789", "GitHub-token"),
        ("slack.txt", "xoxb-123456789012-abcdefghij", "Slack-token"),
    ] {
        repo.sh(&format!("git reset -q && git clean -qfd && printf '%s\\n' '{content}' > {file} && git add {file}"));
        let (code, text) = repo.try_sh("git commit -m 'feat: more'");
        assert_ne!(code, 0, "{file}: {text}");
        assert!(text.contains(kind), "{file}: {text}");
    }

    repo.sh("git reset -q && git clean -qfd && printf 'print(1)\\n' > app.py && git add app.py");
    let (code, text) = repo.try_sh("git commit -m 'added stuff'");
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("the message must read 'type(scope): subject'"), "{text}");

    let (code, text) = repo.try_sh("git commit -m 'feat(app): print one'");
    assert_eq!(code, 0, "{text}");
    assert_eq!(repo.sh("git log -1 --format=%s").trim(), "feat(app): print one");

    repo.sh("printf 'if then\\n' > broken.sh && git add broken.sh");
    let (code, text) = repo.try_sh("git commit -m 'fix: a broken script'");
    assert_ne!(code, 0, "sh -n lints staged shell: {text}");
    assert!(text.contains("broken.sh"), "{text}");
}

#[tokio::test]
async fn the_strict_group_refuses_commits_on_main_and_develop() {
    let repo = Repo::new("main");
    assert!(install(&repo, "strict", false).await.success);
    repo.sh("echo more >> README.md && git add README.md");
    let (code, text) = repo.try_sh("git commit -m 'docs: more'");
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("'main' takes merges only"), "{text}");
    repo.sh("git checkout -q -b feature/docs");
    let (code, text) = repo.try_sh("git commit -m 'docs: more'");
    assert_eq!(code, 0, "{text}");
}

#[tokio::test]
async fn an_unknown_group_names_the_groups_and_a_clones_hooks_stay_inside_it() {
    let err = hooks::group(Some("paranoid")).unwrap_err();
    let Error::Validation(fields) = &err else { panic!("{err:?}") };
    assert_eq!(fields[0].field(), "hook_group");
    assert!(fields[0].msg.contains("standard, minimal, strict"), "{}", fields[0].msg);
    assert_eq!(hooks::group(None).unwrap().name, "standard");
    assert_eq!(GROUPS.len(), 3);

    let repo = Repo::new("main");
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("evil-hooks");
    repo.sh(&format!("git config core.hooksPath {}", target.display()));
    let o = hooks::install(&repo.ctx, hooks::group(None).unwrap(), true, Some(&repo.path())).await.unwrap();
    assert!(!o.success && o.error.as_deref().unwrap().contains("outside the repository"), "{o:?}");
    assert!(!target.exists(), "nothing is created outside");
    repo.sh("git config core.hooksPath ../../escape/hooks");
    let o = hooks::install(&repo.ctx, hooks::group(None).unwrap(), true, Some(&repo.path())).await.unwrap();
    assert!(!o.success, "{o:?}");
}

#[tokio::test]
async fn the_pre_push_hook_runs_the_projects_tests() {
    let repo = Repo::new("main");
    if repo.try_sh("command -v pytest").0 != 0 {
        eprintln!("SKIPPED: pytest is not installed here");
        return;
    }
    assert!(install(&repo, "standard", false).await.success);
    let remote = tempfile::tempdir().unwrap();
    repo.sh(&format!("git init -q --bare {0} && git remote add origin {0}", remote.path().display()));
    repo.sh("mkdir tests && printf 'def test_fails():\n    assert 1 == 2\n' > tests/test_app.py && git add tests && git commit -qm 'test: a failing test'");
    let (code, text) = repo.try_sh("git push -q origin main");
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("push refused; 'pytest -q' failed"), "{text}");
    assert!(
        repo.try_sh(&format!("git -C {} rev-parse -q --verify main", remote.path().display())).0 != 0,
        "nothing was pushed"
    );
    repo.sh("printf 'def test_passes():\n    assert 1 == 1\n' > tests/test_app.py && git commit -qam 'test: a passing test'");
    let (code, text) = repo.try_sh("git push -q origin main");
    assert_eq!(code, 0, "{text}");
}
