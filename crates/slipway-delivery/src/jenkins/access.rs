//! [`JenkinsAccess`]: the one rule for who may use a Jenkins server (its owner or an administrator; anyone
//! else's is "not found") and the only place a server's credential is opened into a [`JenkinsClient`]. The
//! trigger route, the `delivery.jenkins_build` job and the pipelines' `jenkins_trigger` step all go through it.

use slipway_core::{Error, Principal, Role};
use slipway_outbound::OutboundPolicy;
use slipway_store::delivery::JenkinsServerRecord;
use slipway_store::{Db, Sealer};

use super::client::{Credential, JenkinsClient, Polling, ServerAccess};
use super::error::JenkinsError;

/// The sealing context of a server's credential.
pub(crate) fn credential_context(owner_id: i64) -> String {
    format!("jenkins_servers.credential:owner={owner_id}")
}

/// Why no client could be made for a server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// The server does not exist or its would-be user may not use it.
    #[error("Jenkins server {0} not found")]
    NotFound(i64),
    /// The store failed, or the credential could not be opened (our side).
    #[error("{0}")]
    Internal(String),
    /// The client refused the server (its URL, as its user may call out).
    #[error(transparent)]
    Jenkins(JenkinsError),
}

/// Reads servers, checks who may use them, opens their credentials and builds their clients.
#[derive(Clone)]
pub struct JenkinsAccess {
    db: Db,
    sealer: Sealer,
    policy: OutboundPolicy,
    polling: Polling,
}

impl std::fmt::Debug for JenkinsAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JenkinsAccess").field("polling", &self.polling).finish_non_exhaustive()
    }
}

impl JenkinsAccess {
    /// Access to the servers in `db`, credentials opened with `sealer`, clients calling out under `policy`.
    pub fn new(db: Db, sealer: Sealer, policy: OutboundPolicy) -> Self {
        Self { db, sealer, policy, polling: Polling::default() }
    }

    /// The same, with clients polling Jenkins as `polling` says (tests poll fast).
    #[must_use]
    pub fn with_polling(mut self, polling: Polling) -> Self {
        self.polling = polling;
        self
    }

    /// The outbound policy clients call out under.
    pub fn policy(&self) -> &OutboundPolicy {
        &self.policy
    }

    /// The server, if `principal` may use it (its owner or an administrator); otherwise "not found".
    pub async fn server_for(&self, principal: &Principal, id: i64) -> Result<JenkinsServerRecord, Error> {
        match self.db.jenkins_server(id).await? {
            Some(s) if principal.may_access(s.owner_id) => Ok(s),
            _ => Err(Error::NotFound(format!("Jenkins server {id}"))),
        }
    }

    /// The principal of an active user with their current role, for work that runs on their behalf.
    async fn principal_of(&self, user_id: i64) -> Result<Option<Principal>, OpenError> {
        let user = self.db.user_by_id(user_id).await.map_err(|e| OpenError::Internal(e.to_string()))?;
        Ok(user.filter(|u| u.is_active).map(|u| Principal {
            user_id: u.id,
            role: if u.role.parse::<Role>().is_ok_and(|r| r == Role::Admin) { Role::Admin } else { Role::User },
            username: u.username,
        }))
    }

    /// A client for `server_id` as user `owner` may use it (work running on their behalf: a job, a pipeline
    /// step); "not found" without an owner, for an inactive owner, or for a server that is not theirs.
    pub async fn client_for_owner(&self, owner: Option<i64>, server_id: i64) -> Result<JenkinsClient, OpenError> {
        let Some(owner) = owner else { return Err(OpenError::NotFound(server_id)) };
        let Some(principal) = self.principal_of(owner).await? else { return Err(OpenError::NotFound(server_id)) };
        let server = match self.server_for(&principal, server_id).await {
            Ok(s) => s,
            Err(Error::NotFound(_)) => return Err(OpenError::NotFound(server_id)),
            Err(e) => return Err(OpenError::Internal(e.to_string())),
        };
        let secret =
            self.sealer.open(&credential_context(server.owner_id), &server.credential_sealed).map_err(|e| {
                OpenError::Internal(format!("cannot open the credential of Jenkins server {:?}: {e}", server.name))
            })?;
        let credential = if server.credential_kind == "password" {
            Credential::Password(secret)
        } else {
            Credential::ApiToken(secret)
        };
        let access = ServerAccess { url: server.url, username: server.username, credential };
        JenkinsClient::new(&self.policy, principal.is_admin(), access, self.polling).map_err(OpenError::Jenkins)
    }
}
