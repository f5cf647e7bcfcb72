//! In-process request helpers for the HTTP tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;

use slipway_core::config::{IdentityConfig, MailConfig, RateLimitConfig};
use slipway_engine::{CommandExecutor, Engine, EngineSettings};
use slipway_http::{AppParts, AppState, HttpSettings, Limits, NodeInfo, RenderedError};
use slipway_identity::{Identity, Mailer, RateLimiter};
use slipway_ops::Tasks;
use slipway_store::Db;
use tower::ServiceExt;

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub rendered: Option<RenderedError>,
}

impl Reply {
    /// The body as JSON (panics with the body text when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text))
    }

    /// A response header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends one request through the app.
pub async fn send(app: &Router, req: Request<Body>) -> Reply {
    let resp = app.clone().oneshot(req).await.expect("router is infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let rendered = resp.extensions().get::<RenderedError>().copied();
    let bytes = resp.into_body().collect().await.expect("read body").to_bytes();
    Reply { status, headers, text: String::from_utf8_lossy(&bytes).into_owned(), rendered }
}

/// `GET uri`.
pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).expect("request")
}

/// A request with any method and no body.
pub fn method(method: &str, uri: &str) -> Request<Body> {
    Request::builder().method(method).uri(uri).body(Body::empty()).expect("request")
}

/// `POST uri` with a JSON body.
pub fn post_json(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri).header("content-type", "application/json").body(Body::from(body.to_owned())).expect("request")
}

/// How a test application is put together.
pub struct Setup {
    /// HTTP settings.
    pub http: HttpSettings,
    /// Rate limits (off unless a test is about them).
    pub rates: RateLimitConfig,
    /// Where mail goes: an SMTP URL, or the outbox under a temp dir.
    pub smtp_url: Option<String>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<slipway_core::config::IpNet>,
    /// The LLM runtime's settings (no server default unless a test points one at a `MockProvider`; users'
    /// configurations may reach the mock on loopback, as an administrator's allow list would let them).
    pub llm: slipway_llm::LlmSettings,
    /// The command sandbox (`None`: detected on this machine).
    pub sandbox: Option<slipway_engine::SandboxAvailability>,
    /// The largest project file accepted, bytes.
    pub max_upload_bytes: u64,
    /// The policy for user-given URLs outside the LLM runtime (git clone URLs): strict, as by default.
    pub outbound: slipway_outbound::OutboundPolicy,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            http: HttpSettings::default(),
            rates: RateLimitConfig { enabled: false, ..RateLimitConfig::default() },
            smtp_url: None,
            trusted_proxies: Vec::new(),
            llm: slipway_llm::LlmSettings {
                outbound: slipway_llm::testing::loopback_allowed(),
                ..slipway_llm::LlmSettings::default()
            },
            sandbox: None,
            max_upload_bytes: 8 * 1024 * 1024,
            outbound: slipway_outbound::OutboundPolicy::default(),
        }
    }
}

/// Application state on a real database; the returned directory holds the signing secret and the outbox.
pub async fn state_with(db: Db, setup: Setup) -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mail = MailConfig { smtp_url: setup.smtp_url, ..MailConfig::default() };
    let mailer = Mailer::from_config(&mail, dir.path()).expect("mailer");
    let identity = Identity::new(db.clone(), IdentityConfig::default(), dir.path(), mailer).await.expect("identity");
    let limiter = RateLimiter::from_config(&setup.rates).await.expect("limiter");
    let settings = EngineSettings {
        workers: 2,
        workspace_root: dir.path().join("workspaces"),
        // As in production: the sandbox hides the whole data dir (workspaces and clones are bound back).
        data_dir: Some(dir.path().to_path_buf()),
        ..EngineSettings::default()
    };
    install_crypto();
    let sealer = slipway_store::Sealer::from_secret("the secret key of the HTTP tests, 32+ chars");
    let llm = slipway_llm::Llm::new(db.clone(), setup.llm, sealer.clone()).await.expect("llm");
    let runtime = slipway_agents::Runtime { llm: llm.clone(), db: db.clone() };
    let outbound = slipway_outbound::OutboundPolicy::default();
    let jenkins_executor = slipway_delivery::JenkinsBuildExecutor::new(db.clone(), sealer.clone(), outbound.clone())
        .with_polling(slipway_delivery::jenkins::Polling {
            first: std::time::Duration::from_millis(5),
            max: std::time::Duration::from_millis(40),
        });
    // As in the binary's wiring: one servers service (one SSH pool) for the routes, remote commands and deployments.
    let servers = slipway_ops::Servers::new(
        db.clone(),
        sealer.clone(),
        setup.outbound.clone(),
        slipway_ops::ssh::SshPool::new(dir.path(), slipway_ops::ssh::SshSettings::default()),
    );
    let command = CommandExecutor::new().with_remote(Arc::new(slipway_ops::RemoteCommands::new(servers.clone())));
    let mut builder = Engine::builder(db.clone(), settings).executor(command).executor(jenkins_executor);
    if let Some(sandbox) = setup.sandbox {
        builder = builder.sandbox(sandbox);
    }
    let blobs = slipway_files::BlobStore::open(None, dir.path()).expect("file store");
    let files = slipway_factory::ProjectFiles::new(db.clone(), blobs, setup.max_upload_bytes);
    let builder = slipway_factory::register(slipway_agents::register(builder, &runtime), &runtime, &files);
    let pipeline_blobs = slipway_files::BlobStore::open(None, &dir.path().join("pipelines")).expect("file store");
    let pipeline_settings = slipway_delivery::PipelineSettings::new(
        db.clone(),
        slipway_store::Sealer::from_secret("the secret key of the HTTP tests, 32+ chars"),
        pipeline_blobs,
        slipway_outbound::OutboundPolicy::from_entries(Vec::<String>::new()).expect("policy"),
    )
    .expect("pipeline settings");
    // As `wiring::pipeline_settings` does: the `jenkins_trigger` step on the owners' Jenkins servers.
    let jenkins_access =
        slipway_delivery::jenkins::JenkinsAccess::new(db.clone(), sealer.clone(), pipeline_settings.outbound.clone());
    let jenkins_step = slipway_delivery::pipelines::steps::JenkinsTrigger::new(jenkins_access);
    let types = pipeline_settings.types.clone().with(Arc::new(jenkins_step)).expect("step types");
    let pipeline_settings = slipway_delivery::PipelineSettings { types, ..pipeline_settings };
    let builder = slipway_delivery::register(builder, &pipeline_settings);
    // As `wiring::deploy_settings` does: deployments reach servers through the same servers service.
    let deploy = slipway_ops::DeploySettings {
        db: db.clone(),
        servers: servers.clone(),
        policy: setup.outbound.clone(),
        blobs: pipeline_settings.blobs.clone(),
    };
    let builder = slipway_ops::deployments::register(builder, &deploy);
    let engine = builder.start().await.expect("engine");
    let state = AppState::new(AppParts {
        node: NodeInfo {
            version: "test",
            instance_id: "test-instance".into(),
            database_backend: db.backend().name(),
            started_at: Instant::now(),
        },
        // As in the binary's wiring: Redis is checked only where the counters live in it.
        probes: [Arc::new(db.clone()) as Arc<dyn slipway_core::Probe>, Arc::new(engine.clone())]
            .into_iter()
            .chain(limiter.probe())
            .collect(),
        http: setup.http,
        identity,
        tasks: Tasks::new(engine.clone()).with_servers(servers.clone()),
        deployments: slipway_ops::Deployments::new(engine.clone(), deploy),
        servers: servers.clone(),
        monitoring: slipway_ops::Monitoring::new(db.clone(), servers, setup.outbound.clone()),
        agents: slipway_agents::Agents::new(engine.clone(), llm.clone(), db.clone()),
        factory: slipway_factory::Factory::new(engine.clone(), llm.clone(), db.clone(), files),
        git: slipway_delivery::Git::new(slipway_delivery::GitRepositories::new(
            db.clone(),
            dir.path(),
            setup.outbound.clone(),
            engine.sandbox().clone(),
        )),
        jenkins: slipway_delivery::Jenkins::new(db.clone(), sealer, outbound, engine.clone())
            .with_trigger_wait(std::time::Duration::from_secs(10)),
        pipelines: slipway_delivery::Pipelines::new(engine.clone(), pipeline_settings),
        host: slipway_ops::HostSampler::default(),
        http_stats: slipway_http::middleware::HttpStats::default(),
        engine,
        llm: llm.clone(),
        limits: Limits { limiter, rates: setup.rates },
        trusted_proxies: setup.trusted_proxies,
    });
    (state, dir)
}

/// Application state with default settings.
pub async fn state(db: Db, http: HttpSettings) -> (AppState, tempfile::TempDir) {
    state_with(db, Setup { http, ..Setup::default() }).await
}

/// The real application on a fresh SQLite database.
pub async fn app() -> (Router, slipway_store::testing::TestDb, tempfile::TempDir) {
    let t = slipway_store::testing::sqlite().await;
    let (state, dir) = state(t.db.clone(), HttpSettings::default()).await;
    (slipway_http::router(state), t, dir)
}

/// Checks that an error answer has the shape of the document that owns `method path`.
pub fn assert_error_shape(method: &str, path: &str, r: &Reply) {
    use slipway_http::surface::{Shape, Surface, shape_for};
    let b = r.json();
    let status = r.status.as_u16();
    let check = |s: Surface| match s {
        Surface::Perfect21 => {
            assert_eq!(b["success"], false, "{method} {path}: {b}");
            assert!(b["error_code"].is_string() && b["message"].is_string(), "{method} {path}: {b}");
        }
        Surface::Resoft => {
            assert!(!b["detail"].is_null(), "{method} {path}: {b}");
            assert!(b["error_code"].is_string() && b["timestamp"].is_string(), "{method} {path}: {b}");
        }
        Surface::AnsFlow => {
            assert!(b["error"]["code"].is_string() && b["error"]["message"].is_string(), "{method} {path}: {b}");
            assert_eq!(b["path"], path, "{method} {path}: {b}");
        }
        Surface::Qoder => assert!(b["code"].is_number() && b["message"].is_string(), "{method} {path}: {b}"),
        Surface::PetPlan => {
            assert_eq!(b["code"], status, "{method} {path}: {b}");
            assert!(b.get("detail").is_some(), "{method} {path}: {b}");
        }
    };
    match shape_for(method, path) {
        Shape::One(s) => {
            check(s);
            if s == Surface::Qoder {
                assert_eq!(b["code"], status, "qoder's code is the HTTP status: {b}");
                assert!(b.get("success").is_none() && b.get("detail").is_none(), "{b}");
            }
        }
        Shape::Union(all) => all.iter().copied().for_each(check),
    }
}

/// A request with a JSON body and an optional bearer token.
pub fn json_req(method: &str, uri: &str, body: &Value, token: Option<&str>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(Body::from(body.to_string())).expect("request")
}

/// A request with a raw (possibly malformed) JSON body.
pub fn raw_req(method: &str, uri: &str, body: &str, token: Option<&str>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(Body::from(body.to_owned())).expect("request")
}

/// A request without a body and with an optional bearer token.
pub fn bare_req(method: &str, uri: &str, token: Option<&str>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(Body::empty()).expect("request")
}

/// An application with its state, for tests that also call services directly.
pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// The application on `db` with `setup`.
    pub async fn new(db: Db, setup: Setup) -> Self {
        let (state, dir) = state_with(db, setup).await;
        Self { router: slipway_http::router(state.clone()), state, _dir: dir }
    }

    /// The application on `db` with default settings.
    pub async fn on(db: Db) -> Self {
        Self::new(db, Setup::default()).await
    }

    /// Sends a request.
    pub async fn send(&self, req: Request<Body>) -> Reply {
        send(&self.router, req).await
    }

    /// `POST` (or another method) with a JSON body.
    pub async fn json(&self, method: &str, uri: &str, body: Value, token: Option<&str>) -> Reply {
        self.send(json_req(method, uri, &body, token)).await
    }

    /// A request without a body.
    pub async fn call(&self, method: &str, uri: &str, token: Option<&str>) -> Reply {
        self.send(bare_req(method, uri, token)).await
    }

    /// Registers `name` (password `Secret123!`) through the planner and returns its access and refresh tokens.
    pub async fn user(&self, name: &str) -> (String, String) {
        let r = self
            .json(
                "POST",
                "/api/v1/auth/register",
                serde_json::json!({"username": name, "email": format!("{name}@example.com"), "password": "Secret123!"}),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "register {name}: {}", r.text);
        let t = &r.json()["data"]["tokens"];
        (t["access_token"].as_str().unwrap().to_owned(), t["refresh_token"].as_str().unwrap().to_owned())
    }

    /// Creates administrator `name` (password `Secret123!`) and signs in; returns the access token.
    pub async fn admin(&self, name: &str) -> String {
        let reg = slipway_identity::Registration {
            username: name.into(),
            email: format!("{name}@example.com"),
            password: "Secret123!".into(),
            full_name: String::new(),
            role: Some(slipway_core::Role::Admin),
        };
        self.state.identity.create_user_as_system(&reg, slipway_identity::Rules::QODER).await.expect("admin");
        let r = self
            .json("POST", "/api/auth/login", serde_json::json!({"identifier": name, "password": "Secret123!"}), None)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// The id of the user behind a token.
    pub async fn id_of(&self, token: &str) -> i64 {
        self.state.identity.authenticate(token).await.expect("valid token").user.id
    }
}

/// Serves the app on an ephemeral loopback port (with peer addresses recorded), for real protocol clients.
pub async fn serve(router: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = slipway_http::connection::serve(listener, router).await;
    });
    addr
}

/// Installs rustls' ring provider once (reqwest builds its TLS config even for plain HTTP).
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
