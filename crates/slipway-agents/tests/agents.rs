//! Agent jobs end to end on both backends, against a local server that speaks the providers' wire protocols:
//! diet plans (schema feedback, storage), development tasks (planner, agents with tools, reviewer gate),
//! workflows (parallel phases, gates that stop a run), cancellation mid-call, malformed provider output, and the
//! refusal to start without a provider; agents that answer in text instead of handing over their result (asked
//! again, then forced), failed tasks and workflows that keep their work, and the response cache being opt-in.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::{Value, json};
use slipway_agents::diet::PetInput;
use slipway_agents::{Agents, Runtime};
use slipway_core::{Error, Principal, Role};
use slipway_engine::{Engine, EngineSettings, EnqueueOptions, Job, JobStatus, Waited};
use slipway_llm::testing::{MockProvider, MockReply, RecordedRequest};
use slipway_llm::{Llm, LlmSettings};
use slipway_store::identity::NewUser;
use slipway_store::{Db, Sealer, backend_tests};

struct Rig {
    agents: Agents,
    llm: Llm,
    db: Db,
    engine: Engine,
    _dir: tempfile::TempDir,
}

async fn rig(db: Db, mock: Option<&MockProvider>) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let settings = LlmSettings { server_default: mock.map(|m| m.config("deepseek")), ..LlmSettings::default() };
    let llm = Llm::new(db.clone(), settings, Sealer::from_secret("a test secret of at least thirty-two chars"))
        .await
        .unwrap();
    let runtime = Runtime { llm: llm.clone(), db: db.clone() };
    let engine_settings =
        EngineSettings { workers: 4, workspace_root: dir.path().join("workspaces"), ..EngineSettings::default() };
    let engine =
        slipway_agents::register(Engine::builder(db.clone(), engine_settings), &runtime).start().await.unwrap();
    Rig { agents: Agents::new(engine.clone(), llm.clone(), db.clone()), llm, db, engine, _dir: dir }
}

async fn person(db: &Db, name: &str, role: Role) -> Principal {
    let email = format!("{name}@example.com");
    let role_name = if role == Role::Admin { "admin" } else { "user" };
    let new = NewUser {
        username: name,
        email: &email,
        password_hash: "$argon2id$x",
        role: role_name,
        full_name: name,
        email_verified: true,
    };
    let u = db.insert_user(&new, slipway_core::time::now()).await.unwrap();
    Principal { user_id: u.id, username: name.into(), role }
}

async fn finished(rig: &Rig, who: &Principal, job: &Job) -> Job {
    match rig.engine.wait(who, job.id, Duration::from_secs(30)).await.unwrap() {
        Waited::Finished(j) => j,
        Waited::TimedOut(j) => panic!("job did not finish: {j:?}"),
    }
}

fn dog() -> PetInput {
    serde_json::from_value(json!({"pet_type": "dog", "pet_breed": "golden retriever", "age": 2, "pet_weight": 25}))
        .unwrap()
}

fn plan_args() -> Value {
    let week = |n: i64| {
        json!({"week": n, "focus": "steady", "meals": [
        {"time": "08:00", "food": "kibble", "amount_g": 180}, {"time": "18:00", "food": "kibble and chicken", "amount_g": 200}]})
    };
    json!({
        "ai_suggestions": "Two meals a day, lean protein, fresh water.",
        "pet_information": {"pet_type": "dog", "life_stage": "adult", "daily_calories_kcal": 1300},
        "pet_diet_plan": {"daily_calories_kcal": 1300, "meals_per_day": 2, "weeks": [week(1), week(2), week(3), week(4)]}
    })
}

fn tool_names(request: &RecordedRequest) -> Vec<String> {
    request.body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
        .collect()
}

fn last_user_text(request: &RecordedRequest) -> String {
    let messages = request.body["messages"].as_array().unwrap();
    messages.iter().rev().find(|m| m["role"] == "user").unwrap()["content"].as_str().unwrap_or_default().to_owned()
}

/// A plan of one step, the developer writing hello.py (29 bytes) and reporting.
fn plan_and_build() -> [MockReply; 3] {
    [
        MockReply::tool_call(
            "submit_plan",
            json!({"summary": "a greeting module", "steps": [
            {"agent": "developer", "instruction": "write hello.py with a greet() function"}]}),
        ),
        MockReply::tool_call("write_file", json!({"path": "hello.py", "content": "def greet():\n    return 'hi'\n"})),
        MockReply::text("Wrote hello.py with greet()."),
    ]
}

async fn kinds(rig: &Rig, who: &Principal, id: i64) -> Vec<String> {
    use futures_util::StreamExt;
    let events: Vec<_> = rig.engine.subscribe(who, id, 0).await.unwrap().collect().await;
    events.into_iter().map(|e| e.unwrap().kind.clone()).collect()
}

backend_tests! {
    async fn a_diet_plan_is_corrected_against_its_schema_and_stored(db: Db) {
        let mock = MockProvider::start().await;
        let rig = rig(db, Some(&mock)).await;
        let ann = person(&rig.db, "ann", Role::User).await;
        // First a plan with no weeks (refused with the reasons), then a valid one.
        let mut thin = plan_args();
        thin["pet_diet_plan"]["weeks"] = json!([]);
        mock.push(slipway_llm::testing::MockReply::tool_call("write_plan", thin).usage(100, 40));
        mock.push(slipway_llm::testing::MockReply::tool_call("write_plan", plan_args()).with_text("Here is the plan.").usage(150, 60));
        let job = rig.agents.create_plan(&ann, dog()).await.unwrap();
        let done = finished(&rig, &ann, &job).await;
        assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
        let requests = mock.requests();
        assert_eq!(requests.len(), 2);
        let second = requests[1].body.to_string();
        assert!(second.contains("/pet_diet_plan/weeks"), "the schema problems went back to the model: {second}");
        let (_, plan) = rig.agents.plan(&ann, job.id).await.unwrap();
        let plan = plan.unwrap();
        assert_eq!(plan.pet_diet_plan["weeks"].as_array().unwrap().len(), 4);
        assert_eq!(plan.pet_information["pet_breed"], "golden retriever");
        assert_eq!(plan.pet_information["daily_calories_kcal"], 1300);
        let events = kinds(&rig, &ann, job.id).await;
        for expected in ["message_created", "task_started", "agent_started", "tool_called", "agent_message", "agent_finished", "progress"] {
            assert!(events.iter().any(|k| k == expected), "{expected} missing from {events:?}");
        }
        let activities = rig.db.job_activities(job.id).await.unwrap();
        assert_eq!(activities.len(), 1);
        assert_eq!((activities[0].status.as_str(), activities[0].prompt_tokens, activities[0].completion_tokens), ("succeeded", 250, 100));
        rig.llm.flush_usage().await;
        assert_eq!(rig.llm.usage_for(Some(ann.user_id), Some(job.id)).await.unwrap().len(), 2);

        // Another user sees nothing of it.
        let bob = person(&rig.db, "bob", Role::User).await;
        assert!(matches!(rig.agents.plan(&bob, job.id).await, Err(Error::NotFound(_))));
        assert_eq!(rig.agents.plans(&bob, vec![], 0, 10).await.unwrap().total, 0);
        assert_eq!(rig.agents.plans(&ann, vec![JobStatus::Succeeded], 0, 10).await.unwrap().total, 1);
    }

    async fn a_development_task_plans_works_and_is_reviewed(db: Db) {
        let mock = MockProvider::start().await;
        let rig = rig(db, Some(&mock)).await;
        let ann = person(&rig.db, "ann", Role::User).await;
        mock.push_all([
            MockReply::tool_call("submit_plan", json!({"summary": "a greeting module", "steps": [
                {"agent": "developer", "instruction": "write hello.py with a greet() function"}]})),
            MockReply::tool_call("write_file", json!({"path": "hello.py", "content": "def greet():\n    return 'hi'\n"})),
            MockReply::text("Wrote hello.py with greet()."),
            MockReply::tool_call("read_file", json!({"path": "hello.py"})),
            MockReply::tool_call("submit_review", json!({"score": 8.5, "approved": true, "summary": "small and correct", "issues": []})),
        ]);
        let job = rig.agents.submit_task(&ann, "Create a greeting module", 60, false).await.unwrap();
        let sandboxed = rig.engine.sandbox().is_available();
        assert_eq!(job.input["allow_commands"], sandboxed, "a user's agents run commands only in the sandbox");
        let done = finished(&rig, &ann, &job).await;
        assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
        let out = done.output.unwrap();
        let report = out["output"].as_str().unwrap();
        assert!(report.contains("[developer] write hello.py") && report.contains("hello.py (29 bytes)"), "{report}");
        assert!(report.contains("Review: 8.5/10, approved, gate passed"), "{report}");
        assert_eq!(out["files"][0]["content"], "def greet():\n    return 'hi'\n");
        let agents: Vec<String> = rig.db.job_activities(job.id).await.unwrap().into_iter().map(|a| a.agent).collect();
        assert_eq!(agents, ["planner", "developer", "reviewer"]);
        let gates = rig.db.job_gate_checks(job.id).await.unwrap();
        assert_eq!((gates[0].gate_name.as_str(), gates[0].result.as_str(), gates[0].score), ("llm_review", "passed", Some(8.5)));
        // The developer got run_command exactly when commands are sandboxed.
        let dev_request = &mock.requests()[1].body;
        assert_eq!(dev_request.to_string().contains("run_command"), sandboxed, "{dev_request}");
    }

    async fn a_workflow_runs_phases_and_a_failed_gate_stops_it(db: Db) {
        let mock = MockProvider::start().await;
        let rig = rig(db, Some(&mock)).await;
        let root = person(&rig.db, "root", Role::Admin).await;
        // premium_quality: understanding (3 in parallel), architecture (2), development (3 in parallel) and its test
        // gate, review (2 in parallel) and the security scan, which finds the key the backend engineer wrote.
        mock.set_default(MockReply::text("done"));
        mock.push_all([MockReply::text("requirements written"), MockReply::text("ok"), MockReply::text("ok"),
                       MockReply::text("architecture written"), MockReply::text("security notes written")]);
        mock.push(MockReply::tool_call("write_file", json!({"path": "app/config.py", "content": "AWS_KEY = 'AKIAABCDEFGHIJKLMNOP'\n"})));
        let (job, tpl) = rig
            .agents
            .execute_workflow(&root, "premium_quality", "a config loader", json!({"tech_stack": "Python"}), json!({"code_coverage": 90, "security_scan": true}))
            .await
            .unwrap();
        assert_eq!((tpl.phases.len(), tpl.quality_gates(), tpl.sync_points()), (5, 3, 3));
        let done = finished(&rig, &root, &job).await;
        assert_eq!(done.status, JobStatus::Failed);
        let error = done.error.unwrap();
        assert!(error.starts_with("quality gate failed after 质量审查: security_scan"), "{error}");
        let gates = rig.db.job_gate_checks(job.id).await.unwrap();
        let results: Vec<(&str, &str)> = gates.iter().map(|g| (g.gate_name.as_str(), g.result.as_str())).collect();
        assert_eq!(results, [("tests_pass", "skipped"), ("code_coverage", "skipped"), ("security_scan", "failed")]);
        assert!(gates[2].reason.contains("app/config.py:1 AWS access key"), "{}", gates[2].reason);
        let status = rig.agents.workflow(&root, job.id).await.unwrap();
        assert_eq!(status.activities.len(), 10, "3 + 2 + 3 + 2 agents ran");
        assert_eq!(status.job.stage.as_deref(), Some("质量审查"));
        let events = kinds(&rig, &root, job.id).await;
        assert_eq!(events.iter().filter(|k| *k == "sync_point").count(), 3);
        let report = rig.agents.gate_report(&root).await.unwrap();
        assert_eq!((report.stats.total, report.stats.failed), (1, 1));
        assert_eq!(report.recent_failures[0].gate_name, "security_scan");
    }

    async fn cancelling_stops_the_agent_and_its_provider_call(db: Db) {
        let mock = MockProvider::start().await;
        let rig = rig(db, Some(&mock)).await;
        let ann = person(&rig.db, "ann", Role::User).await;
        mock.push(MockReply::text("too late").delay(Duration::from_secs(30)));
        let job = rig.agents.create_plan(&ann, dog()).await.unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while mock.requests().is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "the provider was never called");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let started = std::time::Instant::now();
        let answered = rig.agents.cancel_plan(&ann, job.id, Duration::from_secs(5)).await.unwrap();
        assert_eq!(answered.status, JobStatus::Cancelled, "cancel_plan waits until the job has stopped");
        let done = finished(&rig, &ann, &job).await;
        assert_eq!(done.status, JobStatus::Cancelled);
        assert!(started.elapsed() < Duration::from_secs(3), "cancel took {:?}", started.elapsed());
        assert!(mock.wait_for_disconnects(1, Duration::from_secs(3)).await, "the provider request was not dropped");
        assert!(rig.db.diet_plan(job.id).await.unwrap().is_none());
        let activities = rig.db.job_activities(job.id).await.unwrap();
        assert_eq!(activities[0].status, "cancelled");
    }

    async fn malformed_provider_output_ends_the_job_with_a_clear_error(db: Db) {
        let mock = MockProvider::start().await;
        let rig = rig(db, Some(&mock)).await;
        let ann = person(&rig.db, "ann", Role::User).await;
        mock.set_default(MockReply::malformed("{\"choices\": [ not json"));
        let job = rig.agents.create_plan(&ann, dog()).await.unwrap();
        let done = finished(&rig, &ann, &job).await;
        assert_eq!(done.status, JobStatus::Failed);
        let error = done.error.unwrap();
        assert!(error.contains("main: the LLM call failed") && error.to_lowercase().contains("malformed"), "{error}");
    }

    async fn nothing_starts_without_a_provider(db: Db) {
        let rig = rig(db, None).await;
        let ann = person(&rig.db, "ann", Role::User).await;
        let Err(Error::Unavailable(msg)) = rig.agents.create_plan(&ann, dog()).await else { panic!("expected Unavailable") };
        assert!(msg.contains("SLIPWAY_LLM_PROVIDER") && msg.contains("/api/llm-configs"), "{msg}");
        assert!(matches!(rig.agents.submit_task(&ann, "x", 60, false).await, Err(Error::Unavailable(_))));
        assert!(matches!(rig.agents.submit_task(&ann, "  ", 60, false).await, Err(Error::Validation(_))));
        assert!(matches!(rig.agents.submit_task(&ann, "x", 0, false).await, Err(Error::Validation(_))));
        let none = rig.engine.list(&ann, slipway_engine::JobFilter { limit: 10, ..Default::default() }).await.unwrap();
        assert_eq!(none.total, 0, "nothing was enqueued");
    }

    async fn agents_answering_in_text_are_asked_again_then_forced_to_hand_over(db: Db) {
        let mock = MockProvider::start().await;
        let rig = rig(db, Some(&mock)).await;
        let ann = person(&rig.db, "ann", Role::User).await;
        let [plan, write, wrote] = plan_and_build();
        // The planner talks first and plans when reminded; the reviewer reads, talks twice, and hands over its
        // review only when the call is forced.
        mock.push_all([MockReply::text("I will plan a greeting module."), plan, write, wrote,
            MockReply::tool_call("read_file", json!({"path": "hello.py"})),
            MockReply::text("The code looks correct: score 8."),
            MockReply::text("Score 8, approved."),
            MockReply::tool_call("submit_review", json!({"score": 8, "approved": true, "summary": "correct"}))]);
        let job = rig.agents.submit_task(&ann, "Create a greeting module", 60, false).await.unwrap();
        let done = finished(&rig, &ann, &job).await;
        assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
        assert!(done.output.unwrap()["output"].as_str().unwrap().contains("Review: 8/10, approved, gate passed"));

        let requests = mock.requests();
        assert_eq!(requests.len(), 8);
        assert!(last_user_text(&requests[1]).contains("calling the tool submit_plan"), "{}", requests[1].body);
        assert!(tool_names(&requests[1]).len() > 1, "a reminded planner still has its tools");
        assert!(last_user_text(&requests[6]).contains("calling the tool submit_review"), "{}", requests[6].body);
        assert_eq!(tool_names(&requests[7]), ["submit_review"], "the forced turn offers only the hand-over tool");
        let events = kinds(&rig, &ann, job.id).await;
        assert_eq!(events.iter().filter(|k| *k == "agent_nudged").count(), 2, "{events:?}");
        assert_eq!(events.iter().filter(|k| *k == "tool_forced").count(), 1, "{events:?}");
        let gates = rig.db.job_gate_checks(job.id).await.unwrap();
        assert_eq!((gates[0].gate_name.as_str(), gates[0].result.as_str()), ("llm_review", "passed"));

        // The nutrition agent too: a plan written in text is asked for through write_plan.
        mock.push_all([MockReply::text("Feed it twice a day."), MockReply::tool_call("write_plan", plan_args())]);
        let job = rig.agents.create_plan(&ann, dog()).await.unwrap();
        let done = finished(&rig, &ann, &job).await;
        assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
        assert!(rig.db.diet_plan(job.id).await.unwrap().is_some());
    }

    async fn an_agent_that_spends_its_turns_on_other_tools_is_forced_on_its_last(db: Db) {
        let mock = MockProvider::start().await;
        let rig = rig(db, Some(&mock)).await;
        let ann = person(&rig.db, "ann", Role::User).await;
        mock.push_all(plan_and_build());
        let turns = slipway_agents::agent::DEFAULT_MAX_TURNS + slipway_agents::handover::RETRY_TURNS;
        mock.push_all((1..turns).map(|_| MockReply::tool_call("read_file", json!({"path": "hello.py"}))));
        mock.push(MockReply::tool_call("submit_review", json!({"score": 7, "approved": true, "summary": "ok"})));
        let job = rig.agents.submit_task(&ann, "Create a greeting module", 60, false).await.unwrap();
        let done = finished(&rig, &ann, &job).await;
        assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
        let requests = mock.requests();
        assert_eq!(requests.len(), 3 + turns);
        assert!(tool_names(&requests[requests.len() - 2]).len() > 1);
        assert_eq!(tool_names(requests.last().unwrap()), ["submit_review"], "the last turn is forced");
        let events = kinds(&rig, &ann, job.id).await;
        assert_eq!(events.iter().filter(|k| *k == "tool_forced").count(), 1, "{events:?}");
    }

    async fn a_reviewer_that_never_hands_over_fails_the_task_clearly_and_keeps_the_report(db: Db) {
        let mock = MockProvider::start().await;
        let rig = rig(db, Some(&mock)).await;
        let ann = person(&rig.db, "ann", Role::User).await;
        mock.push_all(plan_and_build());
        mock.set_default(MockReply::text("Looks fine to me."));
        let job = rig.agents.submit_task(&ann, "Create a greeting module", 60, false).await.unwrap();
        let done = finished(&rig, &ann, &job).await;
        assert_eq!(done.status, JobStatus::Failed);
        let error = done.error.unwrap();
        // The mock honours the forced tool choice as providers do: the third, forced request gets no text.
        assert!(error.starts_with("reviewer") && error.contains("tool_choice Tool(\"submit_review\")"), "{error}");
        assert_eq!(mock.requests().len(), 6, "planner, developer twice, reviewer three times");
        let out = done.output.expect("a failed task keeps its report");
        let report = out["output"].as_str().unwrap();
        assert!(report.contains("Plan: a greeting module") && report.contains("[developer] write hello.py"), "{report}");
        assert!(report.contains("Wrote hello.py with greet().") && report.contains("hello.py (29 bytes)"), "{report}");
        assert!(report.ends_with(&format!("Failed: {error}")), "{report}");
        assert_eq!(out["error"], error.as_str());
        assert_eq!(out["files"][0]["content"], "def greet():\n    return 'hi'\n");
        assert_eq!(out["steps"][0]["agent"], "developer");
        let activities = rig.db.job_activities(job.id).await.unwrap();
        assert_eq!((activities[2].agent.as_str(), activities[2].status.as_str()), ("reviewer", "failed"));
        assert_eq!(activities[2].error.as_deref(), Some(error.as_str()));
    }

    async fn a_workflow_failing_in_its_last_phase_keeps_the_gates_of_earlier_phases(db: Db) {
        let mock = MockProvider::start().await;
        let rig = rig(db, Some(&mock)).await;
        let root = person(&rig.db, "root", Role::Admin).await;
        // Every agent answers "done": the phases run, the test gate is skipped (no project), the security scan
        // passes, and the reviewer of the last phase never hands over a review.
        mock.set_default(MockReply::text("done"));
        let (job, _) = rig
            .agents
            .execute_workflow(&root, "premium_quality", "a config loader", Value::Null, json!({"security_scan": true}))
            .await
            .unwrap();
        let done = finished(&rig, &root, &job).await;
        assert_eq!(done.status, JobStatus::Failed);
        let error = done.error.unwrap();
        assert!(error.starts_with("phase 交付: reviewer") && error.contains("submit_review"), "{error}");
        let gates = rig.db.job_gate_checks(job.id).await.unwrap();
        let results: Vec<(&str, &str)> = gates.iter().map(|g| (g.gate_name.as_str(), g.result.as_str())).collect();
        assert_eq!(results, [("tests_pass", "skipped"), ("security_scan", "passed")]);
        let report = rig.agents.gate_report(&root).await.unwrap();
        assert_eq!((report.stats.total, report.stats.passed), (1, 1));
        let out = done.output.expect("a failed run keeps what it did");
        assert_eq!(out["phases"].as_array().unwrap().len(), 5);
        let kept: Vec<&str> = out["gates"].as_array().unwrap().iter().map(|g| g["gate"].as_str().unwrap()).collect();
        assert_eq!(kept, ["tests_pass", "security_scan"]);
        assert_eq!(out["error"], error.as_str());
        assert!(out["files"].is_array());
    }

    async fn agent_calls_skip_the_response_cache_unless_the_job_asks(db: Db) {
        let mock = MockProvider::start().await;
        let rig = rig(db, Some(&mock)).await;
        let ann = person(&rig.db, "ann", Role::User).await;
        // The same pet twice: both plans are asked of the provider.
        for _ in 0..2 {
            mock.push(MockReply::tool_call("write_plan", plan_args()));
            let job = rig.agents.create_plan(&ann, dog()).await.unwrap();
            assert_eq!(finished(&rig, &ann, &job).await.status, JobStatus::Succeeded);
        }
        assert_eq!(mock.requests().len(), 2, "a diet plan's calls are never answered from the cache");
        // The same task twice without the flag: every call reaches the provider.
        for _ in 0..2 {
            mock.push_all(plan_and_build());
            mock.push(MockReply::tool_call("submit_review", json!({"score": 8, "approved": true, "summary": "ok"})));
            let job = rig.agents.submit_task(&ann, "Create a greeting module", 60, false).await.unwrap();
            assert_eq!(finished(&rig, &ann, &job).await.status, JobStatus::Succeeded);
        }
        assert_eq!(mock.requests().len(), 10);
        // A task that asks for the cache: the second run is answered from it.
        let input = json!({"description": "Cache me", "enable_cache": true});
        let options = EnqueueOptions { max_attempts: 1, ..EnqueueOptions::default() };
        mock.push_all(plan_and_build());
        mock.push(MockReply::tool_call("submit_review", json!({"score": 8, "approved": true, "summary": "ok"})));
        for expected in [14, 14] {
            let job = rig.engine.enqueue(&ann, slipway_agents::task::KIND, input.clone(), options.clone()).await.unwrap();
            assert_eq!(finished(&rig, &ann, &job).await.status, JobStatus::Succeeded);
            assert_eq!(mock.requests().len(), expected);
        }
    }
}
