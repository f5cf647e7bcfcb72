//! `git_checkout`: clones or fetches a repository's branch or tag (or a commit of it) into the workspace with the
//! `git` command, with network, and records the commit it checked out on the run. The repository credential
//! reaches git through environment configuration (`GIT_CONFIG_COUNT`, `http.extraHeader`), never on a
//! command line or in a log (the masker knows it). Ordinary users' repositories must be `http(s)` URLs the
//! outbound policy allows; administrators may also name local paths and `file://`, `ssh://` or `git@` URLs.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Value, json};

use super::{StepContext, StepFuture, StepKind, StepOutcome, relative_inside_or_dot, timeout_of, timeout_property};

/// Checks out code.
#[derive(Debug, Clone, Copy)]
pub struct GitCheckout;

/// The script: every value comes from the environment, so nothing is spliced into the command line.
const SCRIPT: &str = r#"set -e
mkdir -p "$CHECKOUT_DIR"
cd "$CHECKOUT_DIR"
if [ ! -d .git ]; then git init -q; fi
git remote remove origin 2>/dev/null || true
git remote add origin "$CHECKOUT_REPOSITORY"
remote_refs="$(git ls-remote origin "refs/heads/$CHECKOUT_BRANCH" "refs/tags/$CHECKOUT_BRANCH")"
names="$(printf '%s\n' "$remote_refs" | cut -f2)"
if ! printf '%s\n' "$names" | grep -qxF "refs/heads/$CHECKOUT_BRANCH" \
    && printf '%s\n' "$names" | grep -qxF "refs/tags/$CHECKOUT_BRANCH"; then
    git fetch --no-tags origin "+refs/tags/$CHECKOUT_BRANCH:refs/tags/$CHECKOUT_BRANCH"
    fetched="refs/tags/$CHECKOUT_BRANCH"
else
    git fetch --no-tags --prune origin "+refs/heads/$CHECKOUT_BRANCH:refs/remotes/origin/$CHECKOUT_BRANCH"
    fetched="origin/$CHECKOUT_BRANCH"
fi
if [ -n "$CHECKOUT_COMMIT" ]; then target="$CHECKOUT_COMMIT"; else target="$fetched"; fi
git -c advice.detachedHead=false checkout -q --force -B "$CHECKOUT_BRANCH" "$target"
echo "checked out $(git rev-parse HEAD)" >&2
git rev-parse HEAD"#;

/// The `Authorization` header for a credential: `user:password` as given, a bare token as GitHub's
/// `x-access-token:<token>`.
pub(crate) fn auth_header(credential: &str) -> (String, String) {
    let pair = if credential.contains(':') { credential.to_owned() } else { format!("x-access-token:{credential}") };
    let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
    (format!("Authorization: Basic {encoded}"), encoded)
}

/// Whether an ordinary user may check out `repository`: an `http(s)` URL the outbound policy allows.
fn check_repository(step: &StepContext<'_>, repository: &str) -> Result<(), String> {
    let remote = repository.starts_with("https://") || repository.starts_with("http://");
    if step.owner_is_admin {
        return Ok(());
    }
    if !remote {
        return Err("only administrators may check out local paths or non-HTTP repositories".into());
    }
    step.services.outbound.check_str(repository, false).map_err(|r| r.message().to_owned())
}

impl StepKind for GitCheckout {
    fn id(&self) -> &'static str {
        "git_checkout"
    }

    fn name(&self) -> &'static str {
        "Git Checkout"
    }

    fn description(&self) -> &'static str {
        "检出 Git 代码"
    }

    fn category(&self) -> &'static str {
        "source_control"
    }

    fn icon(&self) -> &'static str {
        "git"
    }

    fn config_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "repository": {"type": "string", "title": "仓库地址", "maxLength": 2048,
                               "description": "default: the pipeline's repository_url"},
                "branch": {"type": "string", "title": "分支名称", "default": "main", "maxLength": 255,
                           "pattern": "^[A-Za-z0-9._/-]+$"},
                "commit": {"type": "string", "title": "提交", "pattern": "^[0-9a-fA-F]{7,64}$"},
                "directory": {"type": "string", "title": "检出目录", "default": ".", "maxLength": 1024},
                "timeout": timeout_property(),
            }
        })
    }

    fn run<'a>(&'a self, step: &'a StepContext<'a>) -> StepFuture<'a> {
        Box::pin(async move {
            let text = |key: &str| step.config.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
            let repository = text("repository").unwrap_or(step.repository_url).to_owned();
            if repository.is_empty() {
                return StepOutcome::failed("git_checkout needs a repository (the step's or the pipeline's)");
            }
            if let Err(why) = check_repository(step, &repository) {
                return StepOutcome::failed(why);
            }
            let branch = text("branch").unwrap_or(step.branch).to_owned();
            let dir = match relative_inside_or_dot(text("directory").unwrap_or(".")) {
                Ok(d) => d,
                Err(why) => return StepOutcome::failed(why),
            };
            let commit = text("commit").or(step.commit).unwrap_or_default().to_owned();
            let mut env = BTreeMap::from([
                ("CHECKOUT_REPOSITORY".to_owned(), repository),
                ("CHECKOUT_BRANCH".to_owned(), branch),
                ("CHECKOUT_COMMIT".to_owned(), commit),
                ("CHECKOUT_DIR".to_owned(), step.job.workspace().join(dir).display().to_string()),
                ("GIT_TERMINAL_PROMPT".to_owned(), "0".to_owned()),
            ]);
            if let Some(credential) = step.credential {
                let (header, _) = auth_header(credential);
                env.insert("GIT_CONFIG_COUNT".into(), "1".into());
                env.insert("GIT_CONFIG_KEY_0".into(), "http.extraHeader".into());
                env.insert("GIT_CONFIG_VALUE_0".into(), header);
            }
            let process = match step.run_process(SCRIPT.to_owned(), env, Some(true), timeout_of(step.config)).await {
                Ok(p) => p,
                Err(refused) => return refused,
            };
            let mut outcome = step.outcome_of(&process);
            if outcome.status == super::StepStatus::Success {
                let sha = process.stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default().trim();
                if sha.len() >= 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                    outcome.commit = Some(sha.to_owned());
                }
            }
            outcome
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_become_basic_credentials() {
        let (header, encoded) = auth_header("s3cr3t");
        assert_eq!(header, format!("Authorization: Basic {encoded}"));
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).unwrap_or_default();
        assert_eq!(decoded, b"x-access-token:s3cr3t");
        let (_, encoded) = auth_header("ann:pw");
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap_or_default(), b"ann:pw");
    }
}
