//! The sandbox for real (bubblewrap on this machine): secrets in the data dir stay unreadable, nothing outside
//! the workspace is writable, `/tmp` is private, the network is off unless asked, and the CPU, memory and
//! process limits hold. Without bwrap these tests are skipped with a message, except under CI (`CI=true`),
//! where they fail.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use slipway_sandbox::{Availability, Identity, Limits, Sandbox, SandboxOptions, Spec};

/// A fake data dir with the secrets Slipway keeps there and one job's workspace inside it.
struct DataDir {
    _dir: tempfile::TempDir,
    root: PathBuf,
    workspace: PathBuf,
}

fn data_dir() -> DataDir {
    // Not under /tmp: the sandbox's /tmp is private anyway, and the data dir must be hidden on its own merits. Not
    // under the target dir either: that may lie in a home directory the job's own uid cannot traverse.
    let dir = tempfile::tempdir_in("/var/tmp").unwrap();
    let root = dir.path().join("data");
    let workspace = root.join("workspaces").join("42");
    std::fs::create_dir_all(&workspace).unwrap();
    std::fs::write(root.join("jwt-secret"), "the-jwt-secret").unwrap();
    std::fs::write(root.join("secret-key"), "the-sealing-key").unwrap();
    std::fs::write(root.join("slipway.db"), "SQLite format 3").unwrap();
    DataDir { _dir: dir, root, workspace }
}

/// The sandbox hiding `data`, or `None` (skipped) when this machine has none; panics under CI.
fn sandbox(data: &DataDir) -> Option<Sandbox> {
    match Availability::detect(SandboxOptions::hiding([data.root.clone()])) {
        Availability::Available(s) => Some(s),
        Availability::Unavailable(reason) => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("CI=true but the sandbox is unavailable: {reason} (install bubblewrap)");
            }
            eprintln!("SKIPPED: the sandbox is unavailable here: {reason}");
            None
        }
    }
}

struct Ran {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

async fn run(sandbox: &Sandbox, spec: &Spec) -> Ran {
    use std::os::unix::process::ExitStatusExt;
    let started = Instant::now();
    let out = sandbox.command(spec).unwrap().output().await.unwrap();
    Ran {
        code: out.status.code(),
        signal: out.status.signal(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: started.elapsed(),
    }
}

fn spec(data: &DataDir, command: &str, identity: Identity) -> Spec {
    let mut spec = Spec::new(&data.workspace, command, 42);
    spec.identity = identity;
    spec
}

const BOTH: [Identity; 2] = [Identity::Node, Identity::Unprivileged { slot: 42 }];

#[tokio::test]
async fn a_plain_command_runs_with_output_exit_code_and_its_environment() {
    let data = data_dir();
    let Some(sb) = sandbox(&data) else { return };
    for identity in BOTH {
        let mut s = spec(&data, "echo \"hi $GREETING\"; pwd; echo oops >&2; echo kept > note.txt; exit 3", identity);
        s.env.insert("GREETING".into(), "there".into());
        let ran = run(&sb, &s).await;
        assert_eq!(ran.code, Some(3), "{}", ran.stderr);
        assert_eq!(ran.stdout, format!("hi there\n{}\n", data.workspace.canonicalize().unwrap().display()));
        assert_eq!(ran.stderr, "oops\n");
        assert_eq!(
            std::fs::read_to_string(data.workspace.join("note.txt")).unwrap(),
            "kept\n",
            "the workspace is shared"
        );
    }
    let env = run(&sb, &spec(&data, "env | sort | cut -d= -f1 | tr '\\n' ' '", Identity::Node)).await;
    assert_eq!(env.stdout.trim(), "HOME LANG PATH PWD TMPDIR", "the node's environment stays out");
}

#[tokio::test]
async fn the_data_dir_secrets_are_unreadable() {
    let data = data_dir();
    let Some(sb) = sandbox(&data) else { return };
    let root = data.root.display();
    for identity in BOTH {
        for file in ["jwt-secret", "secret-key", "slipway.db"] {
            let ran = run(&sb, &spec(&data, &format!("cat {root}/{file}"), identity)).await;
            assert_ne!(ran.code, Some(0), "{file} was read: {}", ran.stdout);
            assert!(!ran.stdout.contains("the-") && !ran.stdout.contains("SQLite"), "{}", ran.stdout);
        }
        let listing = run(&sb, &spec(&data, &format!("ls -A {root}; ls -A {root}/workspaces"), identity)).await;
        assert_eq!(listing.stdout, "workspaces\n42\n", "only the job's own workspace shows: {}", listing.stderr);
        let found =
            run(&sb, &spec(&data, &format!("grep -rl the-jwt-secret {root} /proc/1/root{root}"), identity)).await;
        assert_eq!(found.stdout, "", "the secret is nowhere in the sandbox's view");
    }
}

#[tokio::test]
async fn nothing_outside_the_workspace_is_writable() {
    let data = data_dir();
    let Some(sb) = sandbox(&data) else { return };
    let root = data.root.display();
    for identity in BOTH {
        for target in
            ["/etc/slipway-pwned", &format!("{root}/jwt-secret"), &format!("{root}/pwned"), "/root/pwned", "/usr/pwned"]
        {
            let ran = run(&sb, &spec(&data, &format!("echo x > {target}"), identity)).await;
            assert_ne!(ran.code, Some(0), "{target} was writable as {identity:?}");
        }
    }
    assert!(!Path::new("/etc/slipway-pwned").exists() && !Path::new("/root/pwned").exists());
    assert_eq!(std::fs::read_to_string(data.root.join("jwt-secret")).unwrap(), "the-jwt-secret");
    assert!(!data.root.join("pwned").exists());
}

#[tokio::test]
async fn tmp_is_private() {
    let data = data_dir();
    let Some(sb) = sandbox(&data) else { return };
    let outside = tempfile::NamedTempFile::new().unwrap();
    let name = outside.path().display().to_string();
    let ran = run(
        &sb,
        &spec(
            &data,
            &format!("test -e {name} && echo seen; echo inside > /tmp/from-sandbox-42; cat /tmp/from-sandbox-42"),
            Identity::Unprivileged { slot: 42 },
        ),
    )
    .await;
    assert_eq!(ran.stdout, "inside\n", "{}", ran.stderr);
    assert!(!Path::new("/tmp/from-sandbox-42").exists(), "the sandbox's /tmp is its own");
}

#[tokio::test]
async fn the_network_is_off_unless_asked() {
    let data = data_dir();
    let Some(sb) = sandbox(&data) else { return };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connect = format!(
        "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}), timeout=3); print(\"connected\")'"
    );
    let mut s = spec(&data, &connect, Identity::Unprivileged { slot: 42 });
    let off = run(&sb, &s).await;
    assert_ne!(off.code, Some(0), "connected without network: {}", off.stdout);
    assert!(off.stderr.contains("Error"), "{}", off.stderr);
    s.network = true;
    let on = run(&sb, &s).await;
    assert_eq!(on.stdout, "connected\n", "with network asked for: {}", on.stderr);
}

#[tokio::test]
async fn a_busy_loop_dies_at_its_cpu_limit() {
    let data = data_dir();
    let Some(sb) = sandbox(&data) else { return };
    let mut s = spec(&data, "while :; do :; done", Identity::Unprivileged { slot: 42 });
    s.limits = Limits { cpu_secs: Some(1), ..Limits::NONE };
    let ran = tokio::time::timeout(Duration::from_secs(30), run(&sb, &s)).await.expect("the CPU limit stops it");
    assert!(ran.code != Some(0), "{:?} {:?}", ran.code, ran.signal);
    assert!(ran.took < Duration::from_secs(20));
}

#[tokio::test]
async fn memory_past_the_limit_cannot_be_had() {
    let data = data_dir();
    let Some(sb) = sandbox(&data) else { return };
    let grab = "python3 -c 'x = bytearray(512 * 1024 * 1024); print(\"got it\")'";
    let mut s = spec(&data, grab, Identity::Unprivileged { slot: 42 });
    s.limits = Limits { memory_bytes: Some(256 << 20), ..Limits::NONE };
    let limited = run(&sb, &s).await;
    assert_ne!(limited.code, Some(0));
    assert!(limited.stderr.contains("MemoryError"), "{}", limited.stderr);
    s.limits = Limits::NONE;
    assert_eq!(run(&sb, &s).await.stdout, "got it\n", "without the limit the same allocation works");
}

#[tokio::test]
async fn a_fork_bomb_is_bounded_by_the_process_limit() {
    let data = data_dir();
    let Some(sb) = sandbox(&data) else { return };
    if !sb.switches_users() {
        eprintln!("SKIPPED: the process limit needs Slipway to run as root here");
        return;
    }
    // The inner shell forks until it cannot; the outer one counts with a glob (no fork needed).
    let bomb = "sh -c 'for i in $(seq 1 300); do sleep 20 & done' 2>/dev/null; set -- /proc/[0-9]*; echo $#";
    let mut s = spec(&data, bomb, Identity::Unprivileged { slot: 42 });
    s.limits = Limits { processes: Some(20), ..Limits::NONE };
    let ran = tokio::time::timeout(Duration::from_secs(30), run(&sb, &s)).await.expect("bounded");
    let count: usize = ran.stdout.trim().parse().unwrap_or_else(|_| panic!("{} / {}", ran.stdout, ran.stderr));
    assert!(count <= 22, "{count} processes ran under a limit of 20");
    s.limits = Limits::NONE;
    let free = run(&sb, &s).await;
    assert!(free.stdout.trim().parse::<usize>().unwrap() > 100, "without the limit they all start: {}", free.stdout);
}
