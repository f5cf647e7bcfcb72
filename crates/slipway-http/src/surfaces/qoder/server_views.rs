//! qoder's response bodies for servers, their connection test and the operator grants. No body ever carries a
//! credential: `has_private_key` and `has_password` say what is stored.

use serde::Serialize;
use slipway_core::time::rfc3339;
use slipway_ops::{OperatorRecord, ServerTestReport, ServerView};
use utoipa::ToSchema;

/// A server as qoder shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderServer {
    /// The server's id.
    pub id: i64,
    /// A name for people, unique.
    pub name: String,
    /// Host name or IP address.
    pub host: String,
    /// SSH port.
    pub port: u16,
    /// Remote user.
    pub username: String,
    /// `private_key` or `password`.
    pub auth_type: String,
    /// Whether a private key is stored (it is never returned).
    pub has_private_key: bool,
    /// Whether a password is stored (it is never returned).
    pub has_password: bool,
    /// `[user@]host[:port]` it is reached through; `null` for a direct connection.
    pub jump_host: Option<String>,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// Free text.
    pub description: String,
    /// `unknown`, `online`, `offline` or `host_key_changed`.
    pub status: String,
    /// Why the last connection failed (it names the step: dns, tcp, host_key, auth, connection).
    pub last_error: Option<String>,
    /// When it was last connected to (RFC 3339).
    pub last_checked_at: Option<String>,
    /// Remote operating system, from the last test.
    pub os: Option<String>,
    /// Remote kernel release, from the last test.
    pub kernel: Option<String>,
    /// Remote CPU count, from the last test.
    pub cpu_count: Option<i32>,
    /// Remote memory in bytes, from the last test.
    pub memory_total: Option<i64>,
    /// SHA-256 fingerprint of the pinned host key; `null` before the first connection.
    pub host_key_fingerprint: Option<String>,
    /// Fingerprint of a different key the server offered, refused until an administrator accepts it.
    pub pending_host_key_fingerprint: Option<String>,
    /// Who created it.
    pub created_by: Option<i64>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

impl From<&ServerView> for QoderServer {
    fn from(s: &ServerView) -> Self {
        Self {
            id: s.id,
            name: s.name.clone(),
            host: s.host.clone(),
            port: s.port,
            username: s.username.clone(),
            auth_type: s.auth_type.clone(),
            has_private_key: s.has_private_key,
            has_password: s.has_password,
            jump_host: s.jump_host.clone(),
            tags: s.tags.clone(),
            description: s.description.clone(),
            status: s.status.clone(),
            last_error: s.last_error.clone(),
            last_checked_at: s.last_checked_at.map(rfc3339),
            os: s.os.clone(),
            kernel: s.kernel.clone(),
            cpu_count: s.cpu_count,
            memory_total: s.memory_total_bytes,
            host_key_fingerprint: s.host_key_fingerprint.clone(),
            pending_host_key_fingerprint: s.pending_host_key_fingerprint.clone(),
            created_by: s.owner_id,
            created_at: rfc3339(s.created_at),
            updated_at: rfc3339(s.updated_at),
        }
    }
}

/// What a connection test found.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderServerTest {
    /// Always `true` (a failed test is an error naming its step).
    pub success: bool,
    /// Remote operating system.
    pub os: String,
    /// Kernel release.
    pub kernel: String,
    /// Online CPUs.
    pub cpu_count: i32,
    /// Memory in bytes.
    pub memory_total: i64,
    /// Connecting and probing took this long, milliseconds.
    pub latency_ms: i64,
    /// The pinned host key's fingerprint.
    pub host_key_fingerprint: Option<String>,
    /// The server after the test.
    pub server: QoderServer,
}

impl From<&ServerTestReport> for QoderServerTest {
    fn from(r: &ServerTestReport) -> Self {
        Self {
            success: true,
            os: r.os.clone(),
            kernel: r.kernel.clone(),
            cpu_count: r.cpu_count,
            memory_total: r.memory_total_bytes,
            latency_ms: r.latency_ms,
            host_key_fingerprint: r.server.host_key_fingerprint.clone(),
            server: QoderServer::from(&r.server),
        }
    }
}

/// A user allowed to operate servers.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderServerOperator {
    /// The user's id.
    pub user_id: i64,
    /// Their username.
    pub username: String,
    /// The administrator who granted it.
    pub granted_by: Option<i64>,
    /// When (RFC 3339).
    pub granted_at: String,
}

impl From<&OperatorRecord> for QoderServerOperator {
    fn from(o: &OperatorRecord) -> Self {
        Self {
            user_id: o.user_id,
            username: o.username.clone(),
            granted_by: o.granted_by,
            granted_at: rfc3339(o.granted_at),
        }
    }
}
