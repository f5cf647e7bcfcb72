//! Pipeline runs of real steps on both backends: a checkout of a local bare repository, shell and script steps
//! reading exported variables, secrets masked in events and stored logs, artifacts stored and downloadable, a
//! failing step failing the run (later steps skipped), a step timeout, cancel of a running run (its process
//! group gone, the run `cancelled`, never `success`), cancel of a queued run (it never starts), and
//! `http_request` against a local server (an administrator's) and refused for a user.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{Harness, bare_repository, outside_tmp, pipeline, processes_with, step};
use futures_util::StreamExt;
use serde_json::json;
use slipway_core::Error;
use slipway_delivery::pipelines::events::RunEvent;
use slipway_delivery::pipelines::secrets::VariableInput;
use slipway_delivery::webhooks::PipelineDirectory as _;
use slipway_delivery::{PipelineInput, RunVariables, UpdateMode};
use slipway_store::{Db, backend_tests};

fn vars(plain: &[(&str, &str)], secret: &[(&str, &str)]) -> RunVariables {
    let map = |list: &[(&str, &str)]| list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    RunVariables { plain: map(plain), secret: map(secret) }
}

backend_tests! {
    async fn a_run_checks_out_runs_its_steps_masks_secrets_and_stores_artifacts(db: Db) {
        let h = Harness::start(db).await;
        let repo_dir = outside_tmp();
        let (bare, sha) = bare_repository(repo_dir.path());
        let mut input = pipeline("build", vec![
            step("Checkout", "git_checkout", json!({"repository": bare.to_str().unwrap(), "branch": "main", "directory": "src"})),
            step("Read", "shell_command", json!({"command": "cat README.md; echo \"env=$ENVIRONMENT token=$API_TOKEN\"; echo \"cfg=${GIT_CONFIG_VALUE_0:-none}\"", "working_dir": "src"})),
            step("Build", "script", json!({"script": "mkdir -p out\necho \"$VERSION\" > out/version.txt\necho built >&2"})),
            step("Upload", "artifact_upload", json!({"paths": ["out/*.txt"]})),
        ]);
        input.variables = Some(vec![
            VariableInput { name: "API_TOKEN".into(), value: Some("tok-9f8e7d".into()), secret: true },
            VariableInput { name: "ENVIRONMENT".into(), value: Some("dev".into()), secret: false },
        ]);
        input.repository_credential = Some(Some("ghp_cr3dential".into()));
        let p = h.pipelines.create(&h.admin, input).await.unwrap();
        let stored = h.db.pipeline(p.id).await.unwrap().unwrap();
        assert!(!stored.variables.to_string().contains("tok-9f8e7d"), "secret variables are sealed at rest");
        assert!(stored.repository_credential.as_deref().is_some_and(|c| !c.contains("ghp_cr3dential")));
        let run = h.pipelines.run(&h.admin, p.id, None, vars(&[("ENVIRONMENT", "staging"), ("VERSION", "1.2.3")], &[])).await.unwrap();
        assert_eq!((run.number, run.trigger_type.as_str(), run.branch.as_str()), (1, "manual", "main"));
        h.finish(run.job_id.unwrap()).await;
        let detail = h.pipelines.run_detail(&h.admin, run.id).await.unwrap();
        assert_eq!(detail.run.status, "success", "{:?}", detail.run.error);
        assert_eq!(detail.run.commit_sha.as_deref(), Some(sha.as_str()), "the checked-out commit is recorded");
        let statuses: Vec<(&str, Option<i32>)> = detail.steps.iter().map(|s| (s.status.as_str(), s.exit_code)).collect();
        assert_eq!(statuses, [("success", Some(0)); 4]);
        assert!(detail.steps.iter().all(|s| s.duration_ms.is_some() && s.started_at.is_some()));
        let read = &detail.steps[1].log;
        assert!(read.contains("hello from the repository"), "{read}");
        assert!(read.contains("env=staging token=***"), "run variables win and secrets are masked: {read}");
        assert!(!read.contains("tok-9f8e7d"));
        assert!(detail.steps[2].log.contains("built"));
        let events = h.events(run.job_id.unwrap()).await;
        let lines: Vec<String> = events.iter().filter(|e| e.kind == "log").map(|e| e.payload["line"].as_str().unwrap().to_owned()).collect();
        assert!(lines.iter().any(|l| l == "env=staging token=***"), "{lines:?}");
        assert!(events.iter().all(|e| !e.payload.to_string().contains("tok-9f8e7d")), "no event carries the secret");
        let header = base64::engine::general_purpose::STANDARD.encode("x-access-token:ghp_cr3dential");
        assert!(events.iter().all(|e| !e.payload.to_string().contains("ghp_cr3dential") && !e.payload.to_string().contains(&header)));
        assert!(read.contains("cfg=none"), "the credential reaches only the checkout: {read}");
        let tagged = events.iter().find(|e| e.kind == "log" && e.payload["line"] == "built").unwrap();
        assert_eq!((tagged.payload["step"].as_i64(), tagged.payload["stream"].as_str()), (Some(2), Some("stderr")));
        let updates: Vec<RunEvent> = events.iter().filter_map(|e| RunEvent::from_job_event(e)).collect();
        assert!(updates.contains(&RunEvent::Commit(sha.clone())));
        assert!(matches!(updates.last(), Some(RunEvent::Status { status, .. }) if status == "success"), "{:?}", updates.last());
        assert!(updates.iter().any(|u| matches!(u, RunEvent::StepFinished { step: 3, status, exit_code: Some(0), .. } if status == "success")));
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).filter(|k| k.starts_with("step_")).collect();
        assert_eq!(kinds, ["step_started", "step_finished"].repeat(4));
        assert_eq!(detail.artifacts.len(), 1);
        let artifact = &detail.artifacts[0];
        assert_eq!((artifact.path.as_str(), artifact.size, artifact.step_index), ("out/version.txt", 6, 3));
        let (_, mut stream) = h.pipelines.artifact(&h.admin, run.id, artifact.id).await.unwrap();
        let mut content = Vec::new();
        while let Some(chunk) = stream.next().await {
            content.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(content, b"1.2.3\n");
        assert!(matches!(h.pipelines.artifact(&h.bob, run.id, artifact.id).await, Err(Error::NotFound(_))));
        let listed = h.db.pipeline(p.id).await.unwrap().unwrap();
        assert_eq!((listed.last_run_id, listed.last_run_status.as_deref()), (Some(run.id), Some("success")));
        h.stop().await;
    }

    async fn a_failing_step_fails_the_run_with_its_reason_and_skips_the_rest(db: Db) {
        let h = Harness::start(db).await;
        let p = h.pipelines.create(&h.admin, pipeline("fails", vec![
            step("Fine", "shell_command", json!({"command": "echo fine"})),
            step("Broken", "shell_command", json!({"command": "echo about to fail; exit 7"})),
            step("Never", "shell_command", json!({"command": "touch never-ran"})),
        ])).await.unwrap();
        let run = h.pipelines.run(&h.admin, p.id, None, RunVariables::default()).await.unwrap();
        h.finish(run.job_id.unwrap()).await;
        let detail = h.pipelines.run_detail(&h.admin, run.id).await.unwrap();
        assert_eq!(detail.run.status, "failed");
        assert_eq!(detail.run.error.as_deref(), Some("step 'Broken' exited with code 7"));
        let statuses: Vec<(&str, Option<i32>)> = detail.steps.iter().map(|s| (s.status.as_str(), s.exit_code)).collect();
        assert_eq!(statuses, [("success", Some(0)), ("failed", Some(7)), ("skipped", None)]);
        assert!(detail.steps[1].log.contains("about to fail"));
        assert!(detail.steps[2].started_at.is_none());

        let slow = h.pipelines.create(&h.admin, pipeline("slow", vec![
            step("Slow", "shell_command", json!({"command": "sleep 30", "timeout": 1})),
        ])).await.unwrap();
        let started = Instant::now();
        let run = h.pipelines.run(&h.admin, slow.id, None, RunVariables::default()).await.unwrap();
        h.finish(run.job_id.unwrap()).await;
        assert!(started.elapsed() < Duration::from_secs(20), "the step's timeout stopped it");
        let detail = h.pipelines.run_detail(&h.admin, run.id).await.unwrap();
        assert_eq!(detail.run.status, "failed");
        assert!(detail.run.error.as_deref().unwrap().contains("step 'Slow' timed out"), "{:?}", detail.run.error);
        h.stop().await;
    }

    async fn cancelling_a_running_run_kills_its_process_group_and_ends_it_cancelled(db: Db) {
        let h = Harness::start(db).await;
        let marker = format!("{}", 900_000 + std::process::id() % 50_000 + u32::from(h.db.backend().name() == "postgres") * 50_000);
        let p = h.pipelines.create(&h.admin, pipeline("long", vec![
            step("Sleep", "shell_command", json!({"command": format!("sleep {marker} & sleep {marker}; wait")})),
            step("After", "shell_command", json!({"command": "echo after"})),
        ])).await.unwrap();
        let run = h.pipelines.run(&h.admin, p.id, None, RunVariables::default()).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while processes_with(&format!("sleep {marker}")).len() < 2 {
            assert!(Instant::now() < deadline, "the step never started");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(matches!(h.pipelines.cancel(&h.bob, run.id).await, Err(Error::NotFound(_))), "another user's run is not found");
        h.pipelines.cancel(&h.admin, run.id).await.unwrap();
        h.finish(run.job_id.unwrap()).await;
        let detail = h.pipelines.run_detail(&h.admin, run.id).await.unwrap();
        assert_eq!(detail.run.status, "cancelled");
        assert_eq!(detail.run.cancelled_by, Some(h.admin.user_id));
        let statuses: Vec<&str> = detail.steps.iter().map(|s| s.status.as_str()).collect();
        assert_eq!(statuses, ["cancelled", "skipped"]);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !processes_with(&format!("sleep {marker}")).is_empty() {
            assert!(Instant::now() < deadline, "the step's processes outlived the cancel");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(matches!(h.pipelines.cancel(&h.admin, run.id).await, Err(Error::Conflict(_))), "a finished run cannot be cancelled");
        h.stop().await;
    }

    async fn a_cancelled_queued_run_never_starts(db: Db) {
        let h = Harness::with_workers(db, 1).await;
        let p = h.pipelines.create(&h.admin, pipeline("queue", vec![
            step("Mark", "shell_command", json!({"command": "sleep 2; echo ran"})),
        ])).await.unwrap();
        let first = h.pipelines.run(&h.admin, p.id, None, RunVariables::default()).await.unwrap();
        let second = h.pipelines.run(&h.admin, p.id, None, RunVariables::default()).await.unwrap();
        assert_eq!(second.number, 2);
        assert_eq!(second.status, "pending");
        let cancelled = h.pipelines.cancel(&h.admin, second.id).await.unwrap();
        assert_eq!(cancelled.status, "cancelled", "a queued run ends cancelled at once");
        h.finish(first.job_id.unwrap()).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let detail = h.pipelines.run_detail(&h.admin, second.id).await.unwrap();
        assert_eq!(detail.run.status, "cancelled");
        assert!(detail.run.started_at.is_none(), "it never started");
        assert!(detail.steps.iter().all(|s| s.started_at.is_none()));
        let job = h.engine.get(&h.admin, second.job_id.unwrap()).await.unwrap();
        assert_eq!(job.attempts, 0);
        assert_eq!(h.pipelines.run_detail(&h.admin, first.id).await.unwrap().run.status, "success");
        h.stop().await;
    }

    async fn http_requests_reach_a_local_server_for_admins_and_are_refused_for_users(db: Db) {
        let h = Harness::start(db).await;
        let app = axum::Router::new()
            .route("/ok", axum::routing::post(|body: String| async move { format!("got {body}") }))
            .route("/missing", axum::routing::get(|| async { (axum::http::StatusCode::NOT_FOUND, "nope") }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let ok = format!("http://{addr}/ok");
        let p = h.pipelines.create(&h.admin, pipeline("calls", vec![
            step("Call", "http_request", json!({"method": "POST", "url": ok, "body": "ping", "expected_status": 200})),
            step("Missing", "http_request", json!({"url": format!("http://{addr}/missing"), "expected_status": [200, 204]})),
        ])).await.unwrap();
        let run = h.pipelines.run(&h.admin, p.id, None, RunVariables::default()).await.unwrap();
        h.finish(run.job_id.unwrap()).await;
        let detail = h.pipelines.run_detail(&h.admin, run.id).await.unwrap();
        assert!(detail.steps[0].log.contains("got ping"), "{}", detail.steps[0].log);
        assert_eq!(detail.steps[0].status, "success");
        assert_eq!(detail.steps[1].status, "failed");
        assert_eq!(detail.run.error.as_deref(), Some("step 'Missing' got HTTP 404, expected [200, 204]"));

        if h.sandboxed() {
            let mine = h.pipelines.create(&h.alice, pipeline("mine", vec![
                step("Call", "http_request", json!({"url": ok})),
            ])).await.unwrap();
            let run = h.pipelines.run(&h.alice, mine.id, None, RunVariables::default()).await.unwrap();
            h.finish(run.job_id.unwrap()).await;
            let detail = h.pipelines.run_detail(&h.alice, run.id).await.unwrap();
            assert_eq!(detail.run.status, "failed");
            let log = &detail.steps[0].log;
            assert!(log.contains("loopback") || log.contains("not allowed") || log.contains("refused"), "{log}");
            assert!(matches!(h.pipelines.run(&h.bob, mine.id, None, RunVariables::default()).await, Err(Error::NotFound(_))));
        }
        h.stop().await;
    }

    async fn a_users_steps_run_sandboxed_without_network_and_see_no_data_dir(db: Db) {
        let h = Harness::start(db).await;
        if !h.sandboxed() {
            return;
        }
        let data = h.dir.path().join("data");
        std::fs::write(data.join("secret.key"), "do not read").unwrap();
        let p = h.pipelines.create(&h.alice, pipeline("mine", vec![
            step("Look", "shell_command", json!({"command": format!("id -u; ls {} | wc -l; cat {}/secret.key || echo hidden", data.display(), data.display())})),
        ])).await.unwrap();
        let run = h.pipelines.run(&h.alice, p.id, None, RunVariables::default()).await.unwrap();
        h.finish(run.job_id.unwrap()).await;
        let detail = h.pipelines.run_detail(&h.alice, run.id).await.unwrap();
        assert_eq!(detail.run.status, "success", "{:?}", detail.run.error);
        let log = &detail.steps[0].log;
        assert!(log.contains("hidden") && !log.contains("do not read"), "{log}");
        let networked = PipelineInput { network: Some(true), ..pipeline("net", vec![]) };
        assert!(matches!(h.pipelines.create(&h.alice, networked).await, Err(Error::Forbidden(_))));
        h.stop().await;
    }

    async fn restart_runs_again_with_the_same_variables(db: Db) {
        let h = Harness::start(db).await;
        let p = h.pipelines.create(&h.admin, pipeline("again", vec![
            step("Echo", "shell_command", json!({"command": "echo \"v=$V s=$S\""})),
        ])).await.unwrap();
        let first = h.pipelines.run(&h.admin, p.id, Some("main".into()), vars(&[("V", "1")], &[("S", "hush")])).await.unwrap();
        h.finish(first.job_id.unwrap()).await;
        let again = h.pipelines.restart(&h.admin, first.id).await.unwrap();
        assert_eq!((again.trigger_type.as_str(), again.number), ("restart", 2));
        h.finish(again.job_id.unwrap()).await;
        let detail = h.pipelines.run_detail(&h.admin, again.id).await.unwrap();
        assert!(detail.steps[0].log.contains("v=1 s=***"), "{}", detail.steps[0].log);
        assert_eq!(detail.variables, [("V".to_owned(), "1".to_owned()), ("S".to_owned(), "***".to_owned())]);
        h.stop().await;
    }

    async fn a_schedule_runs_the_pipeline_on_the_engines_schedules(db: Db) {
        let h = Harness::start(db).await;
        let mut input = pipeline("cron", vec![step("Tick", "shell_command", json!({"command": "echo tick"}))]);
        input.schedule = Some(Some("* * * * * *".into()));
        let p = h.pipelines.create(&h.admin, input).await.unwrap();
        let schedule_id = p.schedule_id.unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let run = loop {
            let runs = h.pipelines.runs(&h.admin, p.id, 0, 10).await.unwrap();
            if let Some(r) = runs.items.iter().find(|r| r.status == "success") {
                break r.clone();
            }
            assert!(Instant::now() < deadline, "no scheduled run finished: {:?}", runs.items);
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!((run.trigger_type.as_str(), run.triggered_by), ("schedule", None));
        let detail = h.pipelines.run_detail(&h.admin, run.id).await.unwrap();
        assert_eq!(detail.steps[0].log, "tick\n");
        let off = PipelineInput { schedule: Some(None), ..PipelineInput::default() };
        let p = h.pipelines.update(&h.admin, p.id, off, UpdateMode::Partial).await.unwrap();
        assert_eq!((p.schedule.as_deref(), p.schedule_id), (None, None));
        assert!(h.engine.get_schedule(&h.admin, schedule_id).await.is_err(), "the engine schedule is gone");
        h.stop().await;
    }

    async fn webhook_candidates_are_the_repositorys_pipelines_with_their_secrets_opened(db: Db) {
        let h = Harness::start(db).await;
        let hooked = PipelineInput {
            repository_url: Some("https://GitHub.com/User/Repo.git".into()),
            trigger_events: Some(vec!["push".into(), "tag".into()]),
            webhook_secret: Some(Some("hook-s3cret".into())),
            ..pipeline("hooked", vec![])
        };
        let p = h.pipelines.create(&h.admin, hooked).await.unwrap();
        assert_eq!(p.repository_key, "github.com/user/repo");
        let manual = PipelineInput { repository_url: Some("git@github.com:user/repo.git".into()), ..pipeline("manual", vec![]) };
        h.pipelines.create(&h.admin, manual).await.unwrap();
        let keys = ["github.com/user/repo".to_owned(), "github.com/user/repo".to_owned(), "github.com/other/x".to_owned()];
        let found = h.pipelines.candidates(&keys).await.unwrap();
        assert_eq!(found.len(), 2, "both pipelines of the repository, each once: {found:?}");
        let hooked = found.iter().find(|c| c.pipeline_id == p.id).unwrap();
        assert_eq!((hooked.secret.as_deref(), hooked.trigger_events.clone()), (Some("hook-s3cret"), vec!["push".to_owned(), "tag".to_owned()]));
        assert!(found.iter().any(|c| c.pipeline_id != p.id && c.secret.is_none()), "the other has no secret");
        let trigger = slipway_delivery::Trigger {
            kind: slipway_delivery::TriggerKind::Push,
            by: None,
            details: json!({"ref": "refs/heads/main"}),
            delivery_id: Some("d-1".into()),
        };
        let run = h.pipelines.start_run_system(p.id, trigger, Some("main".into()), None, RunVariables::default()).await.unwrap();
        assert_eq!((run.trigger_type.as_str(), run.delivery_id.as_deref(), run.trigger_details["ref"].as_str()), ("push", Some("d-1"), Some("refs/heads/main")));
        h.finish(run.job_id.unwrap()).await;
        h.stop().await;
    }
}
