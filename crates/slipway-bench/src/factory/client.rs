//! A signed-in client of a Slipway node: registers a user through the planner and carries its token.

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// A user's client of one node.
pub struct Client {
    /// The HTTP client.
    pub http: reqwest::Client,
    /// `http://addr`.
    pub base: String,
    /// The access token.
    pub token: String,
}

impl Client {
    /// Registers `name` on the node at `base` and signs in.
    pub async fn register(base: String, name: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().build()?;
        let body = json!({"username": name, "email": format!("{name}@example.com"), "password": "Secret123!"});
        let r: Value = http.post(format!("{base}/api/v1/auth/register")).json(&body).send().await?.json().await?;
        let token = r["data"]["tokens"]["access_token"].as_str().context("no access token in the answer")?.to_owned();
        Ok(Self { http, base, token })
    }

    /// A request to `path` with the token.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token)
    }

    /// Sends a JSON request and answers the JSON body, failing on any status but `want`.
    pub async fn json(&self, method: reqwest::Method, path: &str, body: Value, want: u16) -> anyhow::Result<Value> {
        let r = self.request(method, path).json(&body).send().await?;
        let status = r.status().as_u16();
        let text = r.text().await?;
        if status != want {
            bail!("{path}: {status} {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Creates a project and answers its id.
    pub async fn project(&self, name: &str) -> anyhow::Result<i64> {
        let body = json!({"name": name, "requirements": "A small command-line to-do list in Python."});
        let p = self.json(reqwest::Method::POST, "/api/projects", body, 201).await?;
        p["id"].as_i64().context("no project id")
    }
}
