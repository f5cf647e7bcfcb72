//! The `command` executor on both backends: environment, working directory, exit code, duration, and
//! stdout/stderr streamed line by line as events and kept in the output.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Harness, admin};
use futures_util::StreamExt;
use serde_json::json;
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
}
