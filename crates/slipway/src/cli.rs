//! The command line: `slipway serve | worker | migrate | config`, `slipway --version`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use slipway_core::ConfigLayer;

/// Slipway: a self-hosted platform where software gets built and launched.
#[derive(Debug, Parser)]
#[command(name = "slipway", version, about)]
pub struct Cli {
    /// Configuration file (default: ./slipway.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log filter, e.g. `info` or `slipway=debug,sqlx=warn` (SLIPWAY_LOG).
    #[arg(long, global = true, value_name = "FILTER")]
    pub log: Option<String>,
    /// Log format: `text` or `json` (SLIPWAY_LOG_FORMAT).
    #[arg(long, global = true, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (HTTP on every --bind address) and its job engine.
    Serve(NodeFlags),
    /// Run only the job engine (workers, schedules, maintenance): a worker node without HTTP.
    Worker(WorkerFlags),
    /// Apply pending database migrations and exit.
    Migrate(NodeFlags),
    /// Print the effective configuration, secrets redacted.
    Config(NodeFlags),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
}

/// `slipway user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account (a password is generated and printed when none is given).
    Create(UserCreate),
}

/// `slipway user create`.
#[derive(Debug, Args)]
pub struct UserCreate {
    /// Login name.
    #[arg(long)]
    pub username: String,
    /// E-mail address.
    #[arg(long)]
    pub email: String,
    /// Password (8+ characters with upper and lower case letters and a digit); generated when omitted.
    #[arg(long, env = "SLIPWAY_NEW_USER_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Display name.
    #[arg(long, default_value = "")]
    pub full_name: String,
    /// Make the account an administrator.
    #[arg(long)]
    pub admin: bool,
    /// Where the database is.
    #[command(flatten)]
    pub node: NodeFlags,
}

/// Flags that set configuration keys; they win over the file and the environment.
#[derive(Debug, Args, Default)]
pub struct NodeFlags {
    /// Listen address (IP:PORT); repeat to serve the same app on several ports (SLIPWAY_BIND).
    #[arg(long = "bind", value_name = "ADDR")]
    pub bind: Vec<String>,
    /// Data directory for the SQLite database, secrets and workspaces (SLIPWAY_DATA_DIR).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://… or postgres://… (SLIPWAY_DATABASE_URL).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

/// Flags of `slipway worker`; they win over the file and the environment.
#[derive(Debug, Args, Default)]
pub struct WorkerFlags {
    /// Data directory for the SQLite database and job workspaces (SLIPWAY_DATA_DIR).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://… or postgres://… (SLIPWAY_DATABASE_URL).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Jobs this node runs at once (SLIPWAY_WORKERS).
    #[arg(long, value_name = "N")]
    pub workers: Option<String>,
}

impl Cli {
    /// The flags as a configuration layer (the top one).
    pub fn flag_layer(&self) -> ConfigLayer {
        let mut layer = ConfigLayer::new("command line");
        let (bind, data_dir, database_url, workers) = match &self.command {
            Command::Serve(f) | Command::Migrate(f) | Command::Config(f) => {
                (&f.bind[..], &f.data_dir, &f.database_url, &None)
            }
            Command::User(UserCommand::Create(c)) => (&c.node.bind[..], &c.node.data_dir, &c.node.database_url, &None),
            Command::Worker(w) => (&[][..], &w.data_dir, &w.database_url, &w.workers),
        };
        if !bind.is_empty() {
            layer.set_list("bind", bind.to_vec());
        }
        let scalars = [
            ("data_dir", data_dir.as_ref().map(|d| d.display().to_string())),
            ("database_url", database_url.clone()),
            ("workers", workers.clone()),
            ("log", self.log.clone()),
            ("log_format", self.log_format.clone()),
        ];
        for (key, value) in scalars {
            if let Some(v) = value {
                layer.set(key, &v);
            }
        }
        layer
    }
}
