//! AnsFlow's pipelines: CRUD with validation ([`service`]), runs on the engine ([`runs`], [`executor`]), step
//! types ([`steps`]), secrets ([`secrets`]) and the typed run events a live view follows ([`events`]).
//!
//! Who may see and change a pipeline is one rule ([`access`]): its owner and administrators; anyone else
//! gets "not found". A pipeline's steps always run with its **owner's** privileges (an administrator starting
//! a user's pipeline does not lend it theirs): ordinary users' steps run in the command sandbox as an
//! unprivileged user; without the sandbox only administrators' pipelines run.

pub mod access;
pub mod activity;
pub mod events;
pub mod executor;
pub mod model;
pub mod runs;
pub mod secrets;
pub mod service;
pub mod steps;
pub mod validate;
mod webhook_directory;

use std::sync::Arc;

use slipway_core::{Error, Principal, Role};
use slipway_engine::{Engine, EngineBuilder};
use slipway_files::BlobStore;
use slipway_outbound::OutboundPolicy;
use slipway_store::delivery::PipelineRecord;
use slipway_store::{Db, Sealer};

pub use executor::{KIND, PipelineRunExecutor, RunInput};
pub use steps::{StepKind, StepServices, StepType, StepTypes};

/// The largest artifact file when the configuration says nothing (1 GiB).
pub const DEFAULT_MAX_ARTIFACT_BYTES: u64 = 1 << 30;

/// Everything pipelines and their runs share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub db: Db,
    pub sealer: Sealer,
    pub types: StepTypes,
    pub services: StepServices,
    pub user_network: bool,
}

impl Shared {
    /// The principal a pipeline's jobs run as: its owner, with the owner's current role.
    pub async fn owner(&self, p: &PipelineRecord) -> Result<Principal, Error> {
        let user = self.db.user_by_id(p.user_id).await?;
        let role = match user.as_ref().map(|u| u.role.as_str()) {
            Some("admin") => Role::Admin,
            _ => Role::User,
        };
        Ok(Principal { user_id: p.user_id, username: p.created_by_username.clone(), role })
    }
}

/// The pipeline service for the surfaces (and the lead's webhooks).
#[derive(Clone)]
pub struct Pipelines {
    engine: Engine,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Pipelines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipelines").finish_non_exhaustive()
    }
}

/// How the pipeline service and its executor are built.
#[derive(Debug, Clone)]
pub struct PipelineSettings {
    /// The database.
    pub db: Db,
    /// Seals secrets.
    pub sealer: Sealer,
    /// Where artifacts go.
    pub blobs: BlobStore,
    /// The policy for user-given URLs.
    pub outbound: OutboundPolicy,
    /// The step types.
    pub types: StepTypes,
    /// Whether ordinary users' pipelines may give their steps the network.
    pub user_network: bool,
    /// The largest artifact file.
    pub max_artifact_bytes: u64,
}

impl PipelineSettings {
    /// The standard step types, no network for ordinary users' steps, artifacts up to 1 GiB.
    pub fn new(db: Db, sealer: Sealer, blobs: BlobStore, outbound: OutboundPolicy) -> Result<Self, Error> {
        // `http_request` builds HTTPS clients; the process's TLS provider must be chosen first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Ok(Self {
            db,
            sealer,
            blobs,
            outbound,
            types: StepTypes::standard()?,
            user_network: false,
            max_artifact_bytes: DEFAULT_MAX_ARTIFACT_BYTES,
        })
    }

    fn shared(self) -> Arc<Shared> {
        Arc::new(Shared {
            services: StepServices {
                db: self.db.clone(),
                blobs: self.blobs,
                outbound: self.outbound,
                max_artifact_bytes: self.max_artifact_bytes,
            },
            db: self.db,
            sealer: self.sealer,
            types: self.types,
            user_network: self.user_network,
        })
    }
}

/// Registers the pipeline run executor on an engine being built; the same settings then build the service
/// with [`Pipelines::new`].
pub fn register(builder: EngineBuilder, settings: &PipelineSettings) -> EngineBuilder {
    builder.executor(PipelineRunExecutor::new(settings.clone().shared()))
}

impl Pipelines {
    /// The service over an engine that has the executor registered (see [`register`]).
    pub fn new(engine: Engine, settings: PipelineSettings) -> Self {
        Self { engine, shared: settings.shared() }
    }

    /// The step types.
    pub fn step_types(&self) -> &StepTypes {
        &self.shared.types
    }

    /// The file store artifacts are in.
    pub fn blobs(&self) -> &BlobStore {
        &self.shared.services.blobs
    }
}
