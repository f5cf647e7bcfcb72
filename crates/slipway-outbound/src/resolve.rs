//! The resolver of policed clients: the system resolver, then every address checked against the policy.

use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::allow::normalize_host;
use crate::policy::OutboundPolicy;

/// Resolves with the system resolver and keeps only the addresses the policy allows; when none is left, the
/// lookup fails with the [`crate::Refusal`] of the first one refused.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver {
    policy: OutboundPolicy,
}

impl GuardedResolver {
    pub(crate) fn new(policy: OutboundPolicy) -> Self {
        Self { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = normalize_host(name.as_str());
        Box::pin(async move {
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let mut allowed = Vec::with_capacity(resolved.len());
            for addr in resolved {
                match policy.check_resolved(&host, addr.ip()) {
                    Ok(()) => allowed.push(addr),
                    Err(r) => {
                        refused.get_or_insert(r);
                    }
                }
            }
            match refused {
                Some(r) if allowed.is_empty() => Err(Box::new(r) as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}
