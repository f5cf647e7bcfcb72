//! Monitoring against a real sshd on loopback, on both backends: a server collected at a 1 s interval yields
//! sane samples (and the Slipway host its own); a stopped sshd turns the status offline and opens an
//! unreachable alert (webhook and e-mail notified) that resolves once sshd is back; roll-ups and retention
//! delete old rows in batches; two collectors on one database never both collect a server, and one takes over
//! when the other stops.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::sshd::{self, Sshd};
use slipway_core::{Principal, Role};
use slipway_ops::monitoring::{LOCAL_HOST_ID, SendMail, epoch_ms};
use slipway_ops::ssh::{SshPool, SshSettings};
use slipway_ops::{Collector, MonitorSettings, Monitoring, NewServer, Notifier, RuleInput, Servers};
use slipway_outbound::OutboundPolicy;
use slipway_store::identity::NewUser;
use slipway_store::ops::{HistoryMetric, HistorySource, SampleRecord};
use slipway_store::{Db, Sealer, backend_tests};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

async fn admin(db: &Db) -> Principal {
    let new = NewUser {
        username: "root",
        email: "root@example.com",
        password_hash: "$argon2id$fake",
        role: "admin",
        full_name: "root",
        email_verified: true,
    };
    let id = db.insert_user(&new, slipway_core::time::now()).await.unwrap().id;
    Principal { user_id: id, username: "root".into(), role: Role::Admin }
}

fn servers(db: &Db, dir: &std::path::Path) -> Servers {
    let settings = SshSettings {
        backoff: Duration::from_millis(50),
        kill_grace: Duration::from_secs(1),
        ..SshSettings::default()
    };
    Servers::new(
        db.clone(),
        Sealer::from_secret("the monitoring tests' secret, 32+ characters"),
        OutboundPolicy::default(),
        SshPool::new(dir, settings),
    )
}

async fn add_server(servers: &Servers, caller: &Principal, sshd: &Sshd, name: &str) -> i64 {
    let new = NewServer {
        name: name.into(),
        host: "127.0.0.1".into(),
        port: Some(i64::from(sshd.port)),
        username: sshd::current_user(),
        private_key: Some(sshd.user_key()),
        ..NewServer::default()
    };
    servers.create(caller, new).await.unwrap().id
}

fn settings(node: &str) -> MonitorSettings {
    MonitorSettings {
        node: node.into(),
        interval: Duration::from_secs(1),
        maintenance_every: Duration::from_secs(3600),
        ..MonitorSettings::default()
    }
}

async fn wait_for<F: std::future::Future<Output = bool>>(what: &str, secs: u64, mut cond: impl FnMut() -> F) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A loopback HTTP endpoint that answers 200 and hands over each request body.
async fn webhook_sink() -> (String, tokio::sync::mpsc::UnboundedReceiver<serde_json::Value>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = sock.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    let Some((head, body)) = text.split_once("\r\n\r\n") else { continue };
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if body.len() >= length {
                        let _ = tx.send(serde_json::from_str(body).unwrap_or_default());
                        let _ =
                            sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
                        return;
                    }
                }
            });
        }
    });
    (url, rx)
}

backend_tests! {
    async fn a_server_is_collected_goes_offline_alerts_and_comes_back(db: Db) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut sshd = Sshd::start();
        let dir = tempfile::tempdir().unwrap();
        let root = admin(&db).await;
        let servers = servers(&db, dir.path());
        let id = add_server(&servers, &root, &sshd, "web-1").await;
        let monitoring = Monitoring::new(db.clone(), servers.clone(), OutboundPolicy::default());
        monitoring.add(&root, id).await.unwrap();
        let (hook, mut hooks) = webhook_sink().await;
        let rule = RuleInput {
            name: Some("web-1 down".into()),
            metric: Some("unreachable".into()),
            threshold: Some(2.0),
            server_id: Some(Some(id)),
            webhook_url: Some(hook),
            notify_email: Some("ops@example.com".into()),
            ..RuleInput::default()
        };
        let rule = monitoring.create_rule(&root, rule).await.unwrap();
        assert_eq!((rule.comparison.as_str(), rule.webhook_by_admin), (">=", true));
        let mails: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
        let sent = Arc::clone(&mails);
        let mail: SendMail = Arc::new(move |to, subject, body| {
            sent.lock().unwrap().push((to, subject, body));
            Box::pin(async { Ok(()) })
        });
        let notifier = Notifier::new(OutboundPolicy::default()).with_mail(mail);
        let stop = CancellationToken::new();
        let running = Collector::new(db.clone(), servers.clone(), notifier, settings("n1")).spawn(stop.clone());

        wait_for("three samples", 30, || async { db.count_monitor_samples(id).await.unwrap() >= 3 }).await;
        let m = monitoring.metrics(&root, id).await.unwrap();
        let cpu = m.cpu_percent.expect("a CPU figure from the second sample on");
        assert!((0.0..=100.0).contains(&cpu), "{m:?}");
        assert!(m.memory_total > 1 << 20 && m.memory_used > 0 && m.memory_used <= m.memory_total, "{m:?}");
        assert!(m.memory_percent > 0.0 && m.memory_percent <= 100.0, "{m:?}");
        assert!(m.load.iter().all(|l| *l >= 0.0) && m.uptime_secs > 0, "{m:?}");
        assert!(m.rx_bps.is_some_and(|r| r >= 0.0) && m.tx_bps.is_some_and(|t| t >= 0.0), "{m:?}");
        assert!(m.disk_total > 0 && !m.disks.is_empty() && m.disk_used <= m.disk_total, "{m:?}");
        assert!((slipway_core::time::now() - m.time).num_seconds() < 10, "{m:?}");
        let samples: Vec<SampleRecord> = db.monitor_samples(id).await.unwrap();
        let gaps: Vec<i64> = samples.windows(2).map(|w| w[1].at_ms - w[0].at_ms).collect();
        assert!(gaps.iter().all(|g| (500..=10_000).contains(g)), "one sample per 1 s tick: {gaps:?}");
        let status = monitoring.status(&root, id).await.unwrap();
        assert_eq!((status.status.as_str(), status.consecutive_failures), ("online", 0), "{status:?}");
        wait_for("a sample of the Slipway host", 10, || async { db.count_monitor_samples(LOCAL_HOST_ID).await.unwrap() >= 2 }).await;
        let host = monitoring.metrics(&root, LOCAL_HOST_ID).await.unwrap();
        assert!(host.memory_total > 0 && host.cpu_percent.is_some(), "{host:?}");
        let history = monitoring.history(&root, id, "1h", "memory").await.unwrap();
        assert!(!history.data.is_empty() && history.data.len() <= 360, "{history:?}");
        assert!(history.data.iter().all(|p| p.avg <= p.max && p.max <= 100.0), "{history:?}");

        // sshd goes away: degraded at the first failure, offline and alerted from the second.
        sshd.stop_listening();
        wait_for("offline", 30, || async { monitoring.status(&root, id).await.unwrap().status == "offline" }).await;
        let status = monitoring.status(&root, id).await.unwrap();
        assert!(status.last_error.as_deref().is_some_and(|e| e.contains("step")), "the error names its step: {status:?}");
        assert!(status.last_seen_at.is_some());
        wait_for("an open alert", 10, || async { monitoring.alerts(&root, Some("open"), 0, 10).await.unwrap().total == 1 }).await;
        let open = monitoring.alerts(&root, Some("open"), 0, 10).await.unwrap().items;
        assert_eq!((open[0].rule_id, open[0].server_id, open[0].metric.as_str()), (rule.id, id, "unreachable"));
        let opened = tokio::time::timeout(Duration::from_secs(10), hooks.recv()).await.unwrap().unwrap();
        assert_eq!((opened["event"].as_str(), opened["alert"]["server_id"].as_i64()), (Some("alert.opened"), Some(id)), "{opened}");
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(monitoring.alerts(&root, None, 0, 10).await.unwrap().total, 1, "still one alert: it does not reopen while down");

        sshd.start_again();
        wait_for("online again", 40, || async { monitoring.status(&root, id).await.unwrap().status == "online" }).await;
        wait_for("the alert resolved", 10, || async { monitoring.alerts(&root, Some("resolved"), 0, 10).await.unwrap().total == 1 }).await;
        assert_eq!(monitoring.alerts(&root, Some("open"), 0, 10).await.unwrap().total, 0);
        let resolved = tokio::time::timeout(Duration::from_secs(10), hooks.recv()).await.unwrap().unwrap();
        assert_eq!(resolved["event"], "alert.resolved", "{resolved}");
        wait_for("both e-mails", 10, || async { mails.lock().unwrap().len() >= 2 }).await;
        let subjects: Vec<String> = mails.lock().unwrap().iter().map(|(to, s, _)| format!("{to} {s}")).collect();
        assert_eq!(subjects, ["ops@example.com [Slipway] alert.opened: web-1 down", "ops@example.com [Slipway] alert.resolved: web-1 down"]);
        let bodies: Vec<String> = mails.lock().unwrap().iter().map(|(_, _, b)| b.clone()).collect();
        assert!(bodies[0].contains("unreachable for 2 collections") && !bodies[0].contains("resolved"), "{bodies:?}");
        assert!(bodies[1].contains(", resolved "), "{bodies:?}");

        stop.cancel();
        running.await.unwrap();
        let m = db.monitored_server(id).await.unwrap().unwrap();
        assert!(m.lease_holder.is_none(), "a stopped collector gives its leases up");
    }

    async fn rollups_and_retention_delete_old_rows_in_batches(db: Db) {
        let dir = tempfile::tempdir().unwrap();
        let servers = servers(&db, dir.path());
        let now = epoch_ms();
        let hour = 3_600_000;
        let three_days_ago = (now - 3 * 86_400_000).div_euclid(hour) * hour;
        let long_ago = (now - 100 * 86_400_000).div_euclid(hour) * hour;
        let sample = |server_id: i64, at_ms: i64, cpu: f64| SampleRecord {
            server_id, at_ms, node: "n1".into(), cpu_percent: Some(cpu), memory_used: 50, memory_total: 100,
            memory_percent: 50.0, load1: 1.0, load5: 1.0, load15: 1.0, rx_bps: Some(10.0), tx_bps: Some(5.0),
            net_bps: Some(15.0), disk_used: 1, disk_total: 4, disk_percent: 25.0, disks: "[]".into(), uptime_secs: 9,
        };
        let mut batch = Vec::new();
        for server in [LOCAL_HOST_ID, 5] {
            // Two hours of 10 s samples three days ago: CPU 10 % in the first hour, 30 % (one spike of 90) in the second.
            for i in 0..720 {
                let cpu = if i == 500 { 90.0 } else if i < 360 { 10.0 } else { 30.0 };
                batch.push(sample(server, three_days_ago + i * 10_000, cpu));
            }
            batch.push(sample(server, long_ago, 50.0));
            batch.push(sample(server, now - 1000, 70.0));
        }
        db.insert_monitor_samples(&batch).await.unwrap();
        let collector = Collector::new(
            db.clone(),
            servers,
            Notifier::new(OutboundPolicy::default()),
            MonitorSettings { prune_batch: 97, ..settings("n1") },
        );
        let done = collector.maintain(now).await.unwrap();
        assert_eq!((done.minutes_rolled, done.hours_rolled), (2 * 121, 2 * 3), "{done:?}");
        assert_eq!(done.pruned.raw, 2 * 721, "everything past 24 h, in batches of 97: {done:?}");
        assert_eq!((done.pruned.minutes, done.pruned.hours), (2, 2), "the 100-day-old roll-ups: {done:?}");
        assert_eq!(db.count_monitor_samples(5).await.unwrap(), 1, "the recent sample stays raw");
        let from = three_days_ago - hour;
        let hours = db.monitor_history(5, HistoryMetric::Cpu, HistorySource::Hours, from, hour).await.unwrap();
        assert_eq!(hours.len(), 2, "{hours:?}");
        assert_eq!((hours[0].0, hours[0].1, hours[0].2), (three_days_ago, 10.0, 10.0));
        assert!((hours[1].1 - (30.0 + 60.0 / 360.0)).abs() < 1e-6 && hours[1].2 == 90.0, "{hours:?}");
        let minutes = db.monitor_history(5, HistoryMetric::Network, HistorySource::Minutes, from, 60_000).await.unwrap();
        assert_eq!(minutes.len(), 120);
        assert!(minutes.iter().all(|m| m.1 == 15.0 && m.2 == 15.0));
        let again = collector.maintain(now).await.unwrap();
        assert_eq!((again.minutes_rolled, again.hours_rolled, again.pruned.raw), (0, 0, 0), "each range is rolled up once");
    }

    async fn two_collectors_never_collect_one_server_and_one_takes_over(db: Db) {
        let sshd = Sshd::start();
        let dir = tempfile::tempdir().unwrap();
        let root = admin(&db).await;
        let servers = servers(&db, dir.path());
        let monitoring = Monitoring::new(db.clone(), servers.clone(), OutboundPolicy::default());
        let mut ids = Vec::new();
        for name in ["a", "b", "c"] {
            let id = add_server(&servers, &root, &sshd, name).await;
            monitoring.add(&root, id).await.unwrap();
            ids.push(id);
        }
        ids.push(LOCAL_HOST_ID);
        let (stop_a, stop_b) = (CancellationToken::new(), CancellationToken::new());
        let notifier = Notifier::new(OutboundPolicy::default());
        let a = Collector::new(db.clone(), servers.clone(), notifier.clone(), settings("node-a")).spawn(stop_a.clone());
        let b = Collector::new(db.clone(), servers.clone(), notifier, settings("node-b")).spawn(stop_b.clone());
        wait_for("four ticks of every server", 40, || async {
            let mut all = true;
            for id in [ids[0], ids[1], ids[2], LOCAL_HOST_ID] {
                all &= db.count_monitor_samples(id).await.unwrap() >= 4;
            }
            all
        })
        .await;
        for id in &ids {
            let samples = db.monitor_samples(*id).await.unwrap();
            let nodes: std::collections::BTreeSet<&str> = samples.iter().map(|s| s.node.as_str()).collect();
            assert_eq!(nodes.len(), 1, "server {id} collected by one node: {nodes:?}");
            let gaps: Vec<i64> = samples.windows(2).map(|w| w[1].at_ms - w[0].at_ms).collect();
            assert!(gaps.iter().all(|g| *g >= 500), "never twice in one tick: {gaps:?}");
        }
        // The holder stops: its leases are given up and the other node collects from its next tick.
        let holder = db.monitor_samples(ids[0]).await.unwrap()[0].node.clone();
        let (stop, handle, other) = if holder == "node-a" { (stop_a, a, "node-b") } else { (stop_b, b, "node-a") };
        stop.cancel();
        handle.await.unwrap();
        let cut = epoch_ms();
        wait_for("the other node's samples", 20, || async {
            db.monitor_samples(ids[0]).await.unwrap().iter().any(|s| s.at_ms > cut && s.node == other)
        })
        .await;
        let after: Vec<String> =
            db.monitor_samples(ids[0]).await.unwrap().into_iter().filter(|s| s.at_ms > cut).map(|s| s.node).collect();
        assert!(after.iter().all(|n| n == other), "{after:?}");
    }
}
