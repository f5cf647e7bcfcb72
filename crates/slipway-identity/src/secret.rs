//! The token signing secret: from configuration, or generated once and kept in the data directory so a restart
//! does not sign everyone out. On PostgreSQL, nodes that share a database must share the secret; a node whose
//! generated secret differs from the others' refuses to start rather than reject their tokens.

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};
use slipway_core::Error;
use slipway_store::{Backend, Db};

use crate::tokens::{hex, random_token};

/// The file, under the data directory, that keeps a generated secret.
pub const SECRET_FILE: &str = "jwt-secret";
const FINGERPRINT_KEY: &str = "generated_jwt_secret_fingerprint";

/// The signing secret in force.
pub async fn signing_secret(configured: Option<&str>, data_dir: &Path, db: &Db) -> Result<Vec<u8>, Error> {
    if let Some(secret) = configured {
        return Ok(secret.as_bytes().to_vec());
    }
    let secret = load_or_generate(&data_dir.join(SECRET_FILE))?;
    if db.backend() == Backend::Postgres {
        let fingerprint = hex(&Sha256::digest(secret.as_bytes()))[..16].to_owned();
        let agreed = db.setting_or_insert(FINGERPRINT_KEY, &fingerprint).await?;
        if agreed != fingerprint {
            return Err(Error::Internal(format!(
                "this node generated its own token signing secret ({}), but other nodes of this database use \
                 another; set the same SLIPWAY_JWT_SECRET on every node",
                data_dir.join(SECRET_FILE).display()
            )));
        }
    }
    Ok(secret.into_bytes())
}

fn load_or_generate(path: &Path) -> Result<String, Error> {
    let io = |e: std::io::Error| Error::Internal(format!("token signing secret {}: {e}", path.display()));
    match std::fs::read_to_string(path) {
        Ok(s) if s.trim().len() >= 32 => return Ok(s.trim().to_owned()),
        Ok(_) => return Err(Error::Internal(format!("{} is shorter than 32 characters", path.display()))),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
        Err(_) => {}
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let secret = random_token(48);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_is_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(SECRET_FILE);
        let first = load_or_generate(&path).unwrap();
        assert!(first.len() >= 64);
        assert_eq!(load_or_generate(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
