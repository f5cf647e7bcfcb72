//! The command line: `slipway-bench http …`, `slipway-bench engine …`, plus the hidden `__serve` subcommand the
//! bench re-executes itself with.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::target::BaseUrl;

/// Load benchmarks for Slipway.
#[derive(Debug, Parser)]
#[command(name = "slipway-bench", version, about)]
pub struct Cli {
    /// What to measure.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure HTTP throughput, latency and memory of a Slipway node against a bare axum baseline.
    Http(HttpArgs),
    /// Measure the job engine in this process: start latency, throughput, chained jobs, event fan-out.
    Engine(EngineArgs),
    /// Measure what the LLM runtime adds to each call beyond the provider's own time, against a mock provider.
    Llm(LlmArgs),
    /// Measure the software factory: file throughput and memory, project ZIPs, run overhead, resume after a kill.
    Factory(FactoryArgs),
    /// Delivery figures: webhook receipt to first step, concurrent pipeline runs, a long log over WebSocket.
    Delivery(DeliveryArgs),
    /// Operations figures against a loopback sshd: SSH command round trips, monitoring many servers.
    Ops(OpsArgs),
    /// Internal: run one server in this process and print `LISTENING ADDR` once it accepts connections.
    #[command(name = "__serve", hide = true)]
    Serve(ServeArgs),
}

/// Flags of `slipway-bench http`.
#[derive(Debug, Args)]
pub struct HttpArgs {
    /// Scenarios to run, in order: `health` (GET /health on Slipway) or `baseline` (GET / on bare axum).
    /// Repeat the flag or separate with commas.
    #[arg(long, value_name = "NAME", value_delimiter = ',', required = true)]
    pub scenario: Vec<Scenario>,
    /// Benchmark this running server (base URL, http:// only) instead of starting one per scenario.
    #[arg(long, value_name = "URL")]
    pub url: Option<BaseUrl>,
    /// Concurrent keep-alive connections; repeat or separate with commas to run each count.
    #[arg(
        long,
        value_name = "N",
        value_delimiter = ',',
        default_value = "32",
        value_parser = clap::value_parser!(u32).range(1..=50_000)
    )]
    pub connections: Vec<u32>,
    /// Seconds of recorded load per run.
    #[arg(long, value_name = "S", default_value = "10", value_parser = parse_positive_seconds)]
    pub duration: Duration,
    /// Seconds of unrecorded load before each run.
    #[arg(long, value_name = "S", default_value = "2", value_parser = parse_seconds)]
    pub warmup: Duration,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `slipway-bench engine`.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Scenarios to run, in order: `latency`, `throughput`, `chain`, `fanout`, `sse-fanout`, `plan-streams`. Repeat
    /// or separate with commas.
    #[arg(long, value_name = "NAME", value_delimiter = ',', required = true)]
    pub scenario: Vec<EngineScenario>,
    /// Databases to run each scenario on: `sqlite` (a fresh file), `postgres` (a fresh schema).
    #[arg(long, value_name = "NAME", value_delimiter = ',', default_value = "sqlite")]
    pub backend: Vec<BackendName>,
    /// PostgreSQL server for `--backend postgres`; a fresh schema is made in it and dropped afterwards.
    #[arg(long, value_name = "URL", env = "SLIPWAY_DATABASE_URL")]
    pub database_url: Option<String>,
    /// How the engine writes to SQLite: through a `dedicated` one-connection pool, or the `shared` pool.
    #[arg(long, value_name = "MODE", default_value = "dedicated")]
    pub sqlite_writer: SqliteWriter,
    /// Worker slots of the engine under test.
    #[arg(long, value_name = "N", default_value = "8", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub workers: u16,
    /// `latency`: jobs measured one after the other (after 50 unrecorded ones).
    #[arg(long, value_name = "N", default_value = "1000", value_parser = clap::value_parser!(u32).range(1..))]
    pub samples: u32,
    /// `throughput`: no-op jobs queued before the workers start.
    #[arg(long, value_name = "N", default_value = "20000", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: u32,
    /// `chain`: jobs in the sequential chain.
    #[arg(long, value_name = "N", default_value = "400", value_parser = clap::value_parser!(u32).range(1..))]
    pub steps: u32,
    /// `fanout`: subscribers on the one job; `plan-streams`: concurrent plan streams.
    #[arg(long, value_name = "N", default_value = "1000", value_parser = clap::value_parser!(u32).range(1..))]
    pub subscribers: u32,
    /// `fanout`: events the job emits per second.
    #[arg(long, value_name = "N", default_value = "100", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub events_per_sec: u32,
    /// `fanout`: seconds the job emits for.
    #[arg(long, value_name = "S", default_value = "10", value_parser = parse_positive_seconds)]
    pub duration: Duration,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `slipway-bench llm`.
#[derive(Debug, Args)]
pub struct LlmArgs {
    /// Scenarios to run: `overhead`.
    #[arg(long, value_name = "NAME", value_delimiter = ',', required = true)]
    pub scenario: Vec<LlmScenario>,
    /// Calls measured per run (after 100 unrecorded ones).
    #[arg(long, value_name = "N", default_value = "2000", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub calls: u32,
    /// Concurrent callers; repeat or separate with commas to run each count.
    #[arg(
        long,
        value_name = "N",
        value_delimiter = ',',
        default_value = "1,16",
        value_parser = clap::value_parser!(u32).range(1..=1024)
    )]
    pub concurrency: Vec<u32>,
    /// The mock provider's own time per answer, milliseconds.
    #[arg(long, value_name = "MS", default_value = "5", value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub latency_ms: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `slipway-bench factory`.
#[derive(Debug, Args)]
pub struct FactoryArgs {
    /// Scenarios to run, in order: `files`, `zip`, `run`, `resume`. Repeat or separate with commas.
    #[arg(long, value_name = "NAME", value_delimiter = ',', required = true)]
    pub scenario: Vec<FactoryScenario>,
    /// `files`: size of the file uploaded and downloaded, MiB.
    #[arg(long, value_name = "MIB", default_value = "100", value_parser = clap::value_parser!(u64).range(1..=100))]
    pub size_mib: u64,
    /// `zip`: files in the project.
    #[arg(long, value_name = "N", default_value = "1000", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub files: u32,
    /// `run`: runs measured (after one unrecorded).
    #[arg(long, value_name = "N", default_value = "10", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub runs: u32,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `slipway-bench delivery`.
#[derive(Debug, Args)]
pub struct DeliveryArgs {
    /// Scenarios to run, in order: `webhook`, `concurrent`, `logs`. Repeat or separate with commas.
    #[arg(long, value_name = "NAME", value_delimiter = ',', required = true)]
    pub scenario: Vec<DeliveryScenario>,
    /// Databases of the node: `sqlite` (a fresh data directory), `postgres` (a fresh schema).
    #[arg(long, value_name = "NAME", value_delimiter = ',', default_value = "sqlite")]
    pub backend: Vec<BackendName>,
    /// PostgreSQL server for `--backend postgres`; a fresh schema is made in it and dropped afterwards.
    #[arg(long, value_name = "URL", env = "SLIPWAY_DATABASE_URL")]
    pub database_url: Option<String>,
    /// `webhook`: deliveries measured one after the other (after 10 unrecorded ones).
    #[arg(long, value_name = "N", default_value = "100", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub samples: u32,
    /// `concurrent`: pipeline runs started at once.
    #[arg(long, value_name = "N", default_value = "100", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub runs: u32,
    /// `concurrent`: trivial shell steps per run.
    #[arg(long, value_name = "N", default_value = "5", value_parser = clap::value_parser!(u32).range(2..=100))]
    pub steps: u32,
    /// `logs`: lines the step prints.
    #[arg(long, value_name = "N", default_value = "50000", value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub lines: u32,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `slipway-bench ops`.
#[derive(Debug, Args)]
pub struct OpsArgs {
    /// Scenarios to run, in order: `ssh`, `monitor`. Repeat or separate with commas.
    #[arg(long, value_name = "NAME", value_delimiter = ',', required = true)]
    pub scenario: Vec<OpsScenario>,
    /// `monitor`: the database of the collector (`sqlite`: a fresh file, `postgres`: a fresh schema).
    #[arg(long, value_name = "NAME", default_value = "sqlite")]
    pub backend: BackendName,
    /// PostgreSQL server for `--backend postgres`; a fresh schema is made in it and dropped afterwards.
    #[arg(long, value_name = "URL", env = "SLIPWAY_DATABASE_URL")]
    pub database_url: Option<String>,
    /// `ssh`: round trips measured one after the other (after 20 unrecorded ones).
    #[arg(long, value_name = "N", default_value = "500", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub samples: u32,
    /// `monitor`: server records, each its own login to the one loopback sshd.
    #[arg(long, value_name = "N", default_value = "200", value_parser = clap::value_parser!(u32).range(1..=2_000))]
    pub servers: u32,
    /// `monitor`: seconds between two collections of one server.
    #[arg(long, value_name = "SECS", default_value = "15", value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub interval: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// An operations benchmark scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OpsScenario {
    /// A command's round trip on an open SSH connection, and commands per second 20 at once.
    Ssh,
    /// Many servers collected by one node's monitoring collector.
    Monitor,
}

/// A delivery benchmark scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeliveryScenario {
    /// A signed GitHub push to the first step's process running, one delivery at a time.
    Webhook,
    /// `--runs` runs of `--steps` trivial shell steps at once: wall time, per-step overhead, server memory.
    Concurrent,
    /// A step printing `--lines` lines, followed over `WS /ws/pipeline-runs/{id}`: every line, in order.
    Logs,
}

/// A factory benchmark scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FactoryScenario {
    /// Upload and download throughput of one large file, and the server's memory growth.
    Files,
    /// Time to the first byte of a project's ZIP.
    Zip,
    /// Orchestration overhead of a seven-stage run.
    Run,
    /// Restart after `kill -9` mid-run to the next stage.
    Resume,
}

/// An LLM benchmark scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LlmScenario {
    /// Call time minus the provider's own time: a bare HTTP client, `Llm::chat` missing the cache, hitting it.
    Overhead,
}

/// An engine benchmark scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineScenario {
    /// Enqueue → executor start, one job at a time, with an idle worker.
    Latency,
    /// No-op jobs drained by the worker slots.
    Throughput,
    /// A sequential chain: each job's completion enqueues the next.
    Chain,
    /// Many subscribers on one job that emits events at a steady rate.
    Fanout,
    /// `fanout` through the HTTP app: every subscriber a real SSE client on `/api/jobs/{id}/events`.
    SseFanout,
    /// `--subscribers` pet-planner clients each streaming the creation of a diet plan over SSE at once.
    PlanStreams,
}

impl EngineScenario {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Latency => "latency",
            Self::Throughput => "throughput",
            Self::Chain => "chain",
            Self::Fanout => "fanout",
            Self::SseFanout => "sse-fanout",
            Self::PlanStreams => "plan-streams",
        }
    }
}

/// A database backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendName {
    /// A fresh SQLite file.
    Sqlite,
    /// A fresh schema on PostgreSQL.
    Postgres,
}

impl BackendName {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// How the engine writes to SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SqliteWriter {
    /// A pool of one connection for the engine's writes (the default).
    Dedicated,
    /// The same pool as everything else.
    Shared,
}

/// Flags of the hidden `__serve` subcommand.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Which server to run.
    #[arg(value_enum)]
    pub kind: ServerKind,
    /// Data directory of the Slipway node (required for `slipway`).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The node's LLM server default: an OpenAI-compatible provider at this base URL.
    #[arg(long, value_name = "URL")]
    pub llm_base: Option<String>,
    /// The node's database (default: SQLite in the data directory).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// The first administrator's password (user `admin`; default: generated).
    #[arg(long, value_name = "PASSWORD")]
    pub admin_password: Option<String>,
    /// The engine's worker slots.
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
}

/// A benchmark scenario: which server is loaded and with which request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// `GET /health` on a real Slipway node (one database round trip per request).
    Health,
    /// `GET /` on a bare axum hello-world.
    Baseline,
    /// Authenticated `GET /api/auth/profile` (token check against the database, union body).
    Profile,
    /// `POST /api/auth/login` with the right password (argon2id verification, a new session).
    Login,
    /// `profile` measured while logins run at full speed beside it on 8 more connections.
    ProfileUnderLogin,
}

impl Scenario {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Health => "health",
            Self::Baseline => "baseline",
            Self::Profile => "profile",
            Self::Login => "login",
            Self::ProfileUnderLogin => "profile-under-login",
        }
    }

    /// The server the bench starts for this scenario.
    pub fn server(self) -> ServerKind {
        match self {
            Self::Baseline => ServerKind::Baseline,
            _ => ServerKind::Slipway,
        }
    }
}

/// A server the bench can run as its child process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ServerKind {
    /// A Slipway node on a fresh data directory.
    Slipway,
    /// A bare axum hello-world.
    Baseline,
}

impl ServerKind {
    /// The name used on the `__serve` command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Slipway => "slipway",
            Self::Baseline => "baseline",
        }
    }
}

/// Parses a non-negative number of seconds, fractions allowed (`0`, `2`, `0.5`).
pub fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s.trim().parse().map_err(|_| format!("expected a number of seconds, got {s:?}"))?;
    Duration::try_from_secs_f64(secs).map_err(|_| format!("expected a non-negative number of seconds, got {s:?}"))
}

/// Parses a positive number of seconds.
pub fn parse_positive_seconds(s: &str) -> Result<Duration, String> {
    let d = parse_seconds(s)?;
    if d.is_zero() {
        return Err("must be more than 0 seconds".to_owned());
    }
    Ok(d)
}

/// The items in order of first appearance, repeats dropped.
pub fn dedup<T: PartialEq + Copy>(items: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    for &item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(args: &[&str]) -> Result<HttpArgs, clap::Error> {
        let argv = ["slipway-bench", "http"].into_iter().chain(args.iter().copied());
        match Cli::try_parse_from(argv)?.command {
            Command::Http(a) => Ok(a),
            Command::Engine(_)
            | Command::Llm(_)
            | Command::Factory(_)
            | Command::Delivery(_)
            | Command::Ops(_)
            | Command::Serve(_) => {
                panic!("not parsed as http")
            }
        }
    }

    #[test]
    fn comma_lists_and_repeats_combine_in_order() {
        let a = http(&["--scenario", "health,baseline", "--scenario", "health", "--connections", "32,256"]).unwrap();
        assert_eq!(a.scenario, vec![Scenario::Health, Scenario::Baseline, Scenario::Health]);
        assert_eq!(a.connections, vec![32, 256]);
        let b = http(&["--scenario", "baseline", "--connections", "8", "--connections", "4,2"]).unwrap();
        assert_eq!(b.connections, vec![8, 4, 2]);
    }

    #[test]
    fn defaults() {
        let a = http(&["--scenario", "health"]).unwrap();
        assert_eq!(a.connections, vec![32]);
        assert_eq!(a.duration, Duration::from_secs(10));
        assert_eq!(a.warmup, Duration::from_secs(2));
        assert!(a.url.is_none());
        assert!(!a.json);
    }

    #[test]
    fn rejects_bad_values() {
        assert!(http(&["--scenario", "health,nope"]).is_err());
        assert!(http(&[]).is_err());
        assert!(http(&["--scenario", "health", "--connections", "0"]).is_err());
        assert!(http(&["--scenario", "health", "--connections", "4,x"]).is_err());
        assert!(http(&["--scenario", "health", "--duration", "0"]).is_err());
        assert!(http(&["--scenario", "health", "--warmup", "-1"]).is_err());
        assert!(http(&["--scenario", "health", "--url", "https://example.com"]).is_err());
    }

    #[test]
    fn seconds() {
        assert_eq!(parse_seconds("0"), Ok(Duration::ZERO));
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_seconds("NaN").is_err());
        assert!(parse_seconds("inf").is_err());
        assert!(parse_positive_seconds("0").is_err());
    }

    #[test]
    fn engine_flags_and_defaults() {
        let cli = Cli::try_parse_from([
            "slipway-bench",
            "engine",
            "--scenario",
            "latency,fanout",
            "--backend",
            "sqlite,postgres",
        ])
        .unwrap();
        let Command::Engine(a) = cli.command else { panic!("not parsed as engine") };
        assert_eq!(a.scenario, vec![EngineScenario::Latency, EngineScenario::Fanout]);
        assert_eq!(a.backend, vec![BackendName::Sqlite, BackendName::Postgres]);
        assert_eq!(
            (a.workers, a.samples, a.jobs, a.steps, a.subscribers, a.events_per_sec),
            (8, 1000, 20000, 400, 1000, 100)
        );
        assert_eq!(a.sqlite_writer, SqliteWriter::Dedicated);
        assert!(Cli::try_parse_from(["slipway-bench", "engine", "--scenario", "nope"]).is_err());
        assert!(Cli::try_parse_from(["slipway-bench", "engine", "--scenario", "chain", "--workers", "0"]).is_err());
    }

    #[test]
    fn llm_flags_and_defaults() {
        let cli = Cli::try_parse_from(["slipway-bench", "llm", "--scenario", "overhead", "--json"]).unwrap();
        let Command::Llm(a) = cli.command else { panic!("not parsed as llm") };
        assert_eq!(
            (a.scenario, a.calls, a.concurrency, a.latency_ms, a.json),
            (vec![LlmScenario::Overhead], 2000, vec![1, 16], 5, true)
        );
        assert!(Cli::try_parse_from(["slipway-bench", "llm", "--scenario", "nope"]).is_err());
        assert!(Cli::try_parse_from(["slipway-bench", "llm", "--scenario", "overhead", "--concurrency", "0"]).is_err());
    }

    #[test]
    fn dedup_keeps_first_occurrences() {
        assert_eq!(dedup(&[3, 1, 3, 2, 1]), vec![3, 1, 2]);
    }

    #[test]
    fn serve_subcommand_is_hidden_but_parses() {
        let cli = Cli::try_parse_from(["slipway-bench", "__serve", "slipway", "--data-dir", "/tmp/x"]).unwrap();
        match cli.command {
            Command::Serve(s) => {
                assert_eq!(s.kind, ServerKind::Slipway);
                assert_eq!(s.data_dir, Some(PathBuf::from("/tmp/x")));
            }
            Command::Http(_)
            | Command::Engine(_)
            | Command::Llm(_)
            | Command::Factory(_)
            | Command::Delivery(_)
            | Command::Ops(_) => {
                panic!("not parsed as __serve")
            }
        }
    }
}
