//! A real OpenSSH server on loopback for the tests: host and user keys generated with `ssh-keygen` in a temp
//! dir, `/usr/sbin/sshd -D -e -f <config> -p <port>` as a child, killed (with every session process it forked)
//! on drop. `.ci/run` installs `openssh-server`; tests run as root here.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The user `.ci/run` creates for password authentication (no password until a test sets a random one).
pub const PASSWORD_USER: &str = "slipway-ssh-test";

/// A running sshd.
pub struct Sshd {
    dir: tempfile::TempDir,
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Option<Child>,
    /// `(mount point, source)`: what its sessions see at the mount point (a machine of its own there).
    view: Option<(PathBuf, PathBuf)>,
}

fn keygen(path: &Path) {
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(path.with_extension("pub"));
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "slipway-test", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen runs");
    assert!(ok.success(), "ssh-keygen failed");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The name of the user the tests run as (the one key authentication logs in as).
pub fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().expect("id runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Whether the password user exists (`.ci/run` creates it).
pub fn password_user_exists() -> bool {
    Command::new("id")
        .arg(PASSWORD_USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Gives the password user a fresh random password (so no known password ever exists) and returns it.
pub fn set_random_password() -> String {
    let password = format!("pw-{}", uuid_like());
    let mut child = Command::new("chpasswd").stdin(Stdio::piped()).spawn().expect("chpasswd runs");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(format!("{PASSWORD_USER}:{password}\n").as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "chpasswd failed");
    password
}

fn uuid_like() -> String {
    let mut bytes = [0u8; 16];
    use std::io::Read;
    std::fs::File::open("/dev/urandom").unwrap().read_exact(&mut bytes).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sshd {
    /// Generates keys and starts sshd on a free port.
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// Starts sshd in a mount namespace of its own where `mount_point` shows `source`: two such servers on this
    /// one machine see different files at the same path, as two machines would.
    pub fn start_seeing(mount_point: &Path, source: &Path) -> Self {
        std::fs::create_dir_all(mount_point).unwrap();
        std::fs::create_dir_all(source).unwrap();
        Self::start_with(Some((mount_point.to_owned(), source.to_owned())))
    }

    fn start_with(view: Option<(PathBuf, PathBuf)>) -> Self {
        assert!(
            Path::new("/usr/sbin/sshd").exists(),
            "/usr/sbin/sshd is missing: install openssh-server (.ci/run does)"
        );
        let dir = tempfile::tempdir().unwrap();
        keygen(&dir.path().join("host_ed25519"));
        keygen(&dir.path().join("user_ed25519"));
        keygen(&dir.path().join("other_ed25519"));
        std::fs::copy(dir.path().join("user_ed25519.pub"), dir.path().join("authorized_keys")).unwrap();
        let mut me = Self { dir, port: free_port(), child: None, view };
        me.spawn();
        me
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn spawn(&mut self) {
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nAuthorizedKeysFile {keys}\nPidFile {pid}\n\
             UsePAM no\nStrictModes no\nMaxSessions 10\nMaxStartups 100\nPasswordAuthentication yes\n\
             KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nLogLevel ERROR\n",
            port = self.port,
            host = self.path("host_ed25519").display(),
            keys = self.path("authorized_keys").display(),
            pid = self.path("sshd.pid").display(),
        );
        std::fs::write(self.path("sshd_config"), config).unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let mut command = match &self.view {
            None => Command::new("/usr/sbin/sshd"),
            Some((mount_point, source)) => {
                let mut c = Command::new("unshare");
                c.args([
                    "-m",
                    "--propagation",
                    "private",
                    "sh",
                    "-c",
                    "mount --bind \"$1\" \"$2\" && shift 2 && exec \"$@\"",
                    "sh",
                ]);
                c.arg(source).arg(mount_point).arg("/usr/sbin/sshd");
                c
            }
        };
        let child = command
            .args(["-D", "-e", "-f"])
            .arg(self.path("sshd_config"))
            .arg("-p")
            .arg(self.port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.path("sshd.log")).unwrap())
            .spawn()
            .expect("sshd starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "sshd did not listen: {}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What sshd wrote to its log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("sshd.log")).unwrap_or_default()
    }

    /// The private key authorized to log in.
    pub fn user_key(&self) -> String {
        std::fs::read_to_string(self.path("user_ed25519")).unwrap()
    }

    /// A private key that is not authorized.
    pub fn other_key(&self) -> String {
        std::fs::read_to_string(self.path("other_ed25519")).unwrap()
    }

    /// The host key's public half, `<type> <base64>`.
    pub fn host_key(&self) -> String {
        let text = std::fs::read_to_string(self.path("host_ed25519.pub")).unwrap();
        text.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
    }

    /// Kills every session process sshd forked (every open connection drops); sshd itself keeps listening.
    pub fn drop_connections(&self) {
        let Some(pid) = self.child.as_ref().map(Child::id) else { return };
        for p in descendants(pid) {
            let _ = Command::new("kill").args(["-KILL", &p.to_string()]).stderr(Stdio::null()).status();
        }
    }

    /// Stops sshd (and its sessions), gives it a new host key and starts it again on the same port.
    pub fn restart_with_new_host_key(&mut self) {
        self.stop();
        keygen(&self.path("host_ed25519"));
        self.spawn();
    }

    /// Stops sshd and drops its connections (the server becomes unreachable) until [`Self::start_again`].
    pub fn stop_listening(&mut self) {
        self.stop();
    }

    /// Starts sshd again on the same port with the same keys.
    pub fn start_again(&mut self) {
        self.spawn();
    }

    fn stop(&mut self) {
        self.drop_connections();
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Every process below `root`, by parent pid from `/proc`.
pub fn descendants(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (pid, ppid) in processes() {
        children.entry(ppid).or_default().push(pid);
    }
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(p) = stack.pop() {
        for c in children.get(&p).cloned().unwrap_or_default() {
            out.push(c);
            stack.push(c);
        }
    }
    out
}

fn processes() -> Vec<(u32, u32)> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| {
            let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let after = stat.rsplit_once(')')?.1;
            let ppid = after.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid))
        })
        .collect()
}

/// `sleep <seconds>` processes with exactly this argument (the tests' remote commands run on this machine).
pub fn sleeps(seconds: &str) -> Vec<u32> {
    let wanted = format!("sleep\0{seconds}\0");
    processes()
        .into_iter()
        .filter(|(pid, _)| std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == wanted.as_bytes()))
        .map(|(pid, _)| pid)
        .collect()
}
