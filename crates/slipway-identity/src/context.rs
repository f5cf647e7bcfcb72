//! What the service needs to know about the request behind a call: where it came from, for the audit trail.

use std::net::IpAddr;

/// The client behind a call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// The client's address (after trusted proxies).
    pub ip: Option<IpAddr>,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
}

impl RequestMeta {
    /// The address as text.
    pub fn ip_text(&self) -> Option<String> {
        self.ip.map(|ip| ip.to_string())
    }
}
