//! ResoftAI's team and member bodies: the documented fields, one shape per resource whichever route returns it
//! (a member added and a member whose role changed look alike).

use serde::Serialize;
use slipway_core::time::rfc3339;
use slipway_identity::organizations::{MemberRecord, TeamDetail, TeamRecord};
use utoipa::ToSchema;

/// A team as ResoftAI shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiTeam {
    /// Its id.
    pub id: i64,
    /// Its organization.
    pub organization_id: i64,
    /// A name, unique in the organization.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Whether it is the organization's default team.
    pub is_default: bool,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

impl From<&TeamRecord> for ResoftAiTeam {
    fn from(t: &TeamRecord) -> Self {
        Self {
            id: t.id,
            organization_id: t.organization_id,
            name: t.name.clone(),
            description: t.description.clone(),
            is_default: t.is_default,
            created_at: rfc3339(t.created_at),
        }
    }
}

/// A member of a team.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiTeamMember {
    /// The membership's id.
    pub id: i64,
    /// The team.
    pub team_id: i64,
    /// The user.
    pub user_id: i64,
    /// The user's name.
    pub username: String,
    /// `owner`, `admin`, `member` or `viewer`.
    pub role: String,
    /// When the user joined (RFC 3339).
    pub joined_at: String,
    /// When the role last changed (RFC 3339).
    pub updated_at: String,
}

impl From<&MemberRecord> for ResoftAiTeamMember {
    fn from(m: &MemberRecord) -> Self {
        Self {
            id: m.id,
            team_id: m.team_id,
            user_id: m.user_id,
            username: m.username.clone(),
            role: m.role.clone(),
            joined_at: rfc3339(m.joined_at),
            updated_at: rfc3339(m.updated_at),
        }
    }
}

/// A team with its members.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiTeamDetail {
    /// The team's fields.
    #[serde(flatten)]
    pub team: ResoftAiTeam,
    /// Its members in the order they joined.
    pub members: Vec<ResoftAiTeamMember>,
}

impl From<&TeamDetail> for ResoftAiTeamDetail {
    fn from(d: &TeamDetail) -> Self {
        Self { team: (&d.team).into(), members: d.members.iter().map(Into::into).collect() }
    }
}
