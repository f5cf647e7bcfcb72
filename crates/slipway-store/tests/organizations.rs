//! Organizations, teams, members and quotas on both backends: an organization is stored with its quota rows
//! (slugs unique), listed by membership and filters; a team starts with its owner; members are added once,
//! change roles and leave; the last owner can be neither demoted nor removed, also when two owners step down
//! at once; a project reserves its organization's quota exactly under 20 concurrent creators at a limit of 10,
//! and deleting it releases the reservation.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::json;
use slipway_core::time::now;
use slipway_store::factory::NewProject;
use slipway_store::identity::{
    MemberChange, NewOrganization, NewQuota, NewTeam, NewUser, OrganizationChanges, OrganizationFilter,
};
use slipway_store::{Db, StoreError, backend_tests};

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

fn quotas(projects: i64) -> Vec<NewQuota> {
    let reset = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).single();
    vec![
        NewQuota { resource_type: "projects", limit: projects, reset_at: None },
        NewQuota { resource_type: "api_calls", limit: 1_000, reset_at: reset },
    ]
}

async fn org(db: &Db, slug: &str, tier: &str, by: i64, projects: i64) -> i64 {
    let new = NewOrganization { name: slug, slug, tier, contact_email: None, description: None, created_by: by };
    db.insert_organization(&new, &quotas(projects), now()).await.unwrap().id
}

async fn team(db: &Db, org_id: i64, name: &str, owner: i64) -> i64 {
    let new = NewTeam { organization_id: org_id, name, description: None, is_default: false };
    db.insert_team(&new, owner, now()).await.unwrap().id
}

fn project(user_id: i64) -> NewProject {
    NewProject { user_id, name: "p".into(), description: None, requirements: "r".into(), config: json!({}) }
}

backend_tests! {
    async fn organizations_are_stored_with_quotas_and_listed_by_membership(db: Db) {
        let admin = user(&db, "root").await;
        let ann = user(&db, "ann").await;
        let new = NewOrganization {
            name: "我的公司", slug: "my-company", tier: "professional",
            contact_email: Some("admin@company.com"), description: Some("公司描述"), created_by: admin,
        };
        let a = db.insert_organization(&new, &quotas(100), now()).await.unwrap();
        assert_eq!((a.name.as_str(), a.tier.as_str(), a.is_active, a.sso_enabled), ("我的公司", "professional", true, false));
        assert_eq!(db.organization(a.id).await.unwrap(), Some(a.clone()));
        let dup = db.insert_organization(&new, &quotas(1), now()).await.unwrap_err();
        assert!(matches!(dup, StoreError::Duplicate(_)), "{dup:?}");
        let b = org(&db, "other", "free", admin, 10).await;

        let q = db.quotas_of(a.id).await.unwrap();
        assert_eq!(q.iter().map(|q| (q.resource_type.as_str(), q.limit, q.used)).collect::<Vec<_>>(),
            [("projects", 100, 0), ("api_calls", 1_000, 0)]);
        assert!(q[0].reset_at.is_none() && q[1].reset_at.is_some());
        assert_eq!(db.set_quota_limit(q[0].id, 200, now()).await.unwrap().unwrap().limit, 200);
        assert_eq!(db.set_quota_limit(9_999, 1, now()).await.unwrap(), None);

        let all = OrganizationFilter { limit: 10, ..OrganizationFilter::default() };
        let (list, total) = db.list_organizations(&all).await.unwrap();
        assert_eq!((list.iter().map(|o| o.id).collect::<Vec<_>>(), total), (vec![a.id, b], 2));
        let mine = OrganizationFilter { member: Some(ann), ..all.clone() };
        assert_eq!(db.list_organizations(&mine).await.unwrap().1, 0, "ann belongs to none yet");
        team(&db, b, "dev", ann).await;
        let (list, total) = db.list_organizations(&mine).await.unwrap();
        assert_eq!((list[0].id, total), (b, 1));
        let pro = OrganizationFilter { tier: Some("professional".into()), ..all.clone() };
        assert_eq!(db.list_organizations(&pro).await.unwrap().0[0].id, a.id);
        let page = OrganizationFilter { offset: 1, limit: 1, ..all.clone() };
        assert_eq!(db.list_organizations(&page).await.unwrap(), (vec![db.organization(b).await.unwrap().unwrap()], 2));

        let off = OrganizationChanges { is_active: Some(false), sso_enabled: Some(true), ..Default::default() };
        let changed = db.update_organization(b, &off, now()).await.unwrap().unwrap();
        assert!(!changed.is_active && changed.sso_enabled && changed.name == "other");
        let inactive = OrganizationFilter { is_active: Some(false), ..all };
        assert_eq!(db.list_organizations(&inactive).await.unwrap().1, 1);
        assert!(db.member_tiers(ann).await.unwrap().is_empty(), "an inactive organization grants no tier");
        assert_eq!(db.project_quota_of(ann).await.unwrap(), None, "nor counts a quota");
        assert_eq!(db.update_organization(9_999, &off, now()).await.unwrap(), None);
        assert_eq!(db.organization_roles(b, ann).await.unwrap(), ["owner"]);
    }

    async fn members_join_change_roles_and_leave_but_the_last_owner_stays(db: Db) {
        let (ann, bob, cy) = (user(&db, "ann").await, user(&db, "bob").await, user(&db, "cy").await);
        let o = org(&db, "acme", "free", ann, 10).await;
        let t = team(&db, o, "dev", ann).await;
        let dup = db.insert_team(&NewTeam { organization_id: o, name: "dev", description: None, is_default: true }, ann, now()).await;
        assert!(matches!(dup, Err(StoreError::Duplicate(_))), "{dup:?}");
        assert_eq!(db.teams_of(o).await.unwrap().len(), 1);
        let m = db.add_team_member(t, bob, "member", now()).await.unwrap();
        assert_eq!((m.team_id, m.user_id, m.username.as_str(), m.role.as_str()), (t, bob, "bob", "member"));
        assert!(matches!(db.add_team_member(t, bob, "viewer", now()).await, Err(StoreError::Duplicate(_))));
        assert_eq!(db.team_members(t).await.unwrap().iter().map(|m| m.user_id).collect::<Vec<_>>(), [ann, bob]);

        assert_eq!(db.change_team_member(t, ann, Some("admin"), true, now()).await.unwrap(), MemberChange::LastOwner);
        assert_eq!(db.change_team_member(t, ann, None, true, now()).await.unwrap(), MemberChange::LastOwner);
        assert_eq!(db.change_team_member(t, cy, Some("admin"), true, now()).await.unwrap(), MemberChange::NotMember);
        assert_eq!(db.change_team_member(t, bob, Some("owner"), false, now()).await.unwrap(), MemberChange::OwnerRole);
        let MemberChange::Done(m) = db.change_team_member(t, bob, Some("owner"), true, now()).await.unwrap() else { panic!() };
        assert_eq!(m.role, "owner");
        assert_eq!(db.team_role(t, bob).await.unwrap().as_deref(), Some("owner"));
        assert_eq!(db.change_team_member(t, ann, Some("viewer"), false, now()).await.unwrap(), MemberChange::OwnerRole);
        assert!(matches!(db.change_team_member(t, ann, Some("viewer"), true, now()).await.unwrap(), MemberChange::Done(_)));
        assert!(matches!(db.change_team_member(t, ann, None, true, now()).await.unwrap(), MemberChange::Done(_)));
        assert_eq!(db.team_role(t, ann).await.unwrap(), None);
        assert_eq!(db.change_team_member(t, bob, None, true, now()).await.unwrap(), MemberChange::LastOwner);
        assert_eq!(db.change_team_member(9_999, bob, None, true, now()).await.unwrap(), MemberChange::NotMember);
    }

    async fn two_owners_stepping_down_at_once_leave_one(db: Db) {
        for round in 0..5 {
            let (a, b) = (user(&db, &format!("a{round}")).await, user(&db, &format!("b{round}")).await);
            let o = org(&db, &format!("o{round}"), "free", a, 10).await;
            let t = team(&db, o, "dev", a).await;
            db.add_team_member(t, b, "owner", now()).await.unwrap();
            let (da, db2) = (db.clone(), db.clone());
            let (x, y) = tokio::join!(
                tokio::spawn(async move { da.change_team_member(t, a, Some("member"), true, now()).await.unwrap() }),
                tokio::spawn(async move { db2.change_team_member(t, b, None, true, now()).await.unwrap() }),
            );
            let outcomes = [x.unwrap(), y.unwrap()];
            let done = outcomes.iter().filter(|o| matches!(o, MemberChange::Done(_))).count();
            assert_eq!(done, 1, "exactly one steps down: {outcomes:?}");
            let owners = db.team_members(t).await.unwrap().into_iter().filter(|m| m.role == "owner").count();
            assert_eq!(owners, 1);
        }
    }

    async fn project_reservations_are_exact_under_concurrency_and_released_on_delete(db: Db) {
        let ann = user(&db, "ann").await;
        let loner = user(&db, "loner").await;
        let o = org(&db, "acme", "free", ann, 10).await;
        team(&db, o, "dev", ann).await;
        let quota = db.project_quota_of(ann).await.unwrap().unwrap();
        let db = Arc::new(db);
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let db = Arc::clone(&db);
                tokio::spawn(async move { db.insert_project_reserving(&project(ann), Some(quota), now()).await.unwrap() })
            })
            .collect();
        let mut created = Vec::new();
        for t in tasks {
            created.extend(t.await.unwrap());
        }
        assert_eq!(created.len(), 10, "exactly the limit");
        let q = db.quota(quota).await.unwrap().unwrap();
        assert_eq!(q.used, 10);
        let (_, total) = db.list_projects(&slipway_store::factory::ProjectFilter { user_id: Some(ann), limit: 100, ..Default::default() }).await.unwrap();
        assert_eq!(total, 10, "a refused reservation writes no project");

        db.delete_project(created[0]).await.unwrap();
        assert_eq!(db.quota(quota).await.unwrap().unwrap().used, 9, "deleting releases");
        assert!(db.insert_project_reserving(&project(ann), Some(quota), now()).await.unwrap().is_some());
        assert!(db.insert_project_reserving(&project(ann), Some(quota), now()).await.unwrap().is_none());
        assert_eq!(db.project_quota_of(loner).await.unwrap(), None);
        let free = db.insert_project_reserving(&project(loner), None, now()).await.unwrap().unwrap();
        db.delete_project(free).await.unwrap();
        assert_eq!(db.quota(quota).await.unwrap().unwrap().used, 10, "an uncounted project releases nothing");
    }
}
