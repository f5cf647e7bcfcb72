//! From a stored server to an SSH connection: the address through the outbound policy (the DNS step), the
//! credential opened, the host key pinned on first contact (learned without credentials), and a refused key
//! recorded as offered for an administrator to accept.

use slipway_core::{Error, Principal};
use slipway_outbound::HostLookupError;
use slipway_store::ops::ServerRecord;

use super::Servers;
use crate::ssh::{Credential, SshError, SshTarget, Step, probe_host_key};

/// Why a connection could not be prepared: an SSH step, or anything else.
pub(super) enum Failure {
    /// A step of connecting failed.
    Ssh(SshError),
    /// The store or a rule refused.
    Other(Error),
}

/// The sealing context of a server's credential.
pub(super) fn credential_context(auth_kind: &str) -> String {
    format!("servers.credential:{auth_kind}")
}

/// The domain error for an SSH failure on `name`: a refused host key is a conflict an administrator resolves,
/// Slipway's own failure is internal, the rest are the server's (bad gateway).
pub(super) fn ssh_error(name: &str, e: &SshError) -> Error {
    let text = format!("server {name:?}: {e}");
    match e.step {
        Step::HostKey => Error::Conflict(text),
        Step::Local => Error::Internal(text),
        _ => Error::BadGateway(text),
    }
}

impl Servers {
    /// The SSH target for `server`, as `caller` may reach it: the address resolved and checked (internal
    /// addresses only for administrators, or when an administrator saved the address).
    pub(super) async fn target(&self, caller: &Principal, s: &ServerRecord) -> Result<SshTarget, SshError> {
        self.target_trusted(s, caller.is_admin() || s.address_by_admin).await
    }

    /// Server `id`'s SSH target for Slipway's own work (monitoring), its host key pinned: internal addresses
    /// only when an administrator saved the address, a changed host key refused as for everyone. The error
    /// text names the step that failed.
    pub(crate) async fn system_target(&self, id: i64) -> Result<SshTarget, String> {
        let s = self.db.server(id).await.map_err(|e| e.to_string())?.ok_or_else(|| format!("server {id} is gone"))?;
        if s.status == "host_key_changed" && s.pending_host_key.is_some() {
            return Err(format!(
                "host_key step: server {:?} offered another host key; an administrator must accept it",
                s.name
            ));
        }
        let target = self.target_trusted(&s, s.address_by_admin).await.map_err(|e| e.to_string())?;
        match self.pinned(target).await {
            Ok(t) => Ok(t),
            Err(Failure::Ssh(e)) => Err(e.to_string()),
            Err(Failure::Other(e)) => Err(e.to_string()),
        }
    }

    /// After Slipway's own work on a server failed: a refused host key is recorded as offered, for an
    /// administrator to accept.
    pub(crate) async fn system_failed(&self, target: &SshTarget, e: &SshError) {
        if e.step == Step::HostKey
            && let Err(err) = self.record_offered_key(target, e).await
        {
            tracing::warn!(server = target.server_id, error = %err, "cannot record the offered host key");
        }
    }

    async fn target_trusted(&self, s: &ServerRecord, trusted: bool) -> Result<SshTarget, SshError> {
        let port = u16::try_from(s.port).unwrap_or(22);
        let lookup = |e: HostLookupError| match e {
            HostLookupError::Dns(m) => SshError::new(Step::Dns, m),
            HostLookupError::Refused(r) => SshError::new(Step::Dns, format!("refused by the outbound policy: {r}")),
        };
        let (host, jump_host) = match &s.jump_host {
            // Behind a jump host the target is resolved there: only its name is checked here.
            Some(jump) => {
                self.policy
                    .check_host_to_save(&s.host, port, trusted)
                    .map_err(|r| SshError::new(Step::Dns, format!("refused by the outbound policy: {r}")))?;
                let (user, rest) = jump.rsplit_once('@').map_or((None, jump.as_str()), |(u, r)| (Some(u), r));
                let (jhost, jport) = rest.rsplit_once(':').unwrap_or((rest, "22"));
                let jhost = jhost.trim_start_matches('[').trim_end_matches(']');
                let jport: u16 = jport.parse().unwrap_or(22);
                let addr = self.policy.resolve_host(jhost, jport, trusted).await.map_err(lookup)?;
                let ip = addr.first().map(|a| a.ip()).ok_or_else(|| SshError::new(Step::Dns, "no address"))?;
                let shown = if ip.is_ipv6() { format!("[{ip}]") } else { ip.to_string() };
                let spec = user.map_or_else(|| format!("{shown}:{jport}"), |u| format!("{u}@{shown}:{jport}"));
                (s.host.clone(), Some(spec))
            }
            None => {
                let addrs = self.policy.resolve_host(&s.host, port, trusted).await.map_err(lookup)?;
                let ip = addrs.first().map(|a| a.ip()).ok_or_else(|| SshError::new(Step::Dns, "no address"))?;
                (ip.to_string(), None)
            }
        };
        let plain = self
            .sealer
            .open(&credential_context(&s.auth_kind), &s.credential_sealed)
            .map_err(|e| SshError::local(format!("cannot open the stored credential: {e}")))?;
        let credential =
            if s.auth_kind == "password" { Credential::Password(plain) } else { Credential::PrivateKey(plain) };
        Ok(SshTarget {
            server_id: s.id,
            host,
            port,
            username: s.username.clone(),
            credential,
            jump_host,
            host_key: s.host_key.clone(),
        })
    }

    /// `target` with a host key: the pinned one, or — on first contact — the one the server presents now,
    /// learned without credentials and pinned.
    pub(super) async fn pinned(&self, mut target: SshTarget) -> Result<SshTarget, Failure> {
        if target.host_key.is_some() {
            return Ok(target);
        }
        let learned = probe_host_key(self.pool.root(), &target, self.pool.settings()).await.map_err(Failure::Ssh)?;
        let now = slipway_core::time::now();
        let pinned = self.db.pin_server_host_key(target.server_id, &learned.key, &learned.fingerprint, now).await;
        if !pinned.map_err(|e| Failure::Other(e.into()))? {
            // Another first contact won: use what it pinned.
            let s = self.db.server(target.server_id).await.map_err(|e| Failure::Other(e.into()))?;
            target.host_key = s.and_then(|s| s.host_key);
            return Ok(target);
        }
        target.host_key = Some(learned.key);
        Ok(target)
    }

    /// After a refused host key: learns the key offered now and records it for an administrator.
    pub(super) async fn record_offered_key(&self, target: &SshTarget, error: &SshError) -> Result<(), Error> {
        let now = slipway_core::time::now();
        match probe_host_key(self.pool.root(), target, self.pool.settings()).await {
            Ok(offered) if Some(&offered.key) != target.host_key.as_ref() => {
                let text = error.to_string();
                self.db.offer_server_host_key(target.server_id, &offered.key, &offered.fingerprint, &text, now).await?;
            }
            _ => {}
        }
        Ok(())
    }
}
