//! Receiving a delivery: parse it, find the pipelines of its repository, prove it came from the provider with
//! one of their secrets, drop redeliveries, queue the runs it asks for (never waiting for them), and record
//! what happened to each pipeline.

use std::future::Future;

use serde_json::Value;
use slipway_core::{Error, Principal};
use slipway_store::Db;
use slipway_store::delivery::{DeliveryPipeline, DeliveryRecord, NewDelivery};

use super::event::{Hook, Provider, Trigger};
use super::judge::{Candidate, Credential, Verdict, authenticity, matches};
use super::{github, gitlab};
use crate::pipelines::validate::valid_branch;

/// Where webhooks find and start pipelines (the pipelines service).
pub trait PipelineDirectory: Send + Sync {
    /// The pipelines whose repository has one of `keys`, with their webhook secrets opened.
    fn candidates(&self, keys: &[String]) -> impl Future<Output = Result<Vec<Candidate>, Error>> + Send;

    /// Queues a run of `candidate` for `trigger` as its owner, without waiting for it; the run's id.
    fn start(
        &self,
        candidate: &Candidate,
        trigger: &Trigger,
        provider: Provider,
        delivery_id: Option<&str>,
    ) -> impl Future<Output = Result<i64, Error>> + Send;
}

/// One delivery as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// Who sent it.
    pub provider: Provider,
    /// `X-GitHub-Event` or `X-Gitlab-Event`.
    pub event: &'a str,
    /// `X-GitHub-Delivery`, or GitLab's `Idempotency-Key` / `X-Gitlab-Event-UUID`.
    pub delivery_id: Option<&'a str>,
    /// `X-Hub-Signature-256` or `X-Gitlab-Token`.
    pub credential: Option<&'a str>,
    /// The body's content type.
    pub content_type: Option<&'a str>,
    /// The raw body.
    pub body: &'a [u8],
}

/// A run a delivery queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartedRun {
    /// The pipeline.
    pub pipeline_id: i64,
    /// Its new run.
    pub run_id: i64,
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// Slipway's record of it.
    pub record_id: i64,
    /// `ping`, `started`, `no_match`, `ignored` or `duplicate`.
    pub outcome: &'static str,
    /// Why, when nothing started.
    pub reason: Option<String>,
    /// The runs it queued.
    pub runs: Vec<StartedRun>,
}

/// The webhook receiver.
#[derive(Clone)]
pub struct Webhooks<D> {
    db: Db,
    directory: D,
}

impl<D: PipelineDirectory> Webhooks<D> {
    /// Receives deliveries into `db`, starting pipelines of `directory`.
    pub fn new(db: Db, directory: D) -> Self {
        Self { db, directory }
    }

    /// Handles one delivery. An unparseable body is a validation error; a delivery no pipeline's secret
    /// proves is `Unauthenticated` (recorded, nothing runs); a verified redelivery is a `duplicate` receipt.
    pub async fn receive(&self, d: Delivery<'_>) -> Result<Receipt, Error> {
        let (payload, hook) = parse(&d)?;
        let keys = match (&hook, d.provider) {
            (Hook::Trigger(t), _) => t.repository_keys.clone(),
            (_, Provider::GitHub) => github::repository_keys_of(&payload),
            (_, Provider::GitLab) => gitlab::repository_keys_of(&payload),
        };
        let candidates = if keys.is_empty() { Vec::new() } else { self.directory.candidates(&keys).await? };
        let credential = Credential { provider: d.provider, header: d.credential, body: d.body };
        let judged: Vec<(Candidate, Verdict)> = candidates
            .into_iter()
            .map(|c| {
                let verdict = authenticity(&c, &credential);
                (c, verdict)
            })
            .collect();
        let mut record = new_record(&d, &hook, keys.first().cloned());
        if !judged.iter().any(|(_, v)| *v == Verdict::Start) {
            let reason = if judged.is_empty() {
                "no pipeline of this repository takes webhooks".to_owned()
            } else {
                "the signature matches no pipeline's webhook secret".to_owned()
            };
            record.outcome = "rejected".into();
            let id = self.record(&record).await?;
            self.finish(id, "rejected", Some(&reason), &judged, &[]).await?;
            return Err(Error::Unauthenticated);
        }
        record.verified = true;
        let Some(id) = self.db.insert_webhook_delivery(&record).await? else {
            record.outcome = "duplicate".into();
            let id = self.record(&record).await?;
            let reason = "this delivery was received before".to_owned();
            self.finish(id, "duplicate", Some(&reason), &[], &[]).await?;
            return Ok(Receipt { record_id: id, outcome: "duplicate", reason: Some(reason), runs: Vec::new() });
        };
        let trigger = match hook {
            Hook::Ping => return self.conclude(id, "ping", None, &judged, Vec::new()).await,
            Hook::Ignored(reason) => return self.conclude(id, "ignored", Some(reason), &judged, Vec::new()).await,
            Hook::Trigger(t) => t,
        };
        let mut verdicts = Vec::with_capacity(judged.len());
        let mut runs = Vec::new();
        for (c, authentic) in judged {
            let verdict = if authentic == Verdict::Start { matches(&c, &trigger) } else { authentic };
            if verdict == Verdict::Start {
                let run_id = self.directory.start(&c, &trigger, d.provider, d.delivery_id).await?;
                runs.push(StartedRun { pipeline_id: c.pipeline_id, run_id });
            }
            verdicts.push((c, verdict));
        }
        let (outcome, reason) = if runs.is_empty() {
            ("no_match", Some("no pipeline of this repository builds this event and branch".to_owned()))
        } else {
            ("started", None)
        };
        self.conclude(id, outcome, reason, &verdicts, runs).await
    }

    /// A page of deliveries, newest first, and how many there are: an administrator sees every delivery, a
    /// user those that concerned one of their pipelines (with what they did to those pipelines only).
    pub async fn deliveries(
        &self,
        principal: &Principal,
        pipeline_id: Option<i64>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<(DeliveryRecord, Vec<DeliveryPipeline>)>, i64), Error> {
        let viewer = (!principal.is_admin()).then_some(principal.user_id);
        Ok(self.db.webhook_deliveries(viewer, pipeline_id, offset, limit).await?)
    }

    async fn record(&self, record: &NewDelivery) -> Result<i64, Error> {
        self.db
            .insert_webhook_delivery(record)
            .await?
            .ok_or_else(|| Error::Internal("an unverified delivery record was refused".into()))
    }

    async fn conclude(
        &self,
        id: i64,
        outcome: &'static str,
        reason: Option<String>,
        verdicts: &[(Candidate, Verdict)],
        runs: Vec<StartedRun>,
    ) -> Result<Receipt, Error> {
        self.finish(id, outcome, reason.as_deref(), verdicts, &runs).await?;
        Ok(Receipt { record_id: id, outcome, reason, runs })
    }

    async fn finish(
        &self,
        id: i64,
        outcome: &str,
        reason: Option<&str>,
        verdicts: &[(Candidate, Verdict)],
        runs: &[StartedRun],
    ) -> Result<(), Error> {
        let rows: Vec<DeliveryPipeline> = verdicts
            .iter()
            .map(|(c, v)| DeliveryPipeline {
                delivery_id: id,
                pipeline_id: c.pipeline_id,
                owner_id: c.owner_id,
                outcome: v.as_str().to_owned(),
                run_id: runs.iter().find(|r| r.pipeline_id == c.pipeline_id).map(|r| r.run_id),
            })
            .collect();
        Ok(self.db.finish_webhook_delivery(id, outcome, reason, &rows).await?)
    }
}

fn parse(d: &Delivery<'_>) -> Result<(Value, Hook), Error> {
    let (payload, hook) = parse_payload(d)?;
    slipway_core::nul::refuse_nul("body", &payload)?;
    if let Hook::Trigger(t) = &hook {
        check_trigger(t)?;
    }
    Ok((payload, hook))
}

/// A ref or commit no run could check out is refused before anything is recorded.
fn check_trigger(t: &Trigger) -> Result<(), Error> {
    if !valid_branch(&t.checkout_ref) {
        return Err(Error::invalid_field("ref", "value_error", "not a branch or tag name Slipway builds"));
    }
    let c = &t.commit;
    if !(7..=64).contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid_field("commit", "value_error", "not a commit id"));
    }
    Ok(())
}

fn parse_payload(d: &Delivery<'_>) -> Result<(Value, Hook), Error> {
    match d.provider {
        Provider::GitHub => {
            let payload = github::payload(d.content_type, d.body)?;
            let hook = github::hook(d.event, &payload)?;
            Ok((payload, hook))
        }
        Provider::GitLab => {
            let payload: Value = serde_json::from_slice(d.body)
                .map_err(|e| Error::MalformedRequest(format!("the delivery's payload is not JSON: {e}")))?;
            let hook = gitlab::hook(d.event, &payload)?;
            Ok((payload, hook))
        }
    }
}

fn new_record(d: &Delivery<'_>, hook: &Hook, repository: Option<String>) -> NewDelivery {
    let (git_ref, commit) = match hook {
        Hook::Trigger(t) => (Some(t.checkout_ref.clone()), Some(t.commit.clone())),
        Hook::Ping | Hook::Ignored(_) => (None, None),
    };
    NewDelivery {
        provider: d.provider.as_str().to_owned(),
        event: d.event.to_owned(),
        delivery_id: d.delivery_id.map(str::to_owned),
        verified: false,
        outcome: "received".into(),
        reason: None,
        repository,
        git_ref,
        commit_sha: commit,
        received_at: slipway_core::time::now(),
    }
}
