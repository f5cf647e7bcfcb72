//! ResoftAI's organizations, their teams and members, and their quotas.
//!
//! A user belongs to an organization through its teams; the organization's owners are the owners of any of its
//! teams. Who may do what is decided in one place per resource: [`Organizations::organization_for`] for an
//! organization (and its quotas), [`Organizations::team_for`] for a team. Outsiders are told a resource does
//! not exist rather than that it is not theirs. An organization's tier sets the ResoftAI rate limit of its
//! members ([`Organizations::tier_of`]).

mod input;
mod orgs;
mod quotas;
mod teams;
mod tier;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use slipway_core::{Error, Principal};
use slipway_store::Db;

pub use input::{MAX_DESCRIPTION, MAX_NAME, MAX_SLUG};
pub use orgs::{OrganizationQuery, OrganizationRequest, OrganizationUpdate};
pub use slipway_store::identity::{MemberRecord, OrganizationRecord, QuotaRecord, TeamRecord};
pub use teams::{TeamDetail, TeamRequest};
pub use tier::{TIER_TTL, Tier, next_month};

use tier::TierCache;

/// The conflict of a slug another organization has.
pub const SLUG_TAKEN: &str = "an organization with this slug exists";
/// The conflict of a team name the organization already has.
pub const TEAM_NAME_TAKEN: &str = "the organization has a team of this name";
/// The conflict of adding a member twice.
pub const ALREADY_MEMBER: &str = "the user is already a member of the team";
/// The conflict of removing or demoting a team's last owner.
pub const LAST_OWNER: &str = "a team must keep at least one owner";

/// A member's role in a team, most powerful first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TeamRole {
    /// Manages the team, its members and (as an organization owner) the organization.
    Owner,
    /// Manages the team's members below owner.
    Admin,
    /// Works in the team.
    Member,
    /// Reads.
    Viewer,
}

impl TeamRole {
    /// Every role.
    pub const ALL: [Self; 4] = [Self::Owner, Self::Admin, Self::Member, Self::Viewer];

    /// The role as stored and rendered.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
            Self::Viewer => "viewer",
        }
    }
}

impl fmt::Display for TeamRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TeamRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| format!("unknown team role {s:?}"))
    }
}

/// Where a caller stands towards an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    /// Not a member.
    Outsider,
    /// A member of one of its teams.
    Member,
    /// An owner of one of its teams.
    Owner,
    /// An administrator of Slipway.
    Admin,
}

/// What a caller wants to do with an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Read it (members, owners, administrators).
    See,
    /// Change it (owners, administrators).
    Manage,
}

/// How far a caller may manage a team's members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    /// Any change (administrators, the organization's owners, the team's owners).
    Full,
    /// Changes that neither grant nor touch the owner role (the team's admins).
    BelowOwner,
}

/// The organizations service. Cheap to clone.
#[derive(Clone)]
pub struct Organizations {
    db: Db,
    tiers: Arc<TierCache>,
}

impl fmt::Debug for Organizations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Organizations").finish_non_exhaustive()
    }
}

fn org_missing() -> Error {
    Error::NotFound("organization".into())
}

fn team_missing() -> Error {
    Error::NotFound("team".into())
}

impl Organizations {
    /// The service on `db`.
    pub fn new(db: Db) -> Self {
        Self { db, tiers: Arc::default() }
    }

    /// Where `principal` stands towards organization `org_id`.
    async fn standing(&self, principal: &Principal, org_id: i64) -> Result<Standing, Error> {
        if principal.is_admin() {
            return Ok(Standing::Admin);
        }
        let roles = self.db.organization_roles(org_id, principal.user_id).await?;
        Ok(if roles.iter().any(|r| r == "owner") {
            Standing::Owner
        } else if roles.is_empty() {
            Standing::Outsider
        } else {
            Standing::Member
        })
    }

    /// The one rule for an organization: members see it, owners and administrators change it; to an outsider
    /// it does not exist.
    pub async fn organization_for(
        &self,
        principal: &Principal,
        org_id: i64,
        need: Need,
    ) -> Result<(OrganizationRecord, Standing), Error> {
        let org = self.db.organization(org_id).await?.ok_or_else(org_missing)?;
        let standing = self.standing(principal, org_id).await?;
        match (standing, need) {
            (Standing::Outsider, _) => Err(org_missing()),
            (Standing::Member, Need::Manage) => {
                Err(Error::Forbidden("only the organization's owners and administrators may change it".into()))
            }
            _ => Ok((org, standing)),
        }
    }

    /// The one rule for a team: the organization's members see it; administrators, the organization's owners
    /// and the team's owners manage it fully, the team's admins below the owner role; to an outsider it does
    /// not exist.
    pub async fn team_for(
        &self,
        principal: &Principal,
        team_id: i64,
        need: Need,
    ) -> Result<(TeamRecord, Option<Manager>), Error> {
        let team = self.db.team(team_id).await?.ok_or_else(team_missing)?;
        let standing = self.standing(principal, team.organization_id).await?;
        if standing == Standing::Outsider {
            return Err(team_missing());
        }
        let manager = match standing {
            Standing::Admin | Standing::Owner => Some(Manager::Full),
            _ => match self.db.team_role(team_id, principal.user_id).await?.as_deref() {
                Some("owner") => Some(Manager::Full),
                Some("admin") => Some(Manager::BelowOwner),
                _ => None,
            },
        };
        if need == Need::Manage && manager.is_none() {
            return Err(Error::Forbidden("only the team's owners and admins may manage its members".into()));
        }
        Ok((team, manager))
    }

    /// The tier that applies to `user_id`: the highest of their active organizations' (`None`: in none).
    /// Remembered for [`TIER_TTL`]; changes made through this service are seen at once on this node.
    pub async fn tier_of(&self, user_id: i64) -> Result<Option<Tier>, Error> {
        if let Some(t) = self.tiers.get(user_id) {
            return Ok(t);
        }
        let tiers = self.db.member_tiers(user_id).await?;
        let tier = tiers.iter().filter_map(|t| t.parse::<Tier>().ok()).max();
        self.tiers.put(user_id, tier);
        Ok(tier)
    }
}
