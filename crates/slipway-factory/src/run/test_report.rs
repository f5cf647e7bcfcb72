//! What a test run's output says: pass and fail counts from the summary lines of cargo test, jest, vitest,
//! unittest, pytest and go test, and the coverage figure of coverage.py, istanbul (jest, vitest, nyc), go and
//! tarpaulin. Output is read as it is, colours and all; nothing is guessed where no summary line is found.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// The counts of one test run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TestCounts {
    /// Whose summary they were read from (`pytest`, `unittest`, `jest`, `vitest`, `go`, `cargo`).
    pub framework: &'static str,
    /// Tests that passed.
    pub passed: u64,
    /// Tests that failed.
    pub failed: u64,
    /// Tests skipped or ignored.
    pub skipped: u64,
    /// Tests that could not run (errors in collection or set-up).
    pub errors: u64,
    /// All of them.
    pub total: u64,
}

fn re(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

static ANSI: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"\x1b\[[0-9;?]*[A-Za-z]"));
static CARGO: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored"));
static JEST: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"(?m)^\s*Tests:\s+(.*\d+ total)\s*$"));
static VITEST: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"(?m)^\s*Tests\s+(.*\d+ (?:passed|failed|skipped).*)$"));
static UNITTEST_RAN: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"(?m)^Ran (\d+) tests? in "));
static UNITTEST_END: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"(?m)^(OK|FAILED)(?: \((.*)\))?\s*$"));
static PYTEST: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"(?m)^[=\s]*((?:\d+ (?:passed|failed|skipped|errors?|xfailed|xpassed|deselected|warnings?)(?:, )?)+) in [\d.]+s",
    )
});
static GO_CASE: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"(?m)^\s*--- (PASS|FAIL|SKIP): "));
static GO_PACKAGE: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"(?m)^(ok|FAIL)\s+\S+\s+(?:[\d.]+s|\(cached\))"));
static COUNT: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"(\d+) ([a-z]+)"));
static KEYED: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"([a-z ]+)=(\d+)"));

static COVERAGE_PY: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"(?m)^TOTAL\s.*?(\d{1,3}(?:\.\d+)?)%\s*$"));
static ISTANBUL: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"(?m)^\s*All files\s*\|\s*(\d{1,3}(?:\.\d+)?)\s*\|"));
static GO_COVER: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"coverage: (\d{1,3}(?:\.\d+)?)% of statements"));
static TARPAULIN: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"(\d{1,3}(?:\.\d+)?)% coverage, \d+/\d+ lines"));
static GENERIC_COVER: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"(?im)\bcoverage\b[^0-9%\n]{0,24}(\d{1,3}(?:\.\d+)?)\s*%"));

/// `output` without terminal colour codes.
fn plain(output: &str) -> String {
    match ANSI.as_ref() {
        Some(r) => r.replace_all(output, "").into_owned(),
        None => output.to_owned(),
    }
}

fn num(s: &str) -> u64 {
    s.parse().unwrap_or(0)
}

/// `n word` pairs of a summary (`3 passed, 1 failed`), by word.
fn pairs(text: &str) -> Vec<(String, u64)> {
    let Some(r) = COUNT.as_ref() else { return Vec::new() };
    r.captures_iter(text).map(|c| (c[2].to_owned(), num(&c[1]))).collect()
}

fn sum(pairs: &[(String, u64)], words: &[&str]) -> u64 {
    pairs.iter().filter(|(w, _)| words.contains(&w.as_str())).map(|(_, n)| n).sum()
}

/// The counts the output's summary lines report; `None` when no framework's summary is in it.
pub fn counts(output: &str) -> Option<TestCounts> {
    let text = plain(output);
    cargo(&text)
        .or_else(|| jest(&text))
        .or_else(|| vitest(&text))
        .or_else(|| unittest(&text))
        .or_else(|| pytest(&text))
        .or_else(|| go(&text))
}

fn finish(mut c: TestCounts) -> TestCounts {
    if c.total == 0 {
        c.total = c.passed + c.failed + c.skipped + c.errors;
    }
    c
}

fn cargo(text: &str) -> Option<TestCounts> {
    let lines: Vec<_> = CARGO.as_ref()?.captures_iter(text).collect();
    if lines.is_empty() {
        return None;
    }
    let mut c = TestCounts { framework: "cargo", ..TestCounts::default() };
    for l in lines {
        c.passed += num(&l[1]);
        c.failed += num(&l[2]);
        c.skipped += num(&l[3]);
    }
    Some(finish(c))
}

fn jest(text: &str) -> Option<TestCounts> {
    let line = JEST.as_ref()?.captures_iter(text).last()?;
    let p = pairs(&line[1]);
    Some(TestCounts {
        framework: "jest",
        passed: sum(&p, &["passed"]),
        failed: sum(&p, &["failed"]),
        skipped: sum(&p, &["skipped", "todo"]),
        errors: 0,
        total: sum(&p, &["total"]),
    })
}

fn vitest(text: &str) -> Option<TestCounts> {
    let line = VITEST.as_ref()?.captures_iter(text).last()?;
    let p = pairs(&line[1]);
    Some(finish(TestCounts {
        framework: "vitest",
        passed: sum(&p, &["passed"]),
        failed: sum(&p, &["failed"]),
        skipped: sum(&p, &["skipped", "todo"]),
        errors: 0,
        total: 0,
    }))
}

fn unittest(text: &str) -> Option<TestCounts> {
    let ran = UNITTEST_RAN.as_ref()?.captures_iter(text).last()?;
    let total = num(&ran[1]);
    let end = UNITTEST_END.as_ref()?.captures_iter(text).last();
    let keyed: Vec<(String, u64)> = match (end.as_ref().and_then(|e| e.get(2)), KEYED.as_ref()) {
        (Some(details), Some(r)) => {
            r.captures_iter(details.as_str()).map(|c| (c[1].trim().to_owned(), num(&c[2]))).collect()
        }
        _ => Vec::new(),
    };
    let failed = sum(&keyed, &["failures", "unexpected successes"]);
    let errors = sum(&keyed, &["errors"]);
    let skipped = sum(&keyed, &["skipped", "expected failures"]);
    Some(TestCounts {
        framework: "unittest",
        passed: total.saturating_sub(failed + errors + skipped),
        failed,
        skipped,
        errors,
        total,
    })
}

fn pytest(text: &str) -> Option<TestCounts> {
    let line = PYTEST.as_ref()?.captures_iter(text).last()?;
    let p = pairs(&line[1]);
    Some(finish(TestCounts {
        framework: "pytest",
        passed: sum(&p, &["passed", "xpassed"]),
        failed: sum(&p, &["failed"]),
        skipped: sum(&p, &["skipped", "xfailed", "deselected"]),
        errors: sum(&p, &["error", "errors"]),
        total: 0,
    }))
}

fn go(text: &str) -> Option<TestCounts> {
    let cases: Vec<String> = GO_CASE.as_ref()?.captures_iter(text).map(|c| c[1].to_owned()).collect();
    let mut c = TestCounts { framework: "go", ..TestCounts::default() };
    if cases.is_empty() {
        // Without -v only packages are reported: count them.
        let packages: Vec<String> = GO_PACKAGE.as_ref()?.captures_iter(text).map(|c| c[1].to_owned()).collect();
        if packages.is_empty() {
            return None;
        }
        c.passed = packages.iter().filter(|p| *p == "ok").count() as u64;
        c.failed = packages.iter().filter(|p| *p == "FAIL").count() as u64;
    } else {
        c.passed = cases.iter().filter(|p| *p == "PASS").count() as u64;
        c.failed = cases.iter().filter(|p| *p == "FAIL").count() as u64;
        c.skipped = cases.iter().filter(|p| *p == "SKIP").count() as u64;
    }
    Some(finish(c))
}

fn last_percent(r: &Option<Regex>, text: &str) -> Option<f64> {
    r.as_ref()?.captures_iter(text).filter_map(|c| c[1].parse::<f64>().ok()).filter(|p| *p <= 100.0).last()
}

/// The total coverage, percent, the output reports (go's per-package figures are averaged).
pub fn coverage(output: &str) -> Option<f64> {
    let text = plain(output);
    if let Some(p) = last_percent(&COVERAGE_PY, &text)
        .or_else(|| last_percent(&ISTANBUL, &text))
        .or_else(|| last_percent(&TARPAULIN, &text))
    {
        return Some(p);
    }
    let go: Vec<f64> = GO_COVER
        .as_ref()
        .map(|r| r.captures_iter(&text).filter_map(|c| c[1].parse().ok()).collect())
        .unwrap_or_default();
    if !go.is_empty() {
        return Some(go.iter().sum::<f64>() / go.len() as f64);
    }
    last_percent(&GENERIC_COVER, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(framework: &'static str, passed: u64, failed: u64, skipped: u64, errors: u64, total: u64) -> TestCounts {
        TestCounts { framework, passed, failed, skipped, errors, total }
    }

    #[test]
    fn pytest_and_unittest_summaries() {
        let pytest = "tests/test_a.py ..F.s\n=========== 1 failed, 3 passed, 1 skipped in 0.12s ===========\n";
        assert_eq!(counts(pytest), Some(c("pytest", 3, 1, 1, 0, 5)));
        assert_eq!(counts("4 passed, 1 error in 1.02s\n"), Some(c("pytest", 4, 0, 0, 1, 5)));
        let ok = "test_add (test_calc.CalcTest) ... ok\n\n----\nRan 3 tests in 0.001s\n\nOK\n";
        assert_eq!(counts(ok), Some(c("unittest", 3, 0, 0, 0, 3)));
        let failed = "Ran 6 tests in 0.010s\n\nFAILED (failures=2, errors=1, skipped=1)\n";
        assert_eq!(counts(failed), Some(c("unittest", 2, 2, 1, 1, 6)));
        assert_eq!(counts("Ran 2 tests in 0.000s\n\nOK (skipped=1)\n"), Some(c("unittest", 1, 0, 1, 0, 2)));
    }

    #[test]
    fn jest_vitest_go_and_cargo_summaries() {
        let jest = "Test Suites: 1 failed, 2 passed, 3 total\nTests:       1 failed, 1 skipped, 4 passed, 6 total\n";
        assert_eq!(counts(jest), Some(c("jest", 4, 1, 1, 0, 6)));
        let vitest = " \x1b[32m✓\x1b[39m src/a.test.ts (3)\n Test Files  1 passed (1)\n      Tests  \x1b[1m\x1b[32m3 passed\x1b[39m\x1b[22m | 1 failed (4)\n";
        assert_eq!(counts(vitest), Some(c("vitest", 3, 1, 0, 0, 4)));
        let go = "=== RUN   TestA\n--- PASS: TestA (0.00s)\n--- FAIL: TestB (0.00s)\n--- SKIP: TestC (0.00s)\nFAIL\nFAIL\texample.com/x\t0.01s\n";
        assert_eq!(counts(go), Some(c("go", 1, 1, 1, 0, 3)));
        assert_eq!(counts("ok  \texample.com/a\t0.01s\nok  \texample.com/b\t(cached)\n"), Some(c("go", 2, 0, 0, 0, 2)));
        let cargo = "test result: ok. 5 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\
                     test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out\n";
        assert_eq!(counts(cargo), Some(c("cargo", 7, 1, 1, 0, 9)));
        assert_eq!(counts("everything is fine\n"), None);
        assert_eq!(counts("python: can't open file 'x.py'\n"), None);
    }

    #[test]
    fn coverage_figures() {
        let py = "Name      Stmts   Miss  Cover\n----\ncalc.py      10      1    90%\nTOTAL        20      3    85%\n";
        assert_eq!(coverage(py), Some(85.0));
        let istanbul =
            "----------|---------|----------|\nFile      | % Stmts | % Branch |\nAll files |   87.5 |      75 |\n";
        assert_eq!(coverage(istanbul), Some(87.5));
        let go = "ok  \ta\t0.01s\tcoverage: 80.0% of statements\nok  \tb\t0.01s\tcoverage: 60.0% of statements\n";
        assert_eq!(coverage(go), Some(70.0));
        assert_eq!(coverage("|| 85.00% coverage, 170/200 lines covered\n"), Some(85.0));
        assert_eq!(coverage("Coverage: 91.5%\n"), Some(91.5));
        assert_eq!(coverage("3 passed in 0.1s\n"), None);
    }
}
