//! Delivery: AnsFlow's pipelines and their runs, webhook deliveries, Jenkins servers, and the git repositories
//! Perfect21's git-flow works on.

mod jenkins;

pub use jenkins::{JenkinsServerRecord, JenkinsServerRow};
