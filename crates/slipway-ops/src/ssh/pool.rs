//! [`SshPool`]: the connections of this node, one master per server. A command takes one of the server's
//! [`MAX_CHANNELS`] permits (sshd's default `MaxSessions` is 10; the two left over carry cancel's kill
//! commands), then the master: the live one, or a new one when it died (after a backoff when the last
//! attempts failed). A master is only replaced when it is dead, or — for a changed target — once every
//! channel on it has ended, so no running command is ever cut off by a reconnect.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::channel::{self, ChannelRoute, ExecOptions, Execution};
use super::files::ServerFiles;
use super::master::Master;
use super::{SshError, SshTarget};

/// Channels one server carries at once.
pub const MAX_CHANNELS: usize = 8;
/// The longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Connection settings.
#[derive(Debug, Clone)]
pub struct SshSettings {
    /// TCP connect timeout (`ConnectTimeout`).
    pub connect_timeout: Duration,
    /// Keepalive interval (`ServerAliveInterval`).
    pub keepalive_interval: Duration,
    /// Unanswered keepalives before the connection counts as dead (`ServerAliveCountMax`).
    pub keepalive_count_max: u32,
    /// How long a cancelled command's processes have between SIGTERM and SIGKILL.
    pub kill_grace: Duration,
    /// The first reconnection delay after a failed attempt (doubling up to 30 s).
    pub backoff: Duration,
}

impl Default for SshSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            keepalive_interval: Duration::from_secs(15),
            keepalive_count_max: 3,
            kill_grace: Duration::from_secs(5),
            backoff: Duration::from_millis(250),
        }
    }
}

#[derive(Debug, Default)]
struct HostState {
    master: Option<Master>,
    failures: u32,
    retry_at: Option<Instant>,
}

#[derive(Debug)]
struct Host {
    identity: u64,
    files: ServerFiles,
    permits: Arc<Semaphore>,
    state: tokio::sync::Mutex<HostState>,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    settings: SshSettings,
    hosts: Mutex<HashMap<i64, Arc<Host>>>,
}

/// The node's SSH connections. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SshPool {
    inner: Arc<Inner>,
}

impl SshPool {
    /// A pool keeping its files under `<data_dir>/ssh`.
    pub fn new(data_dir: &Path, settings: SshSettings) -> Self {
        let inner = Inner { root: data_dir.join("ssh"), settings, hosts: Mutex::new(HashMap::new()) };
        Self { inner: Arc::new(inner) }
    }

    /// Where the per-server files live.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The settings in force.
    pub fn settings(&self) -> &SshSettings {
        &self.inner.settings
    }

    fn host(&self, target: &SshTarget) -> Arc<Host> {
        let identity = target.identity();
        let mut hosts = self.inner.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(h) = hosts.get(&target.server_id).filter(|h| h.identity == identity) {
            return Arc::clone(h);
        }
        let host = Arc::new(Host {
            identity,
            files: ServerFiles::new(&self.inner.root, target.server_id, identity),
            permits: Arc::new(Semaphore::new(MAX_CHANNELS)),
            state: tokio::sync::Mutex::new(HostState::default()),
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        });
        if let Some(old) = hosts.insert(target.server_id, Arc::clone(&host)) {
            retire(old);
        }
        host
    }

    /// Connects (or reuses the connection) and authenticates, without running anything.
    pub async fn connect(&self, target: &SshTarget) -> Result<(), SshError> {
        let host = self.host(target);
        self.master_socket(&host, target).await.map(|_| ())
    }

    async fn master_socket(&self, host: &Host, target: &SshTarget) -> Result<PathBuf, SshError> {
        let mut st = host.state.lock().await;
        if let Some(m) = st.master.as_mut() {
            if m.is_alive() {
                return Ok(m.socket().to_owned());
            }
            tracing::info!(server = target.server_id, said = %m.last_words(), "SSH master ended; reconnecting");
            st.master = None;
        }
        if let Some(at) = st.retry_at {
            tokio::time::sleep_until(at.into()).await;
        }
        match Master::start(&host.files, target, &self.inner.settings).await {
            Ok(m) => {
                st.failures = 0;
                st.retry_at = None;
                let socket = m.socket().to_owned();
                st.master = Some(m);
                Ok(socket)
            }
            Err(e) => {
                st.failures = st.failures.saturating_add(1);
                let delay = self.inner.settings.backoff.saturating_mul(1 << st.failures.min(8).saturating_sub(1));
                st.retry_at = Some(Instant::now() + delay.min(MAX_BACKOFF));
                Err(e)
            }
        }
    }

    /// Runs `script` (POSIX `sh`) on the server: waits for a channel permit, then streams the command.
    pub async fn exec(&self, target: &SshTarget, script: &str, options: ExecOptions) -> Result<Execution, SshError> {
        let host = self.host(target);
        let permit = Arc::clone(&host.permits)
            .acquire_owned()
            .await
            .map_err(|_| SshError::local("the connection is being retired"))?;
        let socket = self.master_socket(&host, target).await?;
        let now = host.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        host.peak.fetch_max(now, Ordering::SeqCst);
        let route = ChannelRoute { config: host.files.config(), socket, kill_grace: self.inner.settings.kill_grace };
        let counted = Arc::clone(&host);
        let on_end = move || {
            counted.in_flight.fetch_sub(1, Ordering::SeqCst);
        };
        channel::start(route, script, options, permit, on_end)
    }

    /// Forgets a server's connection (deleted server): its master ends once its channels have.
    pub fn forget(&self, server_id: i64) {
        let old = self.inner.hosts.lock().unwrap_or_else(PoisonError::into_inner).remove(&server_id);
        if let Some(old) = old {
            retire(old);
        }
    }

    /// The most channels server `server_id` carried at once (its current connection).
    pub fn peak_channels(&self, server_id: i64) -> usize {
        let hosts = self.inner.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        hosts.get(&server_id).map_or(0, |h| h.peak.load(Ordering::SeqCst))
    }

    /// The process id of server `server_id`'s master, when one runs.
    pub async fn master_pid(&self, server_id: i64) -> Option<u32> {
        let host = self.inner.hosts.lock().unwrap_or_else(PoisonError::into_inner).get(&server_id).cloned()?;
        let mut st = host.state.lock().await;
        let m = st.master.as_mut()?;
        if m.is_alive() { m.pid() } else { None }
    }
}

/// Ends a replaced connection once every channel on it has ended.
fn retire(host: Arc<Host>) {
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(async move {
            let all = u32::try_from(MAX_CHANNELS).unwrap_or(u32::MAX);
            let _idle = host.permits.acquire_many(all).await;
            host.permits.close();
            host.state.lock().await.master = None;
            host.files.remove_connection_files();
        });
    }
}
