//! Trust on first use: [`probe_host_key`] asks the server for its host key without offering any credential
//! (`PreferredAuthentications none`), so a first contact or a changed key can be shown to an administrator
//! before Slipway ever authenticates to it.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use sha2::{Digest, Sha256};
use tokio::process::Command;

use super::files::{ALIAS, ServerFiles, host_key_alias};
use super::{Credential, SshError, SshSettings, SshTarget, Step};

/// A server's host key as OpenSSH writes it, and its SHA-256 fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKey {
    /// `<type> <base64>`, e.g. `ssh-ed25519 AAAA…`.
    pub key: String,
    /// `SHA256:<base64>`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
}

impl HostKey {
    /// Parses `<type> <base64>` (extra fields are ignored); `None` when it is not a key.
    pub fn parse(line: &str) -> Option<Self> {
        let mut fields = line.split_whitespace();
        let (kind, blob) = (fields.next()?, fields.next()?);
        let raw = STANDARD.decode(blob).ok()?;
        let fingerprint = format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(&raw)));
        Some(Self { key: format!("{kind} {blob}"), fingerprint })
    }
}

/// The host key `target`'s server presents now (whatever is pinned), learned without authenticating.
pub async fn probe_host_key(root: &Path, target: &SshTarget, settings: &SshSettings) -> Result<HostKey, SshError> {
    let files = ServerFiles::new(root, target.server_id, 0);
    let unpinned = SshTarget { host_key: None, ..target.clone() };
    files.prepare(&unpinned, settings)?;
    let learned = files.dir.join("probe_known_hosts");
    let _ = std::fs::remove_file(&learned);
    // A jump host needs the credential to carry the probe on; the target itself is offered none.
    let key_written = match (&target.jump_host, &target.credential) {
        (Some(_), Credential::PrivateKey(k)) => files.write_key(k).map(|()| true)?,
        _ => false,
    };
    let mut cmd = Command::new("ssh");
    cmd.arg("-F").arg(files.config());
    cmd.arg("-o").arg(format!("UserKnownHostsFile={}", learned.display()));
    for opt in [
        "StrictHostKeyChecking=accept-new",
        "PreferredAuthentications=none",
        "BatchMode=yes",
        "ControlMaster=no",
        "ControlPath=none",
    ] {
        cmd.arg("-o").arg(opt);
    }
    cmd.args(["-T", "-n", ALIAS, "true"]).kill_on_drop(true).stdin(std::process::Stdio::null());
    let run = tokio::time::timeout(settings.connect_timeout + Duration::from_secs(5), cmd.output()).await;
    if key_written {
        files.remove_key();
    }
    let output = match run {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => return Err(SshError::local(format!("cannot run ssh: {e}"))),
        Err(_) => return Err(SshError::new(Step::Tcp, "timed out waiting for the server's host key")),
    };
    let recorded = std::fs::read_to_string(&learned).unwrap_or_default();
    let _ = std::fs::remove_file(&learned);
    let alias = host_key_alias(target.server_id);
    let key = recorded.lines().filter_map(|l| l.strip_prefix(alias.as_str())).find_map(HostKey::parse);
    key.ok_or_else(|| SshError::from_stderr(&String::from_utf8_lossy(&output.stderr)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_match_ssh_keygen() {
        // `ssh-keygen -lf` printed SHA256:PLLDJWagIlbWN9t3sf+mnUgfHl3hYUdHmLizuAjyA5I for this key.
        let line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIOElSSXNMkukjOzAcMwksdE8r9BQQUG1MJBJCAUef+5 root@vm";
        let key = HostKey::parse(line).expect("a key");
        assert_eq!(key.fingerprint, "SHA256:PLLDJWagIlbWN9t3sf+mnUgfHl3hYUdHmLizuAjyA5I");
        assert_eq!(key.key, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIOElSSXNMkukjOzAcMwksdE8r9BQQUG1MJBJCAUef+5");
        assert_eq!(HostKey::parse("not-a-key"), None);
        assert_eq!(HostKey::parse("ssh-ed25519 !!!"), None);
    }
}
