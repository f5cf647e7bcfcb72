//! Real repositories for the git tests: `git init` in a temp dir, commits made with the `git` command, and the
//! repository's whole state (HEAD, every ref, the tree) to compare before and after an operation.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use slipway_delivery::git::{Author, GitContext};

/// A repository in a temp dir with a context on the host.
pub struct Repo {
    pub dir: tempfile::TempDir,
    pub home: tempfile::TempDir,
    pub ctx: GitContext,
}

pub fn author() -> Author {
    Author { name: "Ann Example".into(), email: "ann@example.com".into() }
}

/// Runs `sh -c script` in `dir` the way a person's shell would run git there; answers (exit code, output).
pub fn sh_status(dir: &Path, home: &Path, script: &str) -> (i32, String) {
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into()))
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "safe.directory")
        .env("GIT_CONFIG_VALUE_0", "*")
        .env("GIT_AUTHOR_NAME", "Ann Example")
        .env("GIT_AUTHOR_EMAIL", "ann@example.com")
        .env("GIT_COMMITTER_NAME", "Ann Example")
        .env("GIT_COMMITTER_EMAIL", "ann@example.com")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

impl Repo {
    /// A repository with one commit (`README.md`) on `branch`.
    pub fn new(branch: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let ctx = GitContext::host(dir.path(), author(), home.path());
        let repo = Self { dir, home, ctx };
        repo.sh(&format!(
            "git init -q -b {branch} && echo '# app' > README.md && git add . && git commit -qm 'chore: start'"
        ));
        repo
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Runs a script that must succeed; answers its output.
    pub fn sh(&self, script: &str) -> String {
        let (code, text) = self.try_sh(script);
        assert_eq!(code, 0, "{script}: {text}");
        text
    }

    /// Runs a script; answers (exit code, output).
    pub fn try_sh(&self, script: &str) -> (i32, String) {
        sh_status(self.dir.path(), self.home.path(), script)
    }

    /// Commits `content` to `file` on the branch checked out.
    pub fn commit(&self, file: &str, content: &str, message: &str) {
        self.sh(&format!("printf '%s\\n' '{content}' > {file} && git add {file} && git commit -qm '{message}'"));
    }

    /// HEAD (symbolic), every ref with its object, and the status (tracked and untracked).
    pub fn state(&self) -> String {
        self.sh("git symbolic-ref -q HEAD || git rev-parse HEAD; git for-each-ref --format='%(refname) %(objectname)'; git status --porcelain")
    }

    /// The branch checked out.
    pub fn current(&self) -> String {
        self.sh("git symbolic-ref --short HEAD").trim().to_owned()
    }

    /// Whether `git rev-parse --verify` finds `r`.
    pub fn has(&self, r: &str) -> bool {
        self.try_sh(&format!("git rev-parse -q --verify '{r}'")).0 == 0
    }
}
