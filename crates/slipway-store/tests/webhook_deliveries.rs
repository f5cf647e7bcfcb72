//! Webhook deliveries on both backends: a verified delivery id counts once (a forged or unverified delivery
//! cannot take it first), outcomes per pipeline, and each user sees only the deliveries of their pipelines.
#![allow(clippy::unwrap_used)]

use slipway_core::time::now;
use slipway_store::delivery::{DeliveryPipeline, NewDelivery};
use slipway_store::{Db, backend_tests};

fn delivery(id: Option<&str>, verified: bool, outcome: &str) -> NewDelivery {
    NewDelivery {
        provider: "github".into(),
        event: "push".into(),
        delivery_id: id.map(str::to_owned),
        verified,
        outcome: outcome.into(),
        reason: None,
        repository: Some("github.com/u/r".into()),
        git_ref: Some("main".into()),
        commit_sha: Some("abc".into()),
        received_at: now(),
    }
}

fn touched(pipeline_id: i64, owner_id: i64, outcome: &str, run_id: Option<i64>) -> DeliveryPipeline {
    DeliveryPipeline { delivery_id: 0, pipeline_id, owner_id, outcome: outcome.into(), run_id }
}

backend_tests! {
    async fn a_verified_delivery_id_counts_once(db: Db) {
        let forged = db.insert_webhook_delivery(&delivery(Some("d-1"), false, "rejected")).await.unwrap();
        assert!(forged.is_some(), "an unverified delivery is recorded but claims no id");
        let first = db.insert_webhook_delivery(&delivery(Some("d-1"), true, "received")).await.unwrap();
        assert!(first.is_some());
        assert_eq!(db.insert_webhook_delivery(&delivery(Some("d-1"), true, "received")).await.unwrap(), None);
        assert!(db.insert_webhook_delivery(&delivery(Some("d-1"), true, "duplicate")).await.unwrap().is_some());
        assert!(db.insert_webhook_delivery(&delivery(Some("d-2"), true, "received")).await.unwrap().is_some());
        assert!(db.insert_webhook_delivery(&delivery(None, true, "received")).await.unwrap().is_some());
        assert!(db.insert_webhook_delivery(&delivery(None, true, "received")).await.unwrap().is_some());
        let mut gitlab = delivery(Some("d-1"), true, "received");
        gitlab.provider = "gitlab".into();
        assert!(db.insert_webhook_delivery(&gitlab).await.unwrap().is_some(), "ids are per provider");
    }

    async fn users_see_the_deliveries_of_their_own_pipelines(db: Db) {
        let (ann, bob) = (1_i64, 2_i64);
        let both = db.insert_webhook_delivery(&delivery(Some("a"), true, "received")).await.unwrap().unwrap();
        db.finish_webhook_delivery(both, "started", None, &[
            touched(10, ann, "started", Some(100)),
            touched(20, bob, "branch_mismatch", None),
        ]).await.unwrap();
        let bobs = db.insert_webhook_delivery(&delivery(Some("b"), false, "rejected")).await.unwrap().unwrap();
        db.finish_webhook_delivery(bobs, "rejected", Some("bad signature"), &[touched(20, bob, "signature_mismatch", None)])
            .await
            .unwrap();
        let nobody = db.insert_webhook_delivery(&delivery(Some("c"), true, "received")).await.unwrap().unwrap();
        db.finish_webhook_delivery(nobody, "no_match", Some("no pipeline"), &[]).await.unwrap();

        let (all, total) = db.webhook_deliveries(None, None, 0, 10).await.unwrap();
        assert_eq!(total, 3);
        assert_eq!(all.iter().map(|(d, _)| d.id).collect::<Vec<_>>(), vec![nobody, bobs, both]);
        assert_eq!(all[2].1.len(), 2);
        assert_eq!(all[1].0.reason.as_deref(), Some("bad signature"));

        let (anns, total) = db.webhook_deliveries(Some(ann), None, 0, 10).await.unwrap();
        assert_eq!(total, 1);
        assert_eq!(anns[0].0.outcome, "started");
        assert_eq!(anns[0].1, vec![DeliveryPipeline { delivery_id: both, ..touched(10, ann, "started", Some(100)) }]);

        let (bobs_view, total) = db.webhook_deliveries(Some(bob), None, 0, 1).await.unwrap();
        assert_eq!((total, bobs_view.len()), (2, 1));
        assert_eq!(bobs_view[0].1[0].outcome, "signature_mismatch");
        let (by_pipeline, total) = db.webhook_deliveries(None, Some(10), 0, 10).await.unwrap();
        assert_eq!((total, by_pipeline[0].0.id), (1, both));
    }
}
