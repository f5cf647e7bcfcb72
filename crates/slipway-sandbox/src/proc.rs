//! What `/proc` says about processes: start times (to tell a process from a later one with the same pid), the
//! members of a process group, and this host's identity (hostname and boot id).

use std::path::Path;

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// Which machine and which boot a process group was recorded on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostIdentity {
    /// The kernel's hostname.
    pub hostname: String,
    /// `/proc/sys/kernel/random/boot_id`: changes with every boot, so pids of an earlier boot are never trusted.
    pub boot_id: String,
}

impl HostIdentity {
    /// This host now.
    pub fn current() -> std::io::Result<Self> {
        let read = |p: &str| std::fs::read_to_string(p).map(|s| s.trim().to_owned());
        Ok(Self { hostname: read("/proc/sys/kernel/hostname")?, boot_id: read("/proc/sys/kernel/random/boot_id")? })
    }
}

/// The fields of `/proc/<pid>/stat` after the command name: index 0 is field 3 (state).
fn stat_fields(pid: i32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// When process `pid` started, in clock ticks since boot (field 22 of `/proc/<pid>/stat`); `None` when it
/// does not exist.
pub fn start_ticks(pid: i32) -> Option<u64> {
    stat_fields(pid)?.get(19)?.parse().ok()
}

/// Whether process `pid` exists and started at `ticks` (not a zombie).
pub fn process_alive(pid: i32, ticks: u64) -> bool {
    stat_fields(pid).is_some_and(|f| f.first().is_some_and(|s| s != "Z") && f.get(19) == Some(&ticks.to_string()))
}

/// Processes of group `pgid` with their start ticks.
fn members(pgid: i32) -> Vec<(i32, u64)> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let f = stat_fields(pid)?;
            (f.get(2)?.parse::<i32>().ok()? == pgid).then_some((pid, f.get(19)?.parse().ok()?))
        })
        .collect()
}

/// Kills what is left of the process group `pgid` whose leader started at `ticks`, and returns how many
/// processes it signalled. When the leader still runs it must have started at `ticks` (else the pid was
/// reused and nothing is killed); when it is gone, only members started no earlier than it are killed (a
/// group leader's children start after it).
pub fn kill_group_if_started_at(pgid: i32, ticks: u64) -> usize {
    if pgid <= 1 {
        return 0;
    }
    let found = members(pgid);
    match found.iter().find(|(pid, _)| *pid == pgid) {
        Some((_, started)) if *started != ticks => 0,
        Some(_) => {
            let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
            found.len()
        }
        None => found
            .iter()
            .filter(|(_, started)| *started >= ticks)
            .filter(|(pid, _)| kill(Pid::from_raw(*pid), Signal::SIGKILL).is_ok())
            .count(),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt;

    use super::*;

    #[test]
    fn this_process_has_a_start_time_and_a_host() {
        let me = i32::try_from(std::process::id()).unwrap();
        let ticks = start_ticks(me).unwrap();
        assert!(process_alive(me, ticks));
        assert!(!process_alive(me, ticks + 1));
        let host = HostIdentity::current().unwrap();
        assert!(!host.hostname.is_empty() && host.boot_id.len() >= 32);
    }

    #[test]
    fn a_group_is_killed_only_when_its_start_time_matches() {
        let mut child = std::process::Command::new("/bin/sh")
            .args(["-c", "sleep 60 & sleep 60; wait"])
            .process_group(0)
            .spawn()
            .unwrap();
        let pgid = i32::try_from(child.id()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        let ticks = start_ticks(pgid).unwrap();
        assert_eq!(kill_group_if_started_at(pgid, ticks + 1), 0, "a reused pid is left alone");
        assert!(members(pgid).len() >= 2);
        assert_eq!(kill_group_if_started_at(pgid, ticks), 3);
        child.wait().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(members(pgid).iter().all(|(pid, _)| stat_fields(*pid).is_none_or(|f| f[0] == "Z")));
    }
}
