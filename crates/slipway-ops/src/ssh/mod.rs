//! SSH through the system OpenSSH client: one ControlMaster per server (its own `ssh -M -N` child, tied to
//! this process), commands as channels over it, at most [`MAX_CHANNELS`] at once per server. Credentials reach
//! `ssh` only while the master authenticates (a 0600 key file, or a password through an askpass helper that
//! reads an environment variable set for that one child); host keys are pinned (`StrictHostKeyChecking yes`
//! against a known_hosts file written from the pinned key). See `docs/architecture.md` ("SSH").

mod channel;
mod error;
mod files;
mod host_key;
mod master;
mod pool;
mod wrapper;

pub use channel::{ExecOptions, Execution, Finished, Outcome, OutputLine, Stream};
pub use error::{SshError, Step};
pub use host_key::{HostKey, probe_host_key};
pub use pool::{MAX_CHANNELS, SshPool, SshSettings};

use std::fmt;

/// How Slipway signs in to a server.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// An OpenSSH or PEM private key (unencrypted).
    PrivateKey(String),
    /// A password (password or keyboard-interactive authentication).
    Password(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PrivateKey(_) => "PrivateKey(***)",
            Self::Password(_) => "Password(***)",
        })
    }
}

/// Where and how to connect: everything a master needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    /// The server's id (names its files and its connection).
    pub server_id: i64,
    /// Address or name `ssh` connects to (already checked by the outbound policy).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Remote user.
    pub username: String,
    /// How to sign in.
    pub credential: Credential,
    /// `[user@]host[:port]` to hop through (`ProxyJump`), if any.
    pub jump_host: Option<String>,
    /// The pinned host key (`<type> <base64>`); a master refuses to start without one.
    pub host_key: Option<String>,
}

impl SshTarget {
    /// A digest of everything that makes a connection: a changed target gets a new master.
    fn identity(&self) -> u64 {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut h = DefaultHasher::new();
        (&self.host, self.port, &self.username, &self.jump_host, &self.host_key).hash(&mut h);
        match &self.credential {
            Credential::PrivateKey(k) => ("key", k).hash(&mut h),
            Credential::Password(p) => ("password", p).hash(&mut h),
        }
        h.finish()
    }
}
