//! `slipway`: serve, run a worker, migrate, print the configuration.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use slipway::cli::{Cli, Command, UserCommand, UserCreate};
use slipway::{logging, server, settings, wiring, worker};
use slipway_core::Role;
use slipway_identity::{Registration, Rules};

fn main() -> ExitCode {
    let cli = Cli::parse();
    slipway::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let config = settings::load(cli.config.as_deref(), &cwd, std::env::vars(), cli.flag_layer())?;
    match cli.command {
        Command::Config(_) => {
            print!("{}", config.to_redacted_toml());
            Ok(())
        }
        Command::Migrate(_) => {
            logging::init(&config)?;
            let db = wiring::open_database(&config).await?;
            let applied = db.applied_migrations().await?;
            println!(
                "{} database is at migration {} ({} applied)",
                db.backend().name(),
                applied.last().copied().unwrap_or(0),
                applied.len()
            );
            db.close().await;
            Ok(())
        }
        Command::User(UserCommand::Create(args)) => {
            logging::init(&config)?;
            create_user(&config, args).await
        }
        Command::Serve(_) => {
            logging::init(&config)?;
            let server = server::start(&config).await?;
            for addr in server.local_addrs() {
                tracing::info!(%addr, version = env!("CARGO_PKG_VERSION"), "listening");
            }
            server.run_until(server::shutdown_signal()).await
        }
        Command::Worker(_) => {
            logging::init(&config)?;
            worker::run(&config).await
        }
    }
}

async fn create_user(config: &slipway_core::Config, args: UserCreate) -> anyhow::Result<()> {
    let db = wiring::open_database(config).await?;
    let identity = wiring::identity(config, db.clone()).await?;
    let generated = args.password.is_none().then(slipway_identity::tokens::generate_password);
    let registration = Registration {
        username: args.username,
        email: args.email,
        password: args.password.or_else(|| generated.clone()).unwrap_or_default(),
        full_name: args.full_name,
        role: Some(if args.admin { Role::Admin } else { Role::User }),
    };
    let user = identity
        .create_user_as_system(&registration, Rules::RESOFTAI)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.public_message()))?;
    println!("created {} {:?} (id {})", user.role, user.username, user.id);
    if let Some(password) = generated {
        println!("password: {password}");
    }
    db.close().await;
    Ok(())
}
