//! This host's CPU and memory use, sampled with `sysinfo`. CPU usage is a difference between two readings, so
//! the sampler keeps its last reading: each call measures the time since the previous one (at least
//! [`MIN_INTERVAL`], waiting that long on the first call).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use slipway_core::Error;
use sysinfo::System;

/// The shortest interval CPU usage is measured over.
pub const MIN_INTERVAL: Duration = sysinfo::MINIMUM_CPU_UPDATE_INTERVAL;

/// CPU and memory use of the host, percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostUsage {
    /// All CPUs, 0–100.
    pub cpu_percent: f64,
    /// Memory in use (total minus available), 0–100.
    pub memory_percent: f64,
}

struct Sample {
    system: System,
    taken: Option<Instant>,
    last: Option<HostUsage>,
}

/// Samples the host; cheap to clone.
#[derive(Clone)]
pub struct HostSampler(Arc<Mutex<Option<Sample>>>);

impl std::fmt::Debug for HostSampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostSampler").finish_non_exhaustive()
    }
}

impl Default for HostSampler {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(None)))
    }
}

impl HostSampler {
    /// The host's usage now (measured over the time since the previous call, or over [`MIN_INTERVAL`]).
    pub async fn usage(&self) -> Result<HostUsage, Error> {
        let inner = Arc::clone(&self.0);
        tokio::task::spawn_blocking(move || {
            let mut guard = inner.lock().unwrap_or_else(PoisonError::into_inner);
            if guard.is_none() {
                let system = System::new().map_err(|e| Error::Unavailable(format!("host metrics: {e}")))?;
                *guard = Some(Sample { system, taken: None, last: None });
            }
            let Some(s) = guard.as_mut() else { return Err(Error::Internal("host sampler vanished".into())) };
            match (s.taken, s.last) {
                (Some(t), Some(last)) if t.elapsed() < MIN_INTERVAL => return Ok(last),
                (None, _) => {
                    s.system.refresh_cpu_usage();
                    std::thread::sleep(MIN_INTERVAL);
                }
                _ => {}
            }
            s.system.refresh_cpu_usage();
            s.system.refresh_memory();
            let total = s.system.total_memory();
            let used = total.saturating_sub(s.system.available_memory());
            let usage = HostUsage {
                cpu_percent: f64::from(s.system.global_cpu_usage()).clamp(0.0, 100.0),
                memory_percent: if total == 0 { 0.0 } else { 100.0 * used as f64 / total as f64 },
            };
            s.taken = Some(Instant::now());
            s.last = Some(usage);
            Ok(usage)
        })
        .await
        .map_err(|e| Error::Internal(format!("host sampler: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn usage_is_measured_between_readings() {
        let sampler = HostSampler::default();
        let first = sampler.usage().await.unwrap();
        assert!((0.0..=100.0).contains(&first.cpu_percent), "{first:?}");
        assert!(first.memory_percent > 0.0 && first.memory_percent <= 100.0, "{first:?}");
        // Burn a core for a while: the next reading covers that interval.
        let burn = std::thread::spawn(|| {
            let until = Instant::now() + MIN_INTERVAL * 3;
            let mut x = 0u64;
            while Instant::now() < until {
                x = x.wrapping_mul(31).wrapping_add(7);
            }
            x
        });
        let _ = burn.join();
        let busy = sampler.usage().await.unwrap();
        assert!(busy.cpu_percent > 0.0, "{busy:?}");
    }
}
