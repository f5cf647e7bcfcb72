//! Teams of an organization and their members. The organization's owners and administrators create teams
//! (the creator becomes the first owner, so a team is never born without one); members are managed by the
//! team's managers ([`Organizations::team_for`]); the last owner stays ([`LAST_OWNER`]).

use slipway_core::{Error, Principal};
use slipway_store::StoreError;
use slipway_store::identity::{MemberChange, MemberRecord, NewTeam, TeamRecord};

use super::input::{self, MAX_DESCRIPTION, MAX_NAME, Problems};
use super::{ALREADY_MEMBER, LAST_OWNER, Manager, Need, Organizations, TEAM_NAME_TAKEN, TeamRole};

/// A team to create, as a client sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamRequest {
    /// Its organization.
    pub organization_id: i64,
    /// Name (required, unique in the organization).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Whether it is the organization's default team.
    pub is_default: Option<bool>,
}

/// A team with its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamDetail {
    /// The team.
    pub team: TeamRecord,
    /// Its members in the order they joined.
    pub members: Vec<MemberRecord>,
}

fn member_missing() -> Error {
    Error::NotFound("team member".into())
}

fn owner_role() -> Error {
    Error::Forbidden("only owners and administrators may grant or change the owner role".into())
}

impl Organizations {
    /// Creates a team in an organization the caller owns (or any, for an administrator), with the caller as
    /// its first owner.
    pub async fn create_team(&self, principal: &Principal, req: TeamRequest) -> Result<TeamRecord, Error> {
        let mut p = Problems::default();
        let name = p.keep(input::text("name", &req.name, MAX_NAME, true));
        let description = req
            .description
            .as_deref()
            .and_then(|d| p.keep(input::text("description", d, MAX_DESCRIPTION, false)))
            .filter(|d| !d.is_empty());
        let (Some(name), true) = (name, p.0.is_empty()) else {
            return Err(Error::Validation(p.0));
        };
        self.organization_for(principal, req.organization_id, Need::Manage).await?;
        let new = NewTeam {
            organization_id: req.organization_id,
            name: &name,
            description: description.as_deref(),
            is_default: req.is_default.unwrap_or(false),
        };
        let team =
            self.db.insert_team(&new, principal.user_id, slipway_core::time::now()).await.map_err(|e| match e {
                StoreError::Duplicate(_) => Error::Conflict(TEAM_NAME_TAKEN.into()),
                other => other.into(),
            })?;
        self.tiers.clear();
        Ok(team)
    }

    /// The teams of an organization the caller belongs to.
    pub async fn teams(&self, principal: &Principal, org_id: i64) -> Result<Vec<TeamRecord>, Error> {
        self.organization_for(principal, org_id, Need::See).await?;
        Ok(self.db.teams_of(org_id).await?)
    }

    /// A team with its members.
    pub async fn team(&self, principal: &Principal, team_id: i64) -> Result<TeamDetail, Error> {
        let (team, _) = self.team_for(principal, team_id, Need::See).await?;
        let members = self.db.team_members(team_id).await?;
        Ok(TeamDetail { team, members })
    }

    /// Adds a user to a team with `role` (a team admin may not add owners).
    pub async fn add_member(
        &self,
        principal: &Principal,
        team_id: i64,
        user_id: i64,
        role: &str,
    ) -> Result<MemberRecord, Error> {
        let role = input::role(role).map_err(|e| Error::Validation(vec![e]))?;
        let (_, manager) = self.team_for(principal, team_id, Need::Manage).await?;
        if role == TeamRole::Owner && manager != Some(Manager::Full) {
            return Err(owner_role());
        }
        if self.db.user_by_id(user_id).await?.is_none() {
            return Err(Error::UserNotFound);
        }
        let now = slipway_core::time::now();
        let member = self.db.add_team_member(team_id, user_id, role.as_str(), now).await.map_err(|e| match e {
            StoreError::Duplicate(_) => Error::Conflict(ALREADY_MEMBER.into()),
            other => other.into(),
        })?;
        self.tiers.clear();
        Ok(member)
    }

    /// Gives a member a new role (`Some`) or removes them (`None`); the team's last owner stays, and a team
    /// admin neither grants nor touches the owner role (both judged in the store's transaction, on the role the
    /// member has then).
    pub async fn change_member(
        &self,
        principal: &Principal,
        team_id: i64,
        user_id: i64,
        role: Option<&str>,
    ) -> Result<MemberRecord, Error> {
        let role = role.map(input::role).transpose().map_err(|e| Error::Validation(vec![e]))?;
        let (_, manager) = self.team_for(principal, team_id, Need::Manage).await?;
        let full = manager == Some(Manager::Full);
        let now = slipway_core::time::now();
        let changed = self.db.change_team_member(team_id, user_id, role.map(TeamRole::as_str), full, now).await?;
        self.tiers.clear();
        match changed {
            MemberChange::Done(m) => Ok(m),
            MemberChange::NotMember => Err(member_missing()),
            MemberChange::LastOwner => Err(Error::Conflict(LAST_OWNER.into())),
            MemberChange::OwnerRole => Err(owner_role()),
        }
    }
}
