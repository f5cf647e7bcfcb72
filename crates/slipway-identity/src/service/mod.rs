//! The identity service: one user base and one token system behind every surface.

mod admin;
mod codes;
mod login;
mod profile;
mod register;

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use slipway_core::Error;
use slipway_core::config::IdentityConfig;
use slipway_store::identity::{AuditEntry, SecurityEvent};
use slipway_store::{Db, StoreError};

pub use admin::{AdminChanges, Page, PasswordPolicy, SecurityStats};
pub use codes::{CodePurpose, CodeSent};
pub use login::{Authenticated, SignedIn, TokenPair};
pub use profile::ProfileChanges;
pub use register::Registration;

use crate::context::RequestMeta;
use crate::hashing::Hasher;
use crate::mail::Mailer;
use crate::organizations::Organizations;
use crate::secret::signing_secret;
use crate::tokens::TokenKeys;
use crate::user::User;

/// Accounts, sessions, codes and their rules. Cheap to clone.
#[derive(Clone)]
pub struct Identity(Arc<Inner>);

struct Inner {
    db: Db,
    cfg: IdentityConfig,
    hasher: Hasher,
    keys: TokenKeys,
    mailer: Mailer,
    organizations: Organizations,
}

impl Identity {
    /// The service on `db`, with the signing secret from the configuration or the data directory.
    pub async fn new(db: Db, cfg: IdentityConfig, data_dir: &Path, mailer: Mailer) -> Result<Self, Error> {
        let secret = signing_secret(cfg.jwt_secret.as_deref(), data_dir, &db).await?;
        let keys = TokenKeys::new(&secret, cfg.access_token_ttl);
        let hasher = Hasher::new(crate::hashing::default_concurrency());
        let organizations = Organizations::new(db.clone());
        Ok(Self(Arc::new(Inner { db, cfg, hasher, keys, mailer, organizations })))
    }

    /// The settings in force.
    pub fn config(&self) -> &IdentityConfig {
        &self.0.cfg
    }

    /// The token keys (the HTTP layer reads the user id of a token to key rate limits without a database trip).
    pub fn keys(&self) -> &TokenKeys {
        &self.0.keys
    }

    /// Organizations, teams and quotas (sharing this service's database and its cache of users' tiers).
    pub fn organizations(&self) -> &Organizations {
        &self.0.organizations
    }

    pub(crate) fn db(&self) -> &Db {
        &self.0.db
    }

    async fn live_user(&self, id: i64) -> Result<User, Error> {
        self.db().user_by_id(id).await?.ok_or(Error::UserNotFound)?.try_into()
    }

    async fn audit(
        &self,
        meta: &RequestMeta,
        actor: Option<i64>,
        action: &str,
        resource: (&str, Option<i64>),
        description: String,
        changes: Option<Value>,
    ) -> Result<(), Error> {
        let ip = meta.ip_text();
        let entry = AuditEntry {
            action,
            resource_type: resource.0,
            resource_id: resource.1,
            user_id: actor,
            organization_id: None,
            description,
            changes,
            ip_address: ip.as_deref(),
            user_agent: meta.user_agent.as_deref(),
        };
        Ok(self.db().insert_audit(&entry, slipway_core::time::now()).await?)
    }

    async fn security_event(
        &self,
        meta: &RequestMeta,
        kind: &str,
        user_id: Option<i64>,
        identifier: Option<&str>,
        detail: Option<Value>,
    ) -> Result<(), Error> {
        let ip = meta.ip_text();
        let event = SecurityEvent { kind, user_id, identifier, ip_address: ip.as_deref(), detail };
        tracing::info!(kind, user_id, identifier, "security event");
        Ok(self.db().insert_security_event(&event, slipway_core::time::now()).await?)
    }
}

/// A duplicate-key failure of the users table as the field that is taken.
fn taken(e: StoreError) -> Error {
    match e {
        StoreError::Duplicate(msg) if msg.contains("email") => Error::UserExists { field: "email" },
        StoreError::Duplicate(msg) if msg.contains("username") => Error::UserExists { field: "username" },
        other => other.into(),
    }
}
