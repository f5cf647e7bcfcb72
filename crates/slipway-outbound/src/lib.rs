//! Slipway's outbound-URL policy (the SSRF guard) for every URL a user gives the server to call: LLM
//! configurations' `api_base` today; webhooks, HTTP steps, Jenkins and plugin catalogs later.
//!
//! A non-administrator's URL may reach public addresses only, unless an administrator allowed an internal
//! destination in `outbound_allow` / `SLIPWAY_OUTBOUND_ALLOW`. Internal means loopback, private (RFC 1918,
//! fc00::/7), link-local, carrier-grade NAT, unspecified, multicast, broadcast, documentation, benchmarking
//! and reserved ranges, cloud metadata addresses, and the IPv4-mapped IPv6 forms of all of them
//! ([`classify`]). Administrators may reach internal addresses. Only `http` and `https` are ever called.
//!
//! The check happens twice: [`OutboundPolicy::check_url`] on the URL (scheme, IP-literal hosts, which no
//! resolver sees, `localhost` names, ports), and, in clients from [`OutboundPolicy::client_builder`], on every
//! address a name resolves to when the connection is made, so a name that resolves to a public address when
//! the URL is saved and to 127.0.0.1 when it is called (DNS rebinding) is still refused. Redirects are
//! checked like first URLs. A refusal is a [`Refusal`]; [`Refusal::find`] digs it out of a reqwest error.

mod allow;
mod classify;
mod hosts;
mod policy;
mod refusal;
mod resolve;

pub use classify::{AddressClass, classify, is_internal};
pub use hosts::HostLookupError;
pub use policy::OutboundPolicy;
pub use refusal::{ALLOW_SETTING, Refusal};
