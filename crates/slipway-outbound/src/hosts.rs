//! The policy for destinations that are a host and a port rather than a URL (SSH servers): the same rules,
//! checked when the host is saved and again on every address it resolves to when Slipway connects.

use std::net::{IpAddr, SocketAddr};

use crate::policy::OutboundPolicy;
use crate::refusal::Refusal;

/// Why a host could not be connected to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostLookupError {
    /// The name did not resolve (the resolver's words).
    Dns(String),
    /// It resolved only to addresses this caller may not reach.
    Refused(Refusal),
}

impl OutboundPolicy {
    /// Checks a host and port being saved, as [`Self::check_url_to_save`] checks a URL: IP literals and
    /// loopback names for non-administrators. `host` must already be a bare name or address (no scheme, path
    /// or brackets).
    pub fn check_host_to_save(&self, host: &str, port: u16, caller_is_admin: bool) -> Result<(), Refusal> {
        let shown = if host.parse::<std::net::Ipv6Addr>().is_ok() { format!("[{host}]") } else { host.to_owned() };
        self.check_url_to_save(&format!("http://{shown}:{port}/"), caller_is_admin)
    }

    /// The addresses `host:port` resolves to that this caller may connect to, in the resolver's order.
    pub async fn resolve_host(
        &self,
        host: &str,
        port: u16,
        caller_is_admin: bool,
    ) -> Result<Vec<SocketAddr>, HostLookupError> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            let shown = if ip.is_ipv6() { format!("[{ip}]") } else { ip.to_string() };
            self.check_str(&format!("http://{shown}:{port}/"), caller_is_admin).map_err(HostLookupError::Refused)?;
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        self.check_host_to_save(host, port, caller_is_admin).map_err(HostLookupError::Refused)?;
        let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| HostLookupError::Dns(format!("{host} does not resolve: {e}")))?
            .collect();
        if resolved.is_empty() {
            return Err(HostLookupError::Dns(format!("{host} resolves to no address")));
        }
        if caller_is_admin {
            return Ok(resolved);
        }
        let mut refused = None;
        let allowed: Vec<SocketAddr> = resolved
            .into_iter()
            .filter(|a| match self.check_resolved(host, a.ip()) {
                Ok(()) => true,
                Err(r) => {
                    refused.get_or_insert(r);
                    false
                }
            })
            .collect();
        match refused {
            Some(r) if allowed.is_empty() => Err(HostLookupError::Refused(r)),
            _ => Ok(allowed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hosts_follow_the_url_rules() {
        let p = OutboundPolicy::default();
        assert!(p.check_host_to_save("127.0.0.1", 22, false).is_err());
        assert!(p.check_host_to_save("::1", 22, false).is_err());
        assert!(p.check_host_to_save("localhost", 22, false).is_err());
        assert!(p.check_host_to_save("8.8.8.8", 22, false).is_ok());
        assert!(p.check_host_to_save("127.0.0.1", 22, true).is_ok());
        assert!(matches!(p.resolve_host("127.0.0.1", 22, false).await, Err(HostLookupError::Refused(_))));
        assert_eq!(p.resolve_host("127.0.0.1", 2222, true).await.unwrap(), vec!["127.0.0.1:2222".parse().unwrap()]);
        assert!(matches!(p.resolve_host("no-such-host.invalid", 22, true).await, Err(HostLookupError::Dns(_))));
        let allowed = OutboundPolicy::from_entries(["127.0.0.1:2222"]).unwrap();
        assert!(allowed.resolve_host("127.0.0.1", 2222, false).await.is_ok());
        assert!(allowed.resolve_host("127.0.0.1", 22, false).await.is_err());
    }
}
