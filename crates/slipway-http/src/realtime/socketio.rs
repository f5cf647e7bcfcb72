//! Socket.IO (socket.io-client v4, python-socketio): authenticated by the access token in the connect
//! payload (`auth: {token}`), the `token` query parameter or the `Authorization` header. A client emits
//! `subscribe_job {job_id, after?}` and receives `job_event` messages, having joined the room `job:<id>`;
//! `unsubscribe_job {job_id}` stops them. ResoftAI's `subscribe_project {project_id}` (its owner, or an
//! administrator) sends the project's current state as `project_update`, then the events of its runs as they
//! happen (see [`super::project_events`]), the next run's too, until `unsubscribe_project {project_id}`.
//! Failures come back as `error {job_id | project_id, message}`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use slipway_core::Principal;
use slipway_factory::Since;
use socketioxide::SocketIo;
use socketioxide::extract::{Data, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::{SendError, SocketError};
use tokio::task::AbortHandle;

use super::event_json;
use super::project_events::ProjectView;
use crate::state::AppState;

/// How long to wait before retrying an emit into a full socket buffer.
const FULL_BACKOFF: Duration = Duration::from_millis(20);

/// How often a follower of a project looks for a run started on another node.
const RECHECK: Duration = Duration::from_secs(5);

/// The live subscriptions of one socket, by room (`job:<id>`, `project:<id>`).
#[derive(Clone, Default)]
struct Subscriptions(Arc<Mutex<HashMap<String, AbortHandle>>>);

impl Subscriptions {
    fn replace(&self, room: String, task: Option<AbortHandle>) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = match task {
            Some(t) => map.insert(room, t),
            None => map.remove(&room),
        } {
            old.abort();
        }
    }

    fn abort_all(&self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).drain().for_each(|(_, t)| t.abort());
    }
}

/// Why a connection was refused (sent to the client as `connect_error`).
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn token_of(s: &SocketRef, auth: Option<&Value>) -> Option<String> {
    let from_auth = auth.and_then(|a| a.get("token")).and_then(Value::as_str).map(str::to_owned);
    let parts = s.req_parts();
    let from_query = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "token" || k == "access_token")
        .map(|(_, v)| v.into_owned());
    let from_header = crate::extract::bearer_token_of(&parts.headers).map(str::to_owned);
    from_auth.or(from_query).or(from_header).filter(|t| !t.is_empty())
}

async fn authenticate(s: SocketRef, TryData(auth): TryData<Value>, State(app): State<AppState>) -> Result<(), Refused> {
    let token = token_of(&s, auth.as_ref().ok()).ok_or_else(|| Refused("an access token is required".into()))?;
    let who = app.identity.authenticate(&token).await.map_err(|e| Refused(e.public_message()))?;
    s.extensions.insert(who.principal());
    s.extensions.insert(Subscriptions::default());
    Ok(())
}

#[derive(Debug, Deserialize)]
struct SubscribeJob {
    job_id: i64,
    #[serde(default)]
    after: i64,
}

#[derive(Debug, Deserialize)]
struct UnsubscribeJob {
    job_id: i64,
}

async fn subscribe(s: SocketRef, TryData(req): TryData<SubscribeJob>, State(app): State<AppState>) {
    let req = match req {
        Ok(r) => r,
        Err(e) => {
            let _ = s.emit("error", &json!({"message": format!("subscribe_job needs {{job_id, after?}}: {e}")}));
            return;
        }
    };
    let (Some(principal), Some(subs)) = (s.extensions.get::<Principal>(), s.extensions.get::<Subscriptions>()) else {
        return;
    };
    let mut events = match app.engine.subscribe(&principal, req.job_id, req.after).await {
        Ok(events) => events,
        Err(e) => {
            let _ = s.emit("error", &json!({"job_id": req.job_id, "message": e.public_message()}));
            return;
        }
    };
    let room = format!("job:{}", req.job_id);
    s.join(room.clone());
    let socket = s.clone();
    let task = tokio::spawn(async move {
        while let Some(item) = events.next().await {
            let (event, data) = match item {
                Ok(e) => ("job_event", event_json(&e)),
                Err(e) => ("error", json!({"job_id": req.job_id, "message": e.public_message()})),
            };
            if !emit_patiently(&socket, event, &data).await {
                break;
            }
        }
    });
    subs.replace(room, Some(task.abort_handle()));
}

/// Emits one message, waiting while the socket's buffer is full (a slow client, a long-poll in between);
/// `false` once the socket is gone. The subscription meanwhile lags and catches up from the log.
async fn emit_patiently(socket: &SocketRef, event: &str, data: &Value) -> bool {
    loop {
        match socket.emit(event, data) {
            Ok(()) => return true,
            Err(SendError::Socket(SocketError::InternalChannelFull)) => tokio::time::sleep(FULL_BACKOFF).await,
            Err(_) => return false,
        }
    }
}

async fn unsubscribe(s: SocketRef, Data(req): Data<UnsubscribeJob>) {
    leave(&s, format!("job:{}", req.job_id));
}

fn leave(s: &SocketRef, room: String) {
    if let Some(subs) = s.extensions.get::<Subscriptions>() {
        subs.replace(room.clone(), None);
    }
    s.leave(room);
}

#[derive(Debug, Deserialize)]
struct ProjectRef {
    project_id: i64,
}

async fn subscribe_project(s: SocketRef, TryData(req): TryData<ProjectRef>, State(app): State<AppState>) {
    let req = match req {
        Ok(r) => r,
        Err(e) => {
            let _ = s.emit("error", &json!({"message": format!("subscribe_project needs {{project_id}}: {e}")}));
            return;
        }
    };
    let (Some(principal), Some(subs)) = (s.extensions.get::<Principal>(), s.extensions.get::<Subscriptions>()) else {
        return;
    };
    // Refused at once (another user's project, none at all), before joining anything.
    if let Err(e) = app.factory.project_for(&principal, req.project_id).await {
        let _ = s.emit("error", &json!({"project_id": req.project_id, "message": e.public_message()}));
        return;
    }
    let room = format!("project:{}", req.project_id);
    s.join(room.clone());
    let task = tokio::spawn(follow_project(s.clone(), app, principal, req.project_id));
    subs.replace(room, Some(task.abort_handle()));
}

async fn unsubscribe_project(s: SocketRef, TryData(req): TryData<ProjectRef>) {
    if let Ok(req) = req {
        leave(&s, format!("project:{}", req.project_id));
    }
}

/// Sends the project's state, then its runs' events, run after run, while the socket lasts.
async fn follow_project(socket: SocketRef, app: AppState, principal: Principal, project_id: i64) {
    let mut starts = app.factory.run_starts().receiver();
    let mut since = Since::Now;
    loop {
        let watched = match app.factory.watch_project(&principal, project_id, since).await {
            Ok(w) => w,
            Err(e) => {
                let _ = socket.emit("error", &json!({"project_id": project_id, "message": e.public_message()}));
                return;
            }
        };
        let run = watched.project.run_job_id;
        let mut view = ProjectView::new(&watched.project);
        if !emit_patiently(&socket, "project_update", &view.update()).await {
            return;
        }
        if let Some(mut events) = watched.events {
            while let Some(item) = events.next().await {
                let messages = match item {
                    Ok(e) => view.apply(&e),
                    Err(e) => vec![("error", json!({"project_id": project_id, "message": e.public_message()}))],
                };
                for (name, data) in messages {
                    if !emit_patiently(&socket, name, &data).await {
                        return;
                    }
                }
            }
        }
        // The run ended (or there was none): wait for the next one, announced here or seen on a look, and show
        // it from its first event.
        since = Since::RunStart;
        loop {
            tokio::select! {
                started = starts.recv() => match started {
                    Ok(id) if id != project_id => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    _ => {}
                },
                () = tokio::time::sleep(RECHECK) => {}
            }
            match app.factory.project_for(&principal, project_id).await {
                Ok(p) if p.run_job_id != run => break,
                Ok(_) => {}
                Err(e) => {
                    let _ = socket.emit("error", &json!({"project_id": project_id, "message": e.public_message()}));
                    return;
                }
            }
        }
    }
}

async fn on_connect(s: SocketRef) {
    s.on("subscribe_job", subscribe);
    s.on("unsubscribe_job", unsubscribe);
    s.on("subscribe_project", subscribe_project);
    s.on("unsubscribe_project", unsubscribe_project);
    s.on_disconnect(async |s: SocketRef| {
        if let Some(subs) = s.extensions.get::<Subscriptions>() {
            subs.abort_all();
        }
    });
}

/// The Socket.IO layer, serving `/socket.io/` in front of the routes.
pub fn layer(state: AppState) -> SocketIoLayer {
    let (layer, io) = SocketIo::builder().with_state(state).build_layer();
    io.ns("/", on_connect.with(authenticate));
    layer
}
