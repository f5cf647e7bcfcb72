//! Counting requests: one latency histogram per connection, merged into percentiles at the end.

use std::time::Duration;

use hdrhistogram::Histogram;

/// Largest latency kept apart from the rest: one hour, in microseconds (longer ones count as this).
const MAX_LATENCY_US: u64 = 3_600_000_000;

/// What one connection (or, merged, a whole run) measured.
#[derive(Debug, Clone)]
pub struct Tally {
    /// Latencies of successful requests, in microseconds.
    pub latency_us: Histogram<u64>,
    /// Errors: non-2xx answers, failed connections and failed requests.
    pub errors: u64,
}

impl Tally {
    /// An empty tally.
    pub fn new() -> anyhow::Result<Self> {
        let latency_us = Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)?;
        Ok(Self { latency_us, errors: 0 })
    }

    /// Counts one successful request that took `latency`.
    pub fn success(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).max(1);
        self.latency_us.saturating_record(us);
    }

    /// Counts one error.
    pub fn error(&mut self) {
        self.errors += 1;
    }

    /// Number of successful requests.
    pub fn requests(&self) -> u64 {
        self.latency_us.len()
    }

    /// Adds another tally's counts to this one.
    pub fn merge(&mut self, other: &Self) -> anyhow::Result<()> {
        self.latency_us.add(&other.latency_us)?;
        self.errors += other.errors;
        Ok(())
    }

    /// The latency percentiles in milliseconds; all `None` when nothing succeeded.
    pub fn latency_ms(&self) -> LatencyMs {
        if self.latency_us.is_empty() {
            return LatencyMs::default();
        }
        let at = |q: f64| Some(us_to_ms(self.latency_us.value_at_quantile(q)));
        LatencyMs { p50: at(0.50), p90: at(0.90), p99: at(0.99), max: Some(us_to_ms(self.latency_us.max())) }
    }
}

/// Latency percentiles of one run, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct LatencyMs {
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Slowest request.
    pub max: Option<f64>,
}

fn us_to_ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// Successful requests per second over the recorded period.
pub fn rate(requests: u64, duration: Duration) -> f64 {
    let secs = duration.as_secs_f64();
    if secs > 0.0 { requests as f64 / secs } else { 0.0 }
}

/// This row's throughput relative to the baseline's at the same connection count, when there is one.
pub fn ratio(requests_per_sec: f64, baseline_per_sec: Option<f64>) -> Option<f64> {
    baseline_per_sec.filter(|b| *b > 0.0).map(|b| requests_per_sec / b)
}

/// `v` rounded to `places` decimals, for reports.
pub fn round(v: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (v * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_percentiles_cover_every_connection() {
        let mut a = Tally::new().unwrap();
        let mut b = Tally::new().unwrap();
        for ms in 1..=50 {
            a.success(Duration::from_millis(ms));
        }
        for ms in 51..=100 {
            b.success(Duration::from_millis(ms));
        }
        b.error();
        a.merge(&b).unwrap();
        assert_eq!(a.requests(), 100);
        assert_eq!(a.errors, 1);
        let l = a.latency_ms();
        let close = |got: Option<f64>, want: f64| (got.unwrap() - want).abs() < want * 0.002;
        assert!(close(l.p50, 50.0), "{l:?}");
        assert!(close(l.p90, 90.0), "{l:?}");
        assert!(close(l.p99, 99.0), "{l:?}");
        assert!(close(l.max, 100.0), "{l:?}");
    }

    #[test]
    fn empty_and_extreme_latencies() {
        let mut t = Tally::new().unwrap();
        assert_eq!(t.latency_ms(), LatencyMs::default());
        t.success(Duration::ZERO);
        t.success(Duration::from_secs(10 * 3600));
        assert_eq!(t.requests(), 2);
        assert_eq!(t.latency_ms().p50, Some(0.001));
        assert!(t.latency_ms().max.unwrap() >= 3_600_000.0 * 0.999);
    }

    #[test]
    fn rates_and_ratios() {
        assert_eq!(rate(500, Duration::from_millis(500)), 1000.0);
        assert_eq!(rate(5, Duration::ZERO), 0.0);
        assert_eq!(ratio(500.0, Some(1000.0)), Some(0.5));
        assert_eq!(ratio(500.0, Some(0.0)), None);
        assert_eq!(ratio(500.0, None), None);
        assert_eq!(round(1.23456, 2), 1.23);
        assert_eq!(round(2.0 / 3.0, 4), 0.6667);
    }
}
