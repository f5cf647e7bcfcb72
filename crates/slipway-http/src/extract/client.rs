//! The client behind a request: its address (believing `X-Forwarded-For` only from trusted proxies) and its
//! user agent.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use slipway_core::config::IpNet;
use slipway_identity::RequestMeta;

use crate::error::ApiError;
use crate::state::AppState;

/// The client's address: the peer, or when the peer is a trusted proxy, the nearest untrusted address in
/// `X-Forwarded-For` (read right to left, since a client can write anything on the left).
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = peer?;
    if !is_trusted(peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    Some(forwarded.iter().rev().copied().find(|ip| !is_trusted(*ip)).unwrap_or(peer))
}

/// The peer address of the connection, when the server recorded it.
pub fn peer_ip(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// The client as the audit trail records it.
#[derive(Debug, Clone, Default)]
pub struct ClientMeta(pub RequestMeta);

impl FromRequestParts<AppState> for ClientMeta {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ip = client_ip(peer_ip(parts), &parts.headers, &state.trusted_proxies);
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(512).collect());
        Ok(Self(RequestMeta { ip, user_agent }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let proxy = Some("10.0.0.5".parse().unwrap());
        let stranger = Some("198.51.100.9".parse().unwrap());
        let h = headers("1.2.3.4, 203.0.113.7, 10.0.0.9");
        assert_eq!(client_ip(proxy, &h, &trusted), Some("203.0.113.7".parse().unwrap()), "the nearest untrusted hop");
        assert_eq!(client_ip(stranger, &h, &trusted), stranger, "untrusted peers cannot claim another address");
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &trusted), proxy);
        assert_eq!(client_ip(proxy, &h, &[]), proxy, "no trusted proxies configured");
        assert_eq!(client_ip(None, &h, &trusted), None);
    }
}
