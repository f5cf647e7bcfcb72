//! Identity's tables: users, sessions and refresh tokens, verification codes, security events, audit trail,
//! organizations with their teams, members and quotas.

mod codes;
mod events;
mod organizations;
mod quotas;
mod sessions;
mod teams;
mod users;

pub use codes::CodeRecord;
pub use events::{AuditEntry, AuditRecord, SecurityEvent};
pub use organizations::{NewOrganization, OrganizationChanges, OrganizationFilter, OrganizationRecord};
pub use quotas::{NewQuota, QuotaRecord};
pub use sessions::{NewSession, Rotation, SessionAuth};
pub use teams::{MemberChange, MemberRecord, NewTeam, TeamRecord};
pub use users::{NewUser, UserChanges, UserFilter, UserRecord};
