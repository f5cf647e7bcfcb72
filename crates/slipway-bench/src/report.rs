//! The results: one row per (scenario, connections), rendered as a table or as JSON.

use serde::Serialize;

use crate::stats::{LatencyMs, ratio, round};

/// The scenario every other row is compared with.
pub const BASELINE: &str = "baseline";

/// One run's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Scenario name.
    pub scenario: String,
    /// Concurrent connections.
    pub connections: u32,
    /// Length of the recorded period.
    pub duration_secs: f64,
    /// Successful requests started during the recorded period.
    pub requests: u64,
    /// Successful requests per second.
    pub requests_per_sec: f64,
    /// Latency percentiles of successful requests.
    pub latency_ms: LatencyMs,
    /// Non-2xx answers and failed connections or requests.
    pub errors: u64,
    /// Server memory when idle, after start and before any load; `None` when the server is not our child.
    pub rss_before_mb: Option<f64>,
    /// Largest server memory seen during the recorded period.
    pub rss_under_load_mb: Option<f64>,
    /// Requests per second relative to the baseline at the same connection count.
    pub ratio_to_baseline: Option<f64>,
}

/// The `--json` document.
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    /// The command line that produced it.
    pub command: &'a str,
    /// One entry per run.
    pub results: &'a [Row],
}

/// Sets every row's ratio to the baseline row with the same connection count, when there is one.
pub fn fill_ratios(rows: &mut [Row]) {
    let baselines: Vec<(u32, f64)> =
        rows.iter().filter(|r| r.scenario == BASELINE).map(|r| (r.connections, r.requests_per_sec)).collect();
    for row in rows.iter_mut() {
        let baseline = baselines.iter().find(|(c, _)| *c == row.connections).map(|(_, rps)| *rps);
        row.ratio_to_baseline = ratio(row.requests_per_sec, baseline).map(|r| round(r, 4));
    }
}

/// The rows as an aligned text table with a header line.
pub fn table(rows: &[Row]) -> String {
    const HEADER: [&str; 11] = [
        "scenario",
        "connections",
        "requests/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "errors",
        "RSS before MB",
        "RSS under load MB",
        "vs baseline",
    ];
    let mut cells: Vec<Vec<String>> = vec![HEADER.iter().map(|h| (*h).to_owned()).collect()];
    for r in rows {
        let ms = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"));
        let mb = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}"));
        cells.push(vec![
            r.scenario.clone(),
            r.connections.to_string(),
            format!("{:.1}", r.requests_per_sec),
            ms(r.latency_ms.p50),
            ms(r.latency_ms.p90),
            ms(r.latency_ms.p99),
            ms(r.latency_ms.max),
            r.errors.to_string(),
            mb(r.rss_before_mb),
            mb(r.rss_under_load_mb),
            r.ratio_to_baseline.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}")),
        ]);
    }
    let widths: Vec<usize> =
        (0..HEADER.len()).map(|i| cells.iter().map(|row| row[i].len()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &cells {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if i == 0 {
                line.push_str(&format!("{cell:<width$}"));
            } else {
                line.push_str(&format!("  {cell:>width$}"));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The `--json` document, pretty-printed.
pub fn json(command: &str, rows: &[Row]) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&Document { command, results: rows })
}

/// The command line as one string, arguments with spaces or quotes single-quoted.
pub fn command_line(args: &[String]) -> String {
    let quote = |a: &String| {
        if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:,=@%+".contains(c)) {
            a.clone()
        } else {
            format!("'{}'", a.replace('\'', r"'\''"))
        }
    };
    args.iter().map(quote).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(scenario: &str, connections: u32, rps: f64) -> Row {
        Row {
            scenario: scenario.to_owned(),
            connections,
            duration_secs: 10.0,
            requests: (rps * 10.0) as u64,
            requests_per_sec: rps,
            latency_ms: LatencyMs { p50: Some(1.234), p90: Some(2.0), p99: Some(3.5), max: Some(12.0) },
            errors: 0,
            rss_before_mb: Some(20.5),
            rss_under_load_mb: Some(31.0),
            ratio_to_baseline: None,
        }
    }

    #[test]
    fn ratios_match_connection_counts() {
        let mut rows = vec![row("health", 32, 500.0), row("health", 256, 300.0), row(BASELINE, 32, 1000.0)];
        fill_ratios(&mut rows);
        assert_eq!(rows[0].ratio_to_baseline, Some(0.5));
        assert_eq!(rows[1].ratio_to_baseline, None);
        assert_eq!(rows[2].ratio_to_baseline, Some(1.0));
    }

    #[test]
    fn table_is_aligned() {
        let mut rows = vec![row("health", 32, 500.0), row(BASELINE, 32, 1000.0)];
        fill_ratios(&mut rows);
        rows[1].rss_before_mb = None;
        rows[1].rss_under_load_mb = None;
        rows[1].latency_ms = LatencyMs::default();
        let t = table(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("scenario  connections  requests/s  p50 ms"), "{t}");
        assert!(lines[0].ends_with("vs baseline"), "{t}");
        assert!(lines[1].starts_with("health    "), "{t}");
        assert!(lines[1].contains("  500.0  "), "{t}");
        assert!(lines[1].contains("  1.23  "), "{t}");
        assert!(lines[1].contains("  20.5  "), "{t}");
        assert!(lines[1].ends_with("0.50"), "{t}");
        assert!(lines[2].contains("  n/a  "), "{t}");
        assert!(lines[2].ends_with("1.00"), "{t}");
        assert_eq!(lines[1].len(), lines[0].len(), "{t}");
    }

    #[test]
    fn json_has_the_documented_shape() {
        let rows = vec![row("health", 4, 50.0)];
        let v: serde_json::Value = serde_json::from_str(&json("slipway-bench http", &rows).unwrap()).unwrap();
        assert_eq!(v["command"], "slipway-bench http");
        let r = &v["results"][0];
        assert_eq!(r["scenario"], "health");
        assert_eq!(r["connections"], 4);
        assert_eq!(r["duration_secs"], 10.0);
        assert_eq!(r["requests"], 500);
        assert_eq!(r["requests_per_sec"], 50.0);
        assert_eq!(r["latency_ms"]["p50"], 1.234);
        assert_eq!(r["errors"], 0);
        assert_eq!(r["rss_before_mb"], 20.5);
        assert_eq!(r["rss_under_load_mb"], 31.0);
        assert!(r["ratio_to_baseline"].is_null());
    }

    #[test]
    fn command_line_quotes_when_needed() {
        let args: Vec<String> = ["bench", "http", "--scenario", "health,baseline", "--url", "http://a b/", "it's"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(command_line(&args), r"bench http --scenario health,baseline --url 'http://a b/' 'it'\''s'");
    }
}
