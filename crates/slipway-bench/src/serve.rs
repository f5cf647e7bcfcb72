//! The child's side: run a Slipway node or the bare axum baseline on 127.0.0.1:0 until stdin closes or a signal.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use axum::serve::ListenerExt;
use slipway_core::Config;
use slipway_core::config::{AdminBootstrap, LlmConfig, Rate, RateLimitConfig};
use tokio::net::TcpListener;

use crate::child::READY_PREFIX;
use crate::cli::{ServeArgs, ServerKind};

/// The body the baseline answers with.
pub const BASELINE_BODY: &str = "Hello, World!";

/// Runs the requested server until stdin reaches its end, SIGTERM or ctrl-c.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let stop = stop_signal()?;
    match args.kind {
        ServerKind::Slipway => {
            let data_dir = args.data_dir.context("the slipway server needs --data-dir")?;
            slipway::install_crypto_provider();
            let config = Config {
                bind: vec![loopback],
                data_dir,
                log: "warn".to_owned(),
                shutdown_grace: 1,
                rate_limits: unreachable_limits(),
                llm: LlmConfig {
                    provider: args.llm_base.as_ref().map(|_| "deepseek".to_owned()),
                    base_url: args.llm_base.clone(),
                    api_key: args.llm_base.as_ref().map(|_| "bench".to_owned()),
                    ..LlmConfig::default()
                },
                database_url: args.database_url.clone(),
                admin: AdminBootstrap {
                    username: Some("admin".into()),
                    email: None,
                    password: args.admin_password.clone(),
                },
                workers: args.workers.unwrap_or(Config::default().workers),
                ..Config::default()
            };
            slipway::logging::init(&config)?;
            let server = slipway::server::start(&config).await?;
            let addr = server.local_addrs().into_iter().next().context("the server bound no address")?;
            announce(addr)?;
            server.run_until(stop).await
        }
        ServerKind::Baseline => {
            let listener = TcpListener::bind(loopback).await.with_context(|| format!("cannot listen on {loopback}"))?;
            let addr = listener.local_addr().context("cannot read the bound address")?;
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let app = Router::new().route("/", get(|| async { BASELINE_BODY }));
            announce(addr)?;
            axum::serve(listener, app).with_graceful_shutdown(stop).await.context("the baseline server failed")
        }
    }
}

/// Rate limits that still count every request (so their cost is measured) but never refuse one.
fn unreachable_limits() -> RateLimitConfig {
    let huge = Rate::new(u32::MAX, 3600);
    RateLimitConfig {
        perfect21: huge,
        login: huge,
        register: huge,
        resoftai_free: huge,
        resoftai_paid: huge,
        resoftai_enterprise: huge,
        ..RateLimitConfig::default()
    }
}

/// Tells the parent where to connect.
fn announce(addr: SocketAddr) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{READY_PREFIX}{addr}").and_then(|()| out.flush()).context("cannot write to stdout")
}

/// Completes when stdin reaches its end (the parent closed it or died), or on SIGTERM or ctrl-c.
fn stop_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    let (closed, on_close) = tokio::sync::oneshot::channel::<()>();
    // A plain thread: a blocked stdin read must not hold up the runtime's shutdown.
    std::thread::Builder::new()
        .name("stdin-watch".to_owned())
        .spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            let _ = closed.send(());
        })
        .context("cannot start the stdin watcher")?;
    Ok(async move {
        tokio::select! {
            _ = on_close => {},
            () = slipway::server::shutdown_signal() => {},
        }
    })
}
