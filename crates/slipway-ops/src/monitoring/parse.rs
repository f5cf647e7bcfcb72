//! The collection script and its parser: one `sh` script prints `/proc/stat`, `/proc/meminfo`,
//! `/proc/loadavg`, `/proc/net/dev`, `df -P` and `/proc/uptime`, each after a marker line; pure functions turn
//! that text into a [`Reading`] and, with the previous tick's [`Counters`], into a sample (CPU use and network
//! rates are differences between two ticks).

use slipway_store::ops::SampleRecord;

/// The marker that starts a section of the script's output.
pub(super) const MARK: &str = "@@slipway-monitor:";

/// The script run once per tick and server.
pub const SCRIPT: &str = "m=@@slipway-monitor:; \
     echo ${m}stat; cat /proc/stat; echo ${m}meminfo; cat /proc/meminfo; echo ${m}loadavg; cat /proc/loadavg; \
     echo ${m}netdev; cat /proc/net/dev; echo ${m}df; df -P 2>/dev/null; echo ${m}uptime; cat /proc/uptime; \
     echo ${m}end";

/// File systems that hold no user data.
const PSEUDO_FS: [&str; 12] =
    ["tmpfs", "devtmpfs", "udev", "shm", "none", "proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "efivarfs"];

/// One mount's space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disk {
    /// Where it is mounted.
    pub mount: String,
    /// Bytes used.
    pub used: i64,
    /// Bytes in all.
    pub total: i64,
}

/// Cumulative counters: what rates are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// When they were read (epoch ms).
    pub at_ms: i64,
    /// CPU time, all states, jiffies.
    pub cpu_total: u64,
    /// CPU time idle or waiting for I/O, jiffies.
    pub cpu_idle: u64,
    /// Bytes received, all interfaces but loopback.
    pub rx: u64,
    /// Bytes sent.
    pub tx: u64,
}

impl Counters {
    /// As stored between ticks: `at_ms cpu_total cpu_idle rx tx`.
    pub fn encode(&self) -> String {
        format!("{} {} {} {} {}", self.at_ms, self.cpu_total, self.cpu_idle, self.rx, self.tx)
    }

    /// Reads [`Self::encode`]'s text; `None` when it is not that.
    pub fn decode(text: &str) -> Option<Self> {
        let v: Vec<&str> = text.split_whitespace().collect();
        let [at, total, idle, rx, tx] = v.as_slice() else { return None };
        Some(Self {
            at_ms: at.parse().ok()?,
            cpu_total: total.parse().ok()?,
            cpu_idle: idle.parse().ok()?,
            rx: rx.parse().ok()?,
            tx: tx.parse().ok()?,
        })
    }
}

/// One reading of a server, before differences.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The counters read now.
    pub counters: Counters,
    /// `MemTotal`, bytes.
    pub memory_total: i64,
    /// `MemTotal − MemAvailable`, bytes.
    pub memory_used: i64,
    /// Load averages over 1, 5 and 15 minutes.
    pub load: [f64; 3],
    /// Real file systems.
    pub disks: Vec<Disk>,
    /// Seconds since boot.
    pub uptime_secs: i64,
    /// Sections that were missing or unreadable (a partial answer: the server counts as degraded).
    pub missing: Vec<&'static str>,
}

fn sections(text: &str) -> Vec<(&str, Vec<&str>)> {
    let mut out: Vec<(&str, Vec<&str>)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix(MARK) {
            out.push((name.trim(), Vec::new()));
        } else if let Some((_, lines)) = out.last_mut() {
            lines.push(line);
        }
    }
    out
}

/// `(total, idle)` jiffies from `/proc/stat`'s `cpu` line (guest time is already counted in user time).
pub fn parse_stat(lines: &[&str]) -> Option<(u64, u64)> {
    let line = lines.iter().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line.split_whitespace().skip(1).map_while(|f| f.parse().ok()).collect();
    if v.len() < 4 {
        return None;
    }
    let total: u64 = v.iter().take(8).sum();
    let idle = v[3] + v.get(4).copied().unwrap_or(0);
    Some((total, idle))
}

/// `(total, used)` bytes from `/proc/meminfo` (used = MemTotal − MemAvailable; on kernels without
/// MemAvailable, free + buffers + cached count as available).
pub fn parse_meminfo(lines: &[&str]) -> Option<(i64, i64)> {
    let field = |name: &str| -> Option<i64> {
        let line = lines.iter().find(|l| l.split(':').next() == Some(name))?;
        let kb: i64 = line.split(':').nth(1)?.split_whitespace().next()?.parse().ok()?;
        Some(kb.saturating_mul(1024))
    };
    let total = field("MemTotal")?;
    let available = field("MemAvailable")
        .or_else(|| Some(field("MemFree")? + field("Buffers").unwrap_or(0) + field("Cached").unwrap_or(0)))?;
    Some((total, (total - available).clamp(0, total)))
}

/// The three load averages from `/proc/loadavg`.
pub fn parse_loadavg(lines: &[&str]) -> Option<[f64; 3]> {
    let v: Vec<f64> = lines.first()?.split_whitespace().take(3).map_while(|f| f.parse().ok()).collect();
    match v.as_slice() {
        [a, b, c] => Some([*a, *b, *c]),
        _ => None,
    }
}

/// `(received, sent)` bytes over every interface but loopback, from `/proc/net/dev`.
pub fn parse_netdev(lines: &[&str]) -> Option<(u64, u64)> {
    let mut seen = false;
    let (mut rx, mut tx) = (0u64, 0u64);
    for line in lines {
        let Some((name, rest)) = line.split_once(':') else { continue };
        let name = name.trim();
        if name.contains('|') || name.is_empty() {
            continue;
        }
        let v: Vec<u64> = rest.split_whitespace().map_while(|f| f.parse().ok()).collect();
        if v.len() < 9 {
            continue;
        }
        seen = true;
        if name != "lo" {
            rx = rx.saturating_add(v[0]);
            tx = tx.saturating_add(v[8]);
        }
    }
    seen.then_some((rx, tx))
}

/// Real file systems from `df -P` (the block size read from its header), each device once.
pub fn parse_df(lines: &[&str]) -> Option<Vec<Disk>> {
    let header = lines.first()?;
    let block: i64 = header.split_whitespace().nth(1)?.strip_suffix("-blocks")?.parse().ok()?;
    let mut devices: Vec<&str> = Vec::new();
    let mut disks = Vec::new();
    for line in &lines[1..] {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 6 {
            continue;
        }
        let (Ok(total), Ok(used)) = (f[1].parse::<i64>(), f[2].parse::<i64>()) else { continue };
        if total == 0 || PSEUDO_FS.contains(&f[0]) || devices.contains(&f[0]) {
            continue;
        }
        devices.push(f[0]);
        let mount = f[5..].join(" ");
        disks.push(Disk { mount, used: used.saturating_mul(block), total: total.saturating_mul(block) });
    }
    Some(disks)
}

/// Seconds since boot from `/proc/uptime`.
pub fn parse_uptime(lines: &[&str]) -> Option<i64> {
    let secs: f64 = lines.first()?.split_whitespace().next()?.parse().ok()?;
    Some(secs as i64)
}

/// Reads the script's output taken at `at_ms`; an error saying why when the output ended early or lacks the CPU or
/// memory section: that is not an answer from the script.
pub fn parse_reading(text: &str, at_ms: i64) -> Result<Reading, String> {
    let s = sections(text);
    let get = |name: &str| s.iter().find(|(n, _)| *n == name).map(|(_, l)| l.as_slice());
    if get("end").is_none() {
        return Err("the collection script's output ended early".into());
    }
    let mut missing = Vec::new();
    let (cpu_total, cpu_idle) = get("stat").and_then(parse_stat).ok_or("no CPU counters in /proc/stat")?;
    let (memory_total, memory_used) = get("meminfo").and_then(parse_meminfo).ok_or("no MemTotal in /proc/meminfo")?;
    let load = get("loadavg").and_then(parse_loadavg).unwrap_or_else(|| {
        missing.push("loadavg");
        [0.0; 3]
    });
    let (rx, tx) = get("netdev").and_then(parse_netdev).unwrap_or_else(|| {
        missing.push("netdev");
        (0, 0)
    });
    let disks = get("df").and_then(parse_df).unwrap_or_else(|| {
        missing.push("df");
        Vec::new()
    });
    let uptime_secs = get("uptime").and_then(parse_uptime).unwrap_or_else(|| {
        missing.push("uptime");
        0
    });
    let counters = Counters { at_ms, cpu_total, cpu_idle, rx, tx };
    Ok(Reading { counters, memory_total, memory_used, load, disks, uptime_secs, missing })
}

fn percent(part: f64, whole: f64) -> f64 {
    if whole <= 0.0 { 0.0 } else { (100.0 * part / whole).clamp(0.0, 100.0) }
}

/// The sample of `reading` on `server_id` by `node`: CPU use and rates from `previous` when it is an earlier
/// reading of the same counters (a reboot resets them: then there is no rate this tick).
pub fn sample(server_id: i64, node: &str, reading: &Reading, previous: Option<Counters>) -> SampleRecord {
    let now = reading.counters;
    let prev =
        previous.filter(|p| p.at_ms < now.at_ms && p.cpu_total <= now.cpu_total && p.rx <= now.rx && p.tx <= now.tx);
    let cpu_percent = prev.and_then(|p| {
        let total = now.cpu_total - p.cpu_total;
        let idle = now.cpu_idle.saturating_sub(p.cpu_idle).min(total);
        (total > 0).then(|| percent((total - idle) as f64, total as f64))
    });
    let rates = prev.map(|p| {
        let secs = (now.at_ms - p.at_ms) as f64 / 1000.0;
        ((now.rx - p.rx) as f64 / secs, (now.tx - p.tx) as f64 / secs)
    });
    let disk_used: i64 = reading.disks.iter().map(|d| d.used).sum();
    let disk_total: i64 = reading.disks.iter().map(|d| d.total).sum();
    let disks: Vec<serde_json::Value> =
        reading.disks.iter().map(|d| serde_json::json!({"mount": d.mount, "used": d.used, "total": d.total})).collect();
    SampleRecord {
        server_id,
        at_ms: now.at_ms,
        node: node.to_owned(),
        cpu_percent,
        memory_used: reading.memory_used,
        memory_total: reading.memory_total,
        memory_percent: percent(reading.memory_used as f64, reading.memory_total as f64),
        load1: reading.load[0],
        load5: reading.load[1],
        load15: reading.load[2],
        rx_bps: rates.map(|r| r.0),
        tx_bps: rates.map(|r| r.1),
        net_bps: rates.map(|r| r.0 + r.1),
        disk_used,
        disk_total,
        disk_percent: percent(disk_used as f64, disk_total as f64),
        disks: serde_json::Value::Array(disks).to_string(),
        uptime_secs: reading.uptime_secs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPTURED: &str = "@@slipway-monitor:stat
cpu  4705 150 1120 16250 520 0 25 0 0 0
cpu0 2350 75 560 8125 260 0 12 0 0 0
intr 114930548 113199788 3 0 5 263 0 4 [...]
@@slipway-monitor:meminfo
MemTotal:        8048604 kB
MemFree:          405712 kB
MemAvailable:    4019480 kB
Buffers:          209100 kB
Cached:          3177832 kB
@@slipway-monitor:loadavg
0.52 0.58 0.59 1/389 12345
@@slipway-monitor:netdev
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 9000000   12000    0    0    0     0          0         0  9000000   12000    0    0    0     0       0          0
  eth0: 1000000    5000    0    0    0     0          0         0   200000    3000    0    0    0     0       0          0
 wlan0:  500000    1000    0    0    0     0          0         0   100000     800    0    0    0     0       0          0
@@slipway-monitor:df
Filesystem     1024-blocks     Used Available Capacity Mounted on
/dev/sda1         41152832 20576416  18462080      53% /
tmpfs              4024300        0   4024300       0% /dev/shm
/dev/sdb1         10000000  2500000   7500000      25% /srv/my data
/dev/sda1         41152832 20576416  18462080      53% /var/lib/docker
@@slipway-monitor:uptime
3600.53 7000.10
@@slipway-monitor:end
";

    #[test]
    fn each_section_parses_from_captured_text() {
        let r = parse_reading(CAPTURED, 10_000).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.counters.cpu_total, r.counters.cpu_idle), (4705 + 150 + 1120 + 16250 + 520 + 25, 16250 + 520));
        assert_eq!(r.memory_total, 8_048_604 * 1024);
        assert_eq!(r.memory_used, (8_048_604 - 4_019_480) * 1024, "used is MemTotal − MemAvailable");
        assert_eq!(r.load, [0.52, 0.58, 0.59]);
        assert_eq!((r.counters.rx, r.counters.tx), (1_500_000, 300_000), "loopback is not traffic");
        assert_eq!(r.disks.len(), 2, "tmpfs and the second mount of one device are left out: {:?}", r.disks);
        assert_eq!(r.disks[1], Disk { mount: "/srv/my data".into(), used: 2_500_000 * 1024, total: 10_000_000 * 1024 });
        assert_eq!(r.uptime_secs, 3600);
        assert!(r.missing.is_empty());
    }

    #[test]
    fn cpu_and_rates_are_differences_between_two_ticks() {
        let first = parse_reading(CAPTURED, 10_000).unwrap_or_else(|e| panic!("{e}"));
        let s = sample(7, "n1", &first, None);
        assert_eq!((s.cpu_percent, s.rx_bps, s.net_bps), (None, None, None), "nothing to compare with yet");
        assert!((s.memory_percent - 100.0 * 4_029_124.0 / 8_048_604.0).abs() < 1e-9);
        let mut second = first.clone();
        second.counters = Counters {
            at_ms: 12_000,
            cpu_total: first.counters.cpu_total + 400,
            cpu_idle: first.counters.cpu_idle + 100,
            rx: 1_500_000 + 4000,
            tx: 300_000 + 2000,
        };
        let s = sample(7, "n1", &second, Some(first.counters));
        assert_eq!(s.cpu_percent, Some(75.0));
        assert_eq!((s.rx_bps, s.tx_bps, s.net_bps), (Some(2000.0), Some(1000.0), Some(3000.0)));
        assert_eq!((s.disk_used, s.disk_total), ((20_576_416 + 2_500_000) * 1024, (41_152_832 + 10_000_000) * 1024));
        // A reboot resets the counters: no rate rather than a negative one.
        let rebooted = Counters { at_ms: 14_000, cpu_total: 10, cpu_idle: 5, rx: 1, tx: 1 };
        let mut third = second.clone();
        third.counters = rebooted;
        assert_eq!(sample(7, "n1", &third, Some(second.counters)).cpu_percent, None);
    }

    #[test]
    fn partial_and_broken_answers_are_told_apart() {
        let no_df =
            CAPTURED.replace("@@slipway-monitor:df\nFilesystem     1024-blocks", "@@slipway-monitor:df\nbroken");
        let r = parse_reading(&no_df, 1).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.missing, ["df"]);
        assert!(parse_reading("@@slipway-monitor:stat\ncpu 1 2 3 4\n", 1).is_err(), "cut short");
        assert!(parse_reading("@@slipway-monitor:end\n", 1).is_err(), "no counters");
        let old_kernel = ["MemTotal: 1000 kB", "MemFree: 100 kB", "Buffers: 50 kB", "Cached: 250 kB"];
        assert_eq!(parse_meminfo(&old_kernel), Some((1_024_000, 600 * 1024)));
        let busybox = ["Filesystem           1K-blocks      Used Available Use% Mounted on"];
        assert_eq!(parse_df(&busybox), None, "not df -P's header");
        let bytes = ["Filesystem 1-blocks Used Available Capacity Mounted on", "/dev/vda 1000 250 750 25% /"];
        assert_eq!(parse_df(&bytes).map(|d| d[0].used), Some(250));
        assert_eq!(
            Counters::decode(&Counters { at_ms: 5, cpu_total: 4, cpu_idle: 3, rx: 2, tx: 1 }.encode()).map(|c| c.rx),
            Some(2)
        );
        assert_eq!(Counters::decode("garbage"), None);
    }
}
