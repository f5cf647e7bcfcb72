//! The bubblewrap sandbox: how a [`Spec`] becomes a `bwrap … -- prlimit … -- [setpriv …] sh -c` command line,
//! and the probe that says whether it works on this machine.

use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::process::Command;

use crate::host::{SETPRIV, piped};
use crate::spec::{Identity, Spec, safe_env};

/// Where bubblewrap is expected (Debian package `bubblewrap`).
pub const BWRAP: &str = "/usr/bin/bwrap";
/// util-linux's `prlimit`, which sets the limits inside the sandbox.
pub const PRLIMIT: &str = "/usr/bin/prlimit";
/// How long the availability probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the sandbox hides, and where its tools are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxOptions {
    /// Directories no command may see (each is covered by an empty tmpfs): Slipway's data dir, at least.
    /// Workspaces under them are bound back one by one.
    pub hidden: Vec<PathBuf>,
    /// The bubblewrap binary.
    pub bwrap: PathBuf,
    /// The prlimit binary.
    pub prlimit: PathBuf,
    /// The setpriv binary (switching to an unprivileged user when Slipway is root).
    pub setpriv: PathBuf,
}

impl SandboxOptions {
    /// The standard tools, hiding `hidden`.
    pub fn hiding(hidden: impl IntoIterator<Item = PathBuf>) -> Self {
        Self {
            hidden: hidden.into_iter().collect(),
            bwrap: BWRAP.into(),
            prlimit: PRLIMIT.into(),
            setpriv: SETPRIV.into(),
        }
    }
}

/// A working sandbox (see [`crate::Availability::detect`]). Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

#[derive(Debug, PartialEq, Eq)]
struct Inner {
    options: SandboxOptions,
    /// Absolute, resolved hidden directories.
    hidden: Vec<PathBuf>,
    /// Whether Slipway runs as root (no user namespace needed; unprivileged identities possible).
    root: bool,
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}

impl Sandbox {
    /// The sandbox these options describe, unprobed.
    pub(crate) fn unprobed(options: SandboxOptions) -> Result<Self, String> {
        for tool in [&options.bwrap, &options.prlimit] {
            if !tool.is_file() {
                return Err(format!("{} is not installed", tool.display()));
            }
        }
        let root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
        if root && !options.setpriv.is_file() {
            return Err(format!("{} is not installed (needed to drop root in the sandbox)", options.setpriv.display()));
        }
        let hidden: Vec<PathBuf> = options.hidden.iter().map(|p| absolute(p)).collect();
        if hidden.iter().any(|h| h.parent().is_none()) {
            return Err("the root directory cannot be hidden".into());
        }
        Ok(Self { inner: Arc::new(Inner { options, hidden, root }) })
    }

    /// The directories hidden from commands.
    pub fn hidden(&self) -> &[PathBuf] {
        &self.inner.hidden
    }

    /// Whether commands of [`Identity::Unprivileged`] really get a user id of their own (Slipway is root).
    pub fn switches_users(&self) -> bool {
        self.inner.root
    }

    /// The full command line for `spec`.
    pub fn argv(&self, spec: &Spec) -> Vec<OsString> {
        let mut a = Args::default();
        a.push(&self.inner.options.bwrap);
        a.words(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]);
        a.words(["--perms", "1777", "--tmpfs", "/tmp"]);
        if Path::new("/run").is_dir() {
            // Sockets of local services (PostgreSQL, Docker, D-Bus) live here.
            a.words(["--tmpfs", "/run"]);
        }
        let writable: Vec<PathBuf> = std::iter::once(&spec.workspace).chain(&spec.binds).map(|p| absolute(p)).collect();
        let hidden: Vec<&PathBuf> = self.inner.hidden.iter().filter(|h| h.is_dir()).collect();
        for hidden in &hidden {
            a.word("--tmpfs");
            a.push(hidden);
            for place in &writable {
                // Make the way from the hidden dir down to a writable place passable for any user.
                if let Ok(rest) = place.strip_prefix(hidden) {
                    let mut dir = (*hidden).clone();
                    for part in rest.parent().into_iter().flat_map(Path::components) {
                        dir.push(part);
                        a.words(["--perms", "0755", "--dir"]);
                        a.push(&dir);
                    }
                }
            }
        }
        for place in &writable {
            a.word("--bind");
            a.push(place);
            a.push(place);
        }
        for hidden in &hidden {
            a.word("--remount-ro");
            a.push(hidden);
        }
        a.word("--chdir");
        a.push(&absolute(&spec.cwd));
        a.words(["--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"]);
        if !spec.network {
            a.word("--unshare-net");
        }
        if !self.inner.root {
            a.word("--unshare-user");
        }
        a.words(["--die-with-parent", "--new-session", "--cap-drop", "ALL"]);
        let uid = if self.inner.root { spec.identity.uid() } else { None };
        if uid.is_some() {
            a.words(["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]);
        }
        a.word("--clearenv");
        for (k, v) in safe_env(spec) {
            a.word("--setenv");
            a.word(&k);
            a.word(&v);
        }
        a.word("--");
        a.push(&self.inner.options.prlimit);
        let limits = spec.limits;
        if let Some(cpu) = limits.cpu_secs {
            a.word(&format!("--cpu={cpu}"));
        }
        if let Some(bytes) = limits.memory_bytes {
            a.word(&format!("--as={bytes}"));
        }
        if let Some(n) = limits.processes {
            a.word(&format!("--nproc={n}"));
        }
        a.word("--");
        if let Some(uid) = uid {
            a.push(&self.inner.options.setpriv);
            a.words([&format!("--reuid={uid}"), &format!("--regid={uid}"), "--clear-groups", "--no-new-privs", "--"]);
        }
        a.words(["/bin/sh", "-c", &spec.command]);
        a.0
    }

    /// The command for `spec`, ready to spawn: no stdin, piped output, a process group of its own (the
    /// sandbox's outer `bwrap`; the command itself is in a session and PID namespace of its own that dies with
    /// it). Hands the workspace to the command's user first when it gets one of its own (blocking: call it
    /// off the runtime's threads for big workspaces).
    pub fn command(&self, spec: &Spec) -> std::io::Result<Command> {
        if self.inner.root
            && let Some(uid) = spec.identity.uid()
        {
            chown_tree(&spec.workspace, uid)?;
        }
        let argv = self.argv(spec);
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..]).env_clear();
        piped(&mut cmd);
        Ok(cmd)
    }

    /// [`Sandbox::command`] on a blocking thread (handing a big workspace over takes a while).
    pub async fn prepare(&self, spec: &Spec) -> std::io::Result<Command> {
        let (sandbox, spec) = (self.clone(), spec.clone());
        tokio::task::spawn_blocking(move || sandbox.command(&spec)).await.map_err(std::io::Error::other)?
    }

    /// Runs `true` in a throwaway workspace under each hidden directory's stand-in, as each identity the
    /// sandbox uses; `Err` says why it does not work.
    pub(crate) fn probe(&self) -> Result<(), String> {
        let dir = tempfile_dir().map_err(|e| format!("cannot make a probe workspace: {e}"))?;
        let result = (|| {
            for identity in [Identity::Node, Identity::Unprivileged { slot: 0 }] {
                let mut spec = Spec::new(&dir, "test -w . && test -w /tmp", 0);
                spec.identity = identity;
                self.run_probe(&spec)?;
            }
            Ok(())
        })();
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    fn run_probe(&self, spec: &Spec) -> Result<(), String> {
        if self.inner.root
            && let Some(uid) = spec.identity.uid()
        {
            chown_tree(&spec.workspace, uid).map_err(|e| format!("cannot hand the probe workspace over: {e}"))?;
        }
        let argv = self.argv(spec);
        let mut child = std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .env_clear()
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", argv[0].to_string_lossy()))?;
        let started = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => {
                    let mut err = String::new();
                    if let Some(mut pipe) = child.stderr.take() {
                        let _ = std::io::Read::read_to_string(&mut pipe, &mut err);
                    }
                    return Err(format!("the probe run failed ({status}): {}", err.trim()));
                }
                Ok(None) if started.elapsed() > PROBE_TIMEOUT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err("the probe run did not finish in 10 s".into());
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => return Err(format!("cannot wait for the probe run: {e}")),
            }
        }
    }
}

/// A fresh private directory for the probe.
fn tempfile_dir() -> std::io::Result<PathBuf> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let dir = std::env::temp_dir().join(format!("slipway-sandbox-probe-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Gives `dir` and everything in it to `uid` (group too), without following symlinks.
fn chown_tree(dir: &Path, uid: u32) -> std::io::Result<()> {
    std::os::unix::fs::lchown(dir, Some(uid), Some(uid))?;
    if std::fs::symlink_metadata(dir)?.is_dir() {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                chown_tree(&entry.path(), uid)?;
            } else {
                std::os::unix::fs::lchown(entry.path(), Some(uid), Some(uid))?;
            }
        }
    }
    Ok(())
}

#[derive(Default)]
struct Args(Vec<OsString>);

impl Args {
    fn word(&mut self, w: &str) {
        self.0.push(w.into());
    }
    fn words<'a>(&mut self, ws: impl IntoIterator<Item = &'a str>) {
        self.0.extend(ws.into_iter().map(OsString::from));
    }
    fn push(&mut self, p: &Path) {
        self.0.push(p.as_os_str().to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox(hidden: &str, root: bool) -> Sandbox {
        let options = SandboxOptions::hiding([PathBuf::from(hidden)]);
        Sandbox { inner: Arc::new(Inner { hidden: vec![PathBuf::from(hidden)], options, root }) }
    }

    fn text(argv: &[OsString]) -> String {
        argv.iter().map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn the_data_dir_is_hidden_and_the_workspace_bound_back() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().canonicalize().unwrap();
        let d = data.display();
        std::fs::create_dir_all(data.join("workspaces/7")).unwrap();
        let spec = Spec::new(&data.join("workspaces/7"), "make", 7);
        let argv = text(&sandbox(&d.to_string(), true).argv(&spec));
        let hide = argv.find(&format!("--tmpfs {d} ")).unwrap();
        let bind = argv.find(&format!("--bind {d}/workspaces/7 {d}/workspaces/7")).unwrap();
        let seal = argv.find(&format!("--remount-ro {d} ")).unwrap();
        assert!(hide < bind && bind < seal, "{argv}");
        assert!(argv.contains(&format!("--perms 0755 --dir {d}/workspaces ")), "{argv}");
        assert!(argv.contains(&format!("--chdir {d}/workspaces/7 ")));
        assert!(argv.contains("--unshare-net"));
        assert!(argv.contains("--unshare-pid") && argv.contains("--die-with-parent") && argv.contains("--new-session"));
        assert!(argv.contains("--cpu=3600 --as=4294967296 --nproc=256 --"));
        assert!(argv.contains("--reuid=200007 --regid=200007"));
        assert!(argv.ends_with("/bin/sh -c make"));
        assert!(!argv.contains("--unshare-user"), "root needs no user namespace");
    }

    #[test]
    fn network_and_identity_follow_the_spec() {
        let mut spec = Spec::new(Path::new("/w/1"), "true", 1);
        spec.network = true;
        spec.identity = Identity::Node;
        let argv = text(&sandbox("/srv/data", true).argv(&spec));
        assert!(!argv.contains("--unshare-net") && !argv.contains("setpriv") && !argv.contains("CAP_SETUID"));
        let unprivileged = text(&sandbox("/srv/data", false).argv(&Spec::new(Path::new("/w/1"), "true", 1)));
        assert!(unprivileged.contains("--unshare-user") && !unprivileged.contains("setpriv"));
    }
}
