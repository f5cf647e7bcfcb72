//! The engine handle, how it is built and started, and how it stops.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use slipway_core::Error;
use slipway_sandbox::{Availability, SandboxOptions};
use slipway_store::jobs::Channels;
use slipway_store::{Backend, Db};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::executor::{Executor, Registry};
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::orphans::GroupLedger;
use crate::runner::RunningJob;
use crate::settings::EngineSettings;
use crate::writer::Writer;
use crate::{dispatcher, listener, maintenance, scheduler, writer};

/// Builds an [`Engine`]: the database, the settings and one executor per job kind.
pub struct EngineBuilder {
    db: Db,
    settings: EngineSettings,
    registry: Registry,
    sandbox: Option<Availability>,
    error: Option<Error>,
}

impl EngineBuilder {
    /// Registers the executor of one job kind.
    pub fn executor<E: Executor>(mut self, executor: E) -> Self {
        if let Err(e) = self.registry.insert(executor) {
            self.error.get_or_insert(e);
        }
        self
    }

    /// The sandbox commands run in (by default it is detected at start, hiding the settings' data dir, or the
    /// workspace root when there is none).
    pub fn sandbox(mut self, sandbox: Availability) -> Self {
        self.sandbox = Some(sandbox);
        self
    }

    /// Starts the engine's tasks on the current runtime: workers, heartbeat, listener, scheduler and
    /// maintenance, as the settings ask. A node with workers first kills what dead nodes' commands left
    /// behind on this host; a node with workers or maintenance then takes back at once the jobs of dead node
    /// processes of this host (a restart after `kill -9`), without waiting for their leases.
    pub async fn start(self) -> Result<Engine, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let sandbox = match self.sandbox {
            Some(s) => s,
            None => {
                let hidden = self.settings.data_dir.clone().unwrap_or_else(|| self.settings.workspace_root.clone());
                tokio::task::spawn_blocking(move || Availability::detect(SandboxOptions::hiding([hidden])))
                    .await
                    .map_err(|e| Error::Internal(format!("the sandbox probe failed: {e}")))?
            }
        };
        let write = if self.settings.dedicated_sqlite_writer && self.db.backend() == Backend::Sqlite {
            self.db.dedicated_writer().await?
        } else {
            self.db.clone()
        };
        let channels = self.db.engine_channels().await?;
        let (node, host_tag) = crate::holder::this_node();
        let poll = self.settings.poll_interval.unwrap_or(match self.db.backend() {
            Backend::Sqlite => Duration::from_millis(250),
            Backend::Postgres => Duration::from_secs(2),
        });
        let (writer, writes) = Writer::channel();
        let ledger = GroupLedger::new(self.db.clone(), node.clone());
        if self.settings.workers > 0
            && let Some(ledger) = &ledger
        {
            match ledger.sweep().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(groups = n, "swept process groups left by dead nodes on this host"),
                Err(e) => tracing::warn!(error = %e, "could not sweep process groups left by dead nodes"),
            }
        }
        let inner = Arc::new(Inner {
            hub: Arc::new(Hub::new(self.db.clone())),
            kinds: self.registry.kinds(),
            db: self.db,
            write,
            settings: self.settings,
            node,
            host_tag,
            registry: self.registry,
            sandbox,
            ledger,
            channels,
            poll,
            wake: Notify::new(),
            schedules_changed: Notify::new(),
            writer,
            running: Mutex::new(HashMap::new()),
            metrics: Metrics::default(),
            stop_claiming: CancellationToken::new(),
            stop: CancellationToken::new(),
            tasks: Mutex::new(JoinSet::new()),
            writer_task: Mutex::new(None),
        });
        let journal = writer::Journal {
            db: inner.write.clone(),
            channels: inner.channels.clone(),
            hub: Arc::clone(&inner.hub),
            stop: inner.stop.clone(),
        };
        let writer_task = writer::spawn(journal, writes)?;
        *inner.writer_task.lock().unwrap_or_else(PoisonError::into_inner) = Some(writer_task);
        {
            let mut tasks = inner.tasks.lock().unwrap_or_else(PoisonError::into_inner);
            if inner.channels.is_some() {
                tasks.spawn(listener::run(Arc::clone(&inner)));
            }
            tasks.spawn(maintenance::poll_events(Arc::clone(&inner)));
            if inner.settings.workers > 0 {
                tasks.spawn(dispatcher::run(Arc::clone(&inner)));
                tasks.spawn(maintenance::heartbeat(Arc::clone(&inner)));
                tasks.spawn(maintenance::watch_cancels(Arc::clone(&inner)));
            }
            if inner.settings.run_scheduler {
                tasks.spawn(scheduler::run(Arc::clone(&inner)));
            }
            if inner.settings.run_maintenance {
                tasks.spawn(maintenance::reaper(Arc::clone(&inner)));
                tasks.spawn(maintenance::retention(Arc::clone(&inner)));
            }
        }
        if inner.settings.workers > 0 || inner.settings.run_maintenance {
            maintenance::recover_dead_nodes_logged(&inner).await;
        }
        tracing::info!(
            node = %inner.node,
            sandbox = inner.sandbox.reason().unwrap_or("bubblewrap"),
            workers = inner.settings.workers,
            backend = inner.db.backend().name(),
            kinds = ?inner.kinds,
            "engine started"
        );
        Ok(Engine { inner })
    }
}

/// The engine of one node. Cheap to clone; every clone is the same engine. Call [`Engine::shutdown`] before the
/// process exits so running jobs finish or are handed back.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

/// The engine's shared state.
pub(crate) struct Inner {
    /// Reads (and writes outside the engine's own paths).
    pub db: Db,
    /// The engine's writes: a one-connection pool on SQLite, the same pool on PostgreSQL (the journal writer
    /// opens a connection of its own there).
    pub write: Db,
    pub settings: EngineSettings,
    /// This node's lease-holder name; unique per process start, naming its host, boot, pid and start time.
    pub node: String,
    /// This host and boot as node names carry them (`None`: unknown, so no holder is ever known dead).
    pub host_tag: Option<crate::holder::HostTag>,
    pub registry: Registry,
    /// The sandbox of the commands jobs run here.
    pub sandbox: Availability,
    /// Where the process groups of running commands are recorded (`None`: this host cannot be identified).
    pub ledger: Option<Arc<GroupLedger>>,
    /// Kinds this node has executors for (it claims only those).
    pub kinds: Vec<String>,
    /// PostgreSQL notification channels; `None` on SQLite.
    pub channels: Option<Channels>,
    /// The slowest the node looks for work, cancels and events without a notification.
    pub poll: Duration,
    /// Wakes the dispatcher: a job was enqueued or a slot freed.
    pub wake: Notify,
    /// Wakes the scheduler: a schedule was created or changed.
    pub schedules_changed: Notify,
    pub hub: Arc<Hub>,
    pub writer: Writer,
    /// Jobs running on this node.
    pub running: Mutex<HashMap<i64, Arc<RunningJob>>>,
    pub metrics: Metrics,
    /// Stops the dispatcher (first step of a shutdown).
    pub stop_claiming: CancellationToken,
    /// Stops every background loop.
    pub stop: CancellationToken,
    pub tasks: Mutex<JoinSet<()>>,
    /// Answers when the journal writer's thread has drained its queue and ended.
    pub writer_task: Mutex<Option<tokio::sync::oneshot::Receiver<()>>>,
}

impl Inner {
    /// The jobs running here, as a snapshot.
    pub fn running_jobs(&self) -> Vec<Arc<RunningJob>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner).values().cloned().collect()
    }

    /// Sleeps for `d` unless the engine stops first; returns false when it stopped.
    pub async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(d) => true,
            () = self.stop.cancelled() => false,
        }
    }
}

impl Engine {
    /// Starts building an engine on `db` (migrated) with `settings`.
    pub fn builder(db: Db, settings: EngineSettings) -> EngineBuilder {
        EngineBuilder { db, settings, registry: Registry::default(), sandbox: None, error: None }
    }

    /// The sandbox of the commands jobs run on this node (or why there is none).
    pub fn sandbox(&self) -> &Availability {
        &self.inner.sandbox
    }

    /// This node's name, as recorded in the lease holder of the jobs it runs.
    pub fn node(&self) -> &str {
        &self.inner.node
    }

    /// The job kinds this engine has executors for.
    pub fn kinds(&self) -> &[String] {
        &self.inner.kinds
    }

    /// Stops the node's engine: no new claims at once; running jobs get `grace` to finish, then are cancelled
    /// and handed back to the queue without counting the attempt; pending writes are flushed.
    pub async fn shutdown(&self, grace: Duration) {
        let inner = &self.inner;
        inner.stop_claiming.cancel();
        let deadline = tokio::time::Instant::now() + grace;
        while !inner.running_jobs().is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let left = inner.running_jobs();
        if !left.is_empty() {
            tracing::info!(jobs = left.len(), "grace period over: handing running jobs back to the queue");
            for job in &left {
                job.stop(crate::runner::StopReason::Shutdown);
            }
            let limit = tokio::time::Instant::now() + inner.settings.cancel_grace + Duration::from_secs(1);
            while !inner.running_jobs().is_empty() && tokio::time::Instant::now() < limit {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        inner.stop.cancel();
        let mut tasks = std::mem::take(&mut *inner.tasks.lock().unwrap_or_else(PoisonError::into_inner));
        while tasks.join_next().await.is_some() {}
        let writer_task = inner.writer_task.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(task) = writer_task {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        // Jobs whose executors ignored every signal: hand them back so no row stays `running` under our name.
        if !inner.running_jobs().is_empty() {
            match inner.write.hand_back_all(&inner.node, slipway_core::time::now()).await {
                Ok(ids) => tracing::warn!(?ids, "handed back jobs whose executors did not stop"),
                Err(e) => tracing::error!(error = %e, "could not hand back jobs; their leases will expire"),
            }
        }
        tracing::info!(node = %inner.node, "engine stopped");
    }
}
