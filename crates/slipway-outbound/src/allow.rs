//! The administrator's allow list: host names, IP addresses and networks internal URLs may reach.
//!
//! Entries, comma-separated in `outbound_allow` / `SLIPWAY_OUTBOUND_ALLOW`:
//! - a host name, optionally with a port: `localhost`, `ollama.internal:11434` (the name as URLs write it;
//!   every address it resolves to is allowed, on that port only when one is given);
//! - an IP address, optionally with a port: `127.0.0.1`, `127.0.0.1:11434`, `::1`, `[::1]:11434`;
//! - a network without port: `10.0.0.0/8`, `fd00::/8`.
//!
//! An IP entry with a port matches URLs that name that address literally (a resolver never learns the port);
//! an IP or network entry without port also matches what host names resolve to.

use std::net::{IpAddr, SocketAddr};

use slipway_core::config::IpNet;

/// One allowed destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A host name (lower case, no trailing dot), any port or one.
    Host { name: String, port: Option<u16> },
    /// One address, any port or one.
    Addr { ip: IpAddr, port: Option<u16> },
    /// A network, any port.
    Net(IpNet),
}

/// A host name as compared: lower case, without the trailing dot.
pub(crate) fn normalize_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn valid_host(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .split('.')
            .all(|l| !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

impl Entry {
    /// Parses one entry; the error says what is wrong with it.
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        let bad = |why: &str| format!("outbound_allow entry {s:?} {why}");
        if s.is_empty() {
            return Err(bad("is empty"));
        }
        if s.contains('/') {
            let net: IpNet = s.parse().map_err(|e: String| bad(&format!("is not a network ({e})")))?;
            return Ok(Self::Net(net));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Self::Addr { ip, port: None });
        }
        if let Ok(addr) = s.parse::<SocketAddr>() {
            let port = Some(addr.port()).filter(|p| *p != 0).ok_or_else(|| bad("has a bad port"))?;
            return Ok(Self::Addr { ip: addr.ip(), port: Some(port) });
        }
        if s.starts_with('[') {
            return Err(bad("is not an IPv6 address ([::1] or [::1]:11434)"));
        }
        let (name, port) = match s.rsplit_once(':') {
            Some((name, port)) => {
                let port: u16 = port.parse().ok().filter(|p| *p != 0).ok_or_else(|| bad("has a bad port"))?;
                (name, Some(port))
            }
            None => (s, None),
        };
        let name = normalize_host(name);
        if !valid_host(&name) {
            return Err(bad("is not a host name, IP address or network"));
        }
        Ok(Self::Host { name, port })
    }

    /// Whether the entry allows literal address `ip` on `port`.
    pub(crate) fn allows_ip(&self, ip: IpAddr, port: Option<u16>) -> bool {
        match self {
            Self::Addr { ip: allowed, port: want } => same(*allowed, ip) && want.is_none_or(|w| port == Some(w)),
            Self::Net(net) => net.contains(ip),
            Self::Host { .. } => false,
        }
    }

    /// Whether the entry allows any address a host name resolves to (port unknown).
    pub(crate) fn allows_resolved(&self, host: &str, ip: IpAddr) -> bool {
        match self {
            Self::Addr { ip: allowed, port: None } => same(*allowed, ip),
            Self::Addr { .. } => false,
            Self::Net(net) => net.contains(ip),
            Self::Host { name, .. } => name == host,
        }
    }

    /// `Some(port restriction)` when the entry names host `host`.
    pub(crate) fn names_host(&self, host: &str) -> Option<Option<u16>> {
        match self {
            Self::Host { name, port } if name == host => Some(*port),
            _ => None,
        }
    }
}

/// The same address, an IPv4-mapped IPv6 form matching its IPv4 address.
fn same(a: IpAddr, b: IpAddr) -> bool {
    let plain = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    plain(a) == plain(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn entries_parse_hosts_addresses_ports_and_networks() {
        let e = Entry::parse(" Localhost. ").unwrap();
        assert_eq!(e, Entry::Host { name: "localhost".into(), port: None });
        assert_eq!(
            Entry::parse("ollama.internal:11434").unwrap(),
            Entry::Host { name: "ollama.internal".into(), port: Some(11434) }
        );
        let e = Entry::parse("127.0.0.1:11434").unwrap();
        assert!(e.allows_ip(ip("127.0.0.1"), Some(11434)) && !e.allows_ip(ip("127.0.0.1"), Some(5432)));
        assert!(!e.allows_resolved("x", ip("127.0.0.1")), "a port-bound address does not cover resolved names");
        let e = Entry::parse("[::1]:8080").unwrap();
        assert!(e.allows_ip(ip("::1"), Some(8080)));
        let e = Entry::parse("::1").unwrap();
        assert!(e.allows_ip(ip("::1"), Some(1)) && e.allows_resolved("x", ip("::1")));
        let e = Entry::parse("10.0.0.0/8").unwrap();
        assert!(e.allows_ip(ip("10.9.9.9"), Some(80)) && e.allows_ip(ip("::ffff:10.1.1.1"), None));
        assert!(!e.allows_ip(ip("11.0.0.1"), Some(80)));
        for bad in
            ["", "10.0.0.0/33", "host:port", "host:0", "[::1", "bad host", "a..b", "10.0.0.0/8:80", "127.0.0.1:0"]
        {
            assert!(Entry::parse(bad).is_err(), "{bad:?}");
        }
    }
}
