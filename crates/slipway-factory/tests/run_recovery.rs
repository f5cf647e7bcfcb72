//! Project runs that stop before their end, on both backends: a run whose development stage fails, resumed
//! by a new run that carries on from the checkpoint without redoing the stages before; a run cancelled in the
//! middle of a stage (the provider call and a running test command stop at once); and a run whose node is
//! killed in the middle of a stage, which another node's engine retries from the checkpoint.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use slipway_engine::{EngineSettings, JobStatus};
use slipway_factory::Stage;
use slipway_factory::run::Checkpoint;
use slipway_llm::testing::MockReply;
use slipway_store::testing::TestDb;
use slipway_store::{Db, PoolSettings, backend_tests};

const DESIGNS: [Stage; 3] = [Stage::RequirementsAnalysis, Stage::ArchitectureDesign, Stage::UiDesign];
const LATER: [Stage; 4] = [Stage::Development, Stage::Testing, Stage::QaReview, Stage::Completion];

fn half_written() -> MockReply {
    MockReply::tool_call("write_file", json!({"path": "src/half.py", "content": "def half(\n"}))
}

async fn paths(db: &Db, project: i64) -> Vec<String> {
    db.project_files(project).await.unwrap().into_iter().map(|f| f.path).collect()
}

async fn stored_stages(db: &Db, project: i64) -> Vec<String> {
    let p = db.project(project).await.unwrap().unwrap();
    Checkpoint::from_stored(p.checkpoint.as_ref()).completed.into_iter().map(|r| r.stage).collect()
}

fn counts(mock: &slipway_llm::testing::MockProvider) -> Vec<usize> {
    Stage::ALL.iter().map(|s| requests_of(mock, *s).len()).collect()
}

backend_tests! {
    async fn a_failed_run_is_resumed_without_redoing_finished_stages(db: Db) {
        let rig = rig(db).await;
        let ann = person(&rig.db, "ann").await;
        let p = project(&rig.db, &ann, json!({})).await;
        script_stages(&rig.mock, &DESIGNS);
        // The developer writes half a file, then its provider refuses.
        rig.mock.push_all_for(agent_of(Stage::Development), [half_written(), MockReply::status(400, r#"{"error": {"message": "the model refused"}}"#)]);
        let job = start_run(&rig.db, &rig.node.engine, &ann, p.id, false, false).await;
        let failed = finished(&rig.node.engine, &ann, &job).await;
        assert_eq!(failed.status, JobStatus::Failed);
        assert_eq!(failed.attempts, 1, "a failed stage is not retried");
        let error = failed.error.unwrap();
        assert!(error.starts_with("stage development failed: DeveloperAgent: the LLM call failed") && error.contains("the model refused"), "{error}");
        let out = failed.output.unwrap();
        assert_eq!(out["failed_stage"], "development");
        let mut kept: Vec<&str> = out["stages"].as_array().unwrap().iter().map(|s| s["stage"].as_str().unwrap()).collect();
        let order = stored_stages(&rig.db, p.id).await;
        assert_eq!(order, kept);
        kept.sort();
        assert_eq!(kept, ["architecture_design", "requirements_analysis", "ui_design"], "the designs ran side by side, in either order");
        let stage_failed = events_of(&rig.db, job.id, "stage_failed").await;
        assert_eq!(stage_failed.len(), 1);
        assert_eq!((stage_failed[0]["stage"].as_str(), stage_failed[0]["agent"].as_str()), (Some("development"), Some("DeveloperAgent")));
        assert_eq!(paths(&rig.db, p.id).await, ["docs/ARCHITECTURE.md", "docs/SRS.md", "docs/UI_DESIGN.md"], "the half-written file is not the project's");
        let project_now = rig.db.project(p.id).await.unwrap().unwrap();
        assert_eq!((project_now.status.as_str(), project_now.progress), ("failed", 42));
        assert_eq!(counts(&rig.mock), [2, 2, 2, 2, 0, 0, 0]);

        // A resumed run: a new job that keeps the checkpoint.
        script_stages(&rig.mock, &LATER);
        let resumed = start_run(&rig.db, &rig.node.engine, &ann, p.id, true, false).await;
        let done = finished(&rig.node.engine, &ann, &resumed).await;
        assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
        assert_eq!(counts(&rig.mock), [2, 2, 2, 4, 2, 2, 2], "the stages before development were not asked again");
        let agents: Vec<String> = rig.db.job_activities(resumed.id).await.unwrap().into_iter().map(|a| a.agent).collect();
        assert_eq!(agents, LATER.map(|s| s.agent().to_owned()));
        let started = &events_of(&rig.db, resumed.id, "workflow_started").await[0];
        assert_eq!(started["resumed_from"].as_str(), Some(order[2].as_str()), "the checkpoint's last stage");
        assert_eq!(started["stages"], json!(["development", "testing", "qa_review", "completion"]));
        let progress: Vec<i64> = events_of(&rig.db, resumed.id, "progress").await.iter().map(|e| e["progress"].as_i64().unwrap()).collect();
        assert_eq!(progress, [42, 57, 71, 85, 99, 100]);
        let out = done.output.unwrap();
        let stages: Vec<&str> = out["stages"].as_array().unwrap().iter().map(|s| s["stage"].as_str().unwrap()).collect();
        let expected: Vec<&str> = order.iter().map(String::as_str).chain(LATER.map(Stage::name)).collect();
        assert_eq!(stages, expected, "the checkpoint's stages, in the order they completed");
        // The developer of the resumed run found the earlier stages' documents in its workspace.
        let dev_task = task(&requests_of(&rig.mock, Stage::Development)[2]);
        assert!(dev_task.contains("Read these deliverables of earlier stages first: docs/SRS.md, docs/ARCHITECTURE.md, docs/UI_DESIGN.md."), "{dev_task}");
        assert!(dev_task.contains("docs/UI_DESIGN.md (") && !dev_task.contains("src/half.py"), "{dev_task}");
        assert!(!dev_task.contains("already had these files"), "the documents are this run's, not older work: {dev_task}");
        assert!(!paths(&rig.db, p.id).await.contains(&"src/half.py".to_owned()));
        assert_eq!(rig.db.project(p.id).await.unwrap().unwrap().status.as_str(), "completed");
    }

    async fn a_new_run_extends_the_files_the_project_already_has(db: Db) {
        let rig = rig(db).await;
        let ann = person(&rig.db, "ann").await;
        let p = project(&rig.db, &ann, json!({"execution_strategy": "sequential"})).await;
        // An uploaded file, then two runs: the second starts from the first one's code.
        rig.node.files.write_bytes(p.id, "notes/brief.txt", "documentation", bytes::Bytes::from_static(b"use integers"), Some(ann.user_id)).await.unwrap();
        script_stages(&rig.mock, &Stage::ALL);
        let first = start_run(&rig.db, &rig.node.engine, &ann, p.id, false, false).await;
        assert_eq!(finished(&rig.node.engine, &ann, &first).await.status, JobStatus::Succeeded);
        let srs_task = task(&requests_of(&rig.mock, Stage::RequirementsAnalysis)[0]);
        assert!(srs_task.contains("already had these files before this run") && srs_task.contains("  - notes/brief.txt"), "{srs_task}");

        script_stages(&rig.mock, &Stage::ALL);
        let second = start_run(&rig.db, &rig.node.engine, &ann, p.id, false, false).await;
        let done = finished(&rig.node.engine, &ann, &second).await;
        assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
        let dev_task = task(&requests_of(&rig.mock, Stage::Development)[2]);
        assert!(dev_task.contains("This run extends that work") && dev_task.contains("  - calc.py\n"), "{dev_task}");
        let out = done.output.unwrap();
        assert_eq!(out["stages"].as_array().unwrap().len(), 7, "a fresh execute runs every stage again");
        assert_eq!(out["stages"][3]["files"], json!([]), "the same calc.py again is no new version");
        let versions: Vec<(String, i32)> = rig.db.project_files(p.id).await.unwrap().into_iter().map(|f| (f.path, f.version)).collect();
        assert!(versions.contains(&("calc.py".into(), 1)) && versions.contains(&("DELIVERY.md".into(), 2)), "{versions:?}");
    }

    async fn a_run_replaced_by_a_newer_one_stops_without_writing(db: Db) {
        let rig = rig(db).await;
        let ann = person(&rig.db, "ann").await;
        let p = project(&rig.db, &ann, json!({"execution_strategy": "sequential"})).await;
        script_stages(&rig.mock, &DESIGNS);
        rig.mock.push_all_for(agent_of(Stage::Development), [
            MockReply::tool_call("write_file", json!({"path": "src/old.py", "content": "x = 1\n"})),
            MockReply::text("Wrote src/old.py.").delay(Duration::from_millis(800)),
        ]);
        let old = start_run(&rig.db, &rig.node.engine, &ann, p.id, false, false).await;
        wait_for_requests(&rig.mock, Stage::Development, 2).await;
        // A newer run starts (as a resume) while the old one's developer still works.
        script_stages(&rig.mock, &LATER);
        let new = start_run(&rig.db, &rig.node.engine, &ann, p.id, true, false).await;
        let replaced = finished(&rig.node.engine, &ann, &old).await;
        assert_eq!(replaced.status, JobStatus::Failed);
        assert!(replaced.error.as_deref().unwrap().contains("a newer run of the project started"), "{:?}", replaced.error);
        let done = finished(&rig.node.engine, &ann, &new).await;
        assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
        assert!(!paths(&rig.db, p.id).await.contains(&"src/old.py".to_owned()), "the replaced run stored nothing");
        assert_eq!(stored_stages(&rig.db, p.id).await.len(), 7);
    }

    async fn cancelling_stops_the_provider_call_and_the_test_command_at_once(db: Db) {
        let rig = rig(db).await;
        let ann = person(&rig.db, "ann").await;
        let p = project(&rig.db, &ann, json!({"execution_strategy": "sequential"})).await;
        script_stages(&rig.mock, &DESIGNS);
        rig.mock.push_all_for(agent_of(Stage::Development), [half_written(), MockReply::text("too late").delay(Duration::from_secs(30))]);
        let job = start_run(&rig.db, &rig.node.engine, &ann, p.id, false, false).await;
        wait_for_requests(&rig.mock, Stage::Development, 2).await;
        let clock = Instant::now();
        rig.node.engine.cancel(&ann, job.id).await.unwrap();
        let done = finished(&rig.node.engine, &ann, &job).await;
        assert_eq!(done.status, JobStatus::Cancelled);
        assert!(clock.elapsed() < Duration::from_secs(3), "cancel took {:?}", clock.elapsed());
        assert!(rig.mock.wait_for_disconnects(1, Duration::from_secs(3)).await, "the provider call was not dropped");
        assert!(events_of(&rig.db, job.id, "stage_failed").await.is_empty());
        let dev = rig.db.job_activities(job.id).await.unwrap().into_iter().find(|a| a.agent == "DeveloperAgent").unwrap();
        assert_eq!(dev.status, "cancelled");
        assert_eq!(stored_stages(&rig.db, p.id).await, ["requirements_analysis", "architecture_design", "ui_design"]);
        assert!(!paths(&rig.db, p.id).await.contains(&"src/half.py".to_owned()));
        let project_now = rig.db.project(p.id).await.unwrap().unwrap();
        assert_eq!((project_now.status.as_str(), project_now.current_stage.as_deref()), ("cancelled", Some("development")));

        // A test command that would run for half a minute stops with the job too.
        let p = project(&rig.db, &ann, json!({"execution_strategy": "sequential"})).await;
        script_stages(&rig.mock, &[Stage::RequirementsAnalysis, Stage::ArchitectureDesign, Stage::UiDesign, Stage::Development]);
        rig.mock.push_all_for(agent_of(Stage::Testing), [MockReply::tool_call("submit_test_command", json!({"command": "echo started; sleep 30; echo finished"}))]);
        let job = start_run(&rig.db, &rig.node.engine, &ann, p.id, false, true).await;
        wait_for_requests(&rig.mock, Stage::Testing, 1).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let clock = Instant::now();
        rig.node.engine.cancel(&ann, job.id).await.unwrap();
        let done = finished(&rig.node.engine, &ann, &job).await;
        assert_eq!(done.status, JobStatus::Cancelled);
        assert!(clock.elapsed() < Duration::from_secs(3), "cancel took {:?}", clock.elapsed());
        assert_eq!(stored_stages(&rig.db, p.id).await.len(), 4, "testing was not stored");
    }
}

/// Starts a node in a runtime of its own on a thread, on its own pool of the test's database; it runs until
/// `stop` fires, then its runtime is dropped with everything in it, as if its process were killed.
fn doomed_node(
    url: String,
    provider: slipway_llm::ProviderConfig,
    dir: std::path::PathBuf,
    stop: std::sync::mpsc::Receiver<()>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async move {
            let db = Db::connect(&url, &PoolSettings::default()).await.unwrap();
            let settings = EngineSettings { lease: Duration::from_secs(1), ..settings(&dir, "node-1") };
            let _node = node(db, provider, settings, &dir).await;
            let _ = tokio::task::spawn_blocking(move || stop.recv()).await;
        });
        rt.shutdown_background();
    })
}

async fn a_killed_node_s_run_is_retried_from_its_checkpoint(t: &TestDb) {
    let db = t.db.clone();
    let mock = slipway_llm::testing::MockProvider::start().await;
    let dir = tempfile::tempdir().unwrap();
    let client =
        node(db.clone(), mock.config("deepseek"), settings(dir.path(), "client").client_only(), dir.path()).await;
    let ann = person(&db, "ann").await;
    let p = project(&db, &ann, json!({"execution_strategy": "sequential"})).await;
    script_stages(&mock, &DESIGNS);
    mock.push_all_for(
        agent_of(Stage::Development),
        [half_written(), MockReply::text("never sent").delay(Duration::from_secs(30))],
    );
    let (stop, stopped) = std::sync::mpsc::channel();
    let first = doomed_node(t.url().to_owned(), mock.config("deepseek"), dir.path().to_path_buf(), stopped);
    let job = start_run(&db, &client.engine, &ann, p.id, false, false).await;
    wait_for_requests(&mock, Stage::Development, 2).await;
    let running = db.job(job.id).await.unwrap().unwrap();
    assert_eq!((running.status, running.attempts), (JobStatus::Running, 1));
    stop.send(()).unwrap();
    first.join().unwrap();
    assert!(mock.wait_for_disconnects(1, Duration::from_secs(3)).await, "the killed node's call was cut off");
    assert_eq!(stored_stages(&db, p.id).await, ["requirements_analysis", "architecture_design", "ui_design"]);

    // Another node takes the job over once the dead node's lease has run out.
    script_stages(&mock, &LATER);
    let settings = EngineSettings { lease: Duration::from_secs(1), ..settings(dir.path(), "node-2") };
    let second = node(db.clone(), mock.config("deepseek"), settings, dir.path()).await;
    let done = finished(&second.engine, &ann, &job).await;
    assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.attempts, 2);
    assert_eq!(counts(&mock), [2, 2, 2, 4, 2, 2, 2], "only the stage the node died in was done again");
    let starts = events_of(&db, job.id, "workflow_started").await;
    assert_eq!(starts.len(), 2);
    assert_eq!((starts[0]["resumed_from"].is_null(), starts[1]["resumed_from"].as_str()), (true, Some("ui_design")));
    let requeued = events_of(&db, job.id, "status").await.into_iter().find(|e| e["status"] == "queued").unwrap();
    assert!(requeued["error"].as_str().unwrap_or_default().contains("lease"), "{requeued}");
    let out = done.output.unwrap();
    assert_eq!(out["stages"].as_array().unwrap().len(), 7);
    let files = paths(&db, p.id).await;
    assert!(files.contains(&"calc.py".to_owned()) && !files.contains(&"src/half.py".to_owned()), "{files:?}");
    let agents: Vec<String> = db.job_activities(job.id).await.unwrap().into_iter().map(|a| a.agent).collect();
    assert_eq!(agents, Stage::ALL.map(|s| s.agent().to_owned()), "the dead node's developer left no record");
    second.engine.shutdown(Duration::from_secs(1)).await;
    client.engine.shutdown(Duration::from_secs(1)).await;
}

/// A node killed mid-stage, on each backend (its own pool of the test's database lives in the killed runtime).
mod a_killed_node_s_run_is_retried_from_its_checkpoint {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let t = slipway_store::testing::sqlite().await;
        super::a_killed_node_s_run_is_retried_from_its_checkpoint(&t).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let Some(t) = slipway_store::testing::postgres().await else { return };
        super::a_killed_node_s_run_is_retried_from_its_checkpoint(&t).await;
    }
}
