//! LLM repositories on both backends: configurations scoped to their owner with one default each, and the usage
//! log written in multi-row batches and read back by user, job and time.
#![allow(clippy::unwrap_used)]

use chrono::Duration;
use serde_json::json;
use slipway_core::time::now;
use slipway_store::identity::NewUser;
use slipway_store::llm::{LlmConfigRow, LlmUsageFilter, NewLlmUsage};
use slipway_store::{Db, StoreError, backend_tests};

async fn user(db: &Db, name: &str) -> i64 {
    let email = format!("{name}@example.com");
    let u = NewUser {
        username: name,
        email: &email,
        password_hash: "$argon2id$fake",
        role: "user",
        full_name: "",
        email_verified: false,
    };
    db.insert_user(&u, now()).await.unwrap().id
}

fn row<'a>(name: &'a str, is_default: bool, params: &'a serde_json::Value) -> LlmConfigRow<'a> {
    LlmConfigRow {
        name,
        provider: "deepseek",
        model: "deepseek-chat",
        api_key_sealed: Some("v1:sealed"),
        api_base: None,
        is_default,
        is_active: true,
        params,
    }
}

fn usage(user_id: i64, job_id: Option<i64>, minutes_ago: i64) -> NewLlmUsage {
    NewLlmUsage {
        user_id: Some(user_id),
        job_id,
        provider: "anthropic".into(),
        model: "claude-3-sonnet".into(),
        prompt_tokens: 1200,
        completion_tokens: 300,
        cost: 0.0081,
        latency_ms: 950,
        cached: false,
        status: "ok".into(),
        error: None,
        created_at: now() - Duration::minutes(minutes_ago),
    }
}

backend_tests! {
    async fn configs_belong_to_their_owner_with_one_default(db: Db) {
        let ann = user(&db, "ann").await;
        let bob = user(&db, "bob").await;
        let params = json!({"temperature": 0.7});
        let a = db.insert_llm_config(ann, &row("a", true, &params), now()).await.unwrap();
        assert_eq!((a.user_id, a.params.0.clone(), a.api_key_sealed.as_deref()), (ann, params.clone(), Some("v1:sealed")));
        assert!(!format!("{a:?}").contains("v1:sealed"), "Debug shows only whether a key is stored");
        let b = db.insert_llm_config(ann, &row("b", true, &params), now()).await.unwrap();
        assert!(!db.llm_config(ann, a.id).await.unwrap().unwrap().is_default, "the new default replaced the old");
        assert_eq!(db.default_llm_config(ann).await.unwrap().unwrap().id, b.id);
        assert!(db.llm_config(bob, a.id).await.unwrap().is_none(), "scoped to the owner");
        assert!(db.default_llm_config(bob).await.unwrap().is_none());

        let moved = LlmConfigRow { is_default: true, api_key_sealed: None, ..row("a2", true, &params) };
        let updated = db.update_llm_config(ann, a.id, &moved, now()).await.unwrap().unwrap();
        assert!(updated.is_default && updated.api_key_sealed.is_none() && updated.name == "a2");
        assert!(!db.llm_config(ann, b.id).await.unwrap().unwrap().is_default);
        assert!(db.update_llm_config(bob, a.id, &moved, now()).await.unwrap().is_none());
        assert!(db.llm_config(ann, a.id).await.unwrap().unwrap().is_default, "bob's update changed nothing");

        let listed: Vec<String> = db.llm_configs_of(ann).await.unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(listed, ["b", "a2"]);
        let inactive = LlmConfigRow { is_active: false, ..row("a2", true, &params) };
        db.update_llm_config(ann, a.id, &inactive, now()).await.unwrap();
        assert!(db.default_llm_config(ann).await.unwrap().is_none(), "an inactive default is no default");

        assert!(!db.delete_llm_config(bob, a.id).await.unwrap());
        assert!(db.delete_llm_config(ann, a.id).await.unwrap());
        assert!(db.llm_config(ann, a.id).await.unwrap().is_none());
    }

    async fn a_second_default_is_refused_by_the_index(db: Db) {
        let ann = user(&db, "ann").await;
        let params = json!({});
        let a = db.insert_llm_config(ann, &row("a", true, &params), now()).await.unwrap();
        let b = db.insert_llm_config(ann, &row("b", false, &params), now()).await.unwrap();
        let sql = "UPDATE llm_configs SET is_default = TRUE WHERE id = $1";
        let err = slipway_store::on_pool!(&db, |p| sqlx::query(sql).bind(b.id).execute(p).await.map(|_| ()))
            .map_err(StoreError::from)
            .unwrap_err();
        assert!(matches!(err, StoreError::Duplicate(_)), "{err:?}");
        assert!(db.llm_config(ann, a.id).await.unwrap().unwrap().is_default);
    }

    async fn usage_is_written_in_batches_and_filtered(db: Db) {
        assert_eq!(db.insert_llm_usage(&[]).await.unwrap(), 0);
        let mut rows: Vec<NewLlmUsage> = (0..2500).map(|i| usage(1, Some(i % 5), 30)).collect();
        rows.push(NewLlmUsage { status: "error".into(), error: Some("HTTP 503".into()), ..usage(2, None, 1) });
        rows.push(NewLlmUsage { cached: true, cost: 0.0, ..usage(2, Some(9), 0) });
        assert_eq!(db.insert_llm_usage(&rows).await.unwrap(), 2502);

        let all = db.llm_usage(&LlmUsageFilter::default()).await.unwrap();
        assert_eq!(all.len(), 2502);
        let by_job = db.llm_usage(&LlmUsageFilter { job_id: Some(3), ..Default::default() }).await.unwrap();
        assert_eq!(by_job.len(), 500);
        assert!(by_job.iter().all(|r| r.user_id == Some(1) && (r.cost - 0.0081).abs() < 1e-12 && r.prompt_tokens == 1200));
        let recent = LlmUsageFilter { user_id: Some(2), since: Some(now() - Duration::minutes(5)), ..Default::default() };
        let rows = db.llm_usage(&recent).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].cached && rows[0].job_id == Some(9), "newest first");
        assert_eq!((rows[1].status.as_str(), rows[1].error.as_deref()), ("error", Some("HTTP 503")));
        let limited = db.llm_usage(&LlmUsageFilter { limit: Some(3), ..Default::default() }).await.unwrap();
        assert_eq!(limited.len(), 3);
        let old = LlmUsageFilter { user_id: Some(1), since: Some(now() - Duration::minutes(10)), ..Default::default() };
        assert!(db.llm_usage(&old).await.unwrap().is_empty());
    }
}
