//! One server's ControlMaster: an `ssh -M -N` child of this process (killed if this process dies, through
//! `setpriv --pdeathsig`), listening on a control socket that channels attach to. The credential is on disk
//! (key) or in the child's environment (password) only while it authenticates.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::files::{ALIAS, PASSWORD_VAR, ServerFiles};
use super::{Credential, SshError, SshSettings, SshTarget, Step};

/// Lines of the master's standard error kept to explain its death.
const TAIL_LINES: usize = 20;
const SETPRIV: &str = "/usr/bin/setpriv";

/// A running master.
pub(super) struct Master {
    child: Child,
    socket: PathBuf,
    tail: Arc<Mutex<VecDeque<String>>>,
}

impl std::fmt::Debug for Master {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Master").field("pid", &self.child.id()).field("socket", &self.socket).finish()
    }
}

fn base_command() -> Command {
    if Path::new(SETPRIV).exists() {
        let mut c = Command::new(SETPRIV);
        c.args(["--pdeathsig", "KILL", "--", "ssh"]);
        c
    } else {
        Command::new("ssh")
    }
}

impl Master {
    /// Starts a master for `target` and waits until it has authenticated and listens.
    pub async fn start(files: &ServerFiles, target: &SshTarget, settings: &SshSettings) -> Result<Self, SshError> {
        if target.host_key.is_none() {
            return Err(SshError::new(Step::HostKey, "no host key is pinned for this server yet"));
        }
        files.prepare(target, settings)?;
        let _ = std::fs::remove_file(&files.socket);
        let mut cmd = base_command();
        cmd.arg("-F").arg(files.config());
        cmd.args(["-M", "-N", "-T", "-n", "-o", "ControlMaster=yes", "-o", "ControlPersist=no", ALIAS]);
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        cmd.env_remove("SSH_AUTH_SOCK").env_remove("DISPLAY").process_group(0).kill_on_drop(true);
        match &target.credential {
            Credential::PrivateKey(key) => files.write_key(key)?,
            Credential::Password(password) => {
                cmd.env("SSH_ASKPASS", files.askpass()).env("SSH_ASKPASS_REQUIRE", "force").env(PASSWORD_VAR, password);
            }
        }
        let started = cmd.spawn();
        let result = match started {
            Ok(child) => Self::await_ready(child, files.socket.clone(), settings).await,
            Err(e) => Err(SshError::local(format!("cannot run ssh: {e}"))),
        };
        files.remove_key();
        result
    }

    async fn await_ready(mut child: Child, socket: PathBuf, settings: &SshSettings) -> Result<Self, SshError> {
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let reader = child.stderr.take().map(|stderr| {
            let tail = Arc::clone(&tail);
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let mut t = tail.lock().unwrap_or_else(PoisonError::into_inner);
                    if t.len() == TAIL_LINES {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
            })
        });
        let deadline = Instant::now() + settings.connect_timeout + Duration::from_secs(10);
        let master = loop {
            if let Ok(Some(_)) = child.try_wait() {
                if let Some(r) = reader {
                    let _ = tokio::time::timeout(Duration::from_secs(2), r).await;
                }
                let said = tail.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect::<Vec<_>>();
                return Err(SshError::from_stderr(&said.join("\n")));
            }
            if socket.exists() {
                break Self { child, socket, tail };
            }
            if Instant::now() > deadline {
                return Err(SshError::new(Step::Tcp, "timed out connecting and authenticating"));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        Ok(master)
    }

    /// Whether the master still runs.
    pub fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Its control socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The process id (for tests that kill a connection).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// What the master last said on its standard error (why it died).
    pub fn last_words(&self) -> String {
        let t = self.tail.lock().unwrap_or_else(PoisonError::into_inner);
        t.iter().filter(|l| !l.trim().is_empty()).cloned().collect::<Vec<_>>().join("; ")
    }
}

impl Drop for Master {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_file(&self.socket);
    }
}
