//! Quality gates: real checks on a job's workspace, each compared with a threshold and stored with its result,
//! score and reason. `security_scan` reads the files; `tests_pass`, `code_coverage` and `test_duration` run the
//! project's tests (only for users allowed to run commands); `llm_review` takes a reviewer agent's score.

use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;
use serde::Serialize;
use slipway_store::agents::NewGateCheck;
use tokio_util::sync::CancellationToken;

use crate::shell::{self, ShellOutcome};
use crate::workspace::Workspace;

/// How long a test run may take.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(600);

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateResult {
    /// The gate.
    pub gate: String,
    /// `passed`, `failed` or `skipped`.
    pub result: &'static str,
    /// What was measured.
    pub score: Option<f64>,
    /// What it was compared with.
    pub threshold: Option<f64>,
    /// Why, for people.
    pub reason: String,
}

impl GateResult {
    fn new(gate: &str, passed: bool, score: Option<f64>, threshold: Option<f64>, reason: String) -> Self {
        let result = if passed { "passed" } else { "failed" };
        Self { gate: gate.into(), result, score, threshold, reason }
    }

    fn skipped(gate: &str, threshold: Option<f64>, reason: impl Into<String>) -> Self {
        Self { gate: gate.into(), result: "skipped", score: None, threshold, reason: reason.into() }
    }

    /// Whether it failed (a skipped gate does not stop anything).
    pub fn failed(&self) -> bool {
        self.result == "failed"
    }

    /// The row to store for job `job_id`.
    pub fn record(&self, job_id: i64, user_id: Option<i64>) -> NewGateCheck {
        NewGateCheck {
            job_id,
            user_id,
            gate_name: self.gate.clone(),
            result: self.result.to_owned(),
            score: self.score,
            threshold: self.threshold,
            reason: self.reason.clone(),
            created_at: slipway_core::time::now(),
        }
    }
}

/// A gate to check.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "gate", rename_all = "snake_case")]
pub enum Gate {
    /// No committed secrets and no dangerous patterns in the workspace's files.
    SecurityScan,
    /// The project's tests pass.
    TestsPass,
    /// Line coverage reported by the test run is at least `min_percent`.
    CodeCoverage {
        /// The threshold, percent.
        min_percent: f64,
    },
    /// The test run takes at most `max_ms` milliseconds.
    TestDuration {
        /// The threshold, milliseconds.
        max_ms: f64,
    },
    /// A reviewer agent scores the work at least `min_score` out of 10.
    LlmReview {
        /// The threshold, 0–10.
        min_score: f64,
    },
}

impl Gate {
    /// The gate's stored name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SecurityScan => "security_scan",
            Self::TestsPass => "tests_pass",
            Self::CodeCoverage { .. } => "code_coverage",
            Self::TestDuration { .. } => "test_duration",
            Self::LlmReview { .. } => "llm_review",
        }
    }
}

/// One finding of the security scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The file.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// What was found.
    pub rule: &'static str,
}

static RULES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    let rules: [(&str, &str); 10] = [
        ("private key", r"-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"),
        ("AWS access key", r"\bAKIA[0-9A-Z]{16}\b"),
        ("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
        ("Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
        (
            "API key or password literal",
            r#"(?i)\b(?:api[_-]?key|secret|password|passwd|token)\b\s*[:=]\s*["'][^"'\s]{12,}["']"#,
        ),
        ("OpenAI-style key", r"\bsk-[A-Za-z0-9]{32,}\b"),
        ("pipe from the network into a shell", r"(?:curl|wget)[^|\n]*\|\s*(?:sudo\s+)?(?:ba|z)?sh\b"),
        ("recursive delete of the root", r"\brm\s+-[a-zA-Z]*r[a-zA-Z]*f?\s+/(?:\s|$)"),
        ("world-writable permissions", r"\bchmod\s+(?:-R\s+)?777\b"),
        ("shell=True subprocess", r"subprocess\.[a-z_]+\([^)]*shell\s*=\s*True"),
    ];
    rules.iter().filter_map(|(name, re)| Regex::new(re).ok().map(|r| (*name, r))).collect()
});

/// Scans the workspace's text files for secrets and dangerous patterns (matched on the blocking pool: up to
/// 500 files of 256 KiB through ten expressions is too long for the async runtime).
pub async fn scan(workspace: &Workspace) -> Result<Vec<Finding>, String> {
    let mut texts = Vec::new();
    for f in workspace.list("").await? {
        if let Ok(text) = workspace.read(&f.path).await {
            texts.push((f.path, text));
        }
    }
    tokio::task::spawn_blocking(move || {
        let mut findings = Vec::new();
        for (path, text) in &texts {
            for (i, line) in text.lines().enumerate() {
                for (rule, re) in RULES.iter() {
                    if re.is_match(line) {
                        findings.push(Finding { path: path.clone(), line: i + 1, rule });
                    }
                }
            }
        }
        findings
    })
    .await
    .map_err(|e| format!("the scan failed: {e}"))
}

/// The command that runs a project's tests, recognised by its files; `None` when there is no known project.
pub async fn test_command(workspace: &Workspace) -> Option<&'static str> {
    let has = |p: &str| workspace.root().join(p).exists();
    if has("Cargo.toml") {
        Some("cargo test 2>&1")
    } else if has("package.json") {
        Some("npm test 2>&1")
    } else if has("pytest.ini") || has("pyproject.toml") || has("setup.py") || has("tests") || has("test") {
        Some("python3 -m pytest -q --cov=. --cov-report=term 2>&1 || python3 -m pytest -q 2>&1")
    } else if has("Makefile") {
        Some("make test 2>&1")
    } else {
        None
    }
}

static COVERAGE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?im)^(?:TOTAL\b.*?|.*\bcoverage\b[^0-9\n]*?)(\d{1,3}(?:\.\d+)?)\s*%").ok());

/// Line coverage a test run reported (pytest-cov's `TOTAL … 87%`, `Coverage: 87.5%`, …).
pub fn coverage_of(output: &str) -> Option<f64> {
    let re = COVERAGE.as_ref()?;
    re.captures_iter(output).filter_map(|c| c.get(1)?.as_str().parse::<f64>().ok()).filter(|p| *p <= 100.0).last()
}

/// Checks gates that need no agent: the security scan and the test gates (one test run shared by all of them).
pub async fn check(
    gates: &[Gate],
    workspace: &Workspace,
    may_run_commands: bool,
    cancel: &CancellationToken,
) -> Vec<GateResult> {
    let mut results = Vec::new();
    let mut run: Option<Result<ShellOutcome, String>> = None;
    for gate in gates {
        let name = gate.name();
        let result = match gate {
            Gate::SecurityScan => match scan(workspace).await {
                Ok(found) if found.is_empty() => {
                    GateResult::new(name, true, Some(0.0), Some(0.0), "no secrets or dangerous patterns found".into())
                }
                Ok(found) => {
                    let list: Vec<String> =
                        found.iter().take(10).map(|f| format!("{}:{} {}", f.path, f.line, f.rule)).collect();
                    GateResult::new(
                        name,
                        false,
                        Some(found.len() as f64),
                        Some(0.0),
                        format!("{} finding(s): {}", found.len(), list.join(", ")),
                    )
                }
                Err(e) => GateResult::new(name, false, None, Some(0.0), format!("cannot scan the workspace: {e}")),
            },
            Gate::LlmReview { .. } => continue,
            Gate::TestsPass | Gate::CodeCoverage { .. } | Gate::TestDuration { .. } => {
                let threshold = match gate {
                    Gate::CodeCoverage { min_percent } => Some(*min_percent),
                    Gate::TestDuration { max_ms } => Some(*max_ms),
                    _ => None,
                };
                if !may_run_commands {
                    GateResult::skipped(
                        name,
                        threshold,
                        "running tests needs the right to run commands (administrators)",
                    )
                } else if let Some(command) = test_command(workspace).await {
                    if run.is_none() {
                        run = Some(shell::run(command, workspace.root(), TEST_TIMEOUT, cancel).await);
                    }
                    match &run {
                        Some(Ok(o)) => judge(gate, o, threshold),
                        Some(Err(e)) => {
                            GateResult::new(name, false, None, threshold, format!("cannot run the tests: {e}"))
                        }
                        None => continue,
                    }
                } else {
                    GateResult::skipped(
                        name,
                        threshold,
                        "no test suite found (no Cargo.toml, package.json, pytest or Makefile)",
                    )
                }
            }
        };
        results.push(result);
    }
    results
}

fn judge(gate: &Gate, o: &ShellOutcome, threshold: Option<f64>) -> GateResult {
    let name = gate.name();
    match gate {
        Gate::TestsPass if o.timed_out => GateResult::new(name, false, None, None, "the tests timed out".into()),
        Gate::TestsPass => {
            let code = o.exit_code.map_or("none".into(), |c| c.to_string());
            GateResult::new(name, o.success(), None, None, format!("the tests exited with code {code}"))
        }
        Gate::CodeCoverage { min_percent } => match coverage_of(&o.output) {
            Some(p) => {
                let reason = if p >= *min_percent {
                    format!("coverage {p}% meets threshold {min_percent}%")
                } else {
                    format!("Coverage {p}% below threshold {min_percent}%")
                };
                GateResult::new(name, p >= *min_percent, Some(p), threshold, reason)
            }
            None => GateResult::skipped(name, threshold, "the test run reported no coverage"),
        },
        Gate::TestDuration { max_ms } => {
            let ms = o.duration.as_secs_f64() * 1000.0;
            GateResult::new(
                name,
                o.success() && ms <= *max_ms,
                Some(ms.round()),
                threshold,
                format!("the tests took {ms:.0} ms (limit {max_ms} ms)"),
            )
        }
        _ => GateResult::skipped(name, threshold, "not a test gate"),
    }
}

/// The verdict of an LLM review.
pub fn review(score: f64, min_score: f64, summary: &str) -> GateResult {
    let passed = score >= min_score;
    let reason = format!("review score {score}/10 (threshold {min_score}): {summary}");
    GateResult::new("llm_review", passed, Some(score), Some(min_score), reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_scan_finds_secrets_and_dangerous_patterns() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path()).unwrap();
        ws.write("clean.py", "def add(a, b):\n    return a + b\n").await.unwrap();
        assert!(scan(&ws).await.unwrap().is_empty());
        ws.write("config.py", "AWS = 'AKIAABCDEFGHIJKLMNOP'\napi_key = \"abcdefghijklmnop1234\"\n").await.unwrap();
        ws.write("install.sh", "curl https://x.example/i.sh | sh\nchmod 777 /srv\n").await.unwrap();
        let found = scan(&ws).await.unwrap();
        let rules: Vec<_> = found.iter().map(|f| (f.path.as_str(), f.line, f.rule)).collect();
        assert!(rules.contains(&("config.py", 1, "AWS access key")), "{rules:?}");
        assert!(rules.contains(&("config.py", 2, "API key or password literal")), "{rules:?}");
        assert!(rules.contains(&("install.sh", 1, "pipe from the network into a shell")), "{rules:?}");
        assert!(rules.contains(&("install.sh", 2, "world-writable permissions")), "{rules:?}");
        let never = CancellationToken::new();
        let r = check(&[Gate::SecurityScan], &ws, false, &never).await;
        assert!(r[0].failed() && r[0].score == Some(4.0), "{r:?}");
    }

    #[test]
    fn coverage_is_read_from_test_output() {
        assert_eq!(coverage_of("Name  Stmts  Miss  Cover\nTOTAL   120   15   87%\n"), Some(87.0));
        assert_eq!(coverage_of("All files | Coverage: 91.5 %"), Some(91.5));
        assert_eq!(coverage_of("3 passed in 0.02s"), None);
    }

    #[tokio::test]
    async fn test_gates_run_the_suite_once_and_need_the_right() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path()).unwrap();
        let never = CancellationToken::new();
        let gates =
            [Gate::TestsPass, Gate::CodeCoverage { min_percent: 90.0 }, Gate::TestDuration { max_ms: 60_000.0 }];
        let none = check(&gates, &ws, true, &never).await;
        assert!(none.iter().all(|g| g.result == "skipped"), "{none:?}");
        ws.write("Makefile", "test:\n\t@echo run >> runs.log; echo 'TOTAL 10 2 80%'\n").await.unwrap();
        let denied = check(&gates, &ws, false, &never).await;
        assert!(denied.iter().all(|g| g.result == "skipped" && g.reason.contains("right")), "{denied:?}");
        let r = check(&gates, &ws, true, &never).await;
        assert_eq!(r[0].result, "passed", "{r:?}");
        assert_eq!((r[1].result, r[1].score), ("failed", Some(80.0)));
        assert_eq!(r[1].reason, "Coverage 80% below threshold 90%");
        assert_eq!(r[2].result, "passed");
        assert_eq!(std::fs::read_to_string(dir.path().join("runs.log")).unwrap().lines().count(), 1);
    }
}
