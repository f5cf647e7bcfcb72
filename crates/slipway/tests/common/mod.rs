//! Running the real `slipway` binary in tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The binary under test.
pub fn slipway() -> Command {
    Command::new(env!("CARGO_BIN_EXE_slipway"))
}

/// A `slipway serve` process, killed when dropped.
pub struct Node {
    pub child: Child,
    pub addrs: Vec<SocketAddr>,
    pub log: mpsc::Receiver<String>,
    /// Every stderr line read while waiting for the listeners.
    pub startup: Vec<String>,
}

impl Node {
    /// Starts `slipway serve` with JSON logs and waits until it has logged `expected` listening addresses.
    pub fn start(cmd: Command, expected: usize) -> Self {
        Self::start_until(cmd, expected, "listening")
    }

    /// Starts `slipway worker` with JSON logs and waits until its engine has started.
    pub fn start_worker(cmd: Command) -> Self {
        Self::start_until(cmd, 0, "engine started")
    }

    fn start_until(mut cmd: Command, expected: usize, ready: &str) -> Self {
        let sets_log = cmd.get_envs().any(|(k, _)| k == "SLIPWAY_LOG");
        if !sets_log {
            cmd.env("SLIPWAY_LOG", "info");
        }
        let mut child = cmd
            .env("SLIPWAY_LOG_FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn slipway");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut addrs = Vec::new();
        let mut startup = Vec::new();
        let mut started = false;
        let deadline = Instant::now() + Duration::from_secs(30);
        while addrs.len() < expected || !started {
            let line = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("slipway did not log {ready:?} ({expected} addresses): {startup:#?}"));
            startup.push(line.clone());
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
            if v["fields"]["message"] == ready {
                started = true;
            }
            if v["fields"]["message"] == "listening" {
                addrs.push(v["fields"]["addr"].as_str().expect("addr").parse().expect("socket addr"));
            }
        }
        Self { child, addrs, log: rx, startup }
    }

    /// `http://addr` of the n-th listener.
    pub fn url(&self, n: usize, path: &str) -> String {
        format!("http://{}{path}", self.addrs[n])
    }

    /// Sends a signal to the process.
    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).expect("pid"));
        nix::sys::signal::kill(pid, sig).expect("signal");
    }

    /// Waits for the process to exit, failing the test after `limit`.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "slipway did not exit within {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client (the crypto provider must be in place before reqwest builds one).
pub fn client() -> reqwest::Client {
    slipway::install_crypto_provider();
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client")
}
