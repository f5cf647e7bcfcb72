//! Access tokens (HS256 JWTs with `jti` and the session id `sid`), opaque refresh tokens, and keyed digests
//! for everything stored by hash (refresh tokens, codes).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use slipway_core::{Error, Role};
use subtle::ConstantTimeEq;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id, as a string (JWT convention).
    pub sub: String,
    /// The session the token belongs to; revoking it revokes the token.
    pub sid: String,
    /// This token's unique id.
    pub jti: String,
    /// The user's name when issued.
    pub username: String,
    /// The user's role when issued (checked again against the database on use).
    pub role: Role,
    /// Always `access`, so no other token of ours passes as one.
    pub typ: String,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
}

impl AccessClaims {
    /// The user id.
    pub fn user_id(&self) -> Result<i64, Error> {
        self.sub.parse().map_err(|_| Error::InvalidToken)
    }
}

/// Signs and checks access tokens; digests stored secrets.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    digest_key: Vec<u8>,
    /// Access token lifetime, seconds.
    pub access_ttl: i64,
}

impl TokenKeys {
    /// Keys from the signing secret; digests use a key derived from it, so the two never coincide.
    pub fn new(secret: &[u8], access_ttl_secs: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let digest_key = hmac_sha256(secret, b"slipway digest key v1").to_vec();
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            digest_key,
            access_ttl: i64::try_from(access_ttl_secs).unwrap_or(i64::MAX),
        }
    }

    /// A signed access token for a session, and its claims.
    pub fn issue(
        &self,
        user_id: i64,
        username: &str,
        role: Role,
        sid: &str,
        now: i64,
    ) -> Result<(String, AccessClaims), Error> {
        let claims = AccessClaims {
            sub: user_id.to_string(),
            sid: sid.to_owned(),
            jti: uuid::Uuid::new_v4().simple().to_string(),
            username: username.to_owned(),
            role,
            typ: "access".to_owned(),
            iat: now,
            exp: now + self.access_ttl,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::Internal(format!("cannot sign token: {e}")))?;
        Ok((token, claims))
    }

    /// The claims of a token we signed that has not expired; anything else is [`Error::InvalidToken`].
    pub fn verify(&self, token: &str) -> Result<AccessClaims, Error> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map_err(|_| Error::InvalidToken)?;
        if data.claims.typ != "access" {
            return Err(Error::InvalidToken);
        }
        Ok(data.claims)
    }

    /// The keyed digest under which a secret value (refresh token, code) is stored.
    pub fn digest(&self, value: &str) -> String {
        hex(&hmac_sha256(&self.digest_key, value.as_bytes()))
    }

    /// Whether `value` digests to `stored`, compared in constant time.
    pub fn digest_matches(&self, value: &str, stored: &str) -> bool {
        self.digest(value).as_bytes().ct_eq(stored.as_bytes()).into()
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new refresh token: 256 random bits, URL-safe.
pub fn new_refresh_token() -> String {
    random_token(32)
}

/// `n` random bytes from the OS generator, URL-safe base64.
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A random password for generated accounts: 144 random bits, and every character class any rule asks for.
pub fn generate_password() -> String {
    format!("{}-Aa1", random_token(18))
}

/// A six-digit code, uniformly distributed.
pub fn new_code() -> String {
    use rand::Rng;
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(b"0123456789abcdef0123456789abcdef", 1800)
    }

    #[test]
    fn access_tokens_round_trip_and_carry_jti_and_sid() {
        let now = chrono::Utc::now().timestamp();
        let (token, claims) = keys().issue(42, "ann", Role::Admin, "s-1", now).unwrap();
        let back = keys().verify(&token).unwrap();
        assert_eq!(back, claims);
        assert_eq!(back.user_id().unwrap(), 42);
        assert_eq!(back.exp - back.iat, 1800);
        assert_eq!(back.jti.len(), 32);
        let (other, _) = keys().issue(42, "ann", Role::Admin, "s-1", now).unwrap();
        assert_ne!(token, other, "every token has its own jti");
    }

    #[test]
    fn foreign_expired_and_tampered_tokens_are_refused() {
        let now = chrono::Utc::now().timestamp();
        let (token, _) = keys().issue(1, "ann", Role::User, "s", now).unwrap();
        let stranger = TokenKeys::new(b"another secret of at least 32 bytes", 1800);
        assert!(matches!(stranger.verify(&token), Err(Error::InvalidToken)));
        let (old, _) = keys().issue(1, "ann", Role::User, "s", now - 4000).unwrap();
        assert!(matches!(keys().verify(&old), Err(Error::InvalidToken)));
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"sub":"1","role":"admin"}"#);
        parts[1] = &forged;
        assert!(keys().verify(&parts.join(".")).is_err());
        assert!(keys().verify("not.a.token").is_err());
    }

    #[test]
    fn digests_are_keyed_and_compared_in_constant_time() {
        let k = keys();
        let d = k.digest("123456");
        assert_eq!(d.len(), 64);
        assert!(k.digest_matches("123456", &d));
        assert!(!k.digest_matches("123457", &d));
        assert_ne!(TokenKeys::new(b"another secret of at least 32 bytes", 1).digest("123456"), d);
    }

    #[test]
    fn codes_and_tokens_look_right() {
        for _ in 0..100 {
            let c = new_code();
            assert_eq!(c.len(), 6);
            assert!(c.chars().all(|ch| ch.is_ascii_digit()));
        }
        assert_eq!(new_refresh_token().len(), 43);
        assert_ne!(new_refresh_token(), new_refresh_token());
    }
}
