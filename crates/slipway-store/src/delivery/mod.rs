//! Delivery: AnsFlow's pipelines and their runs, webhook deliveries, Jenkins servers, and the git repositories
//! Perfect21's git-flow works on.

mod repositories;
mod webhooks;

pub use repositories::{GitRepositoryRecord, NewGitRepository};
pub use webhooks::{DeliveryPipeline, DeliveryRecord, NewDelivery};
