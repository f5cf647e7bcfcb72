//! Perfect21's view of git repositories (Slipway's routes under `/workflow/repositories`).

use serde::Serialize;
use slipway_core::time::rfc3339;
use slipway_delivery::git::GitRepositoryRecord;
use utoipa::ToSchema;

/// A registered repository.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21Repository {
    /// Its id.
    pub id: i64,
    /// Its owner's id.
    pub owner_id: i64,
    /// Its name, unique among its owner's.
    pub name: String,
    /// `local` (a path on the server an administrator registered) or `clone` (cloned into Slipway's data dir).
    pub kind: String,
    /// The work tree, for a local path (a clone's place in the data dir is not shown).
    pub path: Option<String>,
    /// Where a clone came from.
    pub origin_url: Option<String>,
    /// Whether it is its owner's default for `POST /workflow` and `POST /hooks/install`.
    pub is_default: bool,
    /// When it was registered.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

impl From<&GitRepositoryRecord> for P21Repository {
    fn from(r: &GitRepositoryRecord) -> Self {
        Self {
            id: r.id,
            owner_id: r.owner_id,
            name: r.name.clone(),
            kind: r.kind.clone(),
            path: (r.kind == "local").then(|| r.path.clone()),
            origin_url: r.origin_url.clone(),
            is_default: r.is_default,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

/// `GET /workflow/repositories` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21RepositoryList {
    /// Always true.
    pub success: bool,
    /// The caller's repositories (an administrator's: everyone's).
    pub repositories: Vec<P21Repository>,
}

/// One repository, with what was done to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21RepositoryReply {
    /// Always true.
    pub success: bool,
    /// What was done.
    pub output: &'static str,
    /// The repository.
    pub repository: P21Repository,
}
