//! The Jenkins client and the `delivery.jenkins_build` job against a local Jenkins that speaks the protocol
//! (`slipway_delivery::testing::jenkins`): API token and password with crumb and session, `201` and legacy
//! `302`, folders, the parameters Jenkins receives, the whole console in order, results, `401`/`403`/`404`,
//! cancellation of a queue item and of a running build, and an unreachable server.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use slipway_delivery::jenkins::{
    Credential, JenkinsClient, JenkinsError, JenkinsEvent, JobPath, Polling, ServerAccess,
};
use slipway_delivery::testing::jenkins::{CRUMB_FIELD, JenkinsConfig, JobScript, LocalJenkins};
use slipway_outbound::OutboundPolicy;
use tokio_util::sync::CancellationToken;

const CONSOLE: &str = "Started by user deployer\nBuilding in workspace /var/jenkins/ws\n+ make test\nok 1 - parses\nok 2 - renders ünïcode\nFinished: SUCCESS\n";

fn fast() -> Polling {
    Polling { first: Duration::from_millis(5), max: Duration::from_millis(40) }
}

fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

async fn jenkins(config: JenkinsConfig) -> LocalJenkins {
    install_crypto();
    let j = LocalJenkins::start(config).await.unwrap();
    j.add_job("team/web app", JobScript::new(CONSOLE, "SUCCESS"));
    j.add_job("flaky", JobScript::new("Running\nsome tests failed\nFinished: UNSTABLE\n", "UNSTABLE"));
    j.add_job("broken", JobScript::new("Running\nerror: no such file\nFinished: FAILURE", "FAILURE"));
    j
}

fn client(j: &LocalJenkins, credential: Credential) -> JenkinsClient {
    let access = ServerAccess { url: j.url(), username: j.config().username.clone(), credential };
    JenkinsClient::new(&OutboundPolicy::default(), true, access, fast()).unwrap()
}

fn token(j: &LocalJenkins) -> Credential {
    Credential::ApiToken(j.config().api_token.clone())
}

fn password(j: &LocalJenkins) -> Credential {
    Credential::Password(j.config().password.clone())
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

async fn run(
    c: &JenkinsClient,
    job: &str,
    parameters: &[(String, String)],
) -> (Result<slipway_delivery::jenkins::BuildOutcome, JenkinsError>, Vec<JenkinsEvent>) {
    let mut events = Vec::new();
    let cancel = CancellationToken::new();
    let out = c.run_build(&JobPath::parse(job).unwrap(), parameters, &cancel, |e| events.push(e)).await;
    (out, events)
}

fn console(events: &[JenkinsEvent]) -> Vec<String> {
    events.iter().filter_map(|e| if let JenkinsEvent::Console(l) = e { Some(l.clone()) } else { None }).collect()
}

#[tokio::test]
async fn a_token_build_in_a_folder_gets_its_parameters_and_its_whole_console_in_order() {
    let j = jenkins(JenkinsConfig::default()).await;
    let c = client(&j, token(&j));
    let (out, events) =
        run(&c, "team/web app", &params(&[("BRANCH", "main"), ("ENVIRONMENT", "staging & prod")])).await;
    let out = out.unwrap();
    assert_eq!(out.result, "SUCCESS");
    assert_eq!(out.build.number, 1);
    assert_eq!(out.build.url, format!("{}job/team/job/web%20app/1/", j.url()));
    assert_eq!(out.queue.url, format!("{}queue/item/{}/", j.url(), out.queue.id));
    assert_eq!(events.first(), Some(&JenkinsEvent::Queued(out.queue.clone())));
    assert_eq!(events.get(1), Some(&JenkinsEvent::Started(out.build.clone())));
    assert_eq!(events.last(), Some(&JenkinsEvent::Finished("SUCCESS".into())));
    assert_eq!(console(&events), CONSOLE.lines().collect::<Vec<_>>());
    let triggers = j.triggers();
    assert_eq!(triggers.len(), 1);
    assert_eq!(triggers[0].job, "team/web app");
    assert!(triggers[0].with_parameters);
    assert_eq!(triggers[0].parameters, params(&[("BRANCH", "main"), ("ENVIRONMENT", "staging & prod")]));
    assert_eq!(j.crumbs_issued(), 0, "API tokens need no crumb");
}

#[tokio::test]
async fn a_password_sign_in_fetches_a_crumb_and_keeps_its_session() {
    let j = jenkins(JenkinsConfig::default()).await;
    let c = client(&j, password(&j));
    let (out, events) = run(&c, "team/web app", &[]).await;
    assert_eq!(out.unwrap().result, "SUCCESS");
    assert_eq!(console(&events).len(), CONSOLE.lines().count());
    assert_eq!(j.crumbs_issued(), 1);
    assert!(!j.triggers()[0].with_parameters, "no parameters: POST …/build");
    let (again, _) = run(&c, "team/web app", &[]).await;
    assert_eq!(again.unwrap().build.number, 2);
    assert_eq!(j.crumbs_issued(), 1, "the crumb and its session are kept");
}

#[tokio::test]
async fn the_local_jenkins_honours_a_crumb_only_with_its_session_cookie() {
    let j = jenkins(JenkinsConfig::default()).await;
    let http = reqwest::Client::new();
    let user = j.config().username.clone();
    let pw = j.config().password.clone();
    let crumb: serde_json::Value = http
        .get(format!("{}crumbIssuer/api/json", j.url()))
        .basic_auth(&user, Some(&pw))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let without_cookie = http
        .post(format!("{}job/flaky/build", j.url()))
        .basic_auth(&user, Some(&pw))
        .header(CRUMB_FIELD, crumb["crumb"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(without_cookie.status(), 403);
    assert!(without_cookie.text().await.unwrap().contains("No valid crumb"));
    let anonymous = http.get(format!("{}job/flaky/api/json", j.url())).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Basic realm=\"Jenkins\"");
}

#[tokio::test]
async fn a_legacy_302_answer_is_followed_to_its_queue_item() {
    let j = jenkins(JenkinsConfig { legacy_302: true, ..JenkinsConfig::default() }).await;
    let c = client(&j, token(&j));
    let (out, events) = run(&c, "flaky", &params(&[("X", "1")])).await;
    let out = out.unwrap();
    assert_eq!(out.result, "UNSTABLE");
    assert_eq!(console(&events), ["Running", "some tests failed", "Finished: UNSTABLE"]);
}

#[tokio::test]
async fn failure_results_and_a_console_without_a_final_newline() {
    let j = jenkins(JenkinsConfig::default()).await;
    let c = client(&j, token(&j));
    let (out, events) = run(&c, "broken", &[]).await;
    assert_eq!(out.unwrap().result, "FAILURE");
    assert_eq!(console(&events), ["Running", "error: no such file", "Finished: FAILURE"]);
}

#[tokio::test]
async fn a_token_refused_for_want_of_a_crumb_is_retried_once_with_one() {
    let j = jenkins(JenkinsConfig { crumb_for_tokens: true, ..JenkinsConfig::default() }).await;
    let c = client(&j, token(&j));
    let (out, _) = run(&c, "flaky", &[]).await;
    assert_eq!(out.unwrap().result, "UNSTABLE");
    assert_eq!(j.crumbs_issued(), 1);
}

#[tokio::test]
async fn wrong_credentials_missing_permission_and_unknown_jobs_are_named() {
    let j = jenkins(JenkinsConfig { forbidden_jobs: vec!["flaky".into()], ..JenkinsConfig::default() }).await;
    let wrong = client(&j, Credential::ApiToken("not-the-token".into()));
    let (out, events) = run(&wrong, "team/web app", &[]).await;
    let err = out.unwrap_err();
    assert_eq!(err, JenkinsError::Credentials("deployer".into()));
    assert_eq!(err.to_string(), "Jenkins refused the credentials of user \"deployer\"");
    assert!(events.is_empty());
    assert_eq!(slipway_core::Error::from(err).default_status(), 400);
    let wrong_password = client(&j, Credential::Password("nope".into()));
    assert_eq!(run(&wrong_password, "flaky", &[]).await.0.unwrap_err(), JenkinsError::Credentials("deployer".into()));

    let c = client(&j, token(&j));
    let forbidden = run(&c, "flaky", &[]).await.0.unwrap_err();
    assert!(
        matches!(&forbidden, JenkinsError::Forbidden { what, detail }
        if what == "build job flaky" && detail == "user \"deployer\" lacks the permission"),
        "{forbidden:?}"
    );
    assert_eq!(slipway_core::Error::from(forbidden).default_status(), 403);
    let missing = run(&c, "team/nope", &[]).await.0.unwrap_err();
    assert_eq!(missing.to_string(), "no such Jenkins job team/nope");
    assert_eq!(slipway_core::Error::from(missing).default_status(), 404);
    assert!(j.triggers().is_empty());
}

#[tokio::test]
async fn cancelling_while_queued_cancels_the_queue_item() {
    let j = jenkins(JenkinsConfig { queue_delay: Duration::from_secs(30), ..JenkinsConfig::default() }).await;
    let c = client(&j, password(&j));
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let out = c
        .run_build(&JobPath::parse("flaky").unwrap(), &[], &cancel, move |e| {
            if matches!(e, JenkinsEvent::Queued(_)) {
                trigger.cancel();
            }
        })
        .await;
    assert_eq!(out.unwrap_err(), JenkinsError::Cancelled);
    assert_eq!(j.cancelled_items(), [j.triggers()[0].queue_id]);
    assert!(j.stopped().is_empty());
}

#[tokio::test]
async fn cancelling_a_running_build_stops_it() {
    let j = jenkins(JenkinsConfig::default()).await;
    let long: String = (1..=500).map(|i| format!("step {i}\n")).collect();
    j.add_job("long", JobScript { tick: Duration::from_millis(20), chunk: 8, ..JobScript::new(&long, "SUCCESS") });
    let c = client(&j, token(&j));
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let out = c
        .run_build(&JobPath::parse("long").unwrap(), &[], &cancel, move |e| {
            if let JenkinsEvent::Console(line) = &e
                && line == "step 2"
            {
                trigger.cancel();
            }
            record.lock().unwrap().push(e);
        })
        .await;
    assert_eq!(out.unwrap_err(), JenkinsError::Cancelled);
    assert_eq!(j.stopped(), [("long".to_owned(), 1)]);
    let lines = console(&seen.lock().unwrap());
    assert!(lines.len() < 500 && lines[0] == "step 1", "{lines:?}");
}

#[tokio::test]
async fn a_queue_item_cancelled_in_jenkins_is_a_clear_error() {
    let j = jenkins(JenkinsConfig { queue_delay: Duration::from_secs(30), ..JenkinsConfig::default() }).await;
    let c = client(&j, token(&j));
    let job = JobPath::parse("flaky").unwrap();
    let queue = c.trigger(&job, &[]).await.unwrap();
    j.cancel_from_jenkins(queue.id);
    let err = c.wait_for_build(&queue, &CancellationToken::new()).await.unwrap_err();
    assert_eq!(err.to_string(), format!("Jenkins cancelled queue item {} before a build started", queue.url));
}

#[tokio::test]
async fn an_unreachable_jenkins_is_a_bad_gateway_and_loopback_needs_an_administrator() {
    install_crypto();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let access = ServerAccess {
        url: format!("http://{closed}/jenkins"),
        username: "u".into(),
        credential: Credential::ApiToken("t".into()),
    };
    let c = JenkinsClient::new(&OutboundPolicy::default(), true, access.clone(), fast()).unwrap();
    let err = run(&c, "flaky", &[]).await.0.unwrap_err();
    assert!(
        matches!(&err, JenkinsError::Unreachable { url, .. } if url == &format!("http://{closed}/jenkins/")),
        "{err:?}"
    );
    let core = slipway_core::Error::from(err);
    assert_eq!((core.default_status(), core.code()), (502, "BAD_GATEWAY"));
    let refused = JenkinsClient::new(&OutboundPolicy::default(), false, access, fast()).unwrap_err();
    assert!(matches!(&refused, JenkinsError::Refused(m) if m.contains("loopback")), "{refused:?}");
    assert!(!format!("{c:?}").contains("\"t\""), "the credential is not printed");
}

mod job {
    //! The `delivery.jenkins_build` job and the service on both backends.
    use super::*;
    use serde_json::json;
    use slipway_core::{Error, Principal, Role};
    use slipway_delivery::jenkins::{
        CONSOLE_EVENT, Jenkins, JenkinsBuildExecutor, JenkinsServerChanges, NewJenkinsServer, QUEUED_EVENT,
        STARTED_EVENT, TriggerRequest,
    };
    use slipway_engine::{Engine, EngineSettings, JobStatus, Waited};
    use slipway_store::identity::NewUser;
    use slipway_store::{Db, Sealer, backend_tests};

    pub struct Rig {
        pub db: Db,
        pub engine: Engine,
        pub jenkins: Jenkins,
        pub local: LocalJenkins,
        pub admin: Principal,
        pub ann: Principal,
        _dir: tempfile::TempDir,
    }

    async fn user(db: &Db, name: &str, role: Role) -> Principal {
        let email = format!("{name}@example.com");
        let role_text = if role == Role::Admin { "admin" } else { "user" };
        let new = NewUser {
            username: name,
            email: &email,
            password_hash: "$argon2id$fake",
            role: role_text,
            full_name: name,
            email_verified: true,
        };
        let id = db.insert_user(&new, slipway_core::time::now()).await.unwrap().id;
        Principal { user_id: id, username: name.into(), role }
    }

    pub async fn rig(db: Db, config: JenkinsConfig) -> Rig {
        let local = jenkins(config).await;
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::from_secret("the secret key of the delivery tests, 32+ chars");
        let policy = OutboundPolicy::default();
        let settings = EngineSettings {
            workers: 2,
            workspace_root: dir.path().join("workspaces"),
            cancel_grace: Duration::from_secs(2),
            ..EngineSettings::default()
        };
        let executor = JenkinsBuildExecutor::new(db.clone(), sealer.clone(), policy.clone()).with_polling(fast());
        let engine = Engine::builder(db.clone(), settings).executor(executor).start().await.unwrap();
        let jenkins =
            Jenkins::new(db.clone(), sealer, policy, engine.clone()).with_trigger_wait(Duration::from_secs(10));
        let admin = user(&db, "root", Role::Admin).await;
        let ann = user(&db, "ann", Role::User).await;
        Rig { db, engine, jenkins, local, admin, ann, _dir: dir }
    }

    impl Rig {
        pub async fn server(&self, who: &Principal, kind: &str, credential: &str) -> i64 {
            let new = NewJenkinsServer {
                name: format!("ci-{kind}"),
                url: self.local.url(),
                username: self.local.config().username.clone(),
                credential: credential.into(),
                credential_kind: Some(kind.into()),
                is_default: true,
            };
            self.jenkins.create(who, new).await.unwrap().id
        }

        async fn finish(&self, who: &Principal, job_id: i64) -> slipway_engine::Job {
            match self.engine.wait(who, job_id, Duration::from_secs(20)).await.unwrap() {
                Waited::Finished(j) => j,
                Waited::TimedOut(j) => panic!("job {job_id} still {}", j.status),
            }
        }
    }

    fn trigger(job: &str, parameters: serde_json::Value) -> TriggerRequest {
        TriggerRequest { server_id: None, job_name: job.into(), parameters: Some(parameters) }
    }

    backend_tests! {
        async fn a_build_job_records_queue_build_console_and_result_and_never_the_credential(db: Db) {
            let r = rig(db, JenkinsConfig::default()).await;
            let token = r.local.config().api_token.clone();
            r.server(&r.admin, "api_token", &token).await;
            let out = r.jenkins.trigger(&r.admin, trigger("team/web app", json!({"BRANCH": "main", "N": 2}))).await.unwrap();
            let queue = out.queue_item.clone().expect("the queue item is named");
            let build = out.build.clone().expect("the build starts within the wait");
            assert_eq!((build.number, out.job_name.as_str(), out.server.name.as_str()), (1, "team/web app", "ci-api_token"));
            let job = r.finish(&r.admin, out.job_id).await;
            assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
            assert_eq!(job.output.as_ref().unwrap()["result"], "SUCCESS");
            let mut sent = r.local.triggers()[0].parameters.clone();
            sent.sort();
            assert_eq!(sent, params(&[("BRANCH", "main"), ("N", "2")]), "PostgreSQL's jsonb keeps no key order");
            let view = r.jenkins.build(&r.admin, out.job_id).await.unwrap();
            assert_eq!(view.console, CONSOLE.lines().collect::<Vec<_>>());
            assert_eq!((view.queue_item, view.build, view.result.as_deref()), (Some(queue), Some(build), Some("SUCCESS")));
            let events = r.db.job_events(out.job_id, 0, 1000).await.unwrap();
            let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).filter(|k| k.starts_with("jenkins") || *k == CONSOLE_EVENT).collect();
            assert_eq!(kinds.first(), Some(&QUEUED_EVENT));
            assert_eq!(kinds.get(1), Some(&STARTED_EVENT));
            let everything = format!("{:?} {:?} {:?}", job.input, job.output, events);
            assert!(!everything.contains(&token), "the credential is in no input, output or event");
            let stored = r.db.jenkins_servers_of(r.admin.user_id).await.unwrap();
            assert!(stored[0].credential_sealed.starts_with("v1:") && !stored[0].credential_sealed.contains(&token));
        }

        async fn password_servers_and_unstable_or_failed_builds(db: Db) {
            let r = rig(db, JenkinsConfig { legacy_302: true, ..JenkinsConfig::default() }).await;
            let pw = r.local.config().password.clone();
            r.server(&r.admin, "password", &pw).await;
            let out = r.jenkins.trigger(&r.admin, trigger("flaky", json!({}))).await.unwrap();
            let job = r.finish(&r.admin, out.job_id).await;
            assert_eq!(job.status, JobStatus::Failed);
            assert_eq!(job.error.as_deref(), Some("Jenkins build flaky #1 finished UNSTABLE"));
            assert_eq!(r.local.crumbs_issued(), 1);
            let out = r.jenkins.trigger(&r.admin, trigger("broken", serde_json::Value::Null)).await.unwrap();
            let job = r.finish(&r.admin, out.job_id).await;
            assert!(job.error.as_deref().is_some_and(|e| e.ends_with("finished FAILURE")), "{:?}", job.error);
            assert_eq!(r.jenkins.build(&r.admin, out.job_id).await.unwrap().result.as_deref(), Some("FAILURE"));
        }

        async fn builds_that_cannot_start_answer_their_error(db: Db) {
            let r = rig(db, JenkinsConfig { forbidden_jobs: vec!["flaky".into()], ..JenkinsConfig::default() }).await;
            let token = r.local.config().api_token.clone();
            let id = r.server(&r.admin, "api_token", &token).await;
            let missing = r.jenkins.trigger(&r.admin, trigger("team/nope", json!({}))).await.unwrap_err();
            assert!(matches!(&missing, Error::NotFound(m) if m == "Jenkins job team/nope"), "{missing:?}");
            let forbidden = r.jenkins.trigger(&r.admin, trigger("flaky", json!({}))).await.unwrap_err();
            assert!(matches!(&forbidden, Error::Forbidden(m) if m.contains("build job flaky")), "{forbidden:?}");
            let changes = JenkinsServerChanges { credential: Some("wrong-token".into()), ..JenkinsServerChanges::default() };
            r.jenkins.update(&r.admin, id, changes).await.unwrap();
            let refused = r.jenkins.trigger(&r.admin, trigger("team/web app", json!({}))).await.unwrap_err();
            assert!(matches!(&refused, Error::InvalidConfiguration(m) if m.contains("refused the credentials")), "{refused:?}");
        }

        async fn cancelling_the_job_stops_the_jenkins_build(db: Db) {
            let r = rig(db, JenkinsConfig::default()).await;
            let long: String = (1..=2000).map(|i| format!("step {i}\n")).collect();
            r.local.add_job("long", JobScript { tick: Duration::from_millis(20), chunk: 8, ..JobScript::new(&long, "SUCCESS") });
            let token = r.local.config().api_token.clone();
            r.server(&r.admin, "api_token", &token).await;
            let out = r.jenkins.trigger(&r.admin, trigger("long", json!({}))).await.unwrap();
            assert!(out.build.is_some());
            r.engine.cancel(&r.admin, out.job_id).await.unwrap();
            let job = r.finish(&r.admin, out.job_id).await;
            assert_eq!(job.status, JobStatus::Cancelled);
            assert_eq!(r.local.stopped(), [("long".to_owned(), 1)]);
        }

        async fn a_slow_queue_answers_the_queue_item_alone_and_cancelling_cancels_it(db: Db) {
            let r = rig(db, JenkinsConfig { queue_delay: Duration::from_secs(60), ..JenkinsConfig::default() }).await;
            let token = r.local.config().api_token.clone();
            r.server(&r.admin, "api_token", &token).await;
            let quick = r.jenkins.clone().with_trigger_wait(Duration::from_millis(400));
            let out = quick.trigger(&r.admin, trigger("flaky", json!({}))).await.unwrap();
            assert_eq!(out.status, "running");
            let queue = out.queue_item.expect("Jenkins queued it at once");
            assert_eq!(out.build, None, "the build had not started within the wait");
            r.engine.cancel(&r.admin, out.job_id).await.unwrap();
            assert_eq!(r.finish(&r.admin, out.job_id).await.status, JobStatus::Cancelled);
            assert_eq!(r.local.cancelled_items(), [queue.id]);
        }

        async fn a_job_enqueued_directly_cannot_use_another_users_server(db: Db) {
            let r = rig(db, JenkinsConfig::default()).await;
            let token = r.local.config().api_token.clone();
            let admins = r.server(&r.admin, "api_token", &token).await;
            let input = json!({"server_id": admins, "job_name": "flaky", "parameters": {}});
            let options = slipway_engine::EnqueueOptions { max_attempts: 1, ..Default::default() };
            let job = r.engine.enqueue(&r.ann, slipway_delivery::jenkins::KIND, input, options).await.unwrap();
            let job = r.finish(&r.ann, job.id).await;
            assert_eq!(job.status, JobStatus::Failed);
            assert_eq!(job.error.as_deref(), Some(format!("Jenkins server {admins} not found").as_str()));
            assert!(r.local.triggers().is_empty(), "nothing reached Jenkins");
            let bad = json!({"server_id": admins, "job_name": "a/../b"});
            let refused = r.engine.enqueue(&r.ann, slipway_delivery::jenkins::KIND, bad, Default::default()).await;
            assert!(matches!(refused, Err(Error::Validation(_))), "{refused:?}");
        }

        async fn servers_are_their_owners_and_loopback_needs_an_administrator(db: Db) {
            let r = rig(db, JenkinsConfig::default()).await;
            let token = r.local.config().api_token.clone();
            let new = NewJenkinsServer {
                name: "mine".into(),
                url: r.local.url(),
                username: "deployer".into(),
                credential: token.clone(),
                credential_kind: None,
                is_default: true,
            };
            let err = r.jenkins.create(&r.ann, new.clone()).await.unwrap_err();
            assert!(matches!(&err, Error::Validation(f) if f[0].field() == "url" && f[0].msg.contains("loopback")), "{err:?}");
            let public = NewJenkinsServer { url: "https://ci.example.com/jenkins".into(), ..new.clone() };
            let anns = r.jenkins.create(&r.ann, public.clone()).await.unwrap();
            assert!(anns.has_credential && anns.credential_kind == "api_token");
            let dup = r.jenkins.create(&r.ann, public).await.unwrap_err();
            assert!(matches!(dup, Error::Conflict(_)));
            let admins = r.jenkins.create(&r.admin, new).await.unwrap();
            assert!(matches!(r.jenkins.get(&r.ann, admins.id).await, Err(Error::NotFound(_))));
            assert!(matches!(r.jenkins.delete(&r.ann, admins.id).await, Err(Error::NotFound(_))));
            let theirs = TriggerRequest { server_id: Some(admins.id), ..trigger("flaky", json!({})) };
            assert!(matches!(r.jenkins.trigger(&r.ann, theirs).await, Err(Error::NotFound(_))));
            assert_eq!(r.jenkins.get(&r.admin, anns.id).await.unwrap().name, "mine", "administrators reach every server");
            let out = r.jenkins.trigger(&r.admin, trigger("flaky", json!({}))).await.unwrap();
            assert!(matches!(r.jenkins.build(&r.ann, out.job_id).await, Err(Error::NotFound(_))));
            r.jenkins.delete(&r.ann, anns.id).await.unwrap();
            let none = r.jenkins.trigger(&r.ann, trigger("flaky", json!({}))).await.unwrap_err();
            assert!(matches!(&none, Error::Validation(f) if f[0].field() == "server_id"), "{none:?}");
            let bad = r.jenkins.trigger(&r.ann, trigger("a/../b", json!({"X": [1]}))).await.unwrap_err();
            let fields: Vec<String> = bad.field_errors().iter().map(|f| f.field()).collect();
            assert_eq!(fields, ["job_name", "parameters.X"]);
        }
    }
}
