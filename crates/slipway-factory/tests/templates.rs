//! Every shipped template renders, with its defaults and with every choice of its variables, into files that are
//! what they claim to be: Python compiles, JSON, TOML and YAML parse, JavaScript passes `node --check`, every
//! relative import of the JS/JSX files names a file the template writes and every package import a dependency
//! of its package.json, the CLI runs, and the FastAPI app's and the CLI's own tests pass. A tool the checks need
//! that is missing fails the test under CI (`CI=true`) and skips that check elsewhere.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value as Json;
use slipway_factory::templates::{
    ALL, Kind, RenderedFile, StringRule, Template, Values, VarValue, render_files, sample,
};

/// Whether `probe` runs and succeeds; under CI a missing tool is a failure.
fn have(what: &str, probe: &[&str]) -> bool {
    let ok = Command::new(probe[0]).args(&probe[1..]).output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{what} is needed for the template checks under CI");
        eprintln!("skipping the checks that need {what}");
    }
    ok
}

fn python() -> bool {
    have("python3 with PyYAML", &["python3", "-c", "import tomllib, yaml"])
}

fn node() -> bool {
    have("node", &["node", "--version"])
}

fn fastapi() -> bool {
    have("fastapi, httpx, sqlalchemy and pytest", &["python3", "-c", "import fastapi, httpx, sqlalchemy, pytest"])
}

fn run(dir: &Path, cmd: &[&str]) -> Output {
    Command::new(cmd[0])
        .args(&cmd[1..])
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

fn assert_ok(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what}: {}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes the files under a fresh directory.
fn write_tree(files: &[RenderedFile]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in files {
        let path = dir.path().join(&f.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &f.content).unwrap();
    }
    dir
}

fn with_ext<'a>(files: &'a [RenderedFile], exts: &[&str]) -> Vec<&'a RenderedFile> {
    files.iter().filter(|f| exts.iter().any(|e| f.path.ends_with(e))).collect()
}

/// The module specifiers a JS/JSX file imports or re-exports (`import x from 'a'`, `import 'a'`,
/// `export { y } from 'a'`).
fn imports(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for keyword in ["from ", "import "] {
        let mut rest = source;
        while let Some(i) = rest.find(keyword) {
            rest = &rest[i + keyword.len()..];
            let Some(quote) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') else { continue };
            if let Some(end) = rest[1..].find(quote) {
                found.push(rest[1..=end].to_owned());
            }
        }
    }
    found
}

/// The dependencies of the package.json nearest above `file` in the tree.
fn dependencies(root: &Path, file: &Path) -> BTreeSet<String> {
    let mut dir = file.parent();
    while let Some(d) = dir.filter(|d| d.starts_with(root)) {
        if let Ok(text) = std::fs::read_to_string(d.join("package.json")) {
            let pkg: Json = serde_json::from_str(&text).unwrap();
            return ["dependencies", "devDependencies"]
                .iter()
                .filter_map(|k| pkg[k].as_object())
                .flat_map(|deps| deps.keys().cloned())
                .collect();
        }
        dir = d.parent();
    }
    panic!("{} has no package.json above it", file.display());
}

/// The package an import specifier names (`react-dom/client` → `react-dom`, `@scope/pkg/x` → `@scope/pkg`).
fn package_of(spec: &str) -> String {
    let parts: Vec<&str> = spec.split('/').collect();
    if spec.starts_with('@') {
        parts.iter().take(2).copied().collect::<Vec<_>>().join("/")
    } else {
        parts[0].to_owned()
    }
}

/// A relative import resolved as a bundler would (`./App` → `./App.jsx`).
fn resolves(from: &Path, spec: &str) -> Option<PathBuf> {
    let base = from.parent()?.join(spec);
    ["", ".js", ".jsx", "/index.js", "/index.jsx"]
        .iter()
        .map(|ext| PathBuf::from(format!("{}{ext}", base.display())))
        .find(|p| p.is_file())
}

/// Whether rendered files may hold Jinja delimiters (when a value holds them).
#[derive(Clone, Copy, PartialEq)]
enum Strays {
    /// No: one is a block the template left unrendered.
    Refused,
    /// Yes: the values hold them.
    MayHold,
}

/// Every check of the rendered `files` (written under `dir`).
fn check_tree(t: &Template, label: &str, files: &[RenderedFile], dir: &Path, strays: Strays) {
    let python = python();
    for f in files {
        assert!(!f.content.is_empty() && f.content.ends_with('\n'), "{label} {}: empty or no last newline", f.path);
        for stray in ["{{", "{%", "{#"] {
            assert!(strays == Strays::MayHold || !f.content.contains(stray), "{label} {}: unrendered {stray}", f.path);
        }
    }
    for f in with_ext(files, &[".json"]) {
        serde_json::from_str::<Json>(&f.content).unwrap_or_else(|e| panic!("{label} {}: {e}\n{}", f.path, f.content));
    }
    if python {
        let py: Vec<&str> = with_ext(files, &[".py"]).iter().map(|f| f.path.as_str()).collect();
        if !py.is_empty() {
            let mut cmd = vec![
                "python3",
                "-c",
                "import py_compile, sys\nfor f in sys.argv[1:]: py_compile.compile(f, doraise=True)",
            ];
            cmd.extend(&py);
            assert_ok(&format!("{label}: py_compile"), &run(dir, &cmd));
        }
        for f in with_ext(files, &[".toml"]) {
            let code = "import sys, tomllib\ntomllib.load(open(sys.argv[1], 'rb'))";
            assert_ok(&format!("{label} {}", f.path), &run(dir, &["python3", "-c", code, &f.path]));
        }
        for f in with_ext(files, &[".yml", ".yaml"]) {
            let code = "import sys, yaml\nyaml.safe_load(open(sys.argv[1]))";
            assert_ok(&format!("{label} {}", f.path), &run(dir, &["python3", "-c", code, &f.path]));
        }
    }
    if node() {
        let scratch = tempfile::tempdir().unwrap();
        for (i, f) in with_ext(files, &[".js"]).into_iter().enumerate() {
            // node reads .mjs as an ES module and .cjs as CommonJS, whatever package.json says.
            let ext = if f.content.contains("module.exports") { "cjs" } else { "mjs" };
            let copy = scratch.path().join(format!("{i}.{ext}"));
            std::fs::write(&copy, &f.content).unwrap();
            assert_ok(
                &format!("{label} {}: node --check", f.path),
                &run(dir, &["node", "--check", copy.to_str().unwrap()]),
            );
        }
    }
    for f in with_ext(files, &[".js", ".jsx"]) {
        let path = dir.join(&f.path);
        for spec in imports(&f.content) {
            if spec.starts_with('.') {
                assert!(resolves(&path, &spec).is_some(), "{label} {}: {spec} names no file of the template", f.path);
            } else {
                let deps = dependencies(dir, &path);
                assert!(
                    deps.contains(&package_of(&spec)),
                    "{label} {}: {spec} is not in package.json ({deps:?})",
                    f.path
                );
            }
        }
    }
    for f in with_ext(files, &["index.html"]) {
        let src = f.content.split("src=\"").nth(1).and_then(|s| s.split('"').next()).unwrap();
        let target = dir.join(&f.path).parent().unwrap().join(src.trim_start_matches('/'));
        assert!(target.is_file(), "{label} {}: the script {src} is missing", f.path);
    }
    assert!(files.iter().any(|f| f.path == t.readme), "{label}: no {}", t.readme);
}

/// The defaults, then each choice of each enum variable, then every boolean flipped.
fn variants(t: &Template) -> Vec<(String, Values)> {
    let base = sample(t.variables);
    let mut out = vec![("defaults".to_owned(), base.clone())];
    for v in t.variables {
        if let Kind::Enum { choices } = v.kind {
            for c in choices.iter().skip(1) {
                let mut values = base.clone();
                values.insert(v.name, VarValue::Str((*c).to_owned()));
                out.push((format!("{}={c}", v.name), values));
            }
        }
    }
    let mut flipped = base.clone();
    for v in t.variables.iter().filter(|v| v.kind == Kind::Boolean) {
        if let Some(VarValue::Bool(b)) = base.get(v.name) {
            flipped.insert(v.name, VarValue::Bool(!b));
        }
    }
    if flipped != base {
        out.push(("booleans flipped".to_owned(), flipped));
    }
    out
}

fn render(t: &Template, values: &Values) -> Vec<RenderedFile> {
    render_files(t, values, false).unwrap_or_else(|e| panic!("{}: {e}", t.name))
}

#[test]
fn every_template_renders_real_files_with_every_choice_of_its_variables() {
    for t in ALL {
        for (label, values) in variants(t) {
            let label = format!("{} ({label})", t.name);
            let files = render(t, &values);
            let dir = write_tree(&files);
            check_tree(t, &label, &files, dir.path(), Strays::Refused);
        }
    }
}

#[test]
fn the_fastapi_apps_have_tests_and_they_pass() {
    let backend = ALL.iter().find(|t| t.category == "backend").unwrap();
    let fullstack = ALL.iter().find(|t| t.category == "fullstack").unwrap();
    let mut runs = Vec::new();
    for (label, values) in variants(backend) {
        if label == "defaults" || label == "booleans flipped" {
            runs.push((format!("backend {label}"), render(backend, &values), ""));
        }
    }
    runs.push(("fullstack".to_owned(), render(fullstack, &sample(fullstack.variables)), "backend"));
    let fastapi = fastapi();
    for (label, files, sub) in runs {
        let prefix = if sub.is_empty() { String::new() } else { format!("{sub}/") };
        let tests: Vec<&str> = files
            .iter()
            .filter_map(|f| f.path.strip_prefix(&prefix))
            .filter(|p| p.starts_with("tests/test_") && p.ends_with(".py"))
            .collect();
        assert!(tests.len() >= 2, "{label}: the app's tests: {tests:?}");
        assert!(files.iter().any(|f| f.path == format!("{prefix}tests/conftest.py")), "{label}");
        let requirements = files.iter().find(|f| f.path == format!("{prefix}requirements.txt")).unwrap();
        for dep in ["fastapi", "uvicorn", "sqlalchemy", "pytest", "httpx"] {
            assert!(requirements.content.contains(dep), "{label}: {dep} in requirements.txt");
        }
        if fastapi {
            let dir = write_tree(&files);
            let out = run(&dir.path().join(sub), &["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider"]);
            assert_ok(&format!("{label}: pytest"), &out);
            let summary = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(summary.contains("passed") && !summary.contains("failed"), "{label}: {summary}");
        }
    }
}

#[test]
fn the_backend_asks_for_its_key_only_when_auth_is_enabled() {
    let t = ALL.iter().find(|t| t.category == "backend").unwrap();
    let mut values = sample(t.variables);
    let paths = |v: &Values| render(t, v).into_iter().map(|f| f.path).collect::<Vec<_>>();
    assert!(!paths(&values).contains(&"app/auth.py".to_owned()));
    values.insert("enable_auth", VarValue::Bool(true));
    let files = render(t, &values);
    assert!(files.iter().any(|f| f.path == "app/auth.py"));
    let items = files.iter().find(|f| f.path == "app/routers/items.py").unwrap();
    assert!(items.content.contains("Depends(require_api_key)"), "{}", items.content);
    values.insert("database", VarValue::Str("postgresql".into()));
    let requirements = render(t, &values).into_iter().find(|f| f.path == "requirements.txt").unwrap();
    assert!(requirements.content.contains("psycopg"), "{}", requirements.content);
}

#[test]
fn the_cli_runs_and_its_own_tests_pass() {
    let t = ALL.iter().find(|t| t.category == "cli").unwrap();
    let mut values = sample(t.variables);
    values.insert("package_name", VarValue::Str("wordy".into()));
    values.insert("project_name", VarValue::Str("wordy-cli".into()));
    let files = render(t, &values);
    for path in ["wordy/cli.py", "wordy/__main__.py", "tests/test_cli.py", "pyproject.toml"] {
        assert!(files.iter().any(|f| f.path == path), "{path}");
    }
    if !python() {
        return;
    }
    let dir = write_tree(&files);
    let help = run(dir.path(), &["python3", "-m", "wordy", "--help"]);
    assert_ok("--help", &help);
    let usage = String::from_utf8_lossy(&help.stdout).into_owned();
    assert!(usage.starts_with("usage: wordy-cli") && usage.contains("stats"), "{usage}");
    let stats = run(dir.path(), &["python3", "-m", "wordy", "stats", "--json", "README.md"]);
    assert_ok("stats", &stats);
    let report: Json = serde_json::from_slice(&stats.stdout).unwrap();
    assert!(report["total"]["words"].as_u64().unwrap() > 10, "{report}");
    assert_ok("unittest", &run(dir.path(), &["python3", "-m", "unittest", "discover", "-s", "tests", "-t", "."]));
    let missing = run(dir.path(), &["python3", "-m", "wordy", "stats", "no-such-file"]);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn hostile_text_values_stay_text_in_every_file() {
    const NASTY: &str = r#"He said "hi" \ it's </script> {{ 7*7 }} {% raw %} """ ''' ${x} `y` 中文 ✓"#;
    for t in ALL {
        let mut values = sample(t.variables);
        for v in t.variables {
            if let Kind::String { rule: StringRule::Text, max_len } = v.kind {
                values.insert(v.name, VarValue::Str(NASTY.chars().take(max_len).collect()));
            }
        }
        let files = render(t, &values);
        let dir = write_tree(&files);
        let label = format!("{} (hostile text)", t.name);
        let readme = files.iter().find(|f| f.path == t.readme).unwrap();
        assert!(
            readme.content.contains("{{ 7*7 }}") && !readme.content.contains("49"),
            "{label}: values are not templates"
        );
        check_tree(t, &label, &files, dir.path(), Strays::MayHold);
        if let Some(html) = files.iter().find(|f| f.path.ends_with("index.html")) {
            assert!(
                html.content.contains("&lt;") && !html.content.contains("</script> {{"),
                "escaped: {}",
                html.content
            );
        }
    }
}

#[test]
fn the_fullstack_compose_file_runs_the_database_it_is_configured_for() {
    let t = ALL.iter().find(|t| t.category == "fullstack").unwrap();
    if !python() {
        return;
    }
    for (database, services) in [
        ("sqlite", &["backend", "frontend"][..]),
        ("postgresql", &["backend", "db", "frontend"]),
        ("mysql", &["backend", "db", "frontend"]),
    ] {
        let mut values = sample(t.variables);
        values.insert("database", VarValue::Str(database.into()));
        values.insert("port", VarValue::Int(9100));
        let dir = write_tree(&render(t, &values));
        let code = "import json, sys, yaml\nc = yaml.safe_load(open(sys.argv[1]))\n\
                    print(json.dumps({'services': sorted(c['services']), 'backend': c['services']['backend']}))";
        let out = run(dir.path(), &["python3", "-c", code, "docker-compose.yml"]);
        assert_ok(database, &out);
        let compose: Json = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(compose["services"], serde_json::json!(services), "{database}");
        assert_eq!(compose["backend"]["ports"][0], "9100:9100", "{database}");
        let vite = std::fs::read_to_string(dir.path().join("frontend/vite.config.js")).unwrap();
        assert!(vite.contains("\"http://localhost:9100\""), "the front end's proxy follows the API's port: {vite}");
    }
}
