//! Agent repositories on both backends: activities, gate checks and their statistics, diet-plan results.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use slipway_core::time::now;
use slipway_store::agents::{DietPlanRecord, NewActivity, NewGateCheck};
use slipway_store::identity::NewUser;
use slipway_store::jobs::NewJob;
use slipway_store::{Db, backend_tests};

async fn user(db: &Db, name: &str) -> i64 {
    let email = format!("{name}@example.com");
    let new = NewUser {
        username: name,
        email: &email,
        password_hash: "$argon2id$fake",
        role: "user",
        full_name: name,
        email_verified: true,
    };
    db.insert_user(&new, now()).await.unwrap().id
}

async fn job(db: &Db, owner: i64) -> i64 {
    let new = NewJob {
        kind: "perfect21.task".into(),
        owner_id: Some(owner),
        priority: 0,
        input: json!({"description": "x"}),
        max_attempts: 1,
        timeout_ms: None,
        scheduled_for: now(),
        schedule_id: None,
        due_at: None,
    };
    db.insert_job(&new).await.unwrap().id
}

fn check(job_id: i64, user_id: i64, gate: &str, result: &str, score: Option<f64>) -> NewGateCheck {
    NewGateCheck {
        job_id,
        user_id: Some(user_id),
        gate_name: gate.into(),
        result: result.into(),
        score,
        threshold: Some(8.0),
        reason: format!("{gate} {result}"),
        created_at: now(),
    }
}

backend_tests! {
    async fn activities_are_kept_in_order_per_job(db: Db) {
        let ann = user(&db, "ann").await;
        let j = job(&db, ann).await;
        for (i, agent) in ["planner", "developer", "reviewer"].iter().enumerate() {
            let a = NewActivity {
                job_id: j,
                user_id: Some(ann),
                agent: (*agent).into(),
                stage: "work".into(),
                status: if i == 2 { "failed".into() } else { "succeeded".into() },
                input: format!("ask {agent}"),
                output: format!("{agent} answered"),
                error: (i == 2).then(|| "provider down".to_owned()),
                duration_ms: 10 * i as i64,
                prompt_tokens: 100,
                completion_tokens: 20 + i as i32,
                started_at: now(),
                finished_at: now(),
            };
            db.insert_activity(&a).await.unwrap();
        }
        let rows = db.job_activities(j).await.unwrap();
        assert_eq!(rows.iter().map(|r| r.agent.as_str()).collect::<Vec<_>>(), ["planner", "developer", "reviewer"]);
        assert_eq!(rows[2].error.as_deref(), Some("provider down"));
        assert_eq!(rows[1].completion_tokens, 21);
        assert!(db.job_activities(j + 1000).await.unwrap().is_empty());
    }

    async fn gate_statistics_count_per_user_and_skip_skipped(db: Db) {
        let ann = user(&db, "ann").await;
        let bob = user(&db, "bob").await;
        let (ja, jb) = (job(&db, ann).await, job(&db, bob).await);
        db.insert_gate_checks(&[
            check(ja, ann, "llm_review", "passed", Some(9.0)),
            check(ja, ann, "code_coverage", "failed", Some(7.0)),
            check(ja, ann, "tests_pass", "skipped", None),
            check(jb, bob, "security_scan", "passed", Some(10.0)),
        ])
        .await
        .unwrap();
        db.insert_gate_checks(&[]).await.unwrap();
        let mine = db.gate_stats(Some(ann)).await.unwrap();
        assert_eq!((mine.total, mine.passed, mine.failed), (2, 1, 1));
        assert!((mine.average_score.unwrap() - 8.0).abs() < 1e-9);
        let all = db.gate_stats(None).await.unwrap();
        assert_eq!((all.total, all.passed, all.failed), (3, 2, 1));
        let failures = db.recent_gate_failures(Some(bob), 10).await.unwrap();
        assert!(failures.is_empty());
        let failures = db.recent_gate_failures(None, 10).await.unwrap();
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].gate_name, "code_coverage");
        assert_eq!(db.job_gate_checks(ja).await.unwrap().len(), 3);
        let nobody = db.gate_stats(Some(bob + 1000)).await.unwrap();
        assert_eq!((nobody.total, nobody.average_score), (0, None));
    }

    async fn a_retried_plan_replaces_the_earlier_one(db: Db) {
        let ann = user(&db, "ann").await;
        let j = job(&db, ann).await;
        assert!(db.diet_plan(j).await.unwrap().is_none());
        let mut plan = DietPlanRecord {
            job_id: j,
            user_id: ann,
            pet_information: json!({"pet_type": "dog"}),
            ai_suggestions: "first".into(),
            pet_diet_plan: json!({"weeks": []}),
            created_at: now(),
        };
        db.upsert_diet_plan(&plan).await.unwrap();
        plan.ai_suggestions = "second".into();
        plan.pet_diet_plan = json!({"weeks": [1]});
        db.upsert_diet_plan(&plan).await.unwrap();
        let stored = db.diet_plan(j).await.unwrap().unwrap();
        assert_eq!(stored, plan);
    }
}
