//! Operations: qoder's servers (with their tags and pinned host keys) and the users allowed to operate them.

mod operators;
mod servers;

pub use operators::OperatorRecord;
pub use servers::{ServerCheck, ServerFilter, ServerRecord, ServerRow};
