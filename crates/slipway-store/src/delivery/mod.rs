//! Delivery: AnsFlow's pipelines and their runs, webhook deliveries, Jenkins servers, and the git repositories
//! Perfect21's git-flow works on.

mod jenkins;
mod repositories;
mod webhooks;

pub use jenkins::{JenkinsServerRecord, JenkinsServerRow};
pub use repositories::{GitRepositoryRecord, NewGitRepository};
pub use webhooks::{DeliveryPipeline, DeliveryRecord, NewDelivery};
