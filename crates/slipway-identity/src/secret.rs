//! The token signing secret: from configuration, or generated once and kept in the data directory so a restart
//! does not sign everyone out. On PostgreSQL, nodes that share a database must share the secret; a node whose
//! generated secret differs from the others' refuses to start rather than reject their tokens.

use std::path::Path;

use slipway_core::Error;
use slipway_store::Db;
use slipway_store::node_secret::NodeSecret;

/// The file, under the data directory, that keeps a generated secret.
pub const SECRET_FILE: &str = "jwt-secret";
const FINGERPRINT_KEY: &str = "generated_jwt_secret_fingerprint";

/// The signing secret in force.
pub async fn signing_secret(configured: Option<&str>, data_dir: &Path, db: &Db) -> Result<Vec<u8>, Error> {
    let secret = NodeSecret {
        what: "token signing secret",
        file: SECRET_FILE,
        fingerprint_setting: FINGERPRINT_KEY,
        env: "SLIPWAY_JWT_SECRET",
    };
    Ok(secret.resolve(configured, data_dir, db).await?.into_bytes())
}
