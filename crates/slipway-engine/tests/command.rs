//! The `command` executor on both backends: environment, working directory, exit code, duration, and
//! stdout/stderr streamed line by line as events and kept in the output.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Harness, admin, alice, sandboxed};
use futures_util::StreamExt;
use serde_json::json;
use slipway_core::Error;
use slipway_engine::{EnqueueOptions, JobStatus};
use slipway_store::{Db, backend_tests};

backend_tests! {
    async fn a_command_streams_its_output_and_records_how_it_ended(db: Db) {
        let h = Harness::start(db).await;
        let work = tempfile::tempdir().unwrap();
        std::fs::write(work.path().join("note.txt"), "from the cwd\n").unwrap();
        let input = json!({
            "command": "echo \"hello $GREETING\"; cat note.txt; echo oops >&2; printf 'no newline'",
            "env": {"GREETING": "world"},
            "cwd": work.path(),
        });
        let job = h.engine.enqueue(&admin(), "command", input, EnqueueOptions::default()).await.unwrap();
        let mut events = h.engine.subscribe(&admin(), job.id, 0).await.unwrap();
        let mut lines = Vec::new();
        while let Some(e) = events.next().await {
            let e = e.unwrap();
            if e.kind == "stdout" || e.kind == "stderr" {
                lines.push((e.kind.clone(), e.payload["line"].as_str().unwrap().to_owned()));
            }
        }
        let stdout: Vec<&str> = lines.iter().filter(|(k, _)| k == "stdout").map(|(_, l)| l.as_str()).collect();
        assert_eq!(stdout, ["hello world", "from the cwd", "no newline"]);
        assert!(lines.contains(&("stderr".into(), "oops".into())));
        let done = h.finished(job.id).await;
        assert_eq!(done.status, JobStatus::Succeeded);
        let out = done.output.unwrap();
        assert_eq!(out["exit_code"], 0);
        assert_eq!(out["stdout"], "hello world\nfrom the cwd\nno newline");
        assert_eq!(out["stderr"], "oops\n");
        assert!(out["duration_ms"].is_u64());
        assert_eq!(out["stdout_truncated"], false);
        h.stop().await;
    }

    async fn a_failing_command_fails_with_its_exit_code_and_output(db: Db) {
        let h = Harness::start(db).await;
        let input = json!({"command": "pwd; echo broken >&2; exit 3"});
        let job = h.engine.enqueue(&admin(), "command", input, EnqueueOptions::default()).await.unwrap();
        let done = h.finished(job.id).await;
        assert_eq!(done.status, JobStatus::Failed);
        assert_eq!(done.attempts, 1, "a command's failure is not retried");
        assert_eq!(done.error.as_deref(), Some("command exited with code 3"));
        let out = done.output.unwrap();
        assert_eq!(out["exit_code"], 3);
        assert_eq!(out["stderr"], "broken\n");
        let cwd = out["stdout"].as_str().unwrap().trim().to_owned();
        assert!(cwd.ends_with(&format!("/{}", job.id)), "runs in the job's workspace by default: {cwd}");
        assert!(!std::path::Path::new(&cwd).exists(), "the workspace is removed once the job finished");
        h.stop().await;
    }

    async fn long_output_keeps_only_its_tail(db: Db) {
        let h = Harness::start(db).await;
        let input = json!({"command": "seq 1 20000"});
        let job = h.engine.enqueue(&admin(), "command", input, EnqueueOptions::default()).await.unwrap();
        let done = h.finished(job.id).await;
        let out = done.output.unwrap();
        assert_eq!(out["stdout_truncated"], true);
        let text = out["stdout"].as_str().unwrap();
        assert!(text.len() <= slipway_engine::COMMAND_TAIL_BYTES);
        assert!(text.ends_with("19999\n20000\n"));
        let events = h.db.job_events(job.id, 0, 100_000).await.unwrap();
        assert_eq!(events.iter().filter(|e| e.kind == "stdout").count(), 20000, "every line is an event");
        h.stop().await;
    }

    async fn an_ordinary_users_command_runs_in_the_sandbox_without_the_data_dir(db: Db) {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(data.join("workspaces")).unwrap();
        std::fs::write(data.join("jwt-secret"), "the-jwt-secret").unwrap();
        std::fs::write(data.join("slipway.db"), "SQLite format 3").unwrap();
        let settings = slipway_engine::EngineSettings {
            workspace_root: data.join("workspaces"),
            data_dir: Some(data.clone()),
            ..common::settings(dir.path())
        };
        let h = Harness::with_settings(db, settings, dir).await;
        if !sandboxed(&h.engine) {
            return h.stop().await;
        }
        let d = data.display();
        let command = format!(
            "cat {d}/jwt-secret {d}/slipway.db; echo x > {d}/pwned; echo x > /etc/pwned; echo made > here.txt; cat here.txt"
        );
        let job = h.engine.enqueue(&alice(), "command", json!({"command": command}), EnqueueOptions::default()).await.unwrap();
        assert_eq!(job.input["isolation"], "sandbox", "a user's command is admitted into the sandbox");
        assert_eq!(job.input["network"], false, "and without network");
        let done = h.finished(job.id).await;
        let out = done.output.unwrap();
        assert_eq!(out["isolation"], "sandbox");
        assert_eq!(out["stdout"], "made\n", "only the workspace is writable: {}", out["stderr"]);
        let stderr = out["stderr"].as_str().unwrap();
        assert!(stderr.contains("jwt-secret") && stderr.contains("slipway.db"), "{stderr}");
        assert!(!out["stdout"].as_str().unwrap().contains("the-jwt-secret"));
        assert!(!data.join("pwned").exists() && !std::path::Path::new("/etc/pwned").exists());
        // What a user may not ask for.
        let host = json!({"command": "true", "isolation": "host"});
        assert!(matches!(h.engine.enqueue(&alice(), "command", host, EnqueueOptions::default()).await, Err(Error::Forbidden(_))));
        let net = json!({"command": "true", "network": true});
        assert!(matches!(h.engine.enqueue(&alice(), "command", net, EnqueueOptions::default()).await, Err(Error::Forbidden(_))));
        let away = json!({"command": "true", "cwd": "/etc"});
        let e = h.engine.enqueue(&alice(), "command", away, EnqueueOptions::default()).await.unwrap_err();
        assert_eq!(e.field_errors()[0].field(), "cwd");
        // An administrator's runs sandboxed too (as the node's user, with network): the data dir stays hidden.
        let job = h.engine.enqueue(&admin(), "command", json!({"command": format!("cat {d}/jwt-secret")}), EnqueueOptions::default()).await.unwrap();
        assert_eq!((job.input["isolation"].as_str(), job.input["network"].as_bool()), (Some("sandbox_as_node"), Some(true)));
        let out = h.finished(job.id).await.output.unwrap();
        assert_ne!(out["exit_code"], 0);
        assert_eq!(out["stdout"], "");
        h.stop().await;
    }

    async fn without_the_sandbox_only_administrators_run_commands_on_the_host(db: Db) {
        let h = Harness::without_sandbox(db).await;
        let e = h.engine.enqueue(&alice(), "command", json!({"command": "true"}), EnqueueOptions::default()).await;
        let Err(Error::Forbidden(message)) = e else { panic!("users may not run unsandboxed commands: {e:?}") };
        assert_eq!(
            message,
            "commands need the bubblewrap sandbox (bwrap), which is unavailable: bwrap is switched off in this test; \
             only administrators may run unsandboxed commands"
        );
        let job = h.engine.enqueue(&admin(), "command", json!({"command": "echo on the host"}), EnqueueOptions::default()).await.unwrap();
        assert_eq!(job.input["isolation"], "host");
        let done = h.finished(job.id).await;
        assert_eq!(done.status, JobStatus::Succeeded);
        assert_eq!(done.output.unwrap()["stdout"], "on the host\n");
        let e = h.engine.enqueue(&admin(), "command", json!({"command": "true", "isolation": "sandbox"}), EnqueueOptions::default()).await.unwrap_err();
        assert_eq!(e.field_errors()[0].field(), "isolation");
        h.stop().await;
    }
}
