//! Operations: qoder's servers (with their tags and pinned host keys), the users allowed to operate them, and
//! deployments to them (their servers and steps).

mod deployments;
mod operators;
mod servers;

pub use deployments::{
    DEPLOYMENT_STATUSES, DeploymentFilter, DeploymentRecord, DeploymentStepRecord, DeploymentTargetRecord,
    NewDeployment, NewTarget, TargetUpdate,
};
pub use operators::OperatorRecord;
pub use servers::{ServerCheck, ServerFilter, ServerRecord, ServerRow};
