//! Lease-holder names that say which process holds a job: `node-<hostname>-<boot id prefix>-<pid>-<start
//! ticks>-<8 hex>`. A node reading such a name can tell a dead node process on its own host and boot (killed
//! with `kill -9`, say) from a live one, with the same check as the process-group sweep (`orphans.rs`), and
//! take its jobs back at once instead of waiting for their leases. Hostnames may contain `-`, so names are
//! parsed from the right. A name that does not parse (another version's, or a node that could not identify
//! its host) is never treated as dead: its jobs wait for their lease as before.

use slipway_sandbox::{HostIdentity, process_alive, start_ticks};

/// Characters of the boot id kept in a name.
const BOOT_PREFIX: usize = 8;
/// Characters of the hostname kept in a name (Linux allows 64).
const HOSTNAME_MAX: usize = 64;
/// Hex digits of the random suffix.
const SUFFIX: usize = 8;

/// This host and boot, as they appear at the start of its nodes' names: `node-<hostname>-<boot id prefix>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostTag(String);

impl HostTag {
    /// The tag of `host`.
    pub fn of(host: &HostIdentity) -> Self {
        let hostname: String = host.hostname.chars().take(HOSTNAME_MAX).collect();
        let boot: String = host.boot_id.chars().filter(char::is_ascii_hexdigit).take(BOOT_PREFIX).collect();
        Self(format!("node-{hostname}-{boot}"))
    }

    /// The tag of this host now; `None` when its identity cannot be read.
    pub fn current() -> Option<Self> {
        HostIdentity::current().ok().map(|h| Self::of(&h))
    }

    /// The name of node process `pid` (started at `ticks`) on this host, ending in `suffix` (8 hex digits).
    pub fn node_name(&self, pid: i32, ticks: u64, suffix: &str) -> String {
        format!("{}-{pid}-{ticks}-{suffix}", self.0)
    }

    /// Whether `holder` names a node process of this host and boot that is no longer alive. Names that do
    /// not parse, of other hosts or boots, or of live processes are not dead.
    pub fn names_dead_process(&self, holder: &str) -> bool {
        match parse(holder) {
            Some((tag, pid, ticks)) => tag == self.0 && !process_alive(pid, ticks),
            None => false,
        }
    }
}

/// Splits a holder name into its host tag, pid and start ticks.
fn parse(holder: &str) -> Option<(&str, i32, u64)> {
    let mut parts = holder.rsplitn(4, '-');
    let suffix = parts.next()?;
    let ticks = parts.next()?.parse::<u64>().ok()?;
    let pid = parts.next()?.parse::<i32>().ok().filter(|p| *p > 0)?;
    let tag = parts.next()?;
    let (host, boot) = tag.rsplit_once('-')?;
    let hex = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_hexdigit());
    (host.starts_with("node-") && hex(boot, BOOT_PREFIX) && hex(suffix, SUFFIX)).then_some((tag, pid, ticks))
}

/// A fresh name for this node process, and the tag of its host; falls back to `node-<pid>-<8 hex>` (which no
/// node treats as dead) when the host or the process start time cannot be read.
pub(crate) fn this_node() -> (String, Option<HostTag>) {
    let suffix = uuid::Uuid::new_v4().simple().to_string()[..SUFFIX].to_owned();
    let pid = std::process::id();
    let tag = HostTag::current();
    let ticks = i32::try_from(pid).ok().and_then(|p| Some((p, start_ticks(p)?)));
    match (&tag, ticks) {
        (Some(tag), Some((pid, ticks))) => (tag.node_name(pid, ticks, &suffix), Some(tag.clone())),
        _ => (format!("node-{pid}-{suffix}"), tag),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn host(hostname: &str) -> HostIdentity {
        HostIdentity { hostname: hostname.into(), boot_id: "0a1b2c3d-4e5f-6789-abcd-ef0123456789".into() }
    }

    #[test]
    fn names_parse_from_the_right_even_with_dashes_in_the_hostname() {
        let tag = HostTag::of(&host("build-box-7"));
        let name = tag.node_name(4242, 987_654, "deadbeef");
        assert_eq!(name, "node-build-box-7-0a1b2c3d-4242-987654-deadbeef");
        assert_eq!(parse(&name), Some(("node-build-box-7-0a1b2c3d", 4242, 987_654)));
    }

    #[test]
    fn other_shapes_do_not_parse() {
        for name in [
            "node-4242-deadbeef",
            "crashed-node",
            "",
            "node-h-0a1b2c3d-0-1-deadbeef",
            "node-h-0a1b2c3d--1-1-deadbeef",
            "node-h-0a1b2c3d-12-x-deadbeef",
            "node-h-0a1b2c-12-1-deadbeef",
            "node-h-0a1b2c3d-12-1-beef",
            "worker-h-0a1b2c3d-12-1-deadbeef",
        ] {
            assert_eq!(parse(name), None, "{name}");
        }
    }

    #[test]
    fn only_dead_processes_of_this_host_and_boot_are_dead() {
        let here = HostIdentity::current().unwrap();
        let tag = HostTag::of(&here);
        let me = i32::try_from(std::process::id()).unwrap();
        let ticks = start_ticks(me).unwrap();
        assert!(!tag.names_dead_process(&tag.node_name(me, ticks, "deadbeef")), "this live process");
        assert!(tag.names_dead_process(&tag.node_name(me, ticks + 1, "deadbeef")), "an earlier process with my pid");
        let elsewhere = HostTag::of(&HostIdentity { hostname: format!("{}-other", here.hostname), ..here.clone() });
        assert!(!tag.names_dead_process(&elsewhere.node_name(me, ticks + 1, "deadbeef")), "another host");
        let other_boot = HostTag::of(&HostIdentity { boot_id: "ffffffff-0000".into(), ..here });
        assert!(!tag.names_dead_process(&other_boot.node_name(me, ticks + 1, "deadbeef")), "another boot");
        assert!(!tag.names_dead_process("crashed-node"));
    }

    #[test]
    fn long_hostnames_are_cut() {
        let tag = HostTag::of(&host(&"h".repeat(300)));
        assert!(tag.node_name(1, 1, "deadbeef").len() < 110);
    }
}
