//! Operations: qoder's servers (with their tags and pinned host keys), the users allowed to operate them,
//! deployments to them (their servers and steps), and monitoring (monitored servers and their leases, samples
//! and roll-ups, alert rules and alerts).

mod deployments;
mod monitor_alerts;
mod monitor_samples;
mod monitoring;
mod operators;
mod servers;

pub use deployments::{
    DEPLOYMENT_STATUSES, DeploymentFilter, DeploymentRecord, DeploymentStepRecord, DeploymentTargetRecord,
    NewDeployment, NewTarget, TargetUpdate,
};
pub use monitor_alerts::{AlertRecord, AlertRuleRecord, AlertRuleRow};
pub use monitor_samples::{HistoryMetric, HistoryPoint, HistorySource, Pruned, SampleRecord};
pub use monitoring::{LOCAL_HOST_ID, MonitorCounts, MonitoredRecord};
pub use operators::OperatorRecord;
pub use servers::{ServerCheck, ServerFilter, ServerRecord, ServerRow};
