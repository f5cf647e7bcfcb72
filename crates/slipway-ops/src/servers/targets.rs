//! Servers as a command's target: a server's name, `server:<id>`, or `tag:<tag>` for every server with that
//! tag; and the principal of a job's owner, whose rights a remote command runs with.

use slipway_core::{Error, Principal, Role};
use slipway_store::ops::{ServerFilter, ServerRecord};

use super::Servers;

/// The most servers one target may name.
pub const MAX_TARGET_SERVERS: i64 = 100;

impl Servers {
    /// The servers `target` names, by name (administrators and operators); a validation error naming `target`
    /// when it names none.
    pub(crate) async fn resolve_target(&self, caller: &Principal, target: &str) -> Result<Vec<ServerRecord>, Error> {
        self.require_operator(caller).await?;
        let none = || {
            Error::invalid_field(
                "target",
                "value_error",
                format!("target {target:?} names no server (give a server's name, server:<id> or tag:<tag>)"),
            )
        };
        let found = if let Some(id) = target.strip_prefix("server:") {
            let id: i64 = id.trim().parse().map_err(|_| none())?;
            self.db.server(id).await?.into_iter().collect()
        } else if let Some(tag) = target.strip_prefix("tag:") {
            let filter = ServerFilter { tag: Some(tag.trim().to_owned()), ..ServerFilter::default() };
            self.db.list_servers(&filter, 0, MAX_TARGET_SERVERS).await?.0
        } else {
            self.db.server_by_name(target).await?.into_iter().collect()
        };
        if found.is_empty() { Err(none()) } else { Ok(found) }
    }

    /// The principal a job owned by `owner` acts as, with the user's current role; refused when the job has
    /// no owner or the user is gone.
    pub(crate) async fn owner_principal(&self, owner: Option<i64>) -> Result<Principal, Error> {
        let gone = || Error::Forbidden("a remote command runs with its owner's rights, and it has no owner".into());
        let user = self.db.user_by_id(owner.ok_or_else(gone)?).await?.ok_or_else(gone)?;
        let role = user.role.parse::<Role>().unwrap_or(Role::User);
        Ok(Principal { user_id: user.id, username: user.username, role })
    }
}
