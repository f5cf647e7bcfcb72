//! Figures of this node's HTTP server since it started: requests answered, server errors (5xx), and the time
//! to the response head. Kept in atomics, recorded by the trace layer, read by `/api/metrics`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    server_errors: AtomicU64,
    total_micros: AtomicU64,
}

/// The node's HTTP figures; cheap to clone, shared by every request.
#[derive(Debug, Clone, Default)]
pub struct HttpStats(Arc<Counters>);

/// A reading of [`HttpStats`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HttpFigures {
    /// Requests answered.
    pub requests: u64,
    /// Mean time to the response head, milliseconds (0 before the first request).
    pub avg_response_ms: f64,
    /// Share of answers that were server errors, 0–1.
    pub error_rate: f64,
}

impl HttpStats {
    /// Counts one answered request.
    pub fn record(&self, status: u16, latency: Duration) {
        self.0.requests.fetch_add(1, Ordering::Relaxed);
        if status >= 500 {
            self.0.server_errors.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.0.total_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The figures now.
    pub fn read(&self) -> HttpFigures {
        let requests = self.0.requests.load(Ordering::Relaxed);
        if requests == 0 {
            return HttpFigures { requests, avg_response_ms: 0.0, error_rate: 0.0 };
        }
        let n = requests as f64;
        HttpFigures {
            requests,
            avg_response_ms: self.0.total_micros.load(Ordering::Relaxed) as f64 / n / 1000.0,
            error_rate: self.0.server_errors.load(Ordering::Relaxed) as f64 / n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_and_error_rates() {
        let s = HttpStats::default();
        assert_eq!(s.read().avg_response_ms, 0.0);
        s.record(200, Duration::from_millis(10));
        s.record(503, Duration::from_millis(30));
        s.record(404, Duration::from_millis(20));
        let f = s.read();
        assert_eq!(f.requests, 3);
        assert!((f.avg_response_ms - 20.0).abs() < 1e-9);
        assert!((f.error_rate - 1.0 / 3.0).abs() < 1e-9);
    }
}
