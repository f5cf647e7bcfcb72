//! The `jenkins_trigger` step on both backends against a local Jenkins that speaks the protocol
//! (`slipway_delivery::testing::jenkins`): a build in a folder with parameters whose console streams into the
//! step's log (secrets masked) and succeeds; `wait: false`; a failing build failing the step and skipping the
//! rest; a job Jenkins answers `404` for, an unknown server and a bad job path as clear step failures; cancel
//! mid-build stopping the build and cancel while queued cancelling the queue item; the step's timeout; another
//! user's server refused; and config validation on create.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Harness, PATIENCE, pipeline, step};
use futures_util::StreamExt;
use serde_json::{Value, json};
use slipway_core::{Error, Principal};
use slipway_delivery::jenkins::{Jenkins, JenkinsAccess, NewJenkinsServer, Polling};
use slipway_delivery::pipelines::secrets::VariableInput;
use slipway_delivery::pipelines::steps::JenkinsTrigger;
use slipway_delivery::testing::jenkins::{JenkinsConfig, JobScript, LocalJenkins};
use slipway_delivery::{PipelineSettings, RunDetail, RunVariables};
use slipway_outbound::OutboundPolicy;
use slipway_store::{Db, backend_tests};

const CONSOLE: &str = "Started by user deployer\n+ make deploy\nusing token tok-jenk-42\nFinished: SUCCESS\n";

fn fast() -> Polling {
    Polling { first: Duration::from_millis(5), max: Duration::from_millis(40) }
}

/// A harness whose pipelines have the `jenkins_trigger` step, a local Jenkins, and the service to save servers.
struct Rig {
    h: Harness,
    local: LocalJenkins,
    jenkins: Jenkins,
}

async fn rig(db: Db, config: JenkinsConfig) -> Rig {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let local = LocalJenkins::start(config).await.unwrap();
    local.add_job("team/web app", JobScript::new(CONSOLE, "SUCCESS"));
    local.add_job("broken", JobScript::new("Running\nerror: no such file\nFinished: FAILURE\n", "FAILURE"));
    let long: String = (1..=3000).map(|i| format!("step {i}\n")).collect();
    local.add_job("long", JobScript { tick: Duration::from_millis(20), chunk: 8, ..JobScript::new(&long, "SUCCESS") });
    let h = Harness::with_settings(db.clone(), 4, |ps: PipelineSettings| {
        let access = JenkinsAccess::new(ps.db.clone(), ps.sealer.clone(), ps.outbound.clone()).with_polling(fast());
        let types = ps.types.clone().with(Arc::new(JenkinsTrigger::new(access))).unwrap();
        PipelineSettings { types, ..ps }
    })
    .await;
    let jenkins = Jenkins::new(db, common::sealer(), OutboundPolicy::default(), h.engine.clone());
    Rig { h, local, jenkins }
}

impl Rig {
    /// A server of the administrator on the local Jenkins, signed in with its API token.
    async fn server(&self) -> i64 {
        let new = NewJenkinsServer {
            name: "local".into(),
            url: self.local.url(),
            username: self.local.config().username.clone(),
            credential: self.local.config().api_token.clone(),
            credential_kind: None,
            is_default: true,
        };
        self.jenkins.create(&self.h.admin, new).await.unwrap().id
    }

    /// Creates a pipeline of `who`, runs it and answers the run's job id and run id.
    async fn start(
        &self,
        who: &Principal,
        steps: Vec<slipway_delivery::StepInput>,
        secret: Option<&str>,
    ) -> (i64, i64) {
        let mut input = pipeline("jenkins", steps);
        input.variables =
            secret.map(|v| vec![VariableInput { name: "DEPLOY_TOKEN".into(), value: Some(v.into()), secret: true }]);
        let p = self.h.pipelines.create(who, input).await.unwrap();
        let run = self.h.pipelines.run(who, p.id, None, RunVariables::default()).await.unwrap();
        (run.job_id.unwrap(), run.id)
    }

    /// Runs `steps` to the end as `who`.
    async fn run(&self, who: &Principal, steps: Vec<slipway_delivery::StepInput>) -> RunDetail {
        let (job, run) = self.start(who, steps, None).await;
        self.h.finish(job).await;
        self.h.pipelines.run_detail(who, run).await.unwrap()
    }

    /// Waits until the run's job logged `line`.
    async fn logged(&self, job: i64, line: &str) {
        let mut events = self.h.engine.subscribe(&self.h.admin, job, 0).await.unwrap();
        let found = tokio::time::timeout(PATIENCE, async {
            while let Some(Ok(e)) = events.next().await {
                if e.kind == "log" && e.payload["line"] == line {
                    return;
                }
            }
            panic!("the job ended without logging {line:?}");
        })
        .await;
        assert!(found.is_ok(), "{line:?} was not logged in time");
    }
}

fn jenkins_step(name: &str, config: Value) -> slipway_delivery::StepInput {
    step(name, "jenkins_trigger", config)
}

fn statuses(d: &RunDetail) -> Vec<(&str, Option<i32>)> {
    d.steps.iter().map(|s| (s.status.as_str(), s.exit_code)).collect()
}

backend_tests! {
    async fn a_build_gets_its_parameters_streams_its_console_masked_and_succeeds(db: Db) {
        let r = rig(db, JenkinsConfig::default()).await;
        let server = r.server().await;
        let (job, run) = r.start(&r.h.admin, vec![
            jenkins_step("Deploy", json!({"server_id": server, "job_name": "team/web app",
                                          "parameters": {"BRANCH": "main", "ENVIRONMENT": "staging & prod"}})),
            step("After", "shell_command", json!({"command": "echo after"})),
        ], Some("tok-jenk-42")).await;
        r.h.finish(job).await;
        let d = r.h.pipelines.run_detail(&r.h.admin, run).await.unwrap();
        assert_eq!(d.run.status, "success", "{:?}", d.run.error);
        assert_eq!(statuses(&d), [("success", Some(0)), ("success", Some(0))]);
        let triggers = r.local.triggers();
        assert_eq!(triggers.len(), 1);
        assert_eq!(triggers[0].job, "team/web app");
        assert!(triggers[0].with_parameters, "parameters go to buildWithParameters");
        let mut sent = triggers[0].parameters.clone();
        sent.sort();
        let expected = [("BRANCH", "main"), ("ENVIRONMENT", "staging & prod")].map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(sent, expected, "PostgreSQL's jsonb keeps no key order");
        let log = &d.steps[0].log;
        let console = ["Started by user deployer", "+ make deploy", "using token ***", "Finished: SUCCESS"];
        let at: Vec<usize> = console.iter().map(|l| log.find(l).unwrap_or_else(|| panic!("{l:?} not in {log}"))).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "the console is logged in order: {log}");
        assert!(log.contains("Jenkins build #1 started") && log.contains("Jenkins build finished: SUCCESS"), "{log}");
        assert!(!log.contains("tok-jenk-42"), "secrets are masked in the stored log");
        let events = r.h.events(job).await;
        assert!(events.iter().all(|e| !e.payload.to_string().contains("tok-jenk-42")), "and in every event");
        assert!(!format!("{events:?}").contains(&r.local.config().api_token), "the Jenkins credential is in no event");
        let line = events.iter().find(|e| e.kind == "log" && e.payload["line"] == "+ make deploy").unwrap();
        assert_eq!(line.payload["step"], 0, "console lines are the step's log lines");

        let d = r.run(&r.h.admin, vec![jenkins_step("Fire", json!({"server_id": server, "job_name": "broken", "wait": false}))]).await;
        assert_eq!(d.run.status, "success", "without wait the step ends once Jenkins queued the build: {:?}", d.run.error);
        assert!(d.steps[0].log.contains("Jenkins queued the build as item"), "{}", d.steps[0].log);
        assert!(!d.steps[0].log.contains("error: no such file"), "nothing of the console is followed");
        assert_eq!(r.local.triggers().len(), 2);
        assert!(!r.local.triggers()[1].with_parameters, "no parameters: POST …/build");
        r.h.stop().await;
    }

    async fn failed_builds_missing_jobs_unknown_servers_and_bad_paths_fail_the_step_clearly(db: Db) {
        let r = rig(db, JenkinsConfig::default()).await;
        let server = r.server().await;
        let d = r.run(&r.h.admin, vec![
            jenkins_step("Deploy", json!({"server_id": server, "job_name": "broken"})),
            step("Never", "shell_command", json!({"command": "echo never"})),
        ]).await;
        assert_eq!(d.run.status, "failed");
        assert_eq!(d.run.error.as_deref(), Some("step 'Deploy': Jenkins build broken #1 finished FAILURE"));
        assert_eq!(statuses(&d), [("failed", Some(1)), ("skipped", None)]);
        assert!(d.steps[0].log.contains("error: no such file"), "{}", d.steps[0].log);
        assert!(d.steps[1].started_at.is_none());

        let d = r.run(&r.h.admin, vec![jenkins_step("Missing", json!({"server_id": server, "job_name": "team/nope"}))]).await;
        assert_eq!(d.run.error.as_deref(), Some("step 'Missing': no such Jenkins job team/nope"));
        assert_eq!(statuses(&d), [("failed", Some(1))]);
        let d = r.run(&r.h.admin, vec![jenkins_step("Nowhere", json!({"server_id": 987_654, "job_name": "broken"}))]).await;
        assert_eq!(d.run.error.as_deref(), Some("step 'Nowhere': Jenkins server 987654 not found"));
        let d = r.run(&r.h.admin, vec![jenkins_step("Escape", json!({"server_id": server, "job_name": "a/../b"}))]).await;
        assert_eq!(d.run.error.as_deref(), Some("step 'Escape': job_name may not contain \".\" or \"..\" segments"));
        assert_eq!(r.local.triggers().len(), 1, "only the first build reached Jenkins");
        r.h.stop().await;
    }

    async fn cancel_stops_the_build_and_a_timeout_does_too(db: Db) {
        let r = rig(db, JenkinsConfig::default()).await;
        let server = r.server().await;
        let (job, run) = r.start(&r.h.admin, vec![
            jenkins_step("Long", json!({"server_id": server, "job_name": "long"})),
            step("After", "shell_command", json!({"command": "echo after"})),
        ], None).await;
        r.logged(job, "step 3").await;
        r.h.pipelines.cancel(&r.h.admin, run).await.unwrap();
        r.h.finish(job).await;
        let d = r.h.pipelines.run_detail(&r.h.admin, run).await.unwrap();
        assert_eq!(d.run.status, "cancelled");
        assert_eq!(d.run.cancelled_by, Some(r.h.admin.user_id));
        assert_eq!(d.steps.iter().map(|s| s.status.as_str()).collect::<Vec<_>>(), ["cancelled", "skipped"]);
        assert_eq!(r.local.stopped(), [("long".to_owned(), 1)], "the Jenkins build was stopped");

        let started = Instant::now();
        let d = r.run(&r.h.admin, vec![jenkins_step("Slow", json!({"server_id": server, "job_name": "long", "timeout": 1}))]).await;
        assert!(started.elapsed() < Duration::from_secs(20));
        assert_eq!(d.run.status, "failed");
        assert_eq!(d.run.error.as_deref(), Some("step 'Slow' timed out after 1s (the Jenkins build was stopped)"));
        assert_eq!(r.local.stopped(), [("long".to_owned(), 1), ("long".to_owned(), 2)]);
        r.h.stop().await;
    }

    async fn cancel_while_queued_cancels_the_queue_item(db: Db) {
        let r = rig(db, JenkinsConfig { queue_delay: Duration::from_secs(60), ..JenkinsConfig::default() }).await;
        let server = r.server().await;
        let (job, run) = r.start(&r.h.admin, vec![jenkins_step("Queued", json!({"server_id": server, "job_name": "broken"}))], None).await;
        let deadline = Instant::now() + PATIENCE;
        while r.local.triggers().is_empty() {
            assert!(Instant::now() < deadline, "the build was never requested");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        r.h.pipelines.cancel(&r.h.admin, run).await.unwrap();
        r.h.finish(job).await;
        let d = r.h.pipelines.run_detail(&r.h.admin, run).await.unwrap();
        assert_eq!((d.run.status.as_str(), d.steps[0].status.as_str()), ("cancelled", "cancelled"));
        assert_eq!(r.local.cancelled_items(), [r.local.triggers()[0].queue_id]);
        assert!(r.local.stopped().is_empty());
        r.h.stop().await;
    }

    async fn another_users_server_is_refused_and_configs_are_validated(db: Db) {
        let r = rig(db, JenkinsConfig::default()).await;
        let server = r.server().await;
        let bad = r.h.pipelines.create(&r.h.alice, pipeline("bad", vec![
            jenkins_step("A", json!({"server_id": server})),
            jenkins_step("B", json!({"server_id": "one", "job_name": "x", "parameters": {"N": 3}, "wait": "yes"})),
        ])).await.unwrap_err();
        assert!(matches!(bad, Error::Validation(_)), "{bad:?}");
        let mut fields: Vec<String> = bad.field_errors().iter().map(|f| f.field()).collect();
        fields.sort();
        assert_eq!(fields, ["steps.0.config.job_name", "steps.1.config.parameters.N", "steps.1.config.server_id", "steps.1.config.wait"]);
        if r.h.sandboxed() {
            let d = r.run(&r.h.alice, vec![jenkins_step("Theirs", json!({"server_id": server, "job_name": "broken"}))]).await;
            assert_eq!(d.run.status, "failed");
            assert_eq!(d.run.error.as_deref(), Some(format!("step 'Theirs': Jenkins server {server} not found").as_str()));
            assert!(r.local.triggers().is_empty(), "nothing reached Jenkins");
        }
        r.h.stop().await;
    }
}
