//! Secrets a node needs the same on every node of one database (the token signing secret, the key that seals
//! stored credentials): taken from configuration, or generated once into a file of the data directory (mode
//! 0600) so a restart keeps it. On PostgreSQL the first node stores a fingerprint of its generated secret; a node
//! whose generated secret differs refuses to start rather than disagree with the others.

use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use slipway_core::Error;

use crate::{Backend, Db};

/// Which secret, where it lives, and how it is set.
#[derive(Debug, Clone, Copy)]
pub struct NodeSecret<'a> {
    /// What it is, for messages (`token signing secret`).
    pub what: &'a str,
    /// Its file under the data directory (`jwt-secret`).
    pub file: &'a str,
    /// The settings row holding the fingerprint on PostgreSQL.
    pub fingerprint_setting: &'a str,
    /// The variable that sets it (`SLIPWAY_JWT_SECRET`), named in the refusal.
    pub env: &'a str,
}

impl NodeSecret<'_> {
    /// The secret in force: the configured one, or the one generated into `data_dir` (checked on PostgreSQL).
    pub async fn resolve(&self, configured: Option<&str>, data_dir: &Path, db: &Db) -> Result<String, Error> {
        if let Some(secret) = configured {
            return Ok(secret.to_owned());
        }
        let path = data_dir.join(self.file);
        let secret = self.load_or_generate(&path)?;
        if db.backend() == Backend::Postgres {
            let fingerprint: String =
                Sha256::digest(secret.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect();
            let agreed = db.setting_or_insert(self.fingerprint_setting, &fingerprint).await?;
            if agreed != fingerprint {
                return Err(Error::Internal(format!(
                    "this node generated its own {} ({}), but other nodes of this database use another; set the same \
                     {} on every node",
                    self.what,
                    path.display(),
                    self.env
                )));
            }
        }
        Ok(secret)
    }

    /// The secret kept at `path`, generated (48 random bytes, base64) when the file does not exist yet.
    pub fn load_or_generate(&self, path: &Path) -> Result<String, Error> {
        let io = |e: std::io::Error| Error::Internal(format!("{} {}: {e}", self.what, path.display()));
        match std::fs::read_to_string(path) {
            Ok(s) if s.trim().len() >= 32 => return Ok(s.trim().to_owned()),
            Ok(_) => return Err(Error::Internal(format!("{} is shorter than 32 characters", path.display()))),
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            Err(_) => {}
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut bytes = [0u8; 48];
        rand::rng().fill_bytes(&mut bytes);
        let secret = URL_SAFE_NO_PAD.encode(bytes);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        match opts.open(path) {
            Ok(mut f) => {
                f.write_all(secret.as_bytes()).map_err(io)?;
                f.sync_all().map_err(io)?;
                Ok(secret)
            }
            // Another process on the same data directory won the race: use its secret.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                std::fs::read_to_string(path).map(|s| s.trim().to_owned()).map_err(io)
            }
            Err(e) => Err(io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_is_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("some-secret");
        let s = NodeSecret { what: "test secret", file: "some-secret", fingerprint_setting: "x", env: "X" };
        let first = s.load_or_generate(&path).unwrap();
        assert!(first.len() >= 64);
        assert_eq!(s.load_or_generate(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "short").unwrap();
        assert!(s.load_or_generate(&path).is_err());
    }
}
