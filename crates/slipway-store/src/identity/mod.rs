//! Identity's tables: users, sessions and refresh tokens, verification codes, security events, audit trail.

mod codes;
mod events;
mod sessions;
mod users;

pub use codes::CodeRecord;
pub use events::{AuditEntry, AuditRecord, SecurityEvent};
pub use sessions::{NewSession, Rotation, SessionAuth};
pub use users::{NewUser, UserChanges, UserFilter, UserRecord};
