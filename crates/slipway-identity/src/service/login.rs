//! Signing in and out: sessions, rotating refresh tokens, access token checks, lockout.

use chrono::Duration;
use serde_json::json;
use slipway_core::{Error, FieldError, Principal};
use slipway_store::identity::{NewSession, Rotation};

use super::Identity;
use crate::context::RequestMeta;
use crate::tokens::new_refresh_token;
use crate::user::User;

/// The tokens of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPair {
    /// The bearer token for API calls.
    pub access_token: String,
    /// The single-use token that buys the next pair.
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: i64,
    /// The session both belong to.
    pub session_id: String,
}

/// A user with fresh tokens.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The user.
    pub user: User,
    /// Their tokens.
    pub tokens: TokenPair,
}

/// The caller behind a valid access token.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The user, as stored now.
    pub user: User,
    /// The session the token belongs to.
    pub session_id: String,
}

impl Authenticated {
    /// The caller, for service calls.
    pub fn principal(&self) -> Principal {
        self.user.principal()
    }
}

fn secs(d: Duration) -> u64 {
    u64::try_from(d.num_seconds()).unwrap_or(0).max(1)
}

impl Identity {
    fn access_token(&self, user: &User, session_id: &str) -> Result<TokenPair, Error> {
        let now = slipway_core::time::now().timestamp();
        let (access_token, _) = self.keys().issue(user.id, &user.username, user.role, session_id, now)?;
        Ok(TokenPair {
            access_token,
            refresh_token: String::new(),
            expires_in: self.keys().access_ttl,
            session_id: session_id.to_owned(),
        })
    }

    async fn open_session(&self, user: &User, remember_me: bool, meta: &RequestMeta) -> Result<TokenPair, Error> {
        let now = slipway_core::time::now();
        let ttl = if remember_me { self.config().remember_me_ttl } else { self.config().refresh_token_ttl };
        let session_id = uuid::Uuid::new_v4().to_string();
        let refresh = new_refresh_token();
        let ip = meta.ip_text();
        let session = NewSession {
            id: &session_id,
            user_id: user.id,
            remember_me,
            ip_address: ip.as_deref(),
            user_agent: meta.user_agent.as_deref(),
            expires_at: now + Duration::seconds(i64::try_from(ttl).unwrap_or(i64::MAX / 2)),
        };
        self.db().insert_session(&session, &self.keys().digest(&refresh), now).await?;
        let mut pair = self.access_token(user, &session_id)?;
        pair.refresh_token = refresh;
        Ok(pair)
    }

    /// Signs in with a username or e-mail address and a password. An unknown user costs the same hashing time
    /// as a wrong password and gets the same answer; repeated failures lock the account for a while.
    pub async fn login(
        &self,
        identifier: &str,
        password: &str,
        remember_me: bool,
        meta: &RequestMeta,
    ) -> Result<SignedIn, Error> {
        let identifier = identifier.trim();
        let mut missing = Vec::new();
        if identifier.is_empty() {
            missing.push(FieldError::body("username", "missing", "username or e-mail address is required"));
        }
        if password.is_empty() {
            missing.push(FieldError::body("password", "missing", "password is required"));
        }
        if !missing.is_empty() {
            return Err(Error::Validation(missing));
        }
        let now = slipway_core::time::now();
        let Some(record) = self.db().user_by_login(identifier).await? else {
            self.0.hasher.verify(password, None).await?;
            self.security_event(meta, "login_failed", None, Some(identifier), Some(json!({"reason": "unknown user"})))
                .await?;
            return Err(Error::InvalidCredentials);
        };
        if let Some(until) = record.locked_until.filter(|until| *until > now) {
            return Err(Error::TooManyAttempts { retry_after_secs: secs(until - now) });
        }
        if !self.0.hasher.verify(password, Some(&record.password_hash)).await? {
            let cfg = self.config();
            let window_start = now - Duration::seconds(i64::try_from(cfg.lockout_window).unwrap_or(i64::MAX / 2));
            let lock_until = now + Duration::seconds(i64::try_from(cfg.lockout_duration).unwrap_or(i64::MAX / 2));
            let (count, locked) =
                self.db().record_login_failure(record.id, now, window_start, cfg.lockout_threshold, lock_until).await?;
            self.security_event(
                meta,
                "login_failed",
                Some(record.id),
                Some(identifier),
                Some(json!({"failures": count})),
            )
            .await?;
            if let Some(until) = locked.filter(|until| *until > now) {
                self.security_event(
                    meta,
                    "account_locked",
                    Some(record.id),
                    Some(identifier),
                    Some(json!({"until": slipway_core::time::rfc3339(until)})),
                )
                .await?;
                return Err(Error::TooManyAttempts { retry_after_secs: secs(until - now) });
            }
            return Err(Error::InvalidCredentials);
        }
        if !record.is_active {
            return Err(Error::AccountInactive);
        }
        self.sign_in(User::try_from(record)?, remember_me, meta).await
    }

    /// Opens a session for a user who has proven who they are, records the login, and audits it.
    pub(crate) async fn sign_in(&self, user: User, remember_me: bool, meta: &RequestMeta) -> Result<SignedIn, Error> {
        let now = slipway_core::time::now();
        self.db().record_login_success(user.id, now).await?;
        let tokens = self.open_session(&user, remember_me, meta).await?;
        let user = User { last_login_at: Some(now), ..user };
        let description = format!("{} signed in", user.username);
        self.audit(meta, Some(user.id), "LOGIN", ("session", Some(user.id)), description, None).await?;
        Ok(SignedIn { user, tokens })
    }

    /// Trades a refresh token for a new pair. A token works once; presenting a used one again revokes its
    /// whole session, since either the client or a thief holds a stolen copy.
    pub async fn refresh(&self, refresh_token: &str, meta: &RequestMeta) -> Result<SignedIn, Error> {
        if refresh_token.trim().is_empty() {
            return Err(Error::invalid_field("refresh_token", "missing", "refresh token is required"));
        }
        let now = slipway_core::time::now();
        let next = new_refresh_token();
        let rotation = self
            .db()
            .rotate_refresh_token(&self.keys().digest(refresh_token.trim()), &self.keys().digest(&next), now)
            .await?;
        match rotation {
            Rotation::Invalid => Err(Error::InvalidRefreshToken),
            Rotation::Reused { user_id, session_id } => {
                self.db().revoke_session(&session_id, "refresh token reused", now).await?;
                self.security_event(
                    meta,
                    "refresh_token_reused",
                    Some(user_id),
                    None,
                    Some(json!({"session": session_id})),
                )
                .await?;
                Err(Error::InvalidRefreshToken)
            }
            Rotation::Rotated { user_id, session_id } => {
                let user = match self.db().user_by_id(user_id).await? {
                    Some(r) if r.is_active => User::try_from(r)?,
                    _ => return Err(Error::InvalidRefreshToken),
                };
                let mut tokens = self.access_token(&user, &session_id)?;
                tokens.refresh_token = next;
                self.audit(meta, Some(user.id), "UPDATE", ("session", Some(user.id)), "refreshed tokens".into(), None)
                    .await?;
                Ok(SignedIn { user, tokens })
            }
        }
    }

    /// The caller behind an access token: it must be ours, unexpired, its session open and its user active.
    /// One database round trip, so revocation holds at once on every node.
    pub async fn authenticate(&self, access_token: &str) -> Result<Authenticated, Error> {
        let claims = self.keys().verify(access_token)?;
        let user_id = claims.user_id()?;
        let Some(row) = self.db().session_auth(user_id, &claims.sid).await? else {
            return Err(if self.db().user_by_id(user_id).await?.is_none() {
                Error::UserInactive
            } else {
                Error::InvalidToken
            });
        };
        if !row.user.is_active {
            return Err(Error::UserInactive);
        }
        if row.session_revoked_at.is_some() || row.session_expires_at <= slipway_core::time::now() {
            return Err(Error::InvalidToken);
        }
        Ok(Authenticated { user: row.user.try_into()?, session_id: claims.sid })
    }

    /// Signs out: revokes the session, and with it the access token and every refresh token of the family.
    pub async fn logout(&self, auth: &Authenticated, meta: &RequestMeta) -> Result<(), Error> {
        self.db().revoke_session(&auth.session_id, "logout", slipway_core::time::now()).await?;
        let description = format!("{} signed out", auth.user.username);
        self.audit(meta, Some(auth.user.id), "LOGOUT", ("session", Some(auth.user.id)), description, None).await
    }

    /// Revokes every session of a user (password change or reset, disabling, deletion).
    pub(crate) async fn end_all_sessions(&self, user_id: i64, reason: &str) -> Result<u64, Error> {
        Ok(self.db().revoke_user_sessions(user_id, reason, slipway_core::time::now()).await?)
    }
}
