//! Who may see a job: the rule of its kind, declared by the kind's executor and applied here for every read
//! of the job API (get, list, wait, subscribe, cancel). A job the caller may not see is "not found".

use slipway_core::Principal;
use slipway_store::jobs::{JobRecord, JobViewer};

use crate::executor::Registry;

/// Who may see and cancel the jobs of one kind, besides the system itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Visibility {
    /// The job's owner and every administrator (the default).
    #[default]
    OwnerAndAdmins,
    /// The job's owner only, administrators included: private data such as a user's diet plans.
    OwnerOnly,
}

impl Visibility {
    /// Whether `principal` may see a job of this visibility owned by `owner` (`None`: the system's).
    pub fn permits(self, principal: &Principal, owner: Option<i64>) -> bool {
        match (self, owner) {
            (Self::OwnerAndAdmins, Some(owner)) => principal.may_access(owner),
            (Self::OwnerAndAdmins, None) => principal.is_admin(),
            (Self::OwnerOnly, owner) => owner == Some(principal.user_id),
        }
    }
}

impl Registry {
    /// The visibility of `kind`. A kind this node has no executor for is treated as private, so a job of a
    /// kind unknown here is never shown to someone other than its owner.
    pub fn visibility(&self, kind: &str) -> Visibility {
        self.get(kind).map_or(Visibility::OwnerOnly, |e| e.visibility())
    }

    /// Whether `principal` may see `job`.
    pub fn may_see(&self, principal: &Principal, job: &JobRecord) -> bool {
        self.visibility(&job.kind).permits(principal, job.owner_id)
    }

    /// What a listing for `principal` may contain beyond the owner filter: an administrator sees their own jobs
    /// and others' of the kinds administrators may see; `None` for everyone else (they list their own only).
    pub fn viewer(&self, principal: &Principal) -> Option<JobViewer> {
        principal.is_admin().then(|| JobViewer {
            user_id: principal.user_id,
            others_kinds: self
                .kinds()
                .into_iter()
                .filter(|k| self.visibility(k) == Visibility::OwnerAndAdmins)
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slipway_core::Role;

    fn user(id: i64, role: Role) -> Principal {
        Principal { user_id: id, username: format!("u{id}"), role }
    }

    #[test]
    fn owner_only_hides_from_administrators() {
        let admin = user(1, Role::Admin);
        let ann = user(2, Role::User);
        assert!(Visibility::OwnerOnly.permits(&ann, Some(2)));
        assert!(!Visibility::OwnerOnly.permits(&admin, Some(2)));
        assert!(!Visibility::OwnerOnly.permits(&admin, None));
        assert!(Visibility::OwnerAndAdmins.permits(&admin, Some(2)));
        assert!(Visibility::OwnerAndAdmins.permits(&admin, None));
        assert!(!Visibility::OwnerAndAdmins.permits(&ann, Some(3)));
        assert!(!Visibility::OwnerAndAdmins.permits(&ann, None));
    }
}
