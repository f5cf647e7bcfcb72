//! Per-user configurations on both backends: keys sealed at rest and never shown, one default per user,
//! owners only, partial updates, the test call, and the chain a user's calls take.
#![allow(clippy::unwrap_used)]

mod common;

use common::{SECRET, ask, llm_on, user};
use slipway_core::{Error, Principal, Role};
use slipway_llm::testing::{MockProvider, MockReply, unreachable_url};
use slipway_llm::{
    CallInfo, LlmConfigChanges, LlmSettings, NOT_CONFIGURED, NewLlmConfig, Params, ParamsPatch, SERVER_DEFAULT_LABEL,
    Secret,
};
use slipway_store::{Db, Sealer, backend_tests, on_pool};
use tokio_util::sync::CancellationToken;

const KEY: &str = "sk-live-0123456789abcdef";

fn principal(id: i64) -> Principal {
    Principal { user_id: id, username: format!("u{id}"), role: Role::User }
}

fn deepseek(name: &str, default: bool) -> NewLlmConfig {
    NewLlmConfig {
        name: name.into(),
        provider: "deepseek".into(),
        model: None,
        api_key: Some(Secret::new(KEY)),
        api_base: None,
        is_default: default,
        config: Some(Params { temperature: Some(0.7), max_tokens: Some(4000), top_p: Some(0.9) }),
    }
}

fn fields(e: &Error) -> Vec<String> {
    e.field_errors().iter().map(slipway_core::FieldError::field).collect()
}

async fn sealed_column(db: &Db, id: i64) -> Option<String> {
    on_pool!(db, |p| sqlx::query_scalar("SELECT api_key_sealed FROM llm_configs WHERE id = $1")
        .bind(id)
        .fetch_one(p)
        .await)
    .unwrap()
}

backend_tests! {
    async fn keys_are_sealed_at_rest_and_never_shown(db: Db) {
        let llm = llm_on(db.clone(), common::settings()).await;
        let ann = principal(user(&db, "ann").await);
        let input = deepseek("My DeepSeek", true);
        assert!(!format!("{input:?}").contains(KEY));
        let view = llm.configs().create(&ann, input).await.unwrap();
        assert_eq!((view.provider.as_str(), view.model.as_str(), view.user_id), ("deepseek", "deepseek-chat", ann.user_id));
        assert!(view.is_default && view.is_active && view.has_api_key);
        assert_eq!(view.config, Params { temperature: Some(0.7), max_tokens: Some(4000), top_p: Some(0.9) });
        for shown in [format!("{view:?}"), serde_json::to_string(&view).unwrap(), format!("{:?}", llm.configs().list(&ann).await.unwrap())] {
            assert!(!shown.contains(KEY) && !shown.contains("sk-live"), "{shown}");
        }
        let sealed = sealed_column(&db, view.id).await.unwrap();
        assert!(sealed.starts_with("v1:") && !sealed.contains(KEY), "{sealed}");
        let sealer = Sealer::from_secret(SECRET);
        assert_eq!(sealer.open(&format!("llm_configs.api_key:user={}", ann.user_id), &sealed).unwrap(), KEY);
        let chain = llm.chain_for(ann.user_id).await.unwrap();
        assert_eq!(chain.links()[0].api_key.as_ref().map(Secret::expose), Some(KEY), "opened for the call");
        assert!(!format!("{chain:?}").contains(KEY));
        // Another server secret cannot open it: the configuration is reported, not a panic.
        let stranger = slipway_llm::Llm::new(db.clone(), common::settings(), Sealer::from_secret("another secret of 32+ characters!")).await.unwrap();
        match stranger.chain_for(ann.user_id).await.unwrap_err() {
            Error::InvalidConfiguration(m) => assert!(m.contains("My DeepSeek") && m.contains("set the key again"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    async fn each_user_has_at_most_one_default(db: Db) {
        let llm = llm_on(db.clone(), common::settings()).await;
        let ann = principal(user(&db, "ann").await);
        let a = llm.configs().create(&ann, deepseek("a", true)).await.unwrap();
        let b = llm.configs().create(&ann, deepseek("b", true)).await.unwrap();
        let c = llm.configs().create(&ann, deepseek("c", false)).await.unwrap();
        let list = llm.configs().list(&ann).await.unwrap();
        assert_eq!(list.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["c", "b", "a"], "newest first");
        assert_eq!(list.iter().filter(|v| v.is_default).map(|v| v.id).collect::<Vec<_>>(), [b.id]);
        let changes = LlmConfigChanges { is_default: Some(true), ..LlmConfigChanges::default() };
        let updated = llm.configs().update(&ann, a.id, changes).await.unwrap();
        assert!(updated.is_default);
        let defaults: Vec<i64> = llm.configs().list(&ann).await.unwrap().iter().filter(|v| v.is_default).map(|v| v.id).collect();
        assert_eq!(defaults, [a.id]);
        assert_eq!(llm.configs().get(&ann, c.id).await.unwrap().name, "c");
        // The partial unique index is the last line of defence.
        let sql = "UPDATE llm_configs SET is_default = TRUE WHERE id = $1";
        let raw = on_pool!(&db, |p| sqlx::query(sql).bind(c.id).execute(p).await.map(|_| ()));
        let err = raw.unwrap_err();
        assert!(err.as_database_error().is_some_and(|e| e.is_unique_violation()), "{err}");
        // Another user's default is theirs.
        let bob = principal(user(&db, "bob").await);
        assert!(llm.configs().create(&bob, deepseek("bob's", true)).await.unwrap().is_default);
        assert!(llm.configs().get(&ann, a.id).await.unwrap().is_default);
    }

    async fn a_user_sees_and_changes_only_their_own(db: Db) {
        let llm = llm_on(db.clone(), common::settings()).await;
        let ann = principal(user(&db, "ann").await);
        let bob = principal(user(&db, "bob").await);
        let mine = llm.configs().create(&ann, deepseek("mine", true)).await.unwrap();
        let not_found = |r: Result<(), Error>| assert!(matches!(r, Err(Error::NotFound(_))), "{r:?}");
        not_found(llm.configs().get(&bob, mine.id).await.map(|_| ()));
        not_found(llm.configs().update(&bob, mine.id, LlmConfigChanges { name: Some("x".into()), ..Default::default() }).await.map(|_| ()));
        not_found(llm.configs().update(&bob, mine.id, LlmConfigChanges { is_default: Some(true), ..Default::default() }).await.map(|_| ()));
        not_found(llm.configs().test(&bob, mine.id, &CancellationToken::new()).await.map(|_| ()));
        not_found(llm.configs().delete(&bob, mine.id).await);
        assert!(llm.configs().list(&bob).await.unwrap().is_empty());
        assert!(llm.configs().get(&ann, mine.id).await.unwrap().is_default, "bob's attempts changed nothing");
        llm.configs().delete(&ann, mine.id).await.unwrap();
        not_found(llm.configs().delete(&ann, mine.id).await);
    }

    async fn bad_configurations_name_their_fields(db: Db) {
        let llm = llm_on(db.clone(), common::settings()).await;
        let ann = principal(user(&db, "ann").await);
        let bad = NewLlmConfig {
            name: " ".into(),
            provider: "openia".into(),
            config: Some(Params { temperature: Some(2.5), max_tokens: Some(0), top_p: Some(1.5) }),
            ..deepseek("x", false)
        };
        let e = llm.configs().create(&ann, bad).await.unwrap_err();
        assert_eq!(fields(&e), ["name", "provider", "config.temperature", "config.max_tokens", "config.top_p"]);
        assert!(e.public_message().contains("openia") && e.public_message().contains("deepseek"), "{e}");
        let keyless = NewLlmConfig { api_key: None, ..deepseek("x", false) };
        assert_eq!(fields(&llm.configs().create(&ann, keyless).await.unwrap_err()), ["api_key"]);
        let bad_url = NewLlmConfig { api_base: Some("ftp://example.com".into()), ..deepseek("x", false) };
        assert_eq!(fields(&llm.configs().create(&ann, bad_url).await.unwrap_err()), ["api_base"]);
        let vllm = NewLlmConfig { provider: "vllm".into(), api_key: None, ..deepseek("x", false) };
        assert_eq!(fields(&llm.configs().create(&ann, vllm).await.unwrap_err()), ["model", "api_base"]);
        let long = NewLlmConfig { name: "n".repeat(101), ..deepseek("x", false) };
        assert_eq!(fields(&llm.configs().create(&ann, long).await.unwrap_err()), ["name"]);
        let local = NewLlmConfig { provider: "ollama".into(), api_key: None, config: None, ..deepseek("local", false) };
        let view = llm.configs().create(&ann, local).await.unwrap();
        assert_eq!((view.model.as_str(), view.has_api_key, view.api_base), ("llama3.1", false, None));
    }

    async fn updates_change_only_what_they_name(db: Db) {
        let llm = llm_on(db.clone(), common::settings()).await;
        let ann = principal(user(&db, "ann").await);
        let v = llm.configs().create(&ann, deepseek("mine", true)).await.unwrap();
        let sealed = sealed_column(&db, v.id).await;
        let patch = ParamsPatch { temperature: Some(Some(0.8)), top_p: Some(None), ..ParamsPatch::default() };
        let changes = LlmConfigChanges { name: Some("renamed".into()), config: Some(patch), ..LlmConfigChanges::default() };
        let u = llm.configs().update(&ann, v.id, changes).await.unwrap();
        assert_eq!((u.name.as_str(), u.is_default, u.model.as_str()), ("renamed", true, "deepseek-chat"));
        assert_eq!(u.config, Params { temperature: Some(0.8), max_tokens: Some(4000), top_p: None });
        assert!(u.updated_at >= v.updated_at && u.created_at == v.created_at);
        assert_eq!(sealed_column(&db, v.id).await, sealed, "the key is kept when not named");

        let to_anthropic = LlmConfigChanges { provider: Some("anthropic".into()), ..LlmConfigChanges::default() };
        let u = llm.configs().update(&ann, v.id, to_anthropic).await.unwrap();
        assert_eq!((u.provider.as_str(), u.model.as_str()), ("anthropic", "claude-3-sonnet"), "the model follows the provider");
        let new_key = LlmConfigChanges { api_key: Some(Secret::new("sk-new")), is_active: Some(false), ..Default::default() };
        let u = llm.configs().update(&ann, v.id, new_key).await.unwrap();
        assert!(!u.is_active && u.has_api_key);
        assert_ne!(sealed_column(&db, v.id).await, sealed);
        let drop_key = LlmConfigChanges { api_key: Some(Secret::new("")), ..Default::default() };
        assert_eq!(fields(&llm.configs().update(&ann, v.id, drop_key).await.unwrap_err()), ["api_key"]);
        let bad = LlmConfigChanges { config: Some(ParamsPatch { max_tokens: Some(Some(200_001)), ..Default::default() }), ..Default::default() };
        assert_eq!(fields(&llm.configs().update(&ann, v.id, bad).await.unwrap_err()), ["config.max_tokens"]);
        assert!(matches!(llm.configs().update(&ann, v.id, LlmConfigChanges::default()).await, Err(Error::NoUpdateData)));
    }

    async fn the_chain_is_the_users_default_then_the_servers(db: Db) {
        let mock = MockProvider::start().await;
        let ann = principal(user(&db, "ann").await);
        let none = llm_on(db.clone(), common::settings()).await;
        match none.chain_for(ann.user_id).await.unwrap_err() {
            Error::Unavailable(m) => assert_eq!(m, NOT_CONFIGURED),
            other => panic!("{other:?}"),
        }
        let settings = LlmSettings { server_default: Some(mock.config("google").with_label(SERVER_DEFAULT_LABEL)), ..common::settings() };
        let llm = llm_on(db.clone(), settings).await;
        let only_server = llm.chain_for(ann.user_id).await.unwrap();
        assert_eq!(only_server.links().len(), 1);
        let base = mock.url();
        let mine = NewLlmConfig { api_base: Some(base.clone()), ..deepseek("mine", true) };
        let v = llm.configs().create(&ann, mine).await.unwrap();
        let chain = llm.chain_for(ann.user_id).await.unwrap();
        let names: Vec<&str> = chain.links().iter().map(|l| l.provider.name()).collect();
        assert_eq!(names, ["deepseek", "google"]);
        assert_eq!(chain.links()[0].label, "LLM configuration \"mine\"");
        assert_eq!(chain.links()[0].params.max_tokens, Some(4000));
        let r = llm.chat(&chain, ask("hi"), CallInfo::for_user(ann.user_id), &CancellationToken::new()).await.unwrap();
        assert_eq!(r.provider, "deepseek");
        assert_eq!(mock.last_request().unwrap().body["max_tokens"], 4000, "the configuration's parameters are used");
        // An inactive default is skipped.
        llm.configs().update(&ann, v.id, LlmConfigChanges { is_active: Some(false), ..Default::default() }).await.unwrap();
        assert_eq!(llm.chain_for(ann.user_id).await.unwrap().links().len(), 1);
    }

    async fn a_test_calls_the_configuration_alone(db: Db) {
        let mock = MockProvider::start().await;
        let fallback = MockProvider::start().await;
        let settings = LlmSettings { server_default: Some(fallback.config("deepseek")), ..common::settings() };
        let llm = llm_on(db.clone(), settings).await;
        let ann = principal(user(&db, "ann").await);
        let cfg = NewLlmConfig { api_base: Some(mock.url()), ..deepseek("mine", false) };
        let v = llm.configs().create(&ann, cfg).await.unwrap();
        let cancel = CancellationToken::new();

        let ok = llm.configs().test(&ann, v.id, &cancel).await.unwrap();
        assert!(ok.success);
        assert_eq!((ok.model.as_str(), ok.test_output.as_str()), ("deepseek-chat", "echo: Say hello"));
        let sent = mock.last_request().unwrap();
        assert_eq!(sent.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
        assert_eq!(sent.body["max_tokens"], 64);

        mock.push(MockReply::status(401, r#"{"error":{"message":"Authentication Fails (no such user)"}}"#));
        match llm.configs().test(&ann, v.id, &cancel).await.unwrap_err() {
            Error::InvalidConfiguration(m) => assert!(m.contains("\"mine\"") && m.contains("API key") && m.contains("Authentication Fails"), "{m}"),
            other => panic!("{other:?}"),
        }
        mock.push(MockReply::status(503, "{}"));
        let requests = mock.requests().len();
        assert!(matches!(llm.configs().test(&ann, v.id, &cancel).await, Err(Error::Unavailable(_))));
        assert_eq!(mock.requests().len(), requests + 1, "a test is not retried");
        assert!(fallback.requests().is_empty(), "nor does it fall back");
        mock.push(MockReply::text("hi").delay(std::time::Duration::from_millis(50)));
        mock.push(MockReply::text("hi again"));
        let first = llm.configs().test(&ann, v.id, &cancel).await.unwrap();
        assert!(first.response_time_ms >= 50);
        assert_eq!(llm.configs().test(&ann, v.id, &cancel).await.unwrap().test_output, "hi again", "never cached");

        let dead = LlmConfigChanges { api_base: Some(unreachable_url()), ..Default::default() };
        llm.configs().update(&ann, v.id, dead).await.unwrap();
        match llm.configs().test(&ann, v.id, &cancel).await.unwrap_err() {
            Error::Unavailable(m) => assert!(m.contains("unreachable") && m.contains("\"mine\""), "{m}"),
            other => panic!("{other:?}"),
        }
        llm.flush_usage().await;
        let rows = llm.usage_for(Some(ann.user_id), None).await.unwrap();
        assert_eq!(rows.len(), 6, "tests are calls too: {rows:?}");
    }
}
