//! Delivery: AnsFlow's pipelines and their runs, webhook deliveries, Jenkins servers, and the git repositories
//! Perfect21's git-flow works on.

mod webhooks;

pub use webhooks::{DeliveryPipeline, DeliveryRecord, NewDelivery};
