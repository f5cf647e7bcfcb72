//! Agent work: activities (one row per agent call), quality-gate checks, and diet-plan results.

mod activities;
mod gates;
mod plans;

pub use activities::{ActivityRecord, NewActivity};
pub use gates::{GateCheckRecord, GateStats, NewGateCheck};
pub use plans::DietPlanRecord;
