//! Monitoring many servers: `servers` server records on one loopback sshd, each its own login (its own
//! ControlMaster), collected by one node's collector every `interval` seconds. The figures: the first tick
//! (host keys learned, every login made), then steady ticks: the longest gap between two samples of one server
//! (inside the interval means every tick finished in time), the CPU the node and its `ssh` processes spend per
//! tick, and their memory.

use std::time::{Duration, Instant};

use slipway_core::{Principal, Role};
use slipway_ops::ssh::{SshPool, SshSettings};
use slipway_ops::{Collector, MonitorSettings, Monitoring, NewServer, Notifier, Servers};
use slipway_outbound::OutboundPolicy;
use slipway_store::identity::NewUser;
use slipway_store::{Db, Sealer};
use tokio_util::sync::CancellationToken;

use super::sshd::Sshd;
use crate::cli::BackendName;
use crate::engine::database;
use crate::factory::Figure;

/// Steady ticks measured after the first.
const STEADY_TICKS: i64 = 3;
/// Clock ticks per second of `/proc/<pid>/stat` times (`CLK_TCK` on Linux).
const CLOCK_TICKS: f64 = 100.0;

async fn administrator(db: &Db) -> anyhow::Result<Principal> {
    let new = NewUser {
        username: "bench-admin",
        email: "bench-admin@example.com",
        password_hash: "$argon2id$unused",
        role: "admin",
        full_name: "bench",
        email_verified: true,
    };
    let user = db.insert_user(&new, slipway_core::time::now()).await?;
    Ok(Principal { user_id: user.id, username: user.username, role: Role::Admin })
}

/// The fields of `/proc/<pid>/stat` after the command name.
fn stat_fields(pid: &str) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = text.rsplit_once(')')?.1;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// CPU seconds of this process (with its reaped children) and of its live children.
fn cpu_seconds() -> f64 {
    let me = std::process::id().to_string();
    let field = |f: &[String], i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // After the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
    let own = stat_fields("self").map_or(0.0, |f| field(&f, 11) + field(&f, 12) + field(&f, 13) + field(&f, 14));
    let children: f64 =
        children(&me).iter().filter_map(|p| stat_fields(p)).map(|f| field(&f, 11) + field(&f, 12)).sum();
    (own + children) / CLOCK_TICKS
}

/// Live child processes of `pid`.
fn children(pid: &str) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|p| p.chars().all(|c| c.is_ascii_digit()))
        .filter(|p| stat_fields(p).is_some_and(|f| f.get(1).is_some_and(|pp| pp == pid)))
        .collect()
}

/// Resident memory of this process and of its live children, in MB.
fn rss_mb() -> (f64, f64) {
    let me = std::process::id();
    let own = crate::rss::read_kib(me).map_or(0.0, crate::rss::kib_to_mb);
    let kids: u64 =
        children(&me.to_string()).iter().filter_map(|p| p.parse().ok()).filter_map(crate::rss::read_kib).sum();
    (own, crate::rss::kib_to_mb(kids))
}

/// Waits until every server has at least `n` samples; the longest gap between consecutive samples of one server
/// after its first.
async fn until_each_has(db: &Db, ids: &[i64], n: i64, patience: Duration) -> anyhow::Result<Duration> {
    let deadline = Instant::now() + patience;
    loop {
        let mut done = true;
        for id in ids {
            if db.count_monitor_samples(*id).await? < n {
                done = false;
                break;
            }
        }
        if done {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "servers did not reach {n} samples in {patience:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut longest = 0;
    for id in ids {
        let mut at: Vec<i64> = db.monitor_samples(*id).await?.iter().map(|s| s.at_ms).collect();
        at.sort_unstable();
        // From the second sample on: the first tick's logins are their own figure.
        longest = at.iter().skip(1).zip(at.iter().skip(2)).map(|(a, b)| b - a).fold(longest, i64::max);
    }
    Ok(Duration::from_millis(u64::try_from(longest).unwrap_or(0)))
}

/// The monitoring figures for `count` servers at `interval_secs`.
pub async fn many_servers(
    backend: BackendName,
    url: Option<&str>,
    count: u32,
    interval_secs: u64,
) -> anyhow::Result<Vec<Figure>> {
    let sshd = Sshd::start();
    let fresh = database::fresh(backend, url).await?;
    let db = fresh.db.clone();
    let data = tempfile::tempdir()?;
    let policy = OutboundPolicy::default();
    let pool = SshPool::new(data.path(), SshSettings::default());
    let servers =
        Servers::new(db.clone(), Sealer::from_secret("the ops bench's secret, 32+ characters"), policy.clone(), pool);
    let admin = administrator(&db).await?;
    let monitoring = Monitoring::new(db.clone(), servers.clone(), policy.clone());
    let mut ids = Vec::new();
    for i in 0..count {
        let new = NewServer {
            name: format!("bench-{i:04}"),
            host: "127.0.0.1".into(),
            port: Some(i64::from(sshd.port)),
            username: super::remote_user(),
            private_key: Some(sshd.user_key()),
            ..NewServer::default()
        };
        let id = servers.create(&admin, new).await?.id;
        monitoring.add(&admin, id).await?;
        ids.push(id);
    }
    let interval = Duration::from_secs(interval_secs);
    let settings = MonitorSettings { interval, local_host: false, ..MonitorSettings::default() };
    let stop = CancellationToken::new();
    let started = Instant::now();
    let collector = Collector::new(db.clone(), servers, Notifier::new(policy), settings).spawn(stop.clone());
    let patience = interval * 4 + Duration::from_secs(60);
    until_each_has(&db, &ids, 1, patience).await?;
    let first = started.elapsed();
    let (cpu0, steady) = (cpu_seconds(), Instant::now());
    let longest = until_each_has(&db, &ids, 1 + STEADY_TICKS, patience * 2).await?;
    let ticks = steady.elapsed().as_secs_f64() / interval.as_secs_f64();
    let cpu_per_tick = (cpu_seconds() - cpu0) / ticks.max(1.0);
    let (own_mb, ssh_mb) = rss_mb();
    stop.cancel();
    let _ = collector.await;
    fresh.remove().await;
    let name = backend.name();
    Ok(vec![
        Figure {
            scenario: "monitor",
            name: format!("{name}: first tick of {count} servers (host keys learned, {count} logins), all sampled"),
            value: first.as_secs_f64(),
            unit: "s",
            goal: "",
        },
        Figure {
            scenario: "monitor",
            name: format!("{name}: longest gap between two samples of one server, {STEADY_TICKS} steady ticks"),
            value: longest.as_secs_f64(),
            unit: "s",
            goal: "≈ the interval (every tick inside it)",
        },
        Figure {
            scenario: "monitor",
            name: format!("{name}: CPU per {interval_secs} s tick, the node and its ssh processes"),
            value: cpu_per_tick,
            unit: "s",
            goal: "",
        },
        Figure {
            scenario: "monitor",
            name: format!("{name}: node RSS after the ticks"),
            value: own_mb,
            unit: "MB",
            goal: "",
        },
        Figure {
            scenario: "monitor",
            name: format!("{name}: RSS of its {count} ssh connections (one process each)"),
            value: ssh_mb,
            unit: "MB",
            goal: "",
        },
    ])
}
