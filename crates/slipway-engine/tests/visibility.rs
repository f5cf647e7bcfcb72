//! Each kind's visibility on both backends: a private kind's jobs are their owner's only, administrators
//! included, on every read of the job API (get, list and its totals, wait, subscribe, cancel); ordinary kinds
//! stay visible to administrators.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Harness, admin, alice, bob};
use serde_json::json;
use slipway_core::Error;
use slipway_engine::{EnqueueOptions, JobFilter, JobStatus};
use slipway_store::{Db, backend_tests};

fn not_found<T: std::fmt::Debug>(r: Result<T, Error>) -> bool {
    matches!(r, Err(Error::NotFound(_)))
}

backend_tests! {
    async fn administrators_do_not_see_others_private_jobs(db: Db) {
        let h = Harness::start(db).await;
        let opts = EnqueueOptions::default;
        let private = h.engine.enqueue(&alice(), "private", json!({}), opts()).await.unwrap();
        let ordinary = h.engine.enqueue(&alice(), "echo", json!(1), opts()).await.unwrap();
        let own_private = h.engine.enqueue(&admin(), "private", json!({}), opts()).await.unwrap();
        let system_private = h.engine.enqueue_system(None, "private", json!({}), opts()).await.unwrap();

        assert!(not_found(h.engine.get(&admin(), private.id).await));
        assert!(not_found(h.engine.get(&admin(), system_private.id).await));
        assert!(not_found(h.engine.get(&bob(), private.id).await));
        assert!(not_found(h.engine.subscribe(&admin(), private.id, 0).await.map(|_| ())));
        assert!(not_found(h.engine.wait(&admin(), private.id, Duration::from_millis(10)).await));
        assert!(not_found(h.engine.cancel(&admin(), private.id).await));
        assert!(h.engine.get(&admin(), ordinary.id).await.is_ok());
        assert!(h.engine.get(&admin(), own_private.id).await.is_ok());

        // Filtered in the query: the total counts only what the administrator may see, across pages.
        let page = h.engine.list(&admin(), JobFilter { limit: 1, ..JobFilter::default() }).await.unwrap();
        assert_eq!((page.total, page.items.len()), (2, 1));
        let all = h.engine.list(&admin(), JobFilter::default()).await.unwrap();
        let ids: Vec<i64> = all.items.iter().map(|j| j.id).collect();
        assert_eq!(ids, [own_private.id, ordinary.id]);
        let of_alice = JobFilter { owner_id: Some(2), ..JobFilter::default() };
        let listed = h.engine.list(&admin(), of_alice).await.unwrap();
        assert_eq!((listed.total, listed.items[0].id), (1, ordinary.id));
        let kind = JobFilter { kind: Some("private".into()), ..JobFilter::default() };
        assert_eq!(h.engine.list(&admin(), kind.clone()).await.unwrap().total, 1);
        assert_eq!(h.engine.list(&alice(), kind).await.unwrap().total, 1);

        // The owner still sees, follows and cancels it.
        assert!(h.engine.get(&alice(), private.id).await.is_ok());
        assert!(h.engine.subscribe(&alice(), private.id, 0).await.is_ok());
        assert_eq!(h.engine.list(&alice(), JobFilter::default()).await.unwrap().total, 2);
        h.engine.cancel(&alice(), private.id).await.unwrap();
        let done = h.engine.wait(&alice(), private.id, common::PATIENCE).await.unwrap();
        assert_eq!(done.job().status, JobStatus::Cancelled);
        h.engine.cancel(&admin(), own_private.id).await.unwrap();
        h.stop().await;
    }
}
