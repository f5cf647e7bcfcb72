//! Shared helpers of the LLM tests: an `Llm` on a test database, questions and tools.
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::json;
use slipway_llm::{ChatRequest, Llm, LlmSettings, Message, ToolSpec};
use slipway_store::{Db, Sealer};

/// The secret the tests seal keys with.
pub const SECRET: &str = "a test secret key that is long enough";

/// Default settings, with users' configurations allowed to reach the mock on loopback.
pub fn settings() -> LlmSettings {
    LlmSettings { outbound: slipway_llm::testing::loopback_allowed(), ..LlmSettings::default() }
}

/// An `Llm` on `db` with `settings`.
pub async fn llm_on(db: Db, settings: LlmSettings) -> Llm {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Llm::new(db, settings, Sealer::from_secret(SECRET)).await.unwrap()
}

/// An `Llm` on a fresh SQLite database (kept alive by the returned handle).
pub async fn llm_sqlite(settings: LlmSettings) -> (Llm, slipway_store::testing::TestDb) {
    let t = slipway_store::testing::sqlite().await;
    (llm_on(t.db.clone(), settings).await, t)
}

/// A one-question conversation.
pub fn ask(text: &str) -> ChatRequest {
    ChatRequest { messages: vec![Message::system("You are terse."), Message::user(text)], ..ChatRequest::default() }
}

/// The weather tool.
pub fn weather() -> ToolSpec {
    ToolSpec {
        name: "get_weather".into(),
        description: "Current weather of a city".into(),
        parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    }
}

/// Creates a user and returns their id.
pub async fn user(db: &Db, name: &str) -> i64 {
    user_with_role(db, name, "user").await
}

/// Creates a user of `role` (`user`, `admin`) and returns their id.
pub async fn user_with_role(db: &Db, name: &str, role: &str) -> i64 {
    let email = format!("{name}@example.com");
    let u = slipway_store::identity::NewUser {
        username: name,
        email: &email,
        password_hash: "$argon2id$fake",
        role,
        full_name: "",
        email_verified: true,
    };
    db.insert_user(&u, slipway_core::time::now()).await.unwrap().id
}
