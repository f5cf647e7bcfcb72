//! The `teams` and `team_members` tables. A team keeps at least one owner: a role change or removal that would
//! take away its last owner is refused, checked in the transaction that makes the change after locking the
//! team row (`FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` takes the one write lock), so two owners
//! demoting each other at once cannot both succeed.

use chrono::{DateTime, Utc};

use crate::{Backend, Db, StoreError, on_pool};

/// A stored team.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TeamRecord {
    /// Database id.
    pub id: i64,
    /// Its organization.
    pub organization_id: i64,
    /// A name, unique in the organization.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Whether it is the organization's default team.
    pub is_default: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A team to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeam<'a> {
    /// Its organization.
    pub organization_id: i64,
    /// Name.
    pub name: &'a str,
    /// Description.
    pub description: Option<&'a str>,
    /// Whether it is the default team.
    pub is_default: bool,
}

/// A member of a team.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberRecord {
    /// Database id of the membership.
    pub id: i64,
    /// The team.
    pub team_id: i64,
    /// The user.
    pub user_id: i64,
    /// The user's name.
    pub username: String,
    /// `owner`, `admin`, `member` or `viewer`.
    pub role: String,
    /// When the user joined.
    pub joined_at: DateTime<Utc>,
    /// When the role last changed.
    pub updated_at: DateTime<Utc>,
}

/// What a change of membership found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    /// Done; the membership as it is now (as it was, for a removal).
    Done(MemberRecord),
    /// The user is not a member of the team.
    NotMember,
    /// The change would leave the team without an owner.
    LastOwner,
    /// The change grants or touches the owner role, which the caller may not.
    OwnerRole,
}

/// Memberships with their users' names.
macro_rules! member {
    () => {
        "SELECT m.id, m.team_id, m.user_id, u.username, m.role, m.joined_at, m.updated_at \
         FROM team_members m JOIN users u ON u.id = m.user_id"
    };
}

impl Db {
    /// Creates a team with `owner_id` as its first owner, in one transaction; `Duplicate` when the organization
    /// has a team of that name.
    pub async fn insert_team(
        &self,
        t: &NewTeam<'_>,
        owner_id: i64,
        now: DateTime<Utc>,
    ) -> Result<TeamRecord, StoreError> {
        let team = "INSERT INTO teams (organization_id, name, description, is_default, created_at, updated_at) \
                    VALUES ($1, $2, $3, $4, $5, $5) RETURNING *";
        let owner = "INSERT INTO team_members (team_id, user_id, role, joined_at, updated_at) \
                     VALUES ($1, $2, 'owner', $3, $3)";
        let begin = self.write_begin();
        Ok(on_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            let record: TeamRecord = sqlx::query_as(team)
                .bind(t.organization_id)
                .bind(t.name)
                .bind(t.description)
                .bind(t.is_default)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(owner).bind(record.id).bind(owner_id).bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(record)
        })?)
    }

    /// One team.
    pub async fn team(&self, id: i64) -> Result<Option<TeamRecord>, StoreError> {
        let sql = "SELECT * FROM teams WHERE id = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(id).fetch_optional(p).await)?)
    }

    /// An organization's teams by id.
    pub async fn teams_of(&self, org_id: i64) -> Result<Vec<TeamRecord>, StoreError> {
        let sql = "SELECT * FROM teams WHERE organization_id = $1 ORDER BY id";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(org_id).fetch_all(p).await)?)
    }

    /// A team's members in the order they joined.
    pub async fn team_members(&self, team_id: i64) -> Result<Vec<MemberRecord>, StoreError> {
        let sql = concat!(member!(), " WHERE m.team_id = $1 ORDER BY m.id");
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(team_id).fetch_all(p).await)?)
    }

    /// The role of `user_id` in `team_id`, if a member.
    pub async fn team_role(&self, team_id: i64, user_id: i64) -> Result<Option<String>, StoreError> {
        let sql = "SELECT role FROM team_members WHERE team_id = $1 AND user_id = $2";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(team_id).bind(user_id).fetch_optional(p).await)?)
    }

    /// Adds `user_id` to a team with `role`; `Duplicate` when already a member.
    pub async fn add_team_member(
        &self,
        team_id: i64,
        user_id: i64,
        role: &str,
        now: DateTime<Utc>,
    ) -> Result<MemberRecord, StoreError> {
        let insert = "INSERT INTO team_members (team_id, user_id, role, joined_at, updated_at) \
                      VALUES ($1, $2, $3, $4, $4) RETURNING id";
        let read = concat!(member!(), " WHERE m.id = $1");
        Ok(on_pool!(self, |p| {
            let id: i64 =
                sqlx::query_scalar(insert).bind(team_id).bind(user_id).bind(role).bind(now).fetch_one(p).await?;
            sqlx::query_as(read).bind(id).fetch_one(p).await
        })?)
    }

    /// Gives a member a new role (`Some(role)`) or removes them (`None`), unless that takes the team's last
    /// owner away, or grants or touches the owner role without `may_touch_owner` (both judged on the member's
    /// role as it is inside the transaction).
    pub async fn change_team_member(
        &self,
        team_id: i64,
        user_id: i64,
        role: Option<&str>,
        may_touch_owner: bool,
        now: DateTime<Utc>,
    ) -> Result<MemberChange, StoreError> {
        let lock = match self.backend() {
            Backend::Postgres => "SELECT id FROM teams WHERE id = $1 FOR UPDATE",
            Backend::Sqlite => "SELECT id FROM teams WHERE id = $1",
        };
        let current = concat!(member!(), " WHERE m.team_id = $1 AND m.user_id = $2");
        let owners = "SELECT COUNT(*) FROM team_members WHERE team_id = $1 AND role = 'owner'";
        let update = "UPDATE team_members SET role = $3, updated_at = $4 WHERE team_id = $1 AND user_id = $2";
        let delete = "DELETE FROM team_members WHERE team_id = $1 AND user_id = $2";
        let begin = self.write_begin();
        Ok(on_pool!(self, |pool| async {
            let mut tx = pool.begin_with(begin).await?;
            sqlx::query(lock).bind(team_id).execute(&mut *tx).await?;
            let found: Option<MemberRecord> =
                sqlx::query_as(current).bind(team_id).bind(user_id).fetch_optional(&mut *tx).await?;
            let Some(mut member) = found else {
                return Ok::<_, sqlx::Error>(MemberChange::NotMember);
            };
            if !may_touch_owner && (member.role == "owner" || role == Some("owner")) {
                return Ok(MemberChange::OwnerRole);
            }
            if member.role == "owner" && role != Some("owner") {
                let n: i64 = sqlx::query_scalar(owners).bind(team_id).fetch_one(&mut *tx).await?;
                if n <= 1 {
                    return Ok(MemberChange::LastOwner);
                }
            }
            match role {
                Some(role) => {
                    sqlx::query(update).bind(team_id).bind(user_id).bind(role).bind(now).execute(&mut *tx).await?;
                    role.clone_into(&mut member.role);
                    member.updated_at = now;
                }
                None => {
                    sqlx::query(delete).bind(team_id).bind(user_id).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok(MemberChange::Done(member))
        }
        .await)?)
    }
}
