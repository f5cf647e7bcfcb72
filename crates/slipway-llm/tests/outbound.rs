//! The outbound policy on users' configurations: an internal base URL is refused when saved, and when a stored
//! one is tested or called the refusal comes before any connection (a listener sees none); a name that
//! resolves to loopback is refused at connect time; administrators and the allow list reach the mock; and
//! whatever answers, its body is summarized, never echoed.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{ask, llm_on, user, user_with_role};
use slipway_core::{Error, Principal, Role};
use slipway_llm::testing::{MockProvider, MockReply};
use slipway_llm::{CallInfo, Llm, LlmError, LlmSettings, NewLlmConfig, Secret};
use slipway_outbound::OutboundPolicy;
use slipway_store::Db;
use tokio_util::sync::CancellationToken;

/// A loopback listener that counts the connections it gets (and answers none).
async fn recorder() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (port, seen)
}

fn principal(id: i64, role: Role) -> Principal {
    Principal { user_id: id, username: format!("u{id}"), role }
}

fn config(api_base: &str) -> NewLlmConfig {
    NewLlmConfig {
        name: "mine".into(),
        provider: "deepseek".into(),
        api_key: Some(Secret::new("sk-1")),
        api_base: Some(api_base.into()),
        is_default: true,
        ..NewLlmConfig::default()
    }
}

async fn with_policy(db: &Db, entries: &[String]) -> Llm {
    let outbound = OutboundPolicy::from_entries(entries).unwrap();
    llm_on(db.clone(), LlmSettings { outbound, ..LlmSettings::default() }).await
}

/// The message of the one validation error on `api_base`.
fn api_base_error(e: &Error) -> String {
    let fields = e.field_errors();
    assert!(matches!(e, Error::Validation(_)) && fields.len() == 1, "{e:?}");
    assert_eq!(fields[0].field(), "api_base", "{e:?}");
    fields[0].msg.clone()
}

#[tokio::test]
async fn an_internal_base_url_is_refused_when_saved_tested_and_called_without_a_connection() {
    let t = slipway_store::testing::sqlite().await;
    let strict = llm_on(t.db.clone(), LlmSettings::default()).await;
    let (port, seen) = recorder().await;
    let ann = principal(user(&t.db, "ann").await, Role::User);
    let url = format!("http://127.0.0.1:{port}");

    let err = strict.configs().create(&ann, config(&url)).await.unwrap_err();
    assert_eq!(
        api_base_error(&err),
        "api_base 127.0.0.1 is a loopback address; an administrator can allow it with SLIPWAY_OUTBOUND_ALLOW"
    );
    for internal in
        ["http://10.0.0.1", "http://169.254.169.254", "http://[::ffff:192.168.0.1]", "http://localhost:5432"]
    {
        let err = strict.configs().create(&ann, config(internal)).await.unwrap_err();
        assert!(api_base_error(&err).contains("SLIPWAY_OUTBOUND_ALLOW"), "{internal}");
    }

    // Saved while an administrator allowed it; the entry is gone now.
    let open = with_policy(&t.db, &[format!("127.0.0.1:{port}")]).await;
    let stored = open.configs().create(&ann, config(&url)).await.unwrap();
    let err = strict.configs().test(&ann, stored.id, &CancellationToken::new()).await.unwrap_err();
    assert!(api_base_error(&err).contains("127.0.0.1 is a loopback address"), "{err:?}");

    let chain = strict.chain_for(ann.user_id).await.unwrap();
    let err = strict.chat(&chain, ask("hi"), CallInfo::for_user(ann.user_id), &CancellationToken::new()).await;
    let err = err.unwrap_err();
    assert!(matches!(&err, LlmError::Refused { provider, .. } if provider == "LLM configuration \"mine\""), "{err}");
    let domain = Error::from(err);
    assert!(matches!(&domain, Error::InvalidConfiguration(m) if m.contains("api_base 127.0.0.1 is a loopback")));

    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(seen.load(Ordering::SeqCst), 0, "the listener saw a connection");
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_at_connect_time() {
    let t = slipway_store::testing::sqlite().await;
    let strict = llm_on(t.db.clone(), LlmSettings::default()).await;
    let (port, seen) = recorder().await;
    let ann = principal(user(&t.db, "ann").await, Role::User);
    let url = format!("http://localhost:{port}");

    let open = with_policy(&t.db, &["localhost".to_owned()]).await;
    let stored = open.configs().create(&ann, config(&url)).await.unwrap();
    let err = strict.configs().test(&ann, stored.id, &CancellationToken::new()).await.unwrap_err();
    let msg = api_base_error(&err);
    assert!(msg.starts_with("api_base localhost resolves to a loopback address"), "{msg}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(seen.load(Ordering::SeqCst), 0, "the listener saw a connection");
}

#[tokio::test]
async fn administrators_and_the_allow_list_reach_the_mock() {
    let t = slipway_store::testing::sqlite().await;
    let mock = MockProvider::start().await;
    let cancel = CancellationToken::new();
    let strict = llm_on(t.db.clone(), LlmSettings::default()).await;
    let root = principal(user_with_role(&t.db, "root", "admin").await, Role::Admin);
    let stored = strict.configs().create(&root, config(&mock.url())).await.unwrap();
    let outcome = strict.configs().test(&root, stored.id, &cancel).await.unwrap();
    assert_eq!(outcome.test_output, "echo: Say hello");
    let chain = strict.chain_for(root.user_id).await.unwrap();
    let r = strict.chat(&chain, ask("ping"), CallInfo::for_user(root.user_id), &cancel).await.unwrap();
    assert_eq!(r.content, "echo: ping", "the admin's calls reach it too");

    let port = mock.url().rsplit(':').next().unwrap().to_owned();
    let allowed = with_policy(&t.db, &[format!("127.0.0.1:{port}")]).await;
    let ann = principal(user(&t.db, "ann").await, Role::User);
    let stored = allowed.configs().create(&ann, config(&mock.url())).await.unwrap();
    assert_eq!(allowed.configs().test(&ann, stored.id, &cancel).await.unwrap().test_output, "echo: Say hello");
    let chain = allowed.chain_for(ann.user_id).await.unwrap();
    assert!(allowed.chat(&chain, ask("x"), CallInfo::for_user(ann.user_id), &cancel).await.is_ok());
    let other_port = slipway_llm::testing::unreachable_url();
    assert!(allowed.configs().create(&ann, config(&other_port)).await.is_err(), "only the allowed port");
}

#[tokio::test]
async fn what_answers_is_summarized_not_echoed() {
    let t = slipway_store::testing::sqlite().await;
    let mock = MockProvider::start().await;
    let cancel = CancellationToken::new();
    let llm = llm_on(t.db.clone(), common::settings()).await;
    let ann = principal(user(&t.db, "ann").await, Role::User);
    let stored = llm.configs().create(&ann, config(&mock.url())).await.unwrap();

    mock.push(MockReply::status(500, "<html>admin panel: password hunter2</html>"));
    let err = llm.configs().test(&ann, stored.id, &cancel).await.unwrap_err().to_string();
    assert!(err.contains("HTTP 500") && !err.contains("hunter2") && !err.contains("html"), "{err}");
    mock.push(MockReply::status(403, r#"{"rows":[{"user":"root","password":"hunter2"}]}"#));
    let err = llm.configs().test(&ann, stored.id, &cancel).await.unwrap_err().to_string();
    assert!(err.contains("HTTP 403") && !err.contains("hunter2"), "{err}");
    mock.push(MockReply::status(401, r#"{"error":{"message":"Incorrect API key provided"}}"#));
    let err = llm.configs().test(&ann, stored.id, &cancel).await.unwrap_err().to_string();
    assert!(err.contains("Incorrect API key provided"), "the provider's own error message is kept: {err}");
    mock.push(MockReply::malformed(r#"{"rows":[{"password":"hunter2"}]}"#));
    let err = llm.configs().test(&ann, stored.id, &cancel).await.unwrap_err().to_string();
    assert!(err.contains("malformed") && !err.contains("hunter2"), "{err}");
}
