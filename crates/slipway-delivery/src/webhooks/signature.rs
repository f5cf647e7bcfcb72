//! Webhook authenticity: GitHub's `X-Hub-Signature-256` (HMAC-SHA256 of the raw body) and GitLab's
//! `X-Gitlab-Token` (a shared token), both compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Whether GitHub's `X-Hub-Signature-256` header (`sha256=<hex>`) is the HMAC-SHA256 of `body` under `secret`.
/// A missing, malformed or wrong signature is `false`; the comparison takes the same time wherever the
/// signature differs.
pub fn github_signature_valid(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else { return false };
    let Some(given) = decode_hex(hex) else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return false };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// Whether GitLab's `X-Gitlab-Token` header equals the pipeline's token, compared in constant time.
pub fn gitlab_token_valid(secret: &[u8], header: Option<&str>) -> bool {
    header.is_some_and(|given| !secret.is_empty() && bool::from(given.as_bytes().ct_eq(secret)))
}

/// `sha256=<hex>` of `body` under `secret`, as GitHub signs deliveries (for tests and clients).
pub fn github_signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GitHub's published test vector ("Validating webhook deliveries").
    const SECRET: &[u8] = b"It's a Secret to Everybody";
    const PAYLOAD: &[u8] = b"Hello, World!";
    const SIGNATURE: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn githubs_published_test_vector_verifies() {
        assert_eq!(github_signature(SECRET, PAYLOAD), SIGNATURE);
        assert!(github_signature_valid(SECRET, PAYLOAD, Some(SIGNATURE)));
    }

    #[test]
    fn wrong_missing_and_malformed_signatures_fail() {
        assert!(!github_signature_valid(SECRET, b"Hello, World?", Some(SIGNATURE)));
        assert!(!github_signature_valid(b"another secret", PAYLOAD, Some(SIGNATURE)));
        assert!(!github_signature_valid(SECRET, PAYLOAD, None));
        assert!(!github_signature_valid(SECRET, PAYLOAD, Some("sha1=757107ea")));
        assert!(!github_signature_valid(SECRET, PAYLOAD, Some("sha256=zz")));
        assert!(!github_signature_valid(SECRET, PAYLOAD, Some("sha256=757")));
        assert!(!github_signature_valid(SECRET, PAYLOAD, Some(&SIGNATURE[..SIGNATURE.len() - 2])));
    }

    #[test]
    fn gitlab_tokens_must_match_exactly() {
        assert!(gitlab_token_valid(b"t0ken", Some("t0ken")));
        assert!(!gitlab_token_valid(b"t0ken", Some("t0ke")));
        assert!(!gitlab_token_valid(b"t0ken", Some("t0ken ")));
        assert!(!gitlab_token_valid(b"t0ken", None));
        assert!(!gitlab_token_valid(b"", Some("")));
    }
}
