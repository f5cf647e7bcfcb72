//! A command's round trip over one server's open ControlMaster connection (`true`, output and exit status
//! read), one at a time, then many at once.

use std::time::{Duration, Instant};

use slipway_ops::ssh::{Credential, ExecOptions, Outcome, SshPool, SshSettings, SshTarget};

use super::sshd::Sshd;
use crate::factory::Figure;

/// Commands in flight at once in the throughput figure.
const AT_ONCE: usize = 20;

async fn run_true(pool: &SshPool, target: &SshTarget) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let (_, end) = pool.exec(target, "true", ExecOptions::default()).await?.collect().await;
    let end = end?;
    anyhow::ensure!(end.outcome == Outcome::Exited(0), "`true` ended with {:?}", end.outcome);
    Ok(started.elapsed())
}

/// `samples` round trips one after the other (after 20 unrecorded), then `samples` commands 20 at a time.
pub async fn round_trips(samples: u32) -> anyhow::Result<Vec<Figure>> {
    let sshd = Sshd::start();
    let data = tempfile::tempdir()?;
    let pool = SshPool::new(data.path(), SshSettings::default());
    let target = SshTarget {
        server_id: 1,
        host: "127.0.0.1".into(),
        port: sshd.port,
        username: super::remote_user(),
        credential: Credential::PrivateKey(sshd.user_key()),
        jump_host: None,
        host_key: Some(sshd.host_key()),
    };
    pool.connect(&target).await?;
    for _ in 0..20 {
        run_true(&pool, &target).await?;
    }
    let mut times = Vec::with_capacity(samples as usize);
    for _ in 0..samples {
        times.push(run_true(&pool, &target).await?);
    }
    times.sort_unstable();
    let started = Instant::now();
    let mut left = samples as usize;
    while left > 0 {
        let batch = left.min(AT_ONCE);
        let runs = (0..batch).map(|_| run_true(&pool, &target));
        for r in futures_util::future::join_all(runs).await {
            r?;
        }
        left -= batch;
    }
    let per_second = f64::from(samples) / started.elapsed().as_secs_f64();
    Ok(vec![
        Figure {
            scenario: "ssh",
            name: format!("command round trip on an open connection, p50 ({samples} one at a time)"),
            value: super::percentile_ms(&times, 50.0),
            unit: "ms",
            goal: "< 5 ms",
        },
        Figure {
            scenario: "ssh",
            name: "same, p99".into(),
            value: super::percentile_ms(&times, 99.0),
            unit: "ms",
            goal: "",
        },
        Figure {
            scenario: "ssh",
            name: format!("commands per second, {AT_ONCE} at once on one connection (8 channels at a time)"),
            value: per_second,
            unit: "/s",
            goal: "",
        },
    ])
}
