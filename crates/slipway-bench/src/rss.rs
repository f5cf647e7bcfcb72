//! Resident memory of the server process, from `VmRSS` in `/proc/<pid>/status` (Linux only; `None` elsewhere).

use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};

/// How often memory is sampled under load.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// The `VmRSS` value of a `/proc/<pid>/status` text, in KiB.
pub fn parse_vm_rss_kib(status: &str) -> Option<u64> {
    let rest = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    let mut words = rest.split_whitespace();
    let value = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") | None => Some(value),
        Some(_) => None,
    }
}

/// The process' resident memory now, in KiB; `None` when it cannot be read.
pub fn read_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_rss_kib(&status)
}

/// KiB to MiB, which reports call MB.
pub fn kib_to_mb(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The largest resident memory seen from `from` until `to`, sampling every 100 ms (at least once).
pub async fn max_between(pid: u32, from: Instant, to: Instant) -> Option<u64> {
    let mut ticks = tokio::time::interval_at(from, SAMPLE_EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut max: Option<u64> = None;
    let mut sampled = false;
    loop {
        ticks.tick().await;
        if sampled && Instant::now() >= to {
            return max;
        }
        sampled = true;
        if let Some(kib) = read_kib(pid) {
            max = Some(max.map_or(kib, |m| m.max(kib)));
        }
    }
}

/// Samples a process' resident memory every 10 ms until `stop` fires; answers the largest value seen, KiB.
pub fn sample_peak(pid: u32, stop: tokio_util::sync::CancellationToken) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut peak = 0;
        while !stop.is_cancelled() {
            peak = peak.max(read_kib(pid).unwrap_or(0));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        peak
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tslipway-bench\nVmPeak:\t  812344 kB\nVmRSS:\t   23456 kB\nRssAnon:\t   10000 kB\n";

    #[test]
    fn parses_vm_rss() {
        assert_eq!(parse_vm_rss_kib(STATUS), Some(23456));
        assert_eq!(parse_vm_rss_kib("VmRSS: 12"), Some(12));
        assert_eq!(parse_vm_rss_kib("Name:\tzombie\n"), None);
        assert_eq!(parse_vm_rss_kib("VmRSS:\tlots kB"), None);
        assert_eq!(parse_vm_rss_kib("VmRSS:\t5 MB"), None);
    }

    #[test]
    fn converts_to_mb() {
        assert_eq!(kib_to_mb(2048), 2.0);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_this_process() {
        assert!(read_kib(std::process::id()).is_some_and(|k| k > 0));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn samples_at_least_once() {
        let now = Instant::now();
        assert!(max_between(std::process::id(), now, now).await.is_some());
    }
}
