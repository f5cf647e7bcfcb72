//! Deployments on a real engine to real sshd "servers" on loopback, on both backends: a git ref released to two
//! servers (files in `releases/…`, `current` switched, the health check run by command and by URL, every line an
//! event), batches,
//! rollback to the release before, pruning beyond `keep_releases`; a failing step switching `current` back and
//! saying why with the rest skipped; cancel mid-step killing the remote command; a pipeline run's artifacts as the
//! release; who may deploy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::sshd::{self, Sshd};
use slipway_core::{Error, Principal, Role};
use slipway_engine::{Engine, EngineSettings, Waited};
use slipway_files::BlobStore;
use slipway_ops::deployments::{self, DeploymentFilter, HealthCheckInput, NewDeployment, SourceInput};
use slipway_ops::ssh::{SshPool, SshSettings};
use slipway_ops::{DeploySettings, DeploymentView, Deployments, NewServer, Servers};
use slipway_outbound::OutboundPolicy;
use slipway_store::delivery::{NewArtifact, NewRun, PipelineFields};
use slipway_store::identity::NewUser;
use slipway_store::{Db, Sealer, backend_tests};

struct World {
    deployments: Deployments,
    blobs: BlobStore,
    servers: Servers,
    engine: Engine,
    admin: Principal,
    operator: Principal,
    plain: Principal,
    _data: tempfile::TempDir,
}

async fn user(db: &Db, name: &str, role: Role) -> Principal {
    let email = format!("{name}@example.com");
    let role_name = if role == Role::Admin { "admin" } else { "user" };
    let new = NewUser {
        username: name,
        email: &email,
        password_hash: "$argon2id$fake",
        role: role_name,
        full_name: name,
        email_verified: true,
    };
    let id = db.insert_user(&new, slipway_core::time::now()).await.unwrap().id;
    Principal { user_id: id, username: name.into(), role }
}

async fn world(db: Db) -> World {
    let data = tempfile::tempdir().unwrap();
    let ssh = SshSettings { kill_grace: Duration::from_secs(1), ..SshSettings::default() };
    let sealer = Sealer::from_secret("the deployments tests' secret, 32+ characters");
    let policy = OutboundPolicy::from_entries(Vec::<String>::new()).unwrap();
    let servers = Servers::new(db.clone(), sealer.clone(), policy.clone(), SshPool::new(data.path(), ssh.clone()));
    // The job's connections are its own pool's, as in the application (see the wiring).
    let job_servers = Servers::new(db.clone(), sealer, policy.clone(), SshPool::new(&data.path().join("deploy"), ssh));
    let blobs = BlobStore::open(None, &data.path().join("files")).unwrap();
    let settings =
        DeploySettings { db: db.clone(), servers: job_servers, policy: policy.clone(), blobs: blobs.clone() };
    let engine_settings =
        EngineSettings { workers: 2, workspace_root: data.path().join("workspaces"), ..EngineSettings::default() };
    let engine = deployments::register(Engine::builder(db.clone(), engine_settings), &settings).start().await.unwrap();
    let service = Deployments::new(engine.clone(), DeploySettings { servers: servers.clone(), ..settings });
    let admin = user(&db, "root", Role::Admin).await;
    let operator = user(&db, "ops", Role::User).await;
    let plain = user(&db, "ann", Role::User).await;
    servers.grant_operator(&admin, operator.user_id).await.unwrap();
    World { deployments: service, blobs, servers, engine, admin, operator, plain, _data: data }
}

async fn server(w: &World, sshd: &Sshd, name: &str) -> i64 {
    let new = NewServer {
        name: name.into(),
        host: "127.0.0.1".into(),
        port: Some(i64::from(sshd.port)),
        username: sshd::current_user(),
        private_key: Some(sshd.user_key()),
        ..NewServer::default()
    };
    w.servers.create(&w.admin, new).await.unwrap().id
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(ok.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&ok.stderr));
}

/// A repository with `index.html` saying `text` on `main`.
fn repo(dir: &Path, text: &str) {
    if !dir.join(".git").exists() {
        std::fs::create_dir_all(dir).unwrap();
        git(dir, &["init", "-q", "-b", "main"]);
    }
    std::fs::write(dir.join("index.html"), text).unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", text]);
}

fn new(repository: &Path, deploy_path: &Path, servers: Vec<i64>) -> NewDeployment {
    NewDeployment {
        name: "web".into(),
        server_ids: servers,
        source: Some(SourceInput {
            kind: "git".into(),
            repository: Some(repository.to_string_lossy().into_owned()),
            git_ref: Some("main".into()),
            pipeline_run_id: None,
        }),
        deploy_path: deploy_path.to_string_lossy().into_owned(),
        deploy: Some("cp index.html deployed.txt && echo \"deployed $SLIPWAY_RELEASE\"".into()),
        health_check: Some(HealthCheckInput {
            url: None,
            command: Some("test -f deployed.txt && echo healthy".into()),
        }),
        ..NewDeployment::default()
    }
}

async fn finish(w: &World, d: &DeploymentView) -> DeploymentView {
    let job = d.job_id.expect("a job");
    match w.engine.wait(&w.admin, job, Duration::from_secs(90)).await.unwrap() {
        Waited::Finished(_) => {}
        Waited::TimedOut(j) => panic!("deployment {} still {:?}", d.id, j.status),
    }
    w.deployments.get(&w.admin, d.id).await.unwrap()
}

/// A run of a pipeline of `owner`'s holding `files` (path, content) as its artifacts.
async fn run_with_artifacts(w: &World, db: &Db, owner: i64, files: &[(&str, &str)]) -> i64 {
    let fields = PipelineFields {
        name: format!("p{owner}"),
        description: String::new(),
        repository_url: "https://example.com/a.git".into(),
        repository_key: "example.com/a".into(),
        branch: "main".into(),
        trigger_events: serde_json::json!([]),
        steps: serde_json::json!([]),
        variables: serde_json::json!([]),
        repository_credential: None,
        webhook_secret: None,
        schedule: None,
        network: false,
        is_active: true,
    };
    let now = slipway_core::time::now();
    let pipeline = db.insert_pipeline(owner, &fields, now).await.unwrap();
    let new = NewRun {
        pipeline_id: pipeline,
        job_id: None,
        trigger_type: "manual".into(),
        triggered_by: None,
        trigger_details: serde_json::json!({}),
        delivery_id: None,
        branch: "main".into(),
        commit_sha: None,
        variables: serde_json::json!([]),
    };
    let run = db.insert_pipeline_run(&new, &[], now).await.unwrap();
    let mut artifacts = Vec::new();
    for (path, text) in files {
        let body = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(text.to_string()))]);
        let blob = w.blobs.put_stream(body, 1 << 20).await.unwrap();
        let size = i64::try_from(blob.size).unwrap();
        artifacts.push(NewArtifact { step_index: 0, path: (*path).into(), size, sha256: blob.sha256 });
    }
    db.insert_artifacts(run.id, &artifacts, now).await.unwrap();
    run.id
}

/// A loopback HTTP server answering every request with 200 and `ok`; its port, and how many requests it had.
async fn health_endpoint() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf).await;
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok").await;
        }
    });
    (port, hits)
}

fn current(path: &Path) -> String {
    let link = std::fs::read_link(path.join("current")).unwrap();
    link.to_string_lossy().trim_start_matches("releases/").to_owned()
}

fn releases(path: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(path.join("releases"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

backend_tests! {
    async fn a_git_release_lands_on_two_servers_then_rolls_back_and_prunes(db: Db) {
        let w = world(db.clone()).await;
        let dir = tempfile::tempdir().unwrap();
        // Both servers deploy to `<dir>/my app`; each sees its own files there (`one`, `two` from here).
        let app = dir.path().join("my app");
        let (p1, p2) = (dir.path().join("one"), dir.path().join("two"));
        let (one, two) = (Sshd::start_seeing(&app, &p1), Sshd::start_seeing(&app, &p2));
        let s1 = server(&w, &one, "web-1").await;
        let s2 = server(&w, &two, "web-2").await;
        let source = dir.path().join("repo");
        repo(&source, "v1");

        let mut first = new(&source, &app, vec![]);
        first.server_id = Some(s1);
        let d = w.deployments.create(&w.admin, first).await.unwrap();
        assert!(matches!(d.status.as_str(), "pending" | "running"), "{}", d.status);
        assert_eq!(d.servers.len(), 1);
        let d = finish(&w, &d).await;
        assert_eq!(d.status, "success", "{d:#?}");
        let release_one = d.servers[0].release.clone().unwrap();
        assert!(release_one.ends_with(&format!("-{}", d.id)), "{release_one}");
        assert_eq!(current(&p1), release_one);
        assert_eq!(std::fs::read_to_string(p1.join("current/deployed.txt")).unwrap(), "v1");
        let steps: Vec<(&str, &str, Option<i32>)> = d.servers[0].steps.iter().map(|s| (s.name.as_str(), s.status.as_str(), s.exit_code)).collect();
        assert_eq!(steps, [("upload", "success", Some(0)), ("deploy", "success", Some(0)), ("switch", "success", Some(0)), ("health_check", "success", Some(0)), ("prune", "success", Some(0))]);
        assert!(d.servers[0].steps[1].log.contains(&format!("deployed {release_one}")), "{:?}", d.servers[0].steps[1].log);
        assert!(d.servers[0].steps[3].log.contains("healthy"));
        assert!(d.servers[0].steps.iter().all(|s| s.duration_ms.is_some()));
        let events = db.job_events(d.job_id.unwrap(), 0, 1000).await.unwrap();
        assert!(events.iter().any(|e| e.kind == "log" && e.payload["line"] == "healthy" && e.payload["name"] == "health_check" && e.payload["server_id"] == s1), "every line is an event");

        // Both servers in one batch: they run at once.
        repo(&source, "v2");
        let mut both = new(&source, &app, vec![s1, s2]);
        both.strategy = Some("batch".into());
        both.batch_size = Some(2);
        both.deploy = Some("sleep 1; cp index.html deployed.txt".into());
        let (port, hits) = health_endpoint().await;
        both.health_check = Some(HealthCheckInput { url: Some(format!("http://127.0.0.1:{port}/health")), command: None });
        let d2 = w.deployments.create(&w.admin, both).await.unwrap();
        let d2 = finish(&w, &d2).await;
        assert_eq!(d2.status, "success", "{d2:#?}");
        let (a, b) = (&d2.servers[0], &d2.servers[1]);
        assert!(a.started_at.unwrap() < b.finished_at.unwrap() && b.started_at.unwrap() < a.finished_at.unwrap(), "overlapping");
        assert_eq!(a.previous_release.as_deref(), Some(release_one.as_str()));
        assert_eq!(b.previous_release, None, "web-2 had no release");
        assert_eq!(std::fs::read_to_string(p1.join("current/deployed.txt")).unwrap(), "v2");
        assert_eq!(std::fs::read_to_string(p2.join("current/deployed.txt")).unwrap(), "v2");
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2, "each server fetched the health URL");
        assert!(a.steps.iter().any(|s| s.name == "health_check" && s.log.contains("HTTP 200")), "{:?}", a.steps);
        assert!(!app.join("current").exists(), "nothing landed outside the servers' own files");

        // Rollback: web-1 goes back to the first release; web-2 had none before, and says so.
        let r = w.deployments.rollback(&w.operator, d2.id).await.unwrap();
        assert_eq!((r.kind.as_str(), r.rollback_of), ("rollback", Some(d2.id)));
        let r = finish(&w, &r).await;
        assert_eq!(current(&p1), release_one);
        assert_eq!(r.servers[0].status, "success");
        assert_eq!(r.servers[0].steps[0].name, "switch");
        assert!(r.servers[1].error.as_deref().unwrap_or_default().contains("no release before"), "{r:#?}");
        let pending = w.deployments.rollback(&w.admin, r.id).await.unwrap_err();
        assert!(matches!(pending, Error::Conflict(_)), "a rollback is not rolled back: {pending:?}");
        // Rolled back once, its release is no longer current: a second rollback changes nothing and says why.
        let again = finish(&w, &w.deployments.rollback(&w.admin, d2.id).await.unwrap()).await;
        let why = again.servers[0].error.clone().unwrap_or_default();
        assert!(why.contains(&format!("current is {release_one}, not deployment {}'s release", d2.id)), "{why}");
        assert_eq!(current(&p1), release_one);

        // keep_releases: 2 keeps the newest two (and never the current one).
        for text in ["v3", "v4"] {
            repo(&source, text);
            let mut again = new(&source, &app, vec![s2]);
            again.keep_releases = Some(2);
            let d = finish(&w, &w.deployments.create(&w.admin, again).await.unwrap()).await;
            assert_eq!(d.status, "success", "{d:#?}");
        }
        let kept = releases(&p2);
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert_eq!(current(&p2), kept[1]);
        assert_eq!(std::fs::read_to_string(p2.join("current/index.html")).unwrap(), "v4");

        let (page, total) = { let p = w.deployments.list(&w.operator, DeploymentFilter { server_id: Some(s2), status: None }, 0, 10).await.unwrap(); (p.items, p.total) };
        assert_eq!(total, 5, "the batch, both rollbacks and the two pruning deployments touched web-2");
        assert!(page.iter().all(|d| d.servers.iter().all(|s| s.steps.is_empty())), "lists carry no steps");
        drop((one, two));
    }

    async fn a_failing_step_switches_back_runs_rollback_and_skips_the_rest(db: Db) {
        let w = world(db.clone()).await;
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("app");
        let (path, other) = (dir.path().join("one"), dir.path().join("two"));
        let (one, two) = (Sshd::start_seeing(&app, &path), Sshd::start_seeing(&app, &other));
        let s1 = server(&w, &one, "web-1").await;
        let s2 = server(&w, &two, "web-2").await;
        let source = dir.path().join("repo");
        repo(&source, "good");
        let ok = finish(&w, &w.deployments.create(&w.admin, new(&source, &app, vec![s1])).await.unwrap()).await;
        assert_eq!(ok.status, "success");
        let good = current(&path);

        repo(&source, "bad");
        let mut bad = new(&source, &app, vec![s1, s2]);
        bad.post_deploy = Some("echo about to fail; exit 3".into());
        bad.rollback = Some("echo \"rolled back from $SLIPWAY_FAILED_RELEASE\" > ../../rolled-back.txt".into());
        let d = finish(&w, &w.deployments.create(&w.admin, bad).await.unwrap()).await;
        assert_eq!(d.status, "failed");
        assert!(d.error.as_deref().unwrap_or_default().contains("step 'post_deploy' exited with code 3"), "{:?}", d.error);
        let t = &d.servers[0];
        assert_eq!((t.status.as_str(), t.error.as_deref()), ("failed", Some("step 'post_deploy' exited with code 3")));
        assert_eq!(current(&path), good, "current is the good release again");
        let steps: Vec<(&str, &str)> = t.steps.iter().map(|s| (s.name.as_str(), s.status.as_str())).collect();
        assert_eq!(steps, [("upload", "success"), ("deploy", "success"), ("switch", "success"), ("post_deploy", "failed"), ("health_check", "skipped"), ("prune", "skipped"), ("switch_back", "success"), ("rollback", "success")]);
        assert!(t.steps[3].log.contains("about to fail"));
        let bad_release = t.release.clone().unwrap();
        assert_eq!(std::fs::read_to_string(path.join("rolled-back.txt")).unwrap().trim(), format!("rolled back from {bad_release}"));
        assert!(!other.join("releases").exists(), "web-2 was never touched");
        assert_eq!(d.servers[1].status, "skipped", "sequential stops at the first failed server");
        assert!(d.servers[1].steps.iter().all(|s| s.status == "skipped"));

        // A first release that fails before the switch leaves no `current` behind.
        let fresh = dir.path().join("fresh");
        let mut first = new(&source, &fresh, vec![s2]);
        first.deploy = Some("exit 7".into());
        let d = finish(&w, &w.deployments.create(&w.admin, first).await.unwrap()).await;
        assert_eq!(d.servers[0].error.as_deref(), Some("step 'deploy' exited with code 7"));
        assert!(std::fs::symlink_metadata(fresh.join("current")).is_err());
        // A health URL nobody answers: five attempts, then the release is switched back out.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut unhealthy = new(&source, &fresh, vec![s2]);
        unhealthy.health_check = Some(HealthCheckInput { url: Some(format!("http://127.0.0.1:{closed}/")), command: None });
        let d = finish(&w, &w.deployments.create(&w.admin, unhealthy).await.unwrap()).await;
        assert_eq!(d.servers[0].error.as_deref(), Some("step 'health_check' exited with code 1"), "{d:#?}");
        let check = d.servers[0].steps.iter().find(|s| s.name == "health_check").unwrap();
        assert!(check.log.contains("health check failed after 5 attempts"), "{}", check.log);
        assert!(std::fs::symlink_metadata(fresh.join("current")).is_err(), "the first release is not left current");
        let failed = w.deployments.list(&w.admin, DeploymentFilter { server_id: None, status: Some("failed".into()) }, 0, 10).await.unwrap();
        assert_eq!(failed.total, 3);
        drop((one, two));
    }

    async fn cancel_mid_step_kills_the_remote_command(db: Db) {
        let w = world(db.clone()).await;
        let one = Sshd::start();
        let s1 = server(&w, &one, "web-1").await;
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("repo");
        repo(&source, "v1");
        let path = dir.path().join("app");
        // A duration no other test sleeps for, per backend (both variants run at once).
        let seconds = if db.backend().name() == "sqlite" { "30.11" } else { "30.22" };
        let mut slow = new(&source, &path, vec![s1]);
        slow.deploy = Some(format!("sleep {seconds}"));
        let d = w.deployments.create(&w.admin, slow).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while sshd::sleeps(seconds).is_empty() {
            assert!(Instant::now() < deadline, "the remote sleep never started");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let asked = Instant::now();
        // An operator cancels an administrator's deployment: the rule is the role, not the owner.
        let c = w.deployments.cancel(&w.operator, d.id).await.unwrap();
        assert_eq!(c.cancelled_by, Some(w.operator.user_id));
        let d = finish(&w, &d).await;
        assert!(asked.elapsed() < Duration::from_secs(15), "cancel took {:?}", asked.elapsed());
        assert_eq!(d.status, "cancelled");
        assert_eq!(d.servers[0].status, "cancelled");
        let deploy = d.servers[0].steps.iter().find(|s| s.name == "deploy").unwrap();
        assert_eq!(deploy.status, "cancelled");
        assert!(sshd::sleeps(seconds).is_empty(), "the remote sleep is gone");
        assert!(std::fs::symlink_metadata(path.join("current")).is_err(), "never switched");
        let again = w.deployments.cancel(&w.admin, d.id).await.unwrap_err();
        assert!(matches!(again, Error::Conflict(_)), "{again:?}");
        drop(one);
    }

    async fn a_pipeline_runs_artifacts_are_released(db: Db) {
        let w = world(db.clone()).await;
        let one = Sshd::start();
        let s1 = server(&w, &one, "web-1").await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app");
        let run = run_with_artifacts(&w, &db, w.operator.user_id, &[("dist/app.js", "console.log(1)"), ("index.html", "<p>hi</p>")]).await;
        let mut new = new(dir.path(), &path, vec![s1]);
        new.source = Some(SourceInput { kind: "artifacts".into(), pipeline_run_id: Some(run), ..SourceInput::default() });
        new.deploy = Some("cat dist/app.js".into());
        new.health_check = None;
        let d = finish(&w, &w.deployments.create(&w.operator, new.clone()).await.unwrap()).await;
        assert_eq!(d.status, "success", "{d:#?}");
        assert_eq!(std::fs::read_to_string(path.join("current/dist/app.js")).unwrap(), "console.log(1)");
        assert_eq!(std::fs::read_to_string(path.join("current/index.html")).unwrap(), "<p>hi</p>");
        assert!(d.servers[0].steps[1].log.contains("console.log(1)"));
        let events = db.job_events(d.job_id.unwrap(), 0, 1000).await.unwrap();
        assert!(events.iter().any(|e| e.kind == "release" && e.payload["files"] == 2), "the release is an event");

        // Another user's run is not the operator's to release (the pipelines' rule), nor is a run without files.
        let others = run_with_artifacts(&w, &db, w.plain.user_id, &[("a.txt", "a")]).await;
        let empty = run_with_artifacts(&w, &db, w.admin.user_id, &[]).await;
        for (who, run, says) in [(&w.operator, others, "does not exist"), (&w.admin, empty, "has no artifacts"), (&w.admin, 424_242, "does not exist")] {
            let mut bad = new.clone();
            bad.source = Some(SourceInput { kind: "artifacts".into(), pipeline_run_id: Some(run), ..SourceInput::default() });
            let Error::Validation(fields) = w.deployments.create(who, bad).await.unwrap_err() else { panic!("{run}") };
            assert_eq!(fields[0].field(), "source.pipeline_run_id");
            assert!(fields[0].to_string().contains(says) || format!("{fields:?}").contains(says), "{fields:?}");
        }
        let mut admin_sees = new.clone();
        admin_sees.source = Some(SourceInput { kind: "artifacts".into(), pipeline_run_id: Some(others), ..SourceInput::default() });
        admin_sees.deploy = Some("cat a.txt".into());
        let d = w.deployments.create(&w.admin, admin_sees).await.unwrap();
        assert_eq!(finish(&w, &d).await.status, "success", "administrators see every run");
        drop(one);
    }

    async fn only_administrators_and_operators_deploy(db: Db) {
        let w = world(db.clone()).await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app");
        let one = Sshd::start();
        let s1 = server(&w, &one, "web-1").await;
        let refused = w.deployments.create(&w.plain, new(&dir.path().join("repo"), &path, vec![s1])).await.unwrap_err();
        assert!(matches!(refused, Error::Forbidden(_)), "{refused:?}");
        assert!(matches!(w.deployments.list(&w.plain, DeploymentFilter::default(), 0, 10).await.unwrap_err(), Error::Forbidden(_)));
        // An operator who is not an administrator may not deploy from a local path.
        let local = w.deployments.create(&w.operator, new(&dir.path().join("repo"), &path, vec![s1])).await.unwrap_err();
        let Error::Validation(fields) = local else { panic!("{local:?}") };
        assert_eq!(fields[0].field(), "source.repository");
        let missing = w.deployments.get(&w.operator, 999_999).await.unwrap_err();
        assert!(matches!(missing, Error::NotFound(_)), "{missing:?}");
        let mut bad = new(&dir.path().join("repo"), Path::new("/srv/../etc"), vec![s1, 424_242]);
        bad.timeout = Some(0);
        let Error::Validation(fields) = w.deployments.create(&w.admin, bad).await.unwrap_err() else { panic!() };
        let named: Vec<String> = fields.iter().map(|f| f.field()).collect();
        assert!(["deploy_path", "server_ids", "timeout"].iter().all(|f| named.iter().any(|n| n == f)), "{named:?}");
        drop(one);
    }
}
