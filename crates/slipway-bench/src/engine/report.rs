//! Engine results: one row per (scenario, backend), as a table or as JSON.

use serde::Serialize;

use crate::stats::LatencyMs;

/// One scenario's results on one backend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngineRow {
    /// Scenario name.
    pub scenario: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// SQLite only: `dedicated` or `shared` writer pool.
    pub sqlite_writer: Option<String>,
    /// What was counted: jobs, steps or deliveries.
    pub count: u64,
    /// What `count` counts.
    pub unit: String,
    /// Length of the measured period.
    pub duration_secs: f64,
    /// `count` per second (throughput, chain).
    pub per_sec: Option<f64>,
    /// The scenario's latency: enqueue → start (latency), one step (chain), emit → delivery (fanout).
    pub latency_ms: LatencyMs,
    /// Mean of the latency, in milliseconds.
    pub mean_ms: Option<f64>,
    /// `fanout`: resident memory added per subscriber, in KiB.
    pub kib_per_subscriber: Option<f64>,
    /// Peak resident memory of the process while the scenario ran, in MB.
    pub rss_mb: Option<f64>,
    /// The goal, in words.
    pub goal: String,
    /// Whether the figure met it.
    pub met: bool,
}

impl EngineRow {
    /// A row with the scenario's fields set and the rest empty (the runner fills backend and writer).
    pub fn new(scenario: &str, unit: &str, count: u64, duration_secs: f64, goal: &str) -> Self {
        Self {
            scenario: scenario.to_owned(),
            backend: String::new(),
            sqlite_writer: None,
            count,
            unit: unit.to_owned(),
            duration_secs,
            per_sec: None,
            latency_ms: LatencyMs::default(),
            mean_ms: None,
            kib_per_subscriber: None,
            rss_mb: None,
            goal: goal.to_owned(),
            met: false,
        }
    }
}

/// The `--json` document.
#[derive(Debug, Serialize)]
struct Document<'a> {
    command: &'a str,
    results: &'a [EngineRow],
}

/// The rows as an aligned text table.
pub fn table(rows: &[EngineRow]) -> String {
    const HEADER: [&str; 12] = [
        "scenario", "backend", "count", "per s", "p50 ms", "p99 ms", "max ms", "mean ms", "KiB/sub", "RSS MB", "goal",
        "met",
    ];
    let opt = |v: Option<f64>, places: usize| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.places$}"));
    let mut cells: Vec<Vec<String>> = vec![HEADER.iter().map(|h| (*h).to_owned()).collect()];
    for r in rows {
        let backend = match &r.sqlite_writer {
            Some(w) if w != "dedicated" => format!("{} ({w} writer)", r.backend),
            _ => r.backend.clone(),
        };
        cells.push(vec![
            r.scenario.clone(),
            backend,
            format!("{} {}", r.count, r.unit),
            opt(r.per_sec, 1),
            opt(r.latency_ms.p50, 3),
            opt(r.latency_ms.p99, 3),
            opt(r.latency_ms.max, 3),
            opt(r.mean_ms, 3),
            opt(r.kib_per_subscriber, 1),
            opt(r.rss_mb, 1),
            r.goal.clone(),
            if r.met { "yes" } else { "no" }.to_owned(),
        ]);
    }
    let widths: Vec<usize> =
        (0..HEADER.len()).map(|i| cells.iter().map(|row| row[i].len()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &cells {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| if !(2..10).contains(&i) { format!("{c:<w$}") } else { format!("{c:>w$}") })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The `--json` document, pretty-printed.
pub fn json(command: &str, rows: &[EngineRow]) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&Document { command, results: rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_json_shapes() {
        let mut row = EngineRow::new("latency", "jobs", 100, 1.5, "p50 < 5 ms, p99 < 20 ms");
        row.backend = "sqlite".into();
        row.sqlite_writer = Some("shared".into());
        row.latency_ms = LatencyMs { p50: Some(1.0), p90: Some(2.0), p99: Some(3.0), max: Some(4.0) };
        row.met = true;
        let t = table(&[row.clone()]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("scenario  backend"), "{t}");
        assert!(lines[1].contains("sqlite (shared writer)"), "{t}");
        assert!(lines[1].contains("100 jobs") && lines[1].ends_with("yes"), "{t}");
        let v: serde_json::Value = serde_json::from_str(&json("cmd", &[row]).unwrap()).unwrap();
        assert_eq!(v["results"][0]["latency_ms"]["p99"], 3.0);
        assert_eq!(v["results"][0]["met"], true);
    }
}
