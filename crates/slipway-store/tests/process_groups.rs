//! The process-group records on both backends: recorded, listed per host, removed.
#![allow(clippy::unwrap_used)]

use slipway_core::time::now;
use slipway_store::process_groups::NewProcessGroup;
use slipway_store::{Db, backend_tests};

fn group(job_id: i64, hostname: &str, pgid: i32) -> NewProcessGroup {
    NewProcessGroup {
        job_id,
        attempt: 2,
        node: "node-1-abc".into(),
        node_pid: 4242,
        node_start_ticks: 9_000_000_000,
        hostname: hostname.into(),
        boot_id: "b00t".into(),
        pgid,
        start_ticks: 9_100_000_000,
        created_at: now(),
    }
}

backend_tests! {
    async fn groups_are_recorded_listed_per_host_and_removed(db: Db) {
        let a = db.insert_process_group(&group(7, "here", 100)).await.unwrap();
        let b = db.insert_process_group(&group(8, "here", 200)).await.unwrap();
        db.insert_process_group(&group(9, "elsewhere", 300)).await.unwrap();
        let here = db.process_groups_on_host("here").await.unwrap();
        assert_eq!(here.iter().map(|g| (g.id, g.group.job_id, g.group.pgid)).collect::<Vec<_>>(), [(a, 7, 100), (b, 8, 200)]);
        let first = &here[0].group;
        assert_eq!((first.attempt, first.node.as_str(), first.node_pid), (2, "node-1-abc", 4242));
        assert_eq!((first.node_start_ticks, first.start_ticks, first.boot_id.as_str()), (9_000_000_000, 9_100_000_000, "b00t"));
        db.delete_process_group(a).await.unwrap();
        let left = db.process_groups_on_host("here").await.unwrap();
        assert_eq!(left.iter().map(|g| g.id).collect::<Vec<_>>(), [b]);
    }
}
