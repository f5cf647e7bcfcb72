//! qoder's servers: the shared inventory of machines Slipway reaches over SSH, and who may use it.
//!
//! Rule: administrators, and users an administrator granted it to ("operators"), may see and manage every
//! server and run commands on them; everyone else is refused (403). Operators see the whole inventory, not only
//! the servers they created: a grant is a role, like the administrators'. Accepting a changed host key and
//! granting or revoking the role are the administrators' alone. Every address passes the outbound policy as
//! the caller when it is saved and when it is connected to: a non-administrator cannot target loopback or
//! private addresses, unless an administrator saved that address. Credentials are sealed before they are
//! stored and never leave this module.

mod connect;
pub(crate) mod input;
mod targets;
mod view;

use std::time::Instant;

use slipway_core::{Error, Principal};
use slipway_engine::Page;
use slipway_outbound::OutboundPolicy;
/// A grant of the operator role, and the filter of a server list (the store's types, handed out as they are).
pub use slipway_store::ops::{OperatorRecord, ServerFilter};
use slipway_store::ops::{ServerCheck, ServerRecord, ServerRow};
use slipway_store::{Db, Sealer};

pub use view::{ServerTestReport, ServerView};

use self::connect::{Failure, credential_context, ssh_error};
use self::input::Problems;
use crate::ssh::{ExecOptions, Execution, Outcome, SshError, SshPool, SshTarget, Step, Stream};

/// Statuses a list may filter by.
pub const STATUSES: [&str; 4] = ["unknown", "online", "offline", "host_key_changed"];

/// The remote facts a test reads, one `key=value` per line.
const FACTS: &str = r#"echo "kernel=$(uname -r)"; echo "os=$( (. /etc/os-release && echo "$PRETTY_NAME") 2>/dev/null || uname -s)"; echo "cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)"; echo "mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null)""#;

/// How a server signs in, as given.
#[derive(Clone, PartialEq, Eq)]
pub enum NewCredential {
    /// A private key.
    PrivateKey(String),
    /// A password.
    Password(String),
}

impl std::fmt::Debug for NewCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::PrivateKey(_) => "PrivateKey(***)",
            Self::Password(_) => "Password(***)",
        })
    }
}

/// A server to create.
#[derive(Debug, Clone, Default)]
pub struct NewServer {
    /// Name, unique.
    pub name: String,
    /// Host name or address.
    pub host: String,
    /// SSH port (22 when `None`).
    pub port: Option<i64>,
    /// Remote user.
    pub username: String,
    /// A private key (exactly one of key and password).
    pub private_key: Option<String>,
    /// A password.
    pub password: Option<String>,
    /// `[user@]host[:port]` to hop through.
    pub jump_host: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Free text.
    pub description: Option<String>,
}

/// Changes to a server; `None` keeps a field. A new key or password replaces the credential (and its kind).
#[derive(Debug, Clone, Default)]
pub struct ServerChanges {
    /// New name.
    pub name: Option<String>,
    /// New host.
    pub host: Option<String>,
    /// New port.
    pub port: Option<i64>,
    /// New remote user.
    pub username: Option<String>,
    /// A new private key.
    pub private_key: Option<String>,
    /// A new password.
    pub password: Option<String>,
    /// A new jump host (`""` removes it).
    pub jump_host: Option<String>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// New description.
    pub description: Option<String>,
}

/// The servers service.
#[derive(Clone, Debug)]
pub struct Servers {
    db: Db,
    sealer: Sealer,
    policy: OutboundPolicy,
    pool: SshPool,
}

fn not_found(id: i64) -> Error {
    Error::NotFound(format!("server {id}"))
}

struct Checked {
    name: String,
    host: String,
    port: u16,
    username: String,
    auth_kind: &'static str,
    sealed: String,
    jump_host: Option<String>,
    description: String,
    tags: Vec<String>,
}

impl Servers {
    /// The service on `db`, sealing with `sealer`, policing addresses with `policy`, connecting through `pool`.
    pub fn new(db: Db, sealer: Sealer, policy: OutboundPolicy, pool: SshPool) -> Self {
        Self { db, sealer, policy, pool }
    }

    /// The node's SSH connections.
    pub fn pool(&self) -> &SshPool {
        &self.pool
    }

    /// Administrators and granted operators; anyone else is refused.
    pub async fn require_operator(&self, caller: &Principal) -> Result<(), Error> {
        if caller.is_admin() || self.db.is_server_operator(caller.user_id).await? {
            return Ok(());
        }
        Err(Error::Forbidden("managing servers needs an administrator, or an administrator's grant".into()))
    }

    async fn record(&self, id: i64) -> Result<ServerRecord, Error> {
        self.db.server(id).await?.ok_or_else(|| not_found(id))
    }

    fn seal(&self, kind: &str, secret: &str) -> Result<String, Error> {
        self.sealer
            .seal(&credential_context(kind), secret)
            .map_err(|e| Error::Internal(format!("cannot seal a server credential: {e}")))
    }

    fn check_address(
        &self,
        caller: &Principal,
        p: &mut Problems,
        host: &str,
        port: u16,
        jump: Option<&(String, String, u16)>,
    ) {
        if let Err(r) = self.policy.check_host_to_save(host, port, caller.is_admin()) {
            p.add("host", "value_error", r.message());
        }
        if let Some((_, jhost, jport)) = jump
            && let Err(r) = self.policy.check_host_to_save(jhost, *jport, caller.is_admin())
        {
            p.add("jump_host", "value_error", r.message());
        }
    }

    fn credential(
        &self,
        p: &mut Problems,
        key: Option<&str>,
        password: Option<&str>,
    ) -> Option<(&'static str, String)> {
        match (key, password) {
            (Some(_), Some(_)) => {
                p.add("password", "value_error", "give private_key or password, not both");
                None
            }
            (Some(k), None) => Some(("private_key", input::private_key(p, k))),
            (None, Some(pw)) => Some(("password", input::password(p, pw))),
            (None, None) => None,
        }
    }

    fn conflict(e: Error, name: &str) -> Error {
        match e {
            Error::Conflict(_) => Error::Conflict(format!("a server named {name:?} already exists")),
            other => other,
        }
    }

    /// A page of servers (administrators and operators).
    pub async fn list(
        &self,
        caller: &Principal,
        filter: ServerFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Page<ServerView>, Error> {
        self.require_operator(caller).await?;
        if let Some(s) = filter.status.as_deref().filter(|s| !STATUSES.contains(s)) {
            return Err(Error::Validation(vec![slipway_core::FieldError::query(
                "status",
                "value_error",
                format!("status is one of {}, not {s:?}", STATUSES.join(", ")),
            )]));
        }
        let (items, total) = self.db.list_servers(&filter, offset, limit).await?;
        Ok(Page { items: items.into_iter().map(Into::into).collect(), total })
    }

    /// One server.
    pub async fn get(&self, caller: &Principal, id: i64) -> Result<ServerView, Error> {
        self.require_operator(caller).await?;
        self.record(id).await.map(Into::into)
    }

    /// Creates a server (its host key is pinned at the first connection).
    pub async fn create(&self, caller: &Principal, new: NewServer) -> Result<ServerView, Error> {
        self.require_operator(caller).await?;
        let mut p = Problems::default();
        let name = input::name(&mut p, &new.name);
        let host = input::host(&mut p, "host", &new.host);
        let port = input::port(&mut p, new.port.unwrap_or(22));
        let username = input::username(&mut p, "username", &new.username);
        let jump = new.jump_host.as_deref().filter(|j| !j.trim().is_empty()).and_then(|j| input::jump_host(&mut p, j));
        let description = input::description(&mut p, new.description.as_deref().unwrap_or_default());
        let tags = input::tags(&mut p, &new.tags);
        let credential = self.credential(&mut p, new.private_key.as_deref(), new.password.as_deref());
        if credential.is_none() && new.private_key.is_none() && new.password.is_none() {
            p.add("private_key", "missing", "give private_key or password");
        }
        if !host.is_empty() {
            self.check_address(caller, &mut p, &host, port, jump.as_ref());
        }
        p.into_result()?;
        let Some((kind, secret)) = credential else { return Err(Error::Internal("no credential".into())) };
        let checked = Checked {
            name,
            host,
            port,
            username,
            auth_kind: kind,
            sealed: self.seal(kind, &secret)?,
            jump_host: jump.map(|j| j.0),
            description,
            tags,
        };
        let row = row(&checked, caller.is_admin());
        let record = self.db.insert_server(caller.user_id, &row, slipway_core::time::now()).await;
        record.map(Into::into).map_err(|e| Self::conflict(e.into(), &checked.name))
    }

    /// Changes a server. A changed address (host, port, jump host) forgets the pinned host key: the next
    /// connection is a first contact again.
    pub async fn update(&self, caller: &Principal, id: i64, c: ServerChanges) -> Result<ServerView, Error> {
        self.require_operator(caller).await?;
        let current = self.record(id).await?;
        let mut p = Problems::default();
        let name = c.name.as_deref().map_or(current.name.clone(), |n| input::name(&mut p, n));
        let host = c.host.as_deref().map_or(current.host.clone(), |h| input::host(&mut p, "host", h));
        let port = c.port.map_or(u16::try_from(current.port).unwrap_or(22), |v| input::port(&mut p, v));
        let username =
            c.username.as_deref().map_or(current.username.clone(), |u| input::username(&mut p, "username", u));
        let jump = match c.jump_host.as_deref().map(str::trim) {
            None => current.jump_host.clone().map(|j| Some((j, String::new(), 0))),
            Some("") => None,
            Some(j) => Some(input::jump_host(&mut p, j)),
        }
        .flatten();
        let description =
            c.description.as_deref().map_or(current.description.clone(), |d| input::description(&mut p, d));
        let tags = c.tags.as_deref().map_or(current.tags.clone(), |t| input::tags(&mut p, t));
        let credential = self.credential(&mut p, c.private_key.as_deref(), c.password.as_deref());
        let address_changed = host != current.host
            || i32::from(port) != current.port
            || jump.as_ref().map(|j| &j.0) != current.jump_host.as_ref();
        if address_changed && !host.is_empty() {
            let jump_check = jump.as_ref().filter(|j| j.2 != 0);
            self.check_address(caller, &mut p, &host, port, jump_check);
        }
        p.into_result()?;
        let (auth_kind, sealed) = match credential {
            Some((kind, secret)) => (kind, self.seal(kind, &secret)?),
            None => (
                if current.auth_kind == "password" { "password" } else { "private_key" },
                current.credential_sealed.clone(),
            ),
        };
        let checked =
            Checked { name, host, port, username, auth_kind, sealed, jump_host: jump.map(|j| j.0), description, tags };
        let by_admin = if address_changed { caller.is_admin() } else { current.address_by_admin };
        let row = row(&checked, by_admin);
        let now = slipway_core::time::now();
        match self.db.update_server(id, &row, address_changed, now).await {
            Ok(Some(r)) => {
                if address_changed {
                    self.pool.forget(id);
                }
                Ok(r.into())
            }
            Ok(None) => Err(not_found(id)),
            Err(e) => Err(Self::conflict(e.into(), &checked.name)),
        }
    }

    /// Deletes a server, and its monitoring (samples, roll-ups, alerts); its connection closes once its running
    /// commands have ended.
    pub async fn delete(&self, caller: &Principal, id: i64) -> Result<(), Error> {
        self.require_operator(caller).await?;
        if !self.db.delete_server(id).await? {
            return Err(not_found(id));
        }
        self.db.remove_monitored_server(id).await?;
        self.pool.forget(id);
        Ok(())
    }

    /// Accepts the host key a server offered in place of its pinned one (administrators); with `fingerprint`,
    /// only if it is that key.
    pub async fn accept_host_key(
        &self,
        caller: &Principal,
        id: i64,
        fingerprint: Option<&str>,
    ) -> Result<ServerView, Error> {
        caller.require_admin()?;
        let current = self.record(id).await?;
        let Some(offered) = current.pending_host_key_fingerprint else {
            return Err(Error::Conflict(format!("server {:?} has offered no other host key", current.name)));
        };
        let fingerprint = fingerprint.map(str::trim).filter(|f| !f.is_empty());
        if let Some(f) = fingerprint.filter(|f| *f != offered) {
            return Err(Error::invalid_field(
                "fingerprint",
                "value_error",
                format!("the offered key is {offered}, not {f}"),
            ));
        }
        let accepted = self.db.accept_server_host_key(id, Some(&offered), slipway_core::time::now()).await?;
        let accepted = accepted.ok_or_else(|| Error::Conflict("the offered host key changed meanwhile".into()))?;
        self.pool.forget(id);
        Ok(accepted.into())
    }

    async fn ready_target(&self, caller: &Principal, s: &ServerRecord) -> Result<SshTarget, Failure> {
        if s.status == "host_key_changed" && s.pending_host_key.is_some() {
            return Err(Failure::Other(Error::Conflict(format!(
                "server {:?}: host_key step: {}",
                s.name,
                s.last_error.as_deref().unwrap_or("the host key changed; an administrator must accept the new key")
            ))));
        }
        let target = self.target(caller, s).await.map_err(Failure::Ssh)?;
        self.pinned(target).await
    }

    async fn prepared(&self, caller: &Principal, s: &ServerRecord) -> Result<SshTarget, Error> {
        match self.ready_target(caller, s).await {
            Ok(t) => Ok(t),
            Err(Failure::Ssh(e)) => Err(self.failed(s, None, &e).await),
            Err(Failure::Other(e)) => Err(e),
        }
    }

    async fn failed(&self, s: &ServerRecord, target: Option<&SshTarget>, e: &SshError) -> Error {
        let now = slipway_core::time::now();
        if let (Step::HostKey, Some(t)) = (e.step, target) {
            if let Err(err) = self.record_offered_key(t, e).await {
                return err;
            }
        } else if e.step != Step::Local {
            let text = e.to_string();
            let check = ServerCheck { status: "offline", error: Some(&text), facts: None };
            if let Err(err) = self.db.record_server_check(s.id, &check, now).await {
                return err.into();
            }
        }
        ssh_error(&s.name, e)
    }

    /// Tests a server: resolves it (DNS), opens TCP, checks the host key, authenticates, and reads the remote
    /// OS, kernel, CPU count and memory. A failure names its step.
    pub async fn test(&self, caller: &Principal, id: i64) -> Result<ServerTestReport, Error> {
        self.require_operator(caller).await?;
        let s = self.record(id).await?;
        let started = Instant::now();
        let target = self.prepared(caller, &s).await?;
        if target.jump_host.is_none() {
            let addr = (target.host.as_str(), target.port);
            let tcp =
                tokio::time::timeout(self.pool.settings().connect_timeout, tokio::net::TcpStream::connect(addr)).await;
            let tcp_error = match tcp {
                Ok(Ok(_)) => None,
                Ok(Err(e)) => Some(format!("cannot connect to {}:{}: {e}", s.host, s.port)),
                Err(_) => Some(format!("timed out connecting to {}:{}", s.host, s.port)),
            };
            if let Some(m) = tcp_error {
                return Err(self.failed(&s, None, &SshError::new(Step::Tcp, m)).await);
            }
        }
        let run = async {
            let exec = self.pool.exec(&target, FACTS, ExecOptions::default()).await?;
            Ok::<_, SshError>(exec.collect().await)
        };
        let (lines, end) = match run.await {
            Ok(done) => done,
            Err(e) => return Err(self.failed(&s, Some(&target), &e).await),
        };
        match end {
            Ok(f) if f.outcome == Outcome::Exited(0) => {}
            Ok(f) => {
                return Err(Error::BadGateway(format!(
                    "server {:?}: the probe command ended with {:?}",
                    s.name, f.outcome
                )));
            }
            Err(e) => return Err(self.failed(&s, Some(&target), &e).await),
        }
        let fact = |k: &str| {
            lines
                .iter()
                .filter(|l| l.stream == Stream::Stdout)
                .find_map(|l| l.text.strip_prefix(k))
                .map(str::trim)
                .unwrap_or_default()
                .to_owned()
        };
        let (os, kernel) = (fact("os="), fact("kernel="));
        let cpu_count: i32 = fact("cpus=").parse().unwrap_or(0);
        let memory_total_bytes = fact("mem_kb=").parse::<i64>().unwrap_or(0).saturating_mul(1024);
        let check =
            ServerCheck { status: "online", error: None, facts: Some((&os, &kernel, cpu_count, memory_total_bytes)) };
        self.db.record_server_check(s.id, &check, slipway_core::time::now()).await?;
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let server = self.record(id).await?.into();
        Ok(ServerTestReport { server, os, kernel, cpu_count, memory_total_bytes, latency_ms })
    }

    /// Runs `script` on a server (administrators and operators); output streams from the returned execution.
    pub async fn exec(
        &self,
        caller: &Principal,
        id: i64,
        script: &str,
        options: ExecOptions,
    ) -> Result<Execution, Error> {
        self.require_operator(caller).await?;
        let s = self.record(id).await?;
        let target = self.prepared(caller, &s).await?;
        match self.pool.exec(&target, script, options).await {
            Ok(exec) => Ok(exec),
            Err(e) => Err(self.failed(&s, Some(&target), &e).await),
        }
    }

    /// The SSH target of server `id` for a job `owner` started (a deployment). No role is checked here: the
    /// service that queued the job did. The address passes the outbound policy as `owner`'s, and the credential
    /// is opened only into the returned target, which never leaves this crate.
    pub(crate) async fn job_target(&self, owner: &Principal, id: i64) -> Result<SshTarget, Error> {
        let s = self.record(id).await?;
        self.prepared(owner, &s).await
    }

    /// Allows `user_id` to operate servers (administrators).
    pub async fn grant_operator(&self, caller: &Principal, user_id: i64) -> Result<(), Error> {
        caller.require_admin()?;
        if self.db.user_by_id(user_id).await?.is_none() {
            return Err(Error::UserNotFound);
        }
        Ok(self.db.grant_server_operator(user_id, caller.user_id, slipway_core::time::now()).await?)
    }

    /// Withdraws `user_id`'s grant (administrators).
    pub async fn revoke_operator(&self, caller: &Principal, user_id: i64) -> Result<(), Error> {
        caller.require_admin()?;
        if self.db.revoke_server_operator(user_id).await? {
            Ok(())
        } else {
            Err(Error::NotFound(format!("operator {user_id}")))
        }
    }

    /// Every grant (administrators).
    pub async fn operators(&self, caller: &Principal) -> Result<Vec<OperatorRecord>, Error> {
        caller.require_admin()?;
        Ok(self.db.server_operators().await?)
    }
}

fn row(c: &Checked, address_by_admin: bool) -> ServerRow<'_> {
    ServerRow {
        name: &c.name,
        host: &c.host,
        port: i32::from(c.port),
        username: &c.username,
        auth_kind: c.auth_kind,
        credential_sealed: &c.sealed,
        jump_host: c.jump_host.as_deref(),
        address_by_admin,
        description: &c.description,
        tags: &c.tags,
    }
}
