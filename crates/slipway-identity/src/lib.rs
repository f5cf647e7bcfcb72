//! Slipway's identity service: one user base and one token system for every surface.
//!
//! Passwords are argon2id, hashed on the blocking pool; access tokens are HS256 JWTs with `jti` and the session
//! id, checked against the database on every use so revocation holds on every node; refresh tokens are opaque,
//! stored as keyed hashes, single-use, and a replay revokes the whole session.

pub mod bootstrap;
pub mod context;
pub mod hashing;
pub mod mail;
pub mod organizations;
pub mod phc;
pub mod ratelimit;
pub mod rules;
pub mod secret;
pub mod service;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tokens;
pub mod user;

pub use context::RequestMeta;
pub use mail::Mailer;
pub use organizations::Organizations;
pub use ratelimit::{Decision, RateLimiter};
pub use rules::{PasswordRule, Rules, UsernameRule};
pub use service::{
    AdminChanges, Authenticated, CodePurpose, CodeSent, Identity, Page, PasswordPolicy, ProfileChanges, Registration,
    SecurityStats, SignedIn, TokenPair,
};
pub use slipway_store::identity::UserFilter;
pub use user::User;
