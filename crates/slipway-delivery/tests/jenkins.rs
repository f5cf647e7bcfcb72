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
use slipway_delivery::testing::jenkins::{JenkinsConfig, JobScript, LocalJenkins, CRUMB_FIELD};
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
    let (out, events) = run(&c, "team/web app", &params(&[("BRANCH", "main"), ("ENVIRONMENT", "staging & prod")])).await;
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
    assert!(matches!(&forbidden, JenkinsError::Forbidden { what, detail }
        if what == "build job flaky" && detail.contains("missing the Job/Build permission")), "{forbidden:?}");
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
    assert!(matches!(&err, JenkinsError::Unreachable { url, .. } if url == &format!("http://{closed}/jenkins/")), "{err:?}");
    let core = slipway_core::Error::from(err);
    assert_eq!((core.default_status(), core.code()), (502, "BAD_GATEWAY"));
    let refused = JenkinsClient::new(&OutboundPolicy::default(), false, access, fast()).unwrap_err();
    assert!(matches!(&refused, JenkinsError::Refused(m) if m.contains("loopback")), "{refused:?}");
    assert!(!format!("{c:?}").contains("\"t\""), "the credential is not printed");
}
