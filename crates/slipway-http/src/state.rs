//! The state every handler shares.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Instant;

use slipway_agents::Agents;
use slipway_core::Probe;
use slipway_core::config::{IpNet, RateLimitConfig};
use slipway_delivery::Jenkins;
use slipway_delivery::Pipelines;
use slipway_engine::Engine;
use slipway_factory::Factory;
use slipway_identity::{Identity, RateLimiter};
use slipway_llm::Llm;
use slipway_ops::{Deployments, HostSampler, Monitoring, Servers, Tasks};

use crate::middleware::{HttpSettings, HttpStats};

/// Facts about the node serving the request.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    /// Slipway's version.
    pub version: &'static str,
    /// The installation's id, the same on every node of one database.
    pub instance_id: String,
    /// `sqlite` or `postgres`.
    pub database_backend: &'static str,
    /// When this process started serving.
    pub started_at: Instant,
}

/// Request rate limits: where counters live and what the limits are.
#[derive(Clone)]
pub struct Limits {
    /// The counters.
    pub limiter: RateLimiter,
    /// The configured rates.
    pub rates: RateLimitConfig,
}

/// What the application is built from.
pub struct AppParts {
    /// Facts about this node.
    pub node: NodeInfo,
    /// Dependencies checked by the health routes.
    pub probes: Vec<Arc<dyn Probe>>,
    /// HTTP layer settings.
    pub http: HttpSettings,
    /// Accounts, sessions, codes.
    pub identity: Identity,
    /// Jobs, their events, schedules.
    pub engine: Engine,
    /// Scheduled commands (qoder's tasks).
    pub tasks: Tasks,
    /// qoder's servers and the SSH connections to them.
    pub servers: Servers,
    /// qoder's deployments to those servers (their jobs run on the engine).
    pub deployments: Deployments,
    /// qoder's monitoring: monitored servers, their samples and history, alert rules and alerts.
    pub monitoring: Monitoring,
    /// Agent work: development tasks, workflows, diet plans, gate statistics.
    pub agents: Agents,
    /// ResoftAI's software factory: projects, their runs and files, templates.
    pub factory: Factory,
    /// Perfect21's git-flow and hooks on the users' repositories.
    pub git: slipway_delivery::Git,
    /// Users' Jenkins servers and the builds triggered on them.
    pub jenkins: Jenkins,
    /// AnsFlow's pipelines, their runs and step types.
    pub pipelines: Pipelines,
    /// This host's CPU and memory use.
    pub host: HostSampler,
    /// This node's HTTP figures (fed by the middleware).
    pub http_stats: HttpStats,
    /// LLM providers: calls, and each user's provider configurations.
    pub llm: Llm,
    /// Rate limits.
    pub limits: Limits,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
}

/// Shared, cheaply cloned application state.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl AppState {
    /// Wraps the parts for sharing across requests.
    pub fn new(parts: AppParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl Deref for AppState {
    type Target = AppParts;
    fn deref(&self) -> &AppParts {
        &self.0
    }
}
