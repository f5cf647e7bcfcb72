//! A build followed with an asynchronous handler: [`JenkinsClient::run_build_streamed`] hands each event to a
//! handler that may await (write a job event, log a step line) while the client goes on polling Jenkins. The
//! `delivery.jenkins_build` job and the `jenkins_trigger` step both run builds through it, so both cancel the
//! queue item or stop the build the same way when their token fires.

use std::future::Future;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::client::{BuildOutcome, JenkinsClient, JenkinsEvent};
use super::error::JenkinsError;
use super::path::JobPath;

impl JenkinsClient {
    /// [`JenkinsClient::run_build`], each event awaited through `handle` in order; answers once the build
    /// ended and every event was handled.
    pub async fn run_build_streamed<F, Fut>(
        &self,
        job: &JobPath,
        parameters: &[(String, String)],
        cancel: &CancellationToken,
        mut handle: F,
    ) -> Result<BuildOutcome, JenkinsError>
    where
        F: FnMut(JenkinsEvent) -> Fut,
        Fut: Future<Output = ()>,
    {
        let (tx, mut rx) = mpsc::unbounded_channel::<JenkinsEvent>();
        // The sender lives in the closure inside `build`; it is dropped when the build ends, ending `emit`.
        let build = self.run_build(job, parameters, cancel, move |e| {
            let _ = tx.send(e);
        });
        let emit = async {
            while let Some(e) = rx.recv().await {
                handle(e).await;
            }
        };
        let (outcome, ()) = tokio::join!(build, emit);
        outcome
    }
}

impl BuildOutcome {
    /// Whether Jenkins' result is `SUCCESS`.
    pub fn succeeded(&self) -> bool {
        self.result == "SUCCESS"
    }

    /// Why a build that did not succeed failed: "Jenkins build a/b #3 finished FAILURE".
    pub fn failure_reason(&self, job: &JobPath) -> String {
        format!("Jenkins build {job} #{} finished {}", self.build.number, self.result)
    }
}
