//! The monitoring repository on both backends: monitored rows and their lease (claimed in one conditional
//! UPDATE, renewed by its holder, taken over only once expired or released, never for a deleted server),
//! successes and failures written only by the holder, one open alert per rule and server, and a batch of
//! samples written and read back.
#![allow(clippy::unwrap_used)]

use slipway_core::time::now;
use slipway_store::identity::NewUser;
use slipway_store::ops::{AlertRuleRow, LOCAL_HOST_ID, SampleRecord, ServerRow};
use slipway_store::{Db, backend_tests};

async fn server(db: &Db, name: &str) -> i64 {
    let new = NewUser {
        username: "ann",
        email: "ann@example.com",
        password_hash: "$argon2id$fake",
        role: "admin",
        full_name: "ann",
        email_verified: true,
    };
    let owner = match db.insert_user(&new, now()).await {
        Ok(u) => u.id,
        Err(_) => db.user_by_login("ann").await.unwrap().unwrap().id,
    };
    let row = ServerRow {
        name,
        host: "10.0.0.5",
        port: 22,
        username: "deploy",
        auth_kind: "password",
        credential_sealed: "v1:x",
        jump_host: None,
        address_by_admin: true,
        description: "",
        tags: &[],
    };
    db.insert_server(owner, &row, now()).await.unwrap().id
}

backend_tests! {
    async fn leases_go_to_one_node_until_released_or_expired(db: Db) {
        let (a, b) = (server(&db, "a").await, server(&db, "b").await);
        assert!(db.add_monitored_server(a, None, now()).await.unwrap());
        assert!(!db.add_monitored_server(a, None, now()).await.unwrap(), "added once");
        db.add_monitored_server(b, None, now()).await.unwrap();
        db.add_monitored_server(LOCAL_HOST_ID, None, now()).await.unwrap();
        let ids = |held: Vec<slipway_store::ops::MonitoredRecord>| held.into_iter().map(|m| m.server_id).collect::<Vec<_>>();
        assert_eq!(ids(db.claim_monitor_leases("n1", 1000, 3000).await.unwrap()), [LOCAL_HOST_ID, a, b]);
        assert!(db.claim_monitor_leases("n2", 2000, 3000).await.unwrap().is_empty(), "held by n1");
        assert_eq!(ids(db.claim_monitor_leases("n1", 3500, 3000).await.unwrap()).len(), 3, "renewed by its holder");
        assert!(db.claim_monitor_leases("n2", 6000, 3000).await.unwrap().is_empty(), "renewed until 6500");
        assert_eq!(ids(db.claim_monitor_leases("n2", 6501, 3000).await.unwrap()).len(), 3, "expired: taken over");

        // Only the holder records.
        assert!(!db.record_monitor_success(a, "n1", "online", "1 2 3 4 5", now()).await.unwrap());
        assert!(db.record_monitor_success(a, "n2", "online", "1 2 3 4 5", now()).await.unwrap());
        assert_eq!(db.record_monitor_failure(a, "n1", "tcp step: refused", 2, now()).await.unwrap(), None);
        assert_eq!(db.record_monitor_failure(a, "n2", "tcp step: refused", 2, now()).await.unwrap(), Some(1));
        assert_eq!(db.monitored_server(a).await.unwrap().unwrap().status, "degraded");
        assert_eq!(db.record_monitor_failure(a, "n2", "tcp step: refused", 2, now()).await.unwrap(), Some(2));
        let m = db.monitored_server(a).await.unwrap().unwrap();
        assert_eq!((m.status.as_str(), m.last_error.as_deref(), m.raw_counters.as_deref()), ("offline", Some("tcp step: refused"), Some("1 2 3 4 5")));
        let counts = db.monitor_counts().await.unwrap();
        assert_eq!((counts.servers_total, counts.monitored, counts.offline), (3, 3, 1));

        db.release_monitor_leases("n2").await.unwrap();
        assert_eq!(ids(db.claim_monitor_leases("n1", 7000, 3000).await.unwrap()).len(), 3, "released: free at once");
        assert!(db.delete_server(b).await.unwrap());
        assert_eq!(ids(db.claim_monitor_leases("n1", 8000, 3000).await.unwrap()), [LOCAL_HOST_ID, a], "a deleted server is not collected");
        assert_eq!(db.sweep_unmonitorable().await.unwrap(), 1);
        assert!(db.remove_monitored_server(a).await.unwrap());
        assert!(!db.remove_monitored_server(a).await.unwrap());
    }

    async fn one_alert_is_open_per_rule_and_server(db: Db) {
        let row = AlertRuleRow {
            name: "hot", metric: "cpu", comparison: ">", threshold: 90.0, duration_secs: 60, server_id: None,
            notify_email: None, webhook_url: None, webhook_by_admin: false, enabled: true,
        };
        let new = NewUser { username: "ann", email: "ann@example.com", password_hash: "$argon2id$fake", role: "admin", full_name: "ann", email_verified: true };
        let ann = db.insert_user(&new, now()).await.unwrap().id;
        let rule = db.insert_alert_rule(&row, ann, now()).await.unwrap();
        assert_eq!((rule.metric.as_str(), rule.threshold, rule.enabled), ("cpu", 90.0, true));
        let opened = db.open_alert(rule.id, 7, "cpu", Some(95.0), "hot", now()).await.unwrap().unwrap();
        assert_eq!((opened.status.as_str(), opened.rule_name.as_str()), ("open", "hot"));
        assert!(db.open_alert(rule.id, 7, "cpu", Some(96.0), "hot", now()).await.unwrap().is_none(), "already open");
        db.open_alert(rule.id, 8, "cpu", Some(97.0), "hot", now()).await.unwrap().unwrap();
        assert_eq!(db.list_alerts(Some("open"), 0, 10).await.unwrap().1, 2);
        let resolved = db.resolve_alert(rule.id, 7, now()).await.unwrap().unwrap();
        assert!(resolved.resolved_at.is_some());
        assert!(db.resolve_alert(rule.id, 7, now()).await.unwrap().is_none());
        db.open_alert(rule.id, 7, "cpu", Some(99.0), "hot again", now()).await.unwrap().unwrap();
        let (all, total) = db.list_alerts(None, 0, 10).await.unwrap();
        assert_eq!((total, all[0].message.as_str()), (3, "hot again"));
        let changed = AlertRuleRow { threshold: 80.0, enabled: false, ..row };
        assert_eq!(db.update_alert_rule(rule.id, &changed, now()).await.unwrap().unwrap().threshold, 80.0);
        assert!(db.enabled_alert_rules().await.unwrap().is_empty());
        assert!(db.delete_alert_rule(rule.id).await.unwrap());
        assert_eq!(db.list_alerts(None, 0, 10).await.unwrap().1, 0, "its alerts go with it");
    }

    async fn a_batch_of_samples_is_written_and_read_back(db: Db) {
        let sample = |at_ms: i64| SampleRecord {
            server_id: 3, at_ms, node: "n1".into(), cpu_percent: (at_ms > 0).then_some(12.5), memory_used: 1 << 30,
            memory_total: 1 << 32, memory_percent: 25.0, load1: 0.5, load5: 0.25, load15: 0.125, rx_bps: None,
            tx_bps: None, net_bps: None, disk_used: 10, disk_total: 40, disk_percent: 25.0,
            disks: r#"[{"mount":"/","used":10,"total":40}]"#.into(), uptime_secs: 77,
        };
        let batch: Vec<SampleRecord> = (0..1200).map(|i| sample(i * 1000)).collect();
        db.insert_monitor_samples(&batch).await.unwrap();
        db.insert_monitor_samples(&batch[..10]).await.unwrap();
        assert_eq!(db.count_monitor_samples(3).await.unwrap(), 1200, "in chunks; a sample stored twice is kept once");
        assert_eq!(db.latest_monitor_sample(3).await.unwrap(), Some(sample(1_199_000)));
        assert_eq!(db.monitor_samples(3).await.unwrap()[0], sample(0));
        assert_eq!(db.latest_monitor_sample(4).await.unwrap(), None);
    }
}
