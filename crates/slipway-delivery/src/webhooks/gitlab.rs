//! GitLab deliveries: `Push Hook`, `Tag Push Hook` and `Merge Request Hook`, routed on the payload's
//! `object_kind` as well as the `X-Gitlab-Event` header (system hooks send their own header).

use serde_json::{Value, json};
use slipway_core::Error;

use super::event::{GitRef, Hook, Trigger, TriggerEvent, git_ref, is_null_sha, repository_keys, text};

/// The repository addresses GitLab puts under `project` (and `repository`).
const ADDRESSES: &[&str] = &["git_http_url", "git_ssh_url", "http_url", "ssh_url", "web_url", "homepage", "url"];
/// Merge request actions that build.
const BUILDING_ACTIONS: &[&str] = &["open", "reopen", "update"];

/// What a delivery with header `event` (`X-Gitlab-Event`) and `payload` asks for.
pub fn hook(event: &str, payload: &Value) -> Result<Hook, Error> {
    let kind = text(payload, "/object_kind").unwrap_or(match event {
        "Push Hook" => "push",
        "Tag Push Hook" => "tag_push",
        "Merge Request Hook" => "merge_request",
        _ => "",
    });
    match kind {
        "push" | "tag_push" => push(payload),
        "merge_request" => merge_request(payload),
        "" => Ok(Hook::Ignored(format!("GitLab event '{event}' does not trigger pipelines"))),
        other => Ok(Hook::Ignored(format!("GitLab object_kind '{other}' does not trigger pipelines"))),
    }
}

fn missing(field: &str) -> Error {
    Error::invalid_field(field, "missing", format!("the payload has no {field}"))
}

/// The repository keys of the project's addresses, and of the older `repository` object's.
pub fn repository_keys_of(p: &Value) -> Vec<String> {
    let mut keys = p.get("project").map(|r| repository_keys(r, ADDRESSES)).unwrap_or_default();
    for k in p.get("repository").map(|r| repository_keys(r, ADDRESSES)).unwrap_or_default() {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys
}

fn push(p: &Value) -> Result<Hook, Error> {
    let r = text(p, "/ref").ok_or_else(|| missing("ref"))?;
    let Some(sha) = text(p, "/checkout_sha").or_else(|| text(p, "/after")).filter(|s| !is_null_sha(s)) else {
        return Ok(Hook::Ignored(format!("{r} was deleted")));
    };
    let (event, branch, checkout_ref) = match git_ref(r) {
        GitRef::Branch(b) => (TriggerEvent::Push, Some(b.to_owned()), b.to_owned()),
        GitRef::Tag(t) => (TriggerEvent::Tag, None, t.to_owned()),
        GitRef::Other => return Ok(Hook::Ignored(format!("{r} is neither a branch nor a tag"))),
    };
    Ok(Hook::Trigger(Trigger {
        event,
        repository_keys: repository_keys_of(p),
        branch,
        checkout_ref,
        commit: sha.to_owned(),
        details: json!({ "pusher": text(p, "/user_username").or_else(|| text(p, "/user_name")) }),
    }))
}

fn merge_request(p: &Value) -> Result<Hook, Error> {
    let attrs = p.get("object_attributes").ok_or_else(|| missing("object_attributes"))?;
    let action = text(attrs, "/action").unwrap_or("open");
    if !BUILDING_ACTIONS.contains(&action) {
        return Ok(Hook::Ignored(format!("merge request action '{action}' does not build")));
    }
    let target = text(attrs, "/target_branch").ok_or_else(|| missing("object_attributes.target_branch"))?;
    let source = text(attrs, "/source_branch").ok_or_else(|| missing("object_attributes.source_branch"))?;
    let sha = text(attrs, "/last_commit/id").ok_or_else(|| missing("object_attributes.last_commit.id"))?;
    Ok(Hook::Trigger(Trigger {
        event: TriggerEvent::PullRequest,
        repository_keys: repository_keys_of(p),
        branch: Some(target.to_owned()),
        checkout_ref: source.to_owned(),
        commit: sha.to_owned(),
        details: json!({
            "number": attrs.get("iid"),
            "title": text(attrs, "/title"),
            "action": action,
            "sender": text(p, "/user/username"),
        }),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Value {
        json!({"git_http_url": "https://gitlab.com/group/app.git", "git_ssh_url": "git@gitlab.com:group/app.git"})
    }

    #[test]
    fn pushes_tags_and_merge_requests() {
        let push = json!({"object_kind": "push", "ref": "refs/heads/dev", "checkout_sha": "aa", "project": project()});
        let Hook::Trigger(t) = hook("Push Hook", &push).unwrap() else { panic!() };
        assert_eq!((t.event, t.branch.as_deref(), t.commit.as_str()), (TriggerEvent::Push, Some("dev"), "aa"));
        assert_eq!(t.repository_keys, vec!["gitlab.com/group/app".to_owned()]);

        let tag = json!({"object_kind": "tag_push", "ref": "refs/tags/v2", "checkout_sha": "bb", "project": project()});
        let Hook::Trigger(t) = hook("Tag Push Hook", &tag).unwrap() else { panic!() };
        assert_eq!((t.event, t.checkout_ref.as_str()), (TriggerEvent::Tag, "v2"));

        let mr = json!({"object_kind": "merge_request", "project": project(), "object_attributes": {
            "iid": 3, "action": "update", "target_branch": "main", "source_branch": "f", "last_commit": {"id": "cc"}}});
        let Hook::Trigger(t) = hook("Merge Request Hook", &mr).unwrap() else { panic!() };
        assert_eq!(
            (t.event, t.branch.as_deref(), t.checkout_ref.as_str()),
            (TriggerEvent::PullRequest, Some("main"), "f")
        );
    }

    #[test]
    fn the_object_kind_routes_when_the_header_does_not() {
        let push = json!({"object_kind": "push", "ref": "refs/heads/x", "after": "dd", "project": project()});
        assert!(matches!(hook("System Hook", &push).unwrap(), Hook::Trigger(_)));
        let deleted = json!({"object_kind": "push", "ref": "refs/heads/x", "checkout_sha": null,
            "after": "0000000000000000000000000000000000000000", "project": project()});
        assert!(matches!(hook("Push Hook", &deleted).unwrap(), Hook::Ignored(_)));
        assert!(matches!(hook("Note Hook", &json!({"object_kind": "note"})).unwrap(), Hook::Ignored(_)));
        let merged = json!({"object_kind": "merge_request", "object_attributes": {"action": "merge"}});
        assert!(matches!(hook("Merge Request Hook", &merged).unwrap(), Hook::Ignored(_)));
    }
}
