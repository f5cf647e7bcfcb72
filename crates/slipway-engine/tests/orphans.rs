//! A node starting on a host kills what dead nodes' commands left behind there (their recorded process
//! groups), checking the start time first, and leaves live nodes' groups alone. On both backends.
#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::process::CommandExt;
use std::time::Duration;

use common::Harness;
use slipway_sandbox::{HostIdentity, start_ticks};
use slipway_store::process_groups::NewProcessGroup;
use slipway_store::{Db, backend_tests};

/// `sh -c "sleep <marker> & wait"` in a group of its own; returns the shell (the group leader).
fn group_with_a_sleeping_child(marker: &str) -> std::process::Child {
    std::process::Command::new("/bin/sh")
        .args(["-c", &format!("sleep {marker} & wait")])
        .process_group(0)
        .spawn()
        .unwrap()
}

/// Pids whose command line mentions `marker`.
fn running(marker: &str) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
            !zombie
                && std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains(marker))
        })
        .collect()
}

fn record(pgid: u32, node_pid: i32, node_start_ticks: u64) -> NewProcessGroup {
    let host = HostIdentity::current().unwrap();
    let pgid = i32::try_from(pgid).unwrap();
    NewProcessGroup {
        job_id: 1,
        attempt: 1,
        node: "node-gone".into(),
        node_pid,
        node_start_ticks: i64::try_from(node_start_ticks).unwrap(),
        hostname: host.hostname,
        boot_id: host.boot_id,
        pgid,
        start_ticks: i64::try_from(start_ticks(pgid).unwrap()).unwrap(),
        created_at: slipway_core::time::now(),
    }
}

backend_tests! {
    async fn a_starting_node_kills_what_dead_nodes_commands_left_behind(db: Db) {
        let nonce = uuid::Uuid::new_v4().as_u128() % 1_000_000;
        let (dead_marker, live_marker) = (format!("3001.{nonce}"), format!("3002.{nonce}"));
        let mut orphan = group_with_a_sleeping_child(&dead_marker);
        let mut kept = group_with_a_sleeping_child(&live_marker);
        tokio::time::sleep(Duration::from_millis(200)).await;
        // A node that is gone: a process that has exited.
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        let gone_pid = i32::try_from(gone.id()).unwrap();
        gone.wait().unwrap();
        let dead = db.insert_process_group(&record(orphan.id(), gone_pid, 12345)).await.unwrap();
        let me = i32::try_from(std::process::id()).unwrap();
        let live = db.insert_process_group(&record(kept.id(), me, start_ticks(me).unwrap())).await.unwrap();
        // The dead node's shell died with it (its parent-death signal); its `sleep` child lives on in the group.
        orphan.kill().unwrap();
        orphan.wait().unwrap();
        assert_eq!(running(&dead_marker).len(), 1, "the orphaned sleep runs before the sweep");

        let h = Harness::start(db.clone()).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(running(&dead_marker).is_empty(), "the dead node's leftovers were killed");
        assert_eq!(running(&live_marker).len(), 2, "a live node's command is left alone");
        let host = HostIdentity::current().unwrap().hostname;
        let ids: Vec<i64> = db.process_groups_on_host(&host).await.unwrap().into_iter().map(|g| g.id).collect();
        assert!(!ids.contains(&dead) && ids.contains(&live), "{ids:?}");
        db.delete_process_group(live).await.unwrap();
        nix::sys::signal::killpg(nix::unistd::Pid::from_raw(i32::try_from(kept.id()).unwrap()), nix::sys::signal::Signal::SIGKILL).unwrap();
        kept.wait().unwrap();
        h.stop().await;
    }
}
