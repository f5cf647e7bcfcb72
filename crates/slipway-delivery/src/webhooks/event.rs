//! What a delivery asks for, whichever provider sent it: the trigger event, the repository (by every address
//! the payload gives), the branch or tag and the commit.

use serde_json::Value;

use crate::repository_key;

/// Who sent a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// GitHub (`X-GitHub-Event`, `X-Hub-Signature-256`).
    GitHub,
    /// GitLab (`X-Gitlab-Event`, `X-Gitlab-Token`).
    GitLab,
}

impl Provider {
    /// `github` or `gitlab`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GitHub => "github",
            Self::GitLab => "gitlab",
        }
    }
}

/// The pipeline trigger events a delivery can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerEvent {
    /// Commits pushed to a branch.
    Push,
    /// A pull (merge) request opened or updated.
    PullRequest,
    /// A tag pushed.
    Tag,
}

impl TriggerEvent {
    /// The name pipelines list in `trigger_events`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Push => "push",
            Self::PullRequest => "pull_request",
            Self::Tag => "tag",
        }
    }
}

/// A delivery that may start pipelines.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    /// What happened.
    pub event: TriggerEvent,
    /// [`repository_key`]s of every address the payload names for the repository.
    pub repository_keys: Vec<String>,
    /// The branch pipelines are matched on: the pushed branch, or a pull request's target branch; `None` for tags.
    pub branch: Option<String>,
    /// The branch or tag to check out: the pushed branch, a pull request's source branch, the tag.
    pub checkout_ref: String,
    /// The commit to check out.
    pub commit: String,
    /// Facts shown with the run: pusher, pull request number, title, message of the head commit.
    pub details: Value,
}

/// What a delivery is.
#[derive(Debug, Clone, PartialEq)]
pub enum Hook {
    /// GitHub's `ping` when a hook is created: answered, nothing runs.
    Ping,
    /// An event that may start pipelines.
    Trigger(Trigger),
    /// An event that starts nothing, and why (a deleted branch, a closed pull request, an unknown event).
    Ignored(String),
}

/// The repository keys of the addresses under `repo` named by `fields`, without duplicates.
pub(crate) fn repository_keys(repo: &Value, fields: &[&str]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for f in fields {
        if let Some(address) = repo.get(*f).and_then(Value::as_str).filter(|s| !s.is_empty()) {
            let key = repository_key(address);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys
}

/// A string field at a JSON pointer.
pub(crate) fn text<'a>(payload: &'a Value, pointer: &str) -> Option<&'a str> {
    payload.pointer(pointer).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// `refs/heads/x` → branch `x`; `refs/tags/x` → tag `x`.
pub(crate) enum GitRef<'a> {
    Branch(&'a str),
    Tag(&'a str),
    Other,
}

pub(crate) fn git_ref(r: &str) -> GitRef<'_> {
    if let Some(b) = r.strip_prefix("refs/heads/") {
        GitRef::Branch(b)
    } else if let Some(t) = r.strip_prefix("refs/tags/") {
        GitRef::Tag(t)
    } else {
        GitRef::Other
    }
}

/// The all-zero sha a provider sends for a deleted ref.
pub(crate) fn is_null_sha(sha: &str) -> bool {
    sha.bytes().all(|b| b == b'0')
}
