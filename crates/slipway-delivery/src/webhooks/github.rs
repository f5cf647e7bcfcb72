//! GitHub deliveries: `ping`, `push` (branches and tags) and `pull_request`, from `application/json` or from
//! `application/x-www-form-urlencoded` (`payload=`), as GitHub sends them.

use serde_json::{Value, json};
use slipway_core::Error;

use super::event::{GitRef, Hook, Trigger, TriggerEvent, git_ref, is_null_sha, repository_keys, text};

/// The repository addresses GitHub puts in a payload.
const ADDRESSES: &[&str] = &["clone_url", "ssh_url", "git_url", "html_url", "svn_url"];
/// Pull request actions that build.
const BUILDING_ACTIONS: &[&str] = &["opened", "synchronize", "reopened"];

/// The JSON payload of a delivery body in either of GitHub's content types.
pub fn payload(content_type: Option<&str>, body: &[u8]) -> Result<Value, Error> {
    let form = content_type.is_some_and(|c| c.trim_start().starts_with("application/x-www-form-urlencoded"));
    let json_bytes = if form {
        let payload = form_urlencoded::parse(body).find(|(k, _)| k == "payload").map(|(_, v)| v.into_owned());
        let Some(payload) = payload else {
            return Err(Error::invalid_field("payload", "missing", "a form-encoded delivery carries `payload=`"));
        };
        payload.into_bytes()
    } else {
        body.to_vec()
    };
    serde_json::from_slice(&json_bytes)
        .map_err(|e| Error::MalformedRequest(format!("the delivery's payload is not JSON: {e}")))
}

/// The repository keys of every address the payload gives for its repository (none for organization pings).
pub fn repository_keys_of(payload: &Value) -> Vec<String> {
    payload.get("repository").map(|r| repository_keys(r, ADDRESSES)).unwrap_or_default()
}

/// What a delivery of event `event` (`X-GitHub-Event`) with `payload` asks for.
pub fn hook(event: &str, payload: &Value) -> Result<Hook, Error> {
    match event {
        "ping" => Ok(Hook::Ping),
        "push" => push(payload),
        "pull_request" => pull_request(payload),
        other => Ok(Hook::Ignored(format!("GitHub event '{other}' does not trigger pipelines"))),
    }
}

fn missing(field: &str) -> Error {
    Error::invalid_field(field, "missing", format!("the payload has no {field}"))
}

fn push(p: &Value) -> Result<Hook, Error> {
    let r = text(p, "/ref").ok_or_else(|| missing("ref"))?;
    let after = text(p, "/after").or_else(|| text(p, "/head_commit/id")).ok_or_else(|| missing("after"))?;
    if p.get("deleted").and_then(Value::as_bool) == Some(true) || is_null_sha(after) {
        return Ok(Hook::Ignored(format!("{r} was deleted")));
    }
    p.get("repository").ok_or_else(|| missing("repository"))?;
    let details = json!({
        "pusher": text(p, "/pusher/name"),
        "message": text(p, "/head_commit/message"),
        "compare": text(p, "/compare"),
    });
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
        commit: after.to_owned(),
        details,
    }))
}

fn pull_request(p: &Value) -> Result<Hook, Error> {
    let action = text(p, "/action").ok_or_else(|| missing("action"))?;
    if !BUILDING_ACTIONS.contains(&action) {
        return Ok(Hook::Ignored(format!("pull request action '{action}' does not build")));
    }
    let base = text(p, "/pull_request/base/ref").ok_or_else(|| missing("pull_request.base.ref"))?;
    let head_ref = text(p, "/pull_request/head/ref").ok_or_else(|| missing("pull_request.head.ref"))?;
    let sha = text(p, "/pull_request/head/sha").ok_or_else(|| missing("pull_request.head.sha"))?;
    p.get("repository").ok_or_else(|| missing("repository"))?;
    Ok(Hook::Trigger(Trigger {
        event: TriggerEvent::PullRequest,
        repository_keys: repository_keys_of(p),
        branch: Some(base.to_owned()),
        checkout_ref: head_ref.to_owned(),
        commit: sha.to_owned(),
        details: json!({
            "number": p.pointer("/pull_request/number"),
            "title": text(p, "/pull_request/title"),
            "action": action,
            "sender": text(p, "/sender/login"),
        }),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push_payload(r: &str, after: &str) -> Value {
        json!({
            "ref": r, "after": after, "deleted": false,
            "repository": {"clone_url": "https://github.com/user/repo-name.git", "ssh_url": "git@github.com:user/repo-name.git"},
            "pusher": {"name": "username"}, "head_commit": {"id": after, "message": "Update README"},
        })
    }

    #[test]
    fn a_branch_push_triggers_push_on_that_branch() {
        let Hook::Trigger(t) = hook("push", &push_payload("refs/heads/main", "abc123")).unwrap() else { panic!() };
        assert_eq!(t.event, TriggerEvent::Push);
        assert_eq!(t.branch.as_deref(), Some("main"));
        assert_eq!(t.commit, "abc123");
        assert_eq!(t.repository_keys, vec!["github.com/user/repo-name".to_owned()]);
        assert_eq!(t.details["message"], "Update README");
    }

    #[test]
    fn tags_deletions_and_other_events() {
        let Hook::Trigger(t) = hook("push", &push_payload("refs/tags/v1.0", "abc")).unwrap() else { panic!() };
        assert_eq!((t.event, t.branch, t.checkout_ref.as_str()), (TriggerEvent::Tag, None, "v1.0"));
        let deleted = push_payload("refs/heads/x", "0000000000000000000000000000000000000000");
        assert!(matches!(hook("push", &deleted).unwrap(), Hook::Ignored(_)));
        assert_eq!(hook("ping", &json!({"zen": "Keep it logically awesome."})).unwrap(), Hook::Ping);
        assert!(matches!(hook("issues", &json!({})).unwrap(), Hook::Ignored(_)));
        assert_eq!(hook("push", &json!({"after": "a"})).unwrap_err().field_errors()[0].field(), "ref");
    }

    #[test]
    fn pull_requests_build_on_open_and_update_only() {
        let pr = |action: &str| {
            json!({"action": action, "repository": {"clone_url": "https://github.com/u/r.git"},
                "pull_request": {"number": 7, "base": {"ref": "main"}, "head": {"ref": "feature/x", "sha": "def"}}})
        };
        let Hook::Trigger(t) = hook("pull_request", &pr("synchronize")).unwrap() else { panic!() };
        assert_eq!(
            (t.branch.as_deref(), t.checkout_ref.as_str(), t.commit.as_str()),
            (Some("main"), "feature/x", "def")
        );
        assert_eq!(t.details["number"], 7);
        assert!(matches!(hook("pull_request", &pr("closed")).unwrap(), Hook::Ignored(_)));
    }

    #[test]
    fn form_encoded_deliveries_carry_the_json_in_payload() {
        let body = format!("payload={}", form_urlencoded::byte_serialize(br#"{"zen":"hi"}"#).collect::<String>());
        assert_eq!(payload(Some("application/x-www-form-urlencoded"), body.as_bytes()).unwrap()["zen"], "hi");
        assert!(payload(Some("application/x-www-form-urlencoded"), b"other=1").is_err());
        assert!(payload(Some("application/json"), b"{not json").is_err());
    }
}
