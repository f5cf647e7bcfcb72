//! What the project run tests share: an engine with the factory's executor on a real database, a mock
//! provider that answers each agent from its own script (chosen by the agent's name in the system prompt),
//! and the start of a run the way the projects service does it.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use slipway_agents::Runtime;
use slipway_core::{Principal, Role};
use slipway_engine::{Engine, EngineSettings, EnqueueOptions, Job, JobEvent, Waited};
use slipway_factory::run::{KIND, RunInput};
#[allow(unused_imports)]
pub use slipway_factory::testing::{CALC, TEST_COMMAND, TESTS, agent_of, script, script_stages};
use slipway_factory::{ProjectConfig, ProjectFiles, ProjectRecord, RunRecord, Stage};
use slipway_llm::testing::{MockProvider, MockReply, RecordedRequest};
use slipway_llm::{Llm, LlmSettings};
use slipway_store::Db;
use slipway_store::factory::NewProject;
use slipway_store::identity::NewUser;

/// One node: its engine, LLM service and project files.
pub struct Node {
    pub engine: Engine,
    pub llm: Llm,
    pub files: ProjectFiles,
}

/// A test's world: a database, a mock provider, one node, and the data directory they share.
pub struct Rig {
    pub db: Db,
    pub mock: MockProvider,
    pub node: Node,
    pub dir: tempfile::TempDir,
}

/// Engine settings for tests: quick retries, `workspaces` named `name` under `dir`.
pub fn settings(dir: &Path, name: &str) -> EngineSettings {
    EngineSettings {
        workers: 4,
        workspace_root: dir.join(name),
        retry_backoff: Duration::from_millis(100),
        cancel_grace: Duration::from_secs(2),
        ..EngineSettings::default()
    }
}

/// Starts a node on `db` with `settings`, its provider the mock at `provider`, its files under `dir`.
pub async fn node(db: Db, provider: slipway_llm::ProviderConfig, settings: EngineSettings, dir: &Path) -> Node {
    let llm_settings = LlmSettings { server_default: Some(provider), ..LlmSettings::default() };
    let sealer = slipway_store::Sealer::from_secret("a test secret of at least thirty-two chars");
    let llm = Llm::new(db.clone(), llm_settings, sealer).await.unwrap();
    let runtime = Runtime { llm: llm.clone(), db: db.clone() };
    let blobs = slipway_files::BlobStore::open(None, dir).unwrap();
    let files = ProjectFiles::new(db.clone(), blobs, 8 * 1024 * 1024);
    let engine = slipway_factory::register(Engine::builder(db, settings), &runtime, &files).start().await.unwrap();
    Node { engine, llm, files }
}

/// A rig on `db` with one running node.
pub async fn rig(db: Db) -> Rig {
    let mock = MockProvider::start().await;
    let dir = tempfile::tempdir().unwrap();
    let node = node(db.clone(), mock.config("deepseek"), settings(dir.path(), "workspaces"), dir.path()).await;
    Rig { db, mock, node, dir }
}

/// A user.
pub async fn person(db: &Db, name: &str) -> Principal {
    let email = format!("{name}@example.com");
    let new = NewUser {
        username: name,
        email: &email,
        password_hash: "$argon2id$x",
        role: "user",
        full_name: name,
        email_verified: true,
    };
    let u = db.insert_user(&new, slipway_core::time::now()).await.unwrap();
    Principal { user_id: u.id, username: name.into(), role: Role::User }
}

/// The requirements every test project has.
pub const REQUIREMENTS: &str = "A calculator module with add(a, b), tested.";

/// A project of `owner` with `config` as a client would send it.
pub async fn project(db: &Db, owner: &Principal, config: Value) -> ProjectRecord {
    let config = ProjectConfig::from_request(Some(&config)).unwrap();
    let new = NewProject {
        user_id: owner.user_id,
        name: "Calc".into(),
        description: Some("A small calculator".into()),
        requirements: REQUIREMENTS.into(),
        config: config.to_value(),
    };
    let id = db.insert_project(&new, slipway_core::time::now()).await.unwrap();
    db.project(id).await.unwrap().unwrap()
}

/// Starts a run of `project` as the projects service does: the job first, then the compare-and-swap that
/// makes it the project's run (a fresh execute resets the checkpoint, a resume keeps it).
pub async fn start_run(db: &Db, engine: &Engine, owner: &Principal, project: i64, resume: bool, commands: bool) -> Job {
    let current = db.project(project).await.unwrap().unwrap();
    let workflow_id = format!("wf_{}_{:06x}", slipway_core::time::now().timestamp(), rand::random::<u32>() & 0xff_ffff);
    let input = RunInput { project_id: project, workflow_id: workflow_id.clone(), allow_commands: commands };
    let options =
        EnqueueOptions { max_attempts: 3, timeout: Some(Duration::from_secs(120)), ..EnqueueOptions::default() };
    let job =
        engine.enqueue_system(Some(owner.user_id), KIND, serde_json::to_value(&input).unwrap(), options).await.unwrap();
    let resumed_from = if resume {
        slipway_factory::run::Checkpoint::from_stored(current.checkpoint.as_ref()).last_stage().map(str::to_owned)
    } else {
        None
    };
    let run = RunRecord {
        job_id: job.id,
        project_id: project,
        workflow_id,
        resumed_from,
        created_at: slipway_core::time::now(),
    };
    assert!(db.start_project_run(project, current.run_job_id, &run, !resume).await.unwrap(), "the run started");
    job
}

/// Waits for `job` to end.
pub async fn finished(engine: &Engine, who: &Principal, job: &Job) -> Job {
    match engine.wait(who, job.id, Duration::from_secs(60)).await.unwrap() {
        Waited::Finished(j) => j,
        Waited::TimedOut(j) => panic!("job did not finish: {j:?}"),
    }
}

/// The job's events.
pub async fn events(db: &Db, job: i64) -> Vec<JobEvent> {
    db.job_events(job, 0, 10_000).await.unwrap()
}

/// The events of one type.
pub async fn events_of(db: &Db, job: i64, kind: &str) -> Vec<Value> {
    events(db, job).await.into_iter().filter(|e| e.kind == kind).map(|e| e.payload).collect()
}

/// The system prompt of a recorded OpenAI request.
pub fn system(r: &RecordedRequest) -> String {
    r.body["messages"][0]["content"].as_str().unwrap_or_default().to_owned()
}

/// The first user message of a recorded OpenAI request (the agent's task).
pub fn task(r: &RecordedRequest) -> String {
    r.body["messages"][1]["content"].as_str().unwrap_or_default().to_owned()
}

/// Requests the mock got from `stage`'s agent.
pub fn requests_of(mock: &MockProvider, stage: Stage) -> Vec<RecordedRequest> {
    mock.requests().into_iter().filter(|r| system(r).contains(&agent_of(stage))).collect()
}

/// Waits until the mock has had `n` requests from `stage`'s agent.
pub async fn wait_for_requests(mock: &MockProvider, stage: Stage, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while requests_of(mock, stage).len() < n {
        assert!(tokio::time::Instant::now() < deadline, "{stage} never made {n} request(s)");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The current content of a project file, as text.
pub async fn file_text(db: &Db, files: &ProjectFiles, project: i64, path: &str) -> Option<String> {
    let file = db.project_files(project).await.unwrap().into_iter().find(|f| f.path == path)?;
    let (_, mut body) = files.blobs().get_stream(&file.sha256).await.unwrap();
    let mut content = Vec::new();
    while let Some(chunk) = futures_util::TryStreamExt::try_next(&mut body).await.unwrap() {
        content.extend_from_slice(&chunk);
    }
    Some(String::from_utf8(content).unwrap())
}

/// The stage's script with its first answer delayed by `delay`.
pub fn slow_script(stage: Stage, delay: Duration) -> Vec<MockReply> {
    let mut replies = script(stage);
    replies[0] = replies[0].clone().delay(delay);
    replies
}
