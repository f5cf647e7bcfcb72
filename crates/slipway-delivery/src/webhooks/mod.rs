//! GitHub and GitLab webhooks: authenticity, what a delivery asks for, and the record of every delivery.

pub mod event;
pub mod github;
pub mod gitlab;
pub mod judge;
pub mod service;
pub mod signature;

pub use event::{Hook, Provider, Trigger, TriggerEvent};
pub use judge::{Candidate, Credential, Verdict};
pub use service::{Delivery, PipelineDirectory, Receipt, StartedRun, Webhooks};
pub use signature::{github_signature, github_signature_valid, gitlab_token_valid};
pub use slipway_store::delivery::{DeliveryPipeline, DeliveryRecord};
