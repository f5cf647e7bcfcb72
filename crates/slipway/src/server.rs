//! The HTTP server: one application on every bind address, graceful shutdown within a grace period.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use slipway_core::Config;
use slipway_engine::Engine;
use slipway_llm::Llm;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::wiring;

/// A node whose listeners are bound and whose application is built, ready to serve.
pub struct Server {
    listeners: Vec<TcpListener>,
    app: Router,
    grace: Duration,
    engine: Option<(Engine, Llm)>,
    collector: Option<(CancellationToken, tokio::task::JoinHandle<()>)>,
}

impl Server {
    /// Binds every address; fails with the address named when one is taken.
    pub async fn bind(addrs: &[SocketAddr], app: Router, grace: Duration) -> anyhow::Result<Self> {
        let mut listeners = Vec::with_capacity(addrs.len());
        for addr in addrs {
            let l = TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
            listeners.push(l);
        }
        Ok(Self { listeners, app, grace, engine: None, collector: None })
    }

    /// Stops `engine` with the server: it stops claiming at the shutdown signal and its running jobs get the
    /// same grace period as requests in flight; then the LLM usage rows still buffered are written.
    pub fn with_engine(mut self, engine: Engine, llm: Llm) -> Self {
        self.engine = Some((engine, llm));
        self
    }

    /// Stops the monitoring collector running under `stop` with the server (it gives up its leases).
    pub fn with_collector(mut self, stop: CancellationToken, handle: tokio::task::JoinHandle<()>) -> Self {
        self.collector = Some((stop, handle));
        self
    }

    /// The addresses actually bound (useful with port 0).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners.iter().filter_map(|l| l.local_addr().ok()).collect()
    }

    /// Serves until `shutdown` completes, then stops accepting and gives in-flight requests the grace period.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let token = CancellationToken::new();
        let mut servers = JoinSet::new();
        for listener in self.listeners {
            let serve = slipway_http::connection::serve(listener, self.app.clone());
            let stop = token.clone().cancelled_owned();
            servers.spawn(async move { serve.with_graceful_shutdown(stop).await });
        }
        let failed = tokio::select! {
            () = shutdown => {
                tracing::info!(grace_secs = self.grace.as_secs(), "shutting down: no new connections or jobs");
                None
            }
            Some(done) = servers.join_next() => {
                // A listener failed on its own: take the others (and the engine) down with it.
                token.cancel();
                Some(done)
            }
        };
        token.cancel();
        let grace = self.grace;
        let collector_stopped = async move {
            if let Some((stop, handle)) = self.collector {
                stop.cancel();
                if tokio::time::timeout(grace, handle).await.is_err() {
                    tracing::warn!("the monitoring collector did not stop within the grace period");
                }
            }
        };
        let engine_stopped = async move {
            if let Some((engine, llm)) = self.engine {
                engine.shutdown(grace).await;
                llm.flush_usage().await;
            }
        };
        let drained = async {
            let drained = tokio::time::timeout(grace, async {
                while let Some(done) = servers.join_next().await {
                    if let Ok(Err(e)) = done {
                        tracing::warn!(error = %e, "listener ended with an error");
                    }
                }
            })
            .await;
            if drained.is_err() {
                tracing::warn!("grace period over: abandoning requests still in flight");
                servers.abort_all();
            }
        };
        tokio::join!(drained, engine_stopped, collector_stopped);
        if let Some(done) = failed {
            done.context("listener task failed")?.context("listener failed")?;
        }
        Ok(())
    }
}

/// Opens the database, starts the job engine, builds the application and binds every configured address.
pub async fn start(config: &Config) -> anyhow::Result<Server> {
    let db = wiring::open_database(config).await?;
    let llm = wiring::llm(config, &db).await?;
    let servers = wiring::servers(config, &db).await?;
    let engine = wiring::start_engine(config, db.clone(), &llm, &servers).await?;
    let state = wiring::app_state(config, db.clone(), engine.clone(), llm.clone(), servers).await?;
    wiring::bootstrap_admin(config, &state.identity).await?;
    let collector = wiring::collector(config, db, state.servers.clone())?;
    let app = slipway_http::router(state);
    match Server::bind(&config.bind, app, Duration::from_secs(config.shutdown_grace)).await {
        Ok(server) => {
            let stop = CancellationToken::new();
            let handle = collector.spawn(stop.clone());
            Ok(server.with_engine(engine, llm).with_collector(stop, handle))
        }
        Err(e) => {
            engine.shutdown(Duration::ZERO).await;
            Err(e)
        }
    }
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
