//! A server as the service hands it out: never the credential, only which kind there is.

use chrono::{DateTime, Utc};
use slipway_store::ops::ServerRecord;

/// A server without its secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerView {
    /// Its id.
    pub id: i64,
    /// A name for people.
    pub name: String,
    /// Host name or address.
    pub host: String,
    /// SSH port.
    pub port: u16,
    /// Remote user.
    pub username: String,
    /// `private_key` or `password`.
    pub auth_type: String,
    /// Whether a private key is stored.
    pub has_private_key: bool,
    /// Whether a password is stored.
    pub has_password: bool,
    /// `[user@]host[:port]` it is reached through.
    pub jump_host: Option<String>,
    /// Its tags, sorted.
    pub tags: Vec<String>,
    /// Free text.
    pub description: String,
    /// `unknown`, `online`, `offline` or `host_key_changed`.
    pub status: String,
    /// Why the last connection failed.
    pub last_error: Option<String>,
    /// When it was last connected to.
    pub last_checked_at: Option<DateTime<Utc>>,
    /// Remote operating system, from the last test.
    pub os: Option<String>,
    /// Remote kernel release.
    pub kernel: Option<String>,
    /// Remote CPU count.
    pub cpu_count: Option<i32>,
    /// Remote memory in bytes.
    pub memory_total_bytes: Option<i64>,
    /// The pinned host key's fingerprint.
    pub host_key_fingerprint: Option<String>,
    /// The fingerprint of a different key the server offered, awaiting an administrator.
    pub pending_host_key_fingerprint: Option<String>,
    /// Who created it.
    pub owner_id: Option<i64>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<ServerRecord> for ServerView {
    fn from(r: ServerRecord) -> Self {
        let key = r.auth_kind == "private_key";
        Self {
            id: r.id,
            name: r.name,
            host: r.host,
            port: u16::try_from(r.port).unwrap_or(22),
            username: r.username,
            has_private_key: key && !r.credential_sealed.is_empty(),
            has_password: !key && !r.credential_sealed.is_empty(),
            auth_type: r.auth_kind,
            jump_host: r.jump_host,
            tags: r.tags,
            description: r.description,
            status: r.status,
            last_error: r.last_error,
            last_checked_at: r.last_checked_at,
            os: r.os,
            kernel: r.kernel,
            cpu_count: r.cpu_count,
            memory_total_bytes: r.memory_total_bytes,
            host_key_fingerprint: r.host_key_fingerprint,
            pending_host_key_fingerprint: r.pending_host_key_fingerprint,
            owner_id: r.owner_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// What a connection test found.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerTestReport {
    /// The server.
    pub server: ServerView,
    /// Remote operating system (`PRETTY_NAME` of `/etc/os-release`, else `uname -s`).
    pub os: String,
    /// Kernel release (`uname -r`).
    pub kernel: String,
    /// Online CPUs.
    pub cpu_count: i32,
    /// `MemTotal`, bytes.
    pub memory_total_bytes: i64,
    /// How long connecting and the probe command took, milliseconds.
    pub latency_ms: i64,
}
