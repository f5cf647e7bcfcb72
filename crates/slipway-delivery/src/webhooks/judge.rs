//! Which pipelines of a repository a delivery starts, and for each one that it does not, why.

use super::event::{Provider, Trigger};
use super::signature::{github_signature_valid, gitlab_token_valid};

/// A pipeline of the delivery's repository, as the webhooks need to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The pipeline.
    pub pipeline_id: i64,
    /// Its owner (runs start as theirs).
    pub owner_id: i64,
    /// The branch it builds; `None` builds every branch.
    pub branch: Option<String>,
    /// Its `trigger_events`.
    pub trigger_events: Vec<String>,
    /// Whether it is active.
    pub is_active: bool,
    /// Its webhook secret, opened; `None` when it has none (then no delivery starts it).
    pub secret: Option<String>,
}

/// What a delivery does to one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A run starts.
    Start,
    /// The pipeline has no webhook secret, so nothing can prove the delivery came from the provider.
    NoSecret,
    /// The signature or token does not match the pipeline's secret.
    SignatureMismatch,
    /// The pipeline is inactive.
    Inactive,
    /// The pipeline's `trigger_events` do not include the delivery's event.
    EventNotEnabled,
    /// The pipeline builds another branch.
    BranchMismatch,
}

impl Verdict {
    /// How the delivery record names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "started",
            Self::NoSecret => "no_secret",
            Self::SignatureMismatch => "signature_mismatch",
            Self::Inactive => "inactive",
            Self::EventNotEnabled => "event_not_enabled",
            Self::BranchMismatch => "branch_mismatch",
        }
    }
}

/// The credential a delivery carries: GitHub's signature header or GitLab's token header.
#[derive(Debug, Clone, Copy)]
pub struct Credential<'a> {
    /// Who sent it.
    pub provider: Provider,
    /// `X-Hub-Signature-256` or `X-Gitlab-Token`.
    pub header: Option<&'a str>,
    /// The raw body (GitHub signs it).
    pub body: &'a [u8],
}

impl Credential<'_> {
    /// Whether the delivery proves it knows `secret`.
    pub fn proves(&self, secret: &str) -> bool {
        match self.provider {
            Provider::GitHub => github_signature_valid(secret.as_bytes(), self.body, self.header),
            Provider::GitLab => gitlab_token_valid(secret.as_bytes(), self.header),
        }
    }
}

/// Whether `candidate` accepts the delivery's credential (the check that comes before anything else).
pub fn authenticity(candidate: &Candidate, credential: &Credential<'_>) -> Verdict {
    match candidate.secret.as_deref() {
        None | Some("") => Verdict::NoSecret,
        Some(secret) if credential.proves(secret) => Verdict::Start,
        Some(_) => Verdict::SignatureMismatch,
    }
}

/// Whether an authentic delivery's trigger starts `candidate`.
pub fn matches(candidate: &Candidate, trigger: &Trigger) -> Verdict {
    if !candidate.is_active {
        return Verdict::Inactive;
    }
    if !candidate.trigger_events.iter().any(|e| e == trigger.event.as_str()) {
        return Verdict::EventNotEnabled;
    }
    match (&candidate.branch, &trigger.branch) {
        (Some(wanted), Some(got)) if !wanted.is_empty() && wanted != got => Verdict::BranchMismatch,
        _ => Verdict::Start,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::webhooks::{TriggerEvent, github_signature};

    fn candidate(secret: Option<&str>) -> Candidate {
        Candidate {
            pipeline_id: 1,
            owner_id: 2,
            branch: Some("main".into()),
            trigger_events: vec!["push".into(), "tag".into()],
            is_active: true,
            secret: secret.map(str::to_owned),
        }
    }

    fn trigger(event: TriggerEvent, branch: Option<&str>) -> Trigger {
        Trigger {
            event,
            repository_keys: vec!["github.com/u/r".into()],
            branch: branch.map(str::to_owned),
            checkout_ref: branch.unwrap_or("v1").to_owned(),
            commit: "abc".into(),
            details: json!({}),
        }
    }

    #[test]
    fn only_a_delivery_signed_with_the_pipelines_secret_is_authentic() {
        let body = br#"{"ref":"refs/heads/main"}"#;
        let signed = github_signature(b"s3cret", body);
        let github = |header| Credential { provider: Provider::GitHub, header, body };
        assert_eq!(authenticity(&candidate(Some("s3cret")), &github(Some(&signed))), Verdict::Start);
        assert_eq!(authenticity(&candidate(Some("other")), &github(Some(&signed))), Verdict::SignatureMismatch);
        assert_eq!(authenticity(&candidate(Some("s3cret")), &github(None)), Verdict::SignatureMismatch);
        assert_eq!(authenticity(&candidate(None), &github(Some(&signed))), Verdict::NoSecret);
        let gitlab = |header| Credential { provider: Provider::GitLab, header, body };
        assert_eq!(authenticity(&candidate(Some("tok")), &gitlab(Some("tok"))), Verdict::Start);
        assert_eq!(authenticity(&candidate(Some("tok")), &gitlab(Some("tak"))), Verdict::SignatureMismatch);
    }

    #[test]
    fn events_branches_and_activity_decide_the_rest() {
        let c = candidate(Some("s"));
        assert_eq!(matches(&c, &trigger(TriggerEvent::Push, Some("main"))), Verdict::Start);
        assert_eq!(matches(&c, &trigger(TriggerEvent::Push, Some("dev"))), Verdict::BranchMismatch);
        assert_eq!(matches(&c, &trigger(TriggerEvent::PullRequest, Some("main"))), Verdict::EventNotEnabled);
        assert_eq!(matches(&c, &trigger(TriggerEvent::Tag, None)), Verdict::Start, "tags build whatever the branch");
        let any_branch = Candidate { branch: None, ..c.clone() };
        assert_eq!(matches(&any_branch, &trigger(TriggerEvent::Push, Some("dev"))), Verdict::Start);
        let inactive = Candidate { is_active: false, ..c };
        assert_eq!(matches(&inactive, &trigger(TriggerEvent::Push, Some("main"))), Verdict::Inactive);
    }
}
