//! Project runs end to end on both backends, against a local provider that answers each agent from its own
//! script: a full run of the seven stages (real files with their stages' categories, one activity per agent
//! under the document's names, a checkpoint stored before the next stage starts, the tests really run), the
//! strategies (the designs side by side or one after the other), tests that cannot be run, and the response
//! cache being used only when the project asks for it.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use serde_json::json;
use slipway_engine::JobStatus;
use slipway_factory::Stage;
use slipway_factory::run::Checkpoint;
use slipway_llm::testing::MockReply;
use slipway_store::agents::ActivityRecord;
use slipway_store::{Db, backend_tests};

/// The project's files: path → (category, version).
async fn files(db: &Db, project: i64) -> BTreeMap<String, (String, i32)> {
    db.project_files(project).await.unwrap().into_iter().map(|f| (f.path, (f.category, f.version))).collect()
}

fn activity(all: &[ActivityRecord], stage: Stage) -> &ActivityRecord {
    all.iter().find(|a| a.agent == stage.agent()).unwrap()
}

fn overlap(a: &ActivityRecord, b: &ActivityRecord) -> bool {
    a.started_at < b.finished_at && b.started_at < a.finished_at
}

/// Design scripts where the UI designer writes its file at once and then works on, while the architect
/// finishes in the meantime: run side by side, the architect's stage ends while the UI design's file is there.
fn script_designs(rig: &Rig) {
    let ui = script(Stage::UiDesign);
    rig.mock.push_all_for(agent_of(Stage::UiDesign), [ui[0].clone(), ui[1].clone().delay(Duration::from_millis(700))]);
    rig.mock.push_all_for(
        agent_of(Stage::ArchitectureDesign),
        slow_script(Stage::ArchitectureDesign, Duration::from_millis(300)),
    );
}

backend_tests! {
    async fn a_full_run_takes_the_project_through_seven_stages(db: Db) {
        let rig = rig(db).await;
        let ann = person(&rig.db, "ann").await;
        let p = project(&rig.db, &ann, json!({"execution_strategy": "sequential"})).await;
        let others: Vec<Stage> = Stage::ALL.into_iter().filter(|s| *s != Stage::Development).collect();
        script_stages(&rig.mock, &others);
        // The developer's first answer takes a while, so the checkpoint can be read while it works.
        rig.mock.push_all_for(agent_of(Stage::Development), slow_script(Stage::Development, Duration::from_millis(400)));
        let job = start_run(&rig.db, &rig.node.engine, &ann, p.id, false, true).await;
        wait_for_requests(&rig.mock, Stage::Development, 1).await;
        let mid = Checkpoint::from_stored(rig.db.project(p.id).await.unwrap().unwrap().checkpoint.as_ref());
        let stored: Vec<&str> = mid.completed.iter().map(|r| r.stage.as_str()).collect();
        assert_eq!(stored, ["requirements_analysis", "architecture_design", "ui_design"], "stored before development began");
        let files_mid = files(&rig.db, p.id).await;
        assert!(files_mid.contains_key("docs/UI_DESIGN.md") && !files_mid.contains_key("calc.py"), "{files_mid:?}");

        let done = finished(&rig.node.engine, &ann, &job).await;
        assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
        assert_eq!((done.progress, done.attempts), (100, 1));
        let out = done.output.unwrap();
        let stages: Vec<&str> = out["stages"].as_array().unwrap().iter().map(|s| s["stage"].as_str().unwrap()).collect();
        assert_eq!(stages, Stage::ALL.map(Stage::name));
        assert_eq!(out["stages"][0]["files"], json!(["docs/SRS.md"]));
        assert!(out["stages"][0]["tokens_used"].as_u64().unwrap() > 0);
        assert_eq!(out["files"].as_array().unwrap().len(), 8, "{}", out["files"]);

        let files = files(&rig.db, p.id).await;
        let expect = [
            ("DELIVERY.md", "documentation"), ("README.md", "documentation"), ("calc.py", "code"),
            ("docs/ARCHITECTURE.md", "design"), ("docs/QA_REVIEW.md", "documentation"),
            ("docs/SRS.md", "requirements"), ("docs/UI_DESIGN.md", "design"), ("tests/test_calc.py", "test"),
        ];
        let got: Vec<(&str, &str, i32)> = files.iter().map(|(p, (c, v))| (p.as_str(), c.as_str(), *v)).collect();
        let want: Vec<(&str, &str, i32)> = expect.iter().map(|(p, c)| (*p, *c, 1)).collect();
        assert_eq!(got, want, "no __pycache__ or other build output is a project file");
        assert_eq!(file_text(&rig.db, &rig.node.files, p.id, "calc.py").await.unwrap(), CALC);

        let activities = rig.db.job_activities(job.id).await.unwrap();
        let agents: Vec<(&str, &str, &str)> = activities.iter().map(|a| (a.agent.as_str(), a.stage.as_str(), a.status.as_str())).collect();
        let expected: Vec<(&str, &str, &str)> = Stage::ALL.iter().map(|s| (s.agent(), s.name(), "succeeded")).collect();
        assert_eq!(agents, expected);

        // Each stage started, then completed once its files and checkpoint were stored.
        let log = events(&rig.db, job.id).await;
        let kinds: Vec<&str> = log.iter().map(|e| e.kind.as_str()).filter(|k| k.starts_with("stage_") || *k == "workflow_started").collect();
        let mut want = vec!["workflow_started"];
        for _ in Stage::ALL {
            want.extend(["stage_started", "stage_completed"]);
        }
        assert_eq!(kinds, want);
        let completed = events_of(&rig.db, job.id, "stage_completed").await;
        assert_eq!((completed[3]["stage"].as_str(), completed[3]["agent"].as_str()), (Some("development"), Some("DeveloperAgent")));
        assert_eq!(completed[3]["files"], json!(["calc.py"]));
        assert!(completed[3]["duration_seconds"].as_f64().unwrap() >= 0.4, "{}", completed[3]);
        assert_eq!(completed[3]["tokens_used"], out["stages"][3]["tokens_used"]);
        let started = &events_of(&rig.db, job.id, "workflow_started").await[0];
        assert_eq!((started["project_id"].as_i64(), started["resumed_from"].is_null()), (Some(p.id), true));
        assert_eq!(started["stages"].as_array().unwrap().len(), 7);
        let progress: Vec<i64> = events_of(&rig.db, job.id, "progress").await.iter().map(|e| e["progress"].as_i64().unwrap()).collect();
        assert_eq!(progress, [0, 14, 28, 42, 57, 71, 85, 99, 100]);
        let stage_events: Vec<String> = events_of(&rig.db, job.id, "stage").await.iter().map(|e| e["stage"].as_str().unwrap().to_owned()).collect();
        assert_eq!(stage_events, Stage::ALL.map(|s| s.name().to_owned()));
        let project = rig.db.project(p.id).await.unwrap().unwrap();
        assert_eq!((project.status.as_str(), project.progress, project.current_stage.as_deref()), ("completed", 100, Some("completion")));
        assert!(Checkpoint::from_stored(project.checkpoint.as_ref()).is_complete());

        // The tests were run for real: one passes, one fails, and the real exit code is kept.
        let testing = &out["stages"][4]["data"];
        assert_eq!((testing["ran"].as_bool(), testing["exit_code"].as_i64(), testing["success"].as_bool()), (Some(true), Some(1), Some(false)), "{testing}");
        assert_eq!(testing["counts"], json!({"framework": "unittest", "passed": 1, "failed": 1, "skipped": 0, "errors": 0, "total": 2}));
        assert!(testing["output_tail"].as_str().unwrap().contains("test_wrong"), "{testing}");
        assert_eq!(testing["command"], TEST_COMMAND);
        let review = &out["stages"][5]["data"];
        assert_eq!((review["score"].as_f64(), review["approved"].as_bool()), (Some(7.5), Some(true)));
        assert_eq!(review["issues"], json!(["tests/test_calc.py: test_wrong expects 5"]));

        // Each agent was told what to read; the README's writer and DELIVERY.md got the real facts.
        let dev_task = task(&requests_of(&rig.mock, Stage::Development)[0]);
        assert!(dev_task.contains(REQUIREMENTS) && dev_task.contains("docs/SRS.md, docs/ARCHITECTURE.md, docs/UI_DESIGN.md"), "{dev_task}");
        assert!(system(&requests_of(&rig.mock, Stage::Development)[0]).contains("run_command"));
        let qa_task = task(&requests_of(&rig.mock, Stage::QaReview)[0]);
        assert!(qa_task.contains("Test results: `python3 -m unittest discover -s tests -v` exited with code 1; 2 tests: 1 passed, 1 failed"), "{qa_task}");
        assert!(!qa_task.contains("__pycache__"), "build output is not listed: {qa_task}");
        let pm_task = task(&requests_of(&rig.mock, Stage::Completion)[0]);
        assert!(pm_task.contains("Quality review: score 7.5/10, approved, 1 issue(s)"), "{pm_task}");
        let delivery = file_text(&rig.db, &rig.node.files, p.id, "DELIVERY.md").await.unwrap();
        assert!(delivery.starts_with("# Delivery: Calc") && delivery.contains(&format!("Workflow `{}`", project.workflow_id.unwrap())), "{delivery}");
        assert!(delivery.contains("| development | DeveloperAgent | 0.") && delivery.contains("| calc.py |"), "{delivery}");
        assert!(delivery.contains("exited with code 1; 2 tests: 1 passed, 1 failed"), "{delivery}");
        assert!(delivery.contains("score 7.5/10, approved") && delivery.contains("- tests/test_calc.py ("), "{delivery}");
        assert!(!delivery.contains("__pycache__"), "{delivery}");
        assert_eq!(rig.mock.pending(), 0);
    }

    async fn adaptive_and_parallel_runs_do_the_two_designs_side_by_side(db: Db) {
        let rig = rig(db).await;
        let ann = person(&rig.db, "ann").await;
        for config in [json!({"execution_strategy": "adaptive"}), json!({"execution_strategy": "parallel", "parallel_stages": ["architecture_design", "ui_design"]})] {
            let p = project(&rig.db, &ann, config.clone()).await;
            script_stages(&rig.mock, &[Stage::RequirementsAnalysis, Stage::Development, Stage::Testing, Stage::QaReview, Stage::Completion]);
            script_designs(&rig);
            let job = start_run(&rig.db, &rig.node.engine, &ann, p.id, false, false).await;
            let done = finished(&rig.node.engine, &ann, &job).await;
            assert_eq!(done.status, JobStatus::Succeeded, "{config}: {:?}", done.error);
            let activities = rig.db.job_activities(job.id).await.unwrap();
            let (arch, ui) = (activity(&activities, Stage::ArchitectureDesign), activity(&activities, Stage::UiDesign));
            assert!(overlap(arch, ui), "{config}: {arch:?} {ui:?}");
            assert!(activity(&activities, Stage::RequirementsAnalysis).finished_at <= arch.started_at.min(ui.started_at));
            assert!(arch.finished_at.max(ui.finished_at) <= activity(&activities, Stage::Development).started_at);
            // Side by side in one workspace, each stage stored only what its own agent wrote.
            let out = done.output.unwrap();
            let files_of = |name: &str| out["stages"].as_array().unwrap().iter().find(|s| s["stage"] == name).unwrap()["files"].clone();
            assert_eq!(files_of("architecture_design"), json!(["docs/ARCHITECTURE.md"]), "{config}");
            assert_eq!(files_of("ui_design"), json!(["docs/UI_DESIGN.md"]), "{config}");
            let order: Vec<String> = events_of(&rig.db, job.id, "stage_completed").await.iter().map(|e| e["stage"].as_str().unwrap().to_owned()).collect();
            assert_eq!(&order[1..3], ["architecture_design", "ui_design"], "the architect finished first");
            let files = files(&rig.db, p.id).await;
            assert_eq!(files["docs/UI_DESIGN.md"], ("design".to_owned(), 1));
        }
    }

    async fn a_sequential_run_does_one_stage_after_the_other(db: Db) {
        let rig = rig(db).await;
        let ann = person(&rig.db, "ann").await;
        let p = project(&rig.db, &ann, json!({"execution_strategy": "sequential", "parallel_stages": ["architecture_design", "ui_design"]})).await;
        script_stages(&rig.mock, &[Stage::RequirementsAnalysis, Stage::Development, Stage::Testing, Stage::QaReview, Stage::Completion]);
        script_designs(&rig);
        let job = start_run(&rig.db, &rig.node.engine, &ann, p.id, false, false).await;
        let done = finished(&rig.node.engine, &ann, &job).await;
        assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
        let activities = rig.db.job_activities(job.id).await.unwrap();
        for pair in activities.windows(2) {
            assert!(pair[0].finished_at <= pair[1].started_at, "{pair:?}");
        }
        assert!(!overlap(activity(&activities, Stage::ArchitectureDesign), activity(&activities, Stage::UiDesign)));
        let agents: Vec<&str> = activities.iter().map(|a| a.agent.as_str()).collect();
        assert_eq!(agents, Stage::ALL.map(Stage::agent));
    }

    async fn tests_are_not_run_without_the_right_to_run_commands(db: Db) {
        let rig = rig(db).await;
        let ann = person(&rig.db, "ann").await;
        let p = project(&rig.db, &ann, json!({"execution_strategy": "sequential"})).await;
        script_stages(&rig.mock, &Stage::ALL);
        let job = start_run(&rig.db, &rig.node.engine, &ann, p.id, false, false).await;
        let done = finished(&rig.node.engine, &ann, &job).await;
        assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
        let testing = done.output.unwrap()["stages"][4]["data"].clone();
        assert_eq!((testing["ran"].as_bool(), testing["command"].as_str()), (Some(false), Some(TEST_COMMAND)), "{testing}");
        assert!(testing["reason"].as_str().unwrap().contains("may not run commands"), "{testing}");
        assert!(testing.get("exit_code").is_none());
        let tester = &requests_of(&rig.mock, Stage::Testing)[0];
        assert!(!tester.tools.contains(&"run_command".to_owned()) && tester.tools.contains(&"submit_test_command".to_owned()), "{:?}", tester.tools);
        assert!(!system(tester).contains("run_command"));
        let delivery = file_text(&rig.db, &rig.node.files, p.id, "DELIVERY.md").await.unwrap();
        assert!(delivery.contains("was not run: the tests were written but not run"), "{delivery}");
    }

    async fn the_tests_coverage_is_read_from_what_the_command_printed(db: Db) {
        let rig = rig(db).await;
        let ann = person(&rig.db, "ann").await;
        let p = project(&rig.db, &ann, json!({"execution_strategy": "sequential"})).await;
        script_stages(&rig.mock, &[Stage::RequirementsAnalysis, Stage::ArchitectureDesign, Stage::UiDesign, Stage::Development, Stage::QaReview, Stage::Completion]);
        // Tests that pass, and a command that also prints a coverage report (as coverage.py would).
        let passing = TESTS.replace("add(2, 2), 5", "add(2, 2), 4");
        let command = "python3 -m unittest discover -s tests && python3 -c \"print('TOTAL      12      3    75%')\"";
        rig.mock.push_all_for(agent_of(Stage::Testing), [
            MockReply::tool_call("write_file", json!({"path": "tests/test_calc.py", "content": passing})),
            MockReply::tool_call("submit_test_command", json!({"command": command})),
        ]);
        let job = start_run(&rig.db, &rig.node.engine, &ann, p.id, false, true).await;
        let done = finished(&rig.node.engine, &ann, &job).await;
        assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
        let testing = done.output.unwrap()["stages"][4]["data"].clone();
        assert_eq!((testing["exit_code"].as_i64(), testing["coverage_percent"].as_f64()), (Some(0), Some(75.0)), "{testing}");
        assert_eq!((testing["counts"]["passed"].as_u64(), testing["counts"]["failed"].as_u64()), (Some(2), Some(0)), "{testing}");
        assert!(testing["duration_ms"].as_u64().is_some());
    }

    async fn without_enable_cache_no_call_is_answered_from_the_cache(db: Db) {
        let rig = rig(db).await;
        let ann = person(&rig.db, "ann").await;
        let run = |cache: bool| {
            let (rig, ann) = (&rig, &ann);
            async move {
                let p = project(&rig.db, ann, json!({"execution_strategy": "sequential", "enable_cache": cache})).await;
                let job = start_run(&rig.db, &rig.node.engine, ann, p.id, false, false).await;
                let done = finished(&rig.node.engine, ann, &job).await;
                assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
            }
        };
        // Two identical projects: the first with the cache (it fills it), the second without.
        script_stages(&rig.mock, &Stage::ALL);
        run(true).await;
        let asked = rig.mock.requests().len();
        assert_eq!(asked, 14);
        script_stages(&rig.mock, &Stage::ALL);
        run(false).await;
        assert_eq!(rig.mock.requests().len(), 2 * asked, "every call of the second run reached the provider");
        assert_eq!(rig.node.llm.cache_stats().hits, 0);
        // A third with the cache again: answered from it, so the cache was warm for the second.
        run(true).await;
        assert_eq!(rig.mock.requests().len(), 2 * asked);
        assert_eq!(rig.node.llm.cache_stats().hits, 14);
    }
}
