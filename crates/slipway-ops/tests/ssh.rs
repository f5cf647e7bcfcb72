//! The SSH layer against a real sshd on loopback: key and password authentication, a wrong key, host keys
//! pinned and a changed one refused, output and exit status, a dropped connection, 20 concurrent commands
//! under the per-server cap, cancel and timeout killing the remote processes, a local file as a command's input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::sshd::{self, Sshd};
use slipway_ops::ssh::{
    Credential, ExecOptions, MAX_CHANNELS, Outcome, OutputLine, SshPool, SshSettings, SshTarget, Step, Stream,
    probe_host_key,
};

fn settings() -> SshSettings {
    SshSettings { kill_grace: Duration::from_secs(1), backoff: Duration::from_millis(50), ..SshSettings::default() }
}

fn target(sshd: &Sshd, id: i64) -> SshTarget {
    SshTarget {
        server_id: id,
        host: "127.0.0.1".into(),
        port: sshd.port,
        username: sshd::current_user(),
        credential: Credential::PrivateKey(sshd.user_key()),
        jump_host: None,
        host_key: Some(sshd.host_key()),
    }
}

fn text(lines: &[OutputLine], stream: Stream) -> Vec<&str> {
    lines.iter().filter(|l| l.stream == stream).map(|l| l.text.as_str()).collect()
}

async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn key_auth_streams_output_and_reads_exit_status() {
    let sshd = Sshd::start();
    let data = tempfile::tempdir().unwrap();
    let pool = SshPool::new(data.path(), settings());
    let t = target(&sshd, 1);
    let (lines, end) = pool
        .exec(&t, "echo out; echo err >&2; echo 'two words'; exit 3", ExecOptions::default())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(end.unwrap().outcome, Outcome::Exited(3));
    assert_eq!(text(&lines, Stream::Stdout), ["out", "two words"]);
    assert_eq!(text(&lines, Stream::Stderr), ["err"]);
    // A remote command's own 255 is not a connection failure.
    let end = pool.exec(&t, "exit 255", ExecOptions::default()).await.unwrap().finish().await;
    assert_eq!(end.unwrap().outcome, Outcome::Exited(255));
    // Output without a final newline, and the status arriving after both outputs closed (EOF before exit).
    let (lines, end) = pool
        .exec(&t, "printf x; printf y >&2; exec >&- 2>&-; sleep 0.3; exit 4", ExecOptions::default())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(end.unwrap().outcome, Outcome::Exited(4));
    assert_eq!((text(&lines, Stream::Stdout), text(&lines, Stream::Stderr)), (vec!["x"], vec!["y"]));
    // Every command went over the one master; the key file exists only while a master authenticates.
    let pid = pool.master_pid(1).await.expect("a master runs");
    pool.exec(&t, "true", ExecOptions::default()).await.unwrap().finish().await.unwrap();
    assert_eq!(pool.master_pid(1).await, Some(pid));
    assert!(!data.path().join("ssh/1/key").exists(), "no private key at rest on disk");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(data.path().join("ssh/1")).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o700);
}

#[tokio::test]
async fn host_keys_are_learned_without_credentials_and_a_changed_key_is_refused() {
    let mut sshd = Sshd::start();
    let data = tempfile::tempdir().unwrap();
    let pool = SshPool::new(data.path(), settings());
    let mut t = target(&sshd, 2);
    t.host_key = None;
    let refused = pool.connect(&t).await.unwrap_err();
    assert_eq!(refused.step, Step::HostKey, "{refused}");
    let learned = probe_host_key(pool.root(), &t, pool.settings()).await.unwrap();
    assert_eq!(learned.key, sshd.host_key());
    let keygen = std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg("/dev/stdin")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut child = keygen;
        child.stdin.take().unwrap().write_all(learned.key.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(&learned.fingerprint),
            "the fingerprint ssh-keygen prints"
        );
    }
    t.host_key = Some(learned.key.clone());
    pool.connect(&t).await.unwrap();

    sshd.restart_with_new_host_key();
    // The old connection died with sshd (a command may still catch it dying); the new one is refused.
    let err = match pool.exec(&t, "true", ExecOptions::default()).await {
        Err(e) => e,
        Ok(run) => {
            assert!(run.finish().await.is_err(), "the old connection died with sshd");
            pool.exec(&t, "true", ExecOptions::default()).await.unwrap_err()
        }
    };
    assert_eq!(err.step, Step::HostKey, "{err}");
    assert!(err.message.contains("host key changed") && err.message.contains("SHA256:"), "{err}");
    let offered = probe_host_key(pool.root(), &t, pool.settings()).await.unwrap();
    assert_ne!(offered.fingerprint, learned.fingerprint);
    t.host_key = Some(offered.key);
    let end = pool.exec(&t, "echo ok", ExecOptions::default()).await.unwrap().finish().await.unwrap();
    assert_eq!(end.outcome, Outcome::Exited(0));
}

#[tokio::test]
async fn a_wrong_key_and_an_unreachable_port_name_their_step() {
    let sshd = Sshd::start();
    let data = tempfile::tempdir().unwrap();
    let pool = SshPool::new(data.path(), settings());
    let mut t = target(&sshd, 3);
    t.credential = Credential::PrivateKey(sshd.other_key());
    let err = pool.connect(&t).await.unwrap_err();
    assert_eq!(err.step, Step::Auth, "{err}");
    assert!(err.message.contains("Permission denied"), "{err}");
    assert!(!format!("{err}").contains("PRIVATE KEY"));
    let mut closed = target(&sshd, 4);
    closed.port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = probe_host_key(pool.root(), &closed, pool.settings()).await.unwrap_err();
    assert_eq!(err.step, Step::Tcp, "{err}");
    let mut nowhere = target(&sshd, 5);
    nowhere.host = "no-such-host.invalid".into();
    let err = probe_host_key(pool.root(), &nowhere, pool.settings()).await.unwrap_err();
    assert_eq!(err.step, Step::Dns, "{err}");
}

#[tokio::test]
async fn password_auth_through_askpass() {
    if !sshd::password_user_exists() {
        assert!(std::env::var("CI").is_err(), "CI must create {} (.ci/run does)", sshd::PASSWORD_USER);
        eprintln!("SKIPPED: no user {} (see .ci/run)", sshd::PASSWORD_USER);
        return;
    }
    let sshd = Sshd::start();
    let password = sshd::set_random_password();
    let data = tempfile::tempdir().unwrap();
    let pool = SshPool::new(data.path(), settings());
    let mut t = target(&sshd, 6);
    t.username = sshd::PASSWORD_USER.into();
    t.credential = Credential::Password(password.clone());
    let (lines, end) = pool.exec(&t, "id -un", ExecOptions::default()).await.unwrap().collect().await;
    assert_eq!(end.unwrap().outcome, Outcome::Exited(0));
    assert_eq!(text(&lines, Stream::Stdout), [sshd::PASSWORD_USER]);
    for entry in std::fs::read_dir(data.path().join("ssh/6")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        assert!(!text.contains(&password), "the password is never written to a file");
    }
    let mut wrong = target(&sshd, 7);
    wrong.username = sshd::PASSWORD_USER.into();
    wrong.credential = Credential::Password("not-it".into());
    let err = pool.connect(&wrong).await.unwrap_err();
    assert_eq!(err.step, Step::Auth, "{err}");
}

#[tokio::test]
async fn a_dropped_connection_ends_the_command_and_the_next_one_reconnects() {
    let sshd = Sshd::start();
    let data = tempfile::tempdir().unwrap();
    let pool = SshPool::new(data.path(), settings());
    let t = target(&sshd, 8);
    // The master is killed under a running command.
    let running = pool.exec(&t, "sleep 4321; echo never", ExecOptions::default()).await.unwrap();
    wait_for("the remote sleep", || !sshd::sleeps("4321").is_empty()).await;
    let pid = pool.master_pid(8).await.unwrap();
    std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
    let started = Instant::now();
    let err = running.finish().await.unwrap_err();
    assert_eq!(err.step, Step::Connection, "{err}");
    assert!(started.elapsed() < Duration::from_secs(4), "ended at once, not when the command would have");
    let end = pool.exec(&t, "echo back", ExecOptions::default()).await.unwrap().finish().await.unwrap();
    assert_eq!(end.outcome, Outcome::Exited(0));
    assert_ne!(pool.master_pid(8).await, Some(pid), "a new master");
    // sshd's side of the connection dies under a running command.
    let running = pool.exec(&t, "sleep 4322", ExecOptions::default()).await.unwrap();
    wait_for("the remote sleep", || !sshd::sleeps("4322").is_empty()).await;
    sshd.drop_connections();
    let err = running.finish().await.unwrap_err();
    assert_eq!(err.step, Step::Connection, "{err}");
    let end = pool.exec(&t, "echo again", ExecOptions::default()).await.unwrap().finish().await.unwrap();
    assert_eq!(end.outcome, Outcome::Exited(0));
}

#[tokio::test]
async fn twenty_concurrent_commands_share_one_connection_under_the_cap() {
    let sshd = Sshd::start();
    let data = tempfile::tempdir().unwrap();
    let pool = SshPool::new(data.path(), settings());
    let t = target(&sshd, 9);
    let runs = (0..20).map(|i| {
        let (pool, t) = (pool.clone(), t.clone());
        tokio::spawn(async move {
            let exec = pool.exec(&t, &format!("sleep 0.3; echo {i}"), ExecOptions::default()).await.unwrap();
            let (lines, end) = exec.collect().await;
            (i, lines, end)
        })
    });
    for run in runs.collect::<Vec<_>>() {
        let (i, lines, end) = run.await.unwrap();
        assert_eq!(end.unwrap().outcome, Outcome::Exited(0), "command {i}");
        assert_eq!(text(&lines, Stream::Stdout), [i.to_string()]);
    }
    let peak = pool.peak_channels(9);
    assert!((2..=MAX_CHANNELS).contains(&peak), "peak {peak} channels, cap {MAX_CHANNELS}");
}

#[tokio::test]
async fn cancel_and_timeout_kill_the_remote_process_group() {
    let sshd = Sshd::start();
    let data = tempfile::tempdir().unwrap();
    let pool = SshPool::new(data.path(), settings());
    let t = target(&sshd, 10);
    // A child in the background and one that ignores SIGTERM: both gone after cancel.
    let running = pool.exec(&t, "sleep 5551 & trap '' TERM; sleep 5552; wait", ExecOptions::default()).await.unwrap();
    wait_for("both sleeps", || !sshd::sleeps("5551").is_empty() && !sshd::sleeps("5552").is_empty()).await;
    running.cancel();
    let end = running.finish().await.unwrap();
    assert_eq!(end.outcome, Outcome::Cancelled);
    assert!(sshd::sleeps("5551").is_empty() && sshd::sleeps("5552").is_empty(), "the remote processes are gone");
    let options = ExecOptions { timeout: Some(Duration::from_millis(500)), ..ExecOptions::default() };
    let end = pool.exec(&t, "sleep 5553", options).await.unwrap().finish().await.unwrap();
    assert_eq!(end.outcome, Outcome::TimedOut);
    assert!(end.duration < Duration::from_secs(5), "{:?}", end.duration);
    assert!(sshd::sleeps("5553").is_empty(), "the timed-out process is gone");
    // The connection still serves.
    let end = pool.exec(&t, "true", ExecOptions::default()).await.unwrap().finish().await.unwrap();
    assert_eq!(end.outcome, Outcome::Exited(0));
}

#[tokio::test]
async fn a_jump_host_carries_the_connection_and_a_lost_socket_never_opens_one_of_its_own() {
    let sshd = Sshd::start();
    let data = tempfile::tempdir().unwrap();
    let pool = SshPool::new(data.path(), settings());
    let mut t = target(&sshd, 11);
    // Another name for the same sshd, resolved on the jump host (ssh refuses a jump to itself by name).
    t.host = "localhost".into();
    t.jump_host = Some(format!("{}@127.0.0.1:{}", sshd::current_user(), sshd.port));
    let learned = probe_host_key(pool.root(), &t, pool.settings()).await.unwrap();
    assert_eq!(learned.key, sshd.host_key(), "the target's key, learned through the jump host");
    let (lines, end) = pool.exec(&t, "echo hopped", ExecOptions::default()).await.unwrap().collect().await;
    assert_eq!(end.unwrap().outcome, Outcome::Exited(0));
    assert_eq!(text(&lines, Stream::Stdout), ["hopped"]);
    // With the control socket gone a channel fails as a connection error; it does not connect by itself.
    for entry in std::fs::read_dir(pool.root()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sock") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let err = pool.exec(&t, "echo direct", ExecOptions::default()).await.unwrap().finish().await.unwrap_err();
    assert_eq!(err.step, Step::Connection, "{err}");
}

#[tokio::test]
async fn a_local_file_streams_to_the_command_input() {
    let sshd = Sshd::start();
    let data = tempfile::tempdir().unwrap();
    let pool = SshPool::new(data.path(), settings());
    let t = target(&sshd, 1);
    let input = data.path().join("input.bin");
    let bytes: Vec<u8> = (0..=250u8).cycle().take(8 << 20).collect();
    std::fs::write(&input, &bytes).unwrap();
    let options = ExecOptions { stdin: Some(input.clone()), ..ExecOptions::default() };
    let (lines, end) = pool.exec(&t, "cksum", options).await.unwrap().collect().await;
    assert_eq!(end.unwrap().outcome, Outcome::Exited(0));
    let local = std::process::Command::new("sh").arg("-c").arg("cksum < \"$0\"").arg(&input).output().unwrap();
    let expected = String::from_utf8_lossy(&local.stdout).trim().to_owned();
    assert!(expected.ends_with(&(8 << 20).to_string()), "{expected}");
    assert_eq!(text(&lines, Stream::Stdout), [expected.as_str()], "every byte arrived, then the end of the input");
    // Without a file the command's input is empty.
    let (lines, _) = pool.exec(&t, "wc -c | tr -d ' '", ExecOptions::default()).await.unwrap().collect().await;
    assert_eq!(text(&lines, Stream::Stdout), ["0"]);
    let missing = ExecOptions { stdin: Some(data.path().join("nope")), ..ExecOptions::default() };
    let err = pool.exec(&t, "cat", missing).await.unwrap_err();
    assert_eq!(err.step, Step::Local, "{err}");
}
