//! The `command` executor: `sh -c <command>` in the node's sandbox (see `slipway-sandbox`), in its own process
//! group, with environment, working directory and the job's timeout. Each stdout/stderr line becomes an event;
//! the last 64 KiB of each are kept in the output with the exit code and duration. Cancel, timeout and shutdown
//! kill the whole group; the group is recorded while it runs, so a node starting after a crash kills what is
//! left of it. The process itself runs through [`crate::process::run`].
//!
//! Who may run what (settled in the input when the job is admitted, so every node runs it the same way):
//! with the sandbox, anyone; ordinary users' commands run as an unprivileged user of their own with the
//! default limits, inside the workspace, without network (unless the executor allows users to ask for it);
//! administrators' run sandboxed as the node's user with network and no limits unless they ask otherwise, and
//! may ask for the host (`isolation: "host"`). Without the sandbox only administrators may, on the host.
//!
//! A `target` other than `local` names a remote server (or a group of them); such a command runs through the
//! executor's [`RemoteShell`] (see [`crate::remote`]), which decides who may reach it when the job runs.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use slipway_core::{Error, Principal};
use slipway_sandbox::Availability;

use crate::context::JobContext;
use crate::executor::{Executor, JobFailure};
use crate::process::{self, ProcessSpec};
pub use crate::process::{Isolation, TAIL_BYTES};
use crate::remote::RemoteShell;

/// The input of a `command` job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandInput {
    /// What `sh -c` runs.
    pub command: String,
    /// Variables added to (or replacing in) the node's environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Working directory; relative paths are inside the job's workspace, which is the default.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// Where it runs: `local` (this host, the default), or a remote target the executor's [`RemoteShell`]
    /// understands (a server's name, `server:<id>`, `tag:<tag>`).
    #[serde(default)]
    pub target: Option<String>,
    /// How it is isolated; settled when the job is admitted (see the module's documentation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolation: Option<Isolation>,
    /// Whether it may use the network; settled when the job is admitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<bool>,
}

/// The target of this host.
pub const LOCAL_TARGET: &str = "local";

/// The longest target name, in characters.
const MAX_TARGET_CHARS: usize = 100;

/// Runs shell commands on the local host, in its sandbox, and on remote targets through a [`RemoteShell`].
#[derive(Clone, Default)]
pub struct CommandExecutor {
    user_network: bool,
    remote: Option<Arc<dyn RemoteShell>>,
}

impl fmt::Debug for CommandExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandExecutor")
            .field("user_network", &self.user_network)
            .field("remote", &self.remote.is_some())
            .finish()
    }
}

/// Whether `input` runs somewhere other than this host.
fn is_remote(input: &CommandInput) -> bool {
    input.target.as_deref().is_some_and(|t| t != LOCAL_TARGET)
}

impl CommandExecutor {
    /// The executor of kind `command`; ordinary users' commands get no network.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether ordinary users' commands may ask for the network (`network: true`).
    pub fn with_user_network(mut self, allowed: bool) -> Self {
        self.user_network = allowed;
        self
    }

    /// Runs commands with a remote `target` through `remote`; without one, only `local` is accepted.
    pub fn with_remote(mut self, remote: Arc<dyn RemoteShell>) -> Self {
        self.remote = Some(remote);
        self
    }

    fn parse(&self, input: &Value) -> Result<CommandInput, Error> {
        let parsed = parse(input)?;
        if let Some(target) = parsed.target.as_deref().filter(|_| is_remote(&parsed)) {
            if self.remote.is_none() {
                return Err(Error::invalid_field(
                    "target",
                    "value_error",
                    "only the local host can run commands on this node (target \"local\")",
                ));
            }
            if target.trim().is_empty()
                || target.chars().count() > MAX_TARGET_CHARS
                || target.chars().any(char::is_control)
            {
                return Err(Error::invalid_field(
                    "target",
                    "value_error",
                    format!("target must be 1 to {MAX_TARGET_CHARS} characters without control characters"),
                ));
            }
        }
        Ok(parsed)
    }

    /// The isolation and network `principal`'s input gets here, or why it may not run.
    fn settle(
        &self,
        principal: &Principal,
        sandbox: &Availability,
        input: &CommandInput,
    ) -> Result<(Isolation, bool), Error> {
        if !sandbox.is_available() {
            if !principal.is_admin() {
                return Err(Error::Forbidden(sandbox.refusal()));
            }
            return match input.isolation {
                None | Some(Isolation::Host) => Ok((Isolation::Host, input.network.unwrap_or(true))),
                Some(_) => Err(Error::invalid_field(
                    "isolation",
                    "value_error",
                    format!("the sandbox is unavailable on this node: {}", sandbox.reason().unwrap_or_default()),
                )),
            };
        }
        if principal.is_admin() {
            return Ok((input.isolation.unwrap_or(Isolation::SandboxAsNode), input.network.unwrap_or(true)));
        }
        if input.isolation.is_some_and(|i| i != Isolation::Sandbox) {
            return Err(Error::Forbidden(
                "only administrators may run commands outside the sandbox or as the node's user".into(),
            ));
        }
        if input.network == Some(true) && !self.user_network {
            return Err(Error::Forbidden("only administrators may give commands network access".into()));
        }
        let inside = input.cwd.as_deref().is_none_or(|c| {
            c.components().all(|p| matches!(p, std::path::Component::Normal(_) | std::path::Component::CurDir))
        });
        if !inside {
            return Err(Error::invalid_field(
                "cwd",
                "value_error",
                "cwd must be a relative path inside the job's workspace",
            ));
        }
        Ok((Isolation::Sandbox, input.network.unwrap_or(false)))
    }
}

fn parse(input: &Value) -> Result<CommandInput, Error> {
    let parsed: CommandInput = serde_json::from_value(input.clone())
        .map_err(|e| Error::invalid_field("input", "value_error", format!("invalid command input: {e}")))?;
    if parsed.command.trim().is_empty() {
        return Err(Error::invalid_field("command", "value_error", "command must not be empty"));
    }
    if let Some(bad) = parsed.env.keys().find(|k| k.is_empty() || k.contains(['=', '\0'])) {
        return Err(Error::invalid_field("env", "value_error", format!("invalid environment variable name {bad:?}")));
    }
    if parsed.command.contains('\0') || parsed.env.values().any(|v| v.contains('\0')) {
        return Err(Error::invalid_field("command", "value_error", "command and environment must not contain NUL"));
    }
    Ok(parsed)
}

impl Executor for CommandExecutor {
    fn kind(&self) -> &'static str {
        "command"
    }

    fn admit(&self, principal: &Principal, sandbox: &Availability, input: &mut Value) -> Result<(), Error> {
        let parsed = self.parse(input)?;
        if is_remote(&parsed) {
            // The local sandbox does not apply there; the remote shell checks who may reach the target.
            return Ok(());
        }
        let (isolation, network) = self.settle(principal, sandbox, &parsed)?;
        if let Some(fields) = input.as_object_mut() {
            fields.insert("isolation".into(), json!(isolation));
            fields.insert("network".into(), json!(network));
        }
        Ok(())
    }

    fn validate(&self, input: &Value) -> Result<(), Error> {
        self.parse(input).map(|_| ())
    }

    async fn run(&self, ctx: JobContext) -> Result<Value, JobFailure> {
        let input = self.parse(ctx.input()).map_err(|e| JobFailure::fatal(e.to_string()))?;
        if let (Some(remote), Some(target)) = (&self.remote, input.target.as_deref().filter(|_| is_remote(&input))) {
            return remote.run(&ctx, target, &input).await;
        }
        let cwd = match &input.cwd {
            Some(dir) => ctx.workspace().join(dir),
            None => ctx.workspace().to_path_buf(),
        };
        let sandboxed = slipway_sandbox::current().is_some_and(|s| s.availability.is_available());
        // Inputs nobody admitted (system jobs, schedules from before the sandbox) run as an administrator's.
        let isolation = input.isolation.unwrap_or(if sandboxed { Isolation::SandboxAsNode } else { Isolation::Host });
        let mut spec = ProcessSpec::new(&ctx, input.command.clone(), isolation, input.network.unwrap_or(true));
        spec.spec.cwd = cwd;
        spec.spec.env = input.env.clone();
        let outcome = process::run(&ctx, spec).await?;
        let output = json!({
            "exit_code": outcome.exit_code,
            "isolation": isolation.as_str(),
            "signal": outcome.signal,
            "duration_ms": outcome.duration_ms(),
            "stdout": outcome.stdout,
            "stderr": outcome.stderr,
            "stdout_truncated": outcome.stdout_truncated,
            "stderr_truncated": outcome.stderr_truncated,
        });
        match (outcome.exit_code, outcome.signal) {
            (Some(0), _) => Ok(output),
            (Some(code), _) => Err(JobFailure::fatal(format!("command exited with code {code}")).with_output(output)),
            (None, Some(sig)) => Err(JobFailure::fatal(format!("command killed by signal {sig}")).with_output(output)),
            (None, None) => Err(JobFailure::fatal("command ended without an exit status").with_output(output)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_validated_by_field() {
        assert!(parse(&json!({"command": "echo hi", "env": {"A": "1"}, "cwd": "sub"})).is_ok());
        let field = |v: Value| parse(&v).unwrap_err().field_errors()[0].field();
        assert_eq!(field(json!({"command": "  "})), "command");
        assert_eq!(field(json!({"command": "x", "env": {"A=B": "1"}})), "env");
        assert_eq!(field(json!({"cmd": "x"})), "input");
        assert!(parse(&json!({"command": "x", "target": "local"})).is_ok());
    }

    struct Nowhere;

    impl RemoteShell for Nowhere {
        fn run<'a>(&'a self, _: &'a JobContext, _: &'a str, _: &'a CommandInput) -> crate::remote::RemoteRun<'a> {
            Box::pin(async { Err(JobFailure::fatal("nowhere")) })
        }
    }

    #[test]
    fn remote_targets_need_a_remote_shell_and_a_sane_name() {
        let local = CommandExecutor::new();
        let field = |e: &CommandExecutor, v: Value| e.parse(&v).unwrap_err().field_errors()[0].field().to_owned();
        assert_eq!(field(&local, json!({"command": "x", "target": "server-7"})), "target");
        let remote = CommandExecutor::new().with_remote(Arc::new(Nowhere));
        assert!(remote.parse(&json!({"command": "x", "target": "web-1"})).is_ok());
        assert!(remote.parse(&json!({"command": "x", "target": "tag:prod"})).is_ok());
        assert_eq!(field(&remote, json!({"command": "x", "target": " "})), "target");
        assert_eq!(field(&remote, json!({"command": "x", "target": "a\nb"})), "target");
        assert_eq!(field(&remote, json!({"command": "x", "target": "t".repeat(101)})), "target");
    }

    #[test]
    fn remote_commands_are_admitted_without_the_local_sandbox() {
        let user = Principal { user_id: 2, username: "ann".into(), role: slipway_core::Role::User };
        let unavailable = Availability::Unavailable("no bubblewrap here".into());
        let remote = CommandExecutor::new().with_remote(Arc::new(Nowhere));
        let mut input = json!({"command": "uptime", "target": "web-1"});
        assert!(remote.admit(&user, &unavailable, &mut input).is_ok());
        assert!(input.get("isolation").is_none(), "no local isolation is settled for a remote command");
        let mut local = json!({"command": "uptime"});
        assert!(remote.admit(&user, &unavailable, &mut local).is_err(), "local commands still need the sandbox");
    }
}
