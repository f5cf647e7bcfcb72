//! Secrets encrypted at rest: [`Sealer`] seals values (LLM API keys, later SSH credentials) with
//! XChaCha20-Poly1305 before they are stored, and opens them when they are used.
//!
//! The key comes from `secret_key` (`SLIPWAY_SECRET_KEY`, 32+ characters, hashed to 32 bytes) or is generated
//! once into `<data_dir>/secret-key` (mode 0600). On PostgreSQL, nodes that share a database must share the key:
//! a node whose generated key differs from the others' refuses to start rather than fail to open their values.
//!
//! Stored form: `v1:` then URL-safe base64 (no padding) of a random 24-byte nonce followed by the ciphertext and
//! its 16-byte tag. A context string (which column, whose row) is bound as associated data, so a sealed value
//! copied into another row or column does not open.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use slipway_core::Error;

use crate::Db;
use crate::node_secret::NodeSecret;

/// The file, under the data directory, that keeps a generated key.
pub const SECRET_KEY_FILE: &str = "secret-key";
const FINGERPRINT_KEY: &str = "generated_secret_key_fingerprint";
const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// Why a sealed value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The stored text is not a sealed value of a known version.
    #[error("not a sealed value (expected the v1: format)")]
    Format,
    /// The value was sealed with another key or for another context, or it was altered.
    #[error("the sealed value does not open with this key (was the secret key changed?)")]
    Mismatch,
    /// Sealing failed (the value is too large for the cipher).
    #[error("cannot seal the value")]
    Seal,
}

/// Seals and opens secrets with the installation's key. Cheap to clone; never prints the key.
#[derive(Clone)]
pub struct Sealer {
    cipher: Arc<XChaCha20Poly1305>,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(***)")
    }
}

impl Sealer {
    /// A sealer whose key is derived from `secret` (SHA-256 over a domain label and the secret).
    pub fn from_secret(secret: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"slipway sealed secrets v1\0");
        hasher.update(secret.as_bytes());
        let key: [u8; 32] = hasher.finalize().into();
        Self { cipher: Arc::new(XChaCha20Poly1305::new(&Key::from(key))) }
    }

    /// The sealer in force: from the configured secret, or from the key generated into the data directory (on
    /// PostgreSQL checked against the fingerprint the first node stored, so every node uses the same key).
    pub async fn load(configured: Option<&str>, data_dir: &Path, db: &Db) -> Result<Self, Error> {
        let secret = NodeSecret {
            what: "secret key",
            file: SECRET_KEY_FILE,
            fingerprint_setting: FINGERPRINT_KEY,
            env: "SLIPWAY_SECRET_KEY",
        };
        Ok(Self::from_secret(&secret.resolve(configured, data_dir, db).await?))
    }

    /// Seals `plaintext` for `context` (e.g. `llm_configs.api_key:user=7`) with a fresh random nonce.
    pub fn seal(&self, context: &str, plaintext: &str) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plaintext.as_bytes(), aad: context.as_bytes() })
            .map_err(|_| SealError::Seal)?;
        let mut raw = Vec::with_capacity(NONCE_LEN + sealed.len());
        raw.extend_from_slice(&nonce);
        raw.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(raw)))
    }

    /// Opens a value sealed for `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<String, SealError> {
        let encoded = sealed.strip_prefix(PREFIX).ok_or(SealError::Format)?;
        let raw = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| SealError::Format)?;
        if raw.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Format);
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Format)?;
        let plain = self
            .cipher
            .decrypt(&XNonce::from(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
            .map_err(|_| SealError::Mismatch)?;
        String::from_utf8(plain).map_err(|_| SealError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_context() {
        let sealer = Sealer::from_secret("0123456789abcdef0123456789abcdef");
        let a = sealer.seal("ctx:1", "sk-live-secret").unwrap();
        let b = sealer.seal("ctx:1", "sk-live-secret").unwrap();
        assert!(a.starts_with("v1:") && !a.contains("sk-live-secret"));
        assert_ne!(a, b, "a fresh nonce per value");
        assert_eq!(sealer.open("ctx:1", &a).unwrap(), "sk-live-secret");
        assert_eq!(sealer.open("ctx:2", &a), Err(SealError::Mismatch));
        let other = Sealer::from_secret("another secret of at least 32 characters");
        assert_eq!(other.open("ctx:1", &a), Err(SealError::Mismatch));
        assert_eq!(sealer.open("ctx:1", "sk-plain"), Err(SealError::Format));
        assert_eq!(sealer.open("ctx:1", "v1:AAAA"), Err(SealError::Format));
        let mut tampered = a.clone();
        tampered.pop();
        tampered.push(if a.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(sealer.open("ctx:1", &tampered), Err(SealError::Mismatch));
        assert_eq!(format!("{sealer:?}"), "Sealer(***)");
    }
}
