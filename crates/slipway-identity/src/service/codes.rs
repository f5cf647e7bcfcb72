//! E-mail codes (the pet planner's registration and password reset) and Perfect21's confirmation tokens.
//! Codes are six digits from the OS generator, stored as keyed hashes, compared in constant time; a code works
//! once, expires after ten minutes, and dies after three wrong tries.

use chrono::Duration;
use serde_json::json;
use slipway_core::{CodeProblem, Error, Role};
use slipway_store::identity::{CodeRecord, UserChanges};

use super::Identity;
use super::login::SignedIn;
use super::register::Registration;
use crate::context::RequestMeta;
use crate::rules::{Rules, check_email, check_password};
use crate::tokens::{new_code, random_token};
use crate::user::User;

/// Seconds between two codes to one address.
pub const COOLDOWN_SECS: u64 = 60;
/// Codes one address may receive per day.
pub const DAILY_SENDS: i64 = 10;
/// Minutes a code lives.
pub const CODE_TTL_MINUTES: i64 = 10;
/// Wrong tries that kill a code.
pub const MAX_ATTEMPTS: i32 = 3;
/// Hours a Perfect21 confirmation token lives.
pub const EMAIL_TOKEN_TTL_HOURS: i64 = 24;

const EMAIL_TOKEN: &str = "email_token";

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    /// Registering the address.
    Register,
    /// Resetting a forgotten password.
    PasswordReset,
}

impl CodePurpose {
    /// The purpose as the planner names it (`register`, `password_reset`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::PasswordReset => "password_reset",
        }
    }

    /// The purpose named `s`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "register" => Ok(Self::Register),
            "password_reset" => Ok(Self::PasswordReset),
            other => Err(Error::invalid_field(
                "code_type",
                "value_error",
                format!("unknown code_type {other:?}; expected register or password_reset"),
            )),
        }
    }
}

/// What the client is told after asking for a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSent {
    /// The address.
    pub email: String,
    /// The purpose.
    pub purpose: CodePurpose,
    /// Seconds before another code may be requested.
    pub cooldown_seconds: u64,
    /// Codes still allowed today.
    pub remaining_daily_sends: i64,
    /// Minutes the code lives.
    pub expire_minutes: i64,
}

fn email_key(email: &str) -> Result<String, Error> {
    check_email("email", email).map(|e| e.to_lowercase()).map_err(|e| Error::Validation(vec![e]))
}

impl Identity {
    /// Applies the cooldown and the daily cap, then records a code for the address. The code is only kept as a
    /// keyed hash; `Some(code)` is returned for mailing when `deliver` is set.
    async fn issue_code(
        &self,
        email: &str,
        purpose: CodePurpose,
        deliver: bool,
    ) -> Result<(Option<String>, CodeSent), Error> {
        let now = slipway_core::time::now();
        let p = purpose.as_str();
        if let Some(last) = self.db().latest_code(email, p).await? {
            let since = (now - last.created_at).num_seconds();
            let cooldown = i64::try_from(COOLDOWN_SECS).unwrap_or(60);
            if since < cooldown {
                return Err(Error::RateLimited {
                    retry_after_secs: u64::try_from(cooldown - since).unwrap_or(1).max(1),
                });
            }
        }
        let sent_today = self.db().count_codes_since(email, p, now - Duration::days(1)).await?;
        if sent_today >= DAILY_SENDS {
            return Err(Error::RateLimited { retry_after_secs: 3600 });
        }
        // Addresses that get no mail still get a row, so limits and answers are the same for every address.
        let code = new_code();
        let stored = if deliver { self.keys().digest(&code) } else { self.keys().digest(&random_token(16)) };
        self.db().insert_code(email, p, &stored, None, now, now + Duration::minutes(CODE_TTL_MINUTES)).await?;
        let sent = CodeSent {
            email: email.to_owned(),
            purpose,
            cooldown_seconds: COOLDOWN_SECS,
            remaining_daily_sends: DAILY_SENDS - sent_today - 1,
            expire_minutes: CODE_TTL_MINUTES,
        };
        Ok((deliver.then_some(code), sent))
    }

    /// Sends a code to an address. Registration codes go only to addresses not yet registered; password reset
    /// codes go only to registered ones, but the answer is the same either way.
    pub async fn send_code(&self, email: &str, purpose: CodePurpose, meta: &RequestMeta) -> Result<CodeSent, Error> {
        let email = email_key(email)?;
        match purpose {
            CodePurpose::Register => {
                if self.db().user_by_email(&email).await?.is_some() {
                    return Err(Error::UserExists { field: "email" });
                }
                let (code, sent) = self.issue_code(&email, purpose, true).await?;
                if let Some(code) = code {
                    let body = format!(
                        "Your Slipway registration code is {code}.\n\nIt expires in {CODE_TTL_MINUTES} minutes. \
                         If you did not ask for it, ignore this message."
                    );
                    self.0.mailer.send(&email, "Your Slipway registration code", &body).await?;
                }
                self.audit(
                    meta,
                    None,
                    "CREATE",
                    ("verification_code", None),
                    format!("registration code for {email}"),
                    None,
                )
                .await?;
                Ok(sent)
            }
            CodePurpose::PasswordReset => self.send_password_reset(&email, meta).await,
        }
    }

    /// Sends a password reset code if the address is registered; answers identically whether or not it is,
    /// and delivers in the background so timing does not tell either.
    pub async fn send_password_reset(&self, email: &str, meta: &RequestMeta) -> Result<CodeSent, Error> {
        let email = email_key(email)?;
        let user = self.db().user_by_email(&email).await?.filter(|u| u.is_active);
        let (code, sent) = self.issue_code(&email, CodePurpose::PasswordReset, user.is_some()).await?;
        if let Some(code) = code {
            let mailer = self.0.mailer.clone();
            let to = email.clone();
            tokio::spawn(async move {
                let body = format!(
                    "Your Slipway password reset code is {code}.\n\nIt expires in {CODE_TTL_MINUTES} minutes. \
                     If you did not ask for it, ignore this message: your password is unchanged."
                );
                if let Err(e) = mailer.send(&to, "Your Slipway password reset code", &body).await {
                    tracing::error!(error = %e, "password reset mail failed");
                }
            });
        }
        let actor = user.map(|u| u.id);
        self.audit(meta, actor, "CREATE", ("verification_code", None), "password reset code requested".into(), None)
            .await?;
        Ok(sent)
    }

    /// Checks the newest code for an address; a wrong one counts as a try. With `consume`, a right one is used up.
    async fn check_code(
        &self,
        email: &str,
        purpose: CodePurpose,
        code: &str,
        consume: bool,
    ) -> Result<CodeRecord, Error> {
        let now = slipway_core::time::now();
        let record = self.db().latest_code(email, purpose.as_str()).await?;
        let Some(record) = record else { return Err(Error::VerificationCode(CodeProblem::Invalid)) };
        if record.used_at.is_some() {
            return Err(Error::VerificationCode(CodeProblem::Used));
        }
        if record.attempts >= MAX_ATTEMPTS {
            return Err(Error::VerificationCode(CodeProblem::TooManyAttempts));
        }
        if record.expires_at <= now {
            return Err(Error::VerificationCode(CodeProblem::Invalid));
        }
        if !self.keys().digest_matches(code.trim(), &record.code_hash) {
            let attempts = self.db().add_code_attempt(record.id).await?;
            return Err(Error::VerificationCode(if attempts >= MAX_ATTEMPTS {
                CodeProblem::TooManyAttempts
            } else {
                CodeProblem::Invalid
            }));
        }
        if consume && !self.db().use_code(record.id, now).await? {
            return Err(Error::VerificationCode(CodeProblem::Used));
        }
        Ok(record)
    }

    /// Whether a code is right, without using it up.
    pub async fn verify_code(&self, email: &str, code: &str, purpose: CodePurpose) -> Result<(), Error> {
        self.check_code(&email_key(email)?, purpose, code, false).await.map(|_| ())
    }

    /// Registers with an e-mailed code: the address counts as confirmed, and the user is signed in.
    pub async fn register_with_code(
        &self,
        r: &Registration,
        code: &str,
        rules: Rules,
        meta: &RequestMeta,
    ) -> Result<SignedIn, Error> {
        let email = self.validate_registration(r, rules)?.to_lowercase();
        // Checked first, used up only once the account exists, so a taken username does not burn the code.
        let record = self.check_code(&email, CodePurpose::Register, code, false).await?;
        let user = self.create_account(r, rules, Role::User, true, None, meta).await?;
        self.db().use_code(record.id, slipway_core::time::now()).await?;
        self.sign_in(user, false, meta).await
    }

    /// Sets a new password with a reset code; every session of the user ends.
    pub async fn reset_password(
        &self,
        email: &str,
        code: &str,
        new_password: &str,
        rules: Rules,
        meta: &RequestMeta,
    ) -> Result<(), Error> {
        let email = email_key(email)?;
        check_password(rules.password, self.config().password_min_length, "new_password", new_password)
            .map_err(|e| Error::Validation(vec![e]))?;
        self.check_code(&email, CodePurpose::PasswordReset, code, true).await?;
        let user = self.db().user_by_email(&email).await?.ok_or(Error::VerificationCode(CodeProblem::Invalid))?;
        self.set_password(user.id, new_password, "password reset", meta).await
    }

    /// Issues a Perfect21 e-mail confirmation token for a user and returns it; the mail goes out in the
    /// background, so a mail server outage cannot fail a registration that already happened.
    pub async fn issue_email_token(&self, user: &User) -> Result<String, Error> {
        let token = random_token(32);
        let now = slipway_core::time::now();
        let expires = now + Duration::hours(EMAIL_TOKEN_TTL_HOURS);
        let email = user.email.to_lowercase();
        self.db().insert_code(&email, EMAIL_TOKEN, &self.keys().digest(&token), Some(user.id), now, expires).await?;
        let body = format!(
            "Welcome to Slipway, {}.\n\nConfirm your address with this token (valid {EMAIL_TOKEN_TTL_HOURS} hours):\n\n{token}\n",
            user.username
        );
        let (mailer, to) = (self.0.mailer.clone(), user.email.clone());
        tokio::spawn(async move {
            if let Err(e) = mailer.send(&to, "Confirm your Slipway e-mail address", &body).await {
                tracing::error!(error = %e, "confirmation mail failed");
            }
        });
        Ok(token)
    }

    /// Confirms an address with a Perfect21 confirmation token.
    pub async fn confirm_email(&self, token: &str, meta: &RequestMeta) -> Result<User, Error> {
        let now = slipway_core::time::now();
        let invalid = Error::VerificationCode(CodeProblem::Invalid);
        let record = self.db().code_by_hash(EMAIL_TOKEN, &self.keys().digest(token.trim())).await?.ok_or(invalid)?;
        if record.used_at.is_some() {
            return Err(Error::VerificationCode(CodeProblem::Used));
        }
        let user_id =
            record.user_id.filter(|_| record.expires_at > now).ok_or(Error::VerificationCode(CodeProblem::Invalid))?;
        if !self.db().use_code(record.id, now).await? {
            return Err(Error::VerificationCode(CodeProblem::Used));
        }
        let changes = UserChanges { email_verified: Some(true), ..UserChanges::default() };
        let user: User = self.db().update_user(user_id, &changes, now).await?.ok_or(Error::UserNotFound)?.try_into()?;
        self.audit(
            meta,
            Some(user.id),
            "UPDATE",
            ("user", Some(user.id)),
            "confirmed e-mail address".into(),
            Some(json!({"email_verified": true})),
        )
        .await?;
        Ok(user)
    }
}
