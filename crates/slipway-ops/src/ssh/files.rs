//! The files `ssh` reads for one server, in a 0700 directory `<data dir>/ssh/<server id>/`: its `config`, its
//! `known_hosts` (written from the pinned key), the askpass helper, and — only while a master authenticates —
//! the private key (0600). Nothing secret is ever written anywhere else.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{Credential, SshError, SshTarget};

/// The host name `ssh` is given; the config maps it to the real address.
pub(super) const ALIAS: &str = "slipway-target";
/// The environment variable the askpass helper reads the password from (set only for the master's process).
pub(super) const PASSWORD_VAR: &str = "SLIPWAY_SSH_PASSWORD";
/// Prints the password for password prompts only, so a prompt about anything else (a host key) is refused.
const ASKPASS: &str =
    "#!/bin/sh\ncase \"$1\" in *assword*) printf '%s\\n' \"$SLIPWAY_SSH_PASSWORD\" ;; *) exit 1 ;; esac\n";

/// The paths of one server's files.
#[derive(Debug, Clone)]
pub(super) struct ServerFiles {
    /// The private directory.
    pub dir: PathBuf,
    /// The control socket of the current master.
    pub socket: PathBuf,
    /// Tells the files of one connection (a target as it was) from the next one's.
    generation: String,
}

impl ServerFiles {
    /// The files of `target` under `root` (`<data dir>/ssh`); `generation` tells masters of changed targets apart.
    pub fn new(root: &Path, server_id: i64, generation: u64) -> Self {
        let dir = root.join(server_id.to_string());
        let generation = format!("{:08x}", generation & 0xffff_ffff);
        let socket = root.join(format!("{server_id}-{generation}.sock"));
        Self { dir, socket, generation }
    }

    /// The ssh_config of this connection (channels of a retiring connection keep reading theirs).
    pub fn config(&self) -> PathBuf {
        self.dir.join(format!("config-{}", self.generation))
    }

    /// Removes this connection's config and socket (once it has been retired).
    pub fn remove_connection_files(&self) {
        let _ = std::fs::remove_file(self.config());
        let _ = std::fs::remove_file(&self.socket);
    }

    pub fn known_hosts(&self) -> PathBuf {
        self.dir.join("known_hosts")
    }

    pub fn key(&self) -> PathBuf {
        self.dir.join("key")
    }

    pub fn askpass(&self) -> PathBuf {
        self.dir.join("askpass")
    }

    /// Creates the directories (0700) and writes the config and known_hosts for `target`.
    pub fn prepare(&self, target: &SshTarget, settings: &super::SshSettings) -> Result<(), SshError> {
        private_dir(self.dir.parent().unwrap_or(&self.dir))?;
        private_dir(&self.dir)?;
        let known = match target.host_key.as_deref() {
            Some(key) => format!("{} {}\n", host_key_alias(target.server_id), key.trim()),
            None => String::new(),
        };
        write_private(&self.known_hosts(), known.as_bytes(), 0o600)?;
        write_private(&self.config(), render_config(self, target, settings).as_bytes(), 0o600)?;
        if matches!(target.credential, Credential::Password(_)) {
            write_private(&self.askpass(), ASKPASS.as_bytes(), 0o700)?;
        }
        Ok(())
    }

    /// Writes the private key (0600) for the duration of one authentication.
    pub fn write_key(&self, key: &str) -> Result<(), SshError> {
        let mut text = key.trim().to_owned();
        text.push('\n');
        write_private(&self.key(), text.as_bytes(), 0o600)
    }

    /// Removes the private key file (it is only there while a master authenticates).
    pub fn remove_key(&self) {
        let _ = std::fs::remove_file(self.key());
    }
}

/// The name known_hosts entries of server `id` are kept under, whatever its address.
pub(super) fn host_key_alias(server_id: i64) -> String {
    format!("slipway-server-{server_id}")
}

fn private_dir(dir: &Path) -> Result<(), SshError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .and_then(|()| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)))
        .map_err(|e| SshError::local(format!("cannot create {}: {e}", dir.display())))
}

fn write_private(path: &Path, contents: &[u8], mode: u32) -> Result<(), SshError> {
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let result = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .and_then(|mut f| f.write_all(contents).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    result.map_err(|e| SshError::local(format!("cannot write {}: {e}", path.display())))
}

/// Quotes a value for ssh_config (double quotes; the values we write contain none).
fn q(value: &str) -> String {
    format!("\"{}\"", value.replace('"', ""))
}

fn render_config(files: &ServerFiles, t: &SshTarget, s: &super::SshSettings) -> String {
    let mut c = format!("Host {ALIAS}\n  HostName {}\n  Port {}\n  User {}\n", q(&t.host), t.port, q(&t.username));
    c.push_str(&format!("  HostKeyAlias {}\n", host_key_alias(t.server_id)));
    c.push_str(&format!(
        "  UserKnownHostsFile {}\n  StrictHostKeyChecking yes\n",
        q(&files.known_hosts().to_string_lossy())
    ));
    if let Some(jump) = &t.jump_host {
        c.push_str(&format!("  ProxyJump {}\n", jump.replace(['"', ' '], "")));
    }
    // Everything else, the jump host included: its key is pinned on first use into a file of its own.
    c.push_str("Host *\n");
    c.push_str(&format!(
        "  UserKnownHostsFile {}\n  StrictHostKeyChecking accept-new\n",
        q(&files.dir.join("jump_known_hosts").to_string_lossy())
    ));
    c.push_str("  GlobalKnownHostsFile /dev/null\n  CheckHostIP no\n  UpdateHostKeys no\n  HashKnownHosts no\n");
    c.push_str("  IdentitiesOnly yes\n  IdentityAgent none\n  ForwardAgent no\n  ForwardX11 no\n");
    c.push_str("  ClearAllForwardings yes\n  LogLevel ERROR\n  RequestTTY no\n");
    c.push_str(&format!("  ControlPath {}\n", q(&files.socket.to_string_lossy())));
    c.push_str(&format!(
        "  ConnectTimeout {}\n  ServerAliveInterval {}\n  ServerAliveCountMax {}\n",
        s.connect_timeout.as_secs().max(1),
        s.keepalive_interval.as_secs().max(1),
        s.keepalive_count_max
    ));
    match &t.credential {
        Credential::PrivateKey(_) => {
            c.push_str(&format!("  IdentityFile {}\n", q(&files.key().to_string_lossy())));
            c.push_str("  PreferredAuthentications publickey\n  PasswordAuthentication no\n");
            c.push_str("  KbdInteractiveAuthentication no\n  BatchMode yes\n");
        }
        Credential::Password(_) => {
            c.push_str("  IdentityFile /dev/null\n  PubkeyAuthentication no\n");
            c.push_str("  PreferredAuthentications password,keyboard-interactive\n  NumberOfPasswordPrompts 1\n");
        }
    }
    c
}
