//! ResoftAI's software factory: a person hands over a whole project and gets working software back.
//!
//! A project runs as one engine job (`factory.project_run`) through the seven stages of [`stages::Stage`],
//! each an agent working in the run's workspace. The workspace is filled from the project's files before the
//! first stage and saved back to them (new versions in the file store) after every stage, before the run's
//! checkpoint is stored: a run killed mid-stage loses at most that stage, and a resumed or retried run carries
//! on from the checkpoint. The project's status is read from its latest run's job, so it never stays
//! `running` after its node died. Who may see a project is one rule ([`Factory::project_for`]). Project
//! templates ([`templates`]) render a starting point into a project's files.

pub mod access;
pub mod activities;
pub mod archive;
pub mod config;
pub mod deliverables;
pub mod files;
pub mod projects;
pub mod quota;
pub mod run;
pub mod runs;
pub mod stages;
pub mod templates;
#[cfg(feature = "testing")]
pub mod testing;
pub mod watch;
pub mod window;

use std::sync::Arc;

use slipway_agents::Runtime;
use slipway_engine::{Engine, EngineBuilder};
use slipway_llm::Llm;
use slipway_store::Db;

pub use archive::ProjectArchive;
pub use config::{ExecutionStrategy, ProjectConfig};
pub use deliverables::Deliverables;
pub use files::ProjectFiles;
pub use projects::{ProjectDetail, ProjectQuery, ProjectRequest, ProjectUpdate};
pub use quota::{ProjectQuota, QuotaAction, Unlimited};
pub use runs::{RunStarted, RunStopped};
pub use slipway_store::factory::{
    FileRecord, FileVersionRecord, ProjectActivity, ProjectRecord, ProjectStatus, RunRecord,
};
pub use stages::Stage;
pub use watch::{RunStarts, Since, Watched};
pub use window::Window;

/// The factory's services for the surfaces.
#[derive(Clone)]
pub struct Factory {
    engine: Engine,
    llm: Llm,
    db: Db,
    files: ProjectFiles,
    quota: Arc<dyn ProjectQuota>,
    run_starts: RunStarts,
}

impl std::fmt::Debug for Factory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Factory").finish_non_exhaustive()
    }
}

impl Factory {
    /// The factory over an engine that has its executor registered (see [`register`]).
    pub fn new(engine: Engine, llm: Llm, db: Db, files: ProjectFiles) -> Self {
        Self { engine, llm, db, files, quota: Arc::new(Unlimited), run_starts: RunStarts::default() }
    }

    /// The same factory with a quota check before every new project and run.
    pub fn with_quota(self, quota: Arc<dyn ProjectQuota>) -> Self {
        Self { quota, ..self }
    }

    /// The project files.
    pub fn files(&self) -> &ProjectFiles {
        &self.files
    }
}

/// Registers the project run executor on an engine being built.
pub fn register(builder: EngineBuilder, runtime: &Runtime, files: &ProjectFiles) -> EngineBuilder {
    builder.executor(run::ProjectRunExecutor::new(runtime.clone(), files.clone()))
}
