//! Wiring: configuration in, a ready application out.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use slipway_agents::Agents;
use slipway_core::{Config, Probe};
use slipway_delivery::jenkins::JenkinsAccess;
use slipway_delivery::pipelines::steps::JenkinsTrigger;
use slipway_delivery::{Jenkins, JenkinsBuildExecutor, PipelineSettings, Pipelines};
use slipway_engine::{CommandExecutor, Engine, EngineSettings};
use slipway_factory::{Factory, ProjectFiles};
use slipway_files::BlobStore;
use slipway_http::middleware::HttpStats;
use slipway_http::{AppParts, AppState, HttpSettings, Limits, NodeInfo};
use slipway_identity::{Identity, Mailer, RateLimiter};
use slipway_llm::{Llm, LlmSettings};
use slipway_ops::monitoring::SendMail;
use slipway_ops::ssh::{SshPool, SshSettings};
use slipway_ops::{
    Collector, DeploySettings, Deployments, HostSampler, MonitorSettings, Monitoring, Notifier, RemoteCommands,
    Servers, Tasks,
};
use slipway_outbound::OutboundPolicy;
use slipway_store::{Db, PoolSettings, Sealer};

/// Opens the configured database (creating the data directory) and applies pending migrations.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data directory {}", config.data_dir.display()))?;
    let url = config.effective_database_url();
    let settings = PoolSettings { max_connections: config.db_max_connections, ..PoolSettings::default() };
    let db = Db::connect(&url, &settings)
        .await
        .with_context(|| format!("cannot open database {}", slipway_core::config::redact_url(&url)))?;
    db.migrate().await.context("cannot apply database migrations")?;
    Ok(db)
}

/// The HTTP layer's settings from the configuration.
pub fn http_settings(config: &Config) -> HttpSettings {
    HttpSettings {
        body_limit: config.body_limit,
        request_timeout: Duration::from_secs(config.request_timeout),
        cors_origins: config.cors_origins.clone(),
    }
}

/// The identity service on an open, migrated database.
pub async fn identity(config: &Config, db: Db) -> anyhow::Result<Identity> {
    let mailer = Mailer::from_config(&config.mail, &config.data_dir)?;
    Identity::new(db, config.identity.clone(), &config.data_dir, mailer).await.context("cannot start identity")
}

/// The outbound-URL policy for user-given URLs, from `outbound_allow`.
pub fn outbound_policy(config: &Config) -> anyhow::Result<OutboundPolicy> {
    OutboundPolicy::from_entries(&config.outbound_allow).map_err(|e| anyhow::anyhow!("outbound_allow: {e}"))
}

/// The sealer of stored credentials (LLM API keys, Jenkins tokens), from the installation's secret key.
pub async fn sealer(config: &Config, db: &Db) -> anyhow::Result<Sealer> {
    Sealer::load(config.secret_key.as_deref(), &config.data_dir, db)
        .await
        .context("cannot load the secret key that seals stored credentials")
}

/// The LLM runtime: settings from the `llm_*` keys, users' configurations policed by `outbound_allow`, API
/// keys sealed with the installation's secret key.
pub async fn llm(config: &Config, db: &Db) -> anyhow::Result<Llm> {
    let settings = LlmSettings::from_config(&config.llm).map_err(|e| anyhow::anyhow!("LLM configuration: {e}"))?;
    let settings = LlmSettings { outbound: outbound_policy(config)?, ..settings };
    let sealer = sealer(config, db).await?;
    Llm::new(db.clone(), settings, sealer).await.context("cannot start the LLM runtime")
}

/// Project files on the configured file store (`files_url`, `max_upload_bytes`).
pub fn project_files(config: &Config, db: &Db) -> anyhow::Result<ProjectFiles> {
    let blobs = BlobStore::from_config(config).context("cannot open the file store")?;
    Ok(ProjectFiles::new(db.clone(), blobs, config.files.max_upload_bytes))
}

/// The pipelines' settings: artifacts on the configured file store, secrets sealed with the installation's key,
/// user-given URLs policed by `outbound_allow`, and the `jenkins_trigger` step on the owners' Jenkins servers.
pub async fn pipeline_settings(config: &Config, db: &Db) -> anyhow::Result<PipelineSettings> {
    let blobs = BlobStore::from_config(config).context("cannot open the file store")?;
    let sealer = Sealer::load(config.secret_key.as_deref(), &config.data_dir, db)
        .await
        .context("cannot load the secret key that seals stored credentials")?;
    let outbound = outbound_policy(config)?;
    let jenkins = JenkinsTrigger::new(JenkinsAccess::new(db.clone(), sealer.clone(), outbound.clone()));
    let settings = PipelineSettings::new(db.clone(), sealer, blobs, outbound)
        .map_err(|e| anyhow::anyhow!("pipeline step types: {e}"))?;
    let types =
        settings.types.clone().with(Arc::new(jenkins)).map_err(|e| anyhow::anyhow!("pipeline step types: {e}"))?;
    Ok(PipelineSettings { max_artifact_bytes: config.files.max_upload_bytes, types, ..settings })
}

/// The servers service: addresses policed by `outbound_allow`, credentials sealed with the installation's key,
/// and this node's one pool of SSH connections, shared by the routes and the jobs that reach servers (remote
/// commands, deployments, monitoring): one ControlMaster per server.
pub async fn servers(config: &Config, db: &Db) -> anyhow::Result<Servers> {
    Ok(Servers::new(
        db.clone(),
        sealer(config, db).await?,
        outbound_policy(config)?,
        SshPool::new(&config.data_dir, SshSettings::default()),
    ))
}

/// What deployments run with: the node's `servers`, repositories policed by `outbound_allow`, and pipeline
/// runs' artifacts read from the configured file store.
pub fn deploy_settings(config: &Config, db: &Db, servers: &Servers) -> anyhow::Result<DeploySettings> {
    let blobs = BlobStore::from_config(config).context("cannot open the file store")?;
    Ok(DeploySettings { db: db.clone(), servers: servers.clone(), policy: outbound_policy(config)?, blobs })
}

/// Starts this node's job engine (workers, scheduler, maintenance) with every executor Slipway has; commands
/// with a server as their target and deployments run through `servers`.
pub async fn start_engine(config: &Config, db: Db, llm: &Llm, servers: &Servers) -> anyhow::Result<Engine> {
    let runtime = slipway_agents::Runtime { llm: llm.clone(), db: db.clone() };
    let files = project_files(config, &db)?;
    let jenkins = JenkinsBuildExecutor::new(db.clone(), sealer(config, &db).await?, outbound_policy(config)?);
    let pipelines = pipeline_settings(config, &db).await?;
    let deployments = deploy_settings(config, &db, servers)?;
    let command = CommandExecutor::new().with_remote(Arc::new(RemoteCommands::new(servers.clone())));
    let builder = Engine::builder(db, EngineSettings::from_config(config)).executor(command).executor(jenkins);
    let builder = slipway_factory::register(slipway_agents::register(builder, &runtime), &runtime, &files);
    let builder = slipway_delivery::register(builder, &pipelines);
    let builder = slipway_ops::deployments::register(builder, &deployments);
    let engine = builder.start().await.context("cannot start the job engine")?;
    Ok(engine)
}

/// Perfect21's git-flow: clones under `<data_dir>/repositories`, clone URLs policed by `outbound_allow`, git run
/// in the engine's sandbox.
pub fn git(config: &Config, db: &Db, engine: &Engine) -> anyhow::Result<slipway_delivery::Git> {
    let repositories = slipway_delivery::GitRepositories::new(
        db.clone(),
        &config.data_dir,
        outbound_policy(config)?,
        engine.sandbox().clone(),
    );
    Ok(slipway_delivery::Git::new(repositories))
}

/// Builds the application state on an open, migrated database, this node's engine (which joins the probes),
/// the LLM service its agents use and the servers service its jobs reach servers through.
pub async fn app_state(
    config: &Config,
    db: Db,
    engine: Engine,
    llm: Llm,
    servers: Servers,
) -> anyhow::Result<AppState> {
    let candidate = uuid::Uuid::new_v4().simple().to_string();
    let instance_id = db.instance_id(&candidate).await.context("cannot read the instance id")?;
    let node = NodeInfo {
        version: env!("CARGO_PKG_VERSION"),
        instance_id,
        database_backend: db.backend().name(),
        started_at: Instant::now(),
    };
    let identity = identity(config, db.clone()).await?;
    let limiter = RateLimiter::from_config(&config.rate_limits).await.context("cannot set up rate limits")?;
    let mut probes: Vec<Arc<dyn Probe>> = vec![Arc::new(db.clone()), Arc::new(engine.clone())];
    probes.extend(limiter.probe());
    let jenkins = Jenkins::new(db.clone(), sealer(config, &db).await?, outbound_policy(config)?, engine.clone());
    let deploy = deploy_settings(config, &db, &servers)?;
    Ok(AppState::new(AppParts {
        node,
        probes,
        http: http_settings(config),
        identity,
        tasks: Tasks::new(engine.clone()).with_servers(servers.clone()),
        deployments: Deployments::new(engine.clone(), deploy),
        monitoring: Monitoring::new(db.clone(), servers.clone(), outbound_policy(config)?),
        servers,
        agents: Agents::new(engine.clone(), llm.clone(), db.clone()),
        factory: Factory::new(engine.clone(), llm.clone(), db.clone(), project_files(config, &db)?),
        git: git(config, &db, &engine)?,
        jenkins,
        pipelines: Pipelines::new(engine.clone(), pipeline_settings(config, &db).await?),
        host: HostSampler::default(),
        http_stats: HttpStats::default(),
        engine,
        llm: llm.clone(),
        limits: Limits { limiter, rates: config.rate_limits.clone() },
        trusted_proxies: config.trusted_proxies.clone(),
    }))
}

/// This node's monitoring collector: every `monitor_interval` seconds it collects the servers it holds the lease
/// of through `servers` (the application's SSH connections), the Slipway host among them; alerts notify by
/// webhook (policed by `outbound_allow`) and by mail through the configured mailer.
pub fn collector(config: &Config, db: Db, servers: Servers) -> anyhow::Result<Collector> {
    let mailer = Mailer::from_config(&config.mail, &config.data_dir)?;
    let mail: SendMail = Arc::new(move |to, subject, body| {
        let mailer = mailer.clone();
        Box::pin(async move { mailer.send(&to, &subject, &body).await })
    });
    let notifier = Notifier::new(outbound_policy(config)?).with_mail(mail);
    let settings = MonitorSettings {
        node: format!("node-{}", uuid::Uuid::new_v4().simple()),
        interval: Duration::from_secs(config.monitor_interval.max(1)),
        ..MonitorSettings::default()
    };
    Ok(Collector::new(db, servers, notifier, settings))
}

/// Creates the first administrator when there is none, printing a generated password once.
pub async fn bootstrap_admin(config: &Config, identity: &Identity) -> anyhow::Result<()> {
    let created = identity.ensure_admin(&config.admin).await.context("cannot create the first administrator")?;
    if let Some(admin) = created {
        match admin.generated_password {
            Some(password) => eprintln!(
                "\n  First start: created administrator {:?} with password {password:?}\n  \
                 It is shown only this once; change it after signing in.\n",
                admin.username
            ),
            None => tracing::info!(username = %admin.username, "created the configured administrator"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outbound_policy_comes_from_outbound_allow() {
        let strict = outbound_policy(&Config::default()).map_err(|e| e.to_string());
        assert!(strict.is_ok_and(|p| p.is_strict()));
        let config = Config { outbound_allow: vec!["127.0.0.1:11434".into()], ..Config::default() };
        let allowed = outbound_policy(&config).map_err(|e| e.to_string());
        assert!(allowed.is_ok_and(|p| p.check_str("http://127.0.0.1:11434", false).is_ok()));
        let bad = Config { outbound_allow: vec!["10.0.0.0/40".into()], ..Config::default() };
        let err = outbound_policy(&bad).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("outbound_allow: ") && err.contains("10.0.0.0/40"), "{err}");
    }
}
