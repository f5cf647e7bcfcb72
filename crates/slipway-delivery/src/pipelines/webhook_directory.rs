//! The pipelines service as the webhooks see it: a repository's pipelines with their webhook secrets opened,
//! and runs queued for a verified delivery (a trusted caller: the run is the owner's).

use serde_json::Value;
use slipway_core::Error;

use super::Pipelines;
use super::model::{Trigger, TriggerKind};
use super::runs::RunVariables;
use super::secrets;
use crate::webhooks::{self, Candidate, PipelineDirectory, Provider, TriggerEvent, Webhooks};

impl Pipelines {
    /// The webhook receiver that starts these pipelines.
    pub fn webhooks(&self) -> Webhooks<Pipelines> {
        Webhooks::new(self.shared.db.clone(), self.clone())
    }
}

impl PipelineDirectory for Pipelines {
    async fn candidates(&self, keys: &[String]) -> Result<Vec<Candidate>, Error> {
        let mut found = Vec::new();
        // A payload names a repository by a handful of addresses that mostly share one key: one query each.
        for key in keys {
            for p in self.shared.db.pipelines_for_repository(key).await? {
                if found.iter().any(|c: &Candidate| c.pipeline_id == p.id) {
                    continue;
                }
                let secret = p
                    .webhook_secret
                    .as_deref()
                    .map(|s| self.shared.sealer.open(secrets::PIPELINE_SECRET, s))
                    .transpose()
                    .map_err(|e| {
                        Error::Internal(format!("cannot open the webhook secret of pipeline {}: {e}", p.id))
                    })?;
                let trigger_events = p
                    .trigger_events
                    .as_array()
                    .map(|events| events.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                    .unwrap_or_default();
                found.push(Candidate {
                    pipeline_id: p.id,
                    owner_id: p.user_id,
                    branch: Some(p.branch.clone()).filter(|b| !b.is_empty()),
                    trigger_events,
                    is_active: p.is_active,
                    secret,
                });
            }
        }
        Ok(found)
    }

    async fn start(
        &self,
        candidate: &Candidate,
        trigger: &webhooks::Trigger,
        provider: Provider,
        delivery_id: Option<&str>,
    ) -> Result<i64, Error> {
        let kind = match trigger.event {
            TriggerEvent::Push => TriggerKind::Push,
            TriggerEvent::PullRequest => TriggerKind::PullRequest,
            TriggerEvent::Tag => TriggerKind::Tag,
        };
        let mut details = trigger.details.clone();
        if let Some(map) = details.as_object_mut() {
            map.insert("provider".into(), provider.as_str().into());
            map.insert("ref".into(), trigger.checkout_ref.clone().into());
        }
        let run_trigger = Trigger { kind, by: None, details, delivery_id: delivery_id.map(str::to_owned) };
        let run = self
            .start_run_system(
                candidate.pipeline_id,
                run_trigger,
                Some(trigger.checkout_ref.clone()),
                Some(trigger.commit.clone()),
                RunVariables::default(),
            )
            .await?;
        Ok(run.id)
    }
}
