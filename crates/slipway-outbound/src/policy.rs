//! The policy: which URLs a caller may reach, checked on the URL (scheme, literal addresses, ports) and, through
//! the client it builds, on every address a host name resolves to at connect time.

use std::net::IpAddr;
use std::sync::Arc;

use reqwest::Url;
use reqwest::redirect;

use crate::allow::{Entry, normalize_host};
use crate::classify::classify;
use crate::refusal::{ALLOW_SETTING, Refusal};
use crate::resolve::GuardedResolver;

/// Most redirects a policed client follows (each one checked like the first URL).
const MAX_REDIRECTS: usize = 5;

/// Which destinations user-given URLs may reach: public addresses always; internal ones (loopback, private,
/// link-local, metadata, …) only when an administrator listed them in `outbound_allow`, or when the caller is
/// an administrator. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    allow: Arc<[Entry]>,
}

impl OutboundPolicy {
    /// A policy allowing internal destinations `entries` (see the crate documentation for their forms); the
    /// error names the first bad entry.
    pub fn from_entries<I, S>(entries: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let allow = entries.into_iter().map(|e| Entry::parse(e.as_ref())).collect::<Result<Vec<_>, _>>()?;
        Ok(Self { allow: allow.into() })
    }

    /// Whether the allow list is empty (only public destinations for non-administrators).
    pub fn is_strict(&self) -> bool {
        self.allow.is_empty()
    }

    /// Checks what a request needs checked besides its resolved addresses: the scheme (http or https, for
    /// everyone), and for non-administrators an IP-literal host (which no resolver sees) and the port of a
    /// port-restricted host entry. Call it on every URL a policed client sends.
    pub fn check_url(&self, url: &Url, caller_is_admin: bool) -> Result<(), Refusal> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refusal::new(format!("only http:// and https:// URLs may be called, not {}://", url.scheme())));
        }
        if caller_is_admin {
            return Ok(());
        }
        let port = url.port_or_known_default();
        // The URL parser has already normalized the host: `http://2130706433/` and `http://0x7f.1/` are
        // `127.0.0.1` here, an IPv6 host is bracketed.
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| Refusal::new("the URL has no host"))?;
        match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            Ok(ip) => self.check_literal(ip, port),
            Err(_) => self.check_port(&normalize_host(host), port),
        }
    }

    /// Parses `url` and checks it (see [`Self::check_url`]).
    pub fn check_str(&self, url: &str, caller_is_admin: bool) -> Result<(), Refusal> {
        self.check_url(&parse(url)?, caller_is_admin)
    }

    /// Checks a URL being saved for later calls (a configuration's base URL, a webhook): [`Self::check_url`],
    /// and names that are loopback by definition (`localhost`, `*.localhost`, RFC 6761) unless allowed, so the
    /// user hears of it at once rather than at the first call (where the resolved address would be refused).
    pub fn check_url_to_save(&self, url: &str, caller_is_admin: bool) -> Result<(), Refusal> {
        let parsed = parse(url)?;
        self.check_url(&parsed, caller_is_admin)?;
        let host = parsed.host_str().map(normalize_host).unwrap_or_default();
        let loopback_name = host == "localhost" || host.ends_with(".localhost");
        if caller_is_admin || !loopback_name || self.allow.iter().any(|e| e.names_host(&host).is_some()) {
            return Ok(());
        }
        Err(Refusal::new(format!("{host} is a loopback address; an administrator can allow it with {ALLOW_SETTING}")))
    }

    fn check_literal(&self, ip: IpAddr, port: Option<u16>) -> Result<(), Refusal> {
        let class = classify(ip);
        if !class.is_internal() || self.allow.iter().any(|e| e.allows_ip(ip, port)) {
            return Ok(());
        }
        Err(Refusal::new(format!("{ip} is {}; an administrator can allow it with {ALLOW_SETTING}", class.describe())))
    }

    fn check_port(&self, host: &str, port: Option<u16>) -> Result<(), Refusal> {
        let restrictions: Vec<Option<u16>> = self.allow.iter().filter_map(|e| e.names_host(host)).collect();
        if !restrictions.is_empty() {
            if restrictions.iter().any(|r| r.is_none() || *r == port) {
                return Ok(());
            }
            let ports: Vec<String> = restrictions.iter().flatten().map(u16::to_string).collect();
            return Err(Refusal::new(format!(
                "{host} is allowed by {ALLOW_SETTING} only on port {}, not {}",
                ports.join(", "),
                port.map_or_else(|| "none".to_owned(), |p| p.to_string())
            )));
        }
        Ok(())
    }

    /// Whether a host name may connect to `ip`, one of the addresses it resolved to.
    pub(crate) fn check_resolved(&self, host: &str, ip: IpAddr) -> Result<(), Refusal> {
        let class = classify(ip);
        if !class.is_internal() || self.allow.iter().any(|e| e.allows_resolved(host, ip)) {
            return Ok(());
        }
        Err(Refusal::new(format!(
            "{host} resolves to {} {ip}; an administrator can allow it with {ALLOW_SETTING}",
            class.describe()
        )))
    }

    /// A client builder that enforces the policy for this caller: for non-administrators every address a name
    /// resolves to is checked at connect time (so DNS rebinding cannot slip past) and system proxies are not
    /// used (a proxy would resolve names itself); for everyone each redirect is checked like a first URL.
    /// Callers still call [`Self::check_url`] on each URL they send (IP-literal hosts skip the resolver).
    pub fn client_builder(&self, caller_is_admin: bool) -> reqwest::ClientBuilder {
        let policy = self.clone();
        let redirects = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error(Refusal::new(format!("more than {MAX_REDIRECTS} redirects")));
            }
            match policy.check_url(attempt.url(), caller_is_admin) {
                Ok(()) => attempt.follow(),
                Err(refusal) => attempt.error(refusal),
            }
        });
        let builder = reqwest::Client::builder().redirect(redirects);
        if caller_is_admin { builder } else { builder.no_proxy().dns_resolver(GuardedResolver::new(self.clone())) }
    }
}

fn parse(url: &str) -> Result<Url, Refusal> {
    Url::parse(url.trim()).map_err(|e| Refusal::new(format!("{url:?} is not a URL ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(entries: &[&str]) -> OutboundPolicy {
        OutboundPolicy::from_entries(entries).unwrap()
    }

    fn check(p: &OutboundPolicy, url: &str) -> Result<(), String> {
        p.check_url_to_save(url, false).map_err(|r| r.message().to_owned())
    }

    #[test]
    fn literal_internal_addresses_are_refused_with_the_reason() {
        let p = OutboundPolicy::default();
        assert!(p.is_strict());
        let e = check(&p, "http://10.0.0.1:8080/v1").unwrap_err();
        assert_eq!(e, "10.0.0.1 is a private address; an administrator can allow it with SLIPWAY_OUTBOUND_ALLOW");
        for url in [
            "http://127.0.0.1:5432",
            "http://[::1]:11434",
            "http://169.254.169.254/latest/meta-data",
            "http://[fd00:ec2::254]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://100.64.0.1",
            "http://0.0.0.0:80",
            "https://192.168.1.10",
            "http://localhost:11434",
            "http://api.localhost/",
            "http://2130706433/",
            "http://0x7f.0.0.1/",
        ] {
            assert!(check(&p, url).is_err(), "{url}");
        }
        assert!(check(&p, "https://api.deepseek.com").is_ok());
        assert!(check(&p, "https://8.8.8.8/").is_ok());
        assert!(check(&p, "ftp://example.com").unwrap_err().contains("http"));
        assert!(p.check_str("http://localhost:11434", false).is_ok(), "left to the resolver when called");
    }

    #[test]
    fn administrators_reach_internal_addresses_but_not_other_schemes() {
        let p = OutboundPolicy::default();
        assert!(p.check_str("http://127.0.0.1:5432", true).is_ok());
        assert!(p.check_url_to_save("http://localhost", true).is_ok());
        assert!(p.check_str("file:///etc/passwd", true).is_err());
    }

    #[test]
    fn the_allow_list_opens_addresses_networks_hosts_and_ports() {
        let p = policy(&["127.0.0.1:11434", "10.0.0.0/8", "ollama.internal:11434", "localhost", "::1"]);
        assert!(check(&p, "http://127.0.0.1:11434").is_ok());
        assert!(check(&p, "http://[::ffff:127.0.0.1]:11434").is_ok(), "mapped form of an allowed address");
        assert!(check(&p, "http://127.0.0.1:5432").is_err(), "another port");
        assert!(check(&p, "http://10.20.30.40").is_ok());
        assert!(check(&p, "http://[::1]:9").is_ok());
        assert!(check(&p, "http://localhost:5432").is_ok());
        assert!(check(&p, "http://ollama.internal:11434").is_ok());
        let e = check(&p, "http://ollama.internal:22").unwrap_err();
        assert!(e.contains("only on port 11434, not 22"), "{e}");
        assert!(check(&p, "http://192.168.0.1").is_err());
        assert!(OutboundPolicy::from_entries(["10.0.0.0/99"]).unwrap_err().contains("10.0.0.0/99"));
    }

    #[test]
    fn resolved_addresses_are_checked_by_name_and_network() {
        let p = policy(&["localhost", "10.1.0.0/16", "172.16.0.5:80"]);
        assert!(p.check_resolved("localhost", "127.0.0.1".parse().unwrap()).is_ok());
        assert!(p.check_resolved("x.example", "10.1.2.3".parse().unwrap()).is_ok());
        assert!(p.check_resolved("x.example", "8.8.4.4".parse().unwrap()).is_ok());
        let e = p.check_resolved("rebind.example", "127.0.0.1".parse().unwrap()).unwrap_err();
        assert_eq!(
            e.message(),
            "rebind.example resolves to a loopback address 127.0.0.1; an administrator can allow it with \
             SLIPWAY_OUTBOUND_ALLOW"
        );
        assert!(p.check_resolved("x.example", "172.16.0.5".parse().unwrap()).is_err(), "port-bound entry");
    }
}
