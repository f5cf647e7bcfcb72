//! Commands on the host, for where no sandbox is available (administrators only): `sh -c` in a process group
//! of its own, with the safe environment, tied to the node by `setpriv --pdeathsig KILL` so the shell dies with
//! the node (what it left behind in its group is killed by the next start of a node on this host).

use std::path::Path;
use std::process::Stdio;

use tokio::process::Command;

use crate::spec::{Spec, safe_env};

/// util-linux's `setpriv` (for the parent-death signal and for switching users in the sandbox).
pub const SETPRIV: &str = "/usr/bin/setpriv";

/// The host command for `spec` (its network, identity and limits do not apply: there is nothing to enforce them).
pub fn host_command(spec: &Spec) -> Command {
    let mut cmd = if Path::new(SETPRIV).is_file() {
        let mut c = Command::new(SETPRIV);
        c.args(["--pdeathsig", "KILL", "--", "/bin/sh", "-c"]);
        c
    } else {
        let mut c = Command::new("/bin/sh");
        c.arg("-c");
        c
    };
    cmd.arg(&spec.command).current_dir(&spec.cwd).env_clear().envs(safe_env(spec));
    piped(&mut cmd);
    cmd
}

/// No stdin, piped output, a process group of its own, killed when the handle is dropped.
pub(crate) fn piped(cmd: &mut Command) {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0).kill_on_drop(true);
}
